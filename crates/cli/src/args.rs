//! Command-line arguments of `homodyne`, compatible with the reference's flags
//! (spec 07 §7.1), plus the `simulate` and `completions` subcommands.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// XPCS two-time correlation analysis under laminar flow.
#[derive(Debug, Parser)]
#[command(
    name = "homodyne",
    version,
    about = "XPCS two-time correlation analysis under flow: NLSQ fits, simulation, plots",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate c2 from a config's parameters and write it as NPZ (the reference's `hsim`).
    Simulate(SimulateArgs),
    /// CMC on a cluster without MPI: `plan` the shards, run each with `shard` (one
    /// job-array task per index), then `combine`.
    #[command(subcommand)]
    Cmc(CmcCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `homodyne cmc ...`.
#[derive(Debug, Subcommand)]
pub enum CmcCommand {
    /// Resolve the warm start (NLSQ fit, --nlsq-result or none) and the shard plan; write
    /// OUT/cmc/plan.json. The last line on stdout reads `N shards`.
    Plan(Box<RunArgs>),
    /// Sample one shard (or a range `A-B`) of the plan into OUT/cmc/shards/.
    Shard(ShardArgs),
    /// Combine the finished shards into OUT/cmc/ (the files of `--method cmc`).
    Combine(CombineArgs),
}

/// `homodyne cmc shard`.
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// The plan's output directory.
    #[arg(long)]
    pub output_dir: PathBuf,
    /// Shard index `I` (0 to N-1) or range `A-B`; default: $PBS_ARRAY_INDEX, else
    /// $SLURM_ARRAY_TASK_ID.
    #[arg(long)]
    pub index: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = positive_usize)]
    pub threads: Option<usize>,
    #[arg(short, long, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Errors only.
    #[arg(long)]
    pub quiet: bool,
}

/// `homodyne cmc combine`.
#[derive(Debug, Args)]
pub struct CombineArgs {
    /// The plan's output directory.
    #[arg(long)]
    pub output_dir: PathBuf,
    /// Combine the shards that finished; missing ones count as failed (the success-rate
    /// rule, optimization.cmc.combination.min_success_rate, decides).
    #[arg(long)]
    pub allow_missing: bool,
    /// Format of OUT/homodyne_results.<fmt>.
    #[arg(long, value_enum, default_value = "yaml")]
    pub output_format: OutputFormat,
    /// Exit 0 even when the chains did not converge (3) or the sample is poor (4).
    #[arg(long)]
    pub accept_poor_fit: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = positive_usize)]
    pub threads: Option<usize>,
    #[arg(short, long, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Errors only.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    Nlsq,
    Cmc,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Yaml,
    Json,
    Npz,
}

