//! A CMC run: plan the shards, run NUTS on every (shard, chain) on one thread pool,
//! combine, diagnose.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use homodyne_model::layout::ParameterLayout;
use homodyne_model::{C2View, Experiment, Par, ParameterSpace, ShardData, Sigma, Triangles};
use ndarray::{Array3, ArrayView2, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::CmcError;
use crate::posterior::{ShardPosterior, Target};
use crate::prior::LogPrior;
use crate::sampler::{ChainDraws, DrawEvent, NutsOptions, run_chain};
use crate::shard::{ShardCount, ShardPlan};
use crate::transform::{BoundMap, Whitening};

/// The problem to sample: the same model, data, noise level and parameter vector the
/// NLSQ fit used (the facade builds it from an `nlsq::Fitter`).
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    /// Time grid, angles, geometry.
    pub experiment: &'a Experiment,
    /// c2 (n_phi, n_t, n_t), float64 or float32 as loaded.
    pub c2: C2View<'a>,
    /// The noise level of each angle (held fixed: measured from the data).
    pub sigma: Vec<f64>,
    /// `Upper` for symmetric data (each unordered pair once), `Both` otherwise.
    pub triangles: Triangles,
    /// The parameter vector (per-angle mode, fixed parameters).
    pub layout: ParameterLayout,
    /// Lower bounds of the vector's entries.
    pub lower: Vec<f64>,
    /// Upper bounds of the vector's entries.
    pub upper: Vec<f64>,
    /// The parameter table (priors).
    pub space: &'a ParameterSpace,
}

impl<'a> Problem<'a> {
    /// The problem an NLSQ fit solved: same data, layout, bounds, noise level and
    /// counted points.
    pub fn from_fitter<'f: 'a>(
        fitter: &'a homodyne_nlsq::Fitter<'f>,
        c2: impl Into<C2View<'a>>,
        space: &'a ParameterSpace,
    ) -> Self {
        let p = fitter.problem();
        Problem {
            experiment: p.experiment(),
            c2: c2.into(),
            sigma: fitter.objective().sigma.clone(),
            triangles: p.triangles(),
            layout: p.layout().clone(),
            lower: p.lower().to_vec(),
            upper: p.upper().to_vec(),
            space,
        }
    }
}

/// Where the chains start and how the sampler's coordinates are scaled: a point estimate
/// of the parameter vector and, if known, its covariance. Not a prior.
#[derive(Debug, Clone, PartialEq)]
pub struct WarmStart {
    /// The vector (layout order).
    pub x: Vec<f64>,
    /// Row-major d x d covariance of `x`, if known.
    pub covariance: Option<Vec<f64>>,
    /// Where it came from (for the report).
    pub source: String,
}

impl WarmStart {
    /// An NLSQ fit's optimiser vector and covariance (the covariance is dropped when its
    /// size does not match the vector).
    pub fn from_nlsq(result: &homodyne_nlsq::NlsqResult, source: impl Into<String>) -> Self {
        let d = result.fitted_vector.len();
        let covariance: Vec<f64> = result.fitted_covariance.iter().flatten().copied().collect();
        WarmStart {
            x: result.fitted_vector.clone(),
            covariance: (covariance.len() == d * d).then_some(covariance),
            source: source.into(),
        }
    }
}

/// Settings of a CMC run.
#[derive(Debug, Clone, PartialEq)]
pub struct CmcOptions {
    /// NUTS per shard.
    pub nuts: NutsOptions,
    /// Number of shards.
    pub shards: ShardCount,
    /// How shard draws are combined.
    pub combination: homodyne_mcmc::CombineMethod,
    /// The shard filters of the combination.
    pub combine: homodyne_mcmc::CombineOptions,
    /// Threads for chains and shards (0: all of the current pool).
    pub threads: usize,
}

/// Receives progress. Every method has a default that ignores it.
pub trait CmcObserver: Sync {
    /// The plan is fixed: `shards` shards of `chains` chains, `draws_per_chain` draws
    /// each (warm-up included); `resumed` of them come from checkpoints.
    fn planned(&self, _shards: usize, _chains: usize, _draws_per_chain: u64, _resumed: usize) {}
    /// A chain made a draw.
    fn draw(&self, _shard: usize, _chain: usize, _event: DrawEvent) {}
    /// A shard finished (all its chains).
    fn shard_finished(&self, _shard: usize, _result: &ShardResult) {}
    /// Whether to stop (an interrupt). Finished shards are kept.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Ignores progress.
pub struct NoObserver;
impl CmcObserver for NoObserver {}

/// Keeps finished shards so that an interrupted run resumes (checkpoints, job arrays).
pub trait ShardStore: Sync {
    /// The result of shard `index` if one was saved with this `fingerprint`.
    fn load(&self, index: usize, fingerprint: u64) -> Option<ShardResult>;
    /// Save a finished shard.
    fn save(&self, result: &ShardResult) -> Result<(), String>;
}

/// All chains of one shard.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardResult {
    /// Shard index in the plan.
    pub index: usize,
    /// Identifies data, plan and settings: a checkpoint with another one is stale.
    pub fingerprint: u64,
    /// Points of the shard in the likelihood.
    pub n_points: usize,
    /// One entry per chain.
    pub chains: Vec<ChainDraws>,
}

