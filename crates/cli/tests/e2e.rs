//! End-to-end tests of the `homodyne` binary: configuration -> HDF5 data -> NLSQ fit ->
//! result files, on the bundled laminar-flow example (`examples/`) and on the simulated
//! APS-U static dataset in `../shared/data` or `$HOMODYNE_REFERENCE_DIR/data` (skipped when
//! neither has it, see `common`), plus the
//! failure modes (exit codes, messages, nothing half-written).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::{ArrayD, IxDyn, OwnedRepr};
use ndarray_npy::NpzReader;
use serde_json::Value;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn examples() -> PathBuf {
    workspace_root().join("examples")
}

/// `data/boostcorr_static_results.hdf` from `$HOMODYNE_REFERENCE_DIR` or `../shared`, if
/// present. The tests on it also need the reference's static template, so both are
/// required here and one `skipped:` line names whatever is missing.
fn boostcorr_static() -> Option<PathBuf> {
    let [data, _] = common::require_reference([
        "data/boostcorr_static_results.hdf",
        "reference-configs/homodyne_static.yaml",
    ])?;
    Some(data)
}

/// The reference's `homodyne_static.yaml` (quiet: `boostcorr_static` reports it missing).
fn static_template() -> Option<String> {
    let p = common::reference_file("reference-configs/homodyne_static.yaml")?;
    Some(std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// Run the binary in `cwd` with `args`.
fn homodyne(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the homodyne binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_json(path: &Path) -> Value {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value at a dotted key path; panics naming the path when missing.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| {
        v.get(k)
            .unwrap_or_else(|| panic!("missing key `{path}` (at `{k}`) in {v}"))
    })
}

fn f(v: &Value, path: &str) -> f64 {
    at(v, path)
        .as_f64()
        .unwrap_or_else(|| panic!("`{path}` is not a number: {}", at(v, path)))
}

fn finite(v: &Value, path: &str) -> f64 {
    let x = f(v, path);
    assert!(x.is_finite(), "`{path}` = {x} is not finite");
    x
}

/// No temporary or partial files anywhere under `dir` (the writers use `.name.tmp-<pid>`).
fn assert_no_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains(".tmp") && !name.starts_with('.'),
            "leftover temporary file {}",
            entry.path().display()
        );
        if entry.file_type().unwrap().is_dir() {
            assert_no_temporaries(&entry.path());
        }
    }
}

/// After a failed run: no result files; at most the (log) file the run opened first.
fn assert_no_results(out_dir: &Path) {
    if !out_dir.exists() {
        return;
    }
    assert_no_temporaries(out_dir);
    for entry in std::fs::read_dir(out_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert_eq!(
            name, "homodyne.log",
            "unexpected output {name} after a failed run"
        );
    }
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 1000 && bytes[..8] == PNG_SIGNATURE,
        "{} is not a PNG",
        path.display()
    );
}

fn npz_array(npz: &mut NpzReader<File>, name: &str) -> ArrayD<f64> {
    npz.by_name::<OwnedRepr<f64>, IxDyn>(name)
        .unwrap_or_else(|e| panic!("fitted_data.npz: `{name}`: {e}"))
}

/// `truth.json` of the bundled example.
struct Truth {
    json: Value,
}

impl Truth {
    fn load() -> Self {
        Truth {
            json: read_json(&examples().join("truth.json")),
        }
    }
    fn param(&self, name: &str) -> f64 {
        match name {
            "contrast" | "offset" => f(&self.json, name),
            _ => f(&self.json, &format!("parameters.{name}")),
        }
    }
}

/// Fitted `(value, uncertainty)` from parameters.json.
fn fitted(params: &Value, name: &str) -> (f64, f64) {
    (
        finite(params, &format!("parameters.{name}.value")),
        finite(params, &format!("parameters.{name}.uncertainty")),
    )
}

