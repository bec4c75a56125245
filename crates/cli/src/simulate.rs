//! `homodyne simulate`: c2 from a config's parameters on the reference's time grid,
//! written as NPZ (`t`, `phi_angles`, `c2`) with optional per-angle heatmaps.

use std::path::Path;

use anyhow::{Context, Result, bail};
use homodyne_config::{Loaded, node::Node};
use homodyne_model::{AnalysisMode, Experiment, Geometry, g2_grid};
use ndarray::{Array1, Axis};

use crate::args::{SimulateArgs, default_angles, parse_angles};
use crate::atomic::{NpzEntry, write_npz};
use crate::plots;

/// What simulation needs from a configuration, every key checked for presence.
pub struct SimulationSetup {
    pub mode: AnalysisMode,
    pub geometry: Geometry,
    pub n_frames: usize,
    pub physical: Vec<f64>,
}

fn required<'a>(loaded: &'a Loaded, path: &str, file: &Path) -> Result<&'a Node> {
    match loaded.tree.get_path(path) {
        Some(node) if !node.is_null() => Ok(node),
        _ => bail!("{}: missing required key '{path}'", file.display()),
    }
}

fn required_number(loaded: &Loaded, path: &str, file: &Path) -> Result<f64> {
    let node = required(loaded, path, file)?;
    node.as_f64().filter(|v| v.is_finite()).with_context(|| {
        format!(
            "{}: '{path}' must be a number, got {}",
            file.display(),
            node.describe()
        )
    })
}

/// Read and check the keys simulation needs.
pub fn setup_from_config(loaded: &Loaded, file: &Path) -> Result<SimulationSetup> {
    let cfg = &loaded.config;
    required(loaded, "analysis_mode", file)?;
    let mode: AnalysisMode = cfg.mode();
    let dt = required_number(loaded, "analyzer_parameters.dt", file)?;
    let start = required_number(loaded, "analyzer_parameters.start_frame", file)?;
    let end = required_number(loaded, "analyzer_parameters.end_frame", file)?;
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
        bail!(
            "{}: analyzer_parameters.dt must be > 0, got {dt}",
            file.display()
        );
    }
    if q <= 0.0 {
        bail!(
            "{}: analyzer_parameters.scattering.wavevector_q must be > 0, got {q}",
            file.display()
        );
    }
    if gap <= 0.0 {
        bail!(
            "{}: analyzer_parameters.geometry.stator_rotor_gap must be > 0, got {gap}",
            file.display()
        );
    }
    if start < 1.0 || end < start || start.fract() != 0.0 || end.fract() != 0.0 || end > 1e7 {
        bail!(
            "{}: analyzer_parameters.start_frame/end_frame must be whole numbers with \
             1 <= start_frame <= end_frame for simulation, got {start} and {end}",
            file.display()
        );
    }
    // The key must be there; `values: null` means bound midpoints (DECISIONS 7).
    if loaded.tree.get_path("initial_parameters.values").is_none() {
        bail!(
            "{}: missing required key 'initial_parameters.values' (the {} parameters {})",
            file.display(),
            mode.n_physical(),
            mode.physical_names().join(", ")
        );
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

pub fn run(args: &SimulateArgs) -> Result<()> {
    let loaded = homodyne_config::load_file(&args.config)?;
    let setup = setup_from_config(&loaded, &args.config)?;
    let phi = match &args.phi_angles {
        Some(text) => parse_angles(text).map_err(anyhow::Error::msg)?,
        None => default_angles(),
    };
    for (name, v) in [("--contrast", args.contrast), ("--offset", args.offset)] {
        if !v.is_finite() {
            bail!("{name} must be a finite number, got {v}");
        }
    }
    crate::setup::check_grid_memory(phi.len(), setup.n_frames)?;
    let t = Experiment::uniform_times(setup.n_frames, setup.geometry.dt);
    let experiment = Experiment::new(setup.geometry.clone(), t.clone(), phi.clone())?;
    let n_phi = phi.len();
    let c2 = g2_grid(
        &experiment,
        &setup.physical,
        &vec![args.contrast; n_phi],
        &vec![args.offset; n_phi],
    )?;
    let t = Array1::from(t);
    let phi_arr = Array1::from(phi.clone());
    write_npz(
        &args.output,
        false,
        vec![
            NpzEntry::array("t", t.view()),
            NpzEntry::array("phi_angles", phi_arr.view()),
            NpzEntry::array("c2", c2.view()),
        ],
    )?;
    tracing::info!(
        "simulated {} mode: {n_phi} angles x {n} x {n} frames -> {}",
        setup.mode,
        args.output.display(),
        n = setup.n_frames
    );
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create plot folder {}", dir.display()))?;
        for (a, &angle) in phi.iter().enumerate() {
            let path = dir.join(format!("simulated_c2_phi_{angle:.1}deg.png"));
            plots::c2_heatmap(
                &path,
                c2.index_axis(Axis(0), a),
                t.view(),
                &format!("Simulated c₂, {} mode, φ = {angle:.1}°", setup.mode),
            )?;
        }
    }
    Ok(())
}
