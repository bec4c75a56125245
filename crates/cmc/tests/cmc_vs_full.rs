//! CMC (K = 4) against one full-data NUTS run (K = 1) on the same simulated data, and the
//! full-data posterior against the NLSQ fit (DECISIONS 10; CMC issue acceptance).

mod common;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;

fn compare(case: &Case, scaling: PerAngleMode, checked: &[&str], k: usize) {
    let opts_nlsq = nlsq_options(scaling);
    let fitter = fitter(case, &opts_nlsq);
    let nlsq = fitter.fit();
    assert!(nlsq.converged(), "{:?}", nlsq.convergence_status);
    let t = std::time::Instant::now();
    let full = run(case, &fitter, &nlsq, &options(1, 4, 500, 1000, 7));
    let t_full = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let cmc = run(case, &fitter, &nlsq, &options(k, 4, 500, 1000, 7));
    let t_cmc = t.elapsed().as_secs_f64();
    println!(
        "full: {t_full:.1} s, {} grads, max R-hat {:.4}, min ESS {:.0}, {} divergences",
        full.gradient_evaluations,
        full.max_rhat(),
        full.min_ess_bulk(),
        full.divergences
    );
    println!(
        "cmc K={k}: {t_cmc:.1} s, {} grads, max R-hat {:.4}, min ESS {:.0}, {} divergences",
        cmc.gradient_evaluations,
        cmc.max_rhat(),
        cmc.min_ess_bulk(),
        cmc.divergences
    );
    assert!(full.max_rhat() < 1.01, "full R-hat {}", full.max_rhat());
    let d = full.names.len();
    let (cf, cc) = (full.covariance(), cmc.covariance());
    for name in checked {
        let j = full.names.iter().position(|n| n == name).unwrap();
        let (f, c) = (&full.summaries[j], &cmc.summaries[j]);
        let n_i = nlsq.fitted_names.iter().position(|n| n == name).unwrap();
        let sd_nlsq = nlsq.fitted_uncertainties[n_i];
        println!(
            "{name:>14}: full {:.6e} ± {:.3e} | cmc {:.6e} ± {:.3e} (mcse {:.1e}) | nlsq {:.6e} ± {:.3e}",
            f.mean, f.sd, c.mean, c.sd, c.mcse_mean, nlsq.fitted_vector[n_i], sd_nlsq
        );
        assert!(
            (c.mean - f.mean).abs()
                <= 0.15 * f.sd + 3.0 * (c.mcse_mean.powi(2) + f.mcse_mean.powi(2)).sqrt(),
            "{name}: cmc mean {} vs full {} (sd {})",
            c.mean,
            f.mean,
            f.sd
        );
        let ratio = c.sd / f.sd;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{name}: sd ratio cmc/full {ratio}"
        );
        let ratio = f.sd / sd_nlsq;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{name}: sd ratio full/nlsq {ratio}"
        );
    }
    let idx: Vec<usize> = checked
        .iter()
        .map(|n| full.names.iter().position(|m| m == n).unwrap())
        .collect();
    for &a in &idx {
        for &b in &idx {
            let rho = |c: &[f64]| c[a * d + b] / (c[a * d + a] * c[b * d + b]).sqrt();
            assert!(
                (rho(&cf) - rho(&cc)).abs() <= 0.1,
                "correlation {} / {}: full {} cmc {}",
                full.names[a],
                full.names[b],
                rho(&cf),
                rho(&cc)
            );
        }
    }
}

#[test]
fn static_cmc_matches_full_data_nuts() {
    let case = simulate(AnalysisMode::Static, 3, 100, 11);
    compare(
        &case,
        PerAngleMode::Individual,
        &["D0", "alpha", "D_offset", "contrast_0", "offset_0"],
        4,
    );
}

#[test]
fn laminar_cmc_matches_full_data_nuts() {
    let case = simulate(AnalysisMode::LaminarFlow, 8, 80, 12);
    compare(
        &case,
        PerAngleMode::Averaged,
        &[
            "D0",
            "alpha",
            "gamma_dot_t0",
            "beta",
            "phi0",
            "contrast",
            "offset",
        ],
        4,
    );
}
