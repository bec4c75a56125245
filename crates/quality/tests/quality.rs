//! Tests of the preprocessing pipeline (each stage's effect, provenance, errors, JSON)
//! and of the quality controller (score bands, issues, reported auto-repair, reports).

use homodyne_quality::*;
use ndarray::{Array1, Array3, Axis, s};

/// Deterministic pseudo-random number in [0, 1) (splitmix64).
fn hash01(x: usize) -> f64 {
    let mut z = (x as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Symmetric synthetic c2: 1 + beta·exp(-|i-j|/tau), optional deterministic noise.
fn synthetic(n_phi: usize, n: usize, noise: f64) -> Array3<f64> {
    let mut c2 = Array3::from_shape_fn((n_phi, n, n), |(k, i, j)| {
        let lag = (i as f64 - j as f64).abs();
        1.0 + (0.2 + 0.02 * k as f64) * (-lag / 8.0).exp()
    });
    if noise > 0.0 {
        for k in 0..n_phi {
            for i in 0..n {
                for j in i..n {
                    let h = hash01((k * n + i) * n + j) * 2.0 - 1.0;
                    let v = c2[[k, i, j]] + noise * h;
                    c2[[k, i, j]] = v;
                    c2[[k, j, i]] = v;
                }
            }
        }
    }
    c2
}

fn axes(n_phi: usize, n: usize) -> (Array1<f64>, Array1<f64>) {
    (
        Array1::from_shape_fn(n, |i| i as f64 * 0.1),
        Array1::from_shape_fn(n_phi, |k| -30.0 + 20.0 * k as f64),
    )
}

fn only(stage: PreprocessingStage) -> PreprocessingConfig {
    let mut c = PreprocessingConfig {
        enabled: true,
        ..Default::default()
    };
    let st = &mut c.stages;
    st.correct_diagonal.enabled = stage == PreprocessingStage::CorrectDiagonal;
    st.normalize_data.enabled = stage == PreprocessingStage::NormalizeData;
    st.reduce_noise.enabled = stage == PreprocessingStage::ReduceNoise;
    st.standardize_format.enabled = stage == PreprocessingStage::StandardizeFormat;
    st.validate_output.enabled = stage == PreprocessingStage::ValidateOutput;
    c
}

#[test]
fn z_score_gives_mean_zero_std_one() {
    let c2 = synthetic(3, 30, 0.01);
    let (t, phi) = axes(3, 30);
    let mut cfg = only(PreprocessingStage::NormalizeData);
    cfg.stages.normalize_data.method = NormalizationMethod::ZScore;
    let r = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c2.view(), t.view(), phi.view())
        .unwrap();
    assert!(r.success);
    for m in r.data.axis_iter(Axis(0)) {
        let n = m.len() as f64;
        let mean = m.sum() / n;
        let std = (m.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 1e-12, "{mean}");
        assert!((std - 1.0).abs() < 1e-12, "{std}");
    }
    let rec = &r.provenance.transformations[0];
    assert_eq!(rec.stage, PreprocessingStage::NormalizeData);
    assert_eq!(rec.method, "z_score");
    assert_eq!(rec.input_shape, vec![3, 30, 30]);
}

#[test]
fn other_normalisations() {
    let mut c2 = synthetic(2, 20, 0.01);
    c2[[1, 5, 6]] = f64::NAN; // non-finite cells are left alone
    let (t, phi) = axes(2, 20);
    let run = |m: NormalizationMethod| {
        let mut cfg = only(PreprocessingStage::NormalizeData);
        cfg.stages.normalize_data.method = m;
        PreprocessingPipeline::new(cfg)
            .unwrap()
            .process(c2.view(), t.view(), phi.view())
            .unwrap()
    };
    let r = run(NormalizationMethod::MinMax);
    for m in r.data.axis_iter(Axis(0)) {
        let f: Vec<f64> = m.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = f.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(lo.abs() < 1e-12 && (hi - 1.0).abs() < 1e-12);
    }
    assert!(r.data[[1, 5, 6]].is_nan());
    let r = run(NormalizationMethod::Mean);
    for m in r.data.axis_iter(Axis(0)) {
        let f: Vec<f64> = m.iter().copied().filter(|v| v.is_finite()).collect();
        assert!((f.iter().sum::<f64>() / f.len() as f64 - 1.0).abs() < 1e-12);
    }
    let r = run(NormalizationMethod::Baseline);
    assert!((r.data[[0, 0, 0]] - 1.0).abs() < 1e-15 && (r.data[[1, 0, 0]] - 1.0).abs() < 1e-15);
    // Constant matrix: skipped with a warning in the record, not a failure.
    let c = Array3::from_elem((1, 4, 4), 2.0);
    let (t4, p1) = axes(1, 4);
    let mut cfg = only(PreprocessingStage::NormalizeData);
    cfg.stages.normalize_data.method = NormalizationMethod::ZScore;
    let r = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c.view(), t4.view(), p1.view())
        .unwrap();
    assert_eq!(r.data, c);
    assert_eq!(r.provenance.transformations[0].warnings.len(), 1);
}

