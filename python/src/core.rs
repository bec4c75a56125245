//! The pure-Rust half of the bindings: what the Python layer needs that involves no
//! Python object, so that it builds and is tested by a plain `cargo test --workspace`
//! (no interpreter): data dicts <-> [`XpcsData`], error classes, the configuration
//! report of `homodyne-config --validate`, the polling [`Progress`] observer and the
//! interruptible job runner.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

use homodyne::config::{AnalysisMode, Format, Loaded, ValidationReport};
use homodyne::data::{C2Stack, DataError, SourceInfo, SourceKind, XpcsData};
use homodyne::{Analysis, Error, Observer, Overrides};
use ndarray::Array1;

/// The Python exception class an error maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `FileNotFoundError`.
    FileNotFound,
    /// `OSError`: a file exists but cannot be read or written.
    Os,
    /// `MemoryError`: the request does not fit in memory.
    Memory,
    /// `ValueError`: bad configuration, values or shapes.
    Value,
}

fn io_kind(e: &std::io::Error) -> ErrorKind {
    if e.kind() == std::io::ErrorKind::NotFound {
        ErrorKind::FileNotFound
    } else {
        ErrorKind::Os
    }
}

/// The exception class of a facade error (its message is the CLI's: `e.to_string()`).
pub fn classify(e: &Error) -> ErrorKind {
    use homodyne::config::ConfigError;
    match e {
        Error::Config(ConfigError::Io { source, .. }) => io_kind(source),
        Error::Config(ConfigError::Write { .. }) => ErrorKind::Os,
        Error::Config(_) => ErrorKind::Value,
        Error::Data(d) => match d {
            DataError::FileNotFound { .. } => ErrorKind::FileNotFound,
            DataError::Io { source, .. } => io_kind(source),
            DataError::NotHdf5 { .. }
            | DataError::UnknownLayout { .. }
            | DataError::MissingDataset { .. }
            | DataError::Hdf5Read { .. }
            | DataError::UnsupportedDtype { .. }
            | DataError::BadMatrixShape { .. }
            | DataError::BadLabels { .. }
            | DataError::NoCorrelationMatrices { .. }
            | DataError::BadNpz { .. }
            | DataError::NpzObjectArray { .. }
            | DataError::NpzMissingArray { .. }
            | DataError::CacheWrite { .. } => ErrorKind::Os,
            DataError::TooLarge { .. } => ErrorKind::Memory,
            _ => ErrorKind::Value,
        },
        Error::Output(_) => ErrorKind::Os,
        Error::Invalid(m)
            if m.starts_with("configuration file not found")
                || m.starts_with("data file not found") =>
        {
            ErrorKind::FileNotFound
        }
        Error::Invalid(m) if m.contains("GiB are available") => ErrorKind::Memory,
        _ => ErrorKind::Value,
    }
}

/// The name a configuration given as a dict is known by in messages; relative data
/// paths in it resolve against the working directory.
pub const DICT_CONFIG_NAME: &str = "<config_dict>";

/// An analysis from a configuration file, refused (as the CLI refuses it) when missing
/// or invalid.
pub fn analysis_from_file(path: &Path, overrides: Overrides) -> homodyne::Result<Analysis> {
    Analysis::from_file(path, overrides)
}

/// An analysis from configuration text (JSON or YAML) as if read from `name`, with the
/// same checks as a file.
pub fn analysis_from_text(
    text: &str,
    format: Format,
    name: &str,
    overrides: Overrides,
) -> homodyne::Result<Analysis> {
    let loaded = homodyne::config::load_str(text, format, name)?;
    analysis_from_loaded(loaded, Path::new(name), overrides)
}

/// An analysis from an already loaded configuration, with the run's settings check.
pub fn analysis_from_loaded(
    loaded: Loaded,
    path: &Path,
    overrides: Overrides,
) -> homodyne::Result<Analysis> {
    let analysis = Analysis::from_loaded(loaded, path, overrides);
    let mut report = ValidationReport::for_file(Some(path));
    homodyne::check_loaded(analysis.loaded(), path, &mut report);
    if !report.is_valid() {
        let errors: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
        return Err(Error::Invalid(format!(
            "invalid configuration {}: {}",
            path.display(),
            errors.join("; ")
        )));
    }
    Ok(analysis)
}

