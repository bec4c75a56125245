//! The evaluation drivers over point sets: bit-for-bit determinism for every `Par` and
//! thread count, agreement between point sets, shards and owned data, and the
//! value-and-gradient driver against the normal equations.

use std::sync::Arc;

use homodyne_model::data::PointData;
use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{
    self, CostSummary, FitData, Linear, NormalEquations, ResidualWeight, Sigma, ValueGradient,
};
use homodyne_model::scaling::{AngleMap, ScalingKind};
use homodyne_model::{
    AnalysisMode, Experiment, Geometry, OwnedFitData, Par, PointSet, ShardData, TimePairs,
    Triangles, g2_grid,
};
use ndarray::Array3;

/// A laminar (or static) problem with n_phi angles and n_t frames, data = model plus a
/// deterministic asymmetric perturbation, a few NaN data and invalid sigmas.
struct Setup {
    exp: Experiment,
    layout: ParameterLayout,
    x: Vec<f64>,
    c2: Array3<f64>,
    sigma: Array3<f64>,
}

fn setup(n_phi: usize, n_t: usize, laminar: bool, symmetric: bool) -> Setup {
    let dt = 0.1;
    let t: Vec<f64> = (1..=n_t).map(|k| k as f64 * dt).collect();
    let phi: Vec<f64> = (0..n_phi)
        .map(|k| -170.0 + 340.0 * k as f64 / n_phi as f64)
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
    let params: Vec<f64> = if laminar {
        vec![6.8e3, -0.8, 1.7e2, 2e-3, -0.21, 6e-4, 2.0]
    } else {
        vec![6.8e3, -0.8, 1.7e2]
    };
    let mode = AnalysisMode::from_n_physical(params.len()).unwrap();
    let contrast: Vec<f64> = (0..n_phi).map(|a| 0.2 + 0.01 * a as f64).collect();
    let offset: Vec<f64> = (0..n_phi).map(|a| 1.0 + 0.002 * a as f64).collect();
    let kind = ScalingKind::Individual;
    let layout = ParameterLayout::new(
        mode,
        kind,
        AngleMap::for_kind(kind, &phi, &contrast),
        AngleMap::for_kind(kind, &phi, &offset),
        &params,
        &vec![false; params.len()],
    )
    .unwrap();
    let g2 = g2_grid(&exp, &params, &contrast, &offset).unwrap();
    let noise = |a: usize, i: usize, j: usize| {
        let (p, q) = if symmetric {
            (i.min(j), i.max(j))
        } else {
            (i, j)
        };
        0.003 * (((a * 31 + p * 7 + q * 13) % 17) as f64 - 8.0)
    };
    let mut c2 = Array3::from_shape_fn(g2.raw_dim(), |(a, i, j)| g2[[a, i, j]] + noise(a, i, j));
    let mut sigma = Array3::from_shape_fn(g2.raw_dim(), |(a, i, j)| {
        0.01 + 0.001 * ((a + i * 3 + j * 5) % 4) as f64
    });
    if !symmetric {
        c2[[1, 3, 9]] = f64::NAN;
        c2[[0, 7, 2]] = f64::INFINITY;
        sigma[[1, 5, 11]] = 0.0;
        sigma[[0, 12, 4]] = f64::NAN;
    }
    let mut start = params.clone();
    start[0] *= 1.1;
    start[1] += 0.05;
    let x = layout.encode(&start, &contrast, &offset);
    Setup {
        exp,
        layout,
        x,
        c2,
        sigma,
    }
}

impl Setup {
    fn data(&self) -> FitData<'_> {
        FitData::new(
            &self.exp,
            self.c2.view(),
            Sigma::PerPoint(self.sigma.view()),
        )
        .unwrap()
    }
}

/// A deterministic pseudo-random subset of the pairs (about `1/k` of them).
fn subset(n_t: usize, k: usize, which: usize) -> TimePairs {
    let pairs = TimePairs::all(n_t)
        .iter()
        .filter(|&(i, j)| (i.wrapping_mul(2654435761) ^ j.wrapping_mul(40503)) % k == which)
        .collect::<Vec<_>>();
    // Given in reverse order on purpose: the list is canonicalised.
    TimePairs::new(n_t, pairs.into_iter().rev()).unwrap()
}

