//! The main analysis run, translated from flags to the library: configuration ->
//! data -> (plots) -> fit -> result files. Each method writes its own folder.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use homodyne::io::RunFolder;
use homodyne::nlsq::QualityFlag;
use homodyne::{
    Analysis, AnalysisMode, NlsqResult, Overrides, SummaryFormat, WarmStartFrom, default_angles,
};

use crate::args::{Method, OutputFormat, RunArgs, parse_angles};
use crate::logging;
use crate::out;
use crate::progress::Terminal;

/// The reference's default configuration path.
const DEFAULT_CONFIG: &str = "./homodyne_config.yaml";

/// What the flags change on top of the configuration.
pub(crate) fn overrides(args: &RunArgs) -> Overrides {
    let mode = if args.static_mode {
        Some(AnalysisMode::Static)
    } else if args.laminar_flow {
        Some(AnalysisMode::LaminarFlow)
    } else {
        None
    };
    let initial = [
        ("D0", args.initial_d0),
        ("alpha", args.initial_alpha),
        ("D_offset", args.initial_d_offset),
        ("gamma_dot_t0", args.initial_gamma_dot_t0),
        ("beta", args.initial_beta),
        ("gamma_dot_t_offset", args.initial_gamma_dot_offset),
        ("phi0", args.initial_phi0),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| (name.to_string(), v)))
    .collect();
    Overrides {
        mode,
        data_file: args.data_file.clone(),
        initial,
        max_iterations: args.max_iterations,
        tolerance: args.tolerance,
        n_samples: args.n_samples,
        n_warmup: args.n_warmup,
        n_chains: args.n_chains,
        cmc_num_shards: args.cmc_num_shards,
        cmc_backend: args.cmc_backend.clone(),
    }
}

/// Flags kept for compatibility with the reference that change nothing here: say so once.
pub(crate) fn note_compatibility_flags(args: &RunArgs) {
    if args.no_jit {
        tracing::warn!("--no-jit has no effect: this program is compiled ahead of time");
    }
    if let Some(backend) = &args.plotting_backend {
        tracing::warn!(
            "--plotting-backend {backend} has no effect: figures are drawn by the built-in renderer"
        );
    }
    if args.parallel_plots {
        tracing::info!("--parallel-plots has no effect: figures are always drawn in parallel");
    }
}

/// How a run ended, for the exit code.
pub enum Outcome {
    /// Nothing was fitted (plots only), or the fit is sound.
    Done,
    /// The fit did not converge (exit 3).
    NotConverged,
    /// The fit converged with poor quality (exit 4).
    Poor,
}

impl Outcome {
    /// The worse of two outcomes (`--method both`).
    fn worst(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::NotConverged, _) | (_, Outcome::NotConverged) => Outcome::NotConverged,
            (Outcome::Poor, _) | (_, Outcome::Poor) => Outcome::Poor,
            _ => Outcome::Done,
        }
    }

    pub(crate) fn of_cmc(result: &homodyne::cmc_sampler::CmcResult) -> Self {
        if !result.converged() {
            Outcome::NotConverged
        } else if result.quality_flag() == "poor" {
            Outcome::Poor
        } else {
            Outcome::Done
        }
    }

    fn of(result: &NlsqResult) -> Self {
        if !result.converged() {
            Outcome::NotConverged
        } else if result.quality_flag == QualityFlag::Poor {
            Outcome::Poor
        } else {
            Outcome::Done
        }
    }

    /// The process exit code; `accept_poor` turns a doubtful fit into success.
    pub fn exit_code(&self, accept_poor: bool) -> ExitCode {
        match (self, accept_poor) {
            (Outcome::Done, _) | (_, true) => ExitCode::SUCCESS,
            (Outcome::NotConverged, false) => ExitCode::from(3),
            (Outcome::Poor, false) => ExitCode::from(4),
        }
    }
}

