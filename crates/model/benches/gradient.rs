//! Time of one value-and-gradient pass (what a CMC shard's log density calls) and one
//! normal-equations pass, in ns per point, best of many repetitions (steadier than a mean
//! on a busy machine): laminar flow, 9 parameters (averaged contrast/offset + 7 physical),
//! the unique pairs of an n_phi x n_t x n_t grid through the row walk and through an
//! extracted pair list ([`ShardData`]), sequential.
//! Run: `cargo bench -p homodyne-model --bench gradient -- [n_phi n_t reps]`.

use std::time::Instant;

use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{self, FitData, Linear, Sigma};
use homodyne_model::scaling::{AngleMap, ScalingKind};
use homodyne_model::{AnalysisMode, Experiment, Geometry, g2_grid};
use homodyne_model::{Par, PointSet, ShardData, TimePairs, Triangles};

fn best(reps: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut best = f64::INFINITY;
    let mut sink = 0.0;
    for _ in 0..reps {
        let t = Instant::now();
        sink += f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    best
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_phi = args.first().copied().unwrap_or(23);
    let n_t = args.get(1).copied().unwrap_or(200);
    let reps = args.get(2).copied().unwrap_or(100);
    let dt = 0.1;
    let phi: Vec<f64> = (0..n_phi)
        .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
        .collect();
    let exp = Experiment::new(
        Geometry {
            wavevector_q: 0.0054 / 10f64.sqrt(),
            stator_rotor_gap: 2e6 / 10f64.sqrt(),
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        phi.clone(),
    )
    .unwrap();
    let params = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];
    let (contrast, offset) = (vec![0.17; n_phi], vec![1.0; n_phi]);
    let mut c2 = g2_grid(&exp, &params, &contrast, &offset).unwrap();
    for (k, v) in c2.iter_mut().enumerate() {
        *v += 0.01 * (((k * 7919) % 17) as f64 - 8.0) / 8.0;
    }
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
    let start: Vec<f64> = params.iter().map(|p| p * 1.2).collect();
    let x = layout.encode(&start, &contrast, &offset);
    let sigma = vec![0.01; n_phi];
    let data = FitData::new(&exp, c2.view(), Sigma::PerAngle(&sigma)).unwrap();
    let shard = ShardData::extract(&data, TimePairs::all(n_t), Triangles::Upper).unwrap();
    let rows = PointSet::unique_pairs(n_t);
    let n = (n_phi * n_t * (n_t - 1) / 2) as f64;
    let ns = |secs: f64| secs * 1e9 / n;
    let vg_rows = best(reps, || {
        normal::value_and_gradient(&exp, &layout, &data, &x, &rows, &Linear, Par::Seq)
            .unwrap()
            .chi2
    });
    let vg_pairs = best(reps, || {
        normal::value_and_gradient(
            &exp,
            &layout,
            &shard,
            &x,
            &shard.points(),
            &Linear,
            Par::Seq,
        )
        .unwrap()
        .chi2
    });
    let ne_rows = best(reps.div_ceil(4), || {
        normal::normal_equations_over(&exp, &layout, &data, &x, &rows, &Linear, Par::Seq)
            .unwrap()
            .chi2
    });
    let cost_rows = best(reps.div_ceil(4), || {
        normal::cost_over(&exp, &layout, &data, &x, &rows, &Linear, Par::Seq)
            .unwrap()
            .chi2
    });
    println!(
        "{n_phi} x {n_t}: value+gradient rows {:.1} ns/pt, pair list {:.1} ns/pt; normal equations rows {:.1} ns/pt; cost rows {:.1} ns/pt (best of {reps})",
        ns(vg_rows),
        ns(vg_pairs),
        ns(ne_rows),
        ns(cost_rows)
    );
}
