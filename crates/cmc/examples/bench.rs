//! CMC bench (issue 12 acceptance): gradient evaluations per second and ESS-bulk per
//! second on simulated data, end to end (NLSQ warm start timed separately).
//!
//! Cases (200 frames at dt 0.1, noise sd 0.01 drawn on the upper triangle and mirrored):
//! - `static`: 3 angles, per-angle scaling individual, the reference's anchor settings
//!   4 chains x (150 + 250), 10 shards (target ≤ 30 s end to end on 2 cores);
//! - `static-k1`: the same on all the data (K = 1);
//! - `laminar`: 23 angles, one contrast/offset for all (averaged), gamma_dot_t_offset
//!   held at its truth, 2 chains x (100 + 100), K = 1 (target ≤ 60 s);
//! - `laminar-auto`: the same with `sharding: auto`;
//! - `laminar-long` (only with `--long`): 4 chains x (500 + 1500), K = auto
//!   (target ≤ 10 min).
//!
//! ```text
//! cargo run --release -p homodyne-cmc --example bench -- [CASE ...] [--long] [--threads N] [--seed S]
//! ```
//!
//! With no case named, runs `static static-k1 laminar laminar-auto` (and `laminar-long`
//! with `--long`). `scripts/bench_cmc.sh` wraps it and records the load average.

use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{fitter, nlsq_options, simulate, warm_start};
use homodyne_cmc::{CmcOptions, CmcResult, NoObserver, NutsOptions, Problem, ShardCount, sample};
use homodyne_model::ParameterSpace;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;

const N_T: usize = 200;

struct Spec {
    name: &'static str,
    mode: AnalysisMode,
    n_phi: usize,
    scaling: PerAngleMode,
    chains: usize,
    warmup: u64,
    samples: u64,
    shards: ShardCount,
    target_s: f64,
}

