//! CMC result files of real (small) CMC runs on simulated data: every file with its keys,
//! `samples.npz` read back (ndarray-npy, numpy without pickles), `posterior.zarr` read by
//! ArviZ with the same R-hat and ESS as `diagnostics.json`, shard checkpoints round trip
//! and are ignored when stale or damaged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use homodyne_cmc::{
    CmcOptions, CmcResult, NoObserver, NutsOptions, Problem, ShardCount, ShardResult, ShardStore,
    WarmStart, sample,
};
use homodyne_data::{C2Stack, SourceInfo, SourceKind, XpcsData};
use homodyne_io::{
    CmcRun, NoProgress, OutputOptions, ShardCheckpoints, SummaryFormat, Surfaces, write_cmc,
};
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_model::{C2View, Experiment, Geometry, ParameterSpace, g2_grid};
use homodyne_nlsq::{Fitter, NlsqOptions, NlsqResult, ParameterBounds, initial_values};
use ndarray::{Array1, Array3, Axis, Ix0, Ix1, Ix2, Ix3, OwnedRepr};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde_json::{Value, json};

const SIGMA: f64 = 0.01;
const TRUTH: [f64; 3] = [1.7e4, -1.57, 3.0];

/// One simulated data set with its NLSQ fit and CMC posterior.
struct Case {
    experiment: Experiment,
    c2: Array3<f64>,
    nlsq: NlsqResult,
    cmc: CmcResult,
    sigma: Vec<f64>,
}

/// Static model + symmetric noise, fitted by NLSQ, sampled by CMC with `k` shards.
fn build(n_phi: usize, scaling: PerAngleMode, k: usize, seed: u64) -> Case {
    let n_t = 16;
    let dt = 0.1;
    let phi: Vec<f64> = if n_phi == 1 {
        vec![10.0]
    } else {
        (0..n_phi)
            .map(|a| -170.0 + 350.0 * a as f64 / n_phi as f64)
            .collect()
    };
    let experiment = Experiment::new(
        Geometry {
            wavevector_q: 0.0054,
            stator_rotor_gap: 2e6,
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        phi,
    )
    .unwrap();
    let contrast: Vec<f64> = (0..n_phi).map(|a| 0.15 + 0.01 * a as f64).collect();
    let offset: Vec<f64> = (0..n_phi).map(|a| 0.99 + 0.002 * a as f64).collect();
    let mut c2 = g2_grid(&experiment, &TRUTH, &contrast, &offset).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, SIGMA).unwrap();
    for a in 0..n_phi {
        for i in 0..n_t {
            for j in i..n_t {
                let e = normal.sample(&mut rng);
                c2[[a, i, j]] += e;
                if j > i {
                    c2[[a, j, i]] += e;
                }
            }
        }
    }
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let start: Vec<f64> = TRUTH.iter().map(|v| v * 1.2).collect();
    let init = initial_values(
        &experiment,
        c2.view(),
        AnalysisMode::Static,
        Some(&start),
        None,
        &bounds,
    )
    .unwrap();
    let options = NlsqOptions {
        per_angle_mode: scaling,
        ..Default::default()
    };
    let (nlsq, cmc, sigma) = {
        let fitter = Fitter::new(&experiment, c2.view(), None, &init, &bounds, &options).unwrap();
        let nlsq = fitter.fit();
        let space = ParameterSpace::defaults(AnalysisMode::Static);
        let problem = Problem::from_fitter(&fitter, c2.view(), &space);
        let warm = WarmStart::from_nlsq(&nlsq, "nlsq (inline)");
        let opts = CmcOptions {
            nuts: NutsOptions {
                num_warmup: 60,
                num_samples: 60,
                num_chains: 2,
                seed,
                ..NutsOptions::default()
            },
            shards: ShardCount::Shards(k),
            combination: homodyne_mcmc::CombineMethod::ConsensusMc,
            combine: Default::default(),
            threads: 0,
        };
        let mut cmc = sample(&problem, Some(&warm), &opts, None, &NoObserver).unwrap();
        cmc.warm_start = warm.source.clone();
        (nlsq, cmc, problem.sigma.clone())
    };
    Case {
        experiment,
        c2,
        nlsq,
        cmc,
        sigma,
    }
}

