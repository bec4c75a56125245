//! The Python module `homodyne_rs`. Every call goes through the facade crate
//! `homodyne`; long calls run on a worker thread while the calling thread waits with the
//! GIL released, delivers progress events and checks for Ctrl-C (KeyboardInterrupt).

use std::ffi::CString;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use homodyne::config::{AnalysisMode, Format, Loaded, TemplateFilter, TemplateValues};
use homodyne::data::{C2Stack, XpcsData};
use homodyne::{Analysis, CmcOutcome, NlsqResult, Overrides, WarmStartFrom};
use ndarray::{Array1, Array2, Array3};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError,
    PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

use crate::core::{self, ErrorKind, Event, Outcome, Progress};

// ---------------------------------------------------------------------------------------
// errors, helpers, logging

fn to_py_err(e: &homodyne::Error) -> PyErr {
    let msg = e.to_string();
    match core::classify(e) {
        ErrorKind::FileNotFound => PyFileNotFoundError::new_err(msg),
        ErrorKind::Os => PyOSError::new_err(msg),
        ErrorKind::Memory => PyMemoryError::new_err(msg),
        ErrorKind::Value => PyValueError::new_err(msg),
    }
}

fn value_err(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}

static HELPERS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn helpers(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    let module = HELPERS.get_or_try_init(py, || -> PyResult<Py<PyModule>> {
        let code = CString::new(include_str!("helpers.py"))
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(PyModule::from_code(
            py,
            &code,
            c"homodyne_rs/_helpers.py",
            c"homodyne_rs._helpers",
        )?
        .unbind())
    })?;
    Ok(module.bind(py))
}

/// Library log records (tracing, INFO and above) waiting to reach Python's `logging`
/// (logger `homodyne_rs`); flushed by the thread holding the GIL after each call.
static LOG_BUFFER: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
const LOG_BUFFER_MAX: usize = 10_000;

struct LogCapture;

struct MessageVisitor(String);

impl tracing::field::Visit for MessageVisitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogCapture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => 40,
            tracing::Level::WARN => 30,
            tracing::Level::INFO => 20,
            _ => 10,
        };
        let mut visitor = MessageVisitor(String::new());
        event.record(&mut visitor);
        if let Ok(mut buf) = LOG_BUFFER.lock()
            && buf.len() < LOG_BUFFER_MAX
        {
            buf.push((level, visitor.0));
        }
    }
}

fn install_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::LevelFilter};
    let _ = tracing_subscriber::registry()
        .with(LogCapture.with_filter(LevelFilter::INFO))
        .try_init();
}

fn flush_logs(py: Python<'_>) {
    let records = LOG_BUFFER
        .lock()
        .map(|mut b| std::mem::take(&mut *b))
        .unwrap_or_default();
    if records.is_empty() {
        return;
    }
    let Ok(logger) = py
        .import("logging")
        .and_then(|l| l.call_method1("getLogger", ("homodyne_rs",)))
    else {
        return;
    };
    for (level, message) in records {
        let _ = logger.call_method1("log", (level, message));
    }
}

// ---------------------------------------------------------------------------------------
// running a long call

fn event_dict<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match event {
        Event::StageStarted(m) => {
            d.set_item("event", "stage_started")?;
            d.set_item("message", m)?;
        }
        Event::StageFinished(m, s) => {
            d.set_item("event", "stage_finished")?;
            d.set_item("message", m)?;
            d.set_item("seconds", s)?;
        }
        Event::Iteration(i, c) => {
            d.set_item("event", "iteration")?;
            d.set_item("iteration", i)?;
            d.set_item("cost", c)?;
        }
        Event::StepsStarted(l, t) => {
            d.set_item("event", "steps_started")?;
            d.set_item("label", l)?;
            d.set_item("total", t)?;
        }
        Event::CmcStarted {
            shards,
            chains,
            draws_per_chain,
            resumed,
        } => {
            d.set_item("event", "cmc_started")?;
            d.set_item("shards", shards)?;
            d.set_item("chains", chains)?;
            d.set_item("draws_per_chain", draws_per_chain)?;
            d.set_item("resumed", resumed)?;
        }
        Event::ShardFinished { shard, divergences } => {
            d.set_item("event", "shard_finished")?;
            d.set_item("shard", shard)?;
            d.set_item("divergences", divergences)?;
        }
    }
    Ok(d)
}

/// Delivers the observer's events to the Python reporter (callback and/or bar).
struct Poller<'py> {
    reporter: Option<Bound<'py, PyAny>>,
    progress: Arc<Progress>,
    cmc_plan: Option<(usize, u64)>,
    last_draws: u64,
}

impl<'py> Poller<'py> {
    fn poll(&mut self, py: Python<'py>) -> PyResult<()> {
        let events = self.progress.take_events();
        if self.reporter.is_none() {
            return Ok(());
        }
        for event in &events {
            match event {
                Event::CmcStarted {
                    shards,
                    chains,
                    draws_per_chain,
                    ..
                } => {
                    self.cmc_plan = Some((*shards, (*shards * *chains) as u64 * draws_per_chain));
                    self.last_draws = 0;
                }
                // The draws so far first, so a bar ends full.
                Event::StageFinished(..) | Event::ShardFinished { .. } => self.draws(py)?,
                _ => {}
            }
            self.report(event_dict(py, event)?)?;
        }
        self.draws(py)
    }

    fn report(&self, event: Bound<'py, PyDict>) -> PyResult<()> {
        if let Some(r) = &self.reporter {
            r.call1((event,))?;
        }
        Ok(())
    }

    /// A `cmc_progress` event when draws were made since the last one.
    fn draws(&mut self, py: Python<'py>) -> PyResult<()> {
        use std::sync::atomic::Ordering;
        let Some((shards, total)) = self.cmc_plan else {
            return Ok(());
        };
        let draws = self.progress.draws.load(Ordering::Relaxed);
        if draws == self.last_draws {
            return Ok(());
        }
        self.last_draws = draws;
        let d = PyDict::new(py);
        d.set_item("event", "cmc_progress")?;
        d.set_item("draws", draws)?;
        d.set_item("total", total)?;
        d.set_item(
            "divergences",
            self.progress.divergences.load(Ordering::Relaxed),
        )?;
        d.set_item(
            "shards_done",
            self.progress.shards_done.load(Ordering::Relaxed),
        )?;
        d.set_item("shards", shards)?;
        self.report(d)
    }

    fn close(&self) {
        if let Some(r) = &self.reporter {
            let _ = r.call_method0("close");
        }
    }
}

