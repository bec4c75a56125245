//! homodyne: X-ray Photon Correlation Spectroscopy (XPCS) under flow. Fits two-time
//! correlation matrices `c2(phi, t1, t2)` of sheared soft matter with
//! `g2 = offset + contrast * g1^2`, anomalous diffusion `D(t) = D0 t^alpha + D_offset`
//! and shear `gamma_dot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset` at flow angle
//! `phi0`.
//!
//! This crate is the library every front end (the `homodyne` command, the Python
//! package) drives: an [`Analysis`] is a configuration plus [`Overrides`]; it loads the
//! data, fits, computes theory surfaces, writes the result files and simulates.
//! Progress reaches the caller through an [`Observer`]. [`check`] validates a
//! configuration with the same code a run uses.
//!
//! ```no_run
//! use homodyne::{Analysis, Overrides, Silent};
//!
//! # fn main() -> homodyne::Result<()> {
//! let analysis = Analysis::from_file("config.yaml", Overrides::default())?;
//! let data = analysis.load(None, &Silent)?;
//! let fit = analysis.fit_nlsq(&data, &Silent)?;
//! println!("D0 = {:?}", fit.parameter("D0"));
//! analysis.write_nlsq(&data, &fit, &analysis.output_options("results"), &Silent)?;
//! # Ok(())
//! # }
//! ```
//!
//! The focused crates are re-exported for what the facade does not wrap: [`model`]
//! (physics kernel, no I/O), [`config`], [`data`], [`nlsq`], [`io`] (result files),
//! [`quality`], [`plot`].

#![deny(missing_docs)]

mod analysis;
mod check;
mod cmc;
mod error;
mod global;
mod observer;
mod overrides;
mod quality;
mod setup;
mod simulate;

pub use analysis::Analysis;
pub use check::{check, check_loaded};
pub use cmc::{
    CmcOutcome, CmcPlan, CmcSettings, WARM_START_MAX_REDUCED_CHI2, WarmStartFrom, posterior_means,
};
pub use error::{Error, Result};
pub use observer::{Observer, Silent};
pub use overrides::Overrides;
pub use simulate::{Simulation, SimulationSetup, default_angles};

pub use homodyne_cmc as cmc_sampler;
pub use homodyne_config as config;
pub use homodyne_data as data;
pub use homodyne_io as io;
pub use homodyne_mcmc as mcmc;
pub use homodyne_model as model;
pub use homodyne_nlsq as nlsq;
pub use homodyne_plot as plot;
pub use homodyne_quality as quality_control;

pub use homodyne_data::XpcsData;
pub use homodyne_io::{FitSurface, FittedData, OutputOptions, SummaryFormat, Surfaces};
pub use homodyne_model::AnalysisMode;
pub use homodyne_nlsq::{Estimate, NlsqResult};

/// Use `n` worker threads for everything that runs in parallel (call once, before any
/// analysis; a second call reports that the pool exists).
pub fn set_threads(n: usize) -> std::result::Result<(), String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| e.to_string())
}
