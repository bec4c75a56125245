//! Behaviour beyond recovery: robust losses, scale disparity, fixed parameters,
//! recovery from a bad start, `values: null` starts, clear errors on bad input, and the
//! serialised result.

mod common;

use common::*;
use homodyne_model::params::{AnalysisMode, Bounds};
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{
    Fitter, InitialValues, Loss, NlsqError, NlsqOptions, ParameterBounds, QualityFlag, Status,
    XScale, fit, initial_values,
};
use ndarray::Array3;

fn laminar_case() -> Case {
    simulate(&LAMINAR_TRUTH, vec![0.2; 3], vec![1.0; 3], 50, 41)
}

#[test]
fn robust_loss_resists_outliers() {
    let mut case = simulate(&STATIC_TRUTH, vec![0.2; 3], vec![1.0; 3], 50, 42);
    // 1 % of the points get a +0.2 glitch (20 sigma).
    for (k, v) in case.c2.iter_mut().enumerate() {
        if k % 97 == 0 {
            *v += 0.2;
        }
    }
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let start = start_for(&case);
    let run = |loss| {
        let options = NlsqOptions {
            loss,
            f_scale: 3.0,
            ..Default::default()
        };
        fit(
            &case.experiment,
            case.c2.view(),
            None,
            &start,
            &bounds,
            &options,
        )
        .unwrap()
    };
    let linear = run(Loss::Linear);
    let cauchy = run(Loss::Cauchy);
    let soft = run(Loss::SoftL1);
    assert_eq!(cauchy.loss, "cauchy");
    assert!(cauchy.cost < cauchy.chi_squared);
    let err =
        |r: &homodyne_nlsq::NlsqResult| (r.get("D0").unwrap().0 / STATIC_TRUTH[0] - 1.0).abs();
    assert!(
        err(&cauchy) < err(&linear),
        "{} vs {}",
        err(&cauchy),
        err(&linear)
    );
    assert!(soft.convergence_status == Status::Converged);
    // Offsets are biased up by the glitches under the linear loss only.
    assert!(linear.offset[0] > cauchy.offset[0]);
}

#[test]
fn parameter_scale_disparity_with_every_x_scale() {
    let case = laminar_case();
    let bounds = ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    for x_scale in [XScale::Jacobian, XScale::InitialMagnitude] {
        let options = NlsqOptions {
            x_scale: x_scale.clone(),
            max_nfev: Some(2000),
            ..Default::default()
        };
        let r = fit(
            &case.experiment,
            case.c2.view(),
            None,
            &start_for(&case),
            &bounds,
            &options,
        )
        .unwrap();
        assert!(
            matches!(
                r.convergence_status,
                Status::Converged | Status::ConvergedWithRecovery
            ),
            "{x_scale:?}: {}",
            r.message
        );
        assert_recovered(&r, &LAMINAR_TRUTH, 3.0, 0.9, 1.1);
    }
}

#[test]
fn fixed_parameters_are_held() {
    let case = laminar_case();
    let mut start = start_for(&case);
    start.physical[6] = LAMINAR_TRUTH[6];
    start.physical[5] = LAMINAR_TRUTH[5];
    start.fixed[6] = true;
    start.fixed[5] = true;
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
        &NlsqOptions::default(),
    )
    .unwrap();
    assert_eq!(r.n_free_params, 2 + 5);
    assert_eq!(r.get("phi0").unwrap(), (LAMINAR_TRUTH[6], 0.0));
    assert_eq!(r.convergence_status, Status::Converged);
    assert!(!r.fitted_names.contains(&"phi0".to_string()));
    let (d0, s) = r.get("D0").unwrap();
    assert!((d0 - LAMINAR_TRUTH[0]).abs() < 3.0 * s);
}

#[test]
fn null_values_start_from_midpoints_and_data_estimates() {
    let case = simulate(&STATIC_TRUTH, vec![0.2; 3], vec![1.0; 3], 50, 43);
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let start = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::Static,
        None,
        None,
        &bounds,
    )
    .unwrap();
    assert_eq!(start.physical, vec![50050.0, 0.0, 0.0]);
    assert!((start.offset[0] - 1.0).abs() < 0.05);
    assert!(start.contrast[0] > 0.05 && start.contrast[0] < 0.4);
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        &NlsqOptions::default(),
    )
    .unwrap();
    assert!(r.chi_squared.is_finite());
    assert_ne!(r.convergence_status, Status::Failed, "{}", r.message);
}

#[test]
fn recovery_from_a_start_that_cannot_move() {
    // A start far outside the data's basin with an evaluation budget that allows no
    // progress on attempt 1 triggers the recovery chain, which is recorded.
    let case = simulate(&STATIC_TRUTH, vec![0.2], vec![1.0], 40, 44);
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let mut start = start_for(&case);
    // Non-finite start is an input error, not a recovery case.
    start.physical[0] = f64::NAN;
    let err = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        &NlsqOptions::default(),
    );
    assert!(matches!(err, Err(NlsqError::Model(_))), "{err:?}");
    // Stuck: max_nfev = 1 means no step can be taken on any attempt.
    let start = start_for(&case);
    let options = NlsqOptions {
        max_nfev: Some(1),
        ..Default::default()
    };
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        &options,
    )
    .unwrap();
    assert_eq!(r.convergence_status, Status::Failed);
    assert!(
        r.recovery_actions
            .iter()
            .any(|a| a.contains("stuck_at_start"))
    );
    assert!(
        r.recovery_actions
            .iter()
            .any(|a| a == "restart_from_bounds_centre")
    );
    assert!(
        r.recovery_actions
            .iter()
            .any(|a| a == "restart_from_bounds_geometric_mean")
    );
    assert!(!r.quality_checks.all_passed);
}