/// Run `job` on a worker thread; wait with the GIL released, deliver progress every
/// 0.1 s, and stop the job on Ctrl-C (KeyboardInterrupt) or an exception in `callback`.
fn run_job<T, F>(
    py: Python<'_>,
    show: bool,
    callback: Option<Bound<'_, PyAny>>,
    job: F,
) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Progress) -> homodyne::Result<T> + Send + 'static,
{
    let progress = Arc::new(Progress::default());
    let reporter = if show || callback.is_some() {
        let cb = callback.unwrap_or_else(|| py.None().into_bound(py));
        Some(helpers(py)?.getattr("Reporter")?.call1((show, cb))?)
    } else {
        None
    };
    let mut poller = Poller {
        reporter,
        progress: progress.clone(),
        cmc_plan: None,
        last_draws: 0,
    };
    let mut rx = core::spawn_job(progress.clone(), job);
    let result = loop {
        let (received, back) = py.detach(move || {
            let r = rx.recv_timeout(Duration::from_millis(100));
            (r, rx)
        });
        rx = back;
        flush_logs(py);
        let polled = poller.poll(py);
        match received {
            Ok(Outcome::Done(r)) => break polled.and(r.map_err(|e| to_py_err(&e))),
            Ok(Outcome::Interrupted) => {
                break polled.and(Err(PyKeyboardInterrupt::new_err("interrupted")));
            }
            Ok(Outcome::Panicked(m)) => {
                break Err(PyRuntimeError::new_err(format!(
                    "internal error in homodyne (please report): {m}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = polled.and_then(|_| py.check_signals()) {
                    progress.cancel();
                    // Let the worker reach its next stop point (finished CMC shards are
                    // kept), but never hang the notebook on it.
                    let _ = py.detach(move || rx.recv_timeout(Duration::from_secs(3)));
                    flush_logs(py);
                    poller.close();
                    return Err(e);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                break Err(PyRuntimeError::new_err(
                    "internal error: the worker thread ended without a result",
                ));
            }
        }
    };
    flush_logs(py);
    poller.close();
    result
}

// ---------------------------------------------------------------------------------------
// configuration

/// A configuration: a YAML/JSON file, or a dict with the same structure (relative data
/// paths resolve against the working directory). Loading reports every problem of
/// the file at once (ValueError); `validate()` gives the report of
/// `homodyne-config --validate`.
#[pyclass(name = "ConfigManager", module = "homodyne_rs", frozen)]
struct PyConfig {
    loaded: Loaded,
    path: PathBuf,
    /// JSON text when built from a dict.
    text: Option<String>,
}

fn dict_to_json(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    helpers(obj.py())?
        .getattr("json_dumps")?
        .call1((obj,))?
        .extract::<String>()
}

fn json_to_py<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    helpers(py)?.getattr("json_loads")?.call1((text,))
}

fn path_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<PathBuf>> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let os = obj.py().import("os")?.call_method1("fspath", (obj,))?;
        return Ok(Some(PathBuf::from(os.extract::<String>()?)));
    }
    Ok(None)
}

impl PyConfig {
    fn from_path(path: PathBuf) -> PyResult<Self> {
        if !path.exists() {
            return Err(PyFileNotFoundError::new_err(format!(
                "configuration file not found: {}",
                path.display()
            )));
        }
        let loaded =
            homodyne::config::load_file(&path).map_err(|e| to_py_err(&homodyne::Error::from(e)))?;
        Ok(PyConfig {
            loaded,
            path,
            text: None,
        })
    }

    fn from_dict(dict: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = dict_to_json(dict)?;
        let loaded = homodyne::config::load_str(&text, Format::Json, core::DICT_CONFIG_NAME)
            .map_err(|e| to_py_err(&homodyne::Error::from(e)))?;
        Ok(PyConfig {
            loaded,
            path: PathBuf::from(core::DICT_CONFIG_NAME),
            text: Some(text),
        })
    }

    fn analysis(&self, overrides: Overrides) -> homodyne::Result<Analysis> {
        if self.text.is_none() {
            core::analysis_from_file(&self.path, overrides)
        } else {
            core::analysis_from_loaded(self.loaded.clone(), &self.path, overrides)
        }
    }
}

/// The analysis a `config` argument describes: a path, a dict, or a ConfigManager.
fn analysis_of(config: &Bound<'_, PyAny>, overrides: Overrides) -> PyResult<Analysis> {
    let r = if let Ok(c) = config.cast::<PyConfig>() {
        c.get().analysis(overrides)
    } else if let Some(path) = path_arg(config)? {
        if !path.exists() {
            return Err(PyFileNotFoundError::new_err(format!(
                "configuration file not found: {}",
                path.display()
            )));
        }
        core::analysis_from_file(&path, overrides)
    } else if config.is_instance_of::<PyDict>() {
        let text = dict_to_json(config)?;
        core::analysis_from_text(&text, Format::Json, core::DICT_CONFIG_NAME, overrides)
    } else {
        return Err(PyTypeError::new_err(format!(
            "config must be a path, a dict or a ConfigManager, not {}",
            config.get_type().name()?
        )));
    };
    flush_logs(config.py());
    r.map_err(|e| to_py_err(&e))
}

fn report_dict<'py>(
    py: Python<'py>,
    text: String,
    report: &homodyne::config::ValidationReport,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("valid", report.is_valid())?;
    let strings =
        |v: &[homodyne::config::Issue]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    d.set_item("errors", strings(&report.errors))?;
    d.set_item("warnings", strings(&report.warnings))?;
    d.set_item("info", strings(&report.info))?;
    d.set_item("report", text)?;
    Ok(d)
}

#[pymethods]
impl PyConfig {
    #[new]
    #[pyo3(signature = (config_path=None, config_dict=None))]
    fn new(
        config_path: Option<&Bound<'_, PyAny>>,
        config_dict: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        match (config_path, config_dict) {
            (Some(p), None) => match path_arg(p)? {
                Some(path) => Self::from_path(path),
                None if p.is_instance_of::<PyDict>() => Self::from_dict(p),
                None => Err(PyTypeError::new_err(
                    "config_path must be a str or os.PathLike",
                )),
            },
            (None, Some(d)) => Self::from_dict(d),
            (Some(_), Some(_)) => Err(value_err("give config_path or config_dict, not both")),
            (None, None) => Err(value_err("give config_path or config_dict")),
        }
        .inspect(|_| Python::attach(flush_logs))
    }

    /// A configuration from the built-in template of `mode` (`static` or
    /// `laminar_flow`): the reference's generated default.
    #[staticmethod]
    #[pyo3(signature = (mode="laminar_flow"))]
    fn from_template(mode: &str) -> PyResult<Self> {
        let mode: AnalysisMode = mode.parse().map_err(value_err)?;
        let text = homodyne::config::template(mode);
        let name = format!("<{mode} template>");
        let loaded = homodyne::config::load_str(text, Format::Yaml, &name)
            .map_err(|e| to_py_err(&homodyne::Error::from(e)))?;
        Ok(PyConfig {
            loaded,
            path: PathBuf::from(name),
            text: Some(text.to_string()),
        })
    }

    /// The normalised configuration as a dict.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.loaded.tree.to_json())
    }

    /// `static` or `laminar_flow`.
    #[getter]
    fn analysis_mode(&self) -> &'static str {
        self.loaded.config.mode().as_str()
    }

    /// Where the configuration was read from (`<config_dict>` for a dict).
    #[getter]
    fn config_path(&self) -> String {
        self.path.display().to_string()
    }

    /// Canonical names of the physical parameters.
    #[getter]
    fn parameter_names(&self) -> Vec<&'static str> {
        self.loaded.config.mode().physical_names().to_vec()
    }

    /// Initial physical values (bound midpoints for `values: null`) by name.
    #[getter]
    fn initial_parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let names = self.loaded.config.mode().physical_names();
        for (n, v) in names.iter().zip(self.loaded.config.initial_physical()) {
            d.set_item(*n, v)?;
        }
        Ok(d)
    }

    /// Validate: a dict with `valid`, `errors`, `warnings`, `info` and `report` (the
    /// text `homodyne-config --validate` prints).
    fn validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (text, report) = match &self.text {
            None => core::validation_text(&self.path),
            Some(t) => core::validation_text_str(t, Format::Yaml, &self.path.to_string_lossy()),
        };
        report_dict(py, text, &report)
    }

    fn __repr__(&self) -> String {
        format!(
            "ConfigManager({}, analysis_mode={})",
            self.path.display(),
            self.loaded.config.mode()
        )
    }
}

