//! One parameter table and one parse per choice: `Config::parameter_space`, the choice
//! keys validated by their owning enums, and the quality sections' keys.

mod common;

use homodyne_config::{
    AnalysisMode, Format, ParameterSpace, PerAngleMode, Prior, PriorKind, check_choice,
    choice_keys, load_file, load_str, validate_str,
};
use homodyne_model::params::{Bounds, default_bounds};

fn yaml(text: &str) -> homodyne_config::Loaded {
    load_str(text, Format::Yaml, "test.yaml").unwrap()
}

fn unknown_keys(report: &homodyne_config::ValidationReport, prefix: &str) -> Vec<String> {
    report
        .warnings
        .iter()
        .filter(|w| w.message.contains("unknown key") && w.path.starts_with(prefix))
        .map(|w| w.path.clone())
        .collect()
}

/// A JSON configuration with `key` (dotted, `[*]` = the first list entry) set to `value`.
fn config_with(key: &str, value: &str) -> String {
    if key == "parameter_space.bounds[*].type" {
        return serde_json::json!({
            "parameter_space": {"bounds": [{"name": "D0", "type": value}]}
        })
        .to_string();
    }
    let mut v = serde_json::Value::String(value.to_string());
    for part in key.rsplit('.') {
        v = serde_json::json!({ part: v });
    }
    v.to_string()
}

// Drift 1: `auto_averaged` passed validation (a list in validate.rs) but the run's
// `PerAngleMode::from_str` rejected it.
#[test]
fn auto_averaged_is_accepted_by_validation_and_by_the_run() {
    let text =
        "optimization:\n  nlsq:\n    anti_degeneracy:\n      per_angle_mode: auto_averaged\n";
    let report = validate_str(text, Format::Yaml, "t.yaml");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let cfg = yaml(text).config;
    let ad = &cfg.nlsq().anti_degeneracy;
    assert_eq!(ad.scaling_mode(), Ok(PerAngleMode::Averaged));
    assert_eq!(
        ad.per_angle_mode.parse::<PerAngleMode>(),
        Ok(PerAngleMode::Averaged)
    );
    assert_eq!("averaged".parse(), Ok(PerAngleMode::Averaged));
    assert_eq!("fixed_constant".parse(), Ok(PerAngleMode::Constant));
}

// Every value a choice key lists passes validation and the owning parser; anything else
// fails both.
#[test]
fn every_choice_key_and_value_validates_like_the_parse() {
    assert!(!choice_keys().is_empty());
    for (key, values) in choice_keys() {
        let path = key.replace("[*]", "[0]");
        for value in *values {
            let report = validate_str(&config_with(key, value), Format::Json, "t.json");
            assert!(
                report.errors.is_empty(),
                "{key} = {value}: {:?}",
                report.errors
            );
            assert_eq!(check_choice(key, value), Ok(()), "{key} = {value}");
        }
        let report = validate_str(&config_with(key, "bogus_choice"), Format::Json, "t.json");
        assert!(
            report.errors.iter().any(|e| e.path == path),
            "{key} = bogus_choice: {:?}",
            report.errors
        );
        assert!(check_choice(key, "bogus_choice").is_err());
    }
    // The per-angle mode's list is the run's parser's list.
    let (_, values) = choice_keys()
        .iter()
        .find(|(k, _)| *k == "optimization.nlsq.anti_degeneracy.per_angle_mode")
        .unwrap();
    assert_eq!(*values, PerAngleMode::ACCEPTED);
    for v in *values {
        assert!(v.parse::<PerAngleMode>().is_ok(), "{v}");
    }
}

// Choices of the fitting crate are left to the facade's check (the run's own parse).
#[test]
fn fitting_crate_choices_are_not_judged_here() {
    let text = "optimization:\n  nlsq:\n    loss: whatever\n    strategy: whatever\nperformance:\n  strategy_override: whatever\n";
    let report = validate_str(text, Format::Yaml, "t.yaml");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(unknown_keys(&report, "").is_empty());
}

// Drift 2: quality-crate keys were "unknown key (ignored)" and then used.
#[test]
fn quality_control_keys_are_known() {
    let report = validate_str(
        "quality_control: {enabled: true, validation_level: strict}\n",
        Format::Yaml,
        "t.yaml",
    );
    assert!(
        unknown_keys(&report, "").is_empty(),
        "{:?}",
        report.warnings
    );
    let full = "quality_control:
  enabled: true
  validation_level: comprehensive
  auto_repair: aggressive
  pass_threshold: 50.0
  warn_threshold: 70.0
  excellent_threshold: 85.0
  enable_raw_validation: true
  enable_filtering_validation: true
  enable_preprocessing_validation: true
  enable_final_validation: true
  repair_nan_values: true
  nan_repair_method: interpolate
  repair_infinite_values: true
  repair_negative_correlations: true
  negative_floor: 1.0e-6
  repair_scaling_issues: true
  repair_format_inconsistencies: true
  cache_validation_results: true
  incremental_validation: true
  parallel_validation: false
  reporting: {generate_reports: true, export_detailed_reports: true, save_quality_history: true}
preprocessing:
  enabled: true
  abort_on_error: false
  progress_reporting: true
  cache_intermediates: false
  chunk_size: null
  save_provenance: true
  fallback_on_failure: true
  stages:
    correct_diagonal: {enabled: true, method: statistical, window_size: 3, estimator: trimmed_mean, trim_fraction: 0.2}
    normalize_data: {enabled: true, method: baseline, percentile_range: [25.0, 75.0]}
    reduce_noise: {enabled: true, method: gaussian, kernel_size: 3, sigma: 1.0, truncate: 4.0}
    standardize_format: {enabled: true}
    validate_output: {enabled: true}
";
    let l = yaml(full);
    assert!(unknown_keys(&l.report, "").is_empty(), "{:?}", l.report);
    assert!(l.config.quality_control.enabled && l.config.preprocessing.enabled);
    assert_eq!(
        l.config.quality_control.validation_level.as_deref(),
        Some("comprehensive")
    );
    // A key neither section has is still reported.
    let report = validate_str(
        "quality_control: {validation_levle: basic}\n",
        Format::Yaml,
        "t.yaml",
    );
    assert_eq!(
        unknown_keys(&report, "quality_control"),
        ["quality_control.validation_levle"]
    );
}

