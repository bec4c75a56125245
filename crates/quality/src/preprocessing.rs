//! The optional preprocessing pipeline for a `(n_phi, n, n)` c2 stack, a port of the
//! Python package's `data/preprocessing.py`: diagonal correction → normalisation → noise
//! reduction → float64/contiguous standardisation → output validation. Every stage that
//! runs appends a [`TransformationRecord`] (stage, method, parameters, shapes, duration,
//! warnings) to the [`PreprocessingProvenance`], which serialises to JSON. The settings
//! types and the pipeline live together because each stage's settings are validated and
//! interpreted only here.

use crate::error::QualityError;
use crate::filters::{gaussian_filter, median_filter};
use crate::json_io::{read_json, unix_time, write_json_atomic};
use crate::stats::percentile;
use homodyne_model::diagonal::{self, DiagonalMethod, Estimator};
use ndarray::{Array3, ArrayView1, ArrayView3, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Pipeline stages, in execution order (names as in the reference provenance JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreprocessingStage {
    /// Diagonal re-estimation from the off-diagonal neighbours.
    CorrectDiagonal,
    /// Per-matrix normalisation.
    NormalizeData,
    /// Per-matrix 2-D smoothing.
    ReduceNoise,
    /// float64, standard (C-contiguous) layout, shape consistency checks.
    StandardizeFormat,
    /// Non-finite / physics sanity checks of the result.
    ValidateOutput,
}

impl PreprocessingStage {
    /// The stage name used in YAML and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CorrectDiagonal => "correct_diagonal",
            Self::NormalizeData => "normalize_data",
            Self::ReduceNoise => "reduce_noise",
            Self::StandardizeFormat => "standardize_format",
            Self::ValidateOutput => "validate_output",
        }
    }
}

/// Diagonal correction method (maps onto [`homodyne_model::diagonal::DiagonalMethod`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagonalCorrectionMethod {
    /// Average of the nearest off-diagonal neighbours.
    Basic,
    /// Robust estimate (median/mean/trimmed mean) of nearby off-diagonal elements.
    #[default]
    Statistical,
    /// Interpolation from the adjacent off-diagonal values.
    Interpolation,
}

/// Location estimator of the `statistical` diagonal correction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagonalEstimator {
    /// Median of the neighbours.
    #[default]
    Median,
    /// Mean of the neighbours.
    Mean,
    /// Mean after trimming `trim_fraction` at each end.
    TrimmedMean,
}

/// `stages.correct_diagonal`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiagonalStageConfig {
    /// Run the stage (default true).
    pub enabled: bool,
    /// Method (default `statistical`).
    pub method: DiagonalCorrectionMethod,
    /// Neighbourhood size of `statistical` (default 3, >= 1).
    pub window_size: usize,
    /// Estimator of `statistical` (default `median`).
    pub estimator: DiagonalEstimator,
    /// Trim fraction of `trimmed_mean` (default 0.2, in `[0, 0.5)`).
    pub trim_fraction: f64,
}

impl Default for DiagonalStageConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            method: DiagonalCorrectionMethod::Statistical,
            window_size: 3,
            estimator: DiagonalEstimator::Median,
            trim_fraction: 0.2,
        }
    }
}

impl DiagonalStageConfig {
    /// The model crate's method value for this configuration.
    pub fn to_model_method(&self) -> DiagonalMethod {
        match self.method {
            DiagonalCorrectionMethod::Basic => DiagonalMethod::Basic,
            DiagonalCorrectionMethod::Interpolation => DiagonalMethod::Interpolation,
            DiagonalCorrectionMethod::Statistical => DiagonalMethod::Statistical {
                window: self.window_size,
                estimator: match self.estimator {
                    DiagonalEstimator::Median => Estimator::Median,
                    DiagonalEstimator::Mean => Estimator::Mean,
                    DiagonalEstimator::TrimmedMean => Estimator::TrimmedMean {
                        fraction: self.trim_fraction,
                    },
                },
            },
        }
    }
}