impl ShardResult {
    /// Kept draws in one coordinate system as (chain, draw, d).
    fn stack(&self, d: usize, pick: impl Fn(&ChainDraws) -> &[f64]) -> Array3<f64> {
        let n = self.chains.first().map_or(0, |c| c.diverging.len());
        let mut out = Array3::zeros((self.chains.len(), n, d));
        for (c, ch) in self.chains.iter().enumerate() {
            let v = pick(ch);
            for g in 0..n {
                for k in 0..d {
                    out[[c, g, k]] = v[g * d + k];
                }
            }
        }
        out
    }

    /// Divergent kept draws over all chains.
    pub fn divergences(&self) -> usize {
        self.chains
            .iter()
            .map(|c| c.diverging.iter().filter(|&&d| d).count())
            .sum()
    }

    /// Kept draws over all chains.
    pub fn n_draws(&self) -> usize {
        self.chains.iter().map(|c| c.diverging.len()).sum()
    }
}

/// One shard's figures in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardSummary {
    /// Shard index.
    pub index: usize,
    /// Points in the shard's likelihood.
    pub n_points: usize,
    /// Divergent kept draws.
    pub divergences: usize,
    /// Kept draws (all chains).
    pub n_draws: usize,
    /// Largest rank R-hat over the sampled parameters (NaN if undefined).
    pub max_rhat: f64,
    /// Smallest bulk ESS.
    pub min_ess_bulk: f64,
    /// Mean step size after adaptation.
    pub mean_step_size: f64,
    /// Mean leapfrog steps per draw.
    pub mean_steps: f64,
    /// Gradient evaluations (warm-up included).
    pub gradient_evaluations: u64,
    /// Wall seconds of the slowest chain.
    pub seconds: f64,
    /// Used in the combination.
    pub used: bool,
    /// Why not, if dropped.
    pub dropped_reason: Option<String>,
}

/// Per-draw sampler statistics of the combined posterior, (chain, draw). With one shard
/// they are the chain's own; with several, `diverging` is "any shard diverged at this
/// draw", `lp` the sum of the shards' log densities, the others means over shards.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleStats {
    /// Divergent transition.
    pub diverging: ndarray::Array2<bool>,
    /// Step size.
    pub step_size: ndarray::Array2<f64>,
    /// Tree depth.
    pub tree_depth: ndarray::Array2<i64>,
    /// Leapfrog steps.
    pub n_steps: ndarray::Array2<i64>,
    /// Log density.
    pub lp: ndarray::Array2<f64>,
    /// Hamiltonian energy.
    pub energy: ndarray::Array2<f64>,
    /// Mean tree acceptance.
    pub acceptance_rate: ndarray::Array2<f64>,
}

/// The posterior of a CMC run.
#[derive(Debug, Clone)]
pub struct CmcResult {
    /// Names of the sampled vector's entries (layout order).
    pub names: Vec<String>,
    /// Draws of the vector, (chain, draw, d).
    pub draws: Array3<f64>,
    /// Diagnostics per entry of the vector.
    pub summaries: Vec<homodyne_mcmc::Summary>,
    /// Sampler statistics per (chain, draw).
    pub sample_stats: SampleStats,
    /// E-BFMI per chain (NaN when undefined).
    pub ebfmi: Vec<f64>,
    /// Per shard.
    pub shards: Vec<ShardSummary>,
    /// Shards planned.
    pub num_shards: usize,
    /// Combination used (`nuts` for one shard).
    pub combination: String,
    /// Heterogeneity of shard means (coefficient of variation per parameter), if K > 1.
    pub heterogeneity: Vec<(String, f64)>,
    /// Divergent kept draws over all shards.
    pub divergences: usize,
    /// Kept draws over all shards and chains.
    pub total_draws: usize,
    /// Gradient evaluations over everything.
    pub gradient_evaluations: u64,
    /// Wall seconds.
    pub seconds: f64,
    /// Shards taken from checkpoints.
    pub resumed_shards: usize,
    /// The warm start used ("none" if the chains started at the prior's centre).
    pub warm_start: String,
    /// Settings.
    pub nuts: NutsOptions,
    /// Warnings for the report and the console.
    pub warnings: Vec<String>,
    /// The layout the draws are in (to decode per-angle values).
    pub layout: ParameterLayout,
    /// With several shards: each finished shard's own draws of the vector (shard index,
    /// (chain, draw, d)), for diagnosis. Empty for one shard.
    pub shard_draws: Vec<(usize, Array3<f64>)>,
}

impl CmcResult {
    /// Posterior mean of each entry.
    pub fn means(&self) -> Vec<f64> {
        self.summaries.iter().map(|s| s.mean).collect()
    }

    /// Posterior standard deviation of each entry.
    pub fn sds(&self) -> Vec<f64> {
        self.summaries.iter().map(|s| s.sd).collect()
    }

    /// Largest rank R-hat (NaN if every R-hat is undefined).
    pub fn max_rhat(&self) -> f64 {
        self.summaries
            .iter()
            .map(|s| s.rhat)
            .filter(|r| r.is_finite())
            .fold(f64::NAN, f64::max)
    }

    /// Smallest bulk ESS.
    pub fn min_ess_bulk(&self) -> f64 {
        self.summaries
            .iter()
            .map(|s| s.ess_bulk)
            .filter(|r| r.is_finite())
            .fold(f64::NAN, f64::min)
    }

    /// Fraction of kept draws that diverged.
    pub fn divergence_rate(&self) -> f64 {
        self.divergences as f64 / self.total_draws.max(1) as f64
    }

    /// The chains agree: every sampled parameter's rank R-hat is defined and below 1.1
    /// (the reference's threshold).
    pub fn converged(&self) -> bool {
        !self.summaries.is_empty()
            && self
                .summaries
                .iter()
                .all(|s| s.rhat.is_finite() && s.rhat < 1.1)
    }