fn specs() -> Vec<Spec> {
    let st = |name, shards| Spec {
        name,
        mode: AnalysisMode::Static,
        n_phi: 3,
        scaling: PerAngleMode::Individual,
        chains: 4,
        warmup: 150,
        samples: 250,
        shards,
        target_s: 30.0,
    };
    let lam = |name, chains, warmup, samples, shards, target_s| Spec {
        name,
        mode: AnalysisMode::LaminarFlow,
        n_phi: 23,
        scaling: PerAngleMode::Averaged,
        chains,
        warmup,
        samples,
        shards,
        target_s,
    };
    vec![
        st("static", ShardCount::Shards(10)),
        st("static-k1", ShardCount::Shards(1)),
        lam("laminar", 2, 100, 100, ShardCount::Shards(1), 60.0),
        lam("laminar-auto", 2, 100, 100, ShardCount::Auto, 60.0),
        lam("laminar-long", 4, 500, 1500, ShardCount::Auto, 600.0),
    ]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn run(spec: &Spec, threads: usize, seed: u64) {
    println!(
        "\n=== {}: {} {} x {N_T}^2, {:?} scaling, {} chains x ({} + {}), shards {:?} \
         (load {}) ===",
        spec.name,
        spec.mode,
        spec.n_phi,
        spec.scaling,
        spec.chains,
        spec.warmup,
        spec.samples,
        spec.shards,
        load_average()
    );
    let started = Instant::now();
    let case = simulate(spec.mode, spec.n_phi, N_T, 11);
    let t_sim = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let fitter = fitter(&case, &nlsq_options(spec.scaling));
    let nlsq = fitter.fit();
    let t_nlsq = t.elapsed().as_secs_f64();
    println!(
        "simulate {t_sim:.2} s; NLSQ {t_nlsq:.2} s ({:?}, reduced chi2 {:.3}, {} params)",
        nlsq.convergence_status,
        nlsq.reduced_chi_squared,
        nlsq.fitted_vector.len()
    );
    let space = ParameterSpace::defaults(case.mode);
    let problem = Problem::from_fitter(&fitter, case.c2.view(), &space);
    let options = CmcOptions {
        nuts: NutsOptions {
            num_warmup: spec.warmup,
            num_samples: spec.samples,
            num_chains: spec.chains,
            seed,
            ..NutsOptions::default()
        },
        shards: spec.shards,
        combination: homodyne_mcmc::CombineMethod::RobustConsensusMc,
        combine: Default::default(),
        threads,
    };
    let t = Instant::now();
    let r: CmcResult = match sample(
        &problem,
        Some(&warm_start(&nlsq)),
        &options,
        None,
        &NoObserver,
    ) {
        Ok(r) => r,
        Err(e) => {
            println!("CMC FAILED after {:.1} s: {e}", t.elapsed().as_secs_f64());
            return;
        }
    };
    let t_cmc = t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let min_ess = r.min_ess_bulk();
    let saturated = r
        .sample_stats
        .tree_depth
        .iter()
        .filter(|&&d| d as u64 >= r.nuts.max_tree_depth)
        .count();
    println!(
        "K = {} ({}), CMC {t_cmc:.1} s, end to end {total:.1} s (target {} s: {})",
        r.num_shards,
        r.combination,
        spec.target_s,
        if total <= spec.target_s {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "gradients {} ({:.0}/s over CMC wall, {:.1} per kept draw); ESS-bulk min {:.0} \
         ({:.2}/s CMC, {:.2}/s end to end); max R-hat {:.4}; divergences {} of {}; \
         draws at max tree depth {saturated} (exact for K = 1; with K > 1 the shards' mean \
         depth); E-BFMI {:?}",
        r.gradient_evaluations,
        r.gradient_evaluations as f64 / t_cmc,
        r.gradient_evaluations as f64 / r.total_draws.max(1) as f64,
        min_ess,
        min_ess / t_cmc,
        min_ess / total,
        r.max_rhat(),
        r.divergences,
        r.total_draws,
        r.ebfmi
            .iter()
            .map(|v| (v * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    for s in &r.shards {
        println!(
            "  shard {:>2}: {} points, step {:.3}, steps/draw {:.1}, {} grads, {:.1} s, \
             max R-hat {:.3}, min ESS {:.0}, {} div{}",
            s.index,
            s.n_points,
            s.mean_step_size,
            s.mean_steps,
            s.gradient_evaluations,
            s.seconds,
            s.max_rhat,
            s.min_ess_bulk,
            s.divergences,
            s.dropped_reason
                .as_ref()
                .map(|d| format!(", DROPPED: {d}"))
                .unwrap_or_default()
        );
    }
    println!(
        "  {:>20} {:>13} {:>10} {:>13} {:>10} {:>7} {:>8} {:>8}",
        "parameter", "mean", "sd", "nlsq", "nlsq sd", "R-hat", "ESS", "ESS/s"
    );
    for (j, (name, s)) in r.names.iter().zip(&r.summaries).enumerate() {
        println!(
            "  {name:>20} {:>13.6e} {:>10.3e} {:>13.6e} {:>10.3e} {:>7.4} {:>8.0} {:>8.2}",
            s.mean,
            s.sd,
            nlsq.fitted_vector[j],
            nlsq.fitted_uncertainties[j],
            s.rhat,
            s.ess_bulk,
            s.ess_bulk / t_cmc
        );
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    println!(
        "SUMMARY {}: K={} nlsq_s={t_nlsq:.2} cmc_s={t_cmc:.1} total_s={total:.1} \
         grads_per_s={:.0} min_ess_bulk={min_ess:.0} ess_per_s={:.2} max_rhat={:.4} div={} \
         load=[{}]",
        spec.name,
        r.num_shards,
        r.gradient_evaluations as f64 / t_cmc,
        min_ess / t_cmc,
        r.max_rhat(),
        r.divergences,
        load_average()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let long = args.iter().any(|a| a == "--long");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let threads = value("--threads").unwrap_or(0) as usize;
    let seed = value("--seed").unwrap_or(42);
    let named: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            let is_value = *i > 0 && ["--threads", "--seed"].contains(&args[i - 1].as_str());
            !a.starts_with("--") && !is_value
        })
        .map(|(_, a)| a.as_str())
        .collect();
    let all = specs();
    for n in &named {
        if !all.iter().any(|s| s.name == *n) {
            eprintln!(
                "unknown case {n}; cases: {}",
                all.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            );
            std::process::exit(2);
        }
    }
    println!(
        "homodyne-cmc bench: {} rayon threads, load average {}",
        if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        load_average()
    );
    for spec in &all {
        let chosen = if named.is_empty() {
            spec.name != "laminar-long" || long
        } else {
            named.contains(&spec.name)
        };
        if chosen {
            run(spec, threads, seed);
        }
    }
}
