//! Honest uncertainties (issue 9): each measurement of symmetric (half-matrix) data is
//! counted once, sigma is measured from the data, and the reported uncertainties are
//! calibrated: z = (fit - truth) / uncertainty has std ~ 1 on symmetric and on
//! independent noise. The long version of the study is `scripts/calibration.sh`.

#[path = "support/calibration.rs"]
mod calibration;
mod common;

use calibration::{Noise, Problem, Study, fit_case, fit_case_with, run, simulate_case};
use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::SigmaSetting;
use homodyne_nlsq::{NlsqOptions, NlsqResult, ParameterBounds, QualityFlag, Strategy, fit};
use homodyne_nlsq::{PointsCounted, SigmaMethod};

/// With 40 datasets the std of z is known to about +-11 %: the test accepts 0.7-1.35
/// (the script, on 50 + 50 datasets per noise layout, is held to 0.85-1.15) and 1-sigma
/// coverage 50-86 % (68 % expected, +-7 %).
fn check(study: &Study) {
    println!("{}", study.table());
    assert_eq!(study.not_converged, 0, "{}", study.table());
    let expect_once = study.noise == Noise::Symmetric;
    assert_eq!(
        study.unique_pairs,
        if expect_once { study.n_datasets } else { 0 },
        "symmetry detection"
    );
    for r in &study.rows {
        assert!(
            (0.7..=1.35).contains(&r.std),
            "{}: std z {:.3}\n{}",
            r.name,
            r.std,
            study.table()
        );
        assert!(
            (0.5..=0.86).contains(&r.within_1),
            "{}: 1-sigma coverage {:.2}\n{}",
            r.name,
            r.within_1,
            study.table()
        );
    }
}

#[test]
fn calibration_static_symmetric_and_independent() {
    for noise in [Noise::Symmetric, Noise::Independent] {
        check(&run(Problem::Static, noise, 60, SIGMA, 40, 1000));
    }
}

#[test]
fn calibration_laminar_symmetric_and_independent() {
    for noise in [Noise::Symmetric, Noise::Independent] {
        check(&run(Problem::Laminar, noise, 40, SIGMA, 40, 2000));
    }
}