    /// `good`: R-hat < 1.05, ESS-bulk >= 400, divergences <= 1 %, E-BFMI >= 0.3;
    /// `acceptable`: R-hat < 1.1, ESS-bulk >= 100, divergences <= 10 %; else `poor`.
    pub fn quality_flag(&self) -> &'static str {
        let (rhat, ess, div) = (self.max_rhat(), self.min_ess_bulk(), self.divergence_rate());
        let bfmi_ok = self.ebfmi.iter().all(|b| b.is_nan() || *b >= 0.3);
        if !self.converged() || ess.is_nan() || ess < 100.0 || div > 0.10 {
            "poor"
        } else if rhat < 1.05 && ess >= 400.0 && div <= 0.01 && bfmi_ok {
            "good"
        } else if rhat < 1.1 {
            "acceptable"
        } else {
            "poor"
        }
    }

    /// Why the sample is not `good`, in words (empty when it is).
    pub fn quality_reasons(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        let (rhat, ess, div) = (self.max_rhat(), self.min_ess_bulk(), self.divergence_rate());
        if rhat.is_nan() || rhat >= 1.05 {
            reasons.push(format!("largest R-hat {rhat:.3} (want < 1.05)"));
        }
        if ess.is_nan() || ess < 400.0 {
            reasons.push(format!("smallest bulk ESS {ess:.0} (want >= 400)"));
        }
        if div > 0.01 {
            reasons.push(format!(
                "{:.1} % divergent draws (want <= 1 %)",
                100.0 * div
            ));
        }
        if let Some(b) = self
            .ebfmi
            .iter()
            .copied()
            .filter(|b| *b < 0.3)
            .reduce(f64::min)
        {
            reasons.push(format!("E-BFMI {b:.2} (want >= 0.3)"));
        }
        reasons
    }

    /// A console table: each sampled parameter's posterior mean, sd, 90 % interval,
    /// R-hat and ESS, and the run's figures.
    pub fn summary_table(&self) -> String {
        use std::fmt::Write;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "CMC posterior ({}; {} shard(s), {} chains x {} draws, {} divergent, quality {})",
            self.combination,
            self.num_shards,
            self.nuts.num_chains,
            self.nuts.num_samples,
            self.divergences,
            self.quality_flag()
        );
        let _ = writeln!(
            t,
            "{:<20} {:>14} {:>12} {:>14} {:>14} {:>7} {:>7} {:>7}",
            "parameter", "mean", "sd", "5 %", "95 %", "R-hat", "ESS-b", "ESS-t"
        );
        for (name, s) in self.names.iter().zip(&self.summaries) {
            let _ = writeln!(
                t,
                "{:<20} {:>14.6e} {:>12.4e} {:>14.6e} {:>14.6e} {:>7.4} {:>7.0} {:>7.0}",
                name, s.mean, s.sd, s.q05, s.q95, s.rhat, s.ess_bulk, s.ess_tail
            );
        }
        for r in self.quality_reasons() {
            let _ = writeln!(t, "note: {r}");
        }
        t
    }

    /// Posterior covariance of the vector (pooled draws), row-major.
    pub fn covariance(&self) -> Vec<f64> {
        let (c, n, d) = self.draws.dim();
        let flat = self
            .draws
            .view()
            .into_shape_with_order((c * n, d))
            .map(|v| v.to_owned());
        let flat = match flat {
            Ok(f) => f,
            Err(_) => return vec![f64::NAN; d * d],
        };
        covariance(flat.view())
    }

    /// Draws decoded into the model's quantities: physical parameters (all 3 or 7,
    /// fixed ones constant) (chain, draw, p), contrast and offset per angle
    /// (chain, draw, n_phi).
    pub fn decoded(&self) -> (Array3<f64>, Array3<f64>, Array3<f64>) {
        let (c, n, _) = self.draws.dim();
        let p = self.layout.mode.n_physical();
        let a = self.layout.n_phi();
        let mut phys = Array3::zeros((c, n, p));
        let mut con = Array3::zeros((c, n, a));
        let mut off = Array3::zeros((c, n, a));
        for ci in 0..c {
            for g in 0..n {
                let x: Vec<f64> = self.draws.slice(s![ci, g, ..]).to_vec();
                let dec = self.layout.decode(&x);
                for k in 0..p {
                    phys[[ci, g, k]] = dec.physical[k];
                }
                for k in 0..a {
                    con[[ci, g, k]] = dec.contrast[k];
                    off[[ci, g, k]] = dec.offset[k];
                }
            }
        }
        (phys, con, off)
    }
}

/// Sample covariance (ddof 1) of rows of `x` (n, d), row-major d x d.
pub fn covariance(x: ArrayView2<f64>) -> Vec<f64> {
    let (n, d) = x.dim();
    let mean: Vec<f64> = (0..d).map(|k| x.column(k).sum() / n as f64).collect();
    let mut cov = vec![0.0; d * d];
    for row in x.rows() {
        for i in 0..d {
            let di = row[i] - mean[i];
            for j in 0..=i {
                cov[i * d + j] += di * (row[j] - mean[j]);
            }
        }
    }
    let denom = (n as f64 - 1.0).max(1.0);
    for i in 0..d {
        for j in 0..=i {
            let v = cov[i * d + j] / denom;
            cov[i * d + j] = v;
            cov[j * d + i] = v;
        }
    }
    cov
}

