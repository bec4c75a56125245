//! The Bayesian analysis (CMC): the configuration's `optimization.cmc` and
//! `optimization.mcmc` sections resolved into sampler settings, the warm start (an NLSQ
//! fit: inline, read from an earlier run's folder, or none), NUTS on shards, and the
//! result files.

use std::path::{Path, PathBuf};

use homodyne_cmc::{
    CmcObserver, CmcOptions, CmcResult, DrawEvent, NutsOptions, ShardCount, Stage as CmcStage,
    StageOutput, WarmStart,
};
use homodyne_config::{AutoOr, CmcConfig, McmcConfig};
use homodyne_data::XpcsData;
use homodyne_io::{CmcRun, OutputOptions, ShardCheckpoints, Surfaces};
use homodyne_mcmc::{CombineMethod, CombineOptions};
use homodyne_model::AnalysisMode;
use homodyne_model::scaling::{PerAngleMode, ScalingKind};
use homodyne_nlsq::{Fitter, NlsqResult};
use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::error::{Result, invalid};
use crate::observer::{AsProgress, Observer, Stage};
use crate::overrides::Overrides;

/// Reduced chi^2 above which an NLSQ fit is not used as a warm start (the reference's
/// acceptance rule).
pub const WARM_START_MAX_REDUCED_CHI2: f64 = 100.0;

