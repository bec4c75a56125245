//! `homodyne cmc plan | shard | combine` (job arrays without MPI): the same samples as one
//! local run, byte for byte; a killed shard task rerun alone; missing shards named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn homodyne(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const SETTINGS: [&str; 8] = [
    "--n-samples",
    "150",
    "--n-warmup",
    "150",
    "--n-chains",
    "2",
    "--cmc-num-shards",
    "3",
];

fn local(out: &Path) {
    let mut args = vec![
        "--config",
        "examples/example_laminar.yaml",
        "--output-dir",
        out.to_str().unwrap(),
        "--method",
        "cmc",
        "--accept-poor-fit",
    ];
    args.extend(SETTINGS);
    let o = homodyne(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn plan(out: &Path) -> usize {
    let mut args = vec![
        "cmc",
        "plan",
        "--config",
        "examples/example_laminar.yaml",
        "--output-dir",
        out.to_str().unwrap(),
    ];
    args.extend(SETTINGS);
    let o = homodyne(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let last = stdout.trim().lines().last().unwrap();
    last.strip_suffix(" shards").unwrap().parse().unwrap()
}

fn shard(out: &Path, index: &str) -> Output {
    homodyne(&[
        "cmc",
        "shard",
        "--output-dir",
        out.to_str().unwrap(),
        "--index",
        index,
    ])
}

fn combine(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "cmc",
        "combine",
        "--output-dir",
        out.to_str().unwrap(),
        "--accept-poor-fit",
    ];
    args.extend_from_slice(extra);
    homodyne(&args)
}

fn samples(out: &Path) -> Vec<u8> {
    std::fs::read(out.join("cmc/samples.npz")).unwrap()
}

#[test]
fn plan_shard_combine_equals_one_local_run_and_missing_shards_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (reference, jobs) = (tmp.path().join("local"), tmp.path().join("jobs"));
    local(&reference);
    assert_eq!(plan(&jobs), 3);
    for i in ["0", "2"] {
        let o = shard(&jobs, i);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // Shard 1 missing: named, non-zero exit, no result files.
    let o = combine(&jobs, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("[1]") && err.contains("--allow-missing"),
        "{err}"
    );
    assert!(!jobs.join("cmc/samples.npz").exists());
    // --allow-missing: the success-rate rule (2 of 3 < 0.9) decides, and says so.
    let o = combine(&jobs, &["--allow-missing"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("success"), "{}", stderr(&o));
    // An index outside the plan.
    let o = shard(&jobs, "7");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("0 to 2"), "{}", stderr(&o));
    // The last shard through the scheduler's variable, then the combination.
    let o = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(["cmc", "shard", "--output-dir", jobs.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = combine(&jobs, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        samples(&jobs) == samples(&reference),
        "job-array samples differ from the local run"
    );
}

#[cfg(unix)]
#[test]
fn a_killed_shard_task_rerun_alone_gives_the_uninterrupted_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (reference, jobs) = (tmp.path().join("local"), tmp.path().join("jobs"));
    local(&reference);
    plan(&jobs);
    for i in ["0", "2"] {
        assert_eq!(shard(&jobs, i).status.code(), Some(0));
    }
    // Kill shard 1's task a moment into sampling.
    let mut child = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args([
            "cmc",
            "shard",
            "--output-dir",
            jobs.to_str().unwrap(),
            "--index",
            "1",
        ])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let started = Instant::now();
    let o = shard(&jobs, "1");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(started.elapsed() < Duration::from_secs(120));
    let o = combine(&jobs, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(samples(&jobs) == samples(&reference));
    let params = |d: &Path| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("cmc/parameters.json")).unwrap())
                .unwrap();
        v["parameters"].clone()
    };
    assert_eq!(params(&jobs), params(&reference));
}
