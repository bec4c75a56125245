//! The facade end to end on the bundled example: load -> fit -> write with typed
//! results, progress through the observer, simulation, overrides.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use homodyne::{Analysis, AnalysisMode, Observer, Overrides, Silent, SimulationSetup};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> Analysis {
    Analysis::from_file(
        root().join("examples/example_laminar.yaml"),
        Overrides::default(),
    )
    .unwrap()
}

/// Records what it is told.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn stage_started(&self, message: &str) {
        self.events.lock().unwrap().push(format!("start {message}"));
    }
    fn stage_finished(&self, message: &str, seconds: f64) {
        assert!(seconds >= 0.0);
        self.events.lock().unwrap().push(format!("end {message}"));
    }
    fn iteration(&self, iteration: usize, cost: f64) {
        assert!(cost.is_finite());
        self.events
            .lock()
            .unwrap()
            .push(format!("iteration {iteration}"));
    }
    fn steps_started(&self, label: &str, total: usize) {
        self.events
            .lock()
            .unwrap()
            .push(format!("steps {label} {total}"));
    }
    fn step(&self) {
        self.events.lock().unwrap().push("step".into());
    }
}

#[test]
fn load_fit_write_recovers_the_example_truth() {
    let out = tempfile::tempdir().unwrap();
    let analysis = example();
    assert_eq!(analysis.mode(), AnalysisMode::LaminarFlow);
    let recorder = Recorder::default();
    let data = analysis.load(None, &recorder).unwrap();
    assert_eq!((data.n_angles(), data.n_times()), (8, 80));
    let fit = analysis.fit_nlsq(&data, &recorder).unwrap();
    assert!(fit.success(), "{}", fit.message);
    assert_eq!(fit.analysis_mode, AnalysisMode::LaminarFlow);
    let truth = [
        ("D0", 15000.0),
        ("alpha", -0.3),
        ("D_offset", 50.0),
        ("gamma_dot_t0", 4e-4),
        ("beta", 0.0),
        ("phi0", 2.0),
    ];
    for (name, value) in truth {
        let e = fit.parameter(name).unwrap();
        assert!(
            (e.value - value).abs() < 4.0 * e.uncertainty,
            "{name}: {} ± {} vs truth {value}",
            e.value,
            e.uncertainty
        );
    }
    // Aliases and arrays: no names to parse, no positions to count.
    assert_eq!(fit.parameter("phi_0"), fit.parameter("phi0"));
    assert_eq!(fit.parameter("gamma_dot_offset").unwrap().uncertainty, 0.0);
    assert!(fit.parameter("no_such_parameter").is_none());
    assert_eq!(fit.contrast.len(), 8);
    assert_eq!(fit.contrast_uncertainty.len(), 8);
    assert!((fit.contrast_mean().value - 0.2).abs() < 0.01);

    let written = analysis
        .write_nlsq(&data, &fit, &analysis.output_options(out.path()), &recorder)
        .unwrap();
    for name in [
        "nlsq/parameters.json",
        "nlsq/analysis_results_nlsq.json",
        "nlsq/convergence_metrics.json",
        "nlsq/fitted_data.npz",
        "homodyne_results.yaml",
    ] {
        let path = out.path().join(name);
        assert!(path.is_file(), "{name} missing");
        assert!(written.contains(&path), "{name} not reported as written");
    }
    let params: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("nlsq/parameters.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        params["parameters"]["D0"]["value"].as_f64().unwrap(),
        fit.parameter("D0").unwrap().value
    );
    let summary = std::fs::read_to_string(out.path().join("homodyne_results.yaml")).unwrap();
    assert!(summary.contains("device_config"), "{summary}");

    let events = recorder.events.into_inner().unwrap();
    assert!(events.iter().any(|e| e.starts_with("start loading")));
    assert!(events.iter().any(|e| e.starts_with("start NLSQ fit")));
    assert!(events.iter().any(|e| e.starts_with("end NLSQ")));
    assert!(events.iter().filter(|e| e.starts_with("iteration")).count() >= 2);
    assert!(events.contains(&"steps fit comparison plots 8".to_string()));
    assert_eq!(events.iter().filter(|e| *e == "step").count(), 8);
}

#[test]
fn overrides_reach_the_fit_and_say_when_they_do_not_apply() {
    let a = Analysis::from_file(
        root().join("examples/example_laminar.yaml"),
        Overrides {
            mode: Some(AnalysisMode::Static),
            max_iterations: Some(3),
            ..Overrides::default()
        }
        .initial("D0", 12345.0)
        .initial("phi0", 1.0),
    )
    .unwrap();
    assert_eq!(a.mode(), AnalysisMode::Static);
    assert_eq!(a.nlsq_options().unwrap().max_iterations, Some(3));
    assert_eq!(a.loaded().config.initial_physical()[0], 12345.0);
    assert_eq!(a.warnings().len(), 1, "{:?}", a.warnings());
    assert!(a.warnings()[0].contains("--initial-phi0 ignored"));
}

#[test]
fn label_lists_are_written_beside_an_hdf5_source() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::copy(
        root().join("examples/data/example_laminar.hdf"),
        data_dir.join("example_laminar.hdf"),
    )
    .unwrap();
    let config = dir.path().join("c.yaml");
    std::fs::copy(root().join("examples/example_laminar.yaml"), &config).unwrap();
    let a = Analysis::from_file(&config, Overrides::default()).unwrap();
    let data = a.load(None, &Silent).unwrap();
    let phi = std::fs::read_to_string(data_dir.join("phi_angles_list.txt")).unwrap();
    let q = std::fs::read_to_string(data_dir.join("wavevector_q_list.txt")).unwrap();
    assert!(phi.starts_with("# Phi angles (degrees)\n"), "{phi}");
    assert_eq!(phi.lines().count(), 1 + data.n_angles());
    assert!(q.contains("5.40000000e-03"), "{q}");
}

#[test]
fn simulation_from_a_template_matches_the_model_at_t_equal_0() {
    let loaded = homodyne::config::load_str(
        homodyne::config::template(AnalysisMode::Static),
        homodyne::config::Format::Yaml,
        "template.yaml",
    )
    .unwrap();
    let setup = SimulationSetup::from_config(&loaded, Path::new("template.yaml")).unwrap();
    let sim = setup.simulate(&[0.0, 90.0], 0.3, 1.0).unwrap();
    assert_eq!(sim.c2.shape(), &[2, setup.n_frames, setup.n_frames]);
    assert_eq!(sim.t[0], 0.0);
    // g1(t, t) = 1: the diagonal is offset + contrast.
    assert!((sim.c2[[1, 3, 3]] - 1.3).abs() < 1e-12);
    let out = tempfile::tempdir().unwrap();
    sim.write_npz(&out.path().join("sim.npz")).unwrap();
    assert!(out.path().join("sim.npz").is_file());
    assert!(setup.simulate(&[0.0], f64::NAN, 1.0).is_err());
    assert!(setup.simulate(&[], 0.3, 1.0).is_err());
}
