//! `homodyne simulate` end to end: the built binary reproduces the reference's golden
//! g2 arrays, and bad configs fail with a named key and exit code 1.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{Array0, Array1, Array3, s};
use ndarray_npy::NpzReader;

fn homodyne() -> Command {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
}

struct Case {
    t: Array1<f64>,
    phi: Array1<f64>,
    q: f64,
    gap: f64,
    dt: f64,
    params: Array1<f64>,
    contrast: f64,
    offset: f64,
    g2: Array3<f64>,
}

fn load_case(name: &str) -> Case {
    let path = common::fixture_path(&format!("model_{name}.npz"));
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut npz = NpzReader::new(file).unwrap();
    let mut scalar = |k: &str| -> f64 {
        npz.by_name::<ndarray::OwnedRepr<f64>, ndarray::Ix0>(k)
            .map(Array0::into_scalar)
            .unwrap()
    };
    let (q, gap, dt, contrast, offset) = (
        scalar("q"),
        scalar("L"),
        scalar("dt"),
        scalar("contrast"),
        scalar("offset"),
    );
    Case {
        t: npz.by_name("t").unwrap(),
        phi: npz.by_name("phi").unwrap(),
        params: npz.by_name("params").unwrap(),
        g2: npz.by_name("g2").unwrap(),
        q,
        gap,
        dt,
        contrast,
        offset,
    }
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_config(dir: &Path, case: &Case, n_frames: usize) -> PathBuf {
    let mode = if case.params.len() == 7 {
        "laminar_flow"
    } else {
        "static"
    };
    let names = [
        "D0",
        "alpha",
        "D_offset",
        "gamma_dot_t0",
        "beta",
        "gamma_dot_t_offset",
        "phi0",
    ];
    let text = format!(
        "analysis_mode: {mode}\nanalyzer_parameters:\n  dt: {:?}\n  start_frame: 1\n  end_frame: {n_frames}\n  scattering:\n    wavevector_q: {:?}\n  geometry:\n    stator_rotor_gap: {:?}\ninitial_parameters:\n  parameter_names: [{}]\n  values: [{}]\n",
        case.dt,
        case.q,
        case.gap,
        names[..case.params.len()].join(", "),
        list(case.params.as_slice().unwrap()),
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn simulate_reproduces_every_model_fixture() {
    let manifest = std::fs::read_to_string(common::fixture_path("MANIFEST.json")).unwrap();
    let names: Vec<String> = manifest
        .split("\"name\"")
        .skip(1)
        .filter_map(|r| r.split('"').nth(1).map(str::to_string))
        .collect();
    assert!(names.len() >= 12);
    for name in names {
        let case = load_case(&name);
        // A grid starting at m*dt is the [m:, m:] block of an (n + m)-frame grid from 0.
        let m = (case.t[0] / case.dt).round() as usize;
        assert!((case.t[0] - m as f64 * case.dt).abs() < 1e-9, "{name}");
        let n = case.t.len();
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &case, n + m);
        let out = dir.path().join("sim.npz");
        let status = homodyne()
            .args(["simulate", "--config"])
            .arg(&config)
            .args([
                "--phi-angles",
                &list(case.phi.as_slice().unwrap()).replace(' ', ""),
            ])
            .args(["--contrast", &format!("{:?}", case.contrast)])
            .args(["--offset", &format!("{:?}", case.offset)])
            .arg("--output")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        let mut npz = NpzReader::new(File::open(&out).unwrap()).unwrap();
        let c2: Array3<f64> = npz.by_name("c2").unwrap();
        let t: Array1<f64> = npz.by_name("t").unwrap();
        let phi: Array1<f64> = npz.by_name("phi_angles").unwrap();
        assert_eq!(t.len(), n + m);
        assert_eq!(phi, case.phi);
        let block = c2.slice(s![.., m.., m..]);
        assert_eq!(block.shape(), case.g2.shape(), "{name}");
        let err = block
            .iter()
            .zip(case.g2.iter())
            .map(|(a, b)| (a - b).abs() / b.abs())
            .fold(0.0, f64::max);
        assert!(err <= 1e-12, "{name}: {err:e}");
    }
}

#[test]
fn simulate_writes_plots_and_default_angles() {
    let case = load_case("worked_loader_grid");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &case, 6);
    let out = dir.path().join("sim.npz");
    let plots = dir.path().join("plots");
    let status = homodyne()
        .args(["simulate", "--config"])
        .arg(&config)
        .arg("--output")
        .arg(&out)
        .arg("--plot")
        .arg(&plots)
        .status()
        .unwrap();
    assert!(status.success());
    let mut npz = NpzReader::new(File::open(&out).unwrap()).unwrap();
    let phi: Array1<f64> = npz.by_name("phi_angles").unwrap();
    assert_eq!(phi.len(), 8);
    assert_eq!((phi[0], phi[7]), (0.0, 180.0));
    let c2: Array3<f64> = npz.by_name("c2").unwrap();
    assert_eq!(c2.shape(), &[8, 6, 6]);
    for angle in phi.iter() {
        let png = plots.join(format!("simulated_c2_phi_{angle:.1}deg.png"));
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", png.display());
    }
}

fn run_fail(config_text: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.yaml");
    std::fs::write(&config, config_text).unwrap();
    let out = homodyne()
        .args(["simulate", "--config"])
        .arg(&config)
        .args(["--output"])
        .arg(dir.path().join("o.npz"))
        .args(extra)
        .output()
        .unwrap();
    assert!(!dir.path().join("o.npz").exists(), "no output on failure");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n  start_frame: 1\n  end_frame: 20\n  scattering:\n    wavevector_q: 0.01\ninitial_parameters:\n  parameter_names: [D0, alpha, D_offset]\n  values: [1000.0, -0.5, 10.0]\n";

#[test]
fn bad_configs_name_the_key() {
    let (code, err) = run_fail(&GOOD.replace("    wavevector_q: 0.01\n", ""), &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("analyzer_parameters.scattering.wavevector_q"),
        "{err}"
    );
    let (code, err) = run_fail(&GOOD.replace("dt: 0.1", "dt: fast"), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("analyzer_parameters.dt"), "{err}");
    let (code, err) = run_fail(&GOOD.replace("  values: [1000.0, -0.5, 10.0]\n", ""), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("initial_parameters.values"), "{err}");
    let (code, err) = run_fail(&GOOD.replace("end_frame: 20", "end_frame: -1"), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("end_frame"), "{err}");
    let (code, err) = run_fail(GOOD, &["--phi-angles", "0,ninety"]);
    assert_eq!(code, 1);
    assert!(err.contains("ninety"), "{err}");
    let (code, err) = run_fail(&GOOD.replace("static", "laminar_flow"), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("stator_rotor_gap"), "{err}");
    let missing = homodyne()
        .args([
            "simulate",
            "--config",
            "/nonexistent/c.yaml",
            "--output",
            "/tmp/x.npz",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/c.yaml"));
    let usage = homodyne().args(["simulate"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
