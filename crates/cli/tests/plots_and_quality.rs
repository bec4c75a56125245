//! Plot-only runs (`--plot-experimental-data`, `--plot-simulated-data`) and the optional
//! quality-control / preprocessing stages, through the built binary. The runs on data use
//! `data/boostcorr_static_results.hdf` from `$HOMODYNE_REFERENCE_DIR` or `../shared` and
//! are skipped when neither has it (see `common`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const STATIC_DATA: &str = "data/boostcorr_static_results.hdf";

/// The folder holding `STATIC_DATA` (`../shared/data`, which need not exist, when no
/// reference folder has it: the simulated-data test needs no data).
fn data_folder() -> PathBuf {
    match common::reference_file(STATIC_DATA) {
        Some(file) => file.parent().unwrap().to_path_buf(),
        None => common::workspace_root().join("../shared/data"),
    }
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    let data = data_folder();
    let text = format!(
        "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.02\n  start_frame: 1\n  end_frame: 120\n  scattering:\n    wavevector_q: 0.00562621\nexperimental_data:\n  data_folder_path: {}\n  data_file_name: boostcorr_static_results.hdf\n  cache_file_path: {}\ninitial_parameters:\n  parameter_names: [D0, alpha, D_offset]\n  values: [40000.0, 0.0, 0.0]\n{extra}",
        data.display(),
        dir.join("cache").display()
    );
    let path = dir.join("c.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn pngs(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".png"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for n in &names {
        let bytes = std::fs::read(dir.join(n)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{n}");
    }
    names
}

fn homodyne(args: &[&str], cfg: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .arg("--config")
        .arg(cfg)
        .arg("--output-dir")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn plot_experimental_data_alone_loads_and_plots_without_fitting() {
    let Some(_) = common::require_reference([STATIC_DATA]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let out = dir.path().join("out");
    let run = homodyne(&["--plot-experimental-data"], &cfg, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let plots = out.join("plots");
    let per_angle = pngs(&plots, "experimental_data_phi_");
    assert_eq!(per_angle.len(), 12, "{per_angle:?}");
    assert_eq!(pngs(&plots, "experimental_data_diagonal").len(), 1);
    assert!(!out.join("nlsq").exists(), "no fit without --method");
    // The cache was written on first load and is reused on the second.
    let cached: Vec<_> = std::fs::read_dir(dir.path().join("cache"))
        .unwrap()
        .collect();
    assert_eq!(cached.len(), 1);
    let again = homodyne(&["--plot-experimental-data", "-v"], &cfg, &out);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("cached"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn plot_simulated_data_needs_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    // Point the data at a missing file: simulated plots must not load it.
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("boostcorr_static_results.hdf", "missing.hdf");
    std::fs::write(&cfg, text).unwrap();
    let out = dir.path().join("out");
    let run = homodyne(
        &[
            "--plot-simulated-data",
            "--phi-angles",
            "0,90",
            "--contrast",
            "0.4",
        ],
        &cfg,
        &out,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let plots = out.join("plots");
    assert_eq!(
        pngs(&plots, "simulated_data_phi_"),
        vec!["simulated_data_phi_0.0.png", "simulated_data_phi_90.0.png"]
    );
    assert_eq!(pngs(&plots, "simulated_data_diagonal").len(), 1);
    // With a fit requested the missing data file is a named error.
    let fit = homodyne(&["--method", "nlsq"], &cfg, &out);
    assert_eq!(fit.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fit.stderr).contains("missing.hdf"));
}

#[test]
fn quality_control_and_preprocessing_write_reports() {
    let Some(_) = common::require_reference([STATIC_DATA]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "quality_control:\n  enabled: true\npreprocessing:\n  enabled: true\n  save_provenance: true\n",
    );
    let out = dir.path().join("out");
    let run = homodyne(&["--plot-experimental-data"], &cfg, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("quality_report.json")).unwrap())
            .unwrap();
    let text = report.to_string();
    for stage in ["raw_data", "preprocessed_data", "final_data"] {
        assert!(text.contains(stage), "{stage} missing from {text:.300}");
    }
    let provenance: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("preprocessing_provenance.json")).unwrap(),
    )
    .unwrap();
    assert!(
        provenance["transformations"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
}