fn ne_bits(ne: &NormalEquations) -> Vec<u64> {
    let mut v = vec![ne.chi2.to_bits(), ne.cost.to_bits(), ne.n_points as u64];
    v.extend(ne.jtj.iter().map(|x| x.to_bits()));
    v.extend(ne.jtr.iter().map(|x| x.to_bits()));
    v
}

fn vg_bits(vg: &ValueGradient) -> Vec<u64> {
    let mut v = vec![vg.chi2.to_bits(), vg.cost.to_bits(), vg.n_points as u64];
    v.extend(vg.jtr.iter().map(|x| x.to_bits()));
    v
}

fn cost_bits(c: &CostSummary) -> Vec<u64> {
    vec![c.chi2.to_bits(), c.cost.to_bits(), c.n_points as u64]
}

/// A robust-looking weight (Cauchy in scipy's convention) to exercise a, b != 1.
struct Cauchy;
impl ResidualWeight for Cauchy {
    fn weigh(&self, r: f64) -> (f64, f64, f64) {
        let z = r * r;
        let t = 1.0 + z;
        let (rho1, rho2) = (1.0 / t, -1.0 / (t * t));
        let a = (rho1 + 2.0 * rho2 * z).max(1e-15).sqrt();
        (t.ln(), a, rho1 / a)
    }
}

/// Every output of every driver, as bits.
fn all_bits(
    s: &Setup,
    data: &(impl PointData + ?Sized),
    points: &PointSet<'_>,
    par: Par,
) -> Vec<u64> {
    let ne =
        normal::normal_equations_over(&s.exp, &s.layout, data, &s.x, points, &Linear, par).unwrap();
    let robust =
        normal::normal_equations_over(&s.exp, &s.layout, data, &s.x, points, &Cauchy, par).unwrap();
    let vg =
        normal::value_and_gradient(&s.exp, &s.layout, data, &s.x, points, &Linear, par).unwrap();
    let cost = normal::cost_over(&s.exp, &s.layout, data, &s.x, points, &Cauchy, par).unwrap();
    let count = normal::count_points(data, points, par).unwrap();
    let mut bits = ne_bits(&ne);
    bits.extend(ne_bits(&robust));
    bits.extend(vg_bits(&vg));
    bits.extend(cost_bits(&cost));
    bits.push(count as u64);
    bits
}

#[test]
fn every_driver_is_bit_identical_for_every_par_and_thread_count() {
    for laminar in [true, false] {
        // 4 angles x 150 frames: ~45 k points, about a dozen tiles.
        let s = setup(4, 150, laminar, false);
        let data = s.data();
        let n = s.exp.n_t();
        let shard_pairs = subset(n, 3, 1);
        let shard = ShardData::extract(&data, shard_pairs.clone(), Triangles::Both).unwrap();
        let mask: Vec<bool> = (0..s.c2.len()).map(|k| (k * 7919) % 5 != 0).collect();
        let sets = [
            PointSet::all(n),
            PointSet::rows(10..97),
            PointSet::unique_pairs(n),
            PointSet::Mask(&mask),
            PointSet::pairs(&shard_pairs, Triangles::Both),
            PointSet::pairs(&shard_pairs, Triangles::Upper),
        ];
        for points in &sets {
            let reference = all_bits(&s, &data, points, Par::Seq);
            assert_eq!(reference, all_bits(&s, &data, points, Par::Seq), "repeat");
            for threads in [1, 2, 4] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                for par in [Par::rayon(1), Par::rayon(2), Par::rayon(4), Par::rayon(0)] {
                    for _ in 0..2 {
                        let got = pool.install(|| all_bits(&s, &data, points, par));
                        assert!(
                            got == reference,
                            "{points:?} differs with {par:?} on {threads} threads"
                        );
                    }
                }
            }
        }
        // The shard's own data, and owned data, give the same bits as the borrowed grid.
        let shard_ref = all_bits(&s, &data, &shard.points(), Par::Seq);
        assert_eq!(
            shard_ref,
            all_bits(&s, &shard, &shard.points(), Par::rayon(3))
        );
        let owned = OwnedFitData::from(data);
        assert_eq!(
            all_bits(&s, &data, &PointSet::all(n), Par::Seq),
            all_bits(&s, &owned, &PointSet::all(n), Par::rayon(2))
        );
    }
}