/// Normalisation of each c2 matrix (statistics over its finite values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalizationMethod {
    /// Divide by the t = 0 value `c2[0, 0]` (reference default).
    #[default]
    Baseline,
    /// Divide by the mean.
    Mean,
    /// Scale to `[0, 1]`.
    #[serde(alias = "minmax")]
    MinMax,
    /// `(x − mean) / std` (population std). YAML `statistical` is accepted as alias.
    #[serde(alias = "statistical", alias = "zscore")]
    ZScore,
    /// `(x − median) / (q_hi − q_lo)` with `percentile_range`.
    Robust,
    /// Divide by the maximum; if then `c2[0,0] < 1`, divide by `c2[0,0]`.
    PhysicsBased,
}

/// `stages.normalize_data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NormalizeStageConfig {
    /// Run the stage (reference default true once preprocessing is enabled).
    pub enabled: bool,
    /// Method (default `baseline`).
    pub method: NormalizationMethod,
    /// Percentiles of `robust` (default `[25, 75]`).
    pub percentile_range: [f64; 2],
}

impl Default for NormalizeStageConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            method: NormalizationMethod::Baseline,
            percentile_range: [25.0, 75.0],
        }
    }
}

/// Noise-reduction filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseReductionMethod {
    /// No filtering.
    #[default]
    None,
    /// Median filter, `kernel_size × kernel_size` window.
    #[serde(alias = "median_filter")]
    Median,
    /// Gaussian smoothing with `sigma` (cells), truncated at `truncate · sigma`.
    #[serde(alias = "gaussian_filter")]
    Gaussian,
}

/// `stages.reduce_noise`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoiseStageConfig {
    /// Run the stage (default false).
    pub enabled: bool,
    /// Filter (default `none`).
    pub method: NoiseReductionMethod,
    /// Median window side (default 3, >= 1).
    pub kernel_size: usize,
    /// Gaussian sigma in cells (default 1.0, > 0).
    pub sigma: f64,
    /// Gaussian truncation in sigmas (default 4.0, scipy's default).
    pub truncate: f64,
}

impl Default for NoiseStageConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            method: NoiseReductionMethod::None,
            kernel_size: 3,
            sigma: 1.0,
            truncate: 4.0,
        }
    }
}

/// A stage that only has an `enabled` switch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SwitchStageConfig {
    /// Run the stage (default true).
    pub enabled: bool,
}

impl Default for SwitchStageConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// `preprocessing.stages`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PreprocessingStages {
    /// Diagonal correction.
    pub correct_diagonal: DiagonalStageConfig,
    /// Normalisation.
    pub normalize_data: NormalizeStageConfig,
    /// Noise reduction.
    pub reduce_noise: NoiseStageConfig,
    /// Format standardisation.
    pub standardize_format: SwitchStageConfig,
    /// Output validation.
    pub validate_output: SwitchStageConfig,
}

/// The `preprocessing` configuration section; deserialises directly from the YAML the
/// Python package writes (missing keys take their defaults):
///
/// ```yaml
/// preprocessing:
///   enabled: false            # master switch (read by the loader)
///   abort_on_error: false     # a failing stage aborts instead of being skipped
///   progress_reporting: true  # log each stage
///   cache_intermediates: false   # accepted, no effect
///   chunk_size: null             # accepted, no effect
///   save_provenance: false    # loader: write the provenance JSON
///   fallback_on_failure: true # loader: keep the unprocessed data if nothing succeeded
///   stages:
///     correct_diagonal:  {enabled: true, method: statistical,   # basic|statistical|interpolation
///                         window_size: 3, estimator: median,     # median|mean|trimmed_mean
///                         trim_fraction: 0.2}
///     normalize_data:    {enabled: true, method: baseline,       # see NormalizationMethod
///                         percentile_range: [25, 75]}
///     reduce_noise:      {enabled: false, method: none,          # none|median|gaussian
///                         kernel_size: 3, sigma: 1.0, truncate: 4.0}
///     standardize_format: {enabled: true}
///     validate_output:    {enabled: true}
/// ```
///
/// Differences from the Python reference: normalisation and statistics use the finite
/// values only (non-finite cells are left as they are instead of turning whole matrices
/// into NaN); `wiener`/`savgol` noise reduction are rejected as unsupported; the config
/// hash is FNV-1a 64 of the JSON-serialised config (the reference uses SHA-256).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreprocessingConfig {
    /// Master switch (default false); [`PreprocessingPipeline::process`] still runs the
    /// stages when called — the caller decides whether to call it.
    pub enabled: bool,
    /// Abort with an error when a stage fails (default false: record and continue).
    pub abort_on_error: bool,
    /// Log each stage at info level (default true).
    pub progress_reporting: bool,
    /// Accepted for compatibility; no effect.
    pub cache_intermediates: bool,
    /// Accepted for compatibility; no effect.
    pub chunk_size: Option<usize>,
    /// For the caller: write the provenance JSON (default false).
    pub save_provenance: bool,
    /// For the caller: fall back to the unprocessed data on failure (default true).
    pub fallback_on_failure: bool,
    /// Per-stage settings.
    pub stages: PreprocessingStages,
}

