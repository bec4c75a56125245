//! CMA-ES end to end on simulated laminar data from the bound midpoints with the issue's
//! wide bounds (D0 [1e2, 1e6], gamma_dot_t0 [1e-6, 0.5]), and the scale-ratio rule.

mod common;

use std::time::Instant;

use common::*;
use homodyne_global::{Plan, Trigger};

const TRUTH: [f64; 7] = [1.5e4, -0.8, 50.0, 2e-3, -0.2, 0.0, 4.0];

#[test]
fn cmaes_from_the_midpoints_recovers_truth_and_records_the_evolution() {
    let case = simulate(&TRUTH, 8, 80, 0.2, 808);
    let plan = Plan {
        trigger: Trigger::Cmaes,
        from_midpoints: true,
        // The evolution from the midpoints, not a warm start that may end the fit.
        cmaes_warmstart: false,
        ..Default::default()
    };
    let t = Instant::now();
    let r = fit_from_midpoints(&case, &plan);
    let seconds = t.elapsed().as_secs_f64();
    let rec = r.global_search.as_ref().expect("CMA-ES ran");
    let cm = rec.cmaes.as_ref().expect("CMA-ES record");
    let (z, name) = worst_z(&r, &TRUTH);
    println!(
        "CMA-ES 8 x 80: worst {name} {z:.2} sigma, reduced chi2 {:.4}, {} generations, \
         {} restarts, pop {}..{}, {} evaluations (+{} local), {} basins, stop {}, {seconds:.2} s",
        r.reduced_chi_squared,
        cm.generations,
        cm.restarts,
        cm.popsize,
        cm.max_popsize,
        rec.evaluations,
        rec.local_evaluations,
        rec.basins.len(),
        cm.stop,
    );
    assert_eq!(rec.method, "cmaes");
    assert!(rec.selection.starts_with("explicit"), "{}", rec.selection);
    assert!(r.converged(), "{:?}", r.convergence_status);
    assert!(z <= 3.0, "{name} {z:.2} sigma: {:?}", r.physical);
    // The evolution is recorded: generations over every run, BIPOP restarts, the
    // population's evaluations and the refinements' local evaluations.
    assert!(cm.generations > 0 && cm.restarts > 0, "{cm:?}");
    assert!(cm.max_popsize > cm.popsize, "{cm:?}");
    assert!(rec.evaluations >= cm.generations * cm.popsize, "{rec:?}");
    assert!(rec.local_evaluations > 0 && rec.n_refined == cm.restarts + 1);
    assert!(cm.best_cost.is_finite());
    assert!(!rec.basins.is_empty());
}

#[test]
fn auto_select_picks_cmaes_for_the_wide_bounds_and_says_why() {
    let case = simulate(&TRUTH, 8, 40, 0.2, 809);
    let plan = Plan {
        trigger: Trigger::AutoSelect(1000.0),
        from_midpoints: true,
        cmaes_warmstart: false,
        cmaes: homodyne_global::CmaesOptions {
            preset: Some(homodyne_global::Preset::Fast),
            max_restarts: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = fit_from_midpoints(&case, &plan);
    let rec = r.global_search.as_ref().unwrap();
    println!("selection: {}\nreason: {}", rec.selection, rec.reason);
    assert_eq!(rec.method, "cmaes");
    assert!(
        rec.selection.contains("auto-selected") && rec.selection.contains("> 1e3: CMA-ES"),
        "{}",
        rec.selection
    );
    assert!(rec.reason.contains("scale ratio"), "{}", rec.reason);
    // The ratio named is above the threshold.
    let ratio: f64 = rec
        .selection
        .split("scale ratio ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(ratio > 1e3, "{ratio}");
    // Narrow bounds (every width within a factor 1000): multi-start.
    let (m, why) = homodyne_global::choose_method(&[0.0, 1.0, -2.0], &[1.0, 10.0, 2.0], 1000.0);
    assert_eq!(m, homodyne_global::Method::MultiStart, "{why}");
    assert!(why.contains("<= 1e3: multi-start"), "{why}");
}
