//! One analysis: a configuration with its overrides applied, and the steps a front end
//! calls on it — load the data, fit, compute theory surfaces, write result files,
//! simulate. Each method method takes what it needs and returns typed values; nothing
//! here knows the terminal.

use std::path::{Path, PathBuf};
use std::time::Instant;

use homodyne_config::{Format, Loaded};
use homodyne_data::{LoadOptions, SourceKind, XpcsData, exclude_t0};
use homodyne_io::{FitSurface, FittedData, NlsqRun, OutputOptions, Surfaces};
use homodyne_model::{AnalysisMode, Experiment, Geometry};
use homodyne_nlsq::{InitialValues, NlsqOptions, NlsqResult, ParameterBounds};

use crate::error::{Result, invalid};
use crate::observer::{AsProgress, Observer, Stage};
use crate::overrides::Overrides;
use crate::simulate::{SimulationSetup, gap_for};
use crate::{quality, setup};

/// A configured analysis. Build it with [`Analysis::from_file`] (or
/// [`Analysis::from_loaded`] / [`Analysis::from_template`]), then call
/// [`Analysis::load`], [`Analysis::fit_nlsq`] and [`Analysis::write_nlsq`].
#[derive(Debug, Clone)]
pub struct Analysis {
    loaded: Loaded,
    config_path: PathBuf,
    overrides: Overrides,
    warnings: Vec<String>,
}