/// Where the chains start.
#[derive(Debug, Clone, Copy)]
pub enum WarmStartFrom<'a> {
    /// An NLSQ fit of the same data made in this run.
    Nlsq(&'a NlsqResult),
    /// The NLSQ results of an earlier run: `DIR/nlsq/parameters.json`,
    /// `DIR/parameters.json`, or that file itself (`--nlsq-result`).
    Folder(&'a Path),
    /// No warm start: chains start at the configured initial values
    /// (`--no-nlsq-warmstart`).
    None,
    /// A warm start resolved earlier (a shard plan's): used as it is.
    Given(&'a WarmStart),
}

/// The CMC settings a run uses, resolved from the configuration and the overrides.
#[derive(Debug, Clone)]
pub struct CmcSettings {
    /// NUTS per shard.
    pub nuts: NutsOptions,
    /// Number of shards.
    pub shards: ShardCount,
    /// How shard posteriors are combined.
    pub combination: CombineMethod,
    /// Shard filters.
    pub combine: CombineOptions,
    /// Per-angle scaling as configured (`optimization.cmc.per_angle_mode`).
    pub per_angle_mode: String,
    /// Shards needed before `per_angle_mode: auto` averages.
    pub constant_scaling_threshold: usize,
    /// Keep finished shards in `<out>/cmc/shards` and resume from them.
    pub checkpoints: bool,
    /// The backend (`local` here; cluster backends are separate commands).
    pub backend: String,
    /// Laminar flow without a warm start is an error (`validation.require_nlsq_warmstart`).
    pub require_warm_start: bool,
    /// Notes on settings that changed meaning or have no effect (each said once).
    pub notes: Vec<String>,
}

impl CmcSettings {
    /// The settings as JSON (echoed into the result files).
    pub fn to_json(&self) -> Value {
        json!({
            "num_warmup": self.nuts.num_warmup,
            "num_samples": self.nuts.num_samples,
            "num_chains": self.nuts.num_chains,
            "max_tree_depth": self.nuts.max_tree_depth,
            "target_accept_prob": self.nuts.target_accept,
            "dense_mass": self.nuts.dense_mass,
            "seed": self.nuts.seed,
            "num_shards": match self.shards {
                ShardCount::Auto => json!("auto"),
                ShardCount::Shards(k) => json!(k),
                ShardCount::MaxPointsPerShard(m) => json!({"max_points_per_shard": m}),
            },
            "combination_method": self.combination.name(),
            "max_divergence_rate": self.combine.max_divergence_rate,
            "min_success_rate": self.combine.min_success_rate,
            "per_angle_mode": self.per_angle_mode,
            "checkpoints": self.checkpoints,
            "backend": self.backend,
            "noise_model": "fixed per-angle sigma measured from the data (as NLSQ)",
            "prior_fractionation": "exact: (prior x Jacobian)^(1/K) per shard",
            "coordinates": "logit/log bound maps, whitened with the warm start's covariance",
        })
    }
}

/// A finished CMC run: the posterior and what it was computed with.
#[derive(Debug, Clone)]
pub struct CmcOutcome {
    /// The posterior.
    pub result: CmcResult,
    /// Settings used.
    pub settings: CmcSettings,
    /// The noise level of each angle in the likelihood.
    pub sigma: Vec<f64>,
    /// The NLSQ fit used as the warm start, if it was made in this run.
    pub nlsq: Option<NlsqResult>,
}

fn auto_u64(v: AutoOr<u64>) -> Option<u64> {
    match v {
        AutoOr::Auto => None,
        AutoOr::Value(x) => Some(x),
    }
}

/// Resolve the `cmc` and `mcmc` sections (the reference's precedence: draws and chains
/// come from the command line, else from `optimization.mcmc`, whose values — given or
/// default — replace `cmc.per_shard_mcmc`'s).
pub(crate) fn settings(
    cmc: &CmcConfig,
    mcmc: &McmcConfig,
    overrides: &crate::Overrides,
    mode: AnalysisMode,
) -> Result<CmcSettings> {
    let mut notes = Vec::new();
    let ps = &cmc.per_shard_mcmc;
    let num_samples = overrides.n_samples.unwrap_or(mcmc.num_samples);
    let num_warmup = overrides.n_warmup.unwrap_or(mcmc.num_warmup);
    let num_chains = overrides.n_chains.unwrap_or(mcmc.num_chains as usize);
    for (key, configured, used) in [
        ("num_samples", ps.num_samples, num_samples),
        ("num_warmup", ps.num_warmup, num_warmup),
        ("num_chains", ps.num_chains, num_chains as u64),
    ] {
        if configured != used {
            notes.push(format!(
                "optimization.cmc.per_shard_mcmc.{key} = {configured} is replaced by {used} \
                 (command line, else optimization.mcmc.{key}: the reference's precedence)"
            ));
        }
    }
    if num_chains == 0 {
        return Err(invalid!(
            "n_chains = 0: need at least 1 chain (4 recommended)"
        ));
    }
    if num_samples < 10 {
        return Err(invalid!(
            "n_samples = {num_samples}: need at least 10 draws per chain"
        ));
    }
    // The reference raises target_accept to 0.9 for laminar flow.
    let mut target_accept = ps.target_accept_prob;
    if mode == AnalysisMode::LaminarFlow {
        target_accept = target_accept.max(0.9);
    }
    if !(target_accept > 0.0 && target_accept < 1.0) {
        return Err(invalid!(
            "optimization.cmc.per_shard_mcmc.target_accept_prob = {target_accept}: expected a \
             probability between 0 and 1"
        ));
    }
    let nuts = NutsOptions {
        num_warmup,
        num_samples,
        num_chains,
        max_tree_depth: ps.max_tree_depth,
        target_accept,
        dense_mass: ps.dense_mass,
        seed: cmc.seed,
    };
    let shards = match (
        overrides.cmc_num_shards,
        auto_u64(cmc.sharding.num_shards),
        auto_u64(cmc.sharding.max_points_per_shard),
    ) {
        (Some(k), _, _) => ShardCount::Shards(k),
        (None, Some(k), _) => ShardCount::Shards(k as usize),
        (None, None, Some(m)) => ShardCount::MaxPointsPerShard(m as usize),
        (None, None, None) => ShardCount::Auto,
    };
    if cmc.sharding.strategy != "random" {
        notes.push(format!(
            "optimization.cmc.sharding.strategy = {}: shards are always dealt at random (whole \
             time pairs, every angle in every shard), which keeps shard posteriors exchangeable",
            cmc.sharding.strategy
        ));
    }
    let method_name = if cmc.combination.method == "auto" {
        "robust_consensus_mc"
    } else {
        cmc.combination.method.as_str()
    };
    let combination: CombineMethod = method_name
        .parse()
        .map_err(|e| invalid!("optimization.cmc.combination.method: {e}"))?;
    if matches!(
        combination,
        CombineMethod::WeightedGaussian | CombineMethod::SimpleAverage
    ) {
        notes.push(format!(
            "optimization.cmc.combination.method = {method_name} is deprecated: {}",
            if combination == CombineMethod::SimpleAverage {
                "treated as consensus_mc (draw-by-draw, full covariance)"
            } else {
                "synthetic draws from the Gaussian product of the shards (no chain structure); \
                 consensus_mc keeps real draws"
            }
        ));
    }
    let mut combine = CombineOptions {
        max_divergence_rate: cmc.validation.max_divergence_rate,
        min_success_rate: cmc.combination.min_success_rate,
        seed: cmc.seed,
        ..CombineOptions::default()
    };
    combine.heterogeneity.max_cv = cmc.validation.max_parameter_cv;
    combine.heterogeneity.abort = cmc.validation.heterogeneity_abort;
    if cmc.validation.use_nlsq_informed_priors {
        notes.push(
            "optimization.cmc.validation.use_nlsq_informed_priors: the NLSQ fit sets the chains' \
             start and scaling only; it is not a prior (the data would count twice)"
                .into(),
        );
    }
    let backend = overrides
        .cmc_backend
        .clone()
        .unwrap_or_else(|| cmc.effective_backend());
    let backend = match backend.as_str() {
        "auto" | "multiprocessing" | "jax" | "pjit" | "local" | "numpy" => "local".to_string(),
        // Ranks under mpiexec (the command line's `--cmc-backend mpi`).
        "mpi" => "mpi".to_string(),
        other => {
            return Err(invalid!(
                "CMC backend \"{other}\" is not available: use \"local\" (all cores of this \
                 machine), \"mpi\" under mpiexec, or job arrays (`homodyne cmc plan | shard | \
                 combine`)"
            ));
        }
    };
    let ignored: Vec<&str> = [
        ("per_shard_mcmc.adaptive_sampling", !ps.adaptive_sampling),
        ("per_shard_mcmc.chain_method", ps.chain_method != "parallel"),
        (
            "per_shard_mcmc.enable_jax_profiling",
            ps.enable_jax_profiling,
        ),
        ("reparameterization", true),
        ("per_shard_timeout", cmc.per_shard_timeout != 3600.0),
        ("heartbeat_timeout", cmc.heartbeat_timeout != 600.0),
    ]
    .into_iter()
    .filter(|(_, differs)| *differs)
    .map(|(k, _)| k)
    .collect();
    if ignored.iter().any(|k| *k != "reparameterization") {
        notes.push(format!(
            "optimization.cmc keys without effect here: {} (chains run on all cores, every \
             shard gets the full draw counts)",
            ignored.join(", ")
        ));
    }
    Ok(CmcSettings {
        nuts,
        shards,
        combination,
        combine,
        per_angle_mode: cmc.per_angle_mode.clone(),
        constant_scaling_threshold: cmc.constant_scaling_threshold as usize,
        checkpoints: cmc.backend_config.enable_checkpoints
            && cmc.backend_config.resume_from_checkpoint,
        backend,
        require_warm_start: cmc.validation.require_nlsq_warmstart,
        notes,
    })
}

/// The per-angle mode CMC samples with: `individual` and `constant` as configured;
/// `constant_averaged` fixes one averaged estimate; `auto` follows the NLSQ fit's
/// resolved mode when there is one (so both answer the same model), else averages from
/// `threshold` angles on.
fn scaling_mode(
    configured: &str,
    n_phi: usize,
    threshold: usize,
    nlsq: Option<ScalingKind>,
) -> Result<PerAngleMode> {
    Ok(match configured {
        "individual" => PerAngleMode::Individual,
        "constant" | "constant_averaged" => PerAngleMode::Constant,
        "auto" => match nlsq {
            Some(ScalingKind::Individual) => PerAngleMode::Individual,
            Some(ScalingKind::Averaged) => PerAngleMode::Averaged,
            Some(ScalingKind::FixedConstant) => PerAngleMode::Constant,
            Some(ScalingKind::Fourier { .. }) => PerAngleMode::Fourier,
            None if n_phi >= threshold => PerAngleMode::Averaged,
            None => PerAngleMode::Individual,
        },
        other => {
            return Err(invalid!(
                "optimization.cmc.per_angle_mode = {other}: expected auto, individual, constant or \
                 constant_averaged"
            ));
        }
    })
}

/// Values of an earlier run's NLSQ `parameters.json`.
struct SavedFit {
    mode: String,
    physical: Vec<(String, f64, f64)>,
    contrast: (f64, f64),
    offset: (f64, f64),
    reduced_chi2: Option<f64>,
    source: PathBuf,
}

fn read_saved_fit(path: &Path) -> Result<SavedFit> {
    let file = if path.is_file() {
        path.to_path_buf()
    } else if path.join("nlsq").join("parameters.json").is_file() {
        path.join("nlsq").join("parameters.json")
    } else if path.join("parameters.json").is_file() {
        path.join("parameters.json")
    } else if !path.exists() {
        return Err(invalid!(
            "--nlsq-result {}: no such file or folder",
            path.display()
        ));
    } else {
        return Err(invalid!(
            "--nlsq-result {}: no nlsq/parameters.json or parameters.json in it (give the output \
             folder of an NLSQ run)",
            path.display()
        ));
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| invalid!("--nlsq-result {}: cannot read: {e}", file.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| invalid!("--nlsq-result {}: not valid JSON: {e}", file.display()))?;
    let mode = doc
        .get("analysis_mode")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid!("--nlsq-result {}: no analysis_mode key", file.display()))?
        .to_string();
    let params = doc
        .get("parameters")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid!("--nlsq-result {}: no parameters object", file.display()))?;
    let value_of = |name: &str| -> Option<(f64, f64)> {
        let p = params.get(name)?;
        let v = p.get("value").and_then(Value::as_f64)?;
        let u = p
            .get("uncertainty")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN);
        Some((v, u))
    };
    let physical = params
        .keys()
        .filter(|k| *k != "contrast" && *k != "offset")
        .filter_map(|k| value_of(k).map(|(v, u)| (k.clone(), v, u)))
        .collect();
    let missing = |n: &str| invalid!("--nlsq-result {}: parameters.{n} missing", file.display());
    Ok(SavedFit {
        contrast: value_of("contrast").ok_or_else(|| missing("contrast"))?,
        offset: value_of("offset").ok_or_else(|| missing("offset"))?,
        physical,
        mode,
        reduced_chi2: doc
            .get("fit_quality")
            .and_then(|q| q.get("reduced_chi_squared"))
            .or_else(|| doc.get("reduced_chi_squared"))
            .and_then(Value::as_f64),
        source: file,
    })
}