/// Flags of the main analysis run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Optimisation method [default: nlsq]. With only --plot-* flags and no method,
    /// nothing is fitted.
    #[arg(long, value_enum)]
    pub method: Option<Method>,
    /// Configuration file (YAML or JSON).
    #[arg(long, default_value = "./homodyne_config.yaml")]
    pub config: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, default_value = "./homodyne_results")]
    pub output_dir: PathBuf,
    /// Data file overriding experimental_data (HDF5 or NPZ).
    #[arg(long)]
    pub data_file: Option<PathBuf>,
    /// Force static analysis mode.
    #[arg(long, conflicts_with = "laminar_flow")]
    pub static_mode: bool,
    /// Force laminar_flow analysis mode.
    #[arg(long)]
    pub laminar_flow: bool,
    /// Maximum optimiser iterations (honoured, unlike the reference).
    #[arg(long, value_parser = positive_usize)]
    pub max_iterations: Option<usize>,
    /// Convergence tolerance (ftol = xtol = gtol; honoured).
    #[arg(long, value_parser = positive_f64)]
    pub tolerance: Option<f64>,
    /// Start value of D0, the diffusion prefactor in Å²/s (must be > 0).
    #[arg(long = "initial-d0", value_parser = positive_f64)]
    pub initial_d0: Option<f64>,
    /// Start value of alpha, the diffusion time exponent.
    #[arg(long = "initial-alpha", allow_negative_numbers = true)]
    pub initial_alpha: Option<f64>,
    /// Start value of D_offset, the constant diffusion term in Å²/s.
    #[arg(long = "initial-d-offset", allow_negative_numbers = true)]
    pub initial_d_offset: Option<f64>,
    /// Start value of gamma_dot_t0, the shear-rate prefactor in 1/s (laminar flow).
    #[arg(long = "initial-gamma-dot-t0", allow_negative_numbers = true)]
    pub initial_gamma_dot_t0: Option<f64>,
    /// Start value of beta, the shear-rate time exponent (laminar flow).
    #[arg(long = "initial-beta", allow_negative_numbers = true)]
    pub initial_beta: Option<f64>,
    /// Start value of gamma_dot_t_offset, the constant shear rate in 1/s (laminar flow).
    #[arg(long = "initial-gamma-dot-offset", allow_negative_numbers = true)]
    pub initial_gamma_dot_offset: Option<f64>,
    /// Start value of phi0, the flow angle in degrees (laminar flow).
    #[arg(long = "initial-phi0", allow_negative_numbers = true)]
    pub initial_phi0: Option<f64>,
    /// CMC: kept draws per chain (default: optimization.mcmc.num_samples).
    #[arg(long, value_parser = positive_u64)]
    pub n_samples: Option<u64>,
    /// CMC: warm-up draws per chain (default: optimization.mcmc.num_warmup).
    #[arg(long)]
    pub n_warmup: Option<u64>,
    /// CMC: chains per shard (default: optimization.mcmc.num_chains).
    #[arg(long, value_parser = positive_usize)]
    pub n_chains: Option<usize>,
    /// CMC: number of data shards (default: optimization.cmc.sharding.num_shards; auto
    /// uses one shard, the exact posterior, unless the chains alone leave cores idle).
    #[arg(long, value_parser = positive_usize)]
    pub cmc_num_shards: Option<usize>,
    /// CMC: where shards run (auto/local: all cores of this machine).
    #[arg(long, value_name = "BACKEND")]
    pub cmc_backend: Option<String>,
    /// CMC: warm start from the NLSQ results of an earlier run (its output folder, its
    /// nlsq/ folder, or its parameters.json) instead of fitting first.
    #[arg(long, value_name = "DIR", conflicts_with = "no_nlsq_warmstart")]
    pub nlsq_result: Option<PathBuf>,
    /// CMC: no NLSQ warm start; chains start from the configured initial values.
    #[arg(long)]
    pub no_nlsq_warmstart: bool,
    /// Write fit comparison plots.
    #[arg(long)]
    pub save_plots: bool,
    /// Plot the experimental data (alone: load data, no fit).
    #[arg(long)]
    pub plot_experimental_data: bool,
    /// Plot theory from the config's parameters (alone: no data, no fit).
    #[arg(long)]
    pub plot_simulated_data: bool,
    /// Contrast for simulated plots.
    #[arg(long, default_value_t = 0.3)]
    pub contrast: f64,
    /// Offset for simulated plots.
    #[arg(long, default_value_t = 1.0)]
    pub offset: f64,
    /// Angles for simulated plots, e.g. "0,45,90".
    #[arg(long, allow_hyphen_values = true)]
    pub phi_angles: Option<String>,
    /// Format of <output-dir>/homodyne_results.<fmt>.
    #[arg(long, value_enum, default_value = "yaml")]
    pub output_format: OutputFormat,
    /// More console output (-v info+, -vv debug, -vvv trace).
    #[arg(short, long, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Errors only.
    #[arg(long)]
    pub quiet: bool,
    /// Exit 0 even when the fit did not converge (otherwise exit 3) or its quality is
    /// poor (otherwise exit 4). Results are written either way.
    #[arg(long)]
    pub accept_poor_fit: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = positive_usize)]
    pub threads: Option<usize>,
    /// Accepted for compatibility with the reference (it disabled JAX's compiler); this
    /// program has no JIT, so it changes nothing.
    #[arg(long)]
    pub no_jit: bool,
    /// Accepted for compatibility (auto, matplotlib, datashader): figures are always
    /// drawn by the built-in renderer.
    #[arg(long, value_name = "BACKEND")]
    pub plotting_backend: Option<String>,
    /// Accepted for compatibility: figures are always drawn in parallel.
    #[arg(long)]
    pub parallel_plots: bool,
}

/// `homodyne simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Configuration file with analysis_mode, analyzer_parameters and initial_parameters.
    #[arg(long)]
    pub config: PathBuf,
    /// Angles in degrees, e.g. "0,45,90" (default: 8 angles evenly spaced on [0, 180]).
    #[arg(long, allow_hyphen_values = true)]
    pub phi_angles: Option<String>,
    #[arg(long, default_value_t = 0.3)]
    pub contrast: f64,
    #[arg(long, default_value_t = 1.0)]
    pub offset: f64,
    /// Output NPZ file (arrays t, phi_angles, c2).
    #[arg(long)]
    pub output: PathBuf,
    /// Also write one heatmap PNG per angle into this folder.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

fn positive_u64(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive integer")),
    }
}

fn positive_usize(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive integer")),
    }
}

/// Parse "a,b,c" into angles in degrees; an error names the bad entry.
pub fn parse_angles(text: &str) -> Result<Vec<f64>, String> {
    let angles = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("--phi-angles: '{s}' is not a number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if angles.is_empty() {
        return Err("--phi-angles: no angles given".into());
    }
    Ok(angles)
}