/// The text `homodyne-config --validate PATH` prints (stdout) and the report (valid:
/// the CLI's exit code 0). A missing file gives the CLI's error line and an error.
pub fn validation_text(path: &Path) -> (String, ValidationReport) {
    if !path.exists() {
        let mut report = ValidationReport::for_file(Some(path));
        let message = format!("configuration file not found: {}", path.display());
        report.error("", 0, message.clone());
        let text = format!("Validating {}\nerror: {message}\n", path.display());
        return (text, report);
    }
    let report = homodyne::check(path);
    let loaded = homodyne::config::load_file(path).ok();
    report_text(path, report, loaded.as_ref())
}

/// [`validation_text`] for configuration text known by `name` (a dict's JSON).
pub fn validation_text_str(text: &str, format: Format, name: &str) -> (String, ValidationReport) {
    let path = Path::new(name);
    let mut report = homodyne::config::validate_str(text, format, name);
    let loaded = homodyne::config::load_str(text, format, name).ok();
    if let Some(l) = &loaded {
        homodyne::check_loaded(l, path, &mut report);
    }
    report_text(path, report, loaded.as_ref())
}

fn report_text(
    path: &Path,
    mut report: ValidationReport,
    loaded: Option<&Loaded>,
) -> (String, ValidationReport) {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Validating {}", path.display());
    if let Some(loaded) = loaded {
        let c = &loaded.config;
        let _ = writeln!(out, "  analysis mode:     {}", c.mode());
        let _ = writeln!(
            out,
            "  frames:            {}..{} (dt = {} s)",
            c.start_frame(),
            c.end_frame(),
            c.dt()
        );
        let _ = writeln!(out, "  wavevector q:      {} 1/Å", c.wavevector_q());
        if c.mode() == AnalysisMode::LaminarFlow {
            let _ = writeln!(out, "  stator-rotor gap:  {} Å", c.stator_rotor_gap());
        }
        match c.data_file_resolved(path) {
            Some(f) => {
                let exists = f.exists();
                let _ = writeln!(
                    out,
                    "  data file:         {}{}",
                    f.display(),
                    if exists { "" } else { " (not found)" }
                );
                if !exists {
                    report.warning(
                        "experimental_data",
                        0,
                        format!("data file does not exist: {}", f.display()),
                    );
                }
            }
            None => {
                let _ = writeln!(out, "  data file:         (not set)");
            }
        }
        let iv = c.initial_values();
        let _ = writeln!(
            out,
            "  parameters:        {} ({})",
            c.physical_names().join(", "),
            if iv.from_midpoints {
                "start at bound midpoints"
            } else {
                "start values given"
            }
        );
        if c.phi_filtering.enabled {
            let ranges: Vec<String> = c
                .phi_filtering
                .target_ranges
                .iter()
                .map(|r| format!("[{}, {}]", r.min_angle, r.max_angle))
                .collect();
            let _ = writeln!(out, "  phi filtering:     {}", ranges.join(" "));
        }
    }
    for issue in report.all() {
        let _ = writeln!(out, "  {issue}");
    }
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} note(s)",
        report.errors.len(),
        report.warnings.len(),
        report.info.len()
    );
    if report.is_valid() {
        let _ = writeln!(out, "Configuration is valid");
    }
    (out, report)
}

/// Rebuild the library's data set from the reference's dict arrays (moved in, not
/// copied). `dt` is the configuration's frame time (the loader's); `t1` must be the
/// time axis of `c2`'s last two dimensions.
pub fn data_from_arrays(
    wavevector_q_list: Array1<f64>,
    phi_angles_list: Array1<f64>,
    t1: Array1<f64>,
    t2: Array1<f64>,
    c2_exp: C2Stack,
    dt: f64,
    source: PathBuf,
) -> Result<XpcsData, String> {
    let (n_phi, n1, n2) = c2_exp.dim();
    if n1 != n2 {
        return Err(format!(
            "c2_exp has shape ({n_phi}, {n1}, {n2}): expected (n_phi, n_t, n_t) square matrices"
        ));
    }
    if n_phi == 0 || n1 == 0 {
        return Err(format!("c2_exp is empty (shape ({n_phi}, {n1}, {n2}))"));
    }
    if phi_angles_list.len() != n_phi {
        return Err(format!(
            "phi_angles_list has {} angles but c2_exp holds {n_phi} matrices",
            phi_angles_list.len()
        ));
    }
    for (name, t) in [("t1", &t1), ("t2", &t2)] {
        if t.len() != n1 {
            return Err(format!(
                "{name} has {} times but c2_exp matrices are {n1} x {n1}",
                t.len()
            ));
        }
        if t.iter().any(|v| !v.is_finite()) {
            return Err(format!("{name} holds non-finite times"));
        }
    }
    if t1 != t2 {
        return Err("t1 and t2 differ: the model needs one time axis for both indices".into());
    }
    if wavevector_q_list.is_empty() {
        return Err("wavevector_q_list is empty".into());
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(format!("dt must be a positive number, got {dt}"));
    }
    let phi_normalized = phi_angles_list.iter().all(|p| *p > -180.0 && *p <= 180.0);
    Ok(XpcsData {
        wavevector_q_list,
        phi_angles_list,
        t1,
        t2,
        c2_exp,
        dt,
        source: SourceInfo {
            data_path: source,
            kind: SourceKind::NpzData,
            cache_path: None,
            datasets: Vec::new(),
            frames: None,
            n_frames_in_file: None,
            diagonal_corrected: true,
            phi_normalized,
            damage: Vec::new(),
        },
    })
}

