//! From configuration (plus overrides) to the inputs of the data and fitting crates:
//! `LoadOptions`, parameter bounds and NLSQ options. The only place where configuration
//! values become library types, so the run and `check` accept exactly the same files.

use std::path::{Path, PathBuf};

use homodyne_config::resolve_path;
use homodyne_config::{Config, Loaded};
use homodyne_data::{
    CacheOptions, CombineCriteria, DataFilterOptions, LoadOptions, PhiFilterOptions, PhiRange,
    ValueRange,
};
use homodyne_model::params::canonical_name;
use homodyne_nlsq::NlsqOptions;
use homodyne_nlsq::SigmaSetting;

use crate::error::{Result, invalid};
use crate::overrides::Overrides;

/// Apply the overrides to the configuration, so every consumer (fit, simulated plots)
/// sees them. Returns warnings for overrides that do not apply (named like the
/// command-line flag, e.g. `--initial-phi0 ignored: static mode has no parameter phi0`).
pub fn apply_overrides(cfg: &mut Config, overrides: &Overrides) -> Vec<String> {
    if let Some(mode) = overrides.mode {
        cfg.override_mode(mode);
    }
    let mut warnings = Vec::new();
    for (name, value) in &overrides.initial {
        let name = canonical_name(name);
        if !cfg.override_initial(name, *value) {
            warnings.push(format!(
                "--initial-{} ignored: {} mode has no parameter {name}",
                flag_name(name),
                cfg.mode()
            ));
        }
    }
    let nlsq = &mut cfg.optimization.nlsq;
    if let Some(n) = overrides.max_iterations {
        nlsq.max_iterations = n as u64;
    }
    if let Some(tol) = overrides.tolerance {
        nlsq.tolerance = tol;
        nlsq.xtol = tol;
        nlsq.gtol = tol;
    }
    warnings
}

/// The command-line spelling of a parameter's `--initial-*` flag.
fn flag_name(name: &str) -> String {
    match name {
        "gamma_dot_t_offset" => "gamma-dot-offset".into(),
        other => other.to_ascii_lowercase().replace('_', "-"),
    }
}

/// Loader options from the configuration; `data_file` overrides the configured file.
pub fn load_options(
    cfg: &Config,
    config_path: &Path,
    data_file: Option<&Path>,
) -> Result<LoadOptions> {
    let data_path = match data_file {
        Some(p) => p.to_path_buf(),
        None => cfg.data_file_resolved(config_path).ok_or_else(|| {
            invalid!(
                "{}: no data file configured (experimental_data.data_folder_path + \
                 data_file_name, or --data-file)",
                config_path.display()
            )
        })?,
    };
    if !data_path.exists() {
        let beside = config_path.parent().map(|d| d.join(&data_path));
        match beside.filter(|_| data_file.is_none() && data_path.is_relative()) {
            Some(b) => {
                return Err(invalid!(
                    "data file not found: {} (looked in the working directory and at {})",
                    data_path.display(),
                    b.display()
                ));
            }
            None => return Err(invalid!("data file not found: {}", data_path.display())),
        }
    }
    let ed = &cfg.experimental_data;
    let cache = (ed.use_caching != Some(false)).then(|| CacheOptions {
        folder: match &ed.cache_file_path {
            Some(p) => resolve_path(Path::new(p), config_path),
            None => data_path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        },
        filename_template: ed.cache_filename_template.clone(),
        compression: ed.cache_compression,
    });
    let df = &cfg.data_filtering;
    let range = |r: &Option<homodyne_config::MinMax>| {
        r.as_ref().map(|m| ValueRange {
            min: m.min,
            max: m.max,
        })
    };
    let pf = &cfg.phi_filtering;
    Ok(LoadOptions {
        data_path,
        start_frame: cfg.start_frame(),
        end_frame: cfg.end_frame(),
        dt: cfg.dt(),
        wavevector_q: cfg.wavevector_q(),
        q_tolerance_fraction: cfg.q_tolerance_fraction,
        data_filtering: DataFilterOptions {
            enabled: df.enabled,
            q_range: range(&df.q_range),
            phi_range: range(&df.phi_range),
            combine_criteria: if df.combine_criteria.eq_ignore_ascii_case("or") {
                CombineCriteria::Or
            } else {
                CombineCriteria::And
            },
            fallback_on_empty: df.fallback_on_empty,
        },
        phi_filtering: PhiFilterOptions {
            enabled: pf.enabled,
            target_ranges: pf
                .target_ranges
                .iter()
                .map(|r| PhiRange {
                    min_angle: r.min_angle,
                    max_angle: r.max_angle,
                })
                .collect(),
            fallback_to_all: pf.fallback_to_all_angles,
        },
        cache,
        float32_min_values: homodyne_data::FLOAT32_MIN_VALUES,
    })
}