/// Validate a configuration file (or dict): the report of `homodyne-config --validate`
/// as a dict (`valid`, `errors`, `warnings`, `info`, `report`). Never raises for an
/// invalid configuration; `print_report=True` prints the text.
#[pyfunction]
#[pyo3(signature = (config, *, print_report=false))]
fn validate_config<'py>(
    py: Python<'py>,
    config: &Bound<'py, PyAny>,
    print_report: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (text, report) = if let Some(path) = path_arg(config)? {
        core::validation_text(&path)
    } else if config.is_instance_of::<PyDict>() {
        let json = dict_to_json(config)?;
        core::validation_text_str(&json, Format::Json, core::DICT_CONFIG_NAME)
    } else if let Ok(c) = config.cast::<PyConfig>() {
        return c.get().validate(py);
    } else {
        return Err(PyTypeError::new_err(
            "config must be a path, a dict or a ConfigManager",
        ));
    };
    flush_logs(py);
    if print_report {
        py.import("builtins")?
            .call_method1("print", (text.trim_end(),))?;
    }
    report_dict(py, text, &report)
}

/// The commented configuration template of `mode` (`static` or `laminar_flow`) as
/// text; `filter`: `full`, `minimal`, `nlsq_only`, `cmc_only` (as
/// `homodyne-config --mode M --filter F`).
#[pyfunction]
#[pyo3(signature = (mode="laminar_flow", filter="full"))]
fn config_template(mode: &str, filter: &str) -> PyResult<String> {
    let mode: AnalysisMode = mode.parse().map_err(value_err)?;
    let filter: TemplateFilter = filter.parse().map_err(value_err)?;
    homodyne::config::render(mode, filter, &TemplateValues::default())
        .map_err(|e| to_py_err(&homodyne::Error::from(e)))
}

// ---------------------------------------------------------------------------------------
// data

fn data_dict<'py>(py: Python<'py>, data: XpcsData) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    // Moved into numpy, not copied.
    d.set_item("wavevector_q_list", data.wavevector_q_list.into_pyarray(py))?;
    d.set_item("phi_angles_list", data.phi_angles_list.into_pyarray(py))?;
    d.set_item("t1", data.t1.into_pyarray(py))?;
    d.set_item("t2", data.t2.into_pyarray(py))?;
    match data.c2_exp {
        C2Stack::F64(a) => d.set_item("c2_exp", a.into_pyarray(py))?,
        C2Stack::F32(a) => d.set_item("c2_exp", a.into_pyarray(py))?,
    }
    Ok(d)
}

fn as_f64_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    obj.py()
        .import("numpy")?
        .call_method1("asarray", (obj, "float64"))
}

fn vec1(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Array1<f64>> {
    let arr = as_f64_array(obj)?;
    if let Ok(a) = arr.extract::<PyReadonlyArray1<f64>>() {
        return Ok(a.as_array().to_owned());
    }
    if let Ok(a) = arr.extract::<PyReadonlyArray2<f64>>() {
        // A meshgrid (the reference's old 2-D form): its first column / row.
        let a = a.as_array();
        return Ok(if name == "t2" {
            a.row(0).to_owned()
        } else {
            a.column(0).to_owned()
        });
    }
    if let Ok(v) = arr.extract::<f64>() {
        return Ok(Array1::from(vec![v]));
    }
    Err(value_err(format!("data['{name}'] must be a 1-D array")))
}

fn item<'py>(data: &Bound<'py, PyAny>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    data.get_item(key).map_err(|_| {
        PyValueError::new_err(format!(
            "data has no '{key}': pass the dict returned by load_xpcs_data (keys \
             wavevector_q_list, phi_angles_list, t1, t2, c2_exp)"
        ))
    })
}

/// The library's data set from the reference's dict: c2_exp is copied once (float64
/// or float32 kept as they are; other types converted to float64).
fn xpcs_from_dict(data: &Bound<'_, PyAny>, dt: f64) -> PyResult<XpcsData> {
    if !data.is_instance_of::<PyDict>() && !data.hasattr("__getitem__")? {
        return Err(PyTypeError::new_err(
            "data must be the dict returned by load_xpcs_data",
        ));
    }
    let c2 = item(data, "c2_exp")?;
    let c2 = if let Ok(a) = c2.extract::<PyReadonlyArray3<f64>>() {
        C2Stack::F64(a.as_array().to_owned())
    } else if let Ok(a) = c2.extract::<PyReadonlyArray3<f32>>() {
        C2Stack::F32(a.as_array().to_owned())
    } else {
        let arr = as_f64_array(&c2)?;
        match arr.extract::<PyReadonlyArray3<f64>>() {
            Ok(a) => C2Stack::F64(a.as_array().to_owned()),
            Err(_) => {
                let ndim = arr
                    .getattr("ndim")
                    .and_then(|n| n.extract::<usize>())
                    .unwrap_or(0);
                return Err(value_err(format!(
                    "data['c2_exp'] must be a 3-D array (n_phi, n_t, n_t), got {ndim} dimension(s)"
                )));
            }
        }
    };
    let q = vec1(&item(data, "wavevector_q_list")?, "wavevector_q_list")?;
    let phi = vec1(&item(data, "phi_angles_list")?, "phi_angles_list")?;
    let t1 = vec1(&item(data, "t1")?, "t1")?;
    let t2 = vec1(&item(data, "t2")?, "t2")?;
    core::data_from_arrays(q, phi, t1, t2, c2, dt, PathBuf::from("<data dict>")).map_err(value_err)
}

/// The frame time of `analysis`'s data (the loader's dt).
fn dt_of(analysis: &Analysis) -> f64 {
    analysis
        .load_options()
        .map(|o| o.dt)
        .unwrap_or_else(|_| analysis.loaded().config.dt())
}

/// Load the experimental data a configuration names (HDF5 or NPZ; frames, q and angle
/// selection, diagonal correction, cache), like the reference's `load_xpcs_data`.
///
/// Returns a dict of numpy arrays: `wavevector_q_list` (n_q,), `phi_angles_list`
/// (n_phi,), `t1`, `t2` (n_t,) from 0, `c2_exp` (n_phi, n_t, n_t) (float64; float32 for
/// stacks of at least 16 M values read from float32 files).
#[pyfunction]
#[pyo3(signature = (config_path=None, config_dict=None, *, data_file=None, progress=false, callback=None))]
fn load_xpcs_data<'py>(
    py: Python<'py>,
    config_path: Option<&Bound<'py, PyAny>>,
    config_dict: Option<&Bound<'py, PyAny>>,
    data_file: Option<&Bound<'py, PyAny>>,
    progress: bool,
    callback: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let config = match (config_path, config_dict) {
        (Some(p), None) => p,
        (None, Some(d)) => d,
        (Some(_), Some(_)) => return Err(value_err("give config_path or config_dict, not both")),
        (None, None) => return Err(value_err("give config_path or config_dict")),
    };
    let overrides =
        Overrides {
            data_file: match data_file {
                Some(f) => Some(path_arg(f)?.ok_or_else(|| {
                    PyTypeError::new_err("data_file must be a str or os.PathLike")
                })?),
                None => None,
            },
            ..Overrides::default()
        };
    let analysis = analysis_of(config, overrides)?;
    let data = run_job(py, progress, callback, move |obs| analysis.load(None, obs))?;
    data_dict(py, data)
}