fn individual() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| build(3, PerAngleMode::Individual, 1, 11))
}

fn averaged_two_shards() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| build(3, PerAngleMode::Averaged, 2, 12))
}

fn one_angle() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| build(1, PerAngleMode::Individual, 1, 13))
}

fn xpcs(case: &Case) -> XpcsData {
    let e = &case.experiment;
    let n_phi = e.n_phi();
    XpcsData {
        wavevector_q_list: Array1::from_elem(n_phi, e.geometry.wavevector_q),
        phi_angles_list: Array1::from(e.phi_deg.clone()),
        t1: Array1::from(e.t.clone()),
        t2: Array1::from(e.t.clone()),
        c2_exp: C2Stack::F64(case.c2.clone()),
        dt: e.geometry.dt,
        source: SourceInfo {
            data_path: PathBuf::from("simulated.npz"),
            kind: SourceKind::NpzData,
            cache_path: None,
            datasets: Vec::new(),
            frames: None,
            n_frames_in_file: None,
            diagonal_corrected: true,
            phi_normalized: true,
            damage: Vec::new(),
        },
    }
}

/// Theory at the posterior means.
fn surfaces(case: &Case) -> Surfaces {
    let (phys, con, off) = case.cmc.decoded();
    let mean = |a: &Array3<f64>| -> Vec<f64> {
        (0..a.dim().2)
            .map(|k| a.index_axis(Axis(2), k).mean().unwrap())
            .collect()
    };
    Surfaces::new(
        &case.experiment,
        &mean(&phys),
        &mean(&con),
        &mean(&off),
        C2View::F64(case.c2.view()),
    )
    .unwrap()
}

/// Write every CMC file of `case` into `out`; returns the paths written.
fn write(case: &Case, out: &Path, method: &str, format: SummaryFormat) -> Vec<PathBuf> {
    let data = xpcs(case);
    let surfaces = surfaces(case);
    let run = CmcRun {
        data: &data,
        result: &case.cmc,
        surfaces: &surfaces,
        nlsq: Some(&case.nlsq),
        sigma: &case.sigma,
        stator_rotor_gap: 2e6,
        settings: json!({"n_samples": 60, "n_warmup": 60, "n_chains": 2}),
        method,
    };
    let mut options = OutputOptions::new(out);
    options.summary_format = format;
    write_cmc(&run, &options, &NoProgress).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn has_keys(v: &Value, keys: &[&str], what: &str) {
    for k in keys {
        assert!(v.get(k).is_some(), "{what}: key {k} missing in {v}");
    }
}

/// Whether python3 with the given modules runs here; prints one line when not.
fn python_with(modules: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("skipped: python3 with {modules} not available");
    }
    ok
}

fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_file_with_its_keys() {
    let case = individual();
    let dir = tempfile::tempdir().unwrap();
    let written = write(case, dir.path(), "cmc", SummaryFormat::Yaml);
    let cmc = dir.path().join("cmc");
    for name in [
        "parameters.json",
        "analysis_results_cmc.json",
        "diagnostics.json",
        "samples.npz",
        "fitted_data.npz",
        "trace.png",
        "posterior_marginals.png",
        "corner.png",
    ] {
        assert!(cmc.join(name).is_file(), "{name} missing");
        assert!(written.contains(&cmc.join(name)), "{name} not returned");
    }
    assert!(cmc.join("posterior.zarr/.zmetadata").is_file());
    for &phi in case.experiment.phi_deg.iter() {
        let fig = cmc.join(homodyne_plot::fit_comparison_file_name(phi));
        assert!(fig.is_file(), "{}", fig.display());
    }

    let p = read_json(&cmc.join("parameters.json"));
    has_keys(
        &p,
        &[
            "timestamp",
            "analysis_mode",
            "method",
            "sampling_summary",
            "convergence",
            "parameters",
            "per_angle",
            "sampled_parameters",
            "num_shards",
            "combination",
            "warm_start",
        ],
        "parameters.json",
    );
    assert_eq!(p["method"], "cmc");
    has_keys(
        &p["sampling_summary"],
        &[
            "n_samples",
            "n_warmup",
            "n_chains",
            "total_samples",
            "computation_time",
        ],
        "sampling_summary",
    );
    assert_eq!(p["sampling_summary"]["total_samples"], 120);
    has_keys(
        &p["convergence"],
        &[
            "all_chains_converged",
            "min_r_hat",
            "max_r_hat",
            "acceptance_rate",
        ],
        "convergence",
    );
    for name in ["contrast", "offset", "D0", "alpha", "D_offset"] {
        has_keys(&p["parameters"][name], &["mean", "std"], name);
    }
    // contrast = mean over angles of the per-angle posterior means.
    let (_, con, _) = case.cmc.decoded();
    let want: f64 = (0..3)
        .map(|a| con.index_axis(Axis(2), a).mean().unwrap())
        .sum::<f64>()
        / 3.0;
    let got = p["parameters"]["contrast"]["mean"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-12 * want.abs(), "{got} vs {want}");
    for (j, name) in case.cmc.names.iter().enumerate() {
        let e = &p["sampled_parameters"][name];
        has_keys(
            e,
            &[
                "mean",
                "std",
                "q05",
                "q50",
                "q95",
                "r_hat",
                "ess_bulk",
                "ess_tail",
                "mcse_mean",
            ],
            name,
        );
        assert_eq!(e["mean"].as_f64().unwrap(), case.cmc.summaries[j].mean);
    }

    let a = read_json(&cmc.join("analysis_results_cmc.json"));
    has_keys(
        &a,
        &[
            "method",
            "timestamp",
            "analysis_mode",
            "sampling_quality",
            "dataset_info",
            "sampling_summary",
            "settings",
            "comparison_with_nlsq",
        ],
        "analysis_results",
    );
    has_keys(
        &a["sampling_quality"],
        &[
            "convergence_status",
            "quality_flag",
            "warnings",
            "recommendations",
        ],
        "sampling_quality",
    );
    has_keys(
        &a["dataset_info"],
        &[
            "n_angles",
            "n_time_points",
            "total_data_points",
            "q_value",
            "phi_angles",
        ],
        "dataset_info",
    );
    assert_eq!(a["dataset_info"]["n_angles"], 3);
    assert_eq!(a["settings"]["n_chains"], 2);
    let rows = a["comparison_with_nlsq"]["parameters"].as_array().unwrap();
    let d0 = rows.iter().find(|r| r["name"] == "D0").unwrap();
    has_keys(
        d0,
        &[
            "nlsq_value",
            "nlsq_std",
            "posterior_mean",
            "posterior_std",
            "z",
            "std_ratio",
        ],
        "comparison",
    );
    assert_eq!(d0["nlsq_value"].as_f64().unwrap(), case.nlsq.physical[0]);

    let d = read_json(&cmc.join("diagnostics.json"));
    has_keys(
        &d,
        &[
            "convergence",
            "sampling_efficiency",
            "posterior_checks",
            "cmc_specific",
            "ess_tail_quantiles",
        ],
        "diagnostics",
    );
    assert_eq!(d["convergence"]["r_hat_threshold"], 1.1);
    assert_eq!(d["convergence"]["ess_threshold"], 400.0);
    assert_eq!(d["ess_tail_quantiles"], json!([0.05, 0.95]));
    let per = d["convergence"]["per_parameter_diagnostics"]
        .as_array()
        .unwrap();
    // Individual scaling: every per-angle value is sampled, nothing derived.
    assert_eq!(per.len(), case.cmc.names.len());
    for e in per {
        has_keys(
            e,
            &[
                "name",
                "r_hat",
                "ess",
                "ess_tail",
                "mcse_mean",
                "converged",
                "deterministic",
            ],
            "per-parameter",
        );
        assert_eq!(e["deterministic"], false);
    }
    has_keys(
        &d["sampling_efficiency"],
        &[
            "divergences",
            "divergence_rate",
            "acceptance_rate",
            "step_size",
            "tree_depth",
            "ebfmi",
            "gradient_evaluations",
            "seconds",
        ],
        "sampling_efficiency",
    );
    has_keys(
        &d["sampling_efficiency"]["acceptance_rate"],
        &["mean", "min", "max", "std"],
        "acceptance stats",
    );
    has_keys(
        &d["cmc_specific"],
        &[
            "num_shards",
            "combination_method",
            "shards",
            "heterogeneity",
            "resumed_shards",
            "convergence_rate",
        ],
        "cmc_specific",
    );
    assert_eq!(d["cmc_specific"]["num_shards"], 1);
    assert_eq!(d["cmc_specific"]["combination_method"], "nuts");

    // The run summary, written last, lists every file.
    let text = std::fs::read_to_string(dir.path().join("homodyne_results.yaml")).unwrap();
    for f in [
        "cmc/parameters.json",
        "cmc/samples.npz",
        "cmc/posterior.zarr",
        "cmc/trace.png",
        "homodyne_results.yaml",
        "physical_params",
        "max_r_hat",
    ] {
        assert!(text.contains(f), "{f} not in the summary:\n{text}");
    }
}