/// Build the shared target (coordinates, prior) for `k` shards.
pub fn build_target(
    problem: &Problem<'_>,
    warm: Option<&WarmStart>,
    k: usize,
) -> Result<Target, CmcError> {
    let names = problem.layout.names();
    let d = names.len();
    if d == 0 {
        return Err(CmcError::Setting {
            key: "initial_parameters.active_parameters".into(),
            value: "(none)".into(),
            expected: "at least one free parameter to sample".into(),
        });
    }
    if problem.lower.len() != d || problem.upper.len() != d {
        return Err(CmcError::Data(format!(
            "bounds have {} / {} entries; the parameter vector has {d}",
            problem.lower.len(),
            problem.upper.len()
        )));
    }
    let maps = names
        .iter()
        .enumerate()
        .map(|(i, n)| BoundMap::for_bounds(n, problem.lower[i], problem.upper[i]))
        .collect::<Result<Vec<_>, _>>()?;
    let prior = LogPrior::new(problem.space, &names, &problem.lower, &problem.upper)?;
    let centre_x: Vec<f64> = match warm {
        Some(w) => {
            if w.x.len() != d {
                return Err(CmcError::WarmStart(format!(
                    "{} ({}) has {} values; this problem samples {d} ({})",
                    w.source,
                    if w.x.len() < d { "fewer" } else { "more" },
                    w.x.len(),
                    names.join(", ")
                )));
            }
            if let Some((i, v)) = w.x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(CmcError::WarmStart(format!(
                    "{}: {} = {v} is not finite",
                    w.source, names[i]
                )));
            }
            w.x.clone()
        }
        None => (0..d)
            .map(|i| {
                let (lo, hi) = (problem.lower[i], problem.upper[i]);
                if lo.is_finite() && hi.is_finite() {
                    0.5 * (lo + hi)
                } else if lo.is_finite() {
                    lo + 1.0
                } else if hi.is_finite() {
                    hi - 1.0
                } else {
                    0.0
                }
            })
            .collect(),
    };
    // A warm start on (or next to) a bound sits where the bound map is flat: dy/dx there
    // is huge and the carried covariance useless. Start at least one warm-start sd (and
    // 0.1 % of the width) inside, at most 10 % of the width.
    let cov_x = warm
        .and_then(|w| w.covariance.as_ref())
        .filter(|c| c.len() == d * d);
    let centre_x: Vec<f64> = centre_x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let (lo, hi) = (problem.lower[i], problem.upper[i]);
            let width = hi - lo;
            let sd = cov_x.map_or(f64::NAN, |c| c[i * d + i].sqrt());
            let inset = if width.is_finite() {
                let sd = if sd.is_finite() { sd } else { 0.0 };
                sd.clamp(1e-3 * width, 0.1 * width)
            } else if sd.is_finite() && sd > 0.0 {
                sd
            } else {
                1e-3 * v.abs().max(1.0)
            };
            let mut x = v;
            if lo.is_finite() {
                x = x.max(lo + inset);
            }
            if hi.is_finite() {
                x = x.min(hi - inset);
            }
            x
        })
        .collect();
    let centre_y: Vec<f64> = centre_x
        .iter()
        .zip(&maps)
        .map(|(&v, m)| m.inverse(v))
        .collect();
    let scale = (k as f64).sqrt();
    let whitening = match cov_x {
        Some(cov) => {
            // Carry the covariance to y: Cov_y = D Cov_x D, D = diag(dy/dx).
            let dydx: Vec<f64> = centre_x
                .iter()
                .zip(&maps)
                .map(|(&v, m)| m.dy_dx(v))
                .collect();
            let mut cy = vec![0.0; d * d];
            for i in 0..d {
                for j in 0..d {
                    cy[i * d + j] = dydx[i] * cov[i * d + j] * dydx[j];
                }
            }
            // More than ~2 logit units of spread is no longer a Gaussian scale in y:
            // cap each sd there, keeping the correlations.
            let cap: Vec<f64> = (0..d)
                .map(|i| {
                    let v = cy[i * d + i];
                    if matches!(maps[i], BoundMap::Identity) || v.is_nan() || v <= 4.0 {
                        1.0
                    } else {
                        2.0 / v.sqrt()
                    }
                })
                .collect();
            for i in 0..d {
                for j in 0..d {
                    cy[i * d + j] *= cap[i] * cap[j];
                }
            }
            Whitening::from_covariance(centre_y, &cy, scale)
        }
        _ => {
            let mut w = Whitening::identity(centre_y);
            w.scale = scale;
            w
        }
    };
    Ok(Target {
        experiment: Arc::new(problem.experiment.clone()),
        layout: Arc::new(problem.layout.clone()),
        maps,
        whitening,
        prior,
        prior_weight: 1.0 / k as f64,
    })
}

fn fingerprint(
    target: &Target,
    options: &CmcOptions,
    k: usize,
    shard: &ShardData,
    index: usize,
) -> u64 {
    let mut h = DefaultHasher::new();
    "homodyne-cmc shard v1".hash(&mut h);
    index.hash(&mut h);
    k.hash(&mut h);
    let n = &options.nuts;
    (
        n.num_warmup,
        n.num_samples,
        n.num_chains,
        n.max_tree_depth,
        n.dense_mass,
        n.seed,
    )
        .hash(&mut h);
    n.target_accept.to_bits().hash(&mut h);
    target.layout.names().hash(&mut h);
    for v in target
        .whitening
        .center
        .iter()
        .chain(&target.whitening.factor)
        .chain(std::iter::once(&target.whitening.scale))
    {
        v.to_bits().hash(&mut h);
    }
    for v in shard.upper_values().iter().chain(shard.lower_values()) {
        v.to_bits().hash(&mut h);
    }
    shard.pairs().hash(&mut h);
    h.finish()
}

