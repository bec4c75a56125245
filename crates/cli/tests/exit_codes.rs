//! Exit codes a batch script can rely on: 0 for a sound fit, 3 when the fit did not
//! converge, 4 when it converged with poor quality; results are written in every case,
//! and `--accept-poor-fit` turns 3 and 4 into 0.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fit(out: &Path, extra: &[&str]) -> Output {
    let config = root().join("examples/example_laminar.yaml");
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(&args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn quality(out: &Path) -> String {
    let text = std::fs::read_to_string(out.join("nlsq/analysis_results_nlsq.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["fit_quality"]["quality_flag"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn converged_fit_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = fit(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(quality(dir.path()), "poor");
}

#[test]
fn iteration_limit_exits_3_with_results_written_and_never_good() {
    let dir = tempfile::tempdir().unwrap();
    let out = fit(dir.path(), &["--max-iterations", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("did not converge"), "{err}");
    assert!(dir.path().join("nlsq/parameters.json").is_file());
    assert!(dir.path().join("homodyne_results.yaml").is_file());
    assert_eq!(quality(dir.path()), "poor");

    let dir = tempfile::tempdir().unwrap();
    let out = fit(dir.path(), &["--max-iterations", "1", "--accept-poor-fit"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example's data with a configured noise level five times too small: the fit
/// converges, and its reduced chi^2 (about 25) says poor.
fn config_with_small_sigma(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/example_laminar.yaml"))
        .unwrap()
        .replace(
            "    loss: \"linear\"\n",
            "    loss: \"linear\"\n    sigma: 0.002\n",
        )
        .replace(
            "data_folder_path: \"data/\"",
            &format!(
                "data_folder_path: \"{}/\"",
                root().join("examples/data").display()
            ),
        );
    assert!(text.contains("sigma: 0.002"));
    let path = dir.join("small_sigma.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn fit_config(config: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--config")
        .arg(config)
        .arg("--output-dir")
        .arg(out)
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn poor_fit_exits_4_with_the_reason_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_small_sigma(dir.path());
    let out_dir = dir.path().join("out");
    let out = fit_config(&config, &out_dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("poor"), "{err}");
    assert!(out_dir.join("nlsq/parameters.json").is_file());
    assert_eq!(quality(&out_dir), "poor");

    let out_dir = dir.path().join("accepted");
    let out = fit_config(&config, &out_dir, &["--accept-poor-fit"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
