//! Same input, same answer: repeated runs and different thread counts write byte-identical
//! `parameters.json` apart from the timestamp (and identical fitted values elsewhere).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `parameters.json` of one run with the given extra flags, timestamp line removed.
fn parameters(out: &Path, extra: &[&str]) -> String {
    let config = root().join("examples/example_laminar.yaml");
    let run = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--config")
        .arg(&config)
        .arg("--output-dir")
        .arg(out)
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(out.join("nlsq/parameters.json"))
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"timestamp\""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn repeated_runs_and_thread_counts_give_identical_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let reference = parameters(&dir.path().join("r0"), &[]);
    for k in 1..5 {
        let again = parameters(&dir.path().join(format!("r{k}")), &[]);
        assert_eq!(again, reference, "run {k} differs");
    }
    for threads in ["1", "2", "3"] {
        let other = parameters(
            &dir.path().join(format!("t{threads}")),
            &["--threads", threads],
        );
        assert_eq!(other, reference, "--threads {threads} differs");
    }
}
