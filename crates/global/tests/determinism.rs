//! Issue 14 acceptance: same seed, same answer whatever the thread count. The search
//! (values-null multi-start and explicit CMA-ES) runs inside rayon pools of 1 and 2
//! threads; the physical values, cost and basins must agree bit for bit.

mod common;

use common::*;
use homodyne_global::{CmaesOptions, Plan, Preset, Trigger};
use homodyne_nlsq::NlsqResult;
use rayon::ThreadPoolBuilder;

const TRUTH: [f64; 7] = [2e4, -0.6, 150.0, 1.5e-3, -0.15, 0.0, 3.0];

fn in_pool(threads: usize, case: &Case, plan: &Plan) -> NlsqResult {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| fit_from_midpoints(case, plan))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Everything the search decides, as bits: values, cost, error bars, basins (cost,
/// chi^2, vector, members), evaluations.
fn fingerprint(r: &NlsqResult) -> (Vec<u64>, Vec<Vec<u64>>, Vec<usize>) {
    let mut head = bits(&r.physical);
    head.extend(bits(&[r.cost, r.chi_squared]));
    head.extend(bits(&r.fitted_vector));
    // The error bars too: covariance, and the profile intervals solved in parallel.
    head.extend(bits(&r.physical_uncertainty));
    assert!(!r.profile.is_empty(), "the profile intervals ran");
    for p in &r.profile {
        head.extend(bits(&[
            p.one_sigma.lower,
            p.one_sigma.upper,
            p.three_sigma.lower,
            p.three_sigma.upper,
        ]));
    }
    let rec = r.global_search.as_ref().expect("the search ran");
    let basins = rec
        .basins
        .iter()
        .map(|b| {
            let mut v = bits(&[b.cost, b.chi_squared]);
            v.extend(bits(&b.parameters));
            v.push(b.members as u64);
            v
        })
        .collect();
    let counts = vec![
        rec.n_starts,
        rec.n_refined,
        rec.evaluations,
        rec.local_evaluations,
        rec.chosen_basin,
    ];
    (head, basins, counts)
}

fn assert_same(plan: &Plan, what: &str) {
    let case = simulate(&TRUTH, 8, 60, 0.2, 11);
    let one = in_pool(1, &case, plan);
    let two = in_pool(2, &case, plan);
    let (f1, f2) = (fingerprint(&one), fingerprint(&two));
    assert_eq!(
        f1.0, f2.0,
        "{what}: values/cost differ\n  1 thread  {:?} cost {:e}\n  2 threads {:?} cost {:e}",
        one.physical, one.cost, two.physical, two.cost
    );
    assert_eq!(f1.1, f2.1, "{what}: basins differ");
    assert_eq!(f1.2, f2.2, "{what}: counts differ");
    let rec = one.global_search.as_ref().unwrap();
    // Small data: every point throughout.
    assert_eq!(rec.subset, None);
    println!(
        "{what}: {} basins, cost {:.6e}, {} evaluations, physical {:?}",
        rec.basins.len(),
        one.cost,
        rec.evaluations,
        one.physical
    );
}

#[test]
fn values_null_multi_start_is_the_same_on_one_and_two_threads() {
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    assert_same(&plan, "multi-start");
}

#[test]
fn cmaes_is_the_same_on_one_and_two_threads() {
    let plan = Plan {
        trigger: Trigger::Cmaes,
        from_midpoints: true,
        // The evolution itself (a warm start would end the fit on this easy case).
        cmaes_warmstart: false,
        cmaes: CmaesOptions {
            preset: Some(Preset::Fast),
            max_restarts: 2,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = in_pool(1, &simulate(&TRUTH, 8, 60, 0.2, 11), &plan);
    assert_eq!(r.global_search.as_ref().unwrap().method, "cmaes");
    assert_same(&plan, "CMA-ES");
}