/// Physical parameter values in the mode's canonical order from `(name, value)` pairs
/// (aliases accepted); the mode is the one whose names cover all given names.
pub fn physical_from_named(pairs: &[(String, f64)]) -> Result<(AnalysisMode, Vec<f64>), String> {
    use homodyne::model::params::canonical_name;
    let names: Vec<&str> = pairs.iter().map(|(n, _)| canonical_name(n)).collect();
    let mode = if names
        .iter()
        .all(|n| AnalysisMode::Static.physical_names().contains(n))
        && names.len() == AnalysisMode::Static.n_physical()
    {
        AnalysisMode::Static
    } else {
        AnalysisMode::LaminarFlow
    };
    let want = mode.physical_names();
    let mut values = vec![f64::NAN; want.len()];
    for (name, (given, v)) in names.iter().zip(pairs) {
        match want.iter().position(|w| w == name) {
            Some(k) => values[k] = *v,
            None => {
                return Err(format!(
                    "unknown parameter '{given}': expected {}",
                    want.join(", ")
                ));
            }
        }
    }
    let missing: Vec<&str> = want
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_nan())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "parameters missing for {} mode: {}",
            mode,
            missing.join(", ")
        ));
    }
    Ok((mode, values))
}

/// Physical values from a plain sequence: 3 (static) or 7 (laminar flow) values in
/// canonical order.
pub fn physical_from_values(values: &[f64]) -> Result<(AnalysisMode, Vec<f64>), String> {
    AnalysisMode::from_n_physical(values.len())
        .map(|m| (m, values.to_vec()))
        .ok_or_else(|| {
            format!(
                "{} parameter values: expected 3 (static: D0, alpha, D_offset) or 7 (laminar \
                 flow: D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0)",
                values.len()
            )
        })
}

/// One thing that happened in a running analysis, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A stage (loading, fitting, sampling) started.
    StageStarted(String),
    /// The stage ended after so many seconds.
    StageFinished(String, f64),
    /// An optimiser iteration ended with this cost.
    Iteration(usize, f64),
    /// A job of equal steps (figures) started.
    StepsStarted(String, usize),
    /// Sampling started.
    CmcStarted {
        /// Shards.
        shards: usize,
        /// Chains per shard.
        chains: usize,
        /// Draws per chain, warm-up included.
        draws_per_chain: u64,
        /// Shards resumed from checkpoints.
        resumed: usize,
    },
    /// A shard finished.
    ShardFinished {
        /// Its index.
        shard: usize,
        /// Its divergent draws.
        divergences: usize,
    },
}

/// The payload a cancelled NLSQ fit unwinds with (not a panic: no hook runs).
#[derive(Debug)]
pub struct Interrupted;

/// An [`Observer`] that only records: events in a queue, CMC draws in counters, and a
/// cancel flag. The Python side polls it from the thread that holds the GIL, so no
/// worker thread ever touches Python.
#[derive(Debug, Default)]
pub struct Progress {
    cancel: AtomicBool,
    events: Mutex<Vec<Event>>,
    /// Draws made by every chain (warm-up included).
    pub draws: AtomicU64,
    /// Divergent kept draws.
    pub divergences: AtomicU64,
    /// Shards finished.
    pub shards_done: AtomicUsize,
    /// Steps of the running job done.
    pub steps: AtomicUsize,
}

impl Progress {
    /// Ask the running analysis to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// The events since the last call.
    pub fn take_events(&self) -> Vec<Event> {
        self.events
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }

    fn push(&self, event: Event) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event);
        }
    }
}

