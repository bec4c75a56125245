//! Model benchmark on the reference's large case: laminar_flow, 23 angles x 1000 x 1000.
//!
//! Reports the time for g2 on the full grid and for one pass computing chi^2, J^T J and
//! J^T r with 9 parameters (7 physical + averaged contrast/offset) and with 53
//! (individual per-angle scaling), chi^2 alone and chi^2 + J^T r (the likelihood
//! gradient), the same pass on the data held as float32, plus peak memory (VmHWM).
//! Times are wall-clock, best of 3; `cpu` is the process CPU time of that run (all
//! threads), steadier than wall time on a busy machine.
//! Run: `cargo bench -p homodyne-model --bench model` (add `-- --frames 500` for a
//! smaller grid).

use std::time::Instant;

use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{self, FitData, Linear, Sigma};
use homodyne_model::scaling::{AngleMap, ScalingKind};
use homodyne_model::{AnalysisMode, Experiment, Geometry, g2_grid};
use homodyne_model::{Par, PointSet};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Process CPU time (user + system, all threads) in seconds, from /proc (10 ms ticks).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// Best wall time of `reps` runs, the CPU time of that run, and the last result.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> ((f64, f64), T) {
    let mut best = (f64::INFINITY, f64::NAN);
    let mut out = None;
    for _ in 0..reps {
        drop(out.take()); // free the previous result so peak memory reflects one evaluation
        let cpu = cpu_seconds();
        let start = Instant::now();
        let v = f();
        let wall = start.elapsed().as_secs_f64();
        if wall < best.0 {
            best = (wall, cpu_seconds() - cpu);
        }
        out = Some(v);
    }
    (best, out.unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(1000usize);
    let n_phi = 23;
    let dt = 0.1;
    let t: Vec<f64> = (1..=frames).map(|k| k as f64 * dt).collect();
    let phi: Vec<f64> = (0..n_phi)
        .map(|k| -180.0 + 360.0 * k as f64 / n_phi as f64)
        .collect();
    let exp = Experiment::new(
        Geometry {
            wavevector_q: 0.0054,
            stator_rotor_gap: 2e6,
            dt,
        },
        t,
        phi.clone(),
    )
    .unwrap();
    let params = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, 6e-4, 2.0];
    let contrast = vec![0.2; n_phi];
    let offset = vec![1.0; n_phi];
    let (g2_time, c2) = best_of(3, || g2_grid(&exp, &params, &contrast, &offset).unwrap());
    let data_mb = (c2.len() * 8) as f64 / 1e6;
    println!(
        "grid: laminar_flow {n_phi} angles x {frames} x {frames} = {:.1} M points ({data_mb:.0} MB), {} threads",
        c2.len() as f64 / 1e6,
        rayon::current_num_threads()
    );
    println!("g2 full grid: {:.3} s (cpu {:.2} s)", g2_time.0, g2_time.1);
    let data = FitData::new(&exp, c2.view(), Sigma::Uniform(0.01)).unwrap();
    for kind in [ScalingKind::Averaged, ScalingKind::Individual] {
        let layout = ParameterLayout::new(
            AnalysisMode::LaminarFlow,
            kind,
            AngleMap::for_kind(kind, &phi, &contrast),
            AngleMap::for_kind(kind, &phi, &offset),
            &params,
            &[false; 7],
        )
        .unwrap();
        let mut start = params.to_vec();
        start[0] *= 1.1;
        let x = layout.encode(&start, &contrast, &offset);
        let (secs, ne) = best_of(3, || {
            normal::normal_equations(&exp, &layout, &data, &x, 0..frames, &Linear).unwrap()
        });
        let (cost_secs, _) = best_of(3, || {
            normal::cost(&exp, &layout, &data, &x, 0..frames, &Linear).unwrap()
        });
        let points = PointSet::all(frames);
        let (grad_secs, _) = best_of(3, || {
            normal::value_and_gradient(&exp, &layout, &data, &x, &points, &Linear, Par::rayon(0))
                .unwrap()
        });
        println!(
            "chi2 + JtJ + Jtr pass, {} params ({}): {:.3} s (cpu {:.2} s)  (chi2 only: {:.3} s, cpu {:.2} s; chi2 + Jtr: {:.3} s, cpu {:.2} s; {} points)",
            layout.n_params(),
            kind.as_str(),
            secs.0,
            secs.1,
            cost_secs.0,
            cost_secs.1,
            grad_secs.0,
            grad_secs.1,
            ne.n_points
        );
    }
    let peak_f64 = peak_rss_mb();
    // The same values as float32 (as APS files store them): half the memory, same sums.
    let c2_32 = c2.mapv(|v| v as f32);
    drop(c2);
    let data32 = FitData::new_f32(&exp, c2_32.view(), Sigma::Uniform(0.01)).unwrap();
    let kind = ScalingKind::Averaged;
    let layout = ParameterLayout::new(
        AnalysisMode::LaminarFlow,
        kind,
        AngleMap::for_kind(kind, &phi, &contrast),
        AngleMap::for_kind(kind, &phi, &offset),
        &params,
        &[false; 7],
    )
    .unwrap();
    let mut start = params.to_vec();
    start[0] *= 1.1;
    let x = layout.encode(&start, &contrast, &offset);
    let points = PointSet::all(frames);
    let (secs, _) = best_of(3, || {
        normal::normal_equations_over(&exp, &layout, &data32, &x, &points, &Linear, Par::rayon(0))
            .unwrap()
    });
    println!(
        "chi2 + JtJ + Jtr pass on float32 data, 9 params: {:.3} s (cpu {:.2} s), data {:.0} MB",
        secs.0,
        secs.1,
        data_mb / 2.0
    );
    println!(
        "peak RSS: {peak_f64:.0} MB ({:.2}x the {data_mb:.0} MB of f64 data) before the float32 copy",
        peak_f64 / data_mb
    );
}
