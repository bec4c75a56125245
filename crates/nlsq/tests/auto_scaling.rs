//! `auto` per-angle mode decides from the data: one averaged pair when the angles agree,
//! per-angle scaling (with its reason recorded) when they do not.

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::{PerAngleMode, ScalingKind};
use homodyne_nlsq::{NlsqOptions, NlsqResult, ParameterBounds, fit_checked};

fn run_auto(case: &Case) -> NlsqResult {
    fit_checked(
        &case.experiment,
        case.c2.view(),
        None,
        &start_for(case),
        &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
        &NlsqOptions {
            per_angle_mode: PerAngleMode::Auto,
            ..Default::default()
        },
        None,
    )
    .unwrap()
}

#[test]
fn equal_contrasts_keep_one_averaged_pair() {
    let case = simulate(&LAMINAR_TRUTH, vec![0.2; 8], vec![1.0; 8], 40, 21);
    let r = run_auto(&case);
    assert_eq!(r.per_angle_mode, ScalingKind::Averaged);
    let why = r.scaling_decision.as_deref().unwrap();
    assert!(why.contains("agree"), "{why}");
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.8, 1.25);
}

/// The case: 23 angles with contrasts from 0.1 to 0.3 (one averaged contrast
/// gave reduced chi^2 4.6 and gamma_dot_t0 55 sigma off).
#[test]
fn varying_contrasts_switch_to_per_angle_scaling_and_recover_truth() {
    let phi = angles(23);
    let contrast: Vec<f64> = (0..23).map(|a| 0.1 + 0.2 * a as f64 / 22.0).collect();
    let case = simulate(&LAMINAR_TRUTH, contrast.clone(), vec![1.0; 23], 30, 22);
    assert_eq!(case.experiment.phi_deg, phi);
    let r = run_auto(&case);
    assert_ne!(r.per_angle_mode, ScalingKind::Averaged);
    let why = r.scaling_decision.as_deref().unwrap();
    assert!(why.contains("differ beyond their errors"), "{why}");
    assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.8, 1.25);
    for (a, c) in contrast.iter().enumerate() {
        let (v, s) = r.get(&format!("contrast_{a}")).unwrap();
        assert!(
            (v - c).abs() < 5.0 * s.max(1e-3),
            "contrast_{a}: {v} ± {s} vs {c}"
        );
    }
}