impl Observer for Progress {
    fn stage_started(&self, message: &str) {
        self.push(Event::StageStarted(message.to_string()));
    }
    fn stage_finished(&self, message: &str, seconds: f64) {
        self.push(Event::StageFinished(message.to_string(), seconds));
    }
    fn iteration(&self, iteration: usize, cost: f64) {
        if self.is_cancelled() {
            // The optimiser has no stop hook: leave it between two iterations. Caught by
            // `spawn_job`'s catch_unwind; resume_unwind runs no panic hook.
            std::panic::resume_unwind(Box::new(Interrupted));
        }
        self.push(Event::Iteration(iteration, cost));
    }
    fn steps_started(&self, label: &str, total: usize) {
        self.steps.store(0, Ordering::Relaxed);
        self.push(Event::StepsStarted(label.to_string(), total));
    }
    fn step(&self) {
        self.steps.fetch_add(1, Ordering::Relaxed);
    }
    fn cmc_started(&self, shards: usize, chains: usize, draws_per_chain: u64, resumed: usize) {
        self.draws.store(0, Ordering::Relaxed);
        self.divergences.store(0, Ordering::Relaxed);
        self.shards_done.store(resumed, Ordering::Relaxed);
        self.push(Event::CmcStarted {
            shards,
            chains,
            draws_per_chain,
            resumed,
        });
    }
    fn cmc_draw(&self, _shard: usize, _chain: usize, tuning: bool, diverging: bool) {
        self.draws.fetch_add(1, Ordering::Relaxed);
        // As the result counts them: divergent kept draws (warm-up excluded).
        if diverging && !tuning {
            self.divergences.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn cmc_shard_finished(&self, shard: usize, divergences: usize) {
        self.shards_done.fetch_add(1, Ordering::Relaxed);
        self.push(Event::ShardFinished { shard, divergences });
    }
    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }
}

/// How a background job ended.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It returned.
    Done(homodyne::Result<T>),
    /// It was cancelled.
    Interrupted,
    /// It panicked (the message): a bug, reported as an exception, never a crash.
    Panicked(String),
}

fn panic_message(payload: Box<dyn Any + Send>) -> Option<String> {
    if payload.is::<Interrupted>() {
        return None;
    }
    Some(
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into()),
    )
}

