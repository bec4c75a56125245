//! Timings of the global search (issue 14 bench): the default configuration from
//! `values: null` on simulated laminar data, 8 x 80^2 with the wide bounds (target
//! <= 10 s) and the reference's 23 x 200^2 case with the template bounds (target <= 60
//! s), per-angle mode auto and individual (53 parameters).
//!
//!     cargo run --release -p homodyne-global --example bench_global -- [threads] [repeats]
//!
//! Prints one line per case: the best of `repeats` wall times, the method, starts,
//! basins, reduced chi^2 and the worst |fitted - truth| / sigma.

use std::time::Instant;

use homodyne_global::{Plan, Rng};
use homodyne_model::params::{AnalysisMode, Bounds};
use homodyne_model::scaling::PerAngleMode;
use homodyne_model::{Experiment, Geometry, g2_grid};
use homodyne_nlsq::{NlsqOptions, ParameterBounds, initial_values};
use ndarray::Array3;

fn simulate(truth: &[f64], n_phi: usize, n_t: usize, seed: u64) -> (Experiment, Array3<f64>) {
    let dt = 0.1;
    let experiment = Experiment::new(
        Geometry {
            wavevector_q: 0.0054 / 10f64.sqrt(),
            stator_rotor_gap: 2e6 / 10f64.sqrt(),
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        (0..n_phi)
            .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
            .collect(),
    )
    .unwrap();
    let mut c2 = g2_grid(&experiment, truth, &vec![0.2; n_phi], &vec![1.0; n_phi]).unwrap();
    let mut rng = Rng::new(seed);
    c2.iter_mut().for_each(|v| *v += 0.01 * rng.normal());
    for a in 0..n_phi {
        for i in 0..n_t {
            for j in 0..i {
                c2[[a, i, j]] = c2[[a, j, i]];
            }
        }
    }
    (experiment, c2)
}

struct Case {
    name: &'static str,
    truth: Vec<f64>,
    n_phi: usize,
    n_t: usize,
    seed: u64,
    bounds: ParameterBounds,
    mode: PerAngleMode,
    target_s: f64,
}

fn run(case: &Case, repeats: usize) {
    let (experiment, c2) = simulate(&case.truth, case.n_phi, case.n_t, case.seed);
    let initial = initial_values(
        &experiment,
        c2.view(),
        AnalysisMode::LaminarFlow,
        None,
        None,
        &case.bounds,
    )
    .unwrap();
    let options = NlsqOptions {
        per_angle_mode: case.mode,
        ..Default::default()
    };
    let plan = Plan {
        from_midpoints: true,
        ..Default::default()
    };
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        let r = homodyne_global::fit(
            &experiment,
            c2.view(),
            None,
            &initial,
            &case.bounds,
            &options,
            &plan,
            None,
            &|_| {},
        )
        .unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    let r = last.unwrap();
    let worst = (0..7)
        .map(|k| (r.physical[k] - case.truth[k]).abs() / r.physical_uncertainty[k])
        .fold(0.0, f64::max);
    let (method, starts, basins) = r.global_search.as_ref().map_or(("local", 0, 0), |g| {
        (g.method.as_str(), g.n_starts, g.basins.len())
    });
    println!(
        "{:<34} {:>7.2} s (target <= {:>3.0} s) {:<11} {:>3} starts {:>2} basins, {} params, \
         reduced chi2 {:.4}, worst |z| {:.2}",
        case.name,
        best,
        case.target_s,
        method,
        starts,
        basins,
        r.fitted_vector.len(),
        r.reduced_chi_squared,
        worst
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut wide = ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    wide.physical[0] = Bounds::new(1e2, 1e6);
    wide.physical[3] = Bounds::new(1e-6, 0.5);
    let template = ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    let reference = vec![6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];
    let cases = [
        Case {
            name: "8 x 80^2 laminar, wide bounds",
            truth: vec![1.5e4, -0.8, 50.0, 2e-3, -0.2, 0.0, 4.0],
            n_phi: 8,
            n_t: 80,
            seed: 808,
            bounds: wide,
            mode: PerAngleMode::Auto,
            target_s: 10.0,
        },
        Case {
            name: "23 x 200^2 reference, auto",
            truth: reference.clone(),
            n_phi: 23,
            n_t: 200,
            seed: 2323,
            bounds: template.clone(),
            mode: PerAngleMode::Auto,
            target_s: 60.0,
        },
        Case {
            name: "23 x 200^2 reference, individual",
            truth: reference,
            n_phi: 23,
            n_t: 200,
            seed: 2323,
            bounds: template,
            mode: PerAngleMode::Individual,
            target_s: 60.0,
        },
    ];
    println!("global search bench: {threads} threads, best of {repeats}");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        for c in &cases {
            run(c, repeats);
        }
    });
}
