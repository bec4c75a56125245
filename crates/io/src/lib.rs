//! Result files of homodyne analyses, with the reference's (homodyne 2.23) names and
//! keys so that scripts written for it keep working:
//!
//! * NLSQ: `<out>/nlsq/{parameters.json, analysis_results_nlsq.json,
//!   convergence_metrics.json, fitted_data.npz, c2_heatmaps_phi_<phi>deg.png}` and the run
//!   summary `<out>/homodyne_results.{yaml,json,npz}` ([`write_nlsq`]);
//! * CMC: `<out>/cmc/{parameters.json, analysis_results_cmc.json, diagnostics.json,
//!   samples.npz, fitted_data.npz, posterior.zarr, trace.png, posterior_marginals.png,
//!   corner.png, c2_heatmaps_phi_<phi>deg.png}` and the run summary ([`write_cmc`]);
//!   finished-shard checkpoints for resuming ([`ShardCheckpoints`]);
//! * figures of experimental and simulated data ([`experimental_figures`],
//!   [`simulated_figures`]) and simulations ([`write_simulation_npz`]);
//! * one atomic writer ([`write_atomic`]: temporary name, then rename) behind every
//!   file, and NaN-safe JSON ([`num`]: NaN → null, ±∞ → "Infinity"/"-Infinity");
//! * output folders that tell the truth ([`RunFolder`]): temporary files removed on
//!   interruption ([`exit_interrupted`]) and when stale ([`clean_stale_temporaries`]), an
//!   incomplete-run marker while a run writes, the summary naming every file of the run,
//!   and per-angle figures of an earlier run removed ([`remove_stale_figures`]).
//!
//! Input is typed: results, data, theory [`Surfaces`] and [`OutputOptions`]; never
//! command-line arguments. Progress of figure writing goes to a [`Progress`].

#![deny(missing_docs)]

mod atomic;
mod checkpoints;
mod cmc_figures;
mod cmc_files;
mod cmc_samples;
mod device;
mod error;
mod figures;
mod json;
mod nlsq_files;
mod npy;
mod posterior_zarr;
mod progress;
mod run;
mod simulation;
mod surfaces;

pub use atomic::{NpzEntry, temporary_path, write_atomic, write_npz, write_npz_with, write_text};
pub use checkpoints::ShardCheckpoints;
pub use cmc_files::{CmcRun, ESS_TAIL_QUANTILES, ESS_THRESHOLD, R_HAT_THRESHOLD, write_cmc};
pub use cmc_samples::SAMPLES_SCHEMA_VERSION;
pub use device::device_info;
pub use error::{OutputError, OutputResult};
pub use figures::{
    c2_heatmap, experimental as experimental_figures, fit_comparison_one, fit_comparisons,
    simulated as simulated_figures,
};
pub use json::{num, nums, timestamp, write_json, write_yaml};
pub use nlsq_files::{
    FitSurface, FittedData, NlsqRun, OutputOptions, SummaryFormat, parameters_json, summary_table,
    write_nlsq,
};
pub use progress::{NoProgress, Progress};
pub use run::{
    INCOMPLETE_MARKER, RunFolder, clean_stale_temporaries, exit_interrupted, record_file,
    remove_stale_figures, temporary_owner, unwatch_folder, watch_folder,
};
pub use simulation::{write_simulation_heatmaps, write_simulation_npz};
pub use surfaces::Surfaces;
