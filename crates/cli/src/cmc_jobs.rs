//! CMC as separate jobs (`homodyne cmc plan | shard | combine`): for schedulers' job
//! arrays (PBS `-J`, Slurm `--array`) without MPI. The plan fixes the warm start and the
//! shard count; every task rebuilds the same problem from the configuration, so shards
//! sampled anywhere combine into the same bytes as one local run.

use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use homodyne::io::RunFolder;
use homodyne::{Analysis, CmcPlan, SummaryFormat, WarmStartFrom};

use crate::args::{CmcCommand, CombineArgs, OutputFormat, RunArgs, ShardArgs};
use crate::logging;
use crate::out;
use crate::progress::Terminal;
use crate::run::{Outcome, load_analysis, note_compatibility_flags, prepare_folder, rayon_pool};

pub fn run(command: &CmcCommand) -> Result<ExitCode> {
    match command {
        CmcCommand::Plan(args) => plan(args).map(|()| ExitCode::SUCCESS),
        CmcCommand::Shard(args) => shard(args).map(|()| ExitCode::SUCCESS),
        CmcCommand::Combine(args) => combine(args),
    }
}

fn plan(args: &RunArgs) -> Result<()> {
    std::fs::create_dir_all(&args.output_dir).with_context(|| {
        format!(
            "cannot create output directory {}",
            args.output_dir.display()
        )
    })?;
    logging::init(
        args.verbose,
        args.quiet,
        Some(&args.output_dir.join("homodyne.log")),
    );
    note_compatibility_flags(args);
    if let Some(n) = args.threads {
        let _ = rayon_pool(n);
    }
    prepare_folder(&args.output_dir, SystemTime::now());
    let analysis = load_analysis(args)?;
    let terminal = Terminal::default();
    let data = analysis.load(Some(&args.output_dir), &terminal)?;
    let nlsq = if args.nlsq_result.is_none() && !args.no_nlsq_warmstart {
        Some(analysis.fit_nlsq(&data, &terminal)?)
    } else {
        None
    };
    let warm = match (&nlsq, &args.nlsq_result) {
        (_, Some(dir)) => WarmStartFrom::Folder(dir),
        (Some(r), None) => WarmStartFrom::Nlsq(r),
        (None, None) => WarmStartFrom::None,
    };
    let plan = analysis.plan_cmc(&data, warm, &args.output_dir, &terminal)?;
    out::stdout(&format!(
        "plan written to {}\n{} shards\n",
        CmcPlan::path(&args.output_dir).display(),
        plan.num_shards
    ));
    Ok(())
}

/// The plan's analysis (configuration + overrides as planned) and its data.
fn planned(output_dir: &std::path::Path) -> Result<(CmcPlan, Analysis)> {
    let plan = CmcPlan::read(output_dir)?;
    let analysis = Analysis::from_file(&plan.config, plan.overrides.clone())
        .with_context(|| format!("the plan's configuration {}", plan.config.display()))?;
    Ok((plan, analysis))
}

/// `I`, `A-B`, or the scheduler's array index.
fn indices(text: Option<&str>) -> Result<Vec<usize>> {
    let text = match text {
        Some(t) => t.to_string(),
        None => match ["PBS_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"]
            .iter()
            .find_map(|k| std::env::var(k).ok())
        {
            Some(v) => v,
            None => bail!(
                "no shard index: give --index I (or A-B), or run as a job-array task \
                 ($PBS_ARRAY_INDEX or $SLURM_ARRAY_TASK_ID)"
            ),
        },
    };
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| anyhow::anyhow!("--index {text}: '{s}' is not a shard number"))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (parse(a)?, parse(b)?);
            if a > b {
                bail!("--index {text}: the range is empty");
            }
            Ok((a..=b).collect())
        }
        None => Ok(vec![parse(&text)?]),
    }
}

fn shard(args: &ShardArgs) -> Result<()> {
    logging::init_console(args.verbose, args.quiet);
    if let Some(n) = args.threads {
        let _ = rayon_pool(n);
    }
    let wanted = indices(args.index.as_deref())?;
    let (plan, analysis) = planned(&args.output_dir)?;
    if let Some(&bad) = wanted.iter().find(|&&i| i >= plan.num_shards) {
        bail!(
            "shard {bad} does not exist: the plan in {} has {} shards (0 to {})",
            args.output_dir.display(),
            plan.num_shards,
            plan.num_shards - 1
        );
    }
    // Temporary files of this task are removed if it is killed.
    homodyne::io::watch_folder(&args.output_dir.join("cmc").join("shards"));
    let terminal = Terminal::default();
    let data = analysis.load(None, &terminal)?;
    let done = analysis.sample_cmc_shards(&data, &plan, &wanted, &args.output_dir, &terminal)?;
    out::stdout(&format!(
        "shards {done:?} of {} finished\n",
        plan.num_shards
    ));
    Ok(())
}

fn combine(args: &CombineArgs) -> Result<ExitCode> {
    logging::init(
        args.verbose,
        args.quiet,
        Some(&args.output_dir.join("homodyne.log")),
    );
    if let Some(n) = args.threads {
        let _ = rayon_pool(n);
    }
    let (plan, analysis) = planned(&args.output_dir)?;
    let folder = RunFolder::begin(&args.output_dir)?;
    let terminal = Terminal::default();
    let data = analysis.load(None, &terminal)?;
    let outcome = analysis.combine_cmc(
        &data,
        &plan,
        &args.output_dir,
        args.allow_missing,
        &terminal,
    )?;
    let mut output = analysis.output_options(&args.output_dir);
    output.summary_format = match args.output_format {
        OutputFormat::Yaml => SummaryFormat::Yaml,
        OutputFormat::Json => SummaryFormat::Json,
        OutputFormat::Npz => SummaryFormat::Npz,
    };
    analysis.write_cmc(&data, &outcome, &output, "cmc", &terminal)?;
    folder.finish()?;
    out::stdout(&outcome.result.summary_table());
    let verdict = Outcome::of_cmc(&outcome.result);
    Ok(verdict.exit_code(args.accept_poor_fit))
}