#[test]
fn samples_npz_has_the_schema_and_the_draws() {
    let case = individual();
    let dir = tempfile::tempdir().unwrap();
    write(case, dir.path(), "cmc", SummaryFormat::Json);
    let path = dir.path().join("cmc/samples.npz");
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(&path).unwrap()).unwrap();
    let (c, n, d) = case.cmc.draws.dim();
    let post: Array3<f64> = npz
        .by_name::<OwnedRepr<f64>, Ix3>("posterior_samples")
        .unwrap();
    assert_eq!(post, case.cmc.draws);
    let flat: ndarray::Array2<f64> = npz.by_name::<OwnedRepr<f64>, Ix2>("samples").unwrap();
    assert_eq!(flat.dim(), (c * n, d));
    assert_eq!(
        flat.row(n + 3).to_vec(),
        case.cmc.draws.slice(ndarray::s![1, 3, ..]).to_vec()
    );
    for key in ["r_hat", "ess_bulk", "ess_tail", "ess"] {
        let v: Array1<f64> = npz.by_name::<OwnedRepr<f64>, Ix1>(key).unwrap();
        assert_eq!(v.len(), d, "{key}");
    }
    let rhat: Array1<f64> = npz.by_name::<OwnedRepr<f64>, Ix1>("r_hat").unwrap();
    for j in 0..d {
        assert_eq!(rhat[j].to_bits(), case.cmc.summaries[j].rhat.to_bits());
    }
    let scalar = |npz: &mut ndarray_npy::NpzReader<std::fs::File>, k: &str| -> i64 {
        npz.by_name::<OwnedRepr<i64>, Ix0>(k).unwrap().into_scalar()
    };
    assert_eq!(scalar(&mut npz, "n_chains"), c as i64);
    assert_eq!(scalar(&mut npz, "n_samples"), n as i64);
    assert_eq!(scalar(&mut npz, "n_phi"), 3);
    assert_eq!(scalar(&mut npz, "divergences"), case.cmc.divergences as i64);
    let version: Array1<i64> = npz
        .by_name::<OwnedRepr<i64>, Ix1>("schema_version")
        .unwrap();
    assert_eq!(version.to_vec(), vec![1, 0]);
    let lp: Array1<f64> = npz.by_name::<OwnedRepr<f64>, Ix1>("log_prob").unwrap();
    assert_eq!(lp.len(), c * n);
    assert_eq!(lp[n], case.cmc.sample_stats.lp[[1, 0]]);
    let acc: Array1<f64> = npz
        .by_name::<OwnedRepr<f64>, Ix1>("acceptance_rate")
        .unwrap();
    assert_eq!(acc.len(), 1);
    let (phys, con, _) = case.cmc.decoded();
    let ps: Array3<f64> = npz
        .by_name::<OwnedRepr<f64>, Ix3>("physical_samples")
        .unwrap();
    assert_eq!(ps, phys);
    let cs: Array3<f64> = npz
        .by_name::<OwnedRepr<f64>, Ix3>("contrast_samples")
        .unwrap();
    assert_eq!(cs, con);

    if !python_with("numpy") {
        return;
    }
    let script = r#"
