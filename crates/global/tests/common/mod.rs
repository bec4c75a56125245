//! Simulated laminar-flow data for the global-search tests (the geometry of the nlsq
//! tests: q = 0.0054/sqrt(10), L = 2e6/sqrt(10), so the decay is visible).
#![allow(dead_code)]

use homodyne_global::{Plan, Rng};
use homodyne_model::params::{AnalysisMode, Bounds};
use homodyne_model::{Experiment, Geometry, g2_grid};
use homodyne_nlsq::{NlsqOptions, NlsqResult, ParameterBounds, initial_values};
use ndarray::Array3;

pub const SIGMA: f64 = 0.01;

pub struct Case {
    pub experiment: Experiment,
    pub c2: Array3<f64>,
    pub truth: Vec<f64>,
}

pub fn angles(n_phi: usize) -> Vec<f64> {
    (0..n_phi)
        .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
        .collect()
}

pub fn experiment(n_phi: usize, n_t: usize) -> Experiment {
    let dt = 0.1;
    Experiment::new(
        Geometry {
            wavevector_q: 0.0054 / 10f64.sqrt(),
            stator_rotor_gap: 2e6 / 10f64.sqrt(),
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        angles(n_phi),
    )
    .unwrap()
}

pub fn simulate(truth: &[f64], n_phi: usize, n_t: usize, contrast: f64, seed: u64) -> Case {
    let experiment = experiment(n_phi, n_t);
    let mut c2 = g2_grid(
        &experiment,
        truth,
        &vec![contrast; n_phi],
        &vec![1.0; n_phi],
    )
    .unwrap();
    let mut rng = Rng::new(seed);
    c2.iter_mut().for_each(|v| *v += SIGMA * rng.normal());
    // Symmetric, as the loader's half + half^T.
    let n = c2.shape()[1];
    for a in 0..n_phi {
        for i in 0..n {
            for j in 0..i {
                c2[[a, i, j]] = c2[[a, j, i]];
            }
        }
    }
    Case {
        experiment,
        c2,
        truth: truth.to_vec(),
    }
}

/// Acceptance case `k`: 8-12 angles x 80-100 frames, a random plausible truth (D0
/// 10^3.5-10^5, alpha -1.4..0.3, D_offset 0-500, gamma_dot_t0 10^-3.7-10^-2.5, beta
/// -0.5..0.3, gamma_dot_t_offset 0, phi0 +-8).
pub fn acceptance_case(k: u64) -> Case {
    let mut rng = Rng::new(1000 + k);
    let mut u = |lo: f64, hi: f64| lo + (hi - lo) * rng.uniform();
    let truth = vec![
        10f64.powf(u(3.5, 5.0)),
        u(-1.4, 0.3),
        u(0.0, 500.0),
        10f64.powf(u(-3.7, -2.5)),
        u(-0.5, 0.3),
        0.0,
        u(-8.0, 8.0),
    ];
    let n_phi = 8 + (k % 5) as usize;
    let n_t = 80 + ((k * 7) % 21) as usize;
    let contrast = u(0.1, 0.3);
    simulate(&truth, n_phi, n_t, contrast, 77 + k)
}

/// The wide bounds: D0 [1e2, 1e6], gamma_dot_t0 [1e-6, 0.5], others default.
pub fn wide_bounds() -> ParameterBounds {
    let mut b = ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    b.physical[0] = Bounds::new(1e2, 1e6);
    b.physical[3] = Bounds::new(1e-6, 0.5);
    b
}

/// The default configuration from `values: null`, with the wide bounds.
pub fn fit_from_midpoints(case: &Case, plan: &Plan) -> NlsqResult {
    search_from_midpoints(case, &wide_bounds(), &NlsqOptions::default(), plan, &|_| {})
}

/// `homodyne_global::fit` from the bound midpoints of `bounds` (`values: null`), the
/// phases reported to `phase`.
pub fn search_from_midpoints(
    case: &Case,
    bounds: &ParameterBounds,
    options: &NlsqOptions,
    plan: &Plan,
    phase: &dyn Fn(&str),
) -> NlsqResult {
    let initial = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::LaminarFlow,
        None,
        None,
        bounds,
    )
    .unwrap();
    homodyne_global::fit(
        &case.experiment,
        case.c2.view(),
        None,
        &initial,
        bounds,
        options,
        plan,
        None,
        phase,
    )
    .unwrap()
}

/// Print a search's phases.
pub fn print_phase(m: &str) {
    println!("phase: {m}");
}

/// Largest |fitted - truth| / sigma over the physical parameters (inf when a sigma is
/// not finite and positive); for a profiled parameter, read off its profile intervals
/// on the side towards the truth ([`homodyne_nlsq::ProfileInterval::z`]).
pub fn worst_z(r: &NlsqResult, truth: &[f64]) -> (f64, String) {
    let mut worst = (0.0, String::new());
    for (k, name) in r.physical_names().iter().enumerate() {
        let (v, s) = (r.physical[k], r.physical_uncertainty[k]);
        // Where the profile likelihood was computed, its intervals (68 % and 99.7 %, as
        // parameters.json reports them) are the error bars: the side towards the truth.
        let profile = r.profile.iter().find(|p| p.name == *name);
        let z = if let Some(p) = profile {
            p.z(truth[k])
        } else if s > 0.0 && s.is_finite() {
            (v - truth[k]).abs() / s
        } else {
            f64::INFINITY
        };
        if z > worst.0 || worst.1.is_empty() {
            worst = (z, name.to_string());
        }
    }
    worst
}
