//! Time one value-and-gradient pass: full data through the row walk vs the same points as
//! an extracted pair list (what a shard holds).
#[path = "../tests/common/mod.rs"]
mod common;
use common::*;
use homodyne_model::normal::{Linear, value_and_gradient};
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_model::{FitData, Par, PointSet, ShardData, Sigma, TimePairs, Triangles};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_phi: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let n_t: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(80);
    let case = simulate(AnalysisMode::LaminarFlow, n_phi, n_t, 12);
    let f = fitter(&case, &nlsq_options(PerAngleMode::Averaged));
    let p = f.problem();
    let sigma = vec![0.01; n_phi];
    let data = FitData::new(&case.experiment, case.c2.view(), Sigma::PerAngle(&sigma)).unwrap();
    let x = f.start().to_vec();
    let reps = 200;
    let t = std::time::Instant::now();
    let mut s = 0.0;
    for _ in 0..reps {
        s += value_and_gradient(
            p.experiment(),
            p.layout(),
            &data,
            &x,
            &PointSet::unique_pairs(n_t),
            &Linear,
            Par::Seq,
        )
        .unwrap()
        .chi2;
    }
    let rows = t.elapsed().as_secs_f64() / reps as f64;
    let shard = ShardData::extract(&data, TimePairs::all(n_t), Triangles::Upper).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..reps {
        s += value_and_gradient(
            p.experiment(),
            p.layout(),
            &shard,
            &x,
            &shard.points(),
            &Linear,
            Par::Seq,
        )
        .unwrap()
        .chi2;
    }
    let pairs = t.elapsed().as_secs_f64() / reps as f64;
    let n = n_phi * n_t * (n_t - 1) / 2;
    println!(
        "{n} points: rows {:.3} ms ({:.1} ns/pt), pair list {:.3} ms ({:.1} ns/pt) [{s:.3e}]",
        rows * 1e3,
        rows * 1e9 / n as f64,
        pairs * 1e3,
        pairs * 1e9 / n as f64
    );
}
