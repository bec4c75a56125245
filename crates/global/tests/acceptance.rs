//! Issue 14 acceptance: from `values: null` with the wide bounds (D0 [1e2, 1e6],
//! gamma_dot_t0 [1e-6, 0.5]), the default configuration on simulated laminar datasets
//! (8-12 angles x 80-100 frames, random plausible truths). Two checks per dataset:
//! the search reaches the global optimum (its chi^2 is not above that of a local fit
//! started at the truth), and the truth lies within 3 sigma of the answer. The full
//! 20-case study is `#[ignore]`d (`scripts/global_acceptance.sh`); 4 cases run always.

mod common;

use std::time::Instant;

use common::*;
use homodyne_global::Plan;
use homodyne_model::params::AnalysisMode;
use homodyne_nlsq::{NlsqOptions, fit_checked, initial_values};

/// (within 3 sigma, at the global optimum, cases).
fn study(cases: impl Iterator<Item = u64>) -> (usize, usize, usize) {
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    let (mut ok, mut optimal, mut n) = (0, 0, 0);
    for k in cases {
        let case = acceptance_case(k);
        let t = Instant::now();
        let r = fit_from_midpoints(&case, &plan);
        let seconds = t.elapsed().as_secs_f64();
        let (z, name) = worst_z(&r, &case.truth);
        let rec = r.global_search.as_ref().unwrap();
        // Basins as good as the answer outside its error bars (a doubt, and `marginal`).
        for (i, delta) in r.rival_basins() {
            let b = &rec.basins[i].parameters;
            println!(
                "  rival basin {i} (+{delta:.3} s^2): {:?}",
                &b[b.len() - 7..]
            );
        }
        // A local fit started at the truth: the best the data allow near it.
        let bounds = wide_bounds();
        let at_truth = initial_values(
            &case.experiment,
            case.c2.view(),
            AnalysisMode::LaminarFlow,
            Some(&case.truth),
            None,
            &bounds,
        )
        .unwrap();
        let reference = fit_checked(
            &case.experiment,
            case.c2.view(),
            None,
            &at_truth,
            &bounds,
            &NlsqOptions::default(),
            None,
        )
        .unwrap();
        let is_optimal = r.cost <= reference.cost * (1.0 + 1e-6);
        println!(
            "case {k:2}: {} angles x {} frames, worst {name} {z:.2} sigma, reduced chi2 {:.4} \
             (from truth {:.4}), {} basins, {:.2} s",
            case.experiment.n_phi(),
            case.experiment.n_t(),
            r.reduced_chi_squared,
            reference.reduced_chi_squared,
            rec.basins.len(),
            seconds,
        );
        n += 1;
        optimal += usize::from(is_optimal);
        if z <= 3.0 {
            ok += 1;
        } else {
            println!(
                "  truth {:?}\n  fitted {:?}\n  +- {:?}",
                case.truth, r.physical, r.physical_uncertainty
            );
        }
    }
    println!("{ok}/{n} within 3 sigma; {optimal}/{n} at the global optimum");
    (ok, optimal, n)
}

#[test]
fn values_null_finds_the_global_optimum_on_a_few_sets() {
    let (ok, optimal, n) = study(0..4);
    assert_eq!(optimal, n, "the search missed a better basin");
    assert!(ok + 1 >= n, "{ok}/{n} within 3 sigma");
}

#[test]
#[ignore = "20 datasets, about half a minute; scripts/global_acceptance.sh"]
fn values_null_recovers_truth_on_twenty_sets() {
    let (ok, optimal, n) = study(0..20);
    assert_eq!(optimal, n, "the search missed a better basin");
    assert_eq!(ok, n, "{ok}/{n} within 3 sigma");
}