/// Run CMC on `problem`: `K` shards x chains of NUTS, combined into one posterior.
pub fn sample(
    problem: &Problem<'_>,
    warm: Option<&WarmStart>,
    options: &CmcOptions,
    store: Option<&dyn ShardStore>,
    observer: &dyn CmcObserver,
) -> Result<CmcResult, CmcError> {
    match sample_stage(problem, warm, options, store, observer, &Stage::All)? {
        StageOutput::Posterior(r) => Ok(*r),
        StageOutput::Ran { .. } => Err(CmcError::Data("no posterior was combined".into())),
    }
}

/// Which part of a run to do: everything, some shards (a job-array task or an MPI rank;
/// results go to the store), or only the combination of what the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Sample every shard not in the store, then combine.
    All,
    /// Sample these shards (those already in the store are skipped) and stop. An empty
    /// list only resolves the plan (its size is in the output).
    Shards(Vec<usize>),
    /// Combine the shards in the store. Missing shards are an error naming them, unless
    /// `allow_missing`: then they count as failed (the success-rate rule applies).
    Combine {
        /// Combine what is there.
        allow_missing: bool,
    },
}

/// What a [`Stage`] produced.
#[derive(Debug, Clone)]
pub enum StageOutput {
    /// The combined posterior.
    Posterior(Box<CmcResult>),
    /// Shards sampled (or found finished) by a [`Stage::Shards`] call, of `total` planned.
    Ran {
        /// Shard indices now in the store (run here or found there).
        done: Vec<usize>,
        /// Shards in the plan.
        total: usize,
    },
}

/// [`sample`] one [`Stage`] at a time: the same plan, seeds and fingerprints on every
/// call, so shards run anywhere (threads, MPI ranks, job-array tasks) combine into the
/// same bytes as one local run.
pub fn sample_stage(
    problem: &Problem<'_>,
    warm: Option<&WarmStart>,
    options: &CmcOptions,
    store: Option<&dyn ShardStore>,
    observer: &dyn CmcObserver,
    stage: &Stage,
) -> Result<StageOutput, CmcError> {
    let started = Instant::now();
    let nuts = options.nuts;
    check_nuts(&nuts)?;
    let n_t = problem.experiment.n_t();
    let n_pairs = n_t * n_t.saturating_sub(1) / 2;
    check_finite(problem)?;
    let data = problem
        .c2
        .fit_data(problem.experiment, Sigma::PerAngle(&problem.sigma))?;
    if problem.sigma.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(CmcError::Data(format!(
            "noise level per angle must be finite and positive; got {:?}",
            problem.sigma
        )));
    }
    let n_points_total = data.n_valid_points()
        / if problem.triangles == Triangles::Upper {
            2
        } else {
            1
        };
    if n_points_total == 0 {
        return Err(CmcError::Data(
            "no finite data points to sample from".into(),
        ));
    }
    let threads = if options.threads == 0 {
        rayon::current_num_threads()
    } else {
        options.threads
    };
    let d = problem.layout.n_params();
    let k = options
        .shards
        .resolve(n_points_total, n_pairs, d, nuts.num_chains, threads)?;
    let target = Arc::new(build_target(problem, warm, k)?);
    let plan = ShardPlan::new(n_t, k, nuts.seed)?;
    let shard_data: Vec<Arc<ShardData>> = plan
        .shards
        .iter()
        .map(|p| ShardData::extract(&data, p.clone(), problem.triangles).map(Arc::new))
        .collect::<Result<_, _>>()?;
    let prints: Vec<u64> = shard_data
        .iter()
        .enumerate()
        .map(|(i, s)| fingerprint(&target, options, k, s, i))
        .collect();
    info!(shards = k, chains = nuts.num_chains, threads, "cmc plan");

    // Resume what a store already has.
    let results: Vec<Mutex<Option<ShardResult>>> = (0..k)
        .map(|i| Mutex::new(store.and_then(|s| s.load(i, prints[i]))))
        .collect();
    let resumed = results
        .iter()
        .filter(|r| r.lock().map(|g| g.is_some()).unwrap_or(false))
        .count();
    observer.planned(
        k,
        nuts.num_chains,
        nuts.num_warmup + nuts.num_samples,
        resumed,
    );

    let wanted: Vec<usize> = match stage {
        Stage::All => (0..k).collect(),
        Stage::Shards(list) => {
            if let Some(&bad) = list.iter().find(|&&i| i >= k) {
                return Err(CmcError::Setting {
                    key: "shard index".into(),
                    value: bad.to_string(),
                    expected: format!("0 to {} (the plan has {k} shards)", k - 1),
                });
            }
            list.clone()
        }
        Stage::Combine { allow_missing } => {
            let missing: Vec<usize> = (0..k)
                .filter(|&i| results[i].lock().map(|g| g.is_none()).unwrap_or(true))
                .collect();
            if !missing.is_empty() && (!allow_missing || missing.len() == k) {
                return Err(CmcError::MissingShards { missing, total: k });
            }
            if !missing.is_empty() {
                warn!(
                    "combining {} of {k} shards; missing {missing:?} count as failed",
                    k - missing.len()
                );
            }
            Vec::new()
        }
    };
    let tasks: Vec<(usize, usize)> = wanted
        .iter()
        .copied()
        .filter(|&i| results[i].lock().map(|g| g.is_none()).unwrap_or(true))
        .flat_map(|i| (0..nuts.num_chains).map(move |c| (i, c)))
        .collect();
    // Likelihood sums run in parallel only when chains alone leave threads idle; every
    // `Par` gives the same bits, so this choice never changes the draws.
    let par = if tasks.len() < threads {
        Par::rayon(threads.div_ceil(tasks.len().max(1)))
    } else {
        Par::Seq
    };
    let pending: Vec<Mutex<Vec<Option<ChainDraws>>>> = (0..k)
        .map(|_| Mutex::new(vec![None; nuts.num_chains]))
        .collect();
    let remaining: Vec<AtomicUsize> = (0..k).map(|_| AtomicUsize::new(nuts.num_chains)).collect();
    let init_z = vec![0.0; d];
    let first_error: Mutex<Option<CmcError>> = Mutex::new(None);

    let run_all = || {
        tasks.par_iter().for_each(|&(i, c)| {
            if observer.cancelled() || first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                return;
            }
            let posterior = ShardPosterior::new(target.clone(), shard_data[i].clone(), par);
            let init = jitter(&init_z, plan.chain_seed(i), c);
            let on_draw = |ev: DrawEvent| {
                observer.draw(i, c, ev);
                !observer.cancelled()
            };
            let to_x = |z: &[f64]| target.to_x(z);
            match run_chain(
                posterior,
                &to_x,
                &nuts,
                c as u64,
                plan.chain_seed(i),
                &init,
                &on_draw,
            ) {
                Ok(draws) => {
                    if let Ok(mut p) = pending[i].lock() {
                        p[c] = Some(draws);
                    }
                    if remaining[i].fetch_sub(1, Ordering::AcqRel) == 1 {
                        let chains: Vec<ChainDraws> = pending[i]
                            .lock()
                            .map(|mut p| {
                                p.iter_mut().map(|c| c.take().unwrap_or_default()).collect()
                            })
                            .unwrap_or_default();
                        let result = ShardResult {
                            index: i,
                            fingerprint: prints[i],
                            n_points: shard_data[i].n_valid_points(),
                            chains,
                        };
                        if let Some(s) = store
                            && let Err(e) = s.save(&result)
                        {
                            warn!("shard {i}: checkpoint not saved: {e}");
                        }
                        observer.shard_finished(i, &result);
                        if let Ok(mut r) = results[i].lock() {
                            *r = Some(result);
                        }
                    }
                }
                Err(reason) if reason == "interrupted" => {}
                Err(reason) => {
                    if let Ok(mut e) = first_error.lock()
                        && e.is_none()
                    {
                        *e = Some(CmcError::Sampler {
                            shard: i,
                            chain: c,
                            reason,
                        });
                    }
                }
            }
        });
    };
    if options.threads == 0 {
        run_all();
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .map_err(|e| CmcError::Data(format!("thread pool: {e}")))?;
        pool.install(run_all);
    }
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let finished: Vec<Option<ShardResult>> = results
        .into_iter()
        .map(|m| m.into_inner().ok().flatten())
        .collect();
    let done = finished.iter().filter(|r| r.is_some()).count();
    if observer.cancelled() {
        return Err(CmcError::Interrupted { done, total: k });
    }
    match stage {
        Stage::Shards(list) => {
            let done: Vec<usize> = list
                .iter()
                .copied()
                .filter(|&i| finished[i].is_some())
                .collect();
            if done.len() < list.len() {
                return Err(CmcError::Interrupted {
                    done: done.len(),
                    total: list.len(),
                });
            }
            return Ok(StageOutput::Ran { done, total: k });
        }
        Stage::All if done < k => return Err(CmcError::Interrupted { done, total: k }),
        _ => {}
    }
    let finished: Vec<ShardResult> = finished.into_iter().flatten().collect();
    finish(problem, &target, options, &finished, k, resumed, started)
        .map(|r| StageOutput::Posterior(Box::new(r)))
}