#[test]
fn legacy_row_entry_points_are_thin_wrappers() {
    let s = setup(3, 90, true, false);
    let data = s.data();
    let n = s.exp.n_t();
    for rows in [0..n, 0..40, 40..n, 17..18] {
        let old = normal::normal_equations(&s.exp, &s.layout, &data, &s.x, rows.clone(), &Linear)
            .unwrap();
        let new = normal::normal_equations_over(
            &s.exp,
            &s.layout,
            &data,
            &s.x,
            &PointSet::rows(rows.clone()),
            &Linear,
            Par::Seq,
        )
        .unwrap();
        assert_eq!(ne_bits(&old), ne_bits(&new));
        let old = normal::cost(&s.exp, &s.layout, &data, &s.x, rows.clone(), &Linear).unwrap();
        let new = normal::cost_over(
            &s.exp,
            &s.layout,
            &data,
            &s.x,
            &PointSet::rows(rows),
            &Linear,
            Par::Seq,
        )
        .unwrap();
        assert_eq!(cost_bits(&old), cost_bits(&new));
    }
    assert_eq!(
        normal::count_points(&data, &PointSet::all(n), Par::Seq).unwrap(),
        data.n_valid_points()
    );
}

fn close(a: f64, b: f64, scale: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * scale.abs().max(f64::MIN_POSITIVE)
}

fn assert_ne_close(a: &NormalEquations, b: &NormalEquations, factor: f64, what: &str) {
    assert_eq!(a.n_params, b.n_params);
    assert!(close(a.chi2, factor * b.chi2, a.chi2, 1e-12), "{what} chi2");
    assert!(close(a.cost, factor * b.cost, a.cost, 1e-12), "{what} cost");
    let p = a.n_params;
    for u in 0..p {
        let su = a.jtj[u * p + u].sqrt();
        assert!(
            close(a.jtr[u], factor * b.jtr[u], su * a.chi2.sqrt(), 1e-12),
            "{what} jtr {u}: {} vs {}",
            a.jtr[u],
            factor * b.jtr[u]
        );
        for v in 0..p {
            let s = su * a.jtj[v * p + v].sqrt();
            assert!(
                close(a.jtj[u * p + v], factor * b.jtj[u * p + v], s, 1e-12),
                "{what} jtj {u},{v}"
            );
        }
    }
}

#[test]
fn unique_pairs_count_each_pair_once() {
    // On symmetric data every pair's two residuals are equal: the unique-pair sums are
    // half the all-rows sums.
    let s = setup(3, 120, true, true);
    let data = FitData::new(&s.exp, s.c2.view(), Sigma::Uniform(0.01)).unwrap();
    let n = s.exp.n_t();
    let eval = |points: &PointSet<'_>| {
        normal::normal_equations_over(
            &s.exp,
            &s.layout,
            &data,
            &s.x,
            points,
            &Linear,
            Par::rayon(0),
        )
        .unwrap()
    };
    let all = eval(&PointSet::all(n));
    let every_pair = TimePairs::all(n);
    for (name, points) in [
        ("rows, upper", PointSet::unique_pairs(n)),
        (
            "pairs, upper",
            PointSet::pairs(&every_pair, Triangles::Upper),
        ),
    ] {
        let once = eval(&points);
        assert_eq!(2 * once.n_points, all.n_points, "{name}");
        assert_ne_close(&all, &once, 2.0, name);
        let c =
            normal::cost_over(&s.exp, &s.layout, &data, &s.x, &points, &Linear, Par::Seq).unwrap();
        assert!(close(all.chi2, 2.0 * c.chi2, all.chi2, 1e-12), "{name}");
    }
    // A pair list covering everything with both triangles is the full objective.
    assert_ne_close(
        &all,
        &eval(&PointSet::pairs(&every_pair, Triangles::Both)),
        1.0,
        "pairs, both",
    );
}