import sys, json
import numpy as np
z = np.load(sys.argv[1])  # allow_pickle=False by default
names = z["param_names"]
assert names.dtype.kind == "U", names.dtype
assert z["posterior_samples"].dtype == np.float64
assert z["analysis_mode"].dtype.kind == "U" and str(z["analysis_mode"]) == "static"
assert z["schema_version"].dtype == np.int64 and list(z["schema_version"]) == [1, 0]
assert z["physical_names"].dtype.kind == "U"
assert z["physical_fixed"].dtype == np.bool_
for k in z.files:
    assert z[k].dtype != object, k
print(json.dumps({"names": [str(s) for s in names], "shape": list(z["posterior_samples"].shape)}))
"#;
    let out: Value =
        serde_json::from_str(run_python(script, &[path.to_str().unwrap()]).trim()).unwrap();
    assert_eq!(out["names"], json!(case.cmc.names));
    assert_eq!(out["shape"], json!([c, n, d]));
}

#[test]
fn posterior_zarr_reads_in_arviz_with_the_same_diagnostics() {
    let case = averaged_two_shards();
    let dir = tempfile::tempdir().unwrap();
    write(case, dir.path(), "cmc", SummaryFormat::Json);
    let cmc = dir.path().join("cmc");
    let d = read_json(&cmc.join("diagnostics.json"));
    // Averaged scaling: per-angle values are derived (deterministic) entries.
    let per = d["convergence"]["per_parameter_diagnostics"]
        .as_array()
        .unwrap();
    assert!(
        per.iter()
            .any(|e| e["name"] == "contrast_2" && e["deterministic"] == true)
    );
    assert_eq!(d["cmc_specific"]["num_shards"], 2);
    assert_eq!(d["cmc_specific"]["shards"].as_array().unwrap().len(), 2);
    let p = read_json(&cmc.join("parameters.json"));
    assert_eq!(p["num_shards"], 2);

    if !python_with("numpy, xarray, arviz") {
        return;
    }
    let script = r#"
import sys, json, warnings
warnings.simplefilter("ignore")
import numpy as np, xarray as xr, arviz as az
store, diag = sys.argv[1], sys.argv[2]
dt = xr.open_datatree(store, engine="zarr")
if int(az.__version__.split(".")[0]) >= 1:
    idata = dt
    post = dt["posterior"].to_dataset()
else:
    idata = az.InferenceData.from_datatree(dt)
    post = idata.posterior
assert dt.attrs["sampling_method"] == "consensus_mc", dt.attrs
assert list(dt.attrs["ess_tail_quantiles"]) == [0.05, 0.95]
assert post["contrast"].dims == ("chain", "draw", "angle")
assert "angle" in post.coords
stats = dt["sample_stats"].to_dataset()
assert stats["diverging"].dtype == np.bool_
assert stats["tree_depth"].dtype == np.int64
with open(diag) as f:
    entries = {e["name"]: e for e in json.load(f)["convergence"]["per_parameter_diagnostics"]}
checked = []
for name in ["D0", "alpha", "D_offset"]:
    if name not in post.data_vars:
        continue
    r = float(az.rhat(post[name].values))
    eb = float(az.ess(post[name].values, method="bulk"))
    et = float(az.ess(post[name].values, method="tail"))
    e = entries[name]
    for what, got, want in [("r_hat", r, e["r_hat"]), ("ess_bulk", eb, e["ess_bulk"]), ("ess_tail", et, e["ess_tail"])]:
        assert abs(got - want) <= 1e-8 * max(1.0, abs(want)), (name, what, got, want)
    checked.append(name)
s = az.summary(idata, var_names=checked, kind="diagnostics")
print(json.dumps({"checked": checked, "summary_rows": len(s)}))
"#;
    let out = run_python(
        script,
        &[
            cmc.join("posterior.zarr").to_str().unwrap(),
            cmc.join("diagnostics.json").to_str().unwrap(),
        ],
    );
    let out: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(out["checked"], json!(["D0", "alpha", "D_offset"]), "{out}");
}

