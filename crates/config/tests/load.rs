//! Loading the reference templates, normalisation, errors with paths and lines.

mod common;

use homodyne_config::{
    AnalysisMode, ConfigError, Format, Prior, load_file, load_str, validate_str,
};
use std::path::PathBuf;

/// `reference-configs/<name>` from `$HOMODYNE_REFERENCE_DIR` or `../shared`; `None` (after
/// one `skipped:` line) when neither has it.
fn reference(name: &str) -> Option<PathBuf> {
    let [path] = common::require_reference([&format!("reference-configs/{name}")])?;
    Some(path)
}

fn yaml(text: &str) -> homodyne_config::Loaded {
    load_str(text, Format::Yaml, "test.yaml").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reference_laminar_template_loads() {
    let Some(path) = reference("homodyne_laminar_flow.yaml") else {
        return;
    };
    let l = load_file(path).unwrap();
    let c = &l.config;
    assert_eq!(c.mode(), AnalysisMode::LaminarFlow);
    assert_eq!(c.dt(), 0.001);
    assert_eq!((c.start_frame(), c.end_frame()), (1, 2000));
    assert_eq!(c.wavevector_q(), 0.0054);
    assert_eq!(c.stator_rotor_gap(), 2.0e6);
    assert_eq!(
        c.initial_parameters.parameter_names.as_deref().unwrap(),
        [
            "D0",
            "alpha",
            "D_offset",
            "gamma_dot_t0",
            "beta",
            "gamma_dot_t_offset",
            "phi0"
        ]
    );
    assert!(c.initial_parameters.values.is_none());
    let b = c.parameter_bounds();
    assert_eq!(b.get("D0").map(|b| (b.min, b.max)), Some((100.0, 1e5)));
    assert_eq!(
        b.get("gamma_dot_t0").map(|b| (b.min, b.max)),
        Some((1e-6, 0.5))
    );
    assert_eq!(b.get("phi0").map(|b| (b.min, b.max)), Some((-10.0, 10.0)));
    assert_eq!(
        b.get("contrast_3").map(|b| (b.min, b.max)),
        Some((0.0, 1.0))
    );
    assert_eq!(b.len(), 9);
    assert_eq!(
        c.experimental_data.data_file(),
        Some("./data/sample/experiment.hdf".into())
    );
    assert_eq!(c.phi_filtering.target_ranges.len(), 2);
    assert_eq!(c.phi_filtering.target_ranges[1].min_angle, 85.0);
    let ad = &c.nlsq().anti_degeneracy;
    assert!(ad.enable);
    assert_eq!(ad.per_angle_mode, "auto");
    assert_eq!(
        (
            ad.constant_scaling_threshold,
            ad.fourier_order,
            ad.fourier_auto_threshold
        ),
        (3, 2, 6)
    );
    assert_eq!(c.nlsq().loss, "soft_l1");
    assert_eq!(c.nlsq().max_iterations, 100);
    assert_eq!(c.cmc().combination.min_success_rate, 0.80);
    assert_eq!(c.cmc().validation.max_per_shard_rhat, 1.2);
    assert_eq!(c.cmc().effective_backend(), "auto");
    assert_eq!(c.cmc().min_ess(), 100.0);
    assert_eq!(c.optimization.mcmc.num_chains, 2);
    assert_eq!(c.logging.file.filename, "homodyne_laminar_flow.log");
    // Priors from the bounds list.
    let space = c.parameter_space();
    assert_eq!(
        space.spec("D0").unwrap().prior,
        Prior::TruncatedNormal {
            mu: 1000.0,
            sigma: 1000.0
        }
    );
    // mid-range, range/4
    assert_eq!(
        space.spec("contrast").unwrap().prior.location_scale(),
        Some((0.5, 0.25))
    );
    // The reference template is fully known: no unknown-key warnings.
    let unknown: Vec<_> = l
        .report
        .warnings
        .iter()
        .filter(|w| w.message.contains("unknown key"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
    assert!(l.report.errors.is_empty());
}

#[test]
fn reference_static_template_loads() {
    let Some(path) = reference("homodyne_static.yaml") else {
        return;
    };
    let l = load_file(path).unwrap();
    let c = &l.config;
    assert_eq!(c.mode(), AnalysisMode::Static);
    assert_eq!((c.dt(), c.start_frame(), c.end_frame()), (0.001, 1, 2000));
    assert_eq!(c.wavevector_q(), 0.0054);
    assert_eq!(
        c.initial_parameters.parameter_names.as_deref().unwrap(),
        ["D0", "alpha", "D_offset"]
    );
    assert_eq!(c.parameter_bounds().len(), 5);
    let alpha = c
        .priors()
        .into_iter()
        .find(|(n, _)| n == "alpha")
        .unwrap()
        .1;
    assert_eq!(alpha.location_scale(), Some((-1.2, 0.3)));
    assert_eq!(c.phi_filtering.target_ranges[1].min_angle, 170.0);
    assert_eq!(c.phi_filtering.target_ranges[1].max_angle, -170.0);
    assert!(!c.nlsq().anti_degeneracy.enable);
    assert_eq!(
        c.nlsq().anti_degeneracy.gradient_monitoring.response,
        "warn"
    );
    assert!(c.cmc().validation.heterogeneity_abort);
    let iv = c.initial_values();
    assert!(iv.from_midpoints);
    assert_eq!(iv.values, vec![50050.0, 0.0, 0.0]);
    assert!(
        l.report
            .warnings
            .iter()
            .all(|w| !w.message.contains("unknown key"))
    );
}

#[test]
fn reference_master_template_loads() {
    let Some(path) = reference("homodyne_master_template.yaml") else {
        return;
    };
    let l = load_file(path).unwrap();
    let c = &l.config;
    assert_eq!(c.mode(), AnalysisMode::LaminarFlow);
    assert_eq!(c.dt(), 0.001);
    assert_eq!(c.end_frame(), 2000);
    assert!(c.parameter_space.priors.is_empty()); // `priors: null`
    assert_eq!(c.parameter_bounds().len(), 9);
    assert_eq!(c.optimization.mcmc.num_samples, 3000);
    assert!(
        l.report
            .warnings
            .iter()
            .all(|w| !w.message.contains("unknown key")),
        "{:?}",
        l.report.warnings
    );
}

#[test]
fn null_values_give_midpoints() {
    let l = yaml("analysis_mode: laminar_flow\ninitial_parameters:\n  values: null\n");
    let iv = l.config.initial_values();
    assert!(iv.from_midpoints);
    assert_eq!(iv.get("D0"), Some(50050.0));
    assert_eq!(iv.get("alpha"), Some(0.0));
    assert_eq!(iv.get("gamma_dot_t0"), Some(0.2500005));
    assert_eq!(l.config.initial_physical().len(), 7);
}

#[test]
fn explicit_values_and_fixed_active() {
    let l = yaml(
        "analysis_mode: laminar_flow\ninitial_parameters:\n  parameter_names: [D0, alpha, D_offset, gamma_dot_0, beta, gamma_dot_offset, phi_0]\n  values: [1000, -1.0, 5, 0.01, 0, 0, 2]\n  fixed_parameters: {beta: 0.0, gamma_dot_offset: 0.001}\n  active_parameters: [D0, alpha, D_offset, gamma_dot_t0, phi0]\n",
    );
    let ip = &l.config.initial_parameters;
    assert_eq!(ip.parameter_names.as_ref().unwrap()[3], "gamma_dot_t0");
    assert_eq!(ip.parameter_names.as_ref().unwrap()[6], "phi0");
    let iv = l.config.initial_values();
    assert_eq!(
        iv.names,
        ["D0", "alpha", "D_offset", "gamma_dot_t0", "phi0"]
    );
    assert_eq!(iv.values, vec![1000.0, -1.0, 5.0, 0.01, 2.0]);
    assert_eq!(iv.fixed.get("beta"), Some(&0.0));
    assert_eq!(iv.fixed.get("gamma_dot_t_offset"), Some(&0.001));
    assert_eq!(
        l.config.initial_physical(),
        vec![1000.0, -1.0, 5.0, 0.01, 0.0, 0.001, 2.0]
    );
    assert!(l.report.info.iter().any(|i| i.message.contains("alias")));
}

#[test]
fn analysis_mode_spellings() {
    for (s, m) in [
        ("static_isotropic", AnalysisMode::Static),
        ("static_anisotropic", AnalysisMode::Static),
        ("Static", AnalysisMode::Static),
        ("laminar_flow", AnalysisMode::LaminarFlow),
        ("Laminar-Flow", AnalysisMode::LaminarFlow),
        ("laminar", AnalysisMode::LaminarFlow),
    ] {
        let l = yaml(&format!("analysis_mode: {s}\n"));
        assert_eq!(l.config.mode(), m, "{s}");
    }
    let err = load_str("analysis_mode: turbulent\n", Format::Yaml, "m.yaml").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("analysis_mode") && msg.contains("m.yaml:1"),
        "{msg}"
    );
}

#[test]
fn flat_legacy_keys() {
    let l = yaml(
        "analysis_mode: static\ndt: 0.5\nstart_frame: 10\nend_frame: 20\ndata_file: /data/x/run.hdf\nanalyzer_parameters:\n  wavevector_q: 0.01\n  stator_rotor_gap: 1.0e6\n",
    );
    let c = &l.config;
    assert_eq!((c.dt(), c.start_frame(), c.end_frame()), (0.5, 10, 20));
    assert_eq!(c.wavevector_q(), 0.01);
    assert_eq!(c.stator_rotor_gap(), 1.0e6);
    assert_eq!(
        c.experimental_data.data_folder_path.as_deref(),
        Some("/data/x")
    );
    assert_eq!(
        c.experimental_data.data_file_name.as_deref(),
        Some("run.hdf")
    );
    assert!(
        l.report
            .warnings
            .iter()
            .all(|w| !w.message.contains("unknown"))
    );
}

#[test]
fn gap_fallbacks() {
    let l = yaml(
        "analysis_mode: laminar_flow\nexperimental_data:\n  sample_detector_distance: 5000.0\n",
    );
    assert_eq!(l.config.stator_rotor_gap(), 5000.0);
    let l = yaml(
        "analysis_mode: laminar_flow\nexperimental_data:\n  geometry:\n    stator_rotor_gap: 7000.0\n",
    );
    assert_eq!(l.config.stator_rotor_gap(), 7000.0);
    let l = yaml("analysis_mode: laminar_flow\n");
    assert_eq!(l.config.stator_rotor_gap(), 2.0e6);
}

#[test]
fn bounds_overrides_and_aliases() {
    let l = yaml(
        "analysis_mode: laminar_flow\nparameter_space:\n  bounds:\n    - {name: D0, min: 500, max: 2000}\n    - {name: gamma_dot_0, max: 0.1}\n    - {name: phi_0, min: -30, max: 30, prior_mu: 1.0}\n",
    );
    let b = l.config.parameter_bounds();
    assert_eq!(b.get("D0").map(|b| (b.min, b.max)), Some((500.0, 2000.0)));
    assert_eq!(
        b.get("gamma_dot_t0").map(|b| (b.min, b.max)),
        Some((1e-6, 0.1))
    );
    assert_eq!(b.get("phi0").map(|b| (b.min, b.max)), Some((-30.0, 30.0)));
    assert_eq!(b.get("alpha").map(|b| (b.min, b.max)), Some((-2.0, 2.0)));
    let phi0 = l.config.parameter_space().spec("phi0").unwrap().prior;
    assert_eq!(phi0.location_scale(), Some((1.0, 15.0)));
    assert_eq!(l.config.initial_values().get("D0"), Some(1250.0));
    // Mapping form.
    let l = yaml(
        "analysis_mode: static\nparameter_space:\n  bounds:\n    D0: [10, 20]\n    alpha: {min: -1, max: 1}\n",
    );
    let b = l.config.parameter_bounds();
    assert_eq!(b.get("D0").map(|b| (b.min, b.max)), Some((10.0, 20.0)));
    assert_eq!(b.get("alpha").map(|b| (b.min, b.max)), Some((-1.0, 1.0)));
}

#[test]
fn per_angle_scaling_lists() {
    let l = yaml(
        "analysis_mode: static\ninitial_parameters:\n  per_angle_scaling:\n    contrast: [0.1, 0.2, 0.3]\n    offset: 1.0\n",
    );
    let (c, o) = l.config.per_angle_scaling(3).unwrap();
    assert_eq!(c.unwrap(), vec![0.1, 0.2, 0.3]);
    assert_eq!(o.unwrap(), vec![1.0; 3]);
    assert!(l.config.per_angle_scaling(4).is_err());
    let l = yaml(
        "analysis_mode: static\ninitial_parameters:\n  per_angle_scaling: {contrast: null, offset: null}\n",
    );
    assert_eq!(l.config.per_angle_scaling(5).unwrap(), (None, None));
}

#[test]
fn flat_initial_parameters_mapping() {
    let l = yaml(
        "analysis_mode: static\ninitial_parameters:\n  D0: 1234\n  alpha: -0.5\n  D_offset: 3\n",
    );
    assert_eq!(l.config.initial_values().values, vec![1234.0, -0.5, 3.0]);
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let err = load_str(
        "analysis_mode: static\nanalyzer_parameters:\n  dt: [0.1, 0.2\n  start_frame: 1\n",
        Format::Yaml,
        "bad.yaml",
    )
    .unwrap_err();
    match &err {
        ConfigError::Syntax { path, line, .. } => {
            assert_eq!(path.to_str(), Some("bad.yaml"));
            assert!(line.is_some_and(|l| (3..=5).contains(&l)), "{line:?}");
        }
        other => panic!("{other}"),
    }
    let msg = err.to_string();
    assert!(msg.starts_with("bad.yaml:"), "{msg}");
}

#[test]
fn type_error_names_path_file_and_line() {
    let err = load_str(
        "analysis_mode: static\nanalyzer_parameters:\n  dt: \"abc\"\n",
        Format::Yaml,
        "t.yaml",
    )
    .unwrap_err();
    let ConfigError::Invalid { report } = &err else {
        panic!("{err}")
    };
    let e = &report.errors[0];
    assert_eq!(e.path, "analyzer_parameters.dt");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.file.as_deref().and_then(|p| p.to_str()), Some("t.yaml"));
    let msg = err.to_string();
    assert!(
        msg.contains("t.yaml:3")
            && msg.contains("analyzer_parameters.dt")
            && msg.contains("number"),
        "{msg}"
    );
}

#[test]
fn unknown_key_is_a_warning() {
    let l =
        yaml("analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n  dtt: 0.2\nmystery: 1\n");
    let w: Vec<_> = l
        .report
        .warnings
        .iter()
        .filter(|w| w.message.contains("unknown key"))
        .collect();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0].path, "analyzer_parameters.dtt");
    assert_eq!(w[0].line, Some(4));
    assert_eq!(w[1].path, "mystery");
    assert_eq!(w[1].line, Some(5));
}