pub fn run(args: &RunArgs) -> Result<Outcome> {
    let plots_only =
        (args.plot_experimental_data || args.plot_simulated_data) && args.method.is_none();
    let method = args.method.unwrap_or(Method::Nlsq);
    if method == Method::Nlsq
        && (args.nlsq_result.is_some() || args.no_nlsq_warmstart || args.n_samples.is_some())
    {
        tracing::warn!(
            "CMC flags (--nlsq-result, --no-nlsq-warmstart, --n-samples, ...) have no effect \
             with --method nlsq"
        );
    }
    if args.cmc_backend.as_deref() == Some("mpi") && !plots_only && method != Method::Nlsq {
        if !homodyne_mpi::available() {
            return Err(homodyne_mpi::MpiError::NotBuilt.into());
        }
        if homodyne_mpi::rank_and_size().0 != 0 {
            return mpi_worker(args).map(|()| Outcome::Done);
        }
    }
    if !args.config.exists() && args.config != Path::new(DEFAULT_CONFIG) {
        bail!("configuration file not found: {}", args.config.display());
    }
    std::fs::create_dir_all(&args.output_dir).with_context(|| {
        format!(
            "cannot create output directory {}",
            args.output_dir.display()
        )
    })?;
    let started = SystemTime::now();
    let log = args.output_dir.join("homodyne.log");
    logging::init(args.verbose, args.quiet, Some(&log));
    // Stale temporary files of crashed runs go; `.homodyne_run_incomplete` marks the
    // folder until the run is complete (kept, listing the files written, when it fails
    // midway or is interrupted).
    let folder = RunFolder::begin(&args.output_dir)?;
    folder.record_shared(&log);
    let results = run_in_folder(args, plots_only, method, started)?;
    folder.finish()?;
    let mut outcome = Outcome::Done;
    if let Some(result) = &results.nlsq {
        let o = Outcome::of(result);
        match o {
            Outcome::NotConverged if !args.accept_poor_fit => out::errln!(
                "error: the fit did not converge; results were written to {} (exit code 3; \
                 --accept-poor-fit to exit 0)",
                args.output_dir.display()
            ),
            Outcome::Poor if !args.accept_poor_fit => out::errln!(
                "error: the fit quality is poor (reduced chi^2 {:.4}); results were written to {} \
                 (exit code 4; --accept-poor-fit to exit 0)",
                result.reduced_chi_squared,
                args.output_dir.display()
            ),
            _ => {}
        }
        outcome = outcome.worst(o);
    }
    if let Some(result) = &results.cmc {
        let o = Outcome::of_cmc(result);
        match o {
            Outcome::NotConverged if !args.accept_poor_fit => out::errln!(
                "error: the chains did not converge (largest R-hat {:.3} >= 1.1); results were \
                 written to {} (exit code 3; --accept-poor-fit to exit 0)",
                result.max_rhat(),
                args.output_dir.display()
            ),
            Outcome::Poor if !args.accept_poor_fit => out::errln!(
                "error: the posterior sample is poor ({}); results were written to {} (exit \
                 code 4; --accept-poor-fit to exit 0)",
                result.quality_reasons().join("; "),
                args.output_dir.display()
            ),
            _ => {}
        }
        outcome = outcome.worst(o);
    }
    Ok(outcome)
}

/// An MPI rank other than 0: its shards of rank 0's plan, nothing written but those
/// (rank 0 writes every result file and speaks on the console).
fn mpi_worker(args: &RunArgs) -> Result<()> {
    logging::init_console(args.verbose, args.verbose == 0);
    if let Some(n) = args.threads {
        let _ = rayon_pool(n);
    }
    let analysis = load_analysis(args)?;
    let data = analysis.load(None, &homodyne::Silent)?;
    homodyne_mpi::run_cmc(
        &analysis,
        &data,
        WarmStartFrom::None,
        &args.output_dir,
        &homodyne::Silent,
    )?;
    Ok(())
}

/// What a run produced.
#[derive(Default)]
struct Results {
    nlsq: Option<NlsqResult>,
    cmc: Option<homodyne::cmc_sampler::CmcResult>,
}

