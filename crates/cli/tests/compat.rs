//! Drop-in compatibility with the reference's command line: its flags that mean nothing
//! here are accepted with a one-line note, the summary carries a device block, and the
//! label lists scripts read are written beside the data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn homodyne(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

#[test]
fn reference_only_flags_are_accepted_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::copy(
        root().join("examples/data/example_laminar.hdf"),
        dir.path().join("data/example_laminar.hdf"),
    )
    .unwrap();
    std::fs::copy(
        root().join("examples/example_laminar.yaml"),
        dir.path().join("c.yaml"),
    )
    .unwrap();
    let out = homodyne(
        dir.path(),
        &[
            "--config",
            "c.yaml",
            "--output-dir",
            "out",
            "--no-jit",
            "--plotting-backend",
            "matplotlib",
            "--parallel-plots",
            "-v",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for flag in ["--no-jit", "--plotting-backend", "--parallel-plots"] {
        let notes: Vec<&str> = err.lines().filter(|l| l.contains(flag)).collect();
        assert_eq!(notes.len(), 1, "{flag}: {err}");
        assert!(notes[0].contains("no effect"), "{}", notes[0]);
    }
    let summary = std::fs::read_to_string(dir.path().join("out/homodyne_results.yaml")).unwrap();
    let summary: serde_json::Value = serde_saphyr::from_str(&summary).unwrap();
    let device = &summary["device_config"];
    assert!(device["threads"].as_u64().unwrap() >= 1, "{device}");
    assert!(device["simd"].is_array(), "{device}");
    assert_eq!(device["version"], env!("CARGO_PKG_VERSION"));
    let phi = std::fs::read_to_string(dir.path().join("data/phi_angles_list.txt")).unwrap();
    assert_eq!(phi.lines().count(), 9, "{phi}");
    assert!(phi.contains("-67.500000"), "{phi}");
    let q = std::fs::read_to_string(dir.path().join("data/wavevector_q_list.txt")).unwrap();
    assert!(q.starts_with("# Wavevector q (1/Angstrom)\n"), "{q}");
}