#[test]
fn median_filter_removes_isolated_spike_and_gaussian_smooths() {
    let mut c2 = Array3::from_elem((2, 15, 15), 1.0);
    c2[[0, 7, 3]] = 50.0;
    c2[[1, 0, 0]] = -40.0;
    let (t, phi) = axes(2, 15);
    let mut cfg = only(PreprocessingStage::ReduceNoise);
    cfg.stages.reduce_noise.method = NoiseReductionMethod::Median;
    cfg.stages.reduce_noise.kernel_size = 3;
    let r = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c2.view(), t.view(), phi.view())
        .unwrap();
    assert!(r.data.iter().all(|&v| v == 1.0));
    assert_eq!(r.provenance.transformations[0].method, "median");
    assert_eq!(r.provenance.transformations[0].parameters["kernel_size"], 3);

    let mut cfg = only(PreprocessingStage::ReduceNoise);
    cfg.stages.reduce_noise.method = NoiseReductionMethod::Gaussian;
    cfg.stages.reduce_noise.sigma = 1.5;
    let r = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c2.view(), t.view(), phi.view())
        .unwrap();
    let peak = r.data[[0, 7, 3]];
    assert!(peak > 1.0 && peak < 50.0 / 5.0, "{peak}");
    // mass is conserved away from the border
    let excess: f64 = r.data.slice(s![0, .., ..]).iter().map(|v| v - 1.0).sum();
    assert!((excess - 49.0).abs() < 1e-9, "{excess}");
}

#[test]
fn diagonal_stage_delegates_to_model() {
    let mut c2 = synthetic(2, 12, 0.01);
    for k in 0..2 {
        for i in 0..12 {
            c2[[k, i, i]] = 5.0; // artefact
        }
    }
    let (t, phi) = axes(2, 12);
    for method in [
        DiagonalCorrectionMethod::Basic,
        DiagonalCorrectionMethod::Statistical,
        DiagonalCorrectionMethod::Interpolation,
    ] {
        let mut cfg = only(PreprocessingStage::CorrectDiagonal);
        cfg.stages.correct_diagonal.method = method;
        let r = PreprocessingPipeline::new(cfg.clone())
            .unwrap()
            .process(c2.view(), t.view(), phi.view())
            .unwrap();
        let mut expect = c2.clone();
        homodyne_model::diagonal::correct_batch(
            expect.view_mut(),
            &cfg.stages.correct_diagonal.to_model_method(),
        );
        assert_eq!(r.data, expect);
        assert!(r.data[[0, 4, 4]] < 2.0);
    }
    // Non-square input: the stage fails, is recorded, and nothing panics.
    let bad = Array3::<f64>::ones((1, 3, 4));
    let (t4, p1) = axes(1, 4);
    let r = PreprocessingPipeline::new(only(PreprocessingStage::CorrectDiagonal))
        .unwrap()
        .process(bad.view(), t4.view(), p1.view())
        .unwrap();
    assert!(!r.success);
    assert_eq!(r.data, bad);
    assert!(r.provenance.errors[0].contains("correct_diagonal"));
}