/// Every physical parameter (and the scaling) of the example within 3 sigma of the truth,
/// plus explicit tolerances for the well-determined ones.
fn assert_recovers_truth(params: &Value) {
    let truth = Truth::load();
    // (name, absolute floor on the tolerance, relative or absolute cap)
    let checks: [(&str, f64, Option<f64>); 9] = [
        ("contrast", 1e-3, Some(0.03 * 0.2)),
        ("offset", 1e-3, Some(0.005)),
        ("D0", 0.0, Some(0.10 * 15000.0)),
        ("alpha", 0.01, Some(0.05)),
        ("D_offset", 10.0, None),
        ("gamma_dot_t0", 0.0, Some(0.05 * 4.0e-4)),
        ("beta", 0.005, Some(0.02)),
        ("gamma_dot_t_offset", 1e-12, None),
        ("phi0", 0.05, Some(0.5)),
    ];
    let mut report = String::new();
    let mut failed = false;
    for (name, floor, cap) in checks {
        let (v, sigma) = fitted(params, name);
        let t = truth.param(name);
        let err = (v - t).abs();
        let ok_sigma = err <= (3.0 * sigma).max(floor);
        let ok_cap = cap.is_none_or(|c| err <= c);
        report += &format!(
            "{name:>20}: fitted {v:>12.5e} +- {sigma:.2e}, truth {t:>12.5e} {}\n",
            if ok_sigma && ok_cap { "ok" } else { "FAILED" }
        );
        failed |= !(ok_sigma && ok_cap);
    }
    eprintln!("{report}");
    assert!(!failed, "example fit does not recover the truth:\n{report}");
}

// ---------------------------------------------------------------------------------------
// the bundled laminar-flow example
// ---------------------------------------------------------------------------------------