/// The observer seen by the sampler.
struct Bridge<'a>(&'a dyn Observer);

impl CmcObserver for Bridge<'_> {
    fn planned(&self, shards: usize, chains: usize, draws_per_chain: u64, resumed: usize) {
        self.0.cmc_started(shards, chains, draws_per_chain, resumed);
    }
    fn draw(&self, shard: usize, chain: usize, event: DrawEvent) {
        self.0.cmc_draw(shard, chain, event.tuning, event.diverging);
    }
    fn shard_finished(&self, shard: usize, result: &homodyne_cmc::ShardResult) {
        self.0.cmc_shard_finished(shard, result.divergences());
    }
    fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
}

impl Analysis {
    /// The CMC settings this analysis runs with.
    pub fn cmc_settings(&self) -> Result<CmcSettings> {
        let o = &self.loaded().config.optimization;
        settings(&o.cmc, &o.mcmc, self.overrides(), self.mode())
    }

    /// Sample the posterior of `data` (t = 0 excluded) with NUTS on shards. `warm` gives
    /// the start and scaling; `output_dir`, when given, keeps finished shards in
    /// `<output_dir>/cmc/shards` so an interrupted run resumes there.
    pub fn sample_cmc(
        &self,
        data: &XpcsData,
        warm: WarmStartFrom<'_>,
        output_dir: Option<&Path>,
        observer: &dyn Observer,
    ) -> Result<CmcOutcome> {
        let run = self.cmc_stage(data, warm, output_dir, observer, &CmcStage::All)?;
        run.into_outcome()
    }