#[test]
fn one_angle_and_both_methods() {
    let case = one_angle();
    let dir = tempfile::tempdir().unwrap();
    write(case, dir.path(), "both", SummaryFormat::Json);
    let a = read_json(&dir.path().join("cmc/analysis_results_cmc.json"));
    assert_eq!(a["dataset_info"]["n_angles"], 1);
    let s = read_json(&dir.path().join("homodyne_results.json"));
    assert_eq!(s["method"], "both");
    has_keys(
        &s,
        &[
            "analysis_mode",
            "success",
            "parameters",
            "diagnostics",
            "nlsq",
            "cmc",
            "files",
        ],
        "summary",
    );
    has_keys(
        &s["parameters"],
        &["contrast", "offset", "physical_params"],
        "summary parameters",
    );
    has_keys(
        &s["diagnostics"],
        &["max_r_hat", "min_ess_bulk", "divergences"],
        "summary diagnostics",
    );
    has_keys(
        &s["nlsq"],
        &[
            "parameters",
            "parameter_names",
            "uncertainties",
            "diagnostics",
        ],
        "nlsq section",
    );
    let files: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"cmc/fitted_data.npz") && files.contains(&"homodyne_results.json"));

    // Many angles: the reference crashed writing this file; here it always works.
    let case = averaged_two_shards();
    let dir = tempfile::tempdir().unwrap();
    write(case, dir.path(), "cmc", SummaryFormat::Npz);
    let a = read_json(&dir.path().join("cmc/analysis_results_cmc.json"));
    assert_eq!(a["dataset_info"]["n_angles"], 3);
    assert!(dir.path().join("homodyne_results.npz").is_file());
}

#[test]
fn fitted_data_uses_the_posterior_means_and_sigma() {
    let case = individual();
    let dir = tempfile::tempdir().unwrap();
    write(case, dir.path(), "cmc", SummaryFormat::Json);
    let mut npz = ndarray_npy::NpzReader::new(
        std::fs::File::open(dir.path().join("cmc/fitted_data.npz")).unwrap(),
    )
    .unwrap();
    let names = npz.names().unwrap();
    for k in [
        "phi_angles",
        "c2_exp",
        "c2_theoretical_raw",
        "c2_theoretical_scaled",
        "per_angle_scaling",
        "residuals",
        "residuals_normalized",
        "t1",
        "t2",
        "q",
    ] {
        assert!(names.iter().any(|n| n == k), "{k} missing: {names:?}");
    }
    let res: Array3<f64> = npz.by_name::<OwnedRepr<f64>, Ix3>("residuals").unwrap();
    let norm: Array3<f64> = npz
        .by_name::<OwnedRepr<f64>, Ix3>("residuals_normalized")
        .unwrap();
    for a in 0..3 {
        let (r, z) = (res[[a, 2, 5]], norm[[a, 2, 5]]);
        assert!((z - r / case.sigma[a]).abs() <= 1e-12 * z.abs().max(1.0));
    }
    // Normalised residuals of a good fit are of order one.
    let rms = (norm.iter().map(|v| v * v).sum::<f64>() / norm.len() as f64).sqrt();
    assert!((0.5..2.0).contains(&rms), "rms {rms}");
}