#[test]
fn shards_partition_the_objective_and_own_their_data() {
    let s = setup(4, 100, true, false);
    let data = s.data();
    let n = s.exp.n_t();
    let k = 5;
    for triangles in [Triangles::Both, Triangles::Upper] {
        let whole = normal::normal_equations_over(
            &s.exp,
            &s.layout,
            &data,
            &s.x,
            &PointSet::Rows {
                rows: 0..n,
                triangles,
            },
            &Linear,
            Par::Seq,
        )
        .unwrap();
        let mut sum = NormalEquations::zeros(whole.n_params);
        let mut covered = 0;
        for which in 0..k {
            let pairs = subset(n, k, which);
            covered += pairs.len();
            // The shard keeps only its values; drop the grid to show it.
            let shard = {
                let c2 = s.c2.clone();
                let sigma = s.sigma.clone();
                let full = FitData::new(&s.exp, c2.view(), Sigma::PerPoint(sigma.view())).unwrap();
                ShardData::extract(&full, pairs, triangles).unwrap()
            };
            let np = shard.pairs().len();
            let per_triangle = s.exp.n_phi() * np;
            assert_eq!(shard.upper_values().len(), per_triangle);
            assert_eq!(
                shard.lower_values().len(),
                if triangles == Triangles::Both {
                    per_triangle
                } else {
                    0
                }
            );
            let part = normal::normal_equations_over(
                &s.exp,
                &s.layout,
                &shard,
                &s.x,
                &shard.points(),
                &Linear,
                Par::Seq,
            )
            .unwrap();
            assert_eq!(part.n_points, shard.n_valid_points());
            sum.add(&part);
        }
        assert_eq!(covered, n * (n - 1) / 2);
        assert_eq!(sum.n_points, whole.n_points);
        assert_ne_close(&whole, &sum, 1.0, "shards");
    }
}

#[test]
fn shard_misuse_is_an_error() {
    let s = setup(2, 30, false, false);
    let data = s.data();
    let pairs = subset(30, 2, 0);
    let upper = ShardData::extract(&data, pairs.clone(), Triangles::Upper).unwrap();
    let run = |d: &ShardData, points: &PointSet<'_>| {
        normal::value_and_gradient(&s.exp, &s.layout, d, &s.x, points, &Linear, Par::Seq)
    };
    assert!(run(&upper, &upper.points()).is_ok());
    assert!(run(&upper, &PointSet::all(30)).is_err());
    assert!(run(&upper, &PointSet::pairs(&pairs, Triangles::Both)).is_err());
    // Equal pairs (not the same object) are accepted; different ones are not.
    assert!(run(&upper, &PointSet::pairs(&pairs, Triangles::Upper)).is_ok());
    let other = subset(30, 2, 1);
    assert!(run(&upper, &PointSet::pairs(&other, Triangles::Upper)).is_err());
    // Pairs of another grid, and masks of another shape, are refused on full data too.
    let longer = TimePairs::all(31);
    let vg = |points: &PointSet<'_>| {
        normal::value_and_gradient(&s.exp, &s.layout, &data, &s.x, points, &Linear, Par::Seq)
    };
    assert!(vg(&PointSet::pairs(&longer, Triangles::Both)).is_err());
    assert!(vg(&PointSet::Mask(&[true; 10])).is_err());
    assert!(TimePairs::new(30, [(3, 30)]).is_err());
}

#[test]
fn masks_select_points() {
    let s = setup(3, 70, true, false);
    let data = s.data();
    let n = s.exp.n_t();
    let nn = n * n;
    let eval = |points: &PointSet<'_>| {
        normal::normal_equations_over(&s.exp, &s.layout, &data, &s.x, points, &Linear, Par::Seq)
            .unwrap()
    };
    // All-true mask = all rows; upper-triangle mask = unique pairs (same walk, same bits).
    let all_true = vec![true; s.c2.len()];
    assert_eq!(
        ne_bits(&eval(&PointSet::Mask(&all_true))),
        ne_bits(&eval(&PointSet::all(n)))
    );
    let upper: Vec<bool> = (0..s.c2.len()).map(|k| (k % nn) / n < k % n).collect();
    assert_eq!(
        ne_bits(&eval(&PointSet::Mask(&upper))),
        ne_bits(&eval(&PointSet::unique_pairs(n)))
    );
    // A scattered mask against a brute-force sum over the dense Jacobian.
    let mask: Vec<bool> = (0..s.c2.len()).map(|k| (k * 2654435761) % 7 < 3).collect();
    let got = eval(&PointSet::Mask(&mask));
    let (values, jac) = normal::g2_jacobian(&s.exp, &s.layout, &s.x).unwrap();
    let p = s.x.len();
    let mut want = NormalEquations::zeros(p);
    let c2 = s.c2.as_slice().unwrap();
    let sigma = s.sigma.as_slice().unwrap();
    for k in 0..c2.len() {
        let (i, j) = ((k % nn) / n, k % n);
        let valid = c2[k].is_finite() && sigma[k].is_finite() && sigma[k] > 0.0;
        if i == j || !mask[k] || !valid {
            continue;
        }
        let r = (c2[k] - values[k]) / sigma[k];
        want.chi2 += r * r;
        want.cost += r * r;
        want.n_points += 1;
        for u in 0..p {
            let ju = -jac[[k, u]] / sigma[k];
            want.jtr[u] += ju * r;
            for v in 0..p {
                want.jtj[u * p + v] += ju * (-jac[[k, v]] / sigma[k]);
            }
        }
    }
    assert_eq!(got.n_points, want.n_points);
    assert_ne_close(&got, &want, 1.0, "mask vs dense");
}