/// A small seeded jitter around the start, different per chain (so that R-hat can see
/// chains that do not mix).
fn jitter(z0: &[f64], seed: u64, chain: usize) -> Vec<f64> {
    use nuts_rs::rand::SeedableRng;
    use nuts_rs::rand::rngs::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC4A1_5EED);
    rng.set_stream(chain as u64 + 1);
    z0.iter()
        .map(|&z| {
            let e: f64 = StandardNormal.sample(&mut rng);
            z + 0.5 * e
        })
        .collect()
}

/// NaN or infinite c2 off the diagonal: CMC needs every point of the likelihood (the
/// reference refuses such data too); the message says where.
fn check_finite(problem: &Problem<'_>) -> Result<(), CmcError> {
    let shape = problem.c2.shape().to_vec();
    if shape.len() != 3 {
        return Err(CmcError::Data(format!(
            "c2 has shape {shape:?}; expected (n_phi, n_t, n_t)"
        )));
    }
    let (n_phi, n_t) = (shape[0], shape[1]);
    let mut bad = 0usize;
    let mut first = None;
    for a in 0..n_phi {
        for i in 0..n_t {
            for j in 0..n_t {
                if i != j {
                    let v = problem.c2.get([a, i, j]);
                    if !v.is_finite() {
                        bad += 1;
                        first.get_or_insert((a, i, j, v));
                    }
                }
            }
        }
    }
    if let Some((a, i, j, v)) = first {
        return Err(CmcError::Data(format!(
            "c2 has {bad} non-finite values off the diagonal (first: angle {a}, frames ({i}, \
             {j}) = {v}); CMC needs finite data: exclude those frames or angles"
        )));
    }
    Ok(())
}

