//! The coarse stage of large fits only chooses the start: with it and without it the
//! same data give the same answer, covariance and convergence criteria; from the
//! template's start (bound midpoints) it finds the truth; it is recorded in the result
//! and skipped below its size threshold.

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{
    CoarseOptions, NlsqOptions, NlsqResult, ParameterBounds, Status, Strategy, fit, initial_values,
};

fn options(coarse: bool) -> NlsqOptions {
    NlsqOptions {
        per_angle_mode: PerAngleMode::Averaged,
        coarse: CoarseOptions {
            enabled: coarse,
            min_points: 20_000,
            target_points: 6_000,
        },
        ..Default::default()
    }
}

fn run(case: &Case, physical: Option<&[f64]>, options: &NlsqOptions) -> NlsqResult {
    let mode = AnalysisMode::from_n_physical(case.physical.len()).unwrap();
    let bounds = ParameterBounds::defaults(mode);
    let start = initial_values(
        &case.experiment,
        case.c2.view(),
        mode,
        physical,
        None,
        &bounds,
    )
    .unwrap();
    fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        options,
    )
    .unwrap()
}

fn assert_same(a: &NlsqResult, b: &NlsqResult) {
    for (((name, x), y), s) in a
        .parameter_names
        .iter()
        .zip(&a.parameters)
        .zip(&b.parameters)
        .zip(&a.uncertainties)
    {
        // Both runs pin the same minimum: far below its uncertainty.
        assert!((x - y).abs() <= 1e-4 * s, "{name}: {x} vs {y} (sigma {s})");
    }
    let rel = (a.chi_squared - b.chi_squared).abs() / a.chi_squared;
    assert!(rel <= 1e-12, "chi2 {} vs {}", a.chi_squared, b.chi_squared);
    for ((name, x), y) in a
        .parameter_names
        .iter()
        .zip(&a.uncertainties)
        .zip(&b.uncertainties)
    {
        let rel = (x - y).abs() / x.abs();
        assert!(rel <= 1e-5, "uncertainty of {name}: {x} vs {y}");
    }
}

#[test]
fn coarse_stage_changes_the_path_not_the_answer() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 4], vec![1.0; 4], 120, 5);
    let perturbed = perturbed_start(&LAMINAR_TRUTH);
    let with = run(&case, Some(&perturbed), &options(true));
    let without = run(&case, Some(&perturbed), &options(false));
    for r in [&with, &without] {
        assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    }
    let stage = with.coarse_stage.as_ref().expect("coarse stage recorded");
    assert!(without.coarse_stage.is_none());
    assert_eq!(stage.n_points_full, with.n_points);
    assert!(
        stage.n_points <= 6_000 && stage.n_points > 1_000,
        "{stage:?}"
    );
    assert!(stage.stride >= 2, "{stage:?}");
    assert!(stage.iterations > 0);
    assert_same(&with, &without);
    assert_recovered(&with, &LAMINAR_TRUTH, 4.0, 0.9, 1.1);
}

#[test]
fn coarse_stage_from_the_template_start() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 4], vec![1.0; 4], 120, 9);
    let r = run(&case, None, &options(true));
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert!(r.coarse_stage.is_some());
    assert_recovered(&r, &LAMINAR_TRUTH, 4.0, 0.9, 1.1);
}

#[test]
fn small_problems_skip_the_coarse_stage() {
    let case = simulate(&STATIC_TRUTH, vec![0.2; 2], vec![1.0; 2], 60, 3);
    let r = run(
        &case,
        Some(&perturbed_start(&STATIC_TRUTH)),
        &NlsqOptions::default(),
    );
    assert!(r.coarse_stage.is_none());
}

#[test]
fn coarse_stage_under_every_strategy_and_scaling_mode() {
    let case = simulate(
        &LAMINAR_TRUTH,
        vec![0.18, 0.2, 0.21, 0.22],
        vec![0.99, 1.0, 1.0, 1.01],
        120,
        13,
    );
    let perturbed = perturbed_start(&LAMINAR_TRUTH);
    for mode in [PerAngleMode::Individual, PerAngleMode::Averaged] {
        let reference = run(
            &case,
            Some(&perturbed),
            &NlsqOptions {
                per_angle_mode: mode,
                ..options(false)
            },
        );
        for strategy in [Strategy::Standard, Strategy::Chunked, Strategy::Streaming] {
            let opts = NlsqOptions {
                per_angle_mode: mode,
                strategy: Some(strategy),
                chunk_points: 5_000,
                ..options(true)
            };
            let r = run(&case, Some(&perturbed), &opts);
            assert_eq!(
                r.convergence_status,
                Status::Converged,
                "{strategy}: {}",
                r.message
            );
            assert!(r.coarse_stage.is_some(), "{strategy}");
            assert_same(&r, &reference);
        }
    }
}