const REFERENCE: [&str; 3] = [
    "reference-configs/homodyne_static.yaml",
    "reference-configs/homodyne_laminar_flow.yaml",
    "reference-configs/homodyne_master_template.yaml",
];

#[test]
fn reference_templates_have_no_unknown_quality_or_preprocessing_keys() {
    let Some(files) = common::require_reference(REFERENCE) else {
        return;
    };
    for file in files {
        let report = homodyne_config::validate_file(&file);
        for prefix in ["quality_control", "preprocessing"] {
            let unknown = unknown_keys(&report, prefix);
            assert!(unknown.is_empty(), "{}: {unknown:?}", file.display());
        }
    }
}

#[test]
fn reference_templates_give_the_parameter_table() {
    let Some(files) = common::require_reference(REFERENCE) else {
        return;
    };
    for file in files {
        let cfg = load_file(&file).unwrap().config;
        let space = cfg.parameter_space();
        let mode = cfg.mode();
        assert_eq!(space.mode(), mode);
        let names: Vec<&str> = space.entries().iter().map(|e| e.name.as_str()).collect();
        let mut want = vec!["contrast", "offset"];
        want.extend(mode.physical_names());
        assert_eq!(names, want, "{}", file.display());
        // The templates repeat the default bounds; `values: null` → midpoints.
        for e in space.entries() {
            assert_eq!(Some(e.bounds), default_bounds(&e.name), "{}", e.name);
            assert_eq!(e.start, e.bounds.mid(), "{}", e.name);
            assert!(!e.fixed);
            assert_eq!(e.prior.kind(), PriorKind::TruncatedNormal);
        }
        assert!(space.from_midpoints());
        assert_eq!(space.start_values(), cfg.initial_physical());
        // Priors as written, else mid-range / range/4.
        let d0 = space.spec("D0").unwrap().prior;
        assert_eq!(d0.location_scale(), Some((1000.0, 1000.0)));
        let contrast = space.spec("contrast").unwrap().prior;
        assert_eq!(contrast.location_scale(), Some((0.5, 0.25)));
        assert!(space.validate().is_ok());
        // Round trip through serde.
        let json = serde_json::to_string(&space).unwrap();
        let back: ParameterSpace = serde_json::from_str(&json).unwrap();
        assert_eq!(back, space, "{}", file.display());
    }
}

#[test]
fn table_from_overrides_fixed_and_values() {
    let l = yaml(
        "analysis_mode: laminar_flow
initial_parameters:
  parameter_names: [D0, alpha, D_offset, gamma_dot_0, beta, gamma_dot_offset, phi_0]
  values: [1000, -1.0, 5, 0.01, 0, 0, 2]
  fixed_parameters: {beta: 0.0, gamma_dot_offset: 0.001}
parameter_space:
  bounds:
    - {name: D0, min: 500, max: 2000, type: LogNormal, prior_mu: 7.0, prior_sigma: 0.5}
    - {name: alpha, type: Uniform}
    - {name: phi_0, type: truncated_normal, prior_mu: 1.0}
",
    );
    assert!(l.report.errors.is_empty(), "{:?}", l.report.errors);
    let space = l.config.parameter_space();
    assert_eq!(space.get("D0"), Some(Bounds::new(500.0, 2000.0)));
    assert_eq!(
        space.spec("D0").unwrap().prior,
        Prior::LogNormal {
            mu: 7.0,
            sigma: 0.5
        }
    );
    assert_eq!(space.spec("alpha").unwrap().prior, Prior::Uniform);
    assert_eq!(
        space.spec("phi0").unwrap().prior,
        Prior::TruncatedNormal {
            mu: 1.0,
            sigma: 5.0
        }
    );
    assert_eq!(
        space.start_values(),
        vec![1000.0, -1.0, 5.0, 0.01, 0.0, 0.001, 2.0]
    );
    assert_eq!(
        space.fixed_mask(),
        vec![false, false, false, false, true, true, false]
    );
    assert!(!space.from_midpoints());
    let iv = l.config.initial_values();
    assert_eq!(iv.fixed.len(), 2);
    assert_eq!(iv.names.len(), 5);
    // The nlsq-facing accessors agree with the table.
    assert_eq!(l.config.initial_physical(), space.start_values());
    assert_eq!(l.config.parameter_bounds(), space);
}

#[test]
fn unknown_prior_type_is_an_error() {
    let report = validate_str(
        "parameter_space:\n  bounds:\n    - {name: D0, type: Cauchy}\n",
        Format::Yaml,
        "t.yaml",
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.path == "parameter_space.bounds[0].type"),
        "{:?}",
        report.errors
    );
}

#[test]
fn mode_defaults() {
    let cfg = yaml("analysis_mode: static\n").config;
    assert_eq!(
        cfg.parameter_space(),
        ParameterSpace::defaults(AnalysisMode::Static)
    );
}
