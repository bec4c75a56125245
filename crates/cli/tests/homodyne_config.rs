//! Runs the built `homodyne-config` binary (08 §8.8).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_homodyne-config"))
}

fn run(args: &[&str], cwd: &std::path::Path) -> Output {
    bin().args(args).current_dir(cwd).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn no_mode_prints_help_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--mode"), "{}", text(&o));
}

#[test]
fn writes_templates_for_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, shear) in [("static", false), ("laminar_flow", true)] {
        let out = format!("{mode}.yaml");
        let o = run(&["--mode", mode, "--output", &out], dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let cfg = homodyne_config::load_file(dir.path().join(&out))
            .unwrap()
            .config;
        assert_eq!(cfg.mode().as_str(), mode);
        let names = cfg.initial_parameters.parameter_names.unwrap();
        assert_eq!(names.iter().any(|n| n == "gamma_dot_t0"), shear);
    }
    // Default output name.
    let o = run(&["-m", "static"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(dir.path().join("homodyne_static_config.yaml").exists());
}

#[test]
fn existing_file_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.yaml");
    std::fs::write(&p, "keep me\n").unwrap();
    let o = run(&["--mode", "static", "--output", "c.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "keep me\n");
    let o = run(
        &["--mode", "static", "--output", "c.yaml", "--force"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        std::fs::read_to_string(&p)
            .unwrap()
            .contains("analysis_mode: \"static\"")
    );
}

#[test]
fn filters() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "-m",
            "laminar_flow",
            "-o",
            "n.yaml",
            "--filter",
            "nlsq_only",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let l = homodyne_config::load_file(dir.path().join("n.yaml")).unwrap();
    assert!(l.tree.get_path("optimization.cmc").is_none());
    assert!(l.tree.get_path("optimization.nlsq").is_some());
    let o = run(
        &["-m", "laminar_flow", "-o", "x.yaml", "--filter", "bogus"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_reports() {
    let dir = tempfile::tempdir().unwrap();
    // Missing file.
    let o = run(&["--validate", "missing.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("missing.yaml"));
    // A generated template is valid (the data file is only a warning).
    run(&["-m", "laminar_flow", "-o", "ok.yaml"], dir.path());
    let o = run(&["--validate", "ok.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("laminar_flow") && t.contains("valid"), "{t}");
    assert!(t.contains("data file does not exist"), "{t}");
    // Type errors: exit 1, every error listed with path and line.
    std::fs::write(
        dir.path().join("bad.yaml"),
        "analysis_mode: static\nanalyzer_parameters:\n  dt: \"abc\"\n  end_frame: [1]\nextra_key: 1\n",
    )
    .unwrap();
    let o = run(&["-v", "bad.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("bad.yaml:3") && t.contains("analyzer_parameters.dt"),
        "{t}"
    );
    assert!(
        t.contains("bad.yaml:4") && t.contains("analyzer_parameters.end_frame"),
        "{t}"
    );
    assert!(t.contains("extra_key") && t.contains("unknown key"), "{t}");
    // Syntax error names the line.
    std::fs::write(dir.path().join("syn.yaml"), "a: [1, 2\nb: 3\n").unwrap();
    let o = run(&["--validate", "syn.yaml"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("syn.yaml:"), "{}", text(&o));
}

fn interactive(args: &[&str], input: &[u8], cwd: &std::path::Path) -> Output {
    let mut child = bin()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn interactive_with_piped_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let o = interactive(
        &[
            "--interactive",
            "--mode",
            "laminar_flow",
            "--output",
            "i.yaml",
        ],
        b"/data/exp/run1.hdf\n0.0123\nnot-a-number\n0.05\n5\n500\n1500000\n",
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("invalid answer"));
    let c = homodyne_config::load_file(dir.path().join("i.yaml"))
        .unwrap()
        .config;
    assert_eq!(c.data_file(), Some("/data/exp/run1.hdf".into()));
    assert_eq!((c.wavevector_q(), c.dt()), (0.0123, 0.05));
    assert_eq!((c.start_frame(), c.end_frame()), (5, 500));
    assert_eq!(c.stator_rotor_gap(), 1.5e6);

    // Mode asked interactively; empty answers and end of input keep the defaults.
    let o = interactive(&["-i", "-o", "j.yaml"], b"static\n\n\n0.2\n", dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let c = homodyne_config::load_file(dir.path().join("j.yaml"))
        .unwrap()
        .config;
    assert_eq!(c.mode().as_str(), "static");
    assert_eq!((c.dt(), c.end_frame()), (0.2, 2000));
}

/// `--validate` finds a data file given relative to the configuration's folder, like
/// `homodyne` itself does.
#[test]
fn validate_resolves_data_paths_beside_the_config() {
    let example = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/example_laminar.yaml");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_homodyne-config"))
        .arg("--validate")
        .arg(&example)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("example_laminar.hdf"), "{text}");
    assert!(!text.contains("not found"), "{text}");
}
