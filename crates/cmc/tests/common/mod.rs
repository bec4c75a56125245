//! Simulated datasets with an NLSQ fit: the problem CMC samples and its warm start.
#![allow(dead_code)]

use homodyne_cmc::{
    CmcOptions, CmcResult, NoObserver, NutsOptions, Problem, ShardCount, WarmStart, sample,
};
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_model::{Experiment, Geometry, ParameterSpace, g2_grid};
use homodyne_nlsq::{Fitter, NlsqOptions, NlsqResult, ParameterBounds, initial_values};
use ndarray::Array3;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub const SIGMA: f64 = 0.01;
pub const STATIC_TRUTH: [f64; 3] = [1.7e4, -1.57, 3.0];
pub const LAMINAR_TRUTH: [f64; 7] = [6.8e4, -1.33, 1.7e3, 2e-3, -0.21, -6e-4, 2.0];

pub struct Case {
    pub experiment: Experiment,
    pub c2: Array3<f64>,
    pub physical: Vec<f64>,
    pub contrast: Vec<f64>,
    pub offset: Vec<f64>,
    pub mode: AnalysisMode,
}

/// Model + symmetric noise (upper triangle drawn, mirrored: what the APS loader gives).
pub fn simulate(mode: AnalysisMode, n_phi: usize, n_t: usize, seed: u64) -> Case {
    let (physical, q, gap): (Vec<f64>, f64, f64) = match mode {
        AnalysisMode::Static => (STATIC_TRUTH.to_vec(), 0.0054, 2e6),
        AnalysisMode::LaminarFlow => (
            LAMINAR_TRUTH.to_vec(),
            0.0054 / 10f64.sqrt(),
            2e6 / 10f64.sqrt(),
        ),
    };
    let dt = 0.1;
    let phi: Vec<f64> = if n_phi == 1 {
        vec![10.0]
    } else {
        (0..n_phi)
            .map(|k| -170.0 + 350.0 * k as f64 / n_phi as f64)
            .collect()
    };
    let experiment = Experiment::new(
        Geometry {
            wavevector_q: q,
            stator_rotor_gap: gap,
            dt,
        },
        (1..=n_t).map(|k| k as f64 * dt).collect(),
        phi,
    )
    .unwrap();
    // Static: scaling differs per angle (fitted individually); laminar: one contrast and
    // offset for all angles (fitted averaged, the reference's choice for many angles).
    let (contrast, offset): (Vec<f64>, Vec<f64>) = match mode {
        AnalysisMode::Static => (
            (0..n_phi).map(|a| 0.15 + 0.01 * a as f64).collect(),
            (0..n_phi).map(|a| 0.99 + 0.002 * a as f64).collect(),
        ),
        AnalysisMode::LaminarFlow => (vec![0.17; n_phi], vec![1.0; n_phi]),
    };
    let mut c2 = g2_grid(&experiment, &physical, &contrast, &offset).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, SIGMA).unwrap();
    for a in 0..n_phi {
        for i in 0..n_t {
            for j in i..n_t {
                let e = normal.sample(&mut rng);
                c2[[a, i, j]] += e;
                if j > i {
                    c2[[a, j, i]] += e;
                }
            }
        }
    }
    Case {
        experiment,
        c2,
        physical,
        contrast,
        offset,
        mode,
    }
}

pub fn nlsq_options(scaling: PerAngleMode) -> NlsqOptions {
    NlsqOptions {
        per_angle_mode: scaling,
        ..Default::default()
    }
}

/// Fit with NLSQ from a start near the truth; laminar holds gamma_dot_t_offset at its
/// truth (nearly degenerate with gamma_dot_t0 on short grids).
pub fn fitter<'a>(case: &'a Case, options: &NlsqOptions) -> Fitter<'a> {
    let bounds = ParameterBounds::defaults(case.mode);
    let start: Vec<f64> = case.physical.iter().map(|v| v * 1.2).collect();
    let mut init = initial_values(
        &case.experiment,
        case.c2.view(),
        case.mode,
        Some(&start),
        None,
        &bounds,
    )
    .unwrap();
    if case.mode == AnalysisMode::LaminarFlow {
        init.physical[5] = case.physical[5];
        init.fixed[5] = true;
    }
    Fitter::new(
        &case.experiment,
        case.c2.view(),
        None,
        &init,
        &bounds,
        options,
    )
    .unwrap()
}

pub fn warm_start(result: &NlsqResult) -> WarmStart {
    WarmStart::from_nlsq(result, "nlsq (inline)")
}

pub fn options(k: usize, chains: usize, warmup: u64, samples: u64, seed: u64) -> CmcOptions {
    CmcOptions {
        nuts: NutsOptions {
            num_warmup: warmup,
            num_samples: samples,
            num_chains: chains,
            seed,
            ..NutsOptions::default()
        },
        shards: ShardCount::Shards(k),
        combination: homodyne_mcmc::CombineMethod::ConsensusMc,
        combine: Default::default(),
        threads: 0,
    }
}

pub fn run(case: &Case, fitter: &Fitter<'_>, result: &NlsqResult, opts: &CmcOptions) -> CmcResult {
    let space = ParameterSpace::defaults(case.mode);
    let problem = Problem::from_fitter(fitter, case.c2.view(), &space);
    sample(&problem, Some(&warm_start(result)), opts, None, &NoObserver).unwrap()
}
