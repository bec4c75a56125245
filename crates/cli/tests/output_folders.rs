//! Output folders that tell the truth (issue 11): an interrupted run leaves no temporary
//! files (SIGINT exits 130, SIGTERM 143) and marks its folder incomplete; temporary files
//! of earlier crashed runs are removed at the start of a run; the summary names every
//! file of the run; per-angle figures of an earlier run in the same folder are removed,
//! and no other file is touched.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn homodyne() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homodyne"));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `dir` (recursively).
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    all_files(dir)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.contains(".tmp")
        })
        .collect()
}

/// Wait until a temporary file of `child` exists in `dir`, then send `signal` with
/// `kill`; returns the child's output.
fn interrupt_when_writing(mut child: Child, dir: &Path, signal: &str) -> (Output, PathBuf) {
    let pid = child.id();
    let suffix = format!(".tmp-{pid}");
    let start = Instant::now();
    let tmp = loop {
        if let Some(t) = all_files(dir)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(&suffix))
        {
            break t;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("finished ({status}) before a temporary file appeared");
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("no temporary file appeared in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    (child.wait_with_output().unwrap(), tmp)
}

#[cfg(unix)]
#[test]
fn sigint_during_simulate_removes_the_temporary_file_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let child = homodyne()
        .args(["simulate", "--config", "examples/example_laminar.yaml"])
        .arg("--output")
        .arg(out.join("sim.npz"))
        // Keep each written temporary file 60 s before its rename.
        .env("HOMODYNE_DEBUG_HOLD_TEMPORARY_MS", "60000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (o, tmp) = interrupt_when_writing(child, &out, "INT");
    assert_eq!(o.status.code(), Some(130), "{}", text(&o));
    assert!(!tmp.exists(), "{} left behind", tmp.display());
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());
    assert!(!out.join("sim.npz").exists());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("interrupted (SIGINT)"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_fit_exits_143_and_leaves_the_folder_marked_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let child = homodyne()
        .args(["--config", "examples/example_laminar.yaml", "--output-dir"])
        .arg(&out)
        .env("HOMODYNE_DEBUG_HOLD_TEMPORARY_MS", "60000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (o, tmp) = interrupt_when_writing(child, &out, "TERM");
    assert_eq!(o.status.code(), Some(143), "{}", text(&o));
    assert!(!tmp.exists(), "{} left behind", tmp.display());
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());
    let marker = std::fs::read_to_string(out.join(".homodyne_run_incomplete")).unwrap();
    assert!(marker.contains("interrupted by SIGTERM"), "{marker}");
    assert!(!out.join("homodyne_results.yaml").exists());
}

/// An hour before now.
fn an_hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

#[test]
fn a_run_removes_temporaries_of_crashed_runs_and_names_its_files_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("nlsq")).unwrap();
    // 4294967294 is above any pid_max: no such process runs.
    let dead = [
        "nlsq/.fitted_data.npz.tmp-4294967294",
        ".homodyne_results.yaml.tmp-4294967294",
        "nlsq/.c2_heatmaps_phi_0.0deg.png.4294967294.3.tmp.png",
    ];
    let user = [
        "nlsq/notes.txt",
        "nlsq/.my_settings",
        "notes.tmp-1",
        ".draft.tmp-fresh",
    ];
    for f in dead.iter().chain(&user) {
        std::fs::write(out.join(f), "x").unwrap();
    }
    // Without a process id, but older than the run: stale too.
    let old = out.join("nlsq/.parameters.json.tmp-old");
    std::fs::write(&old, "x").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(an_hour_ago())
        .unwrap();

    let o = run(homodyne()
        .args(["--config", "examples/example_laminar.yaml", "--output-dir"])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in dead {
        assert!(!out.join(f).exists(), "{f} not removed");
    }
    assert!(!old.exists());
    for f in user {
        assert!(out.join(f).exists(), "user file {f} removed");
    }
    assert!(!out.join(".homodyne_run_incomplete").exists());

    let summary: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(out.join("homodyne_results.yaml")).unwrap(),
    )
    .unwrap();
    let files: Vec<&str> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "homodyne_results.yaml",
        "homodyne.log",
        "nlsq/parameters.json",
        "nlsq/analysis_results_nlsq.json",
        "nlsq/convergence_metrics.json",
        "nlsq/fitted_data.npz",
        "nlsq/c2_heatmaps_phi_-67.5deg.png",
    ] {
        assert!(files.contains(&f), "{f} not in {files:?}");
    }
    assert_eq!(files.len(), 5 + 8 + 1, "{files:?}");
    for f in &files {
        assert!(out.join(f).is_file(), "{f} listed but missing");
    }
}

#[test]
fn a_rerun_with_other_angles_removes_the_earlier_per_angle_figures_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let plots = out.join("plots");
    let simulated = |angles: &str| {
        run(homodyne()
            .args([
                "--plot-simulated-data",
                "--config",
                "examples/example_laminar.yaml",
                "--phi-angles",
                angles,
                "--output-dir",
            ])
            .arg(&out))
    };
    let o = simulated("0,45,90");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(plots.join("simulated_data_phi_45.0.png").is_file());
    // Files of the user and of other writers that look alike are kept.
    let keep = [
        "plots/simulated_data_phi_best.png",
        "plots/my_simulated_data_phi_1.0.png",
        "plots/simulated_data_phi_1.0.png.orig",
        "nlsq/c2_heatmaps_phi_1.0deg.pdf",
    ];
    // Figures of an earlier fit whose angles this data set does not have.
    let stale = [
        "nlsq/c2_heatmaps_phi_123.0deg.png",
        "simulated_data/simulated_c2_fitted_phi_-123.0deg.png",
    ];
    for f in keep.iter().chain(&stale) {
        let p = out.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }

    let o = simulated("10,20");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for a in ["0.0", "45.0", "90.0"] {
        assert!(!plots.join(format!("simulated_data_phi_{a}.png")).exists());
    }
    for a in ["10.0", "20.0"] {
        assert!(plots.join(format!("simulated_data_phi_{a}.png")).is_file());
    }
    assert!(plots.join("simulated_data_diagonal.png").is_file());

    let o = run(homodyne()
        .args([
            "--config",
            "examples/example_laminar.yaml",
            "--save-plots",
            "--output-dir",
        ])
        .arg(&out));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in stale {
        assert!(!out.join(f).exists(), "stale {f} kept");
    }
    for f in keep {
        assert!(out.join(f).exists(), "{f} removed");
    }
    assert!(out.join("nlsq/c2_heatmaps_phi_-67.5deg.png").is_file());
    assert!(
        out.join("simulated_data/simulated_c2_fitted_phi_-67.5deg.png")
            .is_file()
    );
    assert_eq!(temporaries(&out), Vec::<PathBuf>::new());
}