#[test]
fn full_pipeline_provenance_and_json_round_trip() {
    let c2 = synthetic(2, 16, 0.01);
    let (t, phi) = axes(2, 16);
    let mut cfg = PreprocessingConfig {
        enabled: true,
        ..Default::default()
    };
    cfg.stages.reduce_noise.enabled = true;
    cfg.stages.reduce_noise.method = NoiseReductionMethod::Gaussian;
    let p = PreprocessingPipeline::new(cfg).unwrap();
    let r = p.process(c2.view(), t.view(), phi.view()).unwrap();
    assert!(r.success);
    let stages: Vec<_> = r
        .provenance
        .transformations
        .iter()
        .map(|x| x.stage)
        .collect();
    assert_eq!(
        stages,
        vec![
            PreprocessingStage::CorrectDiagonal,
            PreprocessingStage::NormalizeData,
            PreprocessingStage::ReduceNoise,
            PreprocessingStage::StandardizeFormat,
            PreprocessingStage::ValidateOutput,
        ]
    );
    for rec in &r.provenance.transformations {
        assert_eq!(rec.input_shape, vec![2, 16, 16]);
        assert_eq!(rec.output_shape, vec![2, 16, 16]);
        assert!(rec.duration_ms >= 0.0);
    }
    assert_eq!(r.provenance.transformations[0].method, "statistical");
    assert_eq!(r.provenance.transformations[1].method, "baseline");
    assert!(r.provenance.pipeline_id.starts_with("preprocess_"));
    assert_eq!(r.provenance.config_hash.len(), 16);
    assert!(r.data.is_standard_layout());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provenance.json");
    r.provenance.save(&path).unwrap();
    let back = PreprocessingProvenance::load(&path).unwrap();
    assert_eq!(back, r.provenance);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["transformations"][0]["stage"], "correct_diagonal");
}

#[test]
fn validation_failures_and_abort() {
    let mut c2 = synthetic(1, 8, 0.0);
    c2[[0, 2, 3]] = f64::NAN;
    let (t, phi) = axes(1, 8);
    let cfg = only(PreprocessingStage::ValidateOutput);
    let r = PreprocessingPipeline::new(cfg.clone())
        .unwrap()
        .process(c2.view(), t.view(), phi.view())
        .unwrap();
    assert!(!r.success);
    assert!(!r.stage_results[&PreprocessingStage::ValidateOutput]);
    assert!(r.provenance.errors[0].contains("non-finite"));
    let mut cfg = cfg;
    cfg.abort_on_error = true;
    let e = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c2.view(), t.view(), phi.view());
    assert!(matches!(e, Err(QualityError::Stage { .. })), "{e:?}");
}

#[test]
fn config_validation_and_yaml_names() {
    let mut c = PreprocessingConfig::default();
    assert!(!c.enabled);
    c.stages.reduce_noise.sigma = 0.0;
    assert!(matches!(
        PreprocessingPipeline::new(c),
        Err(QualityError::Config(_))
    ));
    let mut c = PreprocessingConfig::default();
    c.stages.correct_diagonal.window_size = 0;
    assert!(PreprocessingPipeline::new(c).is_err());
    let mut c = PreprocessingConfig::default();
    c.stages.normalize_data.percentile_range = [80.0, 20.0];
    assert!(PreprocessingPipeline::new(c).is_err());
    // Reference YAML spellings (given here as JSON) map onto the struct.
    let c: PreprocessingConfig = serde_json::from_str(
        r#"{"enabled": true, "stages": {"normalize_data": {"method": "statistical"},
            "reduce_noise": {"enabled": true, "method": "median", "kernel_size": 5},
            "correct_diagonal": {"method": "basic"}, "unknown_stage": {}}}"#,
    )
    .unwrap();
    assert_eq!(c.stages.normalize_data.method, NormalizationMethod::ZScore);
    assert_eq!(c.stages.reduce_noise.kernel_size, 5);
    assert_eq!(
        c.stages.correct_diagonal.method,
        DiagonalCorrectionMethod::Basic
    );
    assert!(c.stages.validate_output.enabled);
    let m: NormalizationMethod = serde_json::from_str("\"minmax\"").unwrap();
    assert_eq!(m, NormalizationMethod::MinMax);
}

