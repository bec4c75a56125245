//! CMC through the facade on the bundled example: warm start from the NLSQ fit, posterior
//! against the truth, result files; warm starts read from a folder; bad input.

use std::path::PathBuf;

use homodyne::{Analysis, Overrides, Silent, WarmStartFrom};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(overrides: Overrides) -> Analysis {
    Analysis::from_file(root().join("examples/example_laminar.yaml"), overrides).unwrap()
}

fn short() -> Overrides {
    Overrides {
        n_samples: Some(300),
        n_warmup: Some(300),
        n_chains: Some(2),
        ..Overrides::default()
    }
}

#[test]
fn cmc_on_the_example_covers_the_truth_and_writes_its_files() {
    let out = tempfile::tempdir().unwrap();
    let analysis = example(short());
    let data = analysis.load(None, &Silent).unwrap();
    let nlsq = analysis.fit_nlsq(&data, &Silent).unwrap();
    let outcome = analysis
        .sample_cmc(&data, WarmStartFrom::Nlsq(&nlsq), Some(out.path()), &Silent)
        .unwrap();
    let r = &outcome.result;
    assert_eq!(
        r.num_shards, 1,
        "auto on 2 cores: one shard (the exact posterior)"
    );
    assert!(r.converged(), "max R-hat {}", r.max_rhat());
    let truth = [
        ("D0", 15000.0),
        ("alpha", -0.3),
        ("gamma_dot_t0", 0.0004),
        ("phi0", 2.0),
    ];
    for (name, t) in truth {
        let j = r.names.iter().position(|n| n == name).unwrap();
        let s = &r.summaries[j];
        assert!(
            (s.mean - t).abs() < 4.0 * s.sd,
            "{name}: posterior {} ± {}, truth {t}",
            s.mean,
            s.sd
        );
        // The posterior and the NLSQ fit describe the same likelihood.
        let e = nlsq.parameter(name).unwrap();
        let ratio = s.sd / e.uncertainty;
        assert!((0.8..1.25).contains(&ratio), "{name}: sd ratio {ratio}");
    }
    let output = analysis.output_options(out.path());
    let files = analysis
        .write_cmc(&data, &outcome, &output, "cmc", &Silent)
        .unwrap();
    for name in [
        "parameters.json",
        "analysis_results_cmc.json",
        "diagnostics.json",
        "samples.npz",
        "fitted_data.npz",
    ] {
        let p = out.path().join("cmc").join(name);
        assert!(p.is_file(), "{} missing", p.display());
        assert!(files.contains(&p), "{name} not listed");
    }
    assert!(out.path().join("cmc/posterior.zarr/.zmetadata").is_file());
    // The finished shard was checkpointed.
    assert!(out.path().join("cmc/shards").read_dir().unwrap().count() >= 2);
}

#[test]
fn warm_start_from_an_earlier_run_folder() {
    let out = tempfile::tempdir().unwrap();
    let analysis = example(short());
    let data = analysis.load(None, &Silent).unwrap();
    let nlsq = analysis.fit_nlsq(&data, &Silent).unwrap();
    analysis
        .write_nlsq(&data, &nlsq, &analysis.output_options(out.path()), &Silent)
        .unwrap();
    let outcome = analysis
        .sample_cmc(&data, WarmStartFrom::Folder(out.path()), None, &Silent)
        .unwrap();
    assert!(outcome.result.warm_start.contains("parameters.json"));
    assert!(outcome.result.converged());
    assert!(outcome.nlsq.is_none());
}

#[test]
fn bad_warm_starts_and_settings_are_one_clear_error() {
    let analysis = example(short());
    let data = analysis.load(None, &Silent).unwrap();
    let missing = tempfile::tempdir().unwrap().path().join("nowhere");
    let e = analysis
        .sample_cmc(&data, WarmStartFrom::Folder(&missing), None, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nowhere") && e.contains("no such file"), "{e}");

    // A static fit's folder for a laminar analysis.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("parameters.json"),
        r#"{"analysis_mode": "static", "parameters": {"contrast": {"value": 0.2}, "offset": {"value": 1.0}, "D0": {"value": 1000.0}}}"#,
    )
    .unwrap();
    let e = analysis
        .sample_cmc(&data, WarmStartFrom::Folder(dir.path()), None, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("static") && e.contains("laminar_flow"), "{e}");

    let bad = example(Overrides {
        cmc_backend: Some("slurm".into()),
        ..short()
    });
    let e = bad.cmc_settings().unwrap_err().to_string();
    assert!(e.contains("slurm"), "{e}");
}