/// The reference's degenerate laminar case (23 angles x 200 frames, template bounds,
/// mid-bounds start): truth within 3 sigma, the degenerate constant-shear valley a
/// separate, worse basin; prints the basins and the time.
#[test]
#[ignore = "23 x 200^2, tens of seconds on 2 cores; scripts/global_acceptance.sh"]
fn reference_degenerate_case_23_angles() {
    let truth = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];
    let case = simulate(&truth, 23, 200, 0.2, 2323);
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    let bounds = homodyne_nlsq::ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    let t = Instant::now();
    let r = search_from_midpoints(&case, &bounds, &NlsqOptions::default(), &plan, &print_phase);
    let seconds = t.elapsed().as_secs_f64();
    let rec = r.global_search.as_ref().unwrap();
    for b in &rec.basins {
        println!(
            "basin: reduced chi2 {:.4}, members {}, {:?}",
            b.reduced_chi_squared,
            b.members,
            &b.parameters[b.parameters.len() - 7..]
        );
    }
    let (z, name) = worst_z(&r, &truth);
    println!(
        "23 x 200: worst {name} {z:.2} sigma, reduced chi2 {:.4}, {seconds:.1} s, mode {}",
        r.reduced_chi_squared,
        r.per_angle_mode.as_str()
    );
    assert!(z <= 3.0, "{name} {z:.2} sigma");
    // The degenerate valley (shear amplitude ~ 0: a constant shear rate, whatever beta)
    // is reported as a separate, worse basin.
    let flat = rec
        .basins
        .iter()
        .find(|b| b.reduced_chi_squared > 1.5 * r.reduced_chi_squared)
        .expect("the degenerate valley is reported as a worse basin");
    let p = &flat.parameters[flat.parameters.len() - 7..];
    assert!(
        p[3] < 0.2 * truth[3],
        "shear amplitude {} in that basin",
        p[3]
    );
}

/// The same 23 x 200^2 data with `per_angle_mode: individual` (the reference's
/// 53-parameter model: 23 contrasts, 23 offsets, 7 physical) from the template start
/// (bound midpoints): truth within 3 sigma, converged; prints basins, worst z, reduced
/// chi^2 and the time.
#[test]
#[ignore = "23 x 200^2 with 53 parameters; scripts/global_acceptance.sh"]
fn reference_case_individual_mode_53_parameters() {
    use homodyne_model::scaling::PerAngleMode;
    let truth = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];
    let case = simulate(&truth, 23, 200, 0.2, 2323);
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Individual,
        ..Default::default()
    };
    let bounds = homodyne_nlsq::ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    let t = Instant::now();
    let r = search_from_midpoints(&case, &bounds, &options, &plan, &print_phase);
    let seconds = t.elapsed().as_secs_f64();
    if let Some(rec) = r.global_search.as_ref() {
        println!(
            "search: {} ({}), {} starts, {} refined, {} evaluations, {} local, {:.1} s",
            rec.method,
            rec.reason,
            rec.n_starts,
            rec.n_refined,
            rec.evaluations,
            rec.local_evaluations,
            rec.seconds
        );
        for l in &rec.layers {
            println!("layer {} ({}): {}", l.layer, l.name, l.message);
        }
        for b in &rec.basins {
            println!(
                "basin: reduced chi2 {:.4}, members {}, converged {}, {:?}",
                b.reduced_chi_squared,
                b.members,
                b.converged,
                &b.parameters[b.parameters.len() - 7..]
            );
        }
    }
    let (z, name) = worst_z(&r, &truth);
    println!(
        "23 x 200 individual: {} parameters, worst {name} {z:.2} sigma, reduced chi2 {:.4}, \
         status {}, {} iterations, {seconds:.1} s, mode {}\n  fitted {:?}\n  +- {:?}\n  actions {:?}",
        r.fitted_vector.len(),
        r.reduced_chi_squared,
        r.convergence_status.as_str(),
        r.iterations,
        r.per_angle_mode.as_str(),
        r.physical,
        r.physical_uncertainty,
        r.recovery_actions
    );
    assert_eq!(r.fitted_vector.len(), 53);
    assert!(r.converged(), "{}", r.convergence_status.as_str());
    assert!(z <= 3.0, "{name} {z:.2} sigma");
}