impl Default for PreprocessingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            abort_on_error: false,
            progress_reporting: true,
            cache_intermediates: false,
            chunk_size: None,
            save_provenance: false,
            fallback_on_failure: true,
            stages: PreprocessingStages::default(),
        }
    }
}

/// One applied transformation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransformationRecord {
    /// Stage.
    pub stage: PreprocessingStage,
    /// Method name (e.g. `statistical`, `z_score`, `median`).
    pub method: String,
    /// Effective parameters of the stage.
    pub parameters: serde_json::Value,
    /// Start time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// Duration in milliseconds.
    pub duration_ms: f64,
    /// c2 shape before the stage.
    pub input_shape: Vec<usize>,
    /// c2 shape after the stage.
    pub output_shape: Vec<usize>,
    /// Non-fatal observations (e.g. matrices skipped by the normalisation).
    pub warnings: Vec<String>,
}

/// Audit trail of one pipeline run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreprocessingProvenance {
    /// `preprocess_<hash8>_<unix seconds>`.
    pub pipeline_id: String,
    /// FNV-1a 64 hex digest of the JSON config.
    pub config_hash: String,
    /// Records of the stages that succeeded, in order.
    pub transformations: Vec<TransformationRecord>,
    /// c2 shape before the pipeline.
    pub input_shape: Vec<usize>,
    /// c2 shape after the pipeline.
    pub output_shape: Vec<usize>,
    /// Start time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// Total duration in milliseconds.
    pub total_duration_ms: f64,
    /// Pipeline-level warnings.
    pub warnings: Vec<String>,
    /// `Stage <name> failed: <reason>` for each failed stage.
    pub errors: Vec<String>,
}

impl PreprocessingProvenance {
    /// Writes the provenance as pretty JSON (atomically).
    pub fn save(&self, path: &Path) -> Result<(), QualityError> {
        write_json_atomic(path, self)
    }

    /// Reads a provenance JSON written by [`Self::save`].
    pub fn load(path: &Path) -> Result<Self, QualityError> {
        read_json(path)
    }
}

/// Output of [`PreprocessingPipeline::process`].
#[derive(Clone, Debug)]
pub struct PreprocessingResult {
    /// Processed stack (the unprocessed copy when no stage succeeded).
    pub data: Array3<f64>,
    /// Audit trail.
    pub provenance: PreprocessingProvenance,
    /// True when at least one stage succeeded.
    pub success: bool,
    /// Success flag per stage that ran.
    pub stage_results: BTreeMap<PreprocessingStage, bool>,
}

/// Validated preprocessing pipeline.
#[derive(Clone, Debug)]
pub struct PreprocessingPipeline {
    config: PreprocessingConfig,
    config_hash: String,
}