/// Everything a run writes into its folder; the fit, when there was one.
fn run_in_folder(
    args: &RunArgs,
    plots_only: bool,
    method: Method,
    started: SystemTime,
) -> Result<Results> {
    note_compatibility_flags(args);
    if let Some(n) = args.threads {
        // Ignore the error raised when a pool already exists (tests calling twice).
        let _ = rayon_pool(n);
    }
    let analysis = load_analysis(args)?;
    if let Ok(options) = analysis.load_options()
        && let Some(cache) = &options.cache
    {
        // A cache being written when the run is interrupted is removed too.
        prepare_folder(&cache.folder, started);
    }
    let terminal = Terminal::default();

    if args.plot_simulated_data {
        let phi = match &args.phi_angles {
            Some(text) => parse_angles(text).map_err(anyhow::Error::msg)?,
            None => default_angles(),
        };
        let simulation = analysis.simulate(&phi, args.contrast, args.offset)?;
        analysis.plot_simulation(&simulation, &args.output_dir.join("plots"), &terminal)?;
        if plots_only && !args.plot_experimental_data {
            return Ok(Results::default());
        }
    }
    let data = analysis.load(Some(&args.output_dir), &terminal)?;
    if args.plot_experimental_data {
        analysis.plot_data(&data, &args.output_dir.join("plots"), &terminal)?;
    }
    if plots_only {
        return Ok(Results::default());
    }
    let mut output = analysis.output_options(&args.output_dir);
    output.summary_format = match args.output_format {
        OutputFormat::Yaml => SummaryFormat::Yaml,
        OutputFormat::Json => SummaryFormat::Json,
        OutputFormat::Npz => SummaryFormat::Npz,
    };
    output.save_plots = args.save_plots;
    let mut results = Results::default();
    // NLSQ: the method itself, or (cmc) the warm start unless one is given or refused.
    let fit_first =
        method != Method::Cmc || (args.nlsq_result.is_none() && !args.no_nlsq_warmstart);
    if fit_first {
        let result = analysis.fit_nlsq(&data, &terminal)?;
        if method != Method::Cmc {
            analysis.write_nlsq(&data, &result, &output, &terminal)?;
            out::stdout(&homodyne::io::summary_table(&result));
        }
        results.nlsq = Some(result);
    }
    if method == Method::Nlsq {
        return Ok(results);
    }
    let warm = match (&results.nlsq, &args.nlsq_result) {
        (_, Some(dir)) => WarmStartFrom::Folder(dir),
        (Some(r), None) => WarmStartFrom::Nlsq(r),
        (None, None) => WarmStartFrom::None,
    };
    let outcome = if analysis.cmc_settings()?.backend == "mpi" {
        homodyne_mpi::run_cmc(&analysis, &data, warm, &args.output_dir, &terminal)?
            .context("MPI rank 0 received no posterior")?
    } else {
        analysis.sample_cmc(&data, warm, Some(&args.output_dir), &terminal)?
    };
    let label = if method == Method::Both {
        "both"
    } else {
        "cmc"
    };
    analysis.write_cmc(&data, &outcome, &output, label, &terminal)?;
    out::stdout(&outcome.result.summary_table());
    if method == Method::Cmc {
        // The warm-start fit was a means, not a result of this run.
        results.nlsq = None;
    }
    results.cmc = Some(outcome.result);
    Ok(results)
}

/// Remove temporary files that crashed runs left in `dir` and watch it for this run's
/// (removed on SIGINT/SIGTERM).
pub(crate) fn prepare_folder(dir: &Path, started: SystemTime) {
    let removed = homodyne::io::clean_stale_temporaries(dir, started);
    if !removed.is_empty() {
        tracing::warn!(
            "removed {} temporary file(s) left in {} by an earlier interrupted run",
            removed.len(),
            dir.display()
        );
    }
    homodyne::io::watch_folder(dir);
}

/// The global worker pool with `n` threads.
pub(crate) fn rayon_pool(n: usize) -> std::result::Result<(), String> {
    homodyne::set_threads(n)
}

/// The configuration file, or (only for the default path, when it does not exist) the
/// built-in template of the requested mode, like the reference's generated default.
pub(crate) fn load_analysis(args: &RunArgs) -> Result<Analysis> {
    let overrides = overrides(args);
    if args.config.exists() {
        return Ok(Analysis::from_file(&args.config, overrides)?);
    }
    let mode = if args.laminar_flow {
        AnalysisMode::LaminarFlow
    } else {
        AnalysisMode::Static
    };
    tracing::warn!(
        "{} not found: using the built-in {mode} template (write one with \
         `homodyne-config --mode {mode}`)",
        args.config.display()
    );
    Ok(Analysis::from_template(mode, DEFAULT_CONFIG, overrides)?)
}
