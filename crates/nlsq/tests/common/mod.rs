//! Shared helpers for the acceptance tests: data simulated with `g2_grid` plus seeded
//! Gaussian noise, and checks of recovered parameters.
#![allow(dead_code)]

use homodyne_model::params::AnalysisMode;
use homodyne_model::{Experiment, Geometry, g2_grid};
use homodyne_nlsq::{NlsqResult, ParameterBounds, initial_values};
use ndarray::Array3;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub const SIGMA: f64 = 0.01;
pub const STATIC_TRUTH: [f64; 3] = [1.7e4, -1.57, 3.0];
/// Typical fitted values on real laminar-flow data (DECISIONS.md). They decay within a
/// few frames at q = 0.0054; laminar cases therefore use a smaller q and gap (see
/// [`geometry_for`]) so g1 decays from ~0.9 to ~0.1-0.5 over the grid.
pub const LAMINAR_TRUTH: [f64; 7] = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];

/// (q, L): static q = 0.0054, L = 2e6; laminar q = 0.0054/sqrt(10) = 0.0017 1/A and
/// L = 2e6/sqrt(10) = 0.63 mm, which keeps q^2 D and q L gamma_dot in the visible range.
pub fn geometry_for(n_physical: usize) -> (f64, f64) {
    if n_physical == 7 {
        (0.0054 / 10f64.sqrt(), 2e6 / 10f64.sqrt())
    } else {
        (0.0054, 2e6)
    }
}

pub struct Case {
    pub experiment: Experiment,
    pub c2: Array3<f64>,
    pub physical: Vec<f64>,
    pub contrast: Vec<f64>,
    pub offset: Vec<f64>,
}

/// Evenly spread angles in (-180, 180].
pub fn angles(n_phi: usize) -> Vec<f64> {
    if n_phi == 1 {
        return vec![10.0];
    }
    (0..n_phi)
        .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
        .collect()
}

/// Time grid after t = 0 exclusion: `dt, 2 dt, ..., n_t dt`.
pub fn experiment(n_phi: usize, n_t: usize, n_physical: usize) -> Experiment {
    let dt = 0.1;
    let (q, gap) = geometry_for(n_physical);
    Experiment::new(
        Geometry {
            wavevector_q: q,
            stator_rotor_gap: gap,
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        angles(n_phi),
    )
    .unwrap()
}

pub fn simulate(
    physical: &[f64],
    contrast: Vec<f64>,
    offset: Vec<f64>,
    n_t: usize,
    seed: u64,
) -> Case {
    let experiment = experiment(contrast.len(), n_t, physical.len());
    let mut c2 = g2_grid(&experiment, physical, &contrast, &offset).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = Normal::new(0.0, SIGMA).unwrap();
    c2.iter_mut().for_each(|v| *v += noise.sample(&mut rng));
    Case {
        experiment,
        c2,
        physical: physical.to_vec(),
        contrast,
        offset,
    }
}

/// Start within a factor 2 of the truth for every physical parameter.
pub fn perturbed_start(truth: &[f64]) -> Vec<f64> {
    let factors = [1.6, 0.75, 1.5, 0.6, 1.4, 0.7, 1.5];
    truth.iter().zip(factors).map(|(t, f)| t * f).collect()
}

pub fn start_for(case: &Case) -> homodyne_nlsq::InitialValues {
    let mode = AnalysisMode::from_n_physical(case.physical.len()).unwrap();
    initial_values(
        &case.experiment,
        case.c2.view(),
        mode,
        Some(&perturbed_start(&case.physical)),
        None,
        &ParameterBounds::defaults(mode),
    )
    .unwrap()
}

/// Every physical parameter within `k` sigma of the truth; reduced chi^2 in [lo, hi].
pub fn assert_recovered(result: &NlsqResult, truth: &[f64], k: f64, lo: f64, hi: f64) {
    let names = AnalysisMode::from_n_physical(truth.len())
        .unwrap()
        .physical_names();
    for (name, t) in names.iter().zip(truth) {
        let (v, s) = result.get(name).unwrap();
        assert!(s > 0.0 && s.is_finite(), "{name}: uncertainty {s}");
        assert!(
            (v - t).abs() <= k * s,
            "{name}: fitted {v} +- {s}, truth {t} ({:.2} sigma); status {:?}, chi2r {}",
            (v - t) / s,
            result.convergence_status,
            result.reduced_chi_squared
        );
    }
    assert!(
        result.reduced_chi_squared >= lo && result.reduced_chi_squared <= hi,
        "reduced chi2 {}",
        result.reduced_chi_squared
    );
}