/// Default run (yaml summary) from the repository root with the relative config path.
#[test]
fn bundled_example_writes_every_file_and_recovers_the_truth() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("out");
    let out = homodyne(
        &workspace_root(),
        &[
            "--config",
            "examples/example_laminar.yaml",
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_ok(&out);
    let nlsq = out_dir.join("nlsq");
    let truth = Truth::load();
    let phi: Vec<f64> = at(&truth.json, "phi_angles")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let n_phi = phi.len();
    let n_t = f(&truth.json, "n_frames") as usize;

    for name in [
        "parameters.json",
        "analysis_results_nlsq.json",
        "convergence_metrics.json",
        "fitted_data.npz",
    ] {
        assert!(nlsq.join(name).is_file(), "missing nlsq/{name}");
    }
    assert!(out_dir.join("homodyne_results.yaml").is_file());
    assert!(out_dir.join("homodyne.log").is_file());
    assert_no_temporaries(&out_dir);

    // parameters.json (spec 07 §7.4)
    let params = read_json(&nlsq.join("parameters.json"));
    assert!(at(&params, "timestamp").is_string());
    assert_eq!(at(&params, "analysis_mode"), "laminar_flow");
    finite(&params, "chi_squared");
    finite(&params, "reduced_chi_squared");
    assert_eq!(at(&params, "convergence_status"), "converged");
    let names = [
        "contrast",
        "offset",
        "D0",
        "alpha",
        "D_offset",
        "gamma_dot_t0",
        "beta",
        "gamma_dot_t_offset",
        "phi0",
    ];
    for name in names {
        fitted(&params, name);
    }
    assert_eq!(
        at(&params, "parameters").as_object().unwrap().len(),
        names.len()
    );
    assert_recovers_truth(&params);

    // analysis_results_nlsq.json
    let analysis = read_json(&nlsq.join("analysis_results_nlsq.json"));
    assert_eq!(at(&analysis, "method"), "nlsq");
    assert!(at(&analysis, "timestamp").is_string());
    assert_eq!(at(&analysis, "analysis_mode"), "laminar_flow");
    finite(&analysis, "fit_quality.chi_squared");
    finite(&analysis, "fit_quality.reduced_chi_squared");
    assert!(f(&analysis, "fit_quality.degrees_of_freedom") > 0.0);
    assert!(at(&analysis, "fit_quality.quality_flag").is_string());
    assert_eq!(f(&analysis, "dataset_info.n_angles") as usize, n_phi);
    assert_eq!(
        f(&analysis, "dataset_info.n_time_points") as usize,
        n_t * n_t
    );
    assert_eq!(
        f(&analysis, "dataset_info.total_data_points") as usize,
        n_phi * n_t * n_t
    );
    assert!((f(&analysis, "dataset_info.q_value") - 0.0054).abs() < 1e-9);
    assert_eq!(
        at(&analysis, "optimization_summary.convergence_status"),
        "converged"
    );
    assert!(f(&analysis, "optimization_summary.iterations") >= 1.0);
    finite(&analysis, "optimization_summary.execution_time");

    // convergence_metrics.json
    let conv = read_json(&nlsq.join("convergence_metrics.json"));
    assert_eq!(at(&conv, "convergence.status"), "converged");
    assert!(f(&conv, "convergence.iterations") >= 1.0);
    finite(&conv, "convergence.execution_time");
    let final_chi2 = finite(&conv, "convergence.final_chi_squared");
    assert!((final_chi2 - f(&params, "chi_squared")).abs() <= 1e-9 * final_chi2.abs());
    let reduction = finite(&conv, "convergence.chi_squared_reduction");
    assert!((0.0..=1.0).contains(&reduction));
    assert!(at(&conv, "recovery_actions").is_array());
    assert!(at(&conv, "quality_flag").is_string());
    for key in [
        "platform",
        "device",
        "device_kind",
        "n_devices",
        "adapter",
        "fallback_occurred",
        "fallback_reason",
    ] {
        at(&conv, &format!("device_info.{key}"));
    }
    assert!(at(&conv, "quality_validation_passed").is_boolean());
    assert!(at(&conv, "quality_warnings").is_array());
    for key in [
        "reduced_chi_squared",
        "chi2_quality",
        "parameter_significance",
        "condition_number",
        "physical_bounds",
        "convergence_status",
    ] {
        assert!(
            at(&conv, &format!("quality_checks.{key}")).is_boolean(),
            "quality_checks.{key}"
        );
    }

    // fitted_data.npz: 12 arrays, shapes, finite values
    let mut npz = NpzReader::new(File::open(nlsq.join("fitted_data.npz")).unwrap()).unwrap();
    assert_eq!(npz.len(), 12, "{:?}", npz.names());
    let cube = [n_phi, n_t, n_t];
    let expected: [(&str, &[usize]); 12] = [
        ("phi_angles", &[n_phi]),
        ("c2_exp", &cube),
        ("c2_theoretical_raw", &cube),
        ("c2_theoretical_scaled", &cube),
        ("c2_solver_scaled", &cube),
        ("per_angle_scaling", &[n_phi, 2]),
        ("per_angle_scaling_solver", &[n_phi, 2]),
        ("residuals", &cube),
        ("residuals_normalized", &cube),
        ("t1", &[n_t]),
        ("t2", &[n_t]),
        ("q", &[1]),
    ];
    let mut arrays = std::collections::HashMap::new();
    for (name, shape) in expected {
        let a = npz_array(&mut npz, name);
        assert_eq!(a.shape(), shape, "fitted_data.npz `{name}`");
        assert!(
            a.iter().all(|x| x.is_finite()),
            "`{name}` has non-finite values"
        );
        arrays.insert(name, a);
    }
    let npz_phi: Vec<f64> = arrays["phi_angles"].iter().copied().collect();
    assert_eq!(npz_phi, phi);
    let t1 = &arrays["t1"];
    assert_eq!(t1[[0]], 0.0);
    assert!((t1[[n_t - 1]] - 0.1 * (n_t - 1) as f64).abs() < 1e-9);
    assert!((arrays["q"][[0]] - 0.0054).abs() < 1e-12);
    // The fit describes the data: residual RMS off the diagonal ~ the noise (0.01).
    let (mut ss, mut n) = (0.0, 0usize);
    for (ix, r) in arrays["residuals"].indexed_iter() {
        if ix[1] != ix[2] {
            ss += r * r;
            n += 1;
        }
    }
    let rms = (ss / n as f64).sqrt();
    let sigma = f(&truth.json, "noise_sigma");
    assert!(
        rms > 0.8 * sigma && rms < 1.2 * sigma,
        "residual RMS {rms} vs noise {sigma}"
    );

    // One heatmap per angle, named with one decimal.
    let pngs: Vec<_> = std::fs::read_dir(&nlsq)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert_eq!(pngs.len(), n_phi, "{pngs:?}");
    for p in &phi {
        assert_png(&nlsq.join(format!("c2_heatmaps_phi_{p:.1}deg.png")));
    }

    // homodyne_results.yaml: parses, with the summary's keys.
    let yaml = std::fs::read_to_string(out_dir.join("homodyne_results.yaml")).unwrap();
    let summary: Value = serde_saphyr::from_str(&yaml).expect("homodyne_results.yaml parses");
    check_summary(&summary);

    // The log file holds the run.
    let log = std::fs::read_to_string(out_dir.join("homodyne.log")).unwrap();
    assert!(!log.trim().is_empty(), "homodyne.log is empty");
}

/// Keys of `homodyne_results.{yaml,json}` (spec 07 §7.6).
fn check_summary(summary: &Value) {
    assert_eq!(at(summary, "method"), "nlsq");
    assert_eq!(at(summary, "analysis_mode"), "laminar_flow");
    assert_eq!(at(summary, "success"), true);
    finite(summary, "optimization_time");
    assert!(at(summary, "device_config").is_object());
    let p = at(summary, "parameters").as_array().unwrap();
    // 7 physical + 2 x 8 per-angle scaling values.
    assert_eq!(p.len(), 7 + 2 * 8, "{p:?}");
    assert!(p.iter().all(|x| x.as_f64().is_some_and(f64::is_finite)));
    finite(summary, "diagnostics.chi_squared");
    assert_eq!(at(summary, "diagnostics.converged"), true);
}

/// `--output-format json`, run from inside examples/ (the config's relative data folder
/// resolves against the working directory).
#[test]
fn bundled_example_json_summary_from_the_examples_folder() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("json");
    let out = homodyne(
        &examples(),
        &[
            "--config",
            "example_laminar.yaml",
            "--output-dir",
            out_dir.to_str().unwrap(),
            "--output-format",
            "json",
        ],
    );
    assert_ok(&out);
    assert!(!out_dir.join("homodyne_results.yaml").exists());
    let summary = read_json(&out_dir.join("homodyne_results.json"));
    check_summary(&summary);
    assert!(out_dir.join("nlsq/parameters.json").is_file());
    assert_no_temporaries(&out_dir);
}