    /// Resolve the warm start and the shard plan of `data` and write
    /// `<output_dir>/cmc/plan.json` for [`Analysis::sample_cmc_shards`] and
    /// [`Analysis::combine_cmc`] (job arrays, MPI ranks); nothing is sampled.
    pub fn plan_cmc(
        &self,
        data: &XpcsData,
        warm: WarmStartFrom<'_>,
        output_dir: &Path,
        observer: &dyn Observer,
    ) -> Result<CmcPlan> {
        let run = self.cmc_stage(
            data,
            warm,
            Some(output_dir),
            observer,
            &CmcStage::Shards(Vec::new()),
        )?;
        let StageOutput::Ran { total, .. } = run.output else {
            return Err(invalid!("CMC plan: no plan was made"));
        };
        let warm_start = run
            .warm_start
            .ok_or_else(|| invalid!("CMC plan: no warm start"))?;
        let plan = CmcPlan {
            num_shards: total,
            warm_start,
            config: self.config_path().to_path_buf(),
            overrides: Overrides {
                cmc_num_shards: Some(total),
                ..self.overrides().clone()
            },
        };
        plan.write(output_dir)?;
        Ok(plan)
    }

    /// Sample shards `indices` of the plan (finished ones are skipped) into
    /// `<output_dir>/cmc/shards`; returns the indices now finished there.
    pub fn sample_cmc_shards(
        &self,
        data: &XpcsData,
        plan: &CmcPlan,
        indices: &[usize],
        output_dir: &Path,
        observer: &dyn Observer,
    ) -> Result<Vec<usize>> {
        let run = self.cmc_stage(
            data,
            WarmStartFrom::Given(&plan.warm_start),
            Some(output_dir),
            observer,
            &CmcStage::Shards(indices.to_vec()),
        )?;
        match run.output {
            StageOutput::Ran { done, .. } => Ok(done),
            StageOutput::Posterior(_) => Ok(indices.to_vec()),
        }
    }