impl PreprocessingPipeline {
    /// Validates `config` (window/kernel sizes >= 1, `sigma` > 0, trim fraction in
    /// `[0, 0.5)`, percentile range inside `[0, 100]` and increasing).
    pub fn new(config: PreprocessingConfig) -> Result<Self, QualityError> {
        let s = &config.stages;
        let bad = |m: String| Err(QualityError::Config(m));
        if s.correct_diagonal.window_size == 0 {
            return bad("correct_diagonal.window_size must be >= 1".into());
        }
        let tf = s.correct_diagonal.trim_fraction;
        if !(0.0..0.5).contains(&tf) {
            return bad(format!(
                "correct_diagonal.trim_fraction must be in [0, 0.5), got {tf}"
            ));
        }
        let [p0, p1] = s.normalize_data.percentile_range;
        if !(p0.is_finite() && p1.is_finite() && 0.0 <= p0 && p0 < p1 && p1 <= 100.0) {
            return bad(format!(
                "normalize_data.percentile_range must satisfy 0 <= lo < hi <= 100, got [{p0}, {p1}]"
            ));
        }
        let rn = &s.reduce_noise;
        if rn.kernel_size == 0 {
            return bad("reduce_noise.kernel_size must be >= 1".into());
        }
        if !(rn.sigma.is_finite() && rn.sigma > 0.0) {
            return bad(format!("reduce_noise.sigma must be > 0, got {}", rn.sigma));
        }
        if !(rn.truncate.is_finite() && rn.truncate > 0.0) {
            return bad(format!(
                "reduce_noise.truncate must be > 0, got {}",
                rn.truncate
            ));
        }
        let json =
            serde_json::to_string(&config).map_err(|e| QualityError::Config(e.to_string()))?;
        let config_hash = format!("{:016x}", fnv1a(json.as_bytes()));
        Ok(Self {
            config,
            config_hash,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &PreprocessingConfig {
        &self.config
    }

    /// Runs the enabled stages on a copy of `c2` (`(n_phi, n, n)`); `t` (length `n`) and
    /// `phi` (length `n_phi`) are only checked. A failing stage is recorded in
    /// `provenance.errors` and skipped, unless `abort_on_error` is set, in which case
    /// [`QualityError::Stage`] is returned. Stages check their preconditions before
    /// modifying data, so a failed stage leaves the data unchanged.
    pub fn process(
        &self,
        c2: ArrayView3<f64>,
        t: ArrayView1<f64>,
        phi: ArrayView1<f64>,
    ) -> Result<PreprocessingResult, QualityError> {
        let start = Instant::now();
        let timestamp = unix_time();
        let input_shape = c2.shape().to_vec();
        let mut data = c2.as_standard_layout().into_owned();
        let s = &self.config.stages;
        let mut prov = PreprocessingProvenance {
            pipeline_id: format!("preprocess_{}_{}", &self.config_hash[..8], timestamp as u64),
            config_hash: self.config_hash.clone(),
            transformations: Vec::new(),
            input_shape: input_shape.clone(),
            output_shape: input_shape.clone(),
            timestamp,
            total_duration_ms: 0.0,
            warnings: Vec::new(),
            errors: Vec::new(),
        };
        let mut stage_results = BTreeMap::new();
        let stages: Vec<PreprocessingStage> = [
            (
                PreprocessingStage::CorrectDiagonal,
                s.correct_diagonal.enabled,
            ),
            (PreprocessingStage::NormalizeData, s.normalize_data.enabled),
            (PreprocessingStage::ReduceNoise, s.reduce_noise.enabled),
            (
                PreprocessingStage::StandardizeFormat,
                s.standardize_format.enabled,
            ),
            (
                PreprocessingStage::ValidateOutput,
                s.validate_output.enabled,
            ),
        ]
        .into_iter()
        .filter_map(|(st, on)| on.then_some(st))
        .collect();
        let total = stages.len();
        for (k, stage) in stages.into_iter().enumerate() {
            if self.config.progress_reporting {
                tracing::info!(
                    "preprocessing stage {}/{}: {}",
                    k + 1,
                    total,
                    stage.as_str()
                );
            }
            let t0 = Instant::now();
            let ts = unix_time();
            let in_shape = data.shape().to_vec();
            match self.run_stage(stage, &mut data, t, phi) {
                Ok((method, parameters, warnings)) => {
                    for w in &warnings {
                        tracing::warn!("preprocessing {}: {w}", stage.as_str());
                    }
                    prov.transformations.push(TransformationRecord {
                        stage,
                        method,
                        parameters,
                        timestamp: ts,
                        duration_ms: t0.elapsed().as_secs_f64() * 1e3,
                        input_shape: in_shape,
                        output_shape: data.shape().to_vec(),
                        warnings,
                    });
                    stage_results.insert(stage, true);
                }
                Err(reason) => {
                    let msg = format!("Stage {} failed: {reason}", stage.as_str());
                    tracing::error!("preprocessing: {msg}");
                    prov.errors.push(msg);
                    stage_results.insert(stage, false);
                    if self.config.abort_on_error {
                        return Err(QualityError::Stage {
                            stage: stage.as_str().to_string(),
                            reason,
                        });
                    }
                }
            }
        }
        let success = stage_results.values().any(|&ok| ok);
        if !success {
            if total > 0 {
                prov.warnings
                    .push("no preprocessing stage succeeded; returning the input data".into());
            }
            data = c2.as_standard_layout().into_owned();
        }
        prov.output_shape = data.shape().to_vec();
        prov.total_duration_ms = start.elapsed().as_secs_f64() * 1e3;
        Ok(PreprocessingResult {
            data,
            provenance: prov,
            success,
            stage_results,
        })
    }

    /// Runs one stage; returns (method, parameters, warnings) or a failure reason.
    fn run_stage(
        &self,
        stage: PreprocessingStage,
        data: &mut Array3<f64>,
        t: ArrayView1<f64>,
        phi: ArrayView1<f64>,
    ) -> Result<(String, serde_json::Value, Vec<String>), String> {
        let s = &self.config.stages;
        match stage {
            PreprocessingStage::CorrectDiagonal => {
                let (_, r, c) = data.dim();
                if r != c {
                    return Err(format!("matrices are {r}x{c}, not square"));
                }
                let cfg = &s.correct_diagonal;
                diagonal::correct_batch(data.view_mut(), &cfg.to_model_method());
                let method = serde_name(&cfg.method);
                Ok((method, to_json(cfg), Vec::new()))
            }
            PreprocessingStage::NormalizeData => {
                let cfg = &s.normalize_data;
                let warnings = normalize(data, cfg);
                Ok((serde_name(&cfg.method), to_json(cfg), warnings))
            }
            PreprocessingStage::ReduceNoise => {
                let cfg = &s.reduce_noise;
                match cfg.method {
                    NoiseReductionMethod::None => {}
                    NoiseReductionMethod::Median => {
                        let k = cfg.kernel_size;
                        data.axis_iter_mut(Axis(0))
                            .into_par_iter()
                            .for_each(|mut m| {
                                let f = median_filter(m.view(), k);
                                m.assign(&f);
                            });
                    }
                    NoiseReductionMethod::Gaussian => {
                        let (sg, tr) = (cfg.sigma, cfg.truncate);
                        data.axis_iter_mut(Axis(0))
                            .into_par_iter()
                            .for_each(|mut m| {
                                let f = gaussian_filter(m.view(), sg, tr);
                                m.assign(&f);
                            });
                    }
                }
                Ok((serde_name(&cfg.method), to_json(cfg), Vec::new()))
            }
            PreprocessingStage::StandardizeFormat => {
                let mut warnings = Vec::new();
                if !data.is_standard_layout() {
                    *data = data.as_standard_layout().into_owned();
                }
                let (n_phi, r, c) = data.dim();
                if r != c {
                    warnings.push(format!("non-square correlation matrices: {r}x{c}"));
                }
                if t.len() != c {
                    warnings.push(format!("time array has {} points, matrices {c}", t.len()));
                }
                if phi.len() != n_phi {
                    warnings.push(format!("{} phi angles for {n_phi} matrices", phi.len()));
                }
                let params = serde_json::json!({"dtype": "float64", "layout": "C"});
                Ok(("format_standardization".into(), params, warnings))
            }
            PreprocessingStage::ValidateOutput => {
                let warnings = validate_output(data, t, phi)?;
                Ok((
                    "integrity_validation".into(),
                    serde_json::json!({}),
                    warnings,
                ))
            }
        }
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

/// Applies the normalisation to each matrix; returns warnings for skipped matrices.
fn normalize(data: &mut Array3<f64>, cfg: &NormalizeStageConfig) -> Vec<String> {
    let method = cfg.method;
    let [p_lo, p_hi] = cfg.percentile_range;
    let results: Vec<Option<String>> = data
        .axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .map(|(k, mut m)| {
            let mut finite: Vec<f64> = m.iter().copied().filter(|v| v.is_finite()).collect();
            if finite.is_empty() {
                return Some(format!("matrix {k} has no finite values, not normalised"));
            }
            let n = finite.len() as f64;
            let mean = finite.iter().sum::<f64>() / n;
            let (scale, shift, why): (f64, f64, &str) = match method {
                NormalizationMethod::Baseline => {
                    let b = m.first().copied().unwrap_or(f64::NAN);
                    (b, 0.0, "zero or non-finite baseline c2[0,0]")
                }
                NormalizationMethod::Mean => (mean, 0.0, "zero mean"),
                NormalizationMethod::MinMax => {
                    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (hi - lo, lo, "constant values")
                }
                NormalizationMethod::ZScore => {
                    let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                    (var.sqrt(), mean, "zero standard deviation")
                }
                NormalizationMethod::Robust => {
                    let q_lo = percentile(&mut finite, p_lo);
                    let q_hi = percentile(&mut finite, p_hi);
                    let med = percentile(&mut finite, 50.0);
                    (q_hi - q_lo, med, "no spread in the percentile range")
                }
                NormalizationMethod::PhysicsBased => {
                    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    if hi > 0.0 {
                        let t0 = m.first().copied().unwrap_or(f64::NAN) / hi;
                        let s = if t0.is_finite() && t0 > 0.0 && t0 < 1.0 {
                            hi * t0
                        } else {
                            hi
                        };
                        (s, 0.0, "")
                    } else {
                        (0.0, 0.0, "non-positive maximum")
                    }
                }
            };
            if scale == 0.0 || !scale.is_finite() {
                return Some(format!("matrix {k}: {why}, not normalised"));
            }
            m.mapv_inplace(|v| {
                if v.is_finite() {
                    (v - shift) / scale
                } else {
                    v
                }
            });
            None
        })
        .collect();
    results.into_iter().flatten().collect()
}

/// Output validation: errors on non-finite values or empty data; warnings for physics
/// oddities (negative values, non-positive `c2[0, 0]`, non-increasing t).
fn validate_output(
    data: &Array3<f64>,
    t: ArrayView1<f64>,
    phi: ArrayView1<f64>,
) -> Result<Vec<String>, String> {
    if data.is_empty() {
        return Err("c2 is empty".into());
    }
    let bad = data.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(format!("{bad} non-finite values found in c2"));
    }
    if t.iter().any(|v| !v.is_finite()) {
        return Err("non-finite values found in t".into());
    }
    if phi.iter().any(|v| !v.is_finite()) {
        return Err("non-finite values found in phi".into());
    }
    let mut warnings = Vec::new();
    for (k, m) in data.axis_iter(Axis(0)).enumerate() {
        let neg = m.iter().filter(|&&v| v < 0.0).count();
        if neg > 0 {
            warnings.push(format!("{neg} negative correlation values in matrix {k}"));
        }
        if let Some(&t0) = m.first()
            && t0 <= 0.0
        {
            warnings.push(format!("non-positive t=0 correlation in matrix {k}: {t0}"));
        }
    }
    if t.windows(2).into_iter().any(|w| w[1] < w[0]) {
        warnings.push("t is not monotonically increasing".into());
    }
    Ok(warnings)
}

/// FNV-1a 64-bit hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
