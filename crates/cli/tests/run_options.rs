//! Run options beyond the basic fit: --save-plots, overrides that do not apply, per-angle
//! scaling lists that do not fit, the default configuration, `values: null` in simulate.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example_config() -> PathBuf {
    root().join("examples/example_laminar.yaml")
}

fn homodyne(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn save_plots_writes_fitted_simulation() {
    let out = tempfile::tempdir().unwrap();
    let cfg = example_config();
    let run = homodyne(
        &root(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--output-dir",
            out.path().to_str().unwrap(),
            "--save-plots",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let sim = out.path().join("simulated_data");
    assert!(sim.join("c2_fitted_data.npz").is_file());
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sim.join("simulation_config_fitted.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["analysis_mode"], "laminar_flow");
    assert_eq!(json["phi_angles"].as_array().unwrap().len(), 8);
    let pngs = std::fs::read_dir(&sim)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("simulated_c2_fitted_phi_")
        })
        .count();
    assert_eq!(pngs, 8);
    let fig = std::fs::read(out.path().join("plots/fit_comparison.png")).unwrap();
    assert_eq!(&fig[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn overrides_that_do_not_apply_are_reported_and_lists_that_do_not_fit_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    // Per-angle lists for 3 angles, while the example has 8: warned, data estimates used.
    let text = std::fs::read_to_string(example_config()).unwrap();
    let text = text
        .replace(
            "    contrast: null # null = estimated from the data",
            "    contrast: [0.2, 0.2, 0.2]",
        )
        .replace("    offset: null", "    offset: [1.0, 1.0, 1.0]");
    assert!(text.contains("contrast: [0.2, 0.2, 0.2]"));
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, text).unwrap();
    let data = root().join("examples/data/example_laminar.hdf");
    let run = homodyne(
        dir.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--data-file",
            data.to_str().unwrap(),
            "--output-dir",
            "out",
            "--static-mode",
            "--initial-phi0",
            "3",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains("--initial-phi0 ignored"), "{err}");
    assert!(err.contains("per_angle_scaling ignored"), "{err}");
    let params: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/nlsq/parameters.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(params["analysis_mode"], "static");
    assert!(params["parameters"]["phi0"].is_null());
}

#[test]
fn missing_default_config_uses_the_builtin_template() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("examples/data/example_laminar.hdf");
    let run = homodyne(
        dir.path(),
        // The static template on laminar-flow data is a poor fit (exit 4 otherwise).
        &[
            "--data-file",
            data.to_str().unwrap(),
            "--output-dir",
            "out",
            "--accept-poor-fit",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("built-in static template"),
        "{}",
        stderr(&run)
    );
    assert!(dir.path().join("out/nlsq/parameters.json").is_file());
    // A non-default path must exist.
    let run = homodyne(dir.path(), &["--config", "nope.yaml"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("nope.yaml"));
}

#[test]
fn simulate_accepts_null_values_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(
        &cfg,
        "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n  start_frame: 1\n  end_frame: 10\n  scattering:\n    wavevector_q: 0.01\ninitial_parameters:\n  values: null\n",
    )
    .unwrap();
    let run = homodyne(
        dir.path(),
        &["simulate", "--config", "c.yaml", "--output", "s.npz"],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("midpoints"));
    assert!(dir.path().join("s.npz").is_file());
    // A grid far beyond memory is refused with a clear message, not an abort.
    let big = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("end_frame: 10", "end_frame: 2000000");
    std::fs::write(&cfg, big).unwrap();
    let run = homodyne(
        dir.path(),
        &["simulate", "--config", "c.yaml", "--output", "s2.npz"],
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("GiB"), "{}", stderr(&run));
}