    /// Combine the plan's finished shards in `<output_dir>/cmc/shards` into the posterior.
    /// Missing shards are an error naming them unless `allow_missing` (then they count as
    /// failed and the success-rate rule decides).
    pub fn combine_cmc(
        &self,
        data: &XpcsData,
        plan: &CmcPlan,
        output_dir: &Path,
        allow_missing: bool,
        observer: &dyn Observer,
    ) -> Result<CmcOutcome> {
        let run = self.cmc_stage(
            data,
            WarmStartFrom::Given(&plan.warm_start),
            Some(output_dir),
            observer,
            &CmcStage::Combine { allow_missing },
        )?;
        run.into_outcome()
    }

    fn cmc_stage(
        &self,
        data: &XpcsData,
        warm: WarmStartFrom<'_>,
        output_dir: Option<&Path>,
        observer: &dyn Observer,
        cmc_stage: &CmcStage,
    ) -> Result<StageRun> {
        let settings = self.cmc_settings()?;
        let (fit_data, experiment, initial, bounds) = self.fit_inputs(data)?;
        let mode = self.mode();

        // The warm start: an NLSQ fit of this run, or one read from a folder.
        let (nlsq, saved) = match warm {
            WarmStartFrom::Nlsq(r) => (Some(r), None),
            WarmStartFrom::Folder(p) => {
                let saved = read_saved_fit(p)?;
                if saved.mode != mode.as_str() {
                    return Err(invalid!(
                        "--nlsq-result {}: that fit is for {} mode; this analysis is {}",
                        saved.source.display(),
                        saved.mode,
                        mode
                    ));
                }
                (None, Some(saved))
            }
            WarmStartFrom::None | WarmStartFrom::Given(_) => (None, None),
        };
        // Said once the inputs are known to be usable (a bad warm start is one error line).
        for note in &settings.notes {
            tracing::warn!("{note}");
        }
        let accept = |chi2: Option<f64>, what: &str| -> bool {
            match chi2 {
                Some(c) if c.is_nan() || c > WARM_START_MAX_REDUCED_CHI2 => {
                    tracing::warn!(
                        "{what} has reduced chi^2 {c:.3e} > {WARM_START_MAX_REDUCED_CHI2}: not used as \
                         the warm start; chains start from the configured initial values"
                    );
                    false
                }
                _ => true,
            }
        };
        let nlsq = nlsq.filter(|r| accept(Some(r.reduced_chi_squared), "the NLSQ fit"));
        let saved = saved.filter(|s| accept(s.reduced_chi2, "the saved NLSQ fit"));
        if nlsq.is_none()
            && saved.is_none()
            && settings.require_warm_start
            && mode == AnalysisMode::LaminarFlow
        {
            return Err(invalid!(
                "optimization.cmc.validation.require_nlsq_warmstart is true and this laminar-flow \
                 analysis has no usable NLSQ warm start"
            ));
        }

        // The model CMC samples: NLSQ's objective (points, sigma), with the CMC per-angle mode.
        let mut options = self.nlsq_options()?;
        options.per_angle_mode = scaling_mode(
            &settings.per_angle_mode,
            experiment.n_phi(),
            settings.constant_scaling_threshold,
            nlsq.map(|r| r.per_angle_mode),
        )?;
        if settings.per_angle_mode == "constant_averaged" {
            tracing::warn!(
                "optimization.cmc.per_angle_mode = constant_averaged: contrast/offset are fixed at \
                 the per-angle quantile estimates (not averaged)"
            );
        }
        options.constant_scaling_threshold = settings.constant_scaling_threshold;
        let mut start = initial.clone();
        if let Some(r) = nlsq {
            start.physical = r.physical.clone();
            start.contrast = r.contrast.clone();
            start.offset = r.offset.clone();
        }
        let fitter = Fitter::new(
            &experiment,
            fit_data.c2_exp.view(),
            None,
            &start,
            &bounds,
            &options,
        )?;
        let layout = fitter.problem().layout().clone();
        let d = layout.n_params();
        let warm_start = if let WarmStartFrom::Given(w) = warm {
            if w.x.len() != d {
                return Err(invalid!(
                    "the shard plan's warm start has {} values; this analysis samples {d} \
                     (the configuration changed since the plan was made: plan again)",
                    w.x.len()
                ));
            }
            Some(w.clone())
        } else if let Some(r) =
            nlsq.filter(|r| r.fitted_vector.len() == d && r.per_angle_mode == layout.scaling_kind)
        {
            Some(WarmStart::from_nlsq(r, "NLSQ fit of this run"))
        } else if let Some(r) = nlsq {
            // Another per-angle layout: encode the fitted values; scale by their
            // uncertainties.
            let x = layout.encode(&r.physical, &r.contrast, &r.offset);
            Some(WarmStart {
                covariance: Some(diagonal_covariance(&layout.names(), &x, |name| {
                    r.parameter(name).map(|e| e.uncertainty).or_else(|| {
                        if name.starts_with("contrast") {
                            Some(r.contrast_mean().uncertainty)
                        } else if name.starts_with("offset") {
                            Some(r.offset_mean().uncertainty)
                        } else {
                            None
                        }
                    })
                })),
                x,
                source: "NLSQ fit of this run (values re-encoded for the CMC per-angle mode)"
                    .into(),
            })
        } else if let Some(s) = &saved {
            let names = mode.physical_names();
            let mut physical = start.physical.clone();
            for (k, name) in names.iter().enumerate() {
                if let Some((_, v, _)) = s
                    .physical
                    .iter()
                    .find(|(n, _, _)| homodyne_model::params::canonical_name(n) == *name)
                {
                    physical[k] = *v;
                }
            }
            let n_phi = experiment.n_phi();
            let x = layout.encode(
                &physical,
                &vec![s.contrast.0; n_phi],
                &vec![s.offset.0; n_phi],
            );
            Some(WarmStart {
                covariance: Some(diagonal_covariance(&layout.names(), &x, |name| {
                    if name.starts_with("contrast") {
                        Some(s.contrast.1)
                    } else if name.starts_with("offset") {
                        Some(s.offset.1)
                    } else {
                        s.physical
                            .iter()
                            .find(|(n, _, _)| homodyne_model::params::canonical_name(n) == name)
                            .map(|p| p.2)
                    }
                })),
                x,
                source: format!("{}", s.source.display()),
            })
        } else {
            let x = fitter.start().to_vec();
            Some(WarmStart {
                x,
                covariance: None,
                source: "configured initial values".into(),
            })
        };

        let space = self.loaded().config.parameter_space();
        let problem = homodyne_cmc::Problem::from_fitter(&fitter, fit_data.c2_exp.view(), &space);
        let cmc_options = CmcOptions {
            nuts: settings.nuts,
            shards: settings.shards,
            combination: settings.combination,
            combine: settings.combine.clone(),
            threads: 0,
        };
        let store = match output_dir {
            Some(dir) if settings.checkpoints => {
                Some(ShardCheckpoints::new(dir.join("cmc").join("shards")))
            }
            _ => None,
        };
        let stage = Stage::start(
            observer,
            &format!(
                "CMC: {} parameters, {} chains x ({} warm-up + {} draws)",
                d, settings.nuts.num_chains, settings.nuts.num_warmup, settings.nuts.num_samples
            ),
        );
        let output = homodyne_cmc::sample_stage(
            &problem,
            warm_start.as_ref(),
            &cmc_options,
            store.as_ref().map(|s| s as &dyn homodyne_cmc::ShardStore),
            &Bridge(observer),
            cmc_stage,
        )
        .map_err(|e| invalid!("CMC: {e}"))?;
        let output = match output {
            StageOutput::Posterior(mut result) => {
                result.warm_start = warm_start
                    .as_ref()
                    .map(|w| w.source.clone())
                    .unwrap_or_else(|| "none".into());
                stage.finish(&format!(
                    "CMC: {} shard(s), {} draws, max R-hat {:.4}, min ESS-bulk {:.0}, {} divergences in {:.1} s",
                    result.num_shards,
                    result.total_draws,
                    result.max_rhat(),
                    result.min_ess_bulk(),
                    result.divergences,
                    result.seconds
                ));
                for w in &result.warnings {
                    tracing::warn!("CMC: {w}");
                }
                StageOutput::Posterior(result)
            }
            ran @ StageOutput::Ran { .. } => {
                if let StageOutput::Ran { done, total } = &ran {
                    stage.finish(&format!("CMC: {} of {total} shards finished", done.len()));
                }
                ran
            }
        };
        Ok(StageRun {
            output,
            settings,
            sigma: problem.sigma.clone(),
            nlsq: nlsq.cloned(),
            warm_start,
        })
    }