#[test]
fn value_and_gradient_equals_normal_equations() {
    let s = setup(4, 80, true, false);
    let data = s.data();
    let n = s.exp.n_t();
    let pairs = subset(n, 4, 2);
    let mask: Vec<bool> = (0..s.c2.len()).map(|k| k % 3 != 1).collect();
    for points in [
        PointSet::all(n),
        PointSet::unique_pairs(n),
        PointSet::pairs(&pairs, Triangles::Upper),
        PointSet::Mask(&mask),
    ] {
        let ne = normal::normal_equations_over(
            &s.exp,
            &s.layout,
            &data,
            &s.x,
            &points,
            &Cauchy,
            Par::rayon(0),
        )
        .unwrap();
        let vg =
            normal::value_and_gradient(&s.exp, &s.layout, &data, &s.x, &points, &Cauchy, Par::Seq)
                .unwrap();
        assert_eq!(vg.n_points, ne.n_points);
        assert!(close(vg.chi2, ne.chi2, ne.chi2, 1e-12));
        assert!(close(vg.cost, ne.cost, ne.cost, 1e-12));
        assert!(close(vg.log_likelihood(), -0.5 * ne.chi2, ne.chi2, 1e-12));
        let scale = ne.jtr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (a, b) in vg.jtr.iter().zip(&ne.jtr) {
            assert!(close(*a, *b, scale, 1e-12), "{points:?}: {a} vs {b}");
        }
    }
}

#[test]
fn gradient_matches_central_differences_of_chi2() {
    // Central differences of chi2/2 over a shard, unique pairs: an independent check of
    // the sign convention (jtr = grad chi2/2) on explicit pair lists.
    let s = setup(3, 60, true, false);
    let data = s.data();
    let pairs = subset(60, 3, 0);
    let shard = ShardData::extract(&data, pairs, Triangles::Upper).unwrap();
    let half_chi2 = |x: &[f64]| {
        0.5 * normal::cost_over(
            &s.exp,
            &s.layout,
            &shard,
            x,
            &shard.points(),
            &Linear,
            Par::Seq,
        )
        .unwrap()
        .chi2
    };
    let vg = normal::value_and_gradient(
        &s.exp,
        &s.layout,
        &shard,
        &s.x,
        &shard.points(),
        &Linear,
        Par::Seq,
    )
    .unwrap();
    let scale = vg.jtr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for p in 0..s.x.len() {
        let h = 1e-5 * s.x[p].abs().max(1e-3);
        let mut xp = s.x.clone();
        let mut xm = s.x.clone();
        xp[p] += h;
        xm[p] -= h;
        let fd = (half_chi2(&xp) - half_chi2(&xm)) / (2.0 * h);
        assert!(
            (fd - vg.jtr[p]).abs() <= 1e-5 * scale,
            "p{p}: finite difference {fd} vs jtr {}",
            vg.jtr[p]
        );
    }
}

