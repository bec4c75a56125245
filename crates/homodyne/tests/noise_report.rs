//! The noise sigma and the points counted, from the configuration to the result files:
//! the bundled example (an APS file: half matrices, noise 0.01) is symmetric, so each
//! measurement counts once; sigma is measured per angle by default, or configured.

mod common;

use common::{config_path, example_with};
use homodyne::nlsq::{PointsCounted, SigmaMethod};
use homodyne::{Analysis, Overrides, Silent};

#[test]
fn estimated_sigma_and_unique_pairs_are_used_and_reported() {
    let analysis = Analysis::from_file(config_path(), Overrides::default()).unwrap();
    let data = analysis.load(None, &Silent).unwrap();
    let fit = analysis.fit_nlsq(&data, &Silent).unwrap();
    let o = &fit.objective;
    assert!(o.symmetric_data);
    assert_eq!(o.points, PointsCounted::UniquePairs);
    assert_eq!(o.sigma_method, SigmaMethod::Estimated);
    assert_eq!(o.sigma.len(), 8);
    for s in &o.sigma {
        assert!((s / 0.01 - 1.0).abs() < 0.06, "{:?}", o.sigma);
    }
    // t = 0 is excluded: 79 frames, each unordered pair once per angle.
    assert_eq!(fit.n_points, 8 * 79 * 78 / 2);
    assert!(
        (0.9..1.1).contains(&fit.reduced_chi_squared),
        "{}",
        fit.reduced_chi_squared
    );

    let out = tempfile::tempdir().unwrap();
    analysis
        .write_nlsq(&data, &fit, &analysis.output_options(out.path()), &Silent)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("nlsq/analysis_results_nlsq.json")).unwrap(),
    )
    .unwrap();
    let fq = &json["fit_quality"];
    assert_eq!(fq["sigma_method"], "estimated");
    assert_eq!(fq["sigma"].as_array().unwrap().len(), 8);
    assert!((fq["sigma_mean"].as_f64().unwrap() / 0.01 - 1.0).abs() < 0.03);
    assert!(
        fq["sigma_description"]
            .as_str()
            .unwrap()
            .contains("second-difference")
    );
    let di = &json["dataset_info"];
    assert_eq!(di["symmetric"], true);
    assert_eq!(
        di["points_counted"],
        "upper triangle (each measurement once)"
    );
    assert_eq!(di["fitted_data_points"], 8 * 79 * 78 / 2);
    let table = homodyne::io::summary_table(&fit);
    assert!(
        table.contains("noise sigma 0.01")
            && table.contains("(estimated from the data, mean over 8 angles)")
            && table.contains("each measurement counted once"),
        "{table}"
    );
}

#[test]
fn configured_sigma_is_used_and_reported() {
    let analysis = example_with("    sigma: 0.02\n");
    assert_eq!(
        analysis.nlsq_options().unwrap().sigma,
        homodyne::nlsq::SigmaSetting::Value(0.02)
    );
    let data = analysis.load(None, &Silent).unwrap();
    let fit = analysis.fit_nlsq(&data, &Silent).unwrap();
    assert_eq!(fit.objective.sigma_method, SigmaMethod::Configured);
    assert_eq!(fit.objective.sigma, vec![0.02; 8]);
    // Noise 0.01 judged against 0.02: reduced chi^2 about 1/4.
    assert!(
        (0.2..0.3).contains(&fit.reduced_chi_squared),
        "{}",
        fit.reduced_chi_squared
    );
    let table = homodyne::io::summary_table(&fit);
    assert!(table.contains("noise sigma 0.0200 (configured)"), "{table}");
}

#[test]
fn invalid_sigma_is_refused_before_loading() {
    let path = config_path();
    for bad in ["-0.01", "0"] {
        let text = std::fs::read_to_string(&path).unwrap().replacen(
            "    loss: \"linear\"\n",
            &format!("    loss: \"linear\"\n    sigma: {bad}\n"),
            1,
        );
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.yaml");
        std::fs::write(&config, text).unwrap();
        let e = Analysis::from_file(&config, Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("optimization.nlsq.sigma"), "{e}");
    }
}