    /// Theory at the posterior means on the loaded grid (t from 0).
    pub fn cmc_surfaces(&self, data: &XpcsData, outcome: &CmcOutcome) -> Result<Surfaces> {
        let (physical, contrast, offset) = posterior_means(&outcome.result);
        Ok(Surfaces::new(
            &self.experiment(data)?,
            &physical,
            &contrast,
            &offset,
            data.c2_exp.view(),
        )?)
    }

    /// Write every CMC result file into `<output>/cmc/` and the run summary
    /// (`method`: "cmc", or "both" after [`Analysis::write_nlsq`]).
    pub fn write_cmc(
        &self,
        data: &XpcsData,
        outcome: &CmcOutcome,
        output: &OutputOptions,
        method: &str,
        observer: &dyn Observer,
    ) -> Result<Vec<PathBuf>> {
        let surfaces = self.cmc_surfaces(data, outcome)?;
        let run = CmcRun {
            data,
            result: &outcome.result,
            surfaces: &surfaces,
            nlsq: outcome.nlsq.as_ref(),
            sigma: &outcome.sigma,
            stator_rotor_gap: self.loaded().config.stator_rotor_gap(),
            settings: outcome.settings.to_json(),
            method,
        };
        Ok(homodyne_io::write_cmc(&run, output, &AsProgress(observer))?)
    }
}