#[test]
fn owned_data_is_static_shared_and_parallel_free() {
    fn assert_static<T: Send + Sync + Clone + 'static>() {}
    assert_static::<OwnedFitData>();
    assert_static::<ShardData>();
    assert_static::<TimePairs>();
    let s = setup(2, 40, false, false);
    let owned = OwnedFitData::from(s.data());
    let copy = owned.clone();
    assert!(Arc::ptr_eq(owned.c2(), copy.c2()));
    assert!(
        owned
            .c2_view()
            .iter()
            .zip(&s.c2)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    assert_eq!(owned.n_valid_points(), s.data().n_valid_points());
    // Evaluated from several threads at once, each sequentially (chains / shards).
    let n = s.exp.n_t();
    let reference = all_bits(&s, &owned, &PointSet::all(n), Par::Seq);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            let (d, s, reference) = (copy.clone(), &s, &reference);
            scope.spawn(move || {
                assert_eq!(&all_bits(s, &d, &PointSet::all(n), Par::Seq), reference);
            });
        }
    });
    // Wrong sizes are refused.
    let short: Arc<[f64]> = Arc::from(vec![1.0; 5]);
    assert!(
        OwnedFitData::new(
            &s.exp,
            short.clone(),
            homodyne_model::OwnedSigma::Uniform(0.01)
        )
        .is_err()
    );
    assert!(
        OwnedFitData::new(
            &s.exp,
            owned.c2().clone(),
            homodyne_model::OwnedSigma::PerPoint(short)
        )
        .is_err()
    );
    assert!(
        OwnedFitData::new(
            &s.exp,
            owned.c2().clone(),
            homodyne_model::OwnedSigma::Uniform(-1.0)
        )
        .is_err()
    );
}

#[test]
fn grid_and_preprocessing_do_not_depend_on_par() {
    use homodyne_model::diagonal::{DiagonalMethod, correct_batch_par};
    use homodyne_model::forward::g2_grid_par;
    use homodyne_model::params::Bounds;
    use homodyne_model::scaling::quantile_estimates_par;
    let s = setup(5, 120, true, false);
    let d = s.layout.decode(&s.x);
    let reference = g2_grid_par(&s.exp, &d.physical, &d.contrast, &d.offset, Par::Seq).unwrap();
    assert_eq!(
        reference,
        g2_grid(&s.exp, &d.physical, &d.contrast, &d.offset).unwrap()
    );
    let q = |par| {
        quantile_estimates_par(
            s.c2.view(),
            &s.exp.t,
            Bounds::new(0.0, 1.0),
            Bounds::new(0.5, 1.5),
            false,
            par,
        )
    };
    let q_ref = q(Par::Seq);
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for par in [Par::rayon(1), Par::rayon(3), Par::rayon(0)] {
            pool.install(|| {
                let g = g2_grid_par(&s.exp, &d.physical, &d.contrast, &d.offset, par).unwrap();
                assert!(
                    g.iter()
                        .zip(&reference)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
                );
                assert_eq!(q(par), q_ref);
                let mut a = s.c2.clone();
                let mut b = s.c2.clone();
                correct_batch_par(a.view_mut(), &DiagonalMethod::Basic, par);
                correct_batch_par(b.view_mut(), &DiagonalMethod::Basic, Par::Seq);
                assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            });
        }
    }
}

