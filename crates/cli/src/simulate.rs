//! `homodyne simulate`: flags to a [`homodyne::SimulationSetup`], then the NPZ and the
//! optional heatmaps.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use homodyne::{SimulationSetup, default_angles};

use crate::args::{SimulateArgs, parse_angles};
use crate::progress::Terminal;
use crate::run::prepare_folder;

pub fn run(args: &SimulateArgs) -> Result<()> {
    let started = SystemTime::now();
    let loaded = homodyne::config::load_file(&args.config)?;
    let setup = SimulationSetup::from_config(&loaded, &args.config)?;
    let phi = match &args.phi_angles {
        Some(text) => parse_angles(text).map_err(anyhow::Error::msg)?,
        None => default_angles(),
    };
    let simulation = setup.simulate(&phi, args.contrast, args.offset)?;
    let folder = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    prepare_folder(folder, started);
    simulation.write_npz(&args.output)?;
    tracing::info!(
        "simulated {} mode: {} angles x {n} x {n} frames -> {}",
        setup.mode,
        phi.len(),
        args.output.display(),
        n = setup.n_frames
    );
    if let Some(dir) = &args.plot {
        prepare_folder(dir, started);
        simulation.write_heatmaps(dir, &Terminal::default())?;
    }
    Ok(())
}
