//! What the console says (issue 11): a closed stdout ends the output quietly (no panic,
//! the exit code of the work), every failure is one `error:` line naming file, key and
//! value, `homodyne-config --output -` writes to stdout, the `--initial-*` flags are
//! documented, and the reasons a fit is doubtful reach stderr at the default verbosity.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `cmd` with its stdout a pipe whose read end is closed before the program writes.
fn with_closed_stdout(cmd: &mut Command) -> Output {
    let mut child = cmd
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

fn assert_quiet_end(o: &Output, code: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let homodyne = env!("CARGO_BIN_EXE_homodyne");
    let config = env!("CARGO_BIN_EXE_homodyne-config");
    let o = with_closed_stdout(Command::new(homodyne).args(["completions", "bash"]));
    assert_quiet_end(&o, 0);
    let o = with_closed_stdout(Command::new(homodyne).arg("--help"));
    assert_quiet_end(&o, 0);
    let o = with_closed_stdout(
        Command::new(config).args(["--validate", "examples/example_laminar.yaml"]),
    );
    assert_quiet_end(&o, 0);
    let o = with_closed_stdout(Command::new(config).args(["--mode", "static", "--output", "-"]));
    assert_quiet_end(&o, 0);

    // A fit whose summary table cannot be printed: results written, exit code of the fit.
    let dir = tempfile::tempdir().unwrap();
    let o = with_closed_stdout(
        Command::new(homodyne)
            .args(["--config", "examples/example_laminar.yaml", "--output-dir"])
            .arg(dir.path()),
    );
    assert_quiet_end(&o, 0);
    assert!(dir.path().join("homodyne_results.yaml").is_file());
}

fn bad_config(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/example_laminar.yaml")).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    let path = dir.join("bad.yaml");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

/// The lines of stderr that carry an error.
fn error_lines(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.contains("error"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_bad_configuration_is_one_error_line_with_file_line_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let config = bad_config(dir.path(), "  dt: 0.1 ", "  dt: -0.1 ");
    let line_no = std::fs::read_to_string(&config)
        .unwrap()
        .lines()
        .position(|l| l.contains("dt: -0.1"))
        .unwrap()
        + 1;
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--config")
        .arg(&config)
        .arg("--output-dir")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    let line = &lines[0];
    assert!(line.starts_with("error: "), "{line}");
    assert_eq!(line.matches("error").count(), 1, "{line}");
    let location = format!("{}:{line_no}", config.display());
    for part in [location.as_str(), "analyzer_parameters.dt", "-0.1"] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    // No timestamped log lines on the console.
    assert!(!stderr(&o).contains(" ERROR "), "{}", text(&o));

    // Two errors: still one line, each named.
    let text2 = std::fs::read_to_string(&config)
        .unwrap()
        .replace("  end_frame: 80 ", "  end_frame: \"many\" ");
    std::fs::write(&config, text2).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--config")
        .arg(&config)
        .arg("--output-dir")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    for part in [
        "analyzer_parameters.dt",
        "analyzer_parameters.end_frame",
        "many",
    ] {
        assert!(lines[0].contains(part), "{part} missing: {}", lines[0]);
    }

    // The same for `homodyne simulate`.
    let config = bad_config(dir.path(), "  dt: 0.1 ", "  dt: -0.1 ");
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(["simulate", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(dir.path().join("sim.npz"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let lines = error_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    assert!(lines[0].contains("analyzer_parameters.dt"), "{}", lines[0]);
}

#[test]
fn homodyne_config_output_dash_writes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne-config"))
        .args(["--mode", "laminar_flow", "--output", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!dir.path().join("-").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let yaml = String::from_utf8(o.stdout).unwrap();
    let loaded =
        homodyne_config::load_str(&yaml, homodyne_config::Format::Yaml, "<stdout>").unwrap();
    assert_eq!(
        loaded.config.mode(),
        homodyne_config::AnalysisMode::LaminarFlow
    );
}

#[test]
fn help_documents_every_initial_value_flag() {
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = help.lines().collect();
    for flag in [
        "--initial-d0",
        "--initial-alpha",
        "--initial-d-offset",
        "--initial-gamma-dot-t0",
        "--initial-beta",
        "--initial-gamma-dot-offset",
        "--initial-phi0",
    ] {
        let i = lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("{flag} ")))
            .unwrap_or_else(|| panic!("{flag} not in --help"));
        // The description follows on the next line (long help).
        assert!(
            lines[i + 1].contains("Start value of"),
            "{flag} has no help: {:?}",
            &lines[i..i + 2]
        );
    }
}

/// A fit with the example's data and a modified configuration, default verbosity.
fn fit_with(dir: &Path, changes: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut text = std::fs::read_to_string(root().join("examples/example_laminar.yaml")).unwrap();
    for (from, to) in changes {
        assert_eq!(text.matches(from).count(), 1, "{from}");
        text = text.replace(from, to);
    }
    let text = text.replace(
        "data_folder_path: \"data/\"",
        &format!(
            "data_folder_path: \"{}/\"",
            root().join("examples/data").display()
        ),
    );
    let config = dir.join("c.yaml");
    std::fs::write(&config, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .arg("--config")
        .arg(&config)
        .arg("--output-dir")
        .arg(dir.join("out"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn doubtful_fits_say_why_on_stderr_at_the_default_verbosity() {
    // Not converged: the reason, the quality, and one error line with the exit code.
    let dir = tempfile::tempdir().unwrap();
    let o = fit_with(dir.path(), &[], &["--max-iterations", "1"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: the fit did not converge")),
        "{err}"
    );
    assert!(err.contains("fit quality poor"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );

    // A parameter at its bound (D0's upper bound below the truth, 1.5e4; the start value
    // inside it).
    let dir = tempfile::tempdir().unwrap();
    let o = fit_with(
        dir.path(),
        &[
            (
                "{ name: D0, min: 100.0, max: 100000.0 }",
                "{ name: D0, min: 100.0, max: 5000.0 }",
            ),
            ("values: [10000.0,", "values: [4000.0,"),
        ],
        &[],
    );
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: ") && l.contains("bound") && l.contains("D0")),
        "{}",
        text(&o)
    );
    // The table on stdout says it too (kept by scripts that drop stderr).
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("doubts")
            && table
                .lines()
                .any(|l| l.contains("bound") && l.contains("D0")),
        "{table}"
    );

    // Unidentifiable: with beta ~ 0 only gamma_dot_t0 + gamma_dot_t_offset is measured.
    let dir = tempfile::tempdir().unwrap();
    let o = fit_with(
        dir.path(),
        &[(
            "fixed_parameters: {gamma_dot_t_offset: 0.0}",
            "fixed_parameters: {}",
        )],
        &[],
    );
    let err = stderr(&o);
    assert!(
        err.lines().any(|l| l.starts_with("warning: ")
            && l.contains("gamma_dot_t0")
            && l.contains("gamma_dot_t_offset")
            && l.contains("determined")),
        "{}",
        text(&o)
    );
}
