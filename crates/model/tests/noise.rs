//! The noise estimator and the symmetry test on simulated data: model + Gaussian noise,
//! mirrored from the upper triangle (the APS half-matrix layout) or independent in every
//! element.

use homodyne_model::{Experiment, Geometry, Par, estimate_sigma, g2_grid, is_symmetric};
use ndarray::Array3;

/// SplitMix64 + Box-Muller: a small deterministic Gaussian source (no dependency).
struct Gauss(u64);

impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn sample(&mut self, sigma: f64) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        sigma * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn experiment(n_phi: usize, n_t: usize, laminar: bool) -> Experiment {
    let dt = 0.1;
    let (q, gap) = if laminar {
        (0.0054 / 10f64.sqrt(), 2e6 / 10f64.sqrt())
    } else {
        (0.0054, 2e6)
    };
    Experiment::new(
        Geometry {
            wavevector_q: q,
            stator_rotor_gap: gap,
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        (0..n_phi)
            .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
            .collect(),
    )
    .unwrap()
}

/// Model c2 plus noise `sigma[a]`: mirrored from the upper triangle, or independent.
fn noisy(
    exp: &Experiment,
    physical: &[f64],
    sigma: &[f64],
    symmetric: bool,
    seed: u64,
) -> Array3<f64> {
    let n_phi = exp.n_phi();
    let contrast: Vec<f64> = (0..n_phi).map(|a| 0.15 + 0.01 * a as f64).collect();
    let mut c2 = g2_grid(exp, physical, &contrast, &vec![1.0; n_phi]).unwrap();
    let mut g = Gauss(seed);
    let n = exp.n_t();
    for a in 0..n_phi {
        for i in 0..n {
            for j in i..n {
                let e = g.sample(sigma[a]);
                c2[[a, i, j]] += e;
                if j != i {
                    c2[[a, j, i]] += if symmetric { e } else { g.sample(sigma[a]) };
                }
            }
        }
    }
    c2
}

const STATIC: [f64; 3] = [1.7e4, -1.57, 3.0];
const LAMINAR: [f64; 7] = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];

#[test]
fn sigma_005_is_recovered_within_5_percent_on_symmetric_and_independent_noise() {
    let exp = experiment(3, 60, false);
    for symmetric in [true, false] {
        let c2 = noisy(&exp, &STATIC, &[0.05; 3], symmetric, 7);
        assert_eq!(is_symmetric(c2.view()), symmetric);
        let s = estimate_sigma(c2.view(), Par::Seq);
        for (a, v) in s.iter().enumerate() {
            assert!(
                (v / 0.05 - 1.0).abs() < 0.05,
                "symmetric {symmetric}, angle {a}: sigma {v}"
            );
        }
    }
}

#[test]
fn sigma_per_angle_follows_the_angles_and_ignores_the_decay() {
    // Laminar flow, 4 angles of different noise, 120 frames.
    let exp = experiment(4, 120, true);
    let truth = [0.002, 0.005, 0.01, 0.02];
    let c2 = noisy(&exp, &LAMINAR, &truth, true, 11);
    let s = estimate_sigma(c2.view(), Par::rayon(2));
    for a in 0..4 {
        assert!(
            (s[a] / truth[a] - 1.0).abs() < 0.04,
            "angle {a}: {} vs {}",
            s[a],
            truth[a]
        );
    }
    // Noise-free: the model alone contributes < 1 % of the smallest sigma here.
    let clean = g2_grid(&exp, &LAMINAR, &[0.2; 4], &[1.0; 4]).unwrap();
    let s0 = estimate_sigma(clean.view(), Par::Seq);
    assert!(s0.iter().all(|&v| v < 2e-5), "{s0:?}");
}

#[test]
fn estimate_is_deterministic_and_skips_nan() {
    let exp = experiment(3, 50, false);
    let mut c2 = noisy(&exp, &STATIC, &[0.01; 3], true, 3);
    for k in 0..40 {
        c2[[1, k, (k * 7) % 50]] = f64::NAN;
    }
    let seq = estimate_sigma(c2.view(), Par::Seq);
    for _ in 0..3 {
        assert_eq!(estimate_sigma(c2.view(), Par::rayon(0)), seq);
    }
    assert!(seq.iter().all(|s| (s / 0.01 - 1.0).abs() < 0.08), "{seq:?}");
    // An angle with no data has no estimate.
    c2.index_axis_mut(ndarray::Axis(0), 2).fill(f64::NAN);
    assert!(estimate_sigma(c2.view(), Par::Seq)[2].is_nan());
}