/// One stage of a CMC run and what it ran with.
struct StageRun {
    output: StageOutput,
    settings: CmcSettings,
    sigma: Vec<f64>,
    nlsq: Option<NlsqResult>,
    warm_start: Option<WarmStart>,
}

impl StageRun {
    fn into_outcome(self) -> Result<CmcOutcome> {
        match self.output {
            StageOutput::Posterior(result) => Ok(CmcOutcome {
                result: *result,
                settings: self.settings,
                sigma: self.sigma,
                nlsq: self.nlsq,
            }),
            StageOutput::Ran { .. } => Err(invalid!("CMC: no posterior was combined")),
        }
    }
}

/// A CMC shard plan (`<out>/cmc/plan.json`): the configuration and overrides to rebuild
/// the same problem, the number of shards and the warm start, so that every job-array
/// task or MPI rank samples exactly what one local run would.
#[derive(Debug, Clone, PartialEq)]
pub struct CmcPlan {
    /// Shards in the plan.
    pub num_shards: usize,
    /// Start and scaling of the chains.
    pub warm_start: WarmStart,
    /// The configuration file.
    pub config: PathBuf,
    /// The overrides (the number of shards fixed to the plan's).
    pub overrides: Overrides,
}

/// Format tag of plan files.
const PLAN_FORMAT: &str = "homodyne-rs cmc plan 1";

impl CmcPlan {
    /// `<output_dir>/cmc/plan.json`.
    pub fn path(output_dir: &Path) -> PathBuf {
        output_dir.join("cmc").join("plan.json")
    }

