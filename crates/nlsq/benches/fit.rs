//! End-to-end fit timings (run with `cargo bench -p homodyne-nlsq --bench fit`).
//!
//! Data are simulated with `g2_grid` plus seeded noise (not timed); each case is one
//! full fit from a start within a factor 2 of the truth, or (`template start`) from the
//! bound midpoints, the configuration template's `values: null`. Targets: static 3 x 200
//! <= 2 s, laminar 23 x 200 <= 5 s, laminar 23 x 1000 <= 60 s with peak RSS <= 1.5 GB
//! (VmHWM); 25 x 2000 x 2000 (100 M points) runs only when asked for (`-- 2000`). Pass a
//! substring to run only matching cases, e.g. `cargo bench -p
//! homodyne-nlsq --bench fit -- 1000`; `--no-coarse` turns the coarse stage of large
//! fits off (`NlsqOptions::coarse`), `--coarse-target N` sets its target point count,
//! `--start v1,v2,...` replaces the physical start values of the matching cases.
//! Times are wall-clock; `cpu` is the process CPU time of the fit (all threads).
//! `RUST_LOG=debug` prints every solver iteration on stderr.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::*;
use homodyne_model::params::AnalysisMode;
use homodyne_nlsq::{NlsqOptions, ParameterBounds, fit, initial_values};

fn vm_hwm_mb() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Process CPU time (user + system, all threads) in seconds, from /proc (10 ms ticks).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

struct Bench {
    label: &'static str,
    truth: &'static [f64],
    n_phi: usize,
    n_t: usize,
    template_start: bool,
    target_s: f64,
}

fn run(b: &Bench, options: &NlsqOptions, custom: Option<&[f64]>) {
    let (label, truth, target_s) = (b.label, b.truth, b.target_s);
    let case = simulate(truth, vec![0.2; b.n_phi], vec![1.0; b.n_phi], b.n_t, 7);
    let mode = AnalysisMode::from_n_physical(truth.len()).unwrap();
    let bounds = ParameterBounds::defaults(mode);
    let start = if let Some(physical) = custom.filter(|p| p.len() == truth.len()) {
        initial_values(
            &case.experiment,
            case.c2.view(),
            mode,
            Some(physical),
            None,
            &bounds,
        )
        .unwrap()
    } else if b.template_start {
        initial_values(&case.experiment, case.c2.view(), mode, None, None, &bounds).unwrap()
    } else {
        start_for(&case)
    };
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let r = fit(
        &case.experiment,
        case.c2.view(),
        None,
        &start,
        &bounds,
        options,
    )
    .expect("fit");
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let worst_sigma = mode
        .physical_names()
        .iter()
        .zip(truth)
        .map(|(n, t)| {
            let (v, s) = r.get(n).unwrap();
            ((v - t) / s).abs()
        })
        .fold(0.0, f64::max);
    let coarse = r.coarse_stage.as_ref().map_or("off".to_string(), |c| {
        format!(
            "{} iter on {} points (stride {}) {:.2} s",
            c.iterations, c.n_points, c.stride, c.seconds
        )
    });
    println!(
        "{label:<36} {elapsed:>8.3} s (cpu {cpu:.2} s; target {target_s} s) status={} iter={} \
         nfev={} njev={} chi2r={:.4} worst|dev|={worst_sigma:.2} sigma strategy={} N={} P={} \
         coarse: {coarse}",
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
    // Solver iterations on stderr with RUST_LOG=debug.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = NlsqOptions::default();
    let mut filter = None;
    let mut custom: Option<Vec<f64>> = None;
    let mut k = 0;
    while k < args.len() {
        match args[k].as_str() {
            "--no-coarse" => options.coarse.enabled = false,
            "--start" => {
                k += 1;
                custom = Some(
                    args[k]
                        .split(',')
                        .map(|v| v.parse().expect("--start v1,v2,..."))
                        .collect::<Vec<f64>>(),
                );
            }
            "--coarse-target" => {
                k += 1;
                options.coarse.target_points = args[k].parse().expect("--coarse-target N");
            }
            a if !a.starts_with('-') => filter = Some(a.to_string()),
            _ => {}
        }
        k += 1;
    }
    let case = |label, truth, n_phi, n_t, template_start, target_s| Bench {
        label,
        truth,
        n_phi,
        n_t,
        template_start,
        target_s,
    };
    let cases = [
        case("static 3 x 200", &STATIC_TRUTH[..], 3, 200, false, 2.0),
        case(
            "laminar_flow 23 x 200",
            &LAMINAR_TRUTH[..],
            23,
            200,
            false,
            5.0,
        ),
        case(
            "laminar_flow 23 x 1000",
            &LAMINAR_TRUTH[..],
            23,
            1000,
            false,
            10.0,
        ),
        case(
            "laminar_flow 23 x 1000 template start",
            &LAMINAR_TRUTH[..],
            23,
            1000,
            true,
            20.0,
        ),
        // 100 M points, 1.6 GB while simulating: only when asked for (`-- 2000`).
        case(
            "laminar_flow 25 x 2000 (100 M points)",
            &LAMINAR_TRUTH[..],
            25,
            2000,
            false,
            60.0,
        ),
    ];
    println!("threads: {}", rayon::current_num_threads());
    for b in &cases {
        let opt_in = b.n_t >= 2000;
        let selected = match filter.as_deref() {
            Some(f) => b.label.contains(f),
            None => !opt_in,
        };
        if !selected {
            continue;
        }
        run(b, &options, custom.as_deref());
        if let Some(mb) = vm_hwm_mb() {
            println!(
                "{:<28} peak RSS (VmHWM) so far: {mb:.0} MB (target <= 1536 MB)",
                ""
            );
        }
    }
}
