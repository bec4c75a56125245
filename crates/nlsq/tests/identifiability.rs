//! A flat direction never vanishes silently: laminar data with beta = 0 and
//! gamma_dot_t_offset free, where only gamma_dot_t0 + gamma_dot_t_offset is measurable.

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, QualityFlag, fit};

#[test]
fn beta_zero_never_good_with_tiny_uncertainties_and_the_sum_is_reported() {
    let mut truth = LAMINAR_TRUTH;
    truth[4] = 0.0; // beta
    truth[5] = 0.0; // gamma_dot_t_offset
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Auto,
        ..Default::default()
    };
    let mut fits = Vec::new();
    for seed in 0..20 {
        let case = simulate(&truth, vec![0.2; 8], vec![1.0; 8], 30, 100 + seed);
        let r = fit(
            &case.experiment,
            case.c2.view(),
            None,
            &start_for(&case),
            &ParameterBounds::defaults(AnalysisMode::LaminarFlow),
            &options,
        )
        .unwrap();
        fits.push(r);
    }
    let g0: Vec<f64> = fits
        .iter()
        .map(|r| r.parameter("gamma_dot_t0").unwrap().value)
        .collect();
    let mean = g0.iter().sum::<f64>() / g0.len() as f64;
    let spread =
        (g0.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (g0.len() - 1) as f64).sqrt();
    let mut reported = 0;
    for r in &fits {
        let e = r.parameter("gamma_dot_t0").unwrap();
        // NaN (undetermined) is not tiny; a finite value below a tenth of the spread is.
        let tiny = e.uncertainty < spread / 10.0;
        assert!(
            !(r.quality_flag == QualityFlag::Good && tiny),
            "good with gamma_dot_t0 = {} ± {} (spread over seeds {spread})",
            e.value,
            e.uncertainty
        );
        if let Some(d) = r
            .degeneracies
            .iter()
            .find(|d| d.parameters.iter().any(|p| p == "gamma_dot_t0"))
        {
            reported += 1;
            assert!(
                d.parameters.iter().any(|p| p == "gamma_dot_t_offset"),
                "{d:?}"
            );
            let c = d.combination.as_ref().expect("a two-parameter direction");
            assert!(c.text.contains("gamma_dot_t0 + "), "{}", c.text);
            assert!((c.coefficients[1].1 - 1.0).abs() < 0.1, "{c:?}");
            assert_ne!(r.quality_flag, QualityFlag::Good);
            assert!(r.doubts().iter().any(|m| m.contains("gamma_dot_t0")));
        } else {
            assert!(
                !tiny,
                "no degeneracy reported but gamma_dot_t0 ± {}",
                e.uncertainty
            );
        }
    }
    eprintln!("{reported} of 20 fits report the gamma_dot_t0/gamma_dot_t_offset degeneracy");
}
