//! Theory without data: c2 from a configuration's parameters on the reference's time
//! grid `t = [0, dt, ..., (n-1) dt]` (the reference's `hsim` and its simulated plots).

use std::path::Path;

use homodyne_config::{Loaded, Node};
use homodyne_model::{AnalysisMode, Experiment, Geometry, g2_grid};
use ndarray::Array3;

use crate::error::{Result, invalid};
use crate::setup::check_grid_memory;

/// What a simulation needs from a configuration: mode, geometry, frame count and the
/// physical parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationSetup {
    /// Physical model.
    pub mode: AnalysisMode,
    /// q, gap and dt.
    pub geometry: Geometry,
    /// Frames on each time axis.
    pub n_frames: usize,
    /// Physical parameters in canonical order.
    pub physical: Vec<f64>,
}

/// A simulated correlation stack.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Physical model used.
    pub mode: AnalysisMode,
    /// Time axis (s), from 0.
    pub t: Vec<f64>,
    /// Angles (degrees).
    pub phi: Vec<f64>,
    /// `c2[phi, t1, t2] = offset + contrast g1^2`.
    pub c2: Array3<f64>,
}

/// The default simulation angles: 8 evenly spaced on [0, 180].
pub fn default_angles() -> Vec<f64> {
    (0..8).map(|k| 180.0 * k as f64 / 7.0).collect()
}

fn required<'a>(loaded: &'a Loaded, path: &str, file: &Path) -> Result<&'a Node> {
    match loaded.tree.get_path(path) {
        Some(node) if !node.is_null() => Ok(node),
        _ => Err(invalid!(
            "{}: missing required key '{path}'",
            file.display()
        )),
    }
}

fn required_number(loaded: &Loaded, path: &str, file: &Path) -> Result<f64> {
    let node = required(loaded, path, file)?;
    node.as_f64().filter(|v| v.is_finite()).ok_or_else(|| {
        invalid!(
            "{}: '{path}' must be a number, got {}",
            file.display(),
            node.describe()
        )
    })
}

impl SimulationSetup {
    /// From a configuration, every key simulation needs checked for presence and range
    /// (`homodyne simulate`). `end_frame: -1` means, as for an analysis, the last frame
    /// of the configured data file (its frame count is read, no matrix is loaded); with
    /// no data file it is an error asking for an explicit `end_frame`.
    pub fn from_config(loaded: &Loaded, file: &Path) -> Result<Self> {
        setup_from_config(loaded, file)
    }

    /// From a configuration's effective values, defaults allowed (simulated plots next
    /// to an analysis); only an empty frame range is refused. `end_frame: -1` is the
    /// data file's last frame (see [`SimulationSetup::from_config`]).
    pub fn from_defaults(loaded: &Loaded, file: &Path) -> Result<Self> {
        let cfg = &loaded.config;
        let mode = cfg.mode();
        let end_frame = resolve_end_frame(loaded, file, cfg.end_frame() as f64)? as i64;
        if end_frame < cfg.start_frame() {
            return Err(invalid!(
                "{}: analyzer_parameters.end_frame must be >= start_frame to simulate",
                file.display()
            ));
        }
        Ok(SimulationSetup {
            mode,
            geometry: Geometry {
                wavevector_q: cfg.wavevector_q(),
                stator_rotor_gap: gap_for(cfg, mode),
                dt: cfg.dt(),
            },
            n_frames: (end_frame - cfg.start_frame() + 1) as usize,
            physical: cfg.initial_physical(),
        })
    }

    /// c2 at the angles `phi` with one contrast and offset for all angles. Grids that
    /// would not fit in memory are refused before allocation.
    pub fn simulate(&self, phi: &[f64], contrast: f64, offset: f64) -> Result<Simulation> {
        for (name, v) in [("contrast", contrast), ("offset", offset)] {
            if !v.is_finite() {
                return Err(invalid!("{name} must be a finite number, got {v}"));
            }
        }
        if phi.is_empty() {
            return Err(invalid!("no angles to simulate"));
        }
        check_grid_memory(phi.len(), self.n_frames)?;
        let t = Experiment::uniform_times(self.n_frames, self.geometry.dt);
        let experiment = Experiment::new(self.geometry.clone(), t.clone(), phi.to_vec())?;
        let n_phi = phi.len();
        let c2 = g2_grid(
            &experiment,
            &self.physical,
            &vec![contrast; n_phi],
            &vec![offset; n_phi],
        )?;
        Ok(Simulation {
            mode: self.mode,
            t,
            phi: phi.to_vec(),
            c2,
        })
    }
}

/// The stator-rotor gap; static mode never uses it, so any positive value keeps the
/// geometry valid.
pub(crate) fn gap_for(cfg: &homodyne_config::Config, mode: AnalysisMode) -> f64 {
    match mode {
        AnalysisMode::LaminarFlow => cfg.stator_rotor_gap(),
        AnalysisMode::Static => cfg.stator_rotor_gap().max(1.0),
    }
}