    /// The plan as JSON text (what `plan.json` holds; MPI broadcasts it).
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }

    fn to_json(&self) -> Value {
        let o = &self.overrides;
        let config = std::fs::canonicalize(&self.config).unwrap_or_else(|_| self.config.clone());
        json!({
            "format": PLAN_FORMAT,
            "num_shards": self.num_shards,
            "config": config,
            "overrides": {
                "mode": o.mode.map(|m| m.as_str()),
                "data_file": o.data_file.as_ref().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
                "initial": o.initial.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                "max_iterations": o.max_iterations,
                "tolerance": o.tolerance,
                "n_samples": o.n_samples,
                "n_warmup": o.n_warmup,
                "n_chains": o.n_chains,
                "cmc_num_shards": o.cmc_num_shards,
                "cmc_backend": o.cmc_backend,
            },
            "warm_start": {
                "x": self.warm_start.x,
                "covariance": self.warm_start.covariance,
                "source": self.warm_start.source,
            },
        })
    }

    fn write(&self, output_dir: &Path) -> Result<()> {
        let doc = self.to_json();
        let path = Self::path(output_dir);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| invalid!("cannot create {}: {e}", dir.display()))?;
        }
        homodyne_io::write_json(&path, &doc)?;
        Ok(())
    }

    /// Read the plan of `output_dir` (errors name the file and what is wrong).
    pub fn read(output_dir: &Path) -> Result<Self> {
        let path = Self::path(output_dir);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            invalid!(
                "cannot read the shard plan {}: {e} (make it with `homodyne cmc plan`)",
                path.display()
            )
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// A plan from its JSON text.
    pub fn from_json_str(text: &str) -> Result<Self> {
        Self::parse(text, "(received)")
    }

    fn parse(text: &str, path: &str) -> Result<Self> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| invalid!("shard plan {path}: not valid JSON: {e}"))?;
        let bad = |what: &str| invalid!("shard plan {path}: {what}");
        if doc.get("format").and_then(Value::as_str) != Some(PLAN_FORMAT) {
            return Err(bad(&format!(
                "not a plan of this version (format {PLAN_FORMAT:?} expected)"
            )));
        }
        let floats =
            |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
        let w = doc.get("warm_start").ok_or_else(|| bad("no warm_start"))?;
        let warm_start = WarmStart {
            x: w.get("x")
                .and_then(floats)
                .ok_or_else(|| bad("warm_start.x is not a list of numbers"))?,
            covariance: match w.get("covariance") {
                None | Some(Value::Null) => None,
                Some(c) => Some(
                    floats(c)
                        .ok_or_else(|| bad("warm_start.covariance is not a list of numbers"))?,
                ),
            },
            source: w
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("plan")
                .to_string(),
        };
        let o = doc.get("overrides").ok_or_else(|| bad("no overrides"))?;
        let u = |k: &str| o.get(k).and_then(Value::as_u64);
        let overrides = Overrides {
            mode: match o.get("mode").and_then(Value::as_str) {
                Some(m) => Some(m.parse().map_err(|_| bad("overrides.mode"))?),
                None => None,
            },
            data_file: o
                .get("data_file")
                .and_then(Value::as_str)
                .map(PathBuf::from),
            initial: o
                .get("initial")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_f64()?))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            max_iterations: u("max_iterations").map(|v| v as usize),
            tolerance: o.get("tolerance").and_then(Value::as_f64),
            n_samples: u("n_samples"),
            n_warmup: u("n_warmup"),
            n_chains: u("n_chains").map(|v| v as usize),
            cmc_num_shards: u("cmc_num_shards").map(|v| v as usize),
            cmc_backend: o
                .get("cmc_backend")
                .and_then(Value::as_str)
                .map(String::from),
        };
        Ok(CmcPlan {
            num_shards: doc
                .get("num_shards")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("no num_shards"))? as usize,
            warm_start,
            config: doc
                .get("config")
                .and_then(Value::as_str)
                .map(PathBuf::from)
                .ok_or_else(|| bad("no config"))?,
            overrides,
        })
    }
}

/// Posterior means of the physical parameters and the per-angle scaling.
pub fn posterior_means(result: &CmcResult) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (phys, con, off) = result.decoded();
    let mean = |a: &ndarray::Array3<f64>| -> Vec<f64> {
        let (c, n, k) = a.dim();
        (0..k)
            .map(|j| a.slice(ndarray::s![.., .., j]).sum() / (c * n).max(1) as f64)
            .collect()
    };
    (mean(&phys), mean(&con), mean(&off))
}

/// Row-major diagonal covariance from per-name standard deviations (missing or
/// non-finite ones: 10 % of the value, or 1).
fn diagonal_covariance(names: &[String], x: &[f64], sd: impl Fn(&str) -> Option<f64>) -> Vec<f64> {
    let d = names.len();
    let mut cov = vec![0.0; d * d];
    for (i, name) in names.iter().enumerate() {
        let s = sd(name)
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or_else(|| if x[i] != 0.0 { 0.1 * x[i].abs() } else { 1.0 });
        cov[i * d + i] = s * s;
    }
    cov
}
