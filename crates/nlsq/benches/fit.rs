//! End-to-end fit timings (run with `cargo bench -p homodyne-nlsq`).
//!
//! Data are simulated with `g2_grid` plus seeded noise (not timed); each case is one
//! full fit from a start within a factor 2 of the truth. Targets: static 3 x 200 <= 2 s,
//! laminar 23 x 200 <= 5 s, laminar 23 x 1000 <= 60 s with peak RSS <= 1.5 GB (VmHWM).
//! Pass a substring to run only matching cases, e.g. `cargo bench -p homodyne-nlsq --
//! 1000`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, fit};

fn vm_hwm_mb() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn run(label: &str, truth: &[f64], n_phi: usize, n_t: usize, target_s: f64) {
    let case = simulate(truth, vec![0.2; n_phi], vec![1.0; n_phi], n_t, 7);
    let mode = AnalysisMode::from_n_physical(truth.len()).unwrap();
    let start = start_for(&case);
    let t0 = Instant::now();
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &ParameterBounds::defaults(mode),
        &NlsqOptions::default(),
    )
    .expect("fit");
    let elapsed = t0.elapsed().as_secs_f64();
    let worst_sigma = mode
        .physical_names()
        .iter()
        .zip(truth)
        .map(|(n, t)| {
            let (v, s) = r.get(n).unwrap();
            ((v - t) / s).abs()
        })
        .fold(0.0, f64::max);
    println!(
        "{label:<28} {elapsed:>8.3} s (target {target_s} s) status={} iter={} nfev={} njev={} \
         chi2r={:.4} worst|dev|={worst_sigma:.2} sigma strategy={} N={} P={}",
        r.convergence_status.as_str(),
        r.iterations,
        r.nfev,
        r.njev,
        r.reduced_chi_squared,
        r.strategy.strategy,
        r.n_points,
        r.n_free_params,
    );
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let cases: [(&str, &[f64], usize, usize, f64); 3] = [
        ("static 3 x 200", &STATIC_TRUTH, 3, 200, 2.0),
        ("laminar_flow 23 x 200", &LAMINAR_TRUTH, 23, 200, 5.0),
        ("laminar_flow 23 x 1000", &LAMINAR_TRUTH, 23, 1000, 60.0),
    ];
    println!("threads: {}", rayon::current_num_threads());
    for (label, truth, n_phi, n_t, target) in cases {
        if filter.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        run(label, truth, n_phi, n_t, target);
        if let Some(mb) = vm_hwm_mb() {
            println!(
                "{:<28} peak RSS (VmHWM) so far: {mb:.0} MB (target <= 1536 MB)",
                ""
            );
        }
    }
}