#[test]
fn nan_statistics_are_null() {
    let mut cmc = individual().cmc.clone();
    cmc.summaries[0].rhat = f64::NAN;
    cmc.summaries[0].ess_tail = f64::NAN;
    let case = Case {
        experiment: individual().experiment.clone(),
        c2: individual().c2.clone(),
        nlsq: individual().nlsq.clone(),
        cmc,
        sigma: individual().sigma.clone(),
    };
    let dir = tempfile::tempdir().unwrap();
    write(&case, dir.path(), "cmc", SummaryFormat::Json);
    let d = read_json(&dir.path().join("cmc/diagnostics.json"));
    let first = &d["convergence"]["per_parameter_diagnostics"][0];
    assert_eq!(first["r_hat"], Value::Null);
    assert_eq!(first["ess_tail"], Value::Null);
    assert_eq!(first["converged"], false);
    assert_eq!(d["convergence"]["all_chains_converged"], false);
    let p = read_json(&dir.path().join("cmc/parameters.json"));
    assert_eq!(
        p["sampled_parameters"][&case.cmc.names[0]]["r_hat"],
        Value::Null
    );
}

/// A shard result with awkward values (signed zero, subnormal, NaN payload, huge counts).
fn shard(index: usize, fingerprint: u64) -> ShardResult {
    let chain = |c: u64| {
        let n = 5;
        let d = 2;
        let f = |k: usize| (k as f64 + 0.1) * (c as f64 + 1.0) / 3.0;
        homodyne_cmc::ChainDraws {
            z: (0..n * d).map(|k| f(k).sin()).collect(),
            x: (0..n * d)
                .map(|k| if k == 0 { -0.0 } else { f(k) * 1e-310 })
                .collect(),
            diverging: (0..n).map(|k| k % 2 == 1).collect(),
            step_size: (0..n).map(|k| f(k) / 7.0).collect(),
            tree_depth: (0..n as u64).collect(),
            n_steps: (0..n as u64).map(|k| 1 << k).collect(),
            lp: (0..n).map(|k| -f(k).exp()).collect(),
            energy: (0..n)
                .map(|k| if k == 2 { f64::NAN } else { f(k) })
                .collect(),
            acceptance_rate: (0..n).map(|k| 1.0 / (k as f64 + 3.0)).collect(),
            warmup_divergences: 3 + c,
            gradient_evaluations: u64::MAX - c,
            seconds: 0.1 + c as f64 / 3.0,
        }
    };
    ShardResult {
        index,
        fingerprint,
        n_points: 1234,
        chains: vec![chain(0), chain(1), chain(2)],
    }
}

fn bits_equal(a: &ShardResult, b: &ShardResult) -> bool {
    let same = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
    };
    a.index == b.index
        && a.fingerprint == b.fingerprint
        && a.n_points == b.n_points
        && a.chains.len() == b.chains.len()
        && a.chains.iter().zip(&b.chains).all(|(p, q)| {
            same(&p.z, &q.z)
                && same(&p.x, &q.x)
                && same(&p.step_size, &q.step_size)
                && same(&p.lp, &q.lp)
                && same(&p.energy, &q.energy)
                && same(&p.acceptance_rate, &q.acceptance_rate)
                && p.seconds.to_bits() == q.seconds.to_bits()
                && p.diverging == q.diverging
                && p.tree_depth == q.tree_depth
                && p.n_steps == q.n_steps
                && p.warmup_divergences == q.warmup_divergences
                && p.gradient_evaluations == q.gradient_evaluations
        })
}

