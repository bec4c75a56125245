//! Flags every command has: version, completions, usage errors.

use std::process::Command;

fn homodyne(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn version_and_completions() {
    let v = homodyne(&["--version"]);
    assert!(v.status.success());
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
    for shell in ["bash", "zsh", "fish"] {
        let out = homodyne(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("output-format"),
            "{shell} completion lacks flags"
        );
        assert!(
            text.contains("simulate"),
            "{shell} completion lacks subcommands"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--method", "mcmc"][..],
        &["--max-iterations", "0"],
        &["--tolerance", "-1"],
        &["--initial-d0", "-5"],
        &["-v", "--quiet"],
        &["completions", "powershell-not"],
    ] {
        let out = homodyne(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// `--max-iterations` and `--tolerance` reach the solver (the reference ignored them).
#[test]
fn max_iterations_and_tolerance_are_honoured() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = root.join("examples/example_laminar.yaml");
    let status_of = |extra: &[&str]| -> (String, u64) {
        let out = tempfile::tempdir().unwrap();
        let run = Command::new(env!("CARGO_BIN_EXE_homodyne"))
            .arg("--config")
            .arg(&config)
            .arg("--output-dir")
            .arg(out.path())
            .args(extra)
            // A fit stopped at the iteration limit exits 3 (tests/exit_codes.rs); here
            // only the solver's status matters.
            .arg("--accept-poor-fit")
            .current_dir(&root)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text =
            std::fs::read_to_string(out.path().join("nlsq/convergence_metrics.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        (
            v["convergence"]["status"].as_str().unwrap().to_string(),
            v["convergence"]["iterations"].as_u64().unwrap(),
        )
    };
    let (status, iterations) = status_of(&["--max-iterations", "1"]);
    assert_eq!(status, "max_iter");
    assert!(iterations <= 1, "{iterations}");
    let (status, loose) = status_of(&["--tolerance", "1e-2"]);
    assert_eq!(status, "converged");
    let (_, tight) = status_of(&["--tolerance", "1e-12"]);
    assert!(loose < tight, "loose {loose} vs tight {tight} iterations");
}
