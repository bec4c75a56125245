//! Probe: NUTS on a simulated dataset, printing sampler behaviour.
#[path = "../tests/common/mod.rs"]
mod common;
use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let laminar = args.get(1).map(|s| s == "laminar").unwrap_or(true);
    let k: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let warm: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let draws: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(200);
    let case = if laminar {
        simulate(AnalysisMode::LaminarFlow, 8, 80, 12)
    } else {
        simulate(AnalysisMode::Static, 3, 100, 11)
    };
    let scaling = if laminar {
        PerAngleMode::Averaged
    } else {
        PerAngleMode::Individual
    };
    let f = fitter(&case, &nlsq_options(scaling));
    let t = std::time::Instant::now();
    let nlsq = f.fit();
    println!(
        "nlsq {:.2} s {:?} chi2r {:.3}",
        t.elapsed().as_secs_f64(),
        nlsq.convergence_status,
        nlsq.reduced_chi_squared
    );
    for (i, n) in nlsq.fitted_names.iter().enumerate() {
        println!(
            "  {n:>20} {:.6e} ± {:.3e}",
            nlsq.fitted_vector[i], nlsq.fitted_uncertainties[i]
        );
    }
    let t = std::time::Instant::now();
    let r = run(&case, &f, &nlsq, &options(k, 2, warm, draws, 7));
    println!(
        "cmc K={k}: {:.1} s, {} grads, {} divergences",
        t.elapsed().as_secs_f64(),
        r.gradient_evaluations,
        r.divergences
    );
    for s in &r.shards {
        println!(
            "  shard {}: step {:.3}, steps/draw {:.1}, grads {}, {:.1} s",
            s.index, s.mean_step_size, s.mean_steps, s.gradient_evaluations, s.seconds
        );
    }
    for (n, s) in r.names.iter().zip(&r.summaries) {
        println!(
            "  {n:>20} {:.6e} ± {:.3e}  rhat {:.3} ess {:.0}",
            s.mean, s.sd, s.rhat, s.ess_bulk
        );
    }
}