/// NLSQ options from `optimization.nlsq`. The iteration cap applies only when
/// `optimization.nlsq.max_iterations` is written in the file or overridden (the
/// templates' 100 would otherwise cut long fits that the reference's main path never
/// capped). `performance.strategy_override` is the fallback strategy key.
pub fn nlsq_options(loaded: &Loaded, overrides: &Overrides) -> Result<NlsqOptions> {
    let cfg = &loaded.config;
    let n = cfg.nlsq();
    let ad = &n.anti_degeneracy;
    let cap_given = overrides.max_iterations.is_some()
        || loaded
            .tree
            .get_path("optimization.nlsq.max_iterations")
            .is_some_and(|v| !v.is_null());
    let mut opts = NlsqOptions {
        ftol: n.tolerance,
        xtol: n.xtol,
        gtol: n.gtol,
        max_iterations: cap_given.then_some(n.max_iterations as usize),
        loss: n
            .loss
            .parse()
            .map_err(|e| invalid!("optimization.nlsq.loss: {e}"))?,
        f_scale: n.f_scale,
        // With anti-degeneracy disabled every angle gets its own contrast and offset
        // (what the reference then does), whatever per_angle_mode says.
        per_angle_mode: if ad.enable {
            ad.per_angle_mode
                .parse()
                .map_err(|e| invalid!("optimization.nlsq.anti_degeneracy.per_angle_mode: {e}"))?
        } else {
            homodyne_model::scaling::PerAngleMode::Individual
        },
        constant_scaling_threshold: ad.constant_scaling_threshold as usize,
        fourier_order: ad.fourier_order as usize,
        memory_fraction: n.memory_fraction,
        memory_limit_gb: n.memory_threshold_gb,
        sigma: nlsq_sigma(n.sigma)?,
        profile: profile_setting(&n.profile_intervals)?,
        ..NlsqOptions::default()
    };
    let strategy = n
        .strategy
        .as_ref()
        .map(|s| ("optimization.nlsq.strategy", s))
        .or_else(|| {
            cfg.performance
                .strategy_override
                .as_ref()
                .map(|s| ("performance.strategy_override", s))
        });
    if let Some((key, s)) = strategy {
        opts.strategy = Some(s.parse().map_err(|e| invalid!("{key}: {e}"))?);
    }
    Ok(opts)
}

/// `optimization.nlsq.profile_intervals`: `auto`, `true` / `false` (YAML booleans or
/// strings).
fn profile_setting(v: &serde_json::Value) -> Result<homodyne_nlsq::ProfileSetting> {
    use homodyne_nlsq::ProfileSetting;
    match v {
        serde_json::Value::Bool(true) => Ok(ProfileSetting::Always),
        serde_json::Value::Bool(false) => Ok(ProfileSetting::Never),
        serde_json::Value::String(s) => ProfileSetting::parse(s)
            .map_err(|e| invalid!("optimization.nlsq.profile_intervals: {e}")),
        other => Err(invalid!(
            "optimization.nlsq.profile_intervals: {other} (expected auto | true | false)"
        )),
    }
}

/// `optimization.nlsq.sigma`: measured from the data (`"estimate"`, the default) or one
/// positive value.
fn nlsq_sigma(sigma: homodyne_config::NlsqSigma) -> Result<SigmaSetting> {
    match sigma {
        homodyne_config::NlsqSigma::Estimate => Ok(SigmaSetting::Estimate),
        homodyne_config::NlsqSigma::Value(v) if v.is_finite() && v > 0.0 => {
            Ok(SigmaSetting::Value(v))
        }
        homodyne_config::NlsqSigma::Value(v) => Err(invalid!(
            "optimization.nlsq.sigma: {v} must be a positive number (or \"estimate\")"
        )),
    }
}

/// Every setting the run turns into library types, built once: a list of messages,
/// each starting with its key path (`key: reason`). Empty when the run accepts them all.
pub fn settings_errors(loaded: &Loaded, overrides: &Overrides) -> Vec<String> {
    let mut errors = Vec::new();
    if let Err(e) = nlsq_options(loaded, overrides) {
        errors.push(e.to_string());
    }
    if let Err(e) = crate::quality::sections(loaded) {
        errors.push(e.to_string());
    }
    let fitted = &loaded.config.output.fitted_data;
    if homodyne_io::FittedData::parse(fitted).is_none() {
        errors.push(format!(
            "output.fitted_data: '{fitted}' is not one of float64, float32, compact"
        ));
    }
    errors
}

/// Refuse a simulated grid that would not fit in memory (n_phi x n x n float64, plus the
/// same again for output), instead of aborting on allocation.
pub fn check_grid_memory(n_phi: usize, n_t: usize) -> Result<()> {
    let bytes = (n_phi as f64) * (n_t as f64) * (n_t as f64) * 8.0 * 2.0;
    let (available_gb, source) = homodyne_nlsq::available_memory_gb();
    let needed_gb = bytes / (1024.0 * 1024.0 * 1024.0);
    if needed_gb > 0.9 * available_gb {
        return Err(invalid!(
            "{n_phi} angles x {n_t} x {n_t} frames needs about {needed_gb:.1} GiB; only \
             {available_gb:.1} GiB are available ({source}): reduce the frame range or angles"
        ));
    }
    Ok(())
}