/// Test hook for the copy count: dict -> library data set (one copy of c2) -> dict
/// (moved back, no copy).
#[pyfunction]
#[pyo3(signature = (data, dt=1.0))]
fn _roundtrip<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    dt: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let x = xpcs_from_dict(data, dt)?;
    data_dict(py, x)
}

// ---------------------------------------------------------------------------------------
// NLSQ

fn overrides_from_kwargs(
    kwargs: Option<&Bound<'_, PyDict>>,
    allowed_cmc: bool,
) -> PyResult<Overrides> {
    let mut o = Overrides::default();
    let Some(kwargs) = kwargs else {
        return Ok(o);
    };
    for (k, v) in kwargs.iter() {
        let key: String = k.extract()?;
        match key.as_str() {
            "max_iterations" => o.max_iterations = Some(v.extract()?),
            "tolerance" => o.tolerance = Some(v.extract()?),
            "analysis_mode" => {
                let m: String = v.extract()?;
                o.mode = Some(m.parse().map_err(value_err)?);
            }
            "data_file" => o.data_file = path_arg(&v)?,
            "n_samples" | "num_samples" if allowed_cmc => o.n_samples = Some(v.extract()?),
            "n_warmup" | "num_warmup" if allowed_cmc => o.n_warmup = Some(v.extract()?),
            "n_chains" | "num_chains" if allowed_cmc => o.n_chains = Some(v.extract()?),
            "num_shards" | "cmc_num_shards" if allowed_cmc => o.cmc_num_shards = Some(v.extract()?),
            "backend" | "cmc_backend" if allowed_cmc => o.cmc_backend = Some(v.extract()?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument '{other}' (accepted: max_iterations, \
                     tolerance, analysis_mode, data_file{})",
                    if allowed_cmc {
                        ", n_samples, n_warmup, n_chains, num_shards, backend"
                    } else {
                        ""
                    }
                )));
            }
        }
    }
    Ok(o)
}

/// `initial_params` (dict name -> value, or a sequence of 3/7 physical values, or the
/// reference's compact [contrast, offset, *physical]) as start-value overrides.
fn initial_overrides(
    initial: Option<&Bound<'_, PyAny>>,
    overrides: &mut Overrides,
) -> PyResult<()> {
    let Some(initial) = initial else {
        return Ok(());
    };
    if let Ok(d) = initial.cast::<PyDict>() {
        for (k, v) in d.iter() {
            let name: String = k.extract()?;
            let canonical = homodyne::model::params::canonical_name(&name);
            if canonical == "contrast" || canonical == "offset" {
                return Err(value_err(format!(
                    "initial_params['{name}']: contrast and offset start from the data's \
                     estimate or initial_parameters.per_angle_scaling in the configuration"
                )));
            }
            if homodyne::model::params::physical_index(canonical).is_none() {
                return Err(value_err(format!(
                    "initial_params: unknown parameter '{name}' (physical parameters: D0, \
                     alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0)"
                )));
            }
            overrides
                .initial
                .push((canonical.to_string(), v.extract()?));
        }
        return Ok(());
    }
    let values: Vec<f64> = as_f64_array(initial)?
        .call_method0("ravel")?
        .call_method0("tolist")?
        .extract()?;
    let physical: &[f64] = match values.len() {
        3 | 7 => &values,
        5 | 9 => {
            tracing::warn!(
                "initial_params: contrast and offset (the first two values) are not used as \
                 start values; they are estimated from the data"
            );
            &values[2..]
        }
        n => {
            return Err(value_err(format!(
                "initial_params has {n} values: expected a dict name -> value, 3/7 physical \
                 values, or [contrast, offset, *physical] (5/9)"
            )));
        }
    };
    let mode = AnalysisMode::from_n_physical(physical.len()).unwrap_or(AnalysisMode::LaminarFlow);
    for (n, v) in mode.physical_names().iter().zip(physical) {
        overrides.initial.push((n.to_string(), *v));
    }
    Ok(())
}

fn pyarr1<'py>(py: Python<'py>, v: &[f64]) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_slice(py, v)
}

fn pyarr2<'py>(py: Python<'py>, rows: &[Vec<f64>]) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = rows.len();
    let m = rows.first().map_or(0, Vec::len);
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let a =
        Array2::from_shape_vec((n, m), flat).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(a.into_pyarray(py))
}

/// The result of an NLSQ fit (`fit_nlsq`).
///
/// `parameters` / `uncertainties`: dicts name -> value with the mean contrast and
/// offset and every physical parameter (the values of the CLI's
/// `nlsq/parameters.json`); `per_angle`: contrast and offset of each angle;
/// `covariance`: numpy, in the per-angle layout `parameter_names`
/// (`contrast_0.., offset_0.., physical..`, the reference's expanded vector
/// `parameter_values`).
#[pyclass(name = "NlsqResult", module = "homodyne_rs", frozen)]
struct PyNlsqResult {
    inner: NlsqResult,
    phi: Vec<f64>,
}

impl PyNlsqResult {
    fn named(&self, uncertainty: bool) -> Vec<(String, f64)> {
        let r = &self.inner;
        let pick = |e: homodyne::Estimate| if uncertainty { e.uncertainty } else { e.value };
        let mut out = vec![
            ("contrast".to_string(), pick(r.contrast_mean())),
            ("offset".to_string(), pick(r.offset_mean())),
        ];
        for (k, name) in r.physical_names().iter().enumerate() {
            out.push((
                name.to_string(),
                if uncertainty {
                    r.physical_uncertainty[k]
                } else {
                    r.physical[k]
                },
            ));
        }
        out
    }
}

fn pairs_dict<'py>(py: Python<'py>, pairs: &[(String, f64)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in pairs {
        d.set_item(k, v)?;
    }
    Ok(d)
}