#[test]
fn report_collects_multiple_errors() {
    let r = validate_str(
        "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: abc\n  start_frame: x\nphi_filtering:\n  enabled: maybe\noptimization:\n  nlsq:\n    loss: squared\n    max_iterations: 1.5\n  cmc:\n    sharding:\n      strategy: sorted\nunknown_section: {}\n",
        Format::Yaml,
        "multi.yaml",
    );
    let paths: Vec<&str> = r.errors.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "analyzer_parameters.dt",
        "analyzer_parameters.start_frame",
        "phi_filtering.enabled",
        "optimization.nlsq.max_iterations",
        "optimization.cmc.sharding.strategy",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    // `loss` is the fitting crate's choice: the facade's check judges it, not this crate.
    assert!(!paths.contains(&"optimization.nlsq.loss"));
    assert!(r.errors.iter().all(|e| e.line.is_some()), "{r}");
    assert!(r.warnings.iter().any(|w| w.path == "unknown_section"));
}

#[test]
fn json_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.json");
    std::fs::write(&p, r#"{"analysis_mode": "static_isotropic", "analyzer_parameters": {"dt": 0.2, "end_frame": 50}}"#).unwrap();
    let l = load_file(&p).unwrap();
    assert_eq!(l.config.mode(), AnalysisMode::Static);
    assert_eq!((l.config.dt(), l.config.end_frame()), (0.2, 50));
    std::fs::write(&p, "{\"analysis_mode\": \n  \"static\",, }").unwrap();
    let err = load_file(&p).unwrap_err();
    assert!(
        matches!(err, ConfigError::Syntax { line: Some(2), .. }),
        "{err}"
    );
}

