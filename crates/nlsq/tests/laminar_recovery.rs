//! Parameter recovery in laminar_flow mode (3 and 23 angles, every per-angle mode).

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{NlsqOptions, NlsqResult, ParameterBounds, Status, fit};

fn run_case(case: &Case, mode: PerAngleMode) -> NlsqResult {
    let options = NlsqOptions {
        per_angle_mode: mode,
        ..Default::default()
    };
    fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start_for(case),
        &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
        &options,
    )
    .unwrap()
}

fn fourier_values(phi: &[f64], c: [f64; 5]) -> Vec<f64> {
    phi.iter()
        .map(|p| {
            let x = p.to_radians();
            c[0] + c[1] * x.cos() + c[2] * x.sin() + c[3] * (2.0 * x).cos() + c[4] * (2.0 * x).sin()
        })
        .collect()
}

#[test]
fn laminar_three_angles_auto_averaged() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 3], vec![1.0; 3], 60, 11);
    let r = run_case(&case, PerAngleMode::Auto);
    assert_eq!(r.per_angle_mode.as_str(), "auto_averaged");
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
}

#[test]
fn laminar_three_angles_individual() {
    let case = simulate(
        &LAMINAR_TRUTH,
        vec![0.18, 0.2, 0.22],
        vec![0.99, 1.0, 1.01],
        60,
        12,
    );
    let r = run_case(&case, PerAngleMode::Individual);
    assert_eq!(r.per_angle_mode.as_str(), "individual");
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
    for a in 0..3 {
        let (c, s) = r.get(&format!("contrast_{a}")).unwrap();
        assert!(
            (c - case.contrast[a]).abs() < 4.0 * s,
            "contrast_{a} {c} +- {s}"
        );
    }
}

#[test]
fn laminar_23_angles_auto_averaged() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 23], vec![1.0; 23], 40, 13);
    let r = run_case(&case, PerAngleMode::Auto);
    assert_eq!(r.n_free_params, 9);
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
    // Averaged: every angle carries the same value and uncertainty.
    assert!((r.contrast[0] - r.contrast[22]).abs() < 1e-15);
    assert_eq!(
        r.get("contrast_0").unwrap().1,
        r.get("contrast_7").unwrap().1
    );
}

#[test]
fn laminar_23_angles_individual() {
    let phi = angles(23);
    let contrast = fourier_values(&phi, [0.2, 0.01, -0.02, 0.005, 0.0]);
    let offset: Vec<f64> = (0..23).map(|a| 1.0 + 0.002 * (a % 5) as f64).collect();
    let case = simulate(&LAMINAR_TRUTH, contrast, offset, 40, 14);
    let r = run_case(&case, PerAngleMode::Individual);
    assert_eq!(r.n_free_params, 53);
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
}

#[test]
fn laminar_23_angles_fourier() {
    let phi = angles(23);
    let contrast = fourier_values(&phi, [0.2, 0.02, -0.01, 0.01, 0.005]);
    let offset = fourier_values(&phi, [1.0, 0.003, 0.002, -0.002, 0.001]);
    let case = simulate(&LAMINAR_TRUTH, contrast.clone(), offset, 40, 15);
    let r = run_case(&case, PerAngleMode::Fourier);
    assert_eq!(r.per_angle_mode.as_str(), "fourier");
    assert_eq!(r.n_free_params, 17);
    assert_eq!(r.convergence_status, Status::Converged, "{}", r.message);
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
    for (a, want) in contrast.iter().enumerate() {
        let (c, s) = r.get(&format!("contrast_{a}")).unwrap();
        assert!((c - want).abs() < 4.0 * s, "contrast_{a} {c} +- {s}");
    }
}

/// `constant` fixes contrast/offset at their quantile estimates, which are biased by the
/// noise (10th/90th percentiles), so chi^2 cannot reach 1 and the physical parameters
/// absorb part of the bias: check a sane fit, not the 3-sigma criterion.
#[test]
fn laminar_constant_mode_is_sane() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 3], vec![1.0; 3], 60, 16);
    let r = run_case(&case, PerAngleMode::Constant);
    assert_eq!(r.per_angle_mode.as_str(), "fixed_constant");
    assert_eq!(r.n_free_params, 7);
    assert!(r.convergence_status != Status::Failed, "{}", r.message);
    assert!(r.reduced_chi_squared < 3.0, "{}", r.reduced_chi_squared);
    // Fixed scaling: zero uncertainty, data-estimated values.
    assert_eq!(r.get("contrast_0").unwrap().1, 0.0);
    assert!(
        (r.contrast[0] - 0.2).abs() < 0.05,
        "contrast {}",
        r.contrast[0]
    );
    let (alpha, _) = r.get("alpha").unwrap();
    assert!((alpha - LAMINAR_TRUTH[1]).abs() < 0.5, "alpha {alpha}");
}