#[pymethods]
impl PyNlsqResult {
    /// Fitted values by name: `contrast`, `offset` (means over the angles) and the
    /// physical parameters.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        pairs_dict(py, &self.named(false))
    }
    /// Standard uncertainties by name (NaN: undetermined; 0: held fixed).
    #[getter]
    fn uncertainties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        pairs_dict(py, &self.named(true))
    }
    /// Names of the per-angle layout: contrast_0.., offset_0.., physical...
    #[getter]
    fn parameter_names(&self) -> Vec<String> {
        self.inner.parameter_names.clone()
    }
    /// Values in the per-angle layout (the reference's `OptimizationResult.parameters`).
    #[getter]
    fn parameter_values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.inner.parameters)
    }
    /// Uncertainties in the per-angle layout.
    #[getter]
    fn parameter_uncertainties<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.inner.uncertainties)
    }
    /// Covariance in the per-angle layout (`parameter_names`).
    #[getter]
    fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        pyarr2(py, &self.inner.covariance)
    }
    /// The optimiser's own vector (`fitted_names`) covariance.
    #[getter]
    fn fitted_covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        pyarr2(py, &self.inner.fitted_covariance)
    }
    /// Names of the optimiser's vector (depends on the per-angle mode).
    #[getter]
    fn fitted_names(&self) -> Vec<String> {
        self.inner.fitted_names.clone()
    }
    /// Per-angle arrays: `phi_angles`, `contrast`, `contrast_uncertainty`, `offset`,
    /// `offset_uncertainty`.
    #[getter]
    fn per_angle<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.inner;
        let d = PyDict::new(py);
        d.set_item("phi_angles", pyarr1(py, &self.phi))?;
        d.set_item("contrast", pyarr1(py, &r.contrast))?;
        d.set_item("contrast_uncertainty", pyarr1(py, &r.contrast_uncertainty))?;
        d.set_item("offset", pyarr1(py, &r.offset))?;
        d.set_item("offset_uncertainty", pyarr1(py, &r.offset_uncertainty))?;
        Ok(d)
    }
    /// Sum of squared residuals.
    #[getter]
    fn chi_squared(&self) -> f64 {
        self.inner.chi_squared
    }
    /// chi^2 / (points - free parameters).
    #[getter]
    fn reduced_chi_squared(&self) -> f64 {
        self.inner.reduced_chi_squared
    }
    /// `good`, `marginal` or `poor`.
    #[getter]
    fn quality_flag(&self) -> &'static str {
        self.inner.quality_flag.as_str()
    }
    /// `converged`, `converged_with_recovery`, `max_iter`, `failed`, ...
    #[getter]
    fn convergence_status(&self) -> &'static str {
        self.inner.convergence_status.as_str()
    }
    /// True when the status is `converged` (the reference's `success`).
    #[getter]
    fn success(&self) -> bool {
        self.inner.success()
    }
    /// The solver's termination message.
    #[getter]
    fn message(&self) -> String {
        self.inner.message.clone()
    }
    /// Trust-region iterations.
    #[getter]
    fn iterations(&self) -> usize {
        self.inner.iterations
    }
    /// Seconds.
    #[getter]
    fn execution_time(&self) -> f64 {
        self.inner.execution_time
    }
    /// `static` or `laminar_flow`.
    #[getter]
    fn analysis_mode(&self) -> &'static str {
        self.inner.analysis_mode.as_str()
    }
    /// The per-angle mode the fit settled on.
    #[getter]
    fn per_angle_mode(&self) -> String {
        self.inner.per_angle_mode.as_str().to_string()
    }
    /// Points in the objective (each measurement once).
    #[getter]
    fn n_points(&self) -> usize {
        self.inner.n_points
    }
    /// Points minus free parameters.
    #[getter]
    fn degrees_of_freedom(&self) -> usize {
        self.inner.degrees_of_freedom
    }
    /// Profile-likelihood intervals of the profiled physical parameters, by name:
    /// `{"value", "covariance_sigma", "quadratic", "interval_68": (lo, hi),
    /// "interval_99_7": (lo, hi)}` (as `parameters.json` writes them; empty when
    /// `optimization.nlsq.profile_intervals` is off).
    #[getter]
    fn profile_intervals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for p in &self.inner.profile {
            let d = PyDict::new(py);
            d.set_item("value", p.value)?;
            d.set_item("covariance_sigma", p.covariance_sigma)?;
            d.set_item("quadratic", p.quadratic)?;
            d.set_item("interval_68", (p.one_sigma.lower, p.one_sigma.upper))?;
            d.set_item("interval_99_7", (p.three_sigma.lower, p.three_sigma.upper))?;
            out.set_item(&p.name, d)?;
        }
        Ok(out)
    }
    /// Why this fit is doubtful (empty for a sound fit).
    #[getter]
    fn doubts(&self) -> Vec<String> {
        self.inner.doubts()
    }
    /// Non-fatal remarks.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }
    /// Recovery attempts made.
    #[getter]
    fn recovery_actions(&self) -> Vec<String> {
        self.inner.recovery_actions.clone()
    }

    /// Everything as a dict: the attributes above (numpy arrays for arrays) and
    /// `details`, the full record (what the result files are written from).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let d = PyDict::new(py);
        for key in [
            "parameters",
            "uncertainties",
            "parameter_names",
            "parameter_values",
            "parameter_uncertainties",
            "covariance",
            "per_angle",
            "chi_squared",
            "reduced_chi_squared",
            "quality_flag",
            "convergence_status",
            "success",
            "message",
            "iterations",
            "execution_time",
            "analysis_mode",
            "per_angle_mode",
            "n_points",
            "degrees_of_freedom",
            "doubts",
            "warnings",
            "recovery_actions",
        ] {
            d.set_item(key, slf.getattr(key)?)?;
        }
        let details = serde_json::to_value(&slf.get().inner)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        d.set_item("details", json_to_py(py, &details)?)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        let mut s = format!(
            "NlsqResult({}, {}; chi2 = {:.6e}, reduced chi2 = {:.4} [{}], {} iterations)\n",
            r.analysis_mode.as_str(),
            r.convergence_status.as_str(),
            r.chi_squared,
            r.reduced_chi_squared,
            r.quality_flag.as_str(),
            r.iterations
        );
        for ((name, v), (_, u)) in self.named(false).iter().zip(self.named(true)) {
            s.push_str(&format!("  {name:<20} {v:>14.6e} ± {u:.3e}\n"));
        }
        s
    }
}