/// `curvature_along` against a dense reference: `J^T r_vv` with `r_vv` the central second
/// difference of the residuals along `v`, over the valid points of a point set.
#[test]
fn curvature_along_matches_dense_second_differences() {
    for laminar in [true, false] {
        let s = setup(3, 40, laminar, false);
        let data = s.data();
        let n = s.exp.n_t();
        let p = s.layout.n_params();
        // A direction touching every variable, of a size a trust-region step could have.
        let v: Vec<f64> =
            s.x.iter()
                .enumerate()
                .map(|(k, x)| 0.02 * x.abs().max(1e-3) * if k % 2 == 0 { 1.0 } else { -1.0 })
                .collect();
        let at = |t: f64| -> Vec<f64> { s.x.iter().zip(&v).map(|(x, v)| x + t * v).collect() };
        let (g0, jac) = normal::g2_jacobian(&s.exp, &s.layout, &s.x).unwrap();
        let eps = 1e-3;
        let (gp, _) = normal::g2_jacobian(&s.exp, &s.layout, &at(eps)).unwrap();
        let (gm, _) = normal::g2_jacobian(&s.exp, &s.layout, &at(-eps)).unwrap();
        let pairs = subset(n, 2, 0);
        for (points, both, only) in [
            (PointSet::all(n), true, None),
            (PointSet::unique_pairs(n), false, None),
            (PointSet::pairs(&pairs, Triangles::Both), true, Some(&pairs)),
        ] {
            let got = normal::curvature_along(
                &s.exp,
                &s.layout,
                &data,
                &s.x,
                &v,
                1e-4,
                &points,
                &Linear,
                Par::rayon(2),
            )
            .unwrap();
            let mut want = vec![0.0; p];
            for a in 0..s.exp.n_phi() {
                for i in 0..n {
                    for j in 0..n {
                        let (lo, hi) = (i.min(j), i.max(j));
                        let selected = i != j
                            && (both || i < j)
                            && only.is_none_or(|l| l.iter().any(|q| q == (lo, hi)));
                        let idx = (a * n + i) * n + j;
                        let (c2, sig) = (s.c2[[a, i, j]], s.sigma[[a, i, j]]);
                        if !(selected && c2.is_finite() && sig.is_finite() && sig > 0.0) {
                            continue;
                        }
                        // J = -dg2/sigma, r_vv = -g2_vv/sigma.
                        let g2_vv = (gp[idx] - 2.0 * g0[idx] + gm[idx]) / (eps * eps);
                        for k in 0..p {
                            want[k] += jac[[idx, k]] * g2_vv / (sig * sig);
                        }
                    }
                }
            }
            let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
            assert!(scale > 0.0);
            for k in 0..p {
                assert!(
                    (got[k] - want[k]).abs() <= 2e-3 * scale,
                    "laminar={laminar} {points:?} [{k}]: {} vs {}",
                    got[k],
                    want[k]
                );
            }
            let seq = normal::curvature_along(
                &s.exp,
                &s.layout,
                &data,
                &s.x,
                &v,
                1e-4,
                &points,
                &Linear,
                Par::Seq,
            )
            .unwrap();
            assert_eq!(
                seq.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                got.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}

/// float32 c2 gives bit for bit the sums of the same values held as f64 (each value is
/// widened exactly; every sum is in f64), for every driver and point set.
#[test]
fn float32_data_match_the_same_values_in_float64() {
    for laminar in [true, false] {
        let s = setup(3, 90, laminar, false);
        let c2_32 = s.c2.mapv(|v| v as f32);
        let c2_64 = c2_32.mapv(f64::from);
        let sigma = Sigma::PerPoint(s.sigma.view());
        let d32 = FitData::new_f32(&s.exp, c2_32.view(), sigma).unwrap();
        let d64 = FitData::new(&s.exp, c2_64.view(), sigma).unwrap();
        let n = s.exp.n_t();
        let pairs = subset(n, 3, 2);
        let mask: Vec<bool> = (0..s.c2.len()).map(|k| k % 3 != 0).collect();
        for points in [
            PointSet::all(n),
            PointSet::unique_pairs(n),
            PointSet::Mask(&mask),
            PointSet::pairs(&pairs, Triangles::Both),
        ] {
            assert_eq!(
                all_bits(&s, &d32, &points, Par::rayon(2)),
                all_bits(&s, &d64, &points, Par::rayon(2)),
                "{points:?}"
            );
            let v: Vec<f64> = s.x.iter().map(|x| 0.01 * x).collect();
            let curv = |d: &FitData| {
                normal::curvature_along(
                    &s.exp,
                    &s.layout,
                    d,
                    &s.x,
                    &v,
                    0.1,
                    &points,
                    &Linear,
                    Par::Seq,
                )
                .unwrap()
            };
            assert_eq!(curv(&d32), curv(&d64));
        }
        assert_eq!(d32.n_valid_points(), d64.n_valid_points());
        // Compared as bits: the data hold NaN and infinity on purpose.
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let shard32 = ShardData::extract(&d32, pairs.clone(), Triangles::Both).unwrap();
        let shard64 = ShardData::extract(&d64, pairs.clone(), Triangles::Both).unwrap();
        assert_eq!(bits(shard32.upper_values()), bits(shard64.upper_values()));
        assert_eq!(bits(shard32.lower_values()), bits(shard64.lower_values()));
        let owned = OwnedFitData::from(d32);
        assert_eq!(bits(owned.c2()), bits(c2_64.as_slice().unwrap()));
        // Shape checks as for f64.
        let wrong = ndarray::Array3::<f32>::zeros((3, 5, 5));
        assert!(FitData::new_f32(&s.exp, wrong.view(), Sigma::Uniform(0.01)).is_err());
    }
}

/// `value_and_gradient` has its own (vectorised) pass: it must agree with the normal
/// equations' `J^T r` for every mode, data storage, sigma kind, triangle choice and
/// weight, including shear arguments beyond its fast `sin`/`cos` range.
#[test]
fn value_and_gradient_pass_matches_normal_equations_everywhere() {
    let check = |what: &str, ne: &NormalEquations, vg: &ValueGradient| {
        assert_eq!(vg.n_points, ne.n_points, "{what}");
        assert!(close(vg.chi2, ne.chi2, ne.chi2, 1e-12), "{what} chi2");
        assert!(close(vg.cost, ne.cost, ne.cost, 1e-12), "{what} cost");
        let scale = ne.jtr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{what}");
        for (k, (a, b)) in vg.jtr.iter().zip(&ne.jtr).enumerate() {
            assert!(close(*a, *b, scale, 1e-12), "{what} jtr[{k}]: {a} vs {b}");
        }
    };
    fn both<D: PointData + ?Sized>(
        s: &Setup,
        data: &D,
        points: &PointSet<'_>,
        check: &dyn Fn(&str, &NormalEquations, &ValueGradient),
        what: &str,
    ) {
        let ne =
            normal::normal_equations_over(&s.exp, &s.layout, data, &s.x, points, &Linear, Par::Seq)
                .unwrap();
        let vg =
            normal::value_and_gradient(&s.exp, &s.layout, data, &s.x, points, &Linear, Par::Seq)
                .unwrap();
        check(&format!("{what} linear"), &ne, &vg);
        let ne =
            normal::normal_equations_over(&s.exp, &s.layout, data, &s.x, points, &Cauchy, Par::Seq)
                .unwrap();
        let vg =
            normal::value_and_gradient(&s.exp, &s.layout, data, &s.x, points, &Cauchy, Par::Seq)
                .unwrap();
        check(&format!("{what} cauchy"), &ne, &vg);
    }
    for laminar in [true, false] {
        for strong_shear in [false, true] {
            if strong_shear && !laminar {
                continue;
            }
            // 300 frames: rows longer than one block of the pass.
            let mut s = setup(3, 300, laminar, false);
            if strong_shear {
                // gamma_dot_t0 so large that the sinc argument exceeds 1e5.
                let mut d = s.layout.decode(&s.x);
                d.physical[3] = 5e3;
                s.x = s.layout.encode(&d.physical, &d.contrast, &d.offset);
            }
            let data = s.data();
            let n = s.exp.n_t();
            let pairs = subset(n, 3, 1);
            let mask: Vec<bool> = (0..s.c2.len()).map(|k| (k * 7919) % 5 != 0).collect();
            let tag = format!("laminar={laminar} strong={strong_shear}");
            for points in [
                PointSet::all(n),
                PointSet::unique_pairs(n),
                PointSet::rows(40..170),
                PointSet::Mask(&mask),
                PointSet::pairs(&pairs, Triangles::Both),
                PointSet::pairs(&pairs, Triangles::Upper),
            ] {
                both(&s, &data, &points, &check, &format!("{tag} {points:?}"));
            }
            for triangles in [Triangles::Both, Triangles::Upper] {
                let shard = ShardData::extract(&data, pairs.clone(), triangles).unwrap();
                both(
                    &s,
                    &shard,
                    &shard.points(),
                    &check,
                    &format!("{tag} shard {triangles:?}"),
                );
            }
            // float32 values, uniform and per-angle sigma (one angle excluded).
            let c2_32 = s.c2.mapv(|v| v as f32);
            let per_angle = [0.01, f64::NAN, 0.02];
            for sigma in [Sigma::Uniform(0.01), Sigma::PerAngle(&per_angle)] {
                let d32 = FitData::new_f32(&s.exp, c2_32.view(), sigma).unwrap();
                both(
                    &s,
                    &d32,
                    &PointSet::all(n),
                    &check,
                    &format!("{tag} f32 {sigma:?}"),
                );
                let shard = ShardData::extract(&d32, pairs.clone(), Triangles::Upper).unwrap();
                both(
                    &s,
                    &shard,
                    &shard.points(),
                    &check,
                    &format!("{tag} f32 shard {sigma:?}"),
                );
            }
        }
    }
}
