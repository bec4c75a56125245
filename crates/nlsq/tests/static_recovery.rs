//! Parameter recovery in static mode (1 and 3 angles, every per-angle mode).

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, Status, fit};

fn run(n_phi: usize, mode: PerAngleMode, contrast: Vec<f64>, offset: Vec<f64>, seed: u64) {
    assert_eq!(contrast.len(), n_phi);
    let case = simulate(&STATIC_TRUTH, contrast, offset, 60, seed);
    let options = NlsqOptions {
        per_angle_mode: mode,
        ..Default::default()
    };
    let result = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start_for(&case),
        &ParameterBounds::defaults(AnalysisMode::Static),
        &options,
    )
    .unwrap();
    assert_eq!(
        result.convergence_status,
        Status::Converged,
        "{}",
        result.message
    );
    assert_recovered(&result, &STATIC_TRUTH, 3.0, 0.9, 1.1);
    assert_eq!(result.parameters.len(), 2 * n_phi + 3);
}

#[test]
fn static_one_angle() {
    run(1, PerAngleMode::Auto, vec![0.2], vec![1.0], 1);
}

#[test]
fn static_three_angles_auto_averaged() {
    run(3, PerAngleMode::Auto, vec![0.2; 3], vec![1.0; 3], 2);
}

#[test]
fn static_three_angles_individual() {
    run(
        3,
        PerAngleMode::Individual,
        vec![0.15, 0.2, 0.25],
        vec![0.98, 1.0, 1.02],
        3,
    );
}