/// Fit the data by bounded nonlinear least squares (the CLI's `--method nlsq`).
///
/// `data`: the dict of `load_xpcs_data`; `config`: a path, dict or ConfigManager;
/// `initial_params`: start values (dict name -> value, or 3/7 physical values);
/// keyword overrides: `max_iterations`, `tolerance`, `analysis_mode`. With
/// `output_dir` the CLI's result files are written there (`nlsq/...`).
/// `progress=True` shows a bar; `callback(event: dict)` receives progress events.
#[pyfunction]
#[pyo3(signature = (data, config, initial_params=None, *, output_dir=None, progress=false, callback=None, **overrides))]
#[allow(clippy::too_many_arguments)]
fn fit_nlsq(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    config: &Bound<'_, PyAny>,
    initial_params: Option<&Bound<'_, PyAny>>,
    output_dir: Option<&Bound<'_, PyAny>>,
    progress: bool,
    callback: Option<Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyNlsqResult> {
    let mut o = overrides_from_kwargs(overrides, false)?;
    initial_overrides(initial_params, &mut o)?;
    let analysis = analysis_of(config, o)?;
    let output = match output_dir {
        Some(p) => {
            Some(path_arg(p)?.ok_or_else(|| PyTypeError::new_err("output_dir must be a path"))?)
        }
        None => None,
    };
    let xpcs = xpcs_from_dict(data, dt_of(&analysis))?;
    let phi = xpcs.phi_angles_list.to_vec();
    let inner = run_job(py, progress, callback, move |obs| {
        let fit = analysis.fit_nlsq(&xpcs, obs)?;
        if let Some(dir) = output {
            analysis.write_nlsq(&xpcs, &fit, &analysis.output_options(dir), obs)?;
        }
        Ok(fit)
    })?;
    Ok(PyNlsqResult { inner, phi })
}

// ---------------------------------------------------------------------------------------
// CMC

/// The posterior of a CMC run (`fit_cmc`).
///
/// `posterior_samples`: numpy (chain, draw, param) of the sampled vector named
/// `param_names`; `samples`: dict name -> (chain, draw) of the model's quantities
/// (physical parameters, `contrast_i`/`offset_i` per angle); `r_hat`, `ess_bulk`,
/// `ess_tail`: per parameter (numpy, in `param_names` order); `diagnostics`: a dict;
/// `to_inference_data()`: an ArviZ InferenceData.
#[pyclass(name = "CmcResult", module = "homodyne_rs", frozen)]
struct PyCmcResult {
    outcome: CmcOutcome,
}

impl PyCmcResult {
    fn summary_field(&self, f: impl Fn(&homodyne::mcmc::Summary) -> f64) -> Vec<f64> {
        self.outcome.result.summaries.iter().map(f).collect()
    }
}

#[pymethods]
impl PyCmcResult {
    /// Names of the sampled parameters.
    #[getter]
    fn param_names(&self) -> Vec<String> {
        self.outcome.result.names.clone()
    }
    /// Draws (chain, draw, param), warm-up excluded.
    #[getter]
    fn posterior_samples<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray3<f64>> {
        self.outcome.result.draws.clone().into_pyarray(py)
    }
    /// Draws of the model's quantities by name, each (chain, draw): physical
    /// parameters (fixed ones constant) and contrast_i / offset_i per angle.
    #[getter]
    fn samples<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (phys, con, off) = self.outcome.result.decoded();
        let d = PyDict::new(py);
        let mode = self.outcome.result.layout.mode;
        for (k, name) in mode.physical_names().iter().enumerate() {
            d.set_item(
                *name,
                phys.index_axis(ndarray::Axis(2), k)
                    .to_owned()
                    .into_pyarray(py),
            )?;
        }
        for a in 0..con.dim().2 {
            d.set_item(
                format!("contrast_{a}"),
                con.index_axis(ndarray::Axis(2), a)
                    .to_owned()
                    .into_pyarray(py),
            )?;
            d.set_item(
                format!("offset_{a}"),
                off.index_axis(ndarray::Axis(2), a)
                    .to_owned()
                    .into_pyarray(py),
            )?;
        }
        Ok(d)
    }
    /// Posterior means by sampled name.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.outcome.result;
        let pairs: Vec<(String, f64)> = r.names.iter().cloned().zip(r.means()).collect();
        pairs_dict(py, &pairs)
    }
    /// Posterior standard deviations by sampled name.
    #[getter]
    fn uncertainties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.outcome.result;
        let pairs: Vec<(String, f64)> = r.names.iter().cloned().zip(r.sds()).collect();
        pairs_dict(py, &pairs)
    }
    /// Posterior covariance of the sampled vector (numpy).
    #[getter]
    fn covariance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let d = self.outcome.result.names.len();
        let a = Array2::from_shape_vec((d, d), self.outcome.result.covariance())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(a.into_pyarray(py))
    }
    /// Rank-normalised split R-hat per parameter.
    #[getter]
    fn r_hat<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.summary_field(|s| s.rhat))
    }
    /// Bulk effective sample size per parameter.
    #[getter]
    fn ess_bulk<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.summary_field(|s| s.ess_bulk))
    }
    /// Tail effective sample size per parameter.
    #[getter]
    fn ess_tail<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.summary_field(|s| s.ess_tail))
    }
    /// Divergent kept draws.
    #[getter]
    fn divergences(&self) -> usize {
        self.outcome.result.divergences
    }
    /// `good`, `acceptable` or `poor`.
    #[getter]
    fn quality_flag(&self) -> &'static str {
        self.outcome.result.quality_flag()
    }
    /// `converged` (every R-hat < 1.1) or `not_converged`.
    #[getter]
    fn convergence_status(&self) -> &'static str {
        if self.outcome.result.converged() {
            "converged"
        } else {
            "not_converged"
        }
    }
    /// Chains per shard.
    #[getter]
    fn n_chains(&self) -> usize {
        self.outcome.result.nuts.num_chains
    }
    /// Kept draws per chain.
    #[getter]
    fn n_samples(&self) -> u64 {
        self.outcome.result.nuts.num_samples
    }
    /// Warm-up draws per chain.
    #[getter]
    fn n_warmup(&self) -> u64 {
        self.outcome.result.nuts.num_warmup
    }
    /// Shards.
    #[getter]
    fn num_shards(&self) -> usize {
        self.outcome.result.num_shards
    }
    /// `static` or `laminar_flow`.
    #[getter]
    fn analysis_mode(&self) -> &'static str {
        self.outcome.result.layout.mode.as_str()
    }
    /// The noise level of each angle in the likelihood.
    #[getter]
    fn sigma<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        pyarr1(py, &self.outcome.sigma)
    }
    /// Sampler statistics, each (chain, draw): diverging, step_size, tree_depth,
    /// n_steps, lp, energy, acceptance_rate.
    #[getter]
    fn sample_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = &self.outcome.result.sample_stats;
        let d = PyDict::new(py);
        d.set_item("diverging", s.diverging.clone().into_pyarray(py))?;
        d.set_item("step_size", s.step_size.clone().into_pyarray(py))?;
        d.set_item("tree_depth", s.tree_depth.clone().into_pyarray(py))?;
        d.set_item("n_steps", s.n_steps.clone().into_pyarray(py))?;
        d.set_item("lp", s.lp.clone().into_pyarray(py))?;
        d.set_item("energy", s.energy.clone().into_pyarray(py))?;
        d.set_item(
            "acceptance_rate",
            s.acceptance_rate.clone().into_pyarray(py),
        )?;
        Ok(d)
    }
    /// Diagnostics: per-parameter dicts (`r_hat`, `ess_bulk`, `ess_tail`, `mcse_mean`,
    /// `mean`, `sd`, `q05`, `q95`) and the run's figures.
    #[getter]
    fn diagnostics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.outcome.result;
        let d = PyDict::new(py);
        type Field = fn(&homodyne::mcmc::Summary) -> f64;
        let fields: [(&str, Field); 8] = [
            ("r_hat", |s| s.rhat),
            ("ess_bulk", |s| s.ess_bulk),
            ("ess_tail", |s| s.ess_tail),
            ("mcse_mean", |s| s.mcse_mean),
            ("mean", |s| s.mean),
            ("sd", |s| s.sd),
            ("q05", |s| s.q05),
            ("q95", |s| s.q95),
        ];
        for (key, f) in fields {
            let per = PyDict::new(py);
            for (name, s) in r.names.iter().zip(&r.summaries) {
                per.set_item(name, f(s))?;
            }
            d.set_item(key, per)?;
        }
        d.set_item("max_r_hat", r.max_rhat())?;
        d.set_item("min_ess_bulk", r.min_ess_bulk())?;
        d.set_item("divergences", r.divergences)?;
        d.set_item("divergence_rate", r.divergence_rate())?;
        d.set_item("ebfmi", r.ebfmi.clone())?;
        d.set_item("quality_flag", r.quality_flag())?;
        d.set_item("quality_reasons", r.quality_reasons())?;
        d.set_item("num_shards", r.num_shards)?;
        d.set_item("combination", r.combination.clone())?;
        d.set_item("warm_start", r.warm_start.clone())?;
        d.set_item("gradient_evaluations", r.gradient_evaluations)?;
        d.set_item("seconds", r.seconds)?;
        d.set_item("warnings", r.warnings.clone())?;
        d.set_item(
            "settings",
            json_to_py(py, &self.outcome.settings.to_json())?,
        )?;
        Ok(d)
    }
    /// The CLI's summary table.
    fn summary(&self) -> String {
        self.outcome.result.summary_table()
    }
    /// An ArviZ InferenceData (`posterior`: the sampled parameters, `sample_stats`);
    /// ImportError when ArviZ is not installed.
    fn to_inference_data<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let r = &this.outcome.result;
        let posterior = PyDict::new(py);
        for (k, name) in r.names.iter().enumerate() {
            posterior.set_item(
                name,
                r.draws
                    .index_axis(ndarray::Axis(2), k)
                    .to_owned()
                    .into_pyarray(py),
            )?;
        }
        let stats = slf.getattr("sample_stats")?;
        let attrs = PyDict::new(py);
        attrs.set_item("inference_library", "homodyne_rs (nuts-rs)")?;
        attrs.set_item("analysis_mode", r.layout.mode.as_str())?;
        attrs.set_item("num_shards", r.num_shards)?;
        helpers(py)?
            .getattr("to_inference_data")?
            .call1((posterior, stats, attrs))
    }
    fn __repr__(&self) -> String {
        self.outcome.result.summary_table()
    }
}