/// `--output-format npz`, run from an unrelated folder with an absolute config path (the
/// data folder then resolves against the config file's folder).
#[test]
fn bundled_example_npz_summary_from_elsewhere() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("npz");
    let config = examples().join("example_laminar.yaml");
    let out = homodyne(
        tmp.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            "npz",
            "--output-format",
            "npz",
        ],
    );
    assert_ok(&out);
    let path = out_dir.join("homodyne_results.npz");
    let mut npz = NpzReader::new(File::open(&path).unwrap()).unwrap();
    let params = npz_array(&mut npz, "parameters");
    assert_eq!(params.shape(), &[7 + 2 * 8]);
    assert!(params.iter().all(|x| x.is_finite()));
    // The physical parameters come last, in canonical order: phi0 is the last one.
    let phi0 = params[[params.len() - 1]];
    assert!((phi0 - 2.0).abs() < 0.5, "phi0 = {phi0}");
    assert_no_temporaries(&out_dir);
}

// ---------------------------------------------------------------------------------------
// the simulated APS-U static dataset, configs derived from the reference template
// ---------------------------------------------------------------------------------------

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "template: `{from}` must occur exactly once"
    );
    text.replacen(from, to, 1)
}

/// The reference static template with only the data location, cache folder, frames, q
/// and dt changed.
fn static_config(template: &str, data: &Path, cache: &Path, q: f64) -> String {
    let folder = format!("{}/", data.parent().unwrap().display());
    let name = data.file_name().unwrap().to_string_lossy();
    let mut s = replace_once(
        template,
        "data_folder_path: \"./data/sample/\"",
        &format!("data_folder_path: \"{folder}\""),
    );
    s = replace_once(
        &s,
        "data_file_name: \"experiment.hdf\"",
        &format!("data_file_name: \"{name}\""),
    );
    s = replace_once(
        &s,
        "cache_file_path: \"./data/sample/\"",
        &format!("cache_file_path: \"{}\"", cache.display()),
    );
    s = replace_once(&s, "end_frame: 2000", "end_frame: 400");
    s = replace_once(&s, "wavevector_q: 0.0054", &format!("wavevector_q: {q}"));
    replace_once(&s, "dt: 0.001", "dt: 0.02")
}