#[test]
fn checkpoints_round_trip_bit_for_bit_and_bad_ones_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = ShardCheckpoints::new(dir.path().join("cmc/shards"));
    let print = u64::MAX - 12345; // not representable as f64
    let r = shard(3, print);
    store.save(&r).unwrap();
    let back = store.load(3, print).expect("checkpoint");
    assert!(bits_equal(&r, &back));
    // Another fingerprint, another index: ignored.
    assert!(store.load(3, print - 1).is_none());
    assert!(store.load(2, print).is_none());

    // A truncated archive is ignored.
    let npz = store.dir().join("shard_0003.npz");
    let bytes = std::fs::read(&npz).unwrap();
    std::fs::write(&npz, &bytes[..bytes.len() / 2]).unwrap();
    assert!(store.load(3, print).is_none());
    // Garbage archive.
    std::fs::write(&npz, b"not a zip at all").unwrap();
    assert!(store.load(3, print).is_none());

    // Restored: usable again; without its json: ignored.
    std::fs::write(&npz, &bytes).unwrap();
    assert!(store.load(3, print).is_some());
    let json_path = store.dir().join("shard_0003.json");
    let json_text = std::fs::read_to_string(&json_path).unwrap();
    std::fs::remove_file(&json_path).unwrap();
    assert!(store.load(3, print).is_none());
    // A json of another save with the matching fingerprint does not vouch for this
    // archive (the archive carries its own fingerprint).
    store.save(&shard(3, print - 7)).unwrap();
    std::fs::write(&json_path, &json_text).unwrap();
    assert!(store.load(3, print).is_none());
    // Corrupt json.
    std::fs::write(&json_path, "{\"format_version\": 1, \"index\": 3,").unwrap();
    assert!(store.load(3, print).is_none());

    // clear() removes the checkpoint files (and the folder when empty); others stay.
    store.save(&shard(0, 1)).unwrap();
    std::fs::write(store.dir().join("notes.txt"), "keep").unwrap();
    store.clear().unwrap();
    let left: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["notes.txt".to_string()]);
    std::fs::remove_file(store.dir().join("notes.txt")).unwrap();
    store.clear().unwrap();
    assert!(!store.dir().exists());
    store.clear().unwrap();
}

#[test]
fn a_real_run_resumes_from_its_checkpoints() {
    let case = averaged_two_shards();
    let dir = tempfile::tempdir().unwrap();
    let store = ShardCheckpoints::new(dir.path().join("shards"));
    let init = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::Static,
        Some(&TRUTH.iter().map(|v| v * 1.2).collect::<Vec<_>>()),
        None,
        &ParameterBounds::defaults(AnalysisMode::Static),
    )
    .unwrap();
    let bounds = ParameterBounds::defaults(AnalysisMode::Static);
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Averaged,
        ..Default::default()
    };
    let fitter = Fitter::new(
        &case.experiment,
        case.c2.view(),
        None,
        &init,
        &bounds,
        &options,
    )
    .unwrap();
    let space = ParameterSpace::defaults(AnalysisMode::Static);
    let problem = Problem::from_fitter(&fitter, case.c2.view(), &space);
    let opts = CmcOptions {
        nuts: NutsOptions {
            num_warmup: 30,
            num_samples: 30,
            num_chains: 2,
            seed: 5,
            ..NutsOptions::default()
        },
        shards: ShardCount::Shards(2),
        combination: homodyne_mcmc::CombineMethod::ConsensusMc,
        combine: Default::default(),
        threads: 0,
    };
    let first = sample(&problem, None, &opts, Some(&store), &NoObserver).unwrap();
    assert_eq!(first.resumed_shards, 0);
    assert!(store.dir().join("shard_0001.npz").is_file());
    let again = sample(&problem, None, &opts, Some(&store), &NoObserver).unwrap();
    assert_eq!(again.resumed_shards, 2);
    assert_eq!(again.draws, first.draws);
}