/// Sample the posterior with NUTS on shards (the CLI's `--method cmc`).
///
/// `nlsq_result`: the warm start — an NlsqResult of the same data, a path to an
/// earlier run's output folder (or its `parameters.json`), or None (chains start at
/// the configured initial values, as the reference's `fit_mcmc_jax` without
/// `nlsq_result`). `n_samples`, `n_warmup`, `n_chains`, `num_shards` override the
/// configuration. With `output_dir` finished shards are checkpointed there (a rerun
/// resumes) and the CLI's `cmc/` result files are written.
#[pyfunction]
#[pyo3(signature = (data, config, nlsq_result=None, *, n_samples=None, n_warmup=None, n_chains=None, num_shards=None, output_dir=None, progress=false, callback=None, **overrides))]
#[allow(clippy::too_many_arguments)]
fn fit_cmc(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    config: &Bound<'_, PyAny>,
    nlsq_result: Option<&Bound<'_, PyAny>>,
    n_samples: Option<u64>,
    n_warmup: Option<u64>,
    n_chains: Option<usize>,
    num_shards: Option<usize>,
    output_dir: Option<&Bound<'_, PyAny>>,
    progress: bool,
    callback: Option<Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyCmcResult> {
    let mut o = overrides_from_kwargs(overrides, true)?;
    o.n_samples = n_samples.or(o.n_samples);
    o.n_warmup = n_warmup.or(o.n_warmup);
    o.n_chains = n_chains.or(o.n_chains);
    o.cmc_num_shards = num_shards.or(o.cmc_num_shards);
    let analysis = analysis_of(config, o)?;
    enum Warm {
        Fit(Box<NlsqResult>),
        Folder(PathBuf),
        None,
    }
    let warm = match nlsq_result {
        None => Warm::None,
        Some(r) if r.is_none() => Warm::None,
        Some(r) => {
            if let Ok(fit) = r.cast::<PyNlsqResult>() {
                Warm::Fit(Box::new(fit.get().inner.clone()))
            } else if let Some(p) = path_arg(r)? {
                Warm::Folder(p)
            } else {
                return Err(PyTypeError::new_err(
                    "nlsq_result must be an NlsqResult, a path to an NLSQ output folder, or None",
                ));
            }
        }
    };
    let output = match output_dir {
        Some(p) => {
            Some(path_arg(p)?.ok_or_else(|| PyTypeError::new_err("output_dir must be a path"))?)
        }
        None => None,
    };
    let xpcs = xpcs_from_dict(data, dt_of(&analysis))?;
    let outcome = run_job(py, progress, callback, move |obs| {
        let from = match &warm {
            Warm::Fit(f) => WarmStartFrom::Nlsq(f),
            Warm::Folder(p) => WarmStartFrom::Folder(p.as_path()),
            Warm::None => WarmStartFrom::None,
        };
        let outcome = analysis.sample_cmc(&xpcs, from, output.as_deref(), obs)?;
        if let Some(dir) = &output {
            analysis.write_cmc(&xpcs, &outcome, &analysis.output_options(dir), "cmc", obs)?;
        }
        Ok(outcome)
    })?;
    Ok(PyCmcResult { outcome })
}

// ---------------------------------------------------------------------------------------
// model

fn physical_of(parameters: &Bound<'_, PyAny>) -> PyResult<(AnalysisMode, Vec<f64>)> {
    if let Ok(d) = parameters.cast::<PyDict>() {
        let mut pairs = Vec::new();
        for (k, v) in d.iter() {
            let name: String = k.extract()?;
            let c = homodyne::model::params::canonical_name(&name);
            if c == "contrast" || c == "offset" {
                continue; // scaling: given separately
            }
            pairs.push((name, v.extract::<f64>()?));
        }
        return core::physical_from_named(&pairs).map_err(value_err);
    }
    let values: Vec<f64> = as_f64_array(parameters)?
        .call_method0("ravel")?
        .call_method0("tolist")?
        .extract()?;
    core::physical_from_values(&values).map_err(value_err)
}

fn per_angle(
    obj: Option<&Bound<'_, PyAny>>,
    default: f64,
    n: usize,
    name: &str,
) -> PyResult<Vec<f64>> {
    let Some(obj) = obj else {
        return Ok(vec![default; n]);
    };
    let v: Vec<f64> = as_f64_array(obj)?
        .call_method0("ravel")?
        .call_method0("tolist")?
        .extract()?;
    match v.len() {
        1 => Ok(vec![v[0]; n]),
        k if k == n => Ok(v),
        k => Err(value_err(format!(
            "{name} has {k} values: give one, or one per angle ({n})"
        ))),
    }
}

fn check_memory(n_phi: usize, n_t: usize) -> PyResult<()> {
    let bytes = (n_phi as f64) * (n_t as f64) * (n_t as f64) * 8.0;
    let (available_gb, source) = homodyne::nlsq::available_memory_gb();
    let needed_gb = bytes / (1024.0 * 1024.0 * 1024.0);
    if needed_gb > 0.9 * available_gb {
        return Err(PyMemoryError::new_err(format!(
            "{n_phi} angles x {n_t} x {n_t} times needs about {needed_gb:.1} GiB; only \
             {available_gb:.1} GiB are available ({source})"
        )));
    }
    Ok(())
}

fn g2_array(
    py: Python<'_>,
    geometry: homodyne::model::Geometry,
    t: Vec<f64>,
    phi: Vec<f64>,
    physical: Vec<f64>,
    contrast: Vec<f64>,
    offset: Vec<f64>,
) -> PyResult<Array3<f64>> {
    check_memory(phi.len(), t.len())?;
    run_job(py, false, None, move |_| {
        let experiment = homodyne::model::Experiment::new(geometry, t, phi)?;
        Ok(homodyne::model::g2_grid(
            &experiment,
            &physical,
            &contrast,
            &offset,
        )?)
    })
}

fn times(t: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    Ok(vec1(t, "t")?.to_vec())
}

/// The model on a grid: `g2[a, i, j] = offset[a] + contrast[a] * g1(phi_a, t_i, t_j)^2`
/// (numpy, (n_phi, n_t, n_t)), computed in parallel in Rust.
///
/// `parameters`: dict name -> value (D0, alpha, D_offset[, gamma_dot_t0, beta,
/// gamma_dot_t_offset, phi0]) or a sequence of 3/7 values; `phi_angles` in degrees;
/// `t` in seconds (increasing; the integrals use the grid's index times `dt`, so `t`
/// should be uniform, `dt` defaults to `t[1] - t[0]`); `q` in 1/Å; `stator_rotor_gap`
/// in Å (laminar flow); `contrast`/`offset`: one value or one per angle.
#[pyfunction]
#[pyo3(signature = (parameters, phi_angles, t, *, q, stator_rotor_gap=None, dt=None, contrast=None, offset=None))]
#[allow(clippy::too_many_arguments)]
fn g2<'py>(
    py: Python<'py>,
    parameters: &Bound<'py, PyAny>,
    phi_angles: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    q: f64,
    stator_rotor_gap: Option<f64>,
    dt: Option<f64>,
    contrast: Option<&Bound<'py, PyAny>>,
    offset: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let (mode, physical) = physical_of(parameters)?;
    let phi = vec1(phi_angles, "phi_angles")?.to_vec();
    let t = times(t)?;
    let dt = match dt {
        Some(d) => d,
        None if t.len() >= 2 => t[1] - t[0],
        None => 1.0,
    };
    let gap = match (mode, stator_rotor_gap) {
        (AnalysisMode::LaminarFlow, Some(g)) => g,
        (AnalysisMode::LaminarFlow, None) => {
            return Err(value_err("laminar flow needs stator_rotor_gap (Å)"));
        }
        (AnalysisMode::Static, g) => g.unwrap_or(1.0),
    };
    let n = phi.len();
    let contrast = per_angle(contrast, 1.0, n, "contrast")?;
    let offset = per_angle(offset, 1.0, n, "offset")?;
    let geometry = homodyne::model::Geometry {
        wavevector_q: q,
        stator_rotor_gap: gap,
        dt,
    };
    Ok(g2_array(py, geometry, t, phi, physical, contrast, offset)?.into_pyarray(py))
}