impl Analysis {
    /// Read `path` (YAML or JSON) and apply `overrides`.
    pub fn from_file(path: impl AsRef<Path>, overrides: Overrides) -> Result<Self> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(invalid!("configuration file not found: {}", path.display()));
        }
        let loaded = homodyne_config::load_file(path)?;
        Self::from_loaded(loaded, path, overrides).checked()
    }

    /// The built-in template of `mode` (the reference's generated default), as if read
    /// from `path`; relative data paths resolve against `path`'s folder.
    pub fn from_template(
        mode: AnalysisMode,
        path: impl AsRef<Path>,
        overrides: Overrides,
    ) -> Result<Self> {
        let path = path.as_ref();
        let text = homodyne_config::template(mode);
        let loaded = homodyne_config::load_str(text, Format::Yaml, &path.to_string_lossy())?;
        Self::from_loaded(loaded, path, overrides).checked()
    }

    /// Refuse settings the run cannot use before any data is read (the same verdict as
    /// [`crate::check`]).
    fn checked(self) -> Result<Self> {
        let errors = setup::settings_errors(&self.loaded, &self.overrides);
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(invalid!(
                "invalid configuration {}: {}",
                self.config_path.display(),
                errors.join("; ")
            ))
        }
    }

    /// An already loaded configuration (read from `config_path`) with `overrides`.
    /// Overrides that do not apply are logged as warnings and kept in
    /// [`Analysis::warnings`].
    pub fn from_loaded(mut loaded: Loaded, config_path: &Path, overrides: Overrides) -> Self {
        let warnings = setup::apply_overrides(&mut loaded.config, &overrides);
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        let analysis = Analysis {
            loaded,
            config_path: config_path.to_path_buf(),
            overrides,
            warnings,
        };
        tracing::info!(
            "configuration {} ({} mode)",
            analysis.config_path.display(),
            analysis.mode()
        );
        analysis
    }

    /// The overrides applied.
    pub fn overrides(&self) -> &Overrides {
        &self.overrides
    }

    /// The analysis mode after overrides.
    pub fn mode(&self) -> AnalysisMode {
        self.loaded.config.mode()
    }

    /// The configuration after overrides.
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// Where the configuration was read from.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Overrides that did not apply.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Loader options: the configured (or overridden) data file, frames, q, filters,
    /// cache.
    pub fn load_options(&self) -> Result<LoadOptions> {
        setup::load_options(
            &self.loaded.config,
            &self.config_path,
            self.overrides.data_file.as_deref(),
        )
    }

    /// NLSQ solver options from `optimization.nlsq` and the overrides.
    pub fn nlsq_options(&self) -> Result<NlsqOptions> {
        setup::nlsq_options(&self.loaded, &self.overrides)
    }

    /// Effective parameter bounds (defaults overridden by `parameter_space.bounds`).
    pub fn parameter_bounds(&self) -> ParameterBounds {
        ParameterBounds::from_space(&self.loaded.config.parameter_space())
    }

    /// Load the data (t from 0, diagonal corrected, angles filtered), write the
    /// reference's label lists beside an HDF5 source, and run preprocessing and
    /// quality control when configured (their reports go to `reports_dir`).
    pub fn load(&self, reports_dir: Option<&Path>, observer: &dyn Observer) -> Result<XpcsData> {
        let options = self.load_options()?;
        let stage = Stage::start(
            observer,
            &format!("loading {}", options.data_path.display()),
        );
        let mut data = homodyne_data::load_xpcs_data(&options)?;
        stage.finish(&format!(
            "loaded {} angles x {} frames (q = {:.5} 1/A)",
            data.n_angles(),
            data.n_times(),
            data.q()
        ));
        let phi_dir = (self
            .loaded
            .config
            .experimental_data
            .phi_angles_path
            .as_deref())
        .map(|p| homodyne_config::resolve_path(Path::new(p), &self.config_path));
        write_label_lists(&options, phi_dir, &data);
        quality::apply(&self.loaded, &mut data, reports_dir)?;
        Ok(data)
    }

    /// The experiment (geometry, time grid, angles) of loaded data.
    pub fn experiment(&self, data: &XpcsData) -> Result<Experiment> {
        Ok(Experiment::new(
            Geometry {
                wavevector_q: data.q(),
                stator_rotor_gap: gap_for(&self.loaded.config, self.mode()),
                dt: data.dt,
            },
            data.t1.to_vec(),
            data.phi_angles_list.to_vec(),
        )?)
    }

    /// Start values and bounds from the configuration's parameter table: configured
    /// (or overridden) physical values — bound midpoints for `values: null` — fixed
    /// parameters marked, and per-angle contrast/offset from the configuration or
    /// estimated from `fit_data`.
    pub fn initial_values(
        &self,
        experiment: &Experiment,
        fit_data: &XpcsData,
    ) -> Result<(InitialValues, ParameterBounds)> {
        let cfg = &self.loaded.config;
        let (contrast, offset) = match cfg.per_angle_scaling(experiment.n_phi()) {
            Ok(lists) => lists,
            Err(e) => {
                // The reference's NLSQ ignores lists that do not fit the (filtered) angles.
                tracing::warn!(
                    "initial_parameters.per_angle_scaling ignored ({e}); estimating contrast \
                     and offset from the data"
                );
                (None, None)
            }
        };
        let scaling = match (&contrast, &offset) {
            (Some(c), Some(o)) => Some((c.as_slice(), o.as_slice())),
            _ => None,
        };
        let (mut initial, bounds) = homodyne_nlsq::initial_values_from_space(
            experiment,
            fit_data.c2_exp.view(),
            &cfg.parameter_space(),
            scaling,
        )?;
        // A list given for only one of contrast/offset still applies to that one.
        if scaling.is_none() {
            if let Some(c) = contrast {
                initial.contrast = c;
            }
            if let Some(o) = offset {
                initial.offset = o;
            }
        }
        Ok((initial, bounds))
    }

    /// What every fit of `data` starts from (NLSQ and CMC alike): the data with t = 0
    /// excluded, checked for plausibility (all-zero, constant, mostly non-finite or
    /// implausible matrices are refused), its experiment, start values and bounds.
    pub(crate) fn fit_inputs(
        &self,
        data: &XpcsData,
    ) -> Result<(XpcsData, Experiment, InitialValues, ParameterBounds)> {
        let fit_data = if data.n_times() >= 2 {
            exclude_t0(data)
        } else {
            data.clone()
        };
        homodyne_data::check_plausible(&fit_data)?;
        let experiment = self.experiment(&fit_data)?;
        let (initial, bounds) = self.initial_values(&experiment, &fit_data)?;
        Ok((fit_data, experiment, initial, bounds))
    }

    /// Fit `data` (t = 0 excluded) by bounded nonlinear least squares.
    pub fn fit_nlsq(&self, data: &XpcsData, observer: &dyn Observer) -> Result<NlsqResult> {
        let (fit_data, experiment, initial, bounds) = self.fit_inputs(data)?;
        let options = self.nlsq_options()?;
        let stage = Stage::start(
            observer,
            &format!(
                "NLSQ fit: {} angles x {} x {} points",
                experiment.n_phi(),
                experiment.n_t(),
                experiment.n_t()
            ),
        );
        let started = Instant::now();
        let progress = |iteration: usize, cost: f64| observer.iteration(iteration, cost);
        let plan = crate::global::plan(
            &self.loaded,
            self.loaded.config.parameter_space().from_midpoints(),
        )?;
        let phase = |message: &str| {
            tracing::info!("NLSQ phase: {message}");
            observer.fit_phase(message);
        };
        let result = homodyne_global::fit(
            &experiment,
            fit_data.c2_exp.view(),
            None,
            &initial,
            &bounds,
            &options,
            &plan,
            Some(&progress),
            &phase,
        )?;
        stage.finish(&format!(
            "NLSQ {} after {} iterations in {:.2} s (reduced chi2 {:.4}, {})",
            result.convergence_status.as_str(),
            result.iterations,
            started.elapsed().as_secs_f64(),
            result.reduced_chi_squared,
            result.strategy.reason
        ));
        // What makes this fit doubtful is said where the user looks, not only in files.
        for doubt in result.doubts() {
            tracing::warn!("{doubt}");
        }
        for (name, values, b) in [
            ("contrast", &result.contrast, bounds.contrast),
            ("offset", &result.offset, bounds.offset),
        ] {
            let outside: Vec<usize> = (0..values.len())
                .filter(|&a| !b.contains(values[a]))
                .collect();
            if !outside.is_empty() {
                tracing::warn!(
                    "fitted {name} of angles {outside:?} lies outside its bounds [{}, {}] \
                     (per-angle mode {}); check the per-angle mode",
                    b.min,
                    b.max,
                    result.per_angle_mode.as_str()
                );
            }
        }
        Ok(result)
    }

    /// Theory on the loaded grid (t from 0) for a fit: raw `1 + g1^2`, the solver's
    /// scaled surface, and the post-hoc per-angle scaling against the data.
    /// The theory is computed angle by angle when a file or figure asks for it
    /// ([`Surfaces`]), never as a full array.
    pub fn surfaces(&self, data: &XpcsData, result: &NlsqResult) -> Result<Surfaces> {
        let experiment = self.experiment(data)?;
        Ok(Surfaces::new(
            &experiment,
            &result.physical,
            &result.contrast,
            &result.offset,
            data.c2_exp.view(),
        )?)
    }

    /// Output options for `dir` from the configuration (`plotting.fit_surface`); the
    /// caller sets the summary format and extra plots.
    pub fn output_options(&self, dir: impl Into<PathBuf>) -> OutputOptions {
        let mut options = OutputOptions::new(dir);
        options.fit_surface = if self.loaded.config.plotting.fit_surface == "solver" {
            FitSurface::Solver
        } else {
            FitSurface::Scaled
        };
        // Validated by `check` (settings_errors): an unknown value cannot reach here.
        options.fitted_data =
            FittedData::parse(&self.loaded.config.output.fitted_data).unwrap_or_default();
        options
    }

    /// Write every NLSQ result file and the run summary; returns the paths written.
    pub fn write_nlsq(
        &self,
        data: &XpcsData,
        result: &NlsqResult,
        output: &OutputOptions,
        observer: &dyn Observer,
    ) -> Result<Vec<PathBuf>> {
        let surfaces = self.surfaces(data, result)?;
        let run = NlsqRun {
            data,
            result,
            surfaces: &surfaces,
            stator_rotor_gap: self.loaded.config.stator_rotor_gap(),
        };
        Ok(homodyne_io::write_nlsq(
            &run,
            output,
            &AsProgress(observer),
        )?)
    }

    /// Figures of loaded data: one heatmap per angle and a diagonal profile in `dir`.
    pub fn plot_data(&self, data: &XpcsData, dir: &Path, observer: &dyn Observer) -> Result<()> {
        Ok(homodyne_io::experimental_figures(
            dir,
            data,
            &AsProgress(observer),
        )?)
    }

    /// Simulate from the configuration's effective values (defaults allowed) at
    /// `phi` with one contrast and offset.
    pub fn simulate(&self, phi: &[f64], contrast: f64, offset: f64) -> Result<crate::Simulation> {
        SimulationSetup::from_defaults(&self.loaded, &self.config_path)?
            .simulate(phi, contrast, offset)
    }

    /// Figures of a simulation: one heatmap per angle and a diagonal profile in `dir`.
    pub fn plot_simulation(
        &self,
        simulation: &crate::Simulation,
        dir: &Path,
        observer: &dyn Observer,
    ) -> Result<()> {
        Ok(homodyne_io::simulated_figures(
            dir,
            &simulation.c2,
            &simulation.t,
            &simulation.phi,
            &AsProgress(observer),
        )?)
    }
}

/// The reference's `phi_angles_list.txt` (in `experimental_data.phi_angles_path`, else
/// beside the data) and `wavevector_q_list.txt` (beside the data file), written after
/// reading an HDF5 file (not a cache). Scripts read them, but an analysis does not
/// depend on them: a failure is a warning.
fn write_label_lists(options: &LoadOptions, phi_dir: Option<PathBuf>, data: &XpcsData) {
    if !matches!(data.source.kind, SourceKind::Hdf5(_)) {
        return;
    }
    let data_dir = options
        .data_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let phi_dir = phi_dir.unwrap_or_else(|| data_dir.clone());
    if let Err(e) = homodyne_data::write_label_lists(data, &phi_dir, &data_dir) {
        tracing::warn!("label lists not written: {e}");
    }
}