/// The template, written for the reference's own runs, works unchanged apart from
/// path/frames/q/dt.
#[test]
fn static_template_runs_unchanged() {
    let (Some(data), Some(template)) = (boostcorr_static(), static_template()) else {
        return;
    };
    let tmp = TempDir::new().unwrap();
    let config = tmp.path().join("static.yaml");
    let cache = tmp.path().join("cache");
    std::fs::write(&config, static_config(&template, &data, &cache, 0.00562621)).unwrap();
    let out_dir = tmp.path().join("out");
    let out = homodyne(
        tmp.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            out_dir.to_str().unwrap(),
            // Flagged poor against the measured (frame-correlated) noise: exit 4 otherwise.
            "--accept-poor-fit",
        ],
    );
    assert_ok(&out);
    let params = read_json(&out_dir.join("nlsq/parameters.json"));
    assert_eq!(at(&params, "analysis_mode"), "static");
    for name in ["contrast", "offset", "D0", "alpha", "D_offset"] {
        fitted(&params, name);
    }
    assert_eq!(at(&params, "parameters").as_object().unwrap().len(), 5);
    // The cache went where the config said.
    let cached: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(cached.len(), 1, "one cache file in {}", cache.display());
    // 12 angles in the ring (the template's phi ranges match none: fallback to all).
    let analysis = read_json(&out_dir.join("nlsq/analysis_results_nlsq.json"));
    assert_eq!(f(&analysis, "dataset_info.n_angles"), 12.0);
}

/// Static mode, alpha = D_offset = 0 fixed: D0 of each of the four q rings within 5 % of
/// the values measured on this dataset (about twice the simulation's D = 2e4 A^2/s: the
/// model's g1 = exp(-q^2/2 int D dt) convention counts D twice the usual exp(-q^2 D t)).
#[test]
fn static_d0_per_q_ring() {
    let (Some(data), Some(template)) = (boostcorr_static(), static_template()) else {
        return;
    };
    let expected = [
        (0.00387754, 43.9e3),
        (0.00562621, 39.3e3),
        (0.00737487, 40.8e3),
        (0.00912354, 38.5e3),
    ];
    let tmp = TempDir::new().unwrap();
    let mut report = String::new();
    let mut failed = false;
    for (k, (q, d0_expected)) in expected.into_iter().enumerate() {
        let base = static_config(&template, &data, &tmp.path().join("cache"), q);
        let mut text = replace_once(&base, "\n  values: null", "\n  values: [40000.0, 0.0, 0.0]");
        text = replace_once(
            &text,
            "fixed_parameters: null",
            "fixed_parameters: {alpha: 0.0, D_offset: 0.0}",
        );
        let config = tmp.path().join(format!("static_q{k}.yaml"));
        std::fs::write(&config, text).unwrap();
        let out_dir = tmp.path().join(format!("out_q{k}"));
        // --static-mode is redundant with the template's mode and must not hurt.
        let out = homodyne(
            tmp.path(),
            &[
                "--config",
                config.to_str().unwrap(),
                "--output-dir",
                out_dir.to_str().unwrap(),
                "--static-mode",
                // Speckle c2 has noise correlated between frames: the reduced chi^2
                // against the measured noise is well above 1, so the fit is flagged poor
                // (exit 4, tests/exit_codes.rs); D0 is what this test checks.
                "--accept-poor-fit",
            ],
        );
        assert_ok(&out);
        let params = read_json(&out_dir.join("nlsq/parameters.json"));
        let (d0, sigma) = fitted(&params, "D0");
        assert_eq!(f(&params, "parameters.alpha.value"), 0.0);
        assert_eq!(f(&params, "parameters.D_offset.value"), 0.0);
        let analysis = read_json(&out_dir.join("nlsq/analysis_results_nlsq.json"));
        assert!((f(&analysis, "dataset_info.q_value") - q).abs() < 1e-6);
        let rel = d0 / d0_expected - 1.0;
        let ok = rel.abs() <= 0.05;
        report += &format!(
            "q = {q}: D0 = {d0:.1} +- {sigma:.1} (expected {d0_expected:.0}, {:+.1} %) {}\n",
            100.0 * rel,
            if ok { "ok" } else { "FAILED" }
        );
        failed |= !ok;
    }
    eprintln!("{report}");
    assert!(!failed, "D0 per q ring off by more than 5 %:\n{report}");
}