/// Simulate c2 like `homodyne simulate`: from a configuration (path, dict or
/// ConfigManager; its parameters, q, gap, dt and frame range), or from `parameters`
/// (dict / sequence, then `q`, `dt` and, for laminar flow, `stator_rotor_gap` are
/// needed). `phi_angles`: degrees (default: 8 evenly spaced on [0, 180]); `t`:
/// seconds (default: the configuration's `[0, dt, ..., (n-1) dt]`); one `contrast`
/// and `offset` (defaults 0.3 and 1.0, as the CLI). Returns c2 (n_phi, n_t, n_t), or
/// with `full_output=True` the NPZ's dict `{t, phi_angles, c2}`.
#[pyfunction]
#[pyo3(signature = (config_or_parameters, phi_angles=None, t=None, *, contrast=0.3, offset=1.0, q=None, stator_rotor_gap=None, dt=None, full_output=false))]
#[allow(clippy::too_many_arguments)]
fn simulate<'py>(
    py: Python<'py>,
    config_or_parameters: &Bound<'py, PyAny>,
    phi_angles: Option<&Bound<'py, PyAny>>,
    t: Option<&Bound<'py, PyAny>>,
    contrast: f64,
    offset: f64,
    q: Option<f64>,
    stator_rotor_gap: Option<f64>,
    dt: Option<f64>,
    full_output: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let phi: Vec<f64> = match phi_angles {
        Some(p) => vec1(p, "phi_angles")?.to_vec(),
        None => homodyne::default_angles(),
    };
    let obj = config_or_parameters;
    let is_config = obj.cast::<PyConfig>().is_ok()
        || path_arg(obj)?.is_some()
        || obj.cast::<PyDict>().is_ok_and(|d| {
            ["analysis_mode", "analyzer_parameters", "initial_parameters"]
                .iter()
                .any(|k| d.contains(*k).unwrap_or(false))
        });
    let (geometry, physical, t) = if is_config {
        let (loaded, path) = if let Ok(c) = obj.cast::<PyConfig>() {
            (c.get().loaded.clone(), c.get().path.clone())
        } else if let Some(p) = path_arg(obj)? {
            (PyConfig::from_path(p.clone())?.loaded, p)
        } else {
            let c = PyConfig::from_dict(obj)?;
            (c.loaded, c.path)
        };
        let setup =
            homodyne::SimulationSetup::from_config(&loaded, &path).map_err(|e| to_py_err(&e))?;
        let t = match t {
            Some(t) => times(t)?,
            None => homodyne::model::Experiment::uniform_times(setup.n_frames, setup.geometry.dt),
        };
        let mut geometry = setup.geometry.clone();
        if let Some(q) = q {
            geometry.wavevector_q = q;
        }
        if let Some(g) = stator_rotor_gap {
            geometry.stator_rotor_gap = g;
        }
        if let Some(d) = dt {
            geometry.dt = d;
        }
        (geometry, setup.physical, t)
    } else {
        let (mode, physical) = physical_of(obj)?;
        let q = q.ok_or_else(|| value_err("simulate from parameters needs q (1/Å)"))?;
        let t = times(t.ok_or_else(|| value_err("simulate from parameters needs t (s)"))?)?;
        let dt = dt.unwrap_or(if t.len() >= 2 { t[1] - t[0] } else { 1.0 });
        let gap = match (mode, stator_rotor_gap) {
            (AnalysisMode::LaminarFlow, None) => {
                return Err(value_err("laminar flow needs stator_rotor_gap (Å)"));
            }
            (_, g) => g.unwrap_or(1.0),
        };
        (
            homodyne::model::Geometry {
                wavevector_q: q,
                stator_rotor_gap: gap,
                dt,
            },
            physical,
            t,
        )
    };
    for (name, v) in [("contrast", contrast), ("offset", offset)] {
        if !v.is_finite() {
            return Err(value_err(format!(
                "{name} must be a finite number, got {v}"
            )));
        }
    }
    let n = phi.len();
    if n == 0 {
        return Err(value_err("no angles to simulate"));
    }
    let c2 = g2_array(
        py,
        geometry,
        t.clone(),
        phi.clone(),
        physical,
        vec![contrast; n],
        vec![offset; n],
    )?;
    if !full_output {
        return Ok(c2.into_pyarray(py).into_any());
    }
    let d = PyDict::new(py);
    d.set_item("t", PyArray1::from_vec(py, t))?;
    d.set_item("phi_angles", PyArray1::from_vec(py, phi))?;
    d.set_item("c2", c2.into_pyarray(py))?;
    Ok(d.into_any())
}

/// Use `n` worker threads for everything that runs in parallel (call once, before
/// any analysis).
#[pyfunction]
fn set_threads(n: usize) -> PyResult<()> {
    homodyne::set_threads(n).map_err(PyRuntimeError::new_err)
}

/// XPCS two-time correlation analysis under flow (homodyne, in Rust): load data, fit
/// by NLSQ and CMC, simulate — numpy in and out.
#[pymodule]
fn homodyne_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    install_logging();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyConfig>()?;
    m.add_class::<PyNlsqResult>()?;
    m.add_class::<PyCmcResult>()?;
    m.add_function(wrap_pyfunction!(load_xpcs_data, m)?)?;
    m.add_function(wrap_pyfunction!(fit_nlsq, m)?)?;
    m.add_function(wrap_pyfunction!(fit_cmc, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(g2, m)?)?;
    m.add_function(wrap_pyfunction!(validate_config, m)?)?;
    m.add_function(wrap_pyfunction!(config_template, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_roundtrip, m)?)?;
    // The reference's names, so notebooks change only their import.
    m.add("fit_nlsq_jax", m.getattr("fit_nlsq")?)?;
    m.add("fit_mcmc_jax", m.getattr("fit_cmc")?)?;
    Ok(())
}