fn check_nuts(n: &NutsOptions) -> Result<(), CmcError> {
    let bad = |key: &str, value: String, expected: &str| {
        Err(CmcError::Setting {
            key: key.into(),
            value,
            expected: expected.into(),
        })
    };
    if n.num_samples < 10 {
        return bad(
            "n_samples",
            n.num_samples.to_string(),
            "at least 10 draws per chain",
        );
    }
    if n.num_chains == 0 {
        return bad("n_chains", "0".into(), "at least 1 chain (4 recommended)");
    }
    if !(n.target_accept > 0.0 && n.target_accept < 1.0) {
        return bad(
            "target_accept_prob",
            n.target_accept.to_string(),
            "a probability strictly between 0 and 1",
        );
    }
    if n.max_tree_depth == 0 || n.max_tree_depth > 20 {
        return bad(
            "max_tree_depth",
            n.max_tree_depth.to_string(),
            "between 1 and 20",
        );
    }
    Ok(())
}

/// Combine the finished shards and diagnose the result.
fn finish(
    problem: &Problem<'_>,
    target: &Target,
    options: &CmcOptions,
    finished: &[ShardResult],
    k: usize,
    resumed: usize,
    started: Instant,
) -> Result<CmcResult, CmcError> {
    let d = target.dim();
    let names = problem.layout.names();
    let nuts = options.nuts;
    let mut warnings = Vec::new();
    let z_draws: Vec<Array3<f64>> = finished.iter().map(|r| r.stack(d, |c| &c.z)).collect();
    let x_draws: Vec<Array3<f64>> = finished.iter().map(|r| r.stack(d, |c| &c.x)).collect();
    let mut shards: Vec<ShardSummary> = finished
        .iter()
        .zip(&x_draws)
        .map(|(r, x)| shard_summary(r, x))
        .collect();

    let (draws, combination, heterogeneity) = if k == 1 {
        (x_draws[0].clone(), "nuts".to_string(), Vec::new())
    } else {
        // Heterogeneity is judged on the physical parameters' shard means, with the
        // reference's scale floor (1 % of the bound width).
        let x_means: Vec<Vec<f64>> = x_draws
            .iter()
            .map(|x| {
                let (c, n, _) = x.dim();
                (0..d)
                    .map(|j| x.slice(s![.., .., j]).sum() / (c * n).max(1) as f64)
                    .collect()
            })
            .collect();
        let inputs: Vec<homodyne_mcmc::ShardInput<'_>> = z_draws
            .iter()
            .zip(finished)
            .zip(&x_means)
            .map(|((z, r), m)| homodyne_mcmc::ShardInput {
                draws: z.view(),
                divergent: r.divergences(),
                heterogeneity_means: Some(m),
            })
            .collect();
        let mut combine = options.combine.clone();
        combine.heterogeneity.floor = Some(
            problem
                .lower
                .iter()
                .zip(&problem.upper)
                .map(|(lo, hi)| {
                    if (hi - lo).is_finite() {
                        0.01 * (hi - lo)
                    } else {
                        0.0
                    }
                })
                .collect(),
        );
        if combine.heterogeneity.checked.is_none() {
            combine.heterogeneity.checked = Some(
                names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| {
                        ["D0", "alpha", "D_offset", "gamma_dot_t0", "beta"].contains(&n.as_str())
                    })
                    .map(|(j, _)| j)
                    .collect(),
            );
        }
        let failed = k - finished.len();
        let combined = homodyne_mcmc::combine(&inputs, failed, options.combination, &combine)
            .map_err(|e| CmcError::Combine(e.to_string()))?;
        for s in shards.iter_mut() {
            s.used = false;
        }
        for &u in &combined.used {
            shards[u].used = true;
        }
        for dropped in &combined.dropped {
            let reason = dropped.reason.to_string();
            warnings.push(format!(
                "shard {} dropped: {reason}",
                finished[dropped.shard].index
            ));
            shards[dropped.shard].dropped_reason = Some(reason);
        }
        let het: Vec<(String, f64)> = combined
            .heterogeneity
            .cv
            .iter()
            .enumerate()
            .map(|(j, &cv)| (names[j].clone(), cv))
            .collect();
        for &j in &combined.heterogeneity.warned {
            warnings.push(format!(
                "shards disagree on {}: coefficient of variation of shard means {:.2}",
                names[j], combined.heterogeneity.cv[j]
            ));
        }
        // Combined draws are in z; map each to x.
        let (c, n, _) = combined.draws.dim();
        let mut x = Array3::zeros((c, n, d));
        for ci in 0..c {
            for g in 0..n {
                let z: Vec<f64> = combined.draws.slice(s![ci, g, ..]).to_vec();
                let xv = target.to_x(&z);
                for j in 0..d {
                    x[[ci, g, j]] = xv[j];
                }
            }
        }
        (x, combined.method.name().to_string(), het)
    };

    let summaries: Vec<homodyne_mcmc::Summary> = (0..d)
        .map(|j| homodyne_mcmc::summarize(draws.slice(s![.., .., j])))
        .collect();
    let sample_stats = merge_stats(finished);
    let ebfmi = if k == 1 {
        homodyne_mcmc::ebfmi(sample_stats.energy.view())
    } else {
        // Energies of different shards' Hamiltonians do not add up to one; judge each
        // shard's chains and report the worst per chain.
        let mut worst = vec![f64::NAN; nuts.num_chains];
        for r in finished {
            let e = ndarray::Array2::from_shape_fn(
                (r.chains.len(), r.chains[0].energy.len()),
                |(c, g)| r.chains[c].energy[g],
            );
            for (c, v) in homodyne_mcmc::ebfmi(e.view()).into_iter().enumerate() {
                if v.is_finite() && (worst[c].is_nan() || v < worst[c]) {
                    worst[c] = v;
                }
            }
        }
        worst
    };
    let divergences: usize = finished.iter().map(|r| r.divergences()).sum();
    let total_draws: usize = finished.iter().map(|r| r.n_draws()).sum();
    let gradient_evaluations = finished
        .iter()
        .flat_map(|r| &r.chains)
        .map(|c| c.gradient_evaluations)
        .sum();
    let rate = divergences as f64 / total_draws.max(1) as f64;
    if rate > 0.0 {
        warnings.push(format!(
            "{divergences} of {total_draws} draws diverged ({:.2} %){}",
            100.0 * rate,
            if rate > 0.01 {
                ": the posterior geometry is hard here; consider a higher target_accept_prob"
            } else {
                ""
            }
        ));
    }
    let max_rhat = summaries
        .iter()
        .map(|s| s.rhat)
        .filter(|r| r.is_finite())
        .fold(f64::NAN, f64::max);
    if max_rhat > 1.01 {
        warnings.push(format!(
            "largest R-hat is {max_rhat:.3} (> 1.01): chains disagree; run longer"
        ));
    }
    if let Some((j, s)) = summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| s.ess_bulk.is_finite())
        .min_by(|a, b| a.1.ess_bulk.total_cmp(&b.1.ess_bulk))
        && s.ess_bulk < 400.0
    {
        warnings.push(format!(
            "smallest bulk ESS is {:.0} ({}): below 400, increase n_samples",
            s.ess_bulk, names[j]
        ));
    }
    for (c, b) in ebfmi.iter().enumerate() {
        if *b < 0.3 {
            warnings.push(format!(
                "chain {c}: E-BFMI {b:.2} < 0.3 (poor exploration of the energy)"
            ));
        }
    }
    Ok(CmcResult {
        names,
        draws,
        summaries,
        sample_stats,
        ebfmi,
        shards,
        num_shards: k,
        combination,
        heterogeneity,
        divergences,
        total_draws,
        gradient_evaluations,
        seconds: started.elapsed().as_secs_f64(),
        resumed_shards: resumed,
        warm_start: String::new(),
        nuts,
        warnings,
        layout: problem.layout.clone(),
        shard_draws: if k > 1 {
            finished.iter().map(|r| r.index).zip(x_draws).collect()
        } else {
            Vec::new()
        },
    })
}