// ---------------------------------------------------------------------------------------
// failures
// ---------------------------------------------------------------------------------------

fn example_config_text() -> String {
    std::fs::read_to_string(examples().join("example_laminar.yaml")).unwrap()
}

/// Write a modified example config next to the example data (so `data/` resolves).
fn modified_example(tmp: &TempDir, from: &str, to: &str) -> PathBuf {
    let text = replace_once(&example_config_text(), from, to);
    // Absolute data folder: the config lives in a temp folder.
    let text = replace_once(
        &text,
        "data_folder_path: \"data/\"",
        &format!(
            "data_folder_path: \"{}/\"",
            examples().join("data").display()
        ),
    );
    let path = tmp.path().join("config.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn missing_config_file_fails_naming_it() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("out");
    let missing = tmp.path().join("no_such_config.yaml");
    let out = homodyne(
        tmp.path(),
        &[
            "--config",
            missing.to_str().unwrap(),
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(missing.to_str().unwrap()),
        "{}",
        text(&out)
    );
    assert_no_results(&out_dir);
}

#[test]
fn missing_data_file_fails_naming_it() {
    let tmp = TempDir::new().unwrap();
    let config = modified_example(
        &tmp,
        "data_file_name: \"example_laminar.hdf\"",
        "data_file_name: \"no_such_file.hdf\"",
    );
    let out_dir = tmp.path().join("out");
    let out = homodyne(
        tmp.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("no_such_file.hdf"), "{}", text(&out));
    assert_no_results(&out_dir);

    // --data-file pointing nowhere: same, naming that path.
    let out = homodyne(
        &workspace_root(),
        &[
            "--config",
            "examples/example_laminar.yaml",
            "--data-file",
            "examples/data/missing_override.hdf",
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("missing_override.hdf"),
        "{}",
        text(&out)
    );
    assert_no_results(&out_dir);
}

#[test]
fn static_and_laminar_flags_conflict() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("out");
    let out = homodyne(
        &workspace_root(),
        &[
            "--config",
            "examples/example_laminar.yaml",
            "--output-dir",
            out_dir.to_str().unwrap(),
            "--static-mode",
            "--laminar-flow",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--static-mode") && err.contains("--laminar-flow"),
        "{err}"
    );
    assert!(
        !out_dir.exists(),
        "a usage error must not create the output folder"
    );
}

#[test]
fn config_type_error_names_the_key() {
    let tmp = TempDir::new().unwrap();
    let config = modified_example(&tmp, "  dt: 0.1 ", "  dt: \"abc\" ");
    let out_dir = tmp.path().join("out");
    let out = homodyne(
        tmp.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("analyzer_parameters.dt"), "{err}");
    assert!(err.contains("abc"), "{err}");
    assert_no_results(&out_dir);
}

/// A finished run's files are not clobbered with partial ones by a later failing run in the
/// same folder.
#[test]
fn failed_rerun_keeps_previous_results() {
    let tmp = TempDir::new().unwrap();
    let out_dir = tmp.path().join("out");
    let ok = homodyne(
        &workspace_root(),
        &[
            "--config",
            "examples/example_laminar.yaml",
            "--output-dir",
            out_dir.to_str().unwrap(),
            "--output-format",
            "json",
        ],
    );
    assert_ok(&ok);
    let before = std::fs::read(out_dir.join("nlsq/parameters.json")).unwrap();
    let bad = homodyne(
        &workspace_root(),
        &[
            "--config",
            "examples/example_laminar.yaml",
            "--data-file",
            "examples/data/missing.hdf",
            "--output-dir",
            out_dir.to_str().unwrap(),
            "--output-format",
            "json",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert_eq!(
        std::fs::read(out_dir.join("nlsq/parameters.json")).unwrap(),
        before
    );
    read_json(&out_dir.join("homodyne_results.json"));
    assert_no_temporaries(&out_dir);
}