/// `end_frame` with `-1` ("the last frame") resolved to the frame count of the
/// configured data file; other values as given.
fn resolve_end_frame(loaded: &Loaded, file: &Path, end: f64) -> Result<f64> {
    if end != -1.0 {
        return Ok(end);
    }
    let Some(data) = loaded.config.data_file_resolved(file) else {
        return Err(invalid!(
            "{}: analyzer_parameters.end_frame: -1 means the last frame of the data file, and \
             no data file is configured (experimental_data.data_folder_path + data_file_name): \
             set end_frame to the last frame to simulate (e.g. 1000)",
            file.display()
        ));
    };
    let n = homodyne_data::frames_in_file(&data).map_err(|e| {
        invalid!(
            "{}: analyzer_parameters.end_frame: -1 means the last frame of the data file, \
             whose frames cannot be counted ({e}): set end_frame to the last frame to simulate",
            file.display()
        )
    })?;
    tracing::info!(
        "end_frame -1: simulating up to frame {n}, the last frame of {}",
        data.display()
    );
    Ok(n as f64)
}

/// Read and check the keys simulation needs.
fn setup_from_config(loaded: &Loaded, file: &Path) -> Result<SimulationSetup> {
    let cfg = &loaded.config;
    required(loaded, "analysis_mode", file)?;
    let mode: AnalysisMode = cfg.mode();
    let dt = required_number(loaded, "analyzer_parameters.dt", file)?;
    let start = required_number(loaded, "analyzer_parameters.start_frame", file)?;
    let end = required_number(loaded, "analyzer_parameters.end_frame", file)?;
    let end = resolve_end_frame(loaded, file, end)?;
    let q = required_number(loaded, "analyzer_parameters.scattering.wavevector_q", file)?;
    let gap = if mode == AnalysisMode::LaminarFlow {
        required_number(
            loaded,
            "analyzer_parameters.geometry.stator_rotor_gap",
            file,
        )?
    } else {
        // Static mode never uses the gap; any positive placeholder keeps Geometry valid.
        cfg.stator_rotor_gap().max(1.0)
    };
    if dt <= 0.0 {
        return Err(invalid!(
            "{}: analyzer_parameters.dt must be > 0, got {dt}",
            file.display()
        ));
    }
    if q <= 0.0 {
        return Err(invalid!(
            "{}: analyzer_parameters.scattering.wavevector_q must be > 0, got {q}",
            file.display()
        ));
    }
    if gap <= 0.0 {
        return Err(invalid!(
            "{}: analyzer_parameters.geometry.stator_rotor_gap must be > 0, got {gap}",
            file.display()
        ));
    }
    if start < 1.0 || end < start || start.fract() != 0.0 || end.fract() != 0.0 || end > 1e7 {
        return Err(invalid!(
            "{}: analyzer_parameters.start_frame/end_frame must be whole numbers with \
             1 <= start_frame <= end_frame for simulation, got {start} and {end}",
            file.display()
        ));
    }
    // The key must be there; `values: null` means bound midpoints.
    if loaded.tree.get_path("initial_parameters.values").is_none() {
        return Err(invalid!(
            "{}: missing required key 'initial_parameters.values' (the {} parameters {})",
            file.display(),
            mode.n_physical(),
            mode.physical_names().join(", ")
        ));
    }
    if cfg.initial_values().from_midpoints {
        tracing::warn!(
            "{}: initial_parameters.values is null (or does not match parameter_names): \
             simulating with the bound midpoints",
            file.display()
        );
    }
    let physical = cfg.initial_physical();
    Ok(SimulationSetup {
        mode,
        geometry: Geometry {
            wavevector_q: q,
            stator_rotor_gap: gap,
            dt,
        },
        n_frames: (end - start + 1.0) as usize,
        physical,
    })
}

impl Simulation {
    /// Write `t`, `phi_angles` and `c2` as NPZ (the reference's `hsim` output).
    pub fn write_npz(&self, path: &Path) -> Result<()> {
        Ok(homodyne_io::write_simulation_npz(
            path, &self.t, &self.phi, &self.c2,
        )?)
    }

    /// `simulated_c2_phi_<phi>deg.png` per angle in `dir`; returns the paths.
    pub fn write_heatmaps(
        &self,
        dir: &Path,
        observer: &dyn crate::Observer,
    ) -> Result<Vec<std::path::PathBuf>> {
        Ok(homodyne_io::write_simulation_heatmaps(
            dir,
            &self.t,
            &self.phi,
            &self.c2,
            self.mode,
            &crate::observer::AsProgress(observer),
        )?)
    }
}