#[test]
fn empty_and_missing_files() {
    let l = yaml("");
    assert_eq!(l.config.mode(), AnalysisMode::Static);
    assert_eq!(l.config.dt(), 0.1);
    let r = homodyne_config::validate_file("/nonexistent/dir/x.yaml");
    assert!(!r.is_valid());
    assert!(load_file("/nonexistent/dir/x.yaml").is_err());
}

#[test]
fn semantic_warnings_and_errors() {
    let r = validate_str(
        "metadata: {config_version: '1.0.0'}\nanalysis_mode: laminar_flow\nanalyzer_parameters: {dt: -1, start_frame: 5, end_frame: 2}\noptimization:\n  nlsq:\n    memory_fraction: 1.5\n    tolerance: 0.1\n    anti_degeneracy: {hierarchical: {enable: false}}\n  cmc:\n    combination: {min_success_rate: 2}\n    validation: {max_per_shard_rhat: 0.9}\nparameter_space:\n  bounds:\n    - {name: D0, min: 10, max: 1}\n",
        Format::Yaml,
        "s.yaml",
    );
    let err: Vec<&str> = r.errors.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "analyzer_parameters.dt",
        "analyzer_parameters.end_frame",
        "optimization.cmc.combination.min_success_rate",
        "optimization.cmc.validation.max_per_shard_rhat",
        "parameter_space.bounds[0].min",
    ] {
        assert!(err.contains(&p), "{p} not in {err:?}");
    }
    let warn: Vec<&str> = r.warnings.iter().map(|e| e.path.as_str()).collect();
    for p in [
        "metadata.config_version",
        "optimization.nlsq.memory_fraction",
        "optimization.nlsq.tolerance",
        "optimization.nlsq.anti_degeneracy.hierarchical.enable",
    ] {
        assert!(warn.contains(&p), "{p} not in {warn:?}");
    }
}

#[test]
fn deprecated_keys_warn() {
    let l = yaml(
        "analysis_mode: static\noptimization:\n  parallel_mcmc: {enable: true}\n  cmc:\n    sharding: {optimal_shard_size: 10}\n",
    );
    let w: Vec<&str> = l.report.warnings.iter().map(|e| e.path.as_str()).collect();
    assert!(w.contains(&"optimization.parallel_mcmc"));
    assert!(w.contains(&"optimization.cmc.sharding.optimal_shard_size"));
}

#[test]
fn auto_or_values() {
    let l = yaml(
        "analysis_mode: static\noptimization:\n  cmc:\n    enable: true\n    sharding: {num_shards: 8}\n  stratification: {enabled: auto}\n",
    );
    assert_eq!(l.config.cmc().enable.value(), Some(true));
    assert_eq!(l.config.cmc().sharding.num_shards.value(), Some(8));
    assert!(l.config.optimization.stratification.enabled.is_auto());
}