#[test]
fn per_angle_sigma_equals_the_same_values_per_point() {
    use homodyne_model::layout::ParameterLayout;
    use homodyne_model::normal::{self, Linear};
    use homodyne_model::scaling::{AngleMap, ScalingKind};
    use homodyne_model::{
        AnalysisMode, FitData, OwnedFitData, OwnedSigma, PointSet, ShardData, Sigma, TimePairs,
        Triangles,
    };
    use std::sync::Arc;

    let exp = experiment(3, 30, true);
    let sigma = [0.01, 0.02, f64::NAN];
    let mut c2 = noisy(&exp, &LAMINAR, &[0.01, 0.02, 0.01], false, 5);
    c2[[0, 3, 7]] = f64::NAN;
    let per_point = Array3::from_shape_fn(c2.raw_dim(), |(a, _, _)| sigma[a]);
    let phi = exp.phi_deg.clone();
    let kind = ScalingKind::Individual;
    let layout = ParameterLayout::new(
        AnalysisMode::LaminarFlow,
        kind,
        AngleMap::for_kind(kind, &phi, &[0.2; 3]),
        AngleMap::for_kind(kind, &phi, &[1.0; 3]),
        &LAMINAR,
        &[false; 7],
    )
    .unwrap();
    let x: Vec<f64> = {
        let mut x = vec![0.16, 0.17, 0.18, 1.0, 1.0, 1.0];
        x.extend(LAMINAR.iter().map(|v| v * 1.01));
        x
    };
    assert_eq!(x.len(), layout.n_params());
    let a = FitData::new(&exp, c2.view(), Sigma::PerAngle(&sigma)).unwrap();
    let b = FitData::new(&exp, c2.view(), Sigma::PerPoint(per_point.view())).unwrap();
    let pairs = TimePairs::new(30, [(0, 5), (2, 9), (3, 7), (10, 29)]).unwrap();
    for points in [
        PointSet::all(30),
        PointSet::unique_pairs(30),
        PointSet::pairs(&pairs, Triangles::Both),
    ] {
        let ea = normal::normal_equations_over(&exp, &layout, &a, &x, &points, &Linear, Par::Seq)
            .unwrap();
        let eb = normal::normal_equations_over(&exp, &layout, &b, &x, &points, &Linear, Par::Seq)
            .unwrap();
        assert_eq!(ea, eb, "{points:?}");
    }
    // The third angle's points are excluded (invalid sigma), like invalid per-point ones.
    let n = normal::count_points(&a, &PointSet::all(30), Par::Seq).unwrap();
    assert_eq!(n, 2 * 30 * 29 - 1);
    // Owned and shard storage carry the per-angle sigma too.
    let owned = OwnedFitData::new(
        &exp,
        Arc::from(c2.as_slice().unwrap()),
        OwnedSigma::PerAngle(Arc::from(&sigma[..])),
    )
    .unwrap();
    let shard = ShardData::extract(&a, pairs.clone(), Triangles::Both).unwrap();
    let full = normal::cost_over(
        &exp,
        &layout,
        &a,
        &x,
        &PointSet::pairs(&pairs, Triangles::Both),
        &Linear,
        Par::Seq,
    )
    .unwrap();
    let on_shard = normal::cost_over(
        &exp,
        &layout,
        &shard,
        &x,
        &shard.points(),
        &Linear,
        Par::Seq,
    )
    .unwrap();
    assert_eq!(full, on_shard);
    let on_owned = normal::cost_over(
        &exp,
        &layout,
        &owned,
        &x,
        &PointSet::pairs(&pairs, Triangles::Both),
        &Linear,
        Par::Seq,
    )
    .unwrap();
    assert_eq!(full, on_owned);
    // Wrong length is refused.
    assert!(FitData::new(&exp, c2.view(), Sigma::PerAngle(&[0.01; 2])).is_err());
}
