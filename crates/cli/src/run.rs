//! The main analysis run: configuration -> data -> (plots) -> fit -> result files.
//! The method dispatch is where CMC plugs in: each method writes its own folder.

use std::time::Instant;

use std::path::Path;

use anyhow::{Context, Result, bail};
use homodyne_config::Loaded;
use homodyne_data::{XpcsData, exclude_t0};
use homodyne_model::{AnalysisMode, Experiment, Geometry};
use homodyne_nlsq::{InitialValues, NlsqResult};

use crate::args::{Method, RunArgs, default_angles, parse_angles};
use crate::progress::Stage;
use crate::{logging, nlsq_output, plots, quality, setup};

/// Everything a method needs after loading.
pub struct Prepared<'a> {
    pub args: &'a RunArgs,
    pub loaded: &'a Loaded,
    pub mode: AnalysisMode,
    /// Data as loaded (t from 0, diagonal corrected, angles filtered).
    pub data: &'a XpcsData,
}

pub fn run(args: &RunArgs) -> Result<()> {
    let plots_only =
        (args.plot_experimental_data || args.plot_simulated_data) && args.method.is_none();
    let method = args.method.unwrap_or(Method::Nlsq);
    if !plots_only && method != Method::Nlsq {
        bail!(
            "--method {} is not available in this version yet (CMC is being ported); \
             use --method nlsq",
            if method == Method::Cmc { "cmc" } else { "both" }
        );
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
    logging::init(
        args.verbose,
        args.quiet,
        Some(&args.output_dir.join("homodyne.log")),
    );
    if let Some(n) = args.threads {
        // Ignore the error raised when a pool already exists (tests calling twice).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let mut loaded = load_config(args)?;
    for warning in setup::apply_overrides(&mut loaded.config, args) {
        tracing::warn!("{warning}");
    }
    let mode = setup::mode_of(&loaded.config);
    tracing::info!("configuration {} ({mode} mode)", args.config.display());

    if args.plot_simulated_data {
        plot_simulated(args, &loaded, mode)?;
        if plots_only && !args.plot_experimental_data {
            return Ok(());
        }
    }
    let options = setup::load_options(&loaded.config, &args.config, args.data_file.as_deref())?;
    let stage = Stage::start(&format!("loading {}", options.data_path.display()));
    let mut data = homodyne_data::load_xpcs_data(&options)?;
    stage.finish(&format!(
        "loaded {} angles x {} frames (q = {:.5} 1/A)",
        data.n_angles(),
        data.n_times(),
        data.q()
    ));
    quality::apply(&loaded, &mut data, &args.output_dir)?;
    if args.plot_experimental_data {
        plots::experimental(&args.output_dir.join("plots"), &data)?;
    }
    if plots_only {
        return Ok(());
    }
    let prepared = Prepared {
        args,
        loaded: &loaded,
        mode,
        data: &data,
    };
    let result = run_nlsq(&prepared)?;
    nlsq_output::write_all(&prepared, &result)?;
    nlsq_output::print_summary(&result);
    Ok(())
}

/// Fit the data (after t=0 exclusion) with NLSQ.
pub fn run_nlsq(p: &Prepared) -> Result<NlsqResult> {
    let cfg = &p.loaded.config;
    let fit_data = if p.data.n_times() >= 2 {
        exclude_t0(p.data)
    } else {
        p.data.clone()
    };
    let experiment = experiment_for(cfg, p.mode, &fit_data)?;
    let bounds = setup::parameter_bounds(cfg, p.mode);
    let iv = cfg.initial_values();
    // `values: null` (and no --initial-* override): bound midpoints (DECISIONS 7).
    let physical = (!iv.from_midpoints).then(|| cfg.initial_physical());
    let mut fixed = vec![false; p.mode.n_physical()];
    for (k, name) in p.mode.physical_names().iter().enumerate() {
        fixed[k] = iv.fixed.contains_key(*name);
    }
    let physical = match physical {
        Some(v) => Some(v),
        // Fixed parameters still need their values when the rest starts at midpoints.
        None if fixed.iter().any(|&f| f) => Some(cfg.initial_physical()),
        None => None,
    };
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
    let mut initial: InitialValues = homodyne_nlsq::initial_values(
        &experiment,
        fit_data.c2_exp.view(),
        p.mode,
        physical.as_deref(),
        scaling,
        &bounds,
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
    initial.fixed = fixed;
    let options = setup::nlsq_options(p.loaded, p.args)?;
    let stage = Stage::start(&format!(
        "NLSQ fit: {} angles x {} x {} points",
        experiment.n_phi(),
        experiment.n_t(),
        experiment.n_t()
    ));
    let started = Instant::now();
    let result = homodyne_nlsq::fit(
        &experiment,
        fit_data.c2_exp.view(),
        None,
        &initial,
        &bounds,
        &options,
    )?;
    stage.finish(&format!(
        "NLSQ {} after {} iterations in {:.2} s (reduced chi2 {:.4}, {})",
        result.convergence_status.as_str(),
        result.iterations,
        started.elapsed().as_secs_f64(),
        result.reduced_chi_squared,
        result.strategy.reason
    ));
    if !result.success() {
        tracing::warn!("NLSQ did not converge: {}", result.message);
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
                result.per_angle_mode
            );
        }
    }
    Ok(result)
}

/// The reference's default configuration path.
const DEFAULT_CONFIG: &str = "./homodyne_config.yaml";

/// The configuration file, or (only for the default path, when it does not exist) the
/// built-in template of the requested mode, like the reference's generated default.
fn load_config(args: &RunArgs) -> Result<Loaded> {
    if args.config.exists() {
        return Ok(homodyne_config::load_file(&args.config)?);
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
    let text = homodyne_config::template(mode);
    Ok(homodyne_config::load_str(
        text,
        homodyne_config::Format::Yaml,
        DEFAULT_CONFIG,
    )?)
}

/// The experiment (geometry, time grid, angles) of loaded data.
pub fn experiment_for(
    cfg: &homodyne_config::Config,
    mode: AnalysisMode,
    data: &XpcsData,
) -> Result<Experiment> {
    Ok(Experiment::new(
        Geometry {
            wavevector_q: data.q(),
            stator_rotor_gap: gap_for(cfg, mode),
            dt: data.dt,
        },
        data.t1.to_vec(),
        data.phi_angles_list.to_vec(),
    )?)
}

fn plot_simulated(args: &RunArgs, loaded: &Loaded, mode: AnalysisMode) -> Result<()> {
    let cfg = &loaded.config;
    let phi = match &args.phi_angles {
        Some(text) => parse_angles(text).map_err(anyhow::Error::msg)?,
        None => default_angles(),
    };
    let n = if cfg.end_frame() >= cfg.start_frame() {
        (cfg.end_frame() - cfg.start_frame() + 1) as usize
    } else {
        bail!(
            "{}: analyzer_parameters.end_frame must be >= start_frame to simulate",
            args.config.display()
        );
    };
    setup::check_grid_memory(phi.len(), n)?;
    let gap = gap_for(cfg, mode);
    let t = Experiment::uniform_times(n, cfg.dt());
    let experiment = Experiment::new(
        Geometry {
            wavevector_q: cfg.wavevector_q(),
            stator_rotor_gap: gap,
            dt: cfg.dt(),
        },
        t.clone(),
        phi.clone(),
    )?;
    let physical = cfg.initial_physical();
    let n_phi = phi.len();
    let c2 = homodyne_model::g2_grid(
        &experiment,
        &physical,
        &vec![args.contrast; n_phi],
        &vec![args.offset; n_phi],
    )?;
    plots::simulated(&args.output_dir.join("plots"), &c2, &t, &phi)
}

/// The stator-rotor gap; static mode never uses it, so any positive value keeps the
/// geometry valid.
fn gap_for(cfg: &homodyne_config::Config, mode: AnalysisMode) -> f64 {
    match mode {
        AnalysisMode::LaminarFlow => cfg.stator_rotor_gap(),
        AnalysisMode::Static => cfg.stator_rotor_gap().max(1.0),
    }
}