fn qc(cfg: QualityControlConfig) -> QualityController {
    QualityController::new(QualityControlConfig {
        enabled: true,
        ..cfg
    })
}

#[test]
fn disabled_controller_is_a_no_op() {
    let mut c2 = synthetic(2, 10, 0.0);
    c2[[0, 1, 1]] = f64::NAN;
    let before = c2.clone();
    let (t, phi) = axes(2, 10);
    let mut ctl = QualityController::new(QualityControlConfig::default());
    let r = ctl.validate_stage(
        QualityStage::RawData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(!r.validated && r.passed && r.repairs.is_empty());
    assert!(c2[[0, 1, 1]].is_nan() && before[[0, 1, 2]] == c2[[0, 1, 2]]);
}

#[test]
fn clean_data_is_excellent() {
    let mut c2 = synthetic(3, 60, 0.002);
    let (t, phi) = axes(3, 60);
    let mut ctl = qc(QualityControlConfig::default());
    let r = ctl.validate_stage(
        QualityStage::FinalData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    let m = &r.metrics;
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert!(
        r.passed && r.status == QualityStatus::Excellent,
        "{}",
        m.overall_score
    );
    assert!(m.overall_score >= 85.0);
    assert_eq!(m.finite_fraction, 1.0);
    assert!(m.symmetry_error.unwrap() < 1e-15);
    assert!((m.long_lag_baseline.unwrap() - 1.0).abs() < 0.01);
    assert!(m.contrast_estimate.unwrap() > 0.15);
    let noise = m.noise_estimate.unwrap();
    assert!(noise > 1e-4 && noise < 0.01, "{noise}");
    assert!(m.time_consistency);
    assert_eq!(m.angle_span_deg, Some(40.0));
    assert!(!r.data_modified);
    assert!(r.recommendations.iter().any(|s| s.contains("Excellent")));
}

#[test]
fn score_thresholds() {
    let c = QualityControlConfig::default();
    assert_eq!(
        (c.pass_threshold, c.warn_threshold, c.excellent_threshold),
        (50.0, 70.0, 85.0)
    );
    assert_eq!(c.status_for(49.99), QualityStatus::Poor);
    assert_eq!(c.status_for(50.0), QualityStatus::Acceptable);
    assert_eq!(c.status_for(69.99), QualityStatus::Acceptable);
    assert_eq!(c.status_for(70.0), QualityStatus::Good);
    assert_eq!(c.status_for(84.99), QualityStatus::Good);
    assert_eq!(c.status_for(85.0), QualityStatus::Excellent);
    // All-NaN data: poor and failing, nothing to repair from.
    let mut c2 = Array3::from_elem((1, 8, 8), f64::NAN);
    let (t, phi) = axes(1, 8);
    let mut ctl = qc(QualityControlConfig::default());
    let r = ctl.validate_stage(
        QualityStage::RawData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(
        !r.passed && r.status == QualityStatus::Poor,
        "{}",
        r.metrics.overall_score
    );
    assert!(r.repairs.is_empty());
    // Asymmetric noise-dominated data with negatives scores below clean data.
    let mut c2 = Array3::from_shape_fn((1, 20, 20), |(_, i, j)| {
        (((i * 37 + j * 101) % 17) as f64 - 8.0) / 4.0
    });
    let (t, phi) = axes(1, 20);
    let r = qc(QualityControlConfig {
        auto_repair: RepairStrategy::Disabled,
        ..Default::default()
    })
    .validate_stage(
        QualityStage::FinalData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(
        r.metrics.overall_score < 70.0,
        "{}",
        r.metrics.overall_score
    );
    assert!(r.issues.iter().any(|i| i.message.contains("symmetry")));
}

#[test]
fn auto_repair_is_reported_with_counts() {
    let mut c2 = synthetic(2, 20, 0.0);
    // 30 NaN in angle 0, 2 +Inf and 1 -Inf in angle 1, 3 negatives in angle 1.
    for j in 0..15 {
        c2[[0, 3, j]] = f64::NAN;
        c2[[0, 4, j]] = f64::NAN;
    }
    c2[[1, 0, 5]] = f64::INFINITY;
    c2[[1, 0, 6]] = f64::INFINITY;
    c2[[1, 0, 7]] = f64::NEG_INFINITY;
    c2[[1, 9, 9]] = -0.5;
    c2[[1, 9, 10]] = -0.5;
    c2[[1, 10, 9]] = -0.5;
    let (t, phi) = axes(2, 20);
    let cfg = QualityControlConfig {
        auto_repair: RepairStrategy::Aggressive,
        repair_negative_correlations: true,
        ..Default::default()
    };
    let mut ctl = qc(cfg);
    let r = ctl.validate_stage(
        QualityStage::RawData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(r.data_modified);
    let by = |k: RepairKind| r.repairs.iter().find(|x| x.kind == k).cloned().unwrap();
    let inf = by(RepairKind::Infinite);
    assert_eq!((inf.count, inf.per_angle.clone()), (3, vec![0, 3]));
    let nan = by(RepairKind::Nan);
    assert_eq!(
        (nan.count, nan.per_angle.clone(), nan.method.as_str()),
        (30, vec![30, 0], "median")
    );
    let neg = by(RepairKind::Negative);
    assert_eq!(
        neg.count, 4,
        "3 negatives + the capped -inf (min finite was -0.5)"
    );
    assert_eq!(r.repairs_applied.len(), r.repairs.len());
    assert!(r.repairs_applied[0].contains("Repaired"));
    assert!(c2.iter().all(|v| v.is_finite() && *v >= 0.0));
    assert!(!r.resolved_issues.is_empty());
    assert_eq!(r.metrics.issues_repaired, 3);
    assert!(r.metrics.issues_detected >= 1); // the negatives warning (NaN/Inf < 5 % are info)
    assert!(r.recommendations.iter().any(|s| s.contains("Auto-repair")));
    // Disabled strategy: data untouched, issues kept.
    let mut c3 = synthetic(1, 10, 0.0);
    c3[[0, 2, 2]] = f64::NAN;
    let (t, phi) = axes(1, 10);
    let mut ctl = qc(QualityControlConfig {
        auto_repair: RepairStrategy::Disabled,
        ..Default::default()
    });
    let r = ctl.validate_stage(
        QualityStage::RawData,
        c3.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(c3[[0, 2, 2]].is_nan() && r.repairs.is_empty() && !r.issues.is_empty());
    // Interpolate and scaling repairs.
    let mut c4 = synthetic(1, 10, 0.0) * 50.0;
    c4[[0, 5, 5]] = f64::NAN;
    let mut ctl = qc(QualityControlConfig {
        nan_repair_method: NanRepairMethod::Interpolate,
        ..Default::default()
    });
    let r = ctl.validate_stage(
        QualityStage::FinalData,
        c4.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert_eq!(
        r.repairs
            .iter()
            .find(|x| x.kind == RepairKind::Nan)
            .unwrap()
            .count,
        1
    );
    let sc = r
        .repairs
        .iter()
        .find(|x| x.kind == RepairKind::Scaling)
        .unwrap();
    assert_eq!((sc.method.as_str(), sc.count), ("divide_by_10", 100));
    assert!(c4.iter().all(|v| v.is_finite()) && c4[[0, 0, 0]] < 10.0);
}

#[test]
fn stages_history_and_report_round_trip() {
    let (t, phi) = axes(4, 24);
    let mut ctl = qc(QualityControlConfig::default());
    let mut raw = synthetic(4, 24, 0.003);
    raw[[0, 1, 2]] = f64::NAN;
    let r1 = ctl.validate_stage(
        QualityStage::RawData,
        raw.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    let mut filt = raw.slice(s![..1, .., ..]).to_owned();
    let phi1 = phi.slice(s![..1]).to_owned();
    let r2 = ctl.validate_stage(
        QualityStage::FilteredData,
        filt.view_mut(),
        t.view(),
        phi1.view(),
        Some(&r1),
    );
    assert_eq!(r2.metrics.filtering_efficiency, Some(25.0));
    let r3 = ctl.validate_stage(
        QualityStage::PreprocessedData,
        filt.view_mut(),
        t.view(),
        phi1.view(),
        Some(&r2),
    );
    assert_eq!(r3.metrics.transformation_fidelity, Some(1.0));
    let _r4 = ctl.validate_stage(
        QualityStage::FinalData,
        filt.view_mut(),
        t.view(),
        phi1.view(),
        Some(&r3),
    );
    assert_eq!(ctl.history().len(), 4);
    let report = ctl.report();
    assert_eq!(report.overall_summary.total_stages_processed, 4);
    assert_eq!(report.overall_summary.total_values_repaired, 1);
    assert!(report.overall_summary.data_modified);
    assert!(report.quality_evolution.is_some());
    assert_eq!(report.metadata.thresholds.pass, 50.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quality_report.json");
    report.save(&path).unwrap();
    let back = DataQualityReport::load(&path).unwrap();
    assert_eq!(back, report);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["stage_results"][0]["stage"], "raw_data");
    // Unwritable destination: clear error.
    let e = report.save(&dir.path().join("missing").join("r.json"));
    assert!(matches!(e, Err(QualityError::Io { .. })), "{e:?}");
    // Empty stack and mismatched axes never panic.
    let mut empty = Array3::<f64>::zeros((0, 5, 5));
    let r = ctl.validate_stage(
        QualityStage::RawData,
        empty.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(!r.passed);
    let mut odd = Array3::<f64>::ones((2, 3, 4));
    let r = ctl.validate_stage(
        QualityStage::FinalData,
        odd.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    assert!(r.issues.iter().any(|i| i.message.contains("not square")));
}

/// Timing on a full-size stack (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn large_stack_timing() {
    let (n_phi, n) = (23, 1000);
    let mut c2 = synthetic(n_phi, n, 0.01);
    let (t, phi) = axes(n_phi, n);
    let start = std::time::Instant::now();
    let mut ctl = qc(QualityControlConfig::default());
    let r = ctl.validate_stage(
        QualityStage::FinalData,
        c2.view_mut(),
        t.view(),
        phi.view(),
        None,
    );
    eprintln!(
        "QC final stage: {:?} (score {:.1})",
        start.elapsed(),
        r.metrics.overall_score
    );
    let mut cfg = PreprocessingConfig::default();
    cfg.stages.reduce_noise.enabled = true;
    cfg.stages.reduce_noise.method = NoiseReductionMethod::Median;
    let start = std::time::Instant::now();
    let p = PreprocessingPipeline::new(cfg)
        .unwrap()
        .process(c2.view(), t.view(), phi.view())
        .unwrap();
    eprintln!("preprocessing (median 3x3): {:?}", start.elapsed());
    assert!(p.success);
}
