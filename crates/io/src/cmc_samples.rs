//! `cmc/samples.npz`: the posterior draws as plain arrays (DECISIONS 12), loadable with
//! `np.load(path)` (no pickles).
//!
//! | key | shape, dtype | meaning |
//! |---|---|---|
//! | `posterior_samples` | (n_chains, n_samples, n_params) f8 | draws of the sampled vector |
//! | `param_names` | (n_params,) `<U..` | its names (layout order: `contrast_0..`/`contrast`, `offset..`, free physical) |
//! | `r_hat`, `ess_bulk`, `ess_tail`, `mcse_mean` | (n_params,) f8 | diagnostics (NaN: undefined) |
//! | `divergences` | () i8 | divergent draws |
//! | `analysis_mode`, `per_angle_mode` | () `<U..` | `static`/`laminar_flow`; `individual`, `auto_averaged`, ... |
//! | `n_phi`, `n_chains`, `n_samples` | () i8 | sizes |
//! | `schema_version` | (2,) i8 | `[1, 0]` |
//! | `physical_samples` | (n_chains, n_samples, 3 or 7) f8 | physical parameters, fixed ones constant |
//! | `physical_names` | (3 or 7,) `<U..` | their names |
//! | `physical_fixed` | (3 or 7,) bool | held fixed |
//! | `contrast_samples`, `offset_samples` | (n_chains, n_samples, n_phi) f8 | per-angle values |
//! | `phi_angles` | (n_phi,) f8 | degrees |
//! | `samples` | (n_chains·n_samples, n_params) f8 | the reference CLI's key: draws chain after chain |
//! | `ess` | (n_params,) f8 | = `ess_bulk` (reference CLI) |
//! | `acceptance_rate` | (1,) f8 | mean tree acceptance (reference CLI) |
//! | `log_prob` | (n_chains·n_samples,) f8 | log density of each draw (reference CLI) |

use std::path::Path;

use homodyne_cmc::CmcResult;
use homodyne_data::XpcsData;

use crate::cmc_files::Derived;
use crate::error::OutputResult;
use crate::npy::TypedNpz;

/// Version of the `samples.npz` schema.
pub const SAMPLES_SCHEMA_VERSION: [i64; 2] = [1, 0];

/// Write `samples.npz` at `path`.
pub(crate) fn write_samples(
    path: &Path,
    result: &CmcResult,
    derived: &Derived,
    data: &XpcsData,
) -> OutputResult<()> {
    let (c, n, d) = result.draws.dim();
    let n_phi = derived.contrast.dim().2;
    let p = derived.physical.dim().2;
    let col = |f: fn(&homodyne_mcmc::Summary) -> f64| -> Vec<f64> {
        result.summaries.iter().map(f).collect()
    };
    let acceptance = {
        let finite: Vec<f64> = result
            .sample_stats
            .acceptance_rate
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        if finite.is_empty() {
            f64::NAN
        } else {
            finite.iter().sum::<f64>() / finite.len() as f64
        }
    };
    let mut npz = TypedNpz::new();
    npz.f64("posterior_samples", &[c, n, d], result.draws.iter())
        .strings("param_names", &[d], &result.names)
        .f64("r_hat", &[d], &col(|s| s.rhat))
        .f64("ess_bulk", &[d], &col(|s| s.ess_bulk))
        .f64("ess_tail", &[d], &col(|s| s.ess_tail))
        .f64("mcse_mean", &[d], &col(|s| s.mcse_mean))
        .i64("divergences", &[], [result.divergences as i64])
        .text("analysis_mode", result.layout.mode.as_str())
        .text("per_angle_mode", result.layout.scaling_kind.as_str())
        .i64("n_phi", &[], [n_phi as i64])
        .i64("n_chains", &[], [c as i64])
        .i64("n_samples", &[], [n as i64])
        .i64("schema_version", &[2], SAMPLES_SCHEMA_VERSION)
        .f64("physical_samples", &[c, n, p], derived.physical.iter())
        .strings("physical_names", &[p], &derived.physical_names)
        .bool("physical_fixed", &[p], derived.fixed.iter().copied())
        .f64("contrast_samples", &[c, n, n_phi], derived.contrast.iter())
        .f64("offset_samples", &[c, n, n_phi], derived.offset.iter())
        .f64("phi_angles", &[n_phi], data.phi_angles_list.iter())
        // The reference CLI's keys.
        .f64("samples", &[c * n, d], result.draws.iter())
        .f64("ess", &[d], &col(|s| s.ess_bulk))
        .f64("acceptance_rate", &[1], &[acceptance])
        .f64("log_prob", &[c * n], result.sample_stats.lp.iter());
    npz.write(path, true)
}
