//! The global search of an NLSQ fit (crate `homodyne-global`) configured from
//! `optimization.nlsq`: `global_search` (auto | off | multi_start | cmaes),
//! `multi_start.*`, `cmaes.*` and `anti_degeneracy.*`.

use homodyne_config::Loaded;
use homodyne_global::layers::{
    GradientMonitoring, Hierarchical, Regularization, Response, ShearWeighting,
};
use homodyne_global::{CmaesOptions, Layers, MultiStartOptions, Plan, Preset, Sampling, Trigger};

use crate::error::{Result, invalid};

/// The global-search plan of a configuration; `from_midpoints`: the physical start is
/// the bound midpoints (`values: null`).
pub(crate) fn plan(loaded: &Loaded, from_midpoints: bool) -> Result<Plan> {
    let n = &loaded.config.optimization.nlsq;
    let ms = &n.multi_start;
    let cm = &n.cmaes;
    let ad = &n.anti_degeneracy;
    let trigger = if cm.enable {
        if cm.auto_select {
            Trigger::AutoSelect(cm.scale_threshold)
        } else {
            Trigger::Cmaes
        }
    } else if ms.enable {
        Trigger::MultiStart
    } else {
        match n.global_search.trim().to_ascii_lowercase().as_str() {
            "auto" => Trigger::Auto,
            "off" | "false" | "none" | "no" => Trigger::Off,
            "multi_start" | "multistart" => Trigger::MultiStart,
            "cmaes" | "cma-es" => Trigger::Cmaes,
            other => {
                return Err(invalid!(
                    "optimization.nlsq.global_search: unknown value \"{other}\" \
                     (auto | off | multi_start | cmaes)"
                ));
            }
        }
    };
    let multi_start = MultiStartOptions {
        n_starts: ms.n_starts as usize,
        seed: ms.seed,
        sampling: Sampling::parse(&ms.sampling_strategy)
            .map_err(|e| invalid!("optimization.nlsq.multi_start.sampling_strategy: {e}"))?,
        use_screening: ms.use_screening,
        screen_keep_fraction: ms.screen_keep_fraction,
        refine_top_k: ms.refine_top_k as usize,
        degeneracy_threshold: ms.degeneracy_threshold,
    };
    let mut quick = MultiStartOptions::quick();
    quick.seed = ms.seed;
    quick.degeneracy_threshold = ms.degeneracy_threshold;
    let preset = Preset::parse(&cm.preset);
    let cmaes = CmaesOptions {
        preset,
        max_generations: cm.max_generations.map_or(100, |g| g as usize),
        sigma: cm.sigma,
        popsize: cm.popsize.map(|p| p as usize),
        tol_fun: cm.tol_fun,
        tol_x: cm.tol_x,
        bipop: cm.restart_strategy.eq_ignore_ascii_case("bipop"),
        max_restarts: cm.max_restarts as usize,
        seed: ms.seed,
        refine_with_nlsq: cm.refine_with_nlsq,
        degeneracy_threshold: ms.degeneracy_threshold,
        ..CmaesOptions::default()
    };
    let layers = Layers {
        disabled: !ad.enable,
        hierarchical: Hierarchical {
            enable: ad.hierarchical.enable,
            max_outer_iterations: ad.hierarchical.max_outer_iterations as usize,
            outer_tolerance: ad.hierarchical.outer_tolerance,
            physical_max_iterations: ad.hierarchical.physical_max_iterations as usize,
            per_angle_max_iterations: ad.hierarchical.per_angle_max_iterations as usize,
        },
        regularization: Regularization {
            enable: ad.regularization.enable,
            relative: !ad.regularization.mode.eq_ignore_ascii_case("absolute"),
            lambda: ad.regularization.lambda,
            target_cv: ad.regularization.target_cv,
            target_contribution: ad.regularization.target_contribution,
            auto_tune_lambda: ad.regularization.auto_tune_lambda,
        },
        gradient_monitoring: GradientMonitoring {
            enable: ad.gradient_monitoring.enable,
            ratio_threshold: ad.gradient_monitoring.ratio_threshold,
            consecutive_triggers: ad.gradient_monitoring.consecutive_triggers as usize,
            response: Response::parse(&ad.gradient_monitoring.response).map_err(|e| {
                invalid!("optimization.nlsq.anti_degeneracy.gradient_monitoring.response: {e}")
            })?,
        },
        shear_weighting: ShearWeighting {
            enable: ad.shear_weighting.enable,
            min_weight: ad.shear_weighting.min_weight,
            alpha: ad.shear_weighting.alpha,
            update_frequency: ad.shear_weighting.update_frequency as usize,
            normalize: ad.shear_weighting.normalize,
        },
    };
    Ok(Plan {
        trigger,
        from_midpoints,
        multi_start,
        quick,
        cmaes,
        cmaes_warmstart: cm.nlsq_warmstart,
        warmstart_auto_skip: cm.warmstart_auto_skip,
        warmstart_skip_threshold: cm.warmstart_skip_threshold,
        layers,
    })
}