#[test]
fn max_iterations_is_reported() {
    let case = laminar_case();
    let options = NlsqOptions {
        max_iterations: Some(2),
        polish_steps: 0,
        ..Default::default()
    };
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start_for(&case),
        &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
        &options,
    )
    .unwrap();
    assert_eq!(r.convergence_status, Status::MaxIter);
    assert_eq!(r.iterations, 2);
}

#[test]
fn bad_inputs_give_clear_errors() {
    let case = simulate(&STATIC_TRUTH, vec![0.2], vec![1.0], 20, 45);
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let start = start_for(&case);
    let opts = NlsqOptions::default();
    // Wrong data shape.
    let wrong = Array3::<f64>::zeros((1, 19, 19));
    let e = fit(&case.experiment, wrong.view(), None, &start, &bounds, &opts).unwrap_err();
    assert!(e.to_string().contains("shape"), "{e}");
    // Bad bounds.
    let mut b = bounds.clone();
    b.physical[0] = Bounds::new(5.0, 1.0);
    let e = fit(&case.experiment, case.c2.view(), None, &start, &b, &opts).unwrap_err();
    assert!(matches!(e, NlsqError::Bounds { .. }), "{e}");
    // Bad options.
    let bad = NlsqOptions {
        f_scale: 0.0,
        ..Default::default()
    };
    let e = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        &bad,
    )
    .unwrap_err();
    assert!(e.to_string().contains("f_scale"));
    // Wrong number of per-angle values.
    let e = InitialValues::new(vec![1e4, -1.5, 0.0], vec![0.2, 0.2], vec![1.0])
        .validate(&case.experiment)
        .unwrap_err();
    assert!(e.to_string().contains("contrast"), "{e}");
    // All data masked.
    let nan = Array3::<f64>::from_elem((1, 20, 20), f64::NAN);
    let e = fit(&case.experiment, nan.view(), None, &start, &bounds, &opts).unwrap_err();
    assert_eq!(e, NlsqError::NoData);
    // Per-point sigma with zeros: those points are excluded, not a crash.
    let mut sigma = Array3::<f64>::from_elem((1, 20, 20), SIGMA);
    sigma[[0, 3, 5]] = 0.0;
    let r = fit(
        &case.experiment,
        case.c2.view(),
        Some(sigma.view()),
        &start,
        &bounds,
        &opts,
    )
    .unwrap();
    assert_eq!(r.n_points, 20 * 19 - 1);
    assert!(!r.sigma_is_default);
}

#[test]
fn out_of_bounds_start_is_clipped_with_warning() {
    let case = simulate(&STATIC_TRUTH, vec![0.2], vec![1.0], 40, 46);
    let mut start = start_for(&case);
    start.physical[1] = -3.0; // alpha below its bound
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &ParameterBounds::defaults(AnalysisMode::Static),
        &NlsqOptions::default(),
    )
    .unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("alpha")));
    assert_eq!(r.initial_parameters[3], -2.0);
}

#[test]
fn result_serialises_with_reference_fields() {
    let case = laminar_case();
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Auto,
        ..Default::default()
    };
    let fitter = Fitter::new(
        &case.experiment,
        case.c2.view(),
        None,
        &start_for(&case),
        &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
        &options,
    )
    .unwrap();
    // Global search will call solve_from on many starts of one prepared problem.
    let a = fitter.solve_from(fitter.start()).unwrap();
    let b = fitter
        .solve_from(&fitter.start().iter().map(|v| v * 1.01).collect::<Vec<_>>())
        .unwrap();
    assert!(a.termination.converged() && b.termination.converged());
    let r = fitter.fit();
    // On this small grid gamma_dot_t0 is consistent with zero, so beta is reported as
    // undetermined and the flag is at best marginal (tests/identifiability.rs).
    assert_ne!(r.quality_flag, QualityFlag::Poor, "{:?}", r.doubts());
    assert!(r.condition_number.is_finite() && r.condition_number >= 1.0);
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "parameters",
        "uncertainties",
        "covariance",
        "chi_squared",
        "reduced_chi_squared",
        "convergence_status",
        "iterations",
        "execution_time",
        "recovery_actions",
        "quality_flag",
        "quality_checks",
        "strategy",
        "condition_number",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["convergence_status"], "converged");
    assert_eq!(json["strategy"]["strategy"], "standard");
    assert_eq!(json["covariance"].as_array().unwrap().len(), 2 * 3 + 7);
}

/// An angle whose points are all missing leaves its contrast/offset undetermined: their
/// uncertainty is unknown (NaN, null in JSON), not 0; the other angles fit normally.
#[test]
fn undetermined_parameters_report_unknown_uncertainty() {
    let mut case = simulate(&STATIC_TRUTH, vec![0.2; 3], vec![1.0; 3], 40, 44);
    case.c2.index_axis_mut(ndarray::Axis(0), 1).fill(f64::NAN);
    let mut start = start_for(&case);
    start.contrast = vec![0.2; 3];
    start.offset = vec![1.0; 3];
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Individual,
        ..Default::default()
    };
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &ParameterBounds::defaults(AnalysisMode::Static),
        &options,
    )
    .unwrap();
    assert!(r.get("contrast_1").unwrap().1.is_nan());
    assert!(r.get("offset_1").unwrap().1.is_nan());
    for name in ["contrast_0", "offset_2", "D0", "alpha"] {
        let (_, u) = r.get(name).unwrap();
        assert!(u.is_finite() && u > 0.0, "{name}: {u}");
    }
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["uncertainties"][1].is_null());
}
