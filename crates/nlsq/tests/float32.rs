//! float32 data (as APS files store c2) give the same fit, bit for bit, as the same
//! values held as float64: every reader widens each value exactly and accumulates in f64
//! (noise estimate, symmetry check, quantile starts, objective, per-angle scaling check).

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, fit_checked};

#[test]
fn float32_data_fit_like_their_float64_widening() {
    let case = simulate(&STATIC_TRUTH, vec![0.2; 3], vec![1.0; 3], 60, 7);
    // Symmetric float32 data, as the loader rebuilds APS half matrices.
    let mut c2_32 = case.c2.mapv(|v| v as f32);
    for mut m in c2_32.outer_iter_mut() {
        let n = m.nrows();
        for i in 0..n {
            for j in 0..i {
                m[[i, j]] = m[[j, i]];
            }
        }
    }
    let c2_64 = c2_32.mapv(f64::from);
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    for mode in [PerAngleMode::Auto, PerAngleMode::Individual] {
        let options = NlsqOptions {
            per_angle_mode: mode,
            ..Default::default()
        };
        let start = start_for(&case);
        let a = fit_checked(
            &case.experiment,
            c2_32.view(),
            None,
            &start,
            &bounds,
            &options,
            None,
        )
        .unwrap();
        let b = fit_checked(
            &case.experiment,
            c2_64.view(),
            None,
            &start,
            &bounds,
            &options,
            None,
        )
        .unwrap();
        assert_eq!(a.parameters, b.parameters, "{mode:?}");
        assert_eq!(a.uncertainties, b.uncertainties, "{mode:?}");
        assert_eq!(a.chi_squared, b.chi_squared, "{mode:?}");
        assert_eq!(a.iterations, b.iterations, "{mode:?}");
    }
}