fn shard_summary(r: &ShardResult, x: &Array3<f64>) -> ShardSummary {
    let d = x.dim().2;
    let sums: Vec<homodyne_mcmc::Summary> = (0..d)
        .map(|j| homodyne_mcmc::summarize(x.slice(s![.., .., j])))
        .collect();
    let n = r.n_draws().max(1) as f64;
    ShardSummary {
        index: r.index,
        n_points: r.n_points,
        divergences: r.divergences(),
        n_draws: r.n_draws(),
        max_rhat: sums
            .iter()
            .map(|s| s.rhat)
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max),
        min_ess_bulk: sums
            .iter()
            .map(|s| s.ess_bulk)
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::min),
        mean_step_size: r.chains.iter().flat_map(|c| &c.step_size).sum::<f64>() / n,
        mean_steps: r
            .chains
            .iter()
            .flat_map(|c| &c.n_steps)
            .map(|&v| v as f64)
            .sum::<f64>()
            / n,
        gradient_evaluations: r.chains.iter().map(|c| c.gradient_evaluations).sum(),
        seconds: r.chains.iter().map(|c| c.seconds).fold(0.0, f64::max),
        used: true,
        dropped_reason: None,
    }
}

/// Per-draw statistics over shards (see [`SampleStats`]).
fn merge_stats(finished: &[ShardResult]) -> SampleStats {
    let chains = finished.first().map_or(0, |r| r.chains.len());
    let n = finished
        .first()
        .and_then(|r| r.chains.first())
        .map_or(0, |c| c.diverging.len());
    let k = finished.len().max(1) as f64;
    let mut st = SampleStats {
        diverging: ndarray::Array2::from_elem((chains, n), false),
        step_size: ndarray::Array2::zeros((chains, n)),
        tree_depth: ndarray::Array2::zeros((chains, n)),
        n_steps: ndarray::Array2::zeros((chains, n)),
        lp: ndarray::Array2::zeros((chains, n)),
        energy: ndarray::Array2::zeros((chains, n)),
        acceptance_rate: ndarray::Array2::zeros((chains, n)),
    };
    let mut depth = ndarray::Array2::<f64>::zeros((chains, n));
    let mut steps = ndarray::Array2::<f64>::zeros((chains, n));
    for r in finished {
        for (c, ch) in r.chains.iter().enumerate().take(chains) {
            for g in 0..n.min(ch.diverging.len()) {
                st.diverging[[c, g]] |= ch.diverging[g];
                st.step_size[[c, g]] += ch.step_size[g] / k;
                depth[[c, g]] += ch.tree_depth[g] as f64 / k;
                steps[[c, g]] += ch.n_steps[g] as f64 / k;
                st.lp[[c, g]] += ch.lp[g];
                st.energy[[c, g]] += ch.energy[g];
                st.acceptance_rate[[c, g]] += ch.acceptance_rate[g] / k;
            }
        }
    }
    st.tree_depth = depth.mapv(|v| v.round() as i64);
    st.n_steps = steps.mapv(|v| v.round() as i64);
    st
}