/// Symmetric data count each unordered pair once: half the points of the same data with
/// independent noise, the same chi^2 per point, and uncertainties sqrt(2) wider than a
/// fit that counted both triangles would report.
#[test]
fn symmetric_data_count_each_pair_once() {
    let (n_phi, n_t) = (3, 50);
    let sym = Problem::Static.case(n_t, SIGMA, Noise::Symmetric, 5);
    let ind = Problem::Static.case(n_t, SIGMA, Noise::Independent, 5);
    let rs = fit_case(&sym);
    let ri = fit_case(&ind);
    assert!(rs.objective.symmetric_data);
    assert_eq!(rs.objective.points, PointsCounted::UniquePairs);
    assert_eq!(rs.n_points, n_phi * n_t * (n_t - 1) / 2);
    assert_eq!(rs.degrees_of_freedom, rs.n_points - rs.n_free_params);
    assert!(!ri.objective.symmetric_data);
    assert_eq!(ri.objective.points, PointsCounted::BothTriangles);
    assert_eq!(ri.n_points, n_phi * n_t * (n_t - 1));
    for r in [&rs, &ri] {
        assert!(
            (0.9..1.1).contains(&r.reduced_chi_squared),
            "{}",
            r.reduced_chi_squared
        );
    }
    // The same symmetric data, counted twice (forced by an asymmetry of 1 ulp in one
    // element), would report uncertainties 1/sqrt(2) as large.
    let mut twice = sym.c2.clone();
    twice[[0, 1, 7]] = f64::from_bits(twice[[0, 1, 7]].to_bits() + 1);
    let rt = fit(
        &sym.experiment,
        twice.view(),
        None,
        &start_for(&sym),
        &ParameterBounds::defaults(AnalysisMode::Static),
        &NlsqOptions {
            per_angle_mode: PerAngleMode::Individual,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rt.n_points, 2 * rs.n_points);
    for name in ["D0", "alpha", "D_offset"] {
        let ratio = rs.get(name).unwrap().1 / rt.get(name).unwrap().1;
        assert!(
            (ratio / 2f64.sqrt() - 1.0).abs() < 0.02,
            "{name}: ratio {ratio}"
        );
    }
}

/// Acceptance: sigma 0.05 data and an exact model: sigma estimated within 5 %, reduced
/// chi^2 in 0.9-1.1 and a flag that is not poor (static and laminar, symmetric data).
#[test]
fn sigma_005_is_measured_and_judged() {
    for (problem, n_t) in [(Problem::Static, 100), (Problem::Laminar, 100)] {
        let case = problem.case(n_t, 0.05, Noise::Symmetric, 77);
        let r = fit_case(&case);
        let o = &r.objective;
        assert_eq!(o.sigma_method, SigmaMethod::Estimated);
        assert!(!r.sigma_is_default);
        // Per angle the estimate scatters by ~1.5 % on 100 frames; the mean by ~0.6 %.
        for (a, s) in o.sigma.iter().enumerate() {
            assert!((s / 0.05 - 1.0).abs() < 0.05, "{problem:?} angle {a}: {s}");
        }
        assert!((o.sigma_mean() / 0.05 - 1.0).abs() < 0.02, "{:?}", o.sigma);
        assert!(
            (0.9..=1.1).contains(&r.reduced_chi_squared),
            "{problem:?}: reduced chi2 {}",
            r.reduced_chi_squared
        );
        assert_ne!(r.quality_flag, QualityFlag::Poor, "{problem:?}");
    }
}

/// A configured sigma is used as given (and recorded); the old fixed 0.01 on sigma 0.05
/// data gives reduced chi^2 ~ 25, which is what the estimate avoids.
#[test]
fn configured_sigma_is_used_and_recorded() {
    let case = Problem::Static.case(60, 0.05, Noise::Symmetric, 9);
    let fit_with = |sigma: SigmaSetting| -> NlsqResult {
        fit(
            &case.experiment,
            case.c2.view(),
            None,
            &start_for(&case),
            &ParameterBounds::defaults(AnalysisMode::Static),
            &NlsqOptions {
                sigma,
                per_angle_mode: PerAngleMode::Individual,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let r = fit_with(SigmaSetting::Value(0.01));
    assert_eq!(r.objective.sigma_method, SigmaMethod::Configured);
    assert_eq!(r.objective.sigma, vec![0.01; 3]);
    assert!(r.reduced_chi_squared > 20.0, "{}", r.reduced_chi_squared);
    assert_eq!(r.quality_flag, QualityFlag::Poor);
    let r = fit_with(SigmaSetting::Value(0.05));
    assert!((0.9..1.1).contains(&r.reduced_chi_squared));
    // Invalid values are refused.
    for bad in [0.0, -1.0, f64::NAN] {
        let e = fit(
            &case.experiment,
            case.c2.view(),
            None,
            &start_for(&case),
            &ParameterBounds::defaults(AnalysisMode::Static),
            &NlsqOptions {
                sigma: SigmaSetting::Value(bad),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
    }
}

/// Symmetric data through every execution strategy: the chunked and streaming paths
/// group rows of the upper triangle and give the standard path's answer.
#[test]
fn strategies_agree_on_symmetric_data() {
    let case = simulate_case(
        &LAMINAR_TRUTH,
        vec![0.18, 0.2, 0.22],
        vec![0.99, 1.0, 1.01],
        60,
        SIGMA,
        Noise::Symmetric,
        21,
    );
    // gamma_dot_t_offset held (fit_case_with): with it free the valley along
    // gamma_dot_t0 t^beta + gamma_dot_t_offset is flat to 1e-4 in chi^2 here, and paths
    // may stop at different points of it.
    let run = |strategy| {
        fit_case_with(
            &case,
            &NlsqOptions {
                per_angle_mode: PerAngleMode::Individual,
                strategy: Some(strategy),
                chunk_points: 1_500,
                ..Default::default()
            },
        )
    };
    let standard = run(Strategy::Standard);
    assert_eq!(standard.n_points, 3 * 60 * 59 / 2);
    for other in [run(Strategy::Chunked), run(Strategy::Streaming)] {
        assert!(other.strategy.n_chunks > 3, "{}", other.strategy.n_chunks);
        assert_eq!(other.n_points, standard.n_points);
        assert_eq!(other.objective, standard.objective);
        for (k, name) in standard.parameter_names.iter().enumerate() {
            let (a, b) = (standard.parameters[k], other.parameters[k]);
            assert!(
                (a - b).abs() <= 1e-6 * a.abs().max(1e-12),
                "{name}: {a} vs {b}"
            );
            let (ua, ub) = (standard.uncertainties[k], other.uncertainties[k]);
            assert!((ua - ub).abs() <= 1e-4 * ua, "{name}: {ua} vs {ub}");
        }
    }
}
