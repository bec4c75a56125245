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