/// Run `job` on its own thread; its outcome arrives on the returned channel. Panics are
/// caught; a job that sees `progress` cancelled ends as [`Outcome::Interrupted`].
pub fn spawn_job<T, F>(progress: Arc<Progress>, job: F) -> Receiver<Outcome<T>>
where
    T: Send + 'static,
    F: FnOnce(&Progress) -> homodyne::Result<T> + Send + 'static,
{
    let (tx, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("homodyne-job".into())
        .spawn({
            let tx = tx.clone();
            move || {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&progress)));
                let outcome = match result {
                    Ok(r) if progress.is_cancelled() && r.is_err() => Outcome::Interrupted,
                    Ok(r) => Outcome::Done(r),
                    Err(payload) => match panic_message(payload) {
                        None => Outcome::Interrupted,
                        Some(m) => Outcome::Panicked(m),
                    },
                };
                // The caller may have gone (interrupted): nobody to tell.
                let _ = tx.send(outcome);
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(Outcome::Done(Err(Error::Invalid(format!(
            "cannot start a worker thread: {e}"
        )))));
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use std::time::Duration;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn errors_map_to_python_classes() {
        let missing =
            analysis_from_file(Path::new("/nonexistent/c.yaml"), Overrides::default()).unwrap_err();
        assert_eq!(classify(&missing), ErrorKind::FileNotFound);
        assert!(missing.to_string().contains("configuration file not found"));
        let bad = analysis_from_text(
            "{\"analysis_mode\": \"laminar_flow\", \"analyzer_parameters\": {\"dt\": -1}}",
            Format::Json,
            DICT_CONFIG_NAME,
            Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(classify(&bad), ErrorKind::Value, "{bad}");
        let data = Error::Data(DataError::FileNotFound {
            path: "x.hdf".into(),
        });
        assert_eq!(classify(&data), ErrorKind::FileNotFound);
        let unreadable = Error::Data(DataError::NotHdf5 {
            path: "x.hdf".into(),
            reason: "bad signature".into(),
        });
        assert_eq!(classify(&unreadable), ErrorKind::Os);
    }

    #[test]
    fn validation_text_matches_the_cli_layout() {
        let (text, report) = validation_text(&repo().join("examples/example_laminar.yaml"));
        assert!(report.is_valid(), "{text}");
        assert!(text.starts_with("Validating "));
        assert!(text.contains("  analysis mode:     laminar_flow"));
        assert!(text.ends_with("Configuration is valid\n"));
        let (text, report) = validation_text(Path::new("/nonexistent.yaml"));
        assert!(!report.is_valid());
        assert!(text.contains("error: configuration file not found"));
    }

    #[test]
    fn data_from_arrays_checks_shapes() {
        let t = Array1::from(vec![0.0, 0.1, 0.2]);
        let ok = data_from_arrays(
            Array1::from(vec![0.005]),
            Array1::from(vec![0.0, 45.0]),
            t.clone(),
            t.clone(),
            C2Stack::F64(Array3::from_elem((2, 3, 3), 1.1)),
            0.1,
            PathBuf::from("<dict>"),
        )
        .unwrap();
        assert_eq!(ok.n_angles(), 2);
        assert_eq!(ok.n_times(), 3);
        let err = data_from_arrays(
            Array1::from(vec![0.005]),
            Array1::from(vec![0.0]),
            t.clone(),
            t.clone(),
            C2Stack::F64(Array3::from_elem((2, 3, 3), 1.1)),
            0.1,
            PathBuf::from("<dict>"),
        )
        .unwrap_err();
        assert!(err.contains("phi_angles_list has 1 angles"), "{err}");
        let err = data_from_arrays(
            Array1::from(vec![0.005]),
            Array1::from(vec![0.0, 1.0]),
            Array1::from(vec![0.0, 0.1]),
            Array1::from(vec![0.0, 0.1]),
            C2Stack::F32(Array3::from_elem((2, 3, 3), 1.1)),
            0.1,
            PathBuf::from("<dict>"),
        )
        .unwrap_err();
        assert!(err.contains("t1 has 2 times"), "{err}");
    }

    #[test]
    fn named_parameters_pick_the_mode() {
        let (mode, v) = physical_from_named(&[
            ("alpha".into(), -0.5),
            ("D0".into(), 1e4),
            ("D_offset".into(), 0.0),
        ])
        .unwrap();
        assert_eq!(mode, AnalysisMode::Static);
        assert_eq!(v, vec![1e4, -0.5, 0.0]);
        let err =
            physical_from_named(&[("D0".into(), 1.0), ("gamma_dot_0".into(), 1e-3)]).unwrap_err();
        assert!(err.contains("missing for laminar_flow"), "{err}");
        assert!(physical_from_values(&[1.0; 5]).is_err());
        assert_eq!(
            physical_from_values(&[1.0; 7]).unwrap().0,
            AnalysisMode::LaminarFlow
        );
    }

    #[test]
    fn jobs_report_results_panics_and_interruptions() {
        let p = Arc::new(Progress::default());
        let rx = spawn_job(p.clone(), |_| Ok(42));
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(Outcome::Done(Ok(42)))
        ));
        let rx = spawn_job::<(), _>(p.clone(), |_| {
            std::panic::resume_unwind(Box::new(String::from("boom")))
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Outcome::Panicked(m)) => assert_eq!(m, "boom"),
            other => panic!("{other:?}"),
        }
        // A cancelled NLSQ-style loop leaves at its next iteration.
        let rx = spawn_job::<(), _>(p.clone(), |progress| {
            for i in 0.. {
                progress.iteration(i, 1.0);
                if i == 3 {
                    progress.cancel();
                }
            }
            Ok(())
        });
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(Outcome::Interrupted)
        ));
        let events = p.take_events();
        assert_eq!(events.len(), 4);
        assert_eq!(events[3], Event::Iteration(3, 1.0));
    }

    #[test]
    fn the_bundled_example_loads_and_fits_through_arrays() {
        let config = repo().join("examples/example_laminar.yaml");
        let analysis = analysis_from_file(&config, Overrides::default()).unwrap();
        let data = analysis.load(None, &homodyne::Silent).unwrap();
        let direct = analysis.fit_nlsq(&data, &homodyne::Silent).unwrap();
        let dt = analysis.load_options().unwrap().dt;
        let rebuilt = data_from_arrays(
            data.wavevector_q_list.clone(),
            data.phi_angles_list.clone(),
            data.t1.clone(),
            data.t2.clone(),
            data.c2_exp.clone(),
            dt,
            PathBuf::from("<dict>"),
        )
        .unwrap();
        let via_arrays = analysis.fit_nlsq(&rebuilt, &homodyne::Silent).unwrap();
        assert_eq!(direct.parameters, via_arrays.parameters);
        assert_eq!(direct.chi_squared, via_arrays.chi_squared);
    }
}
