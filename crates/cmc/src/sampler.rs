//! One NUTS chain on one shard (nuts-rs), driven on the calling thread so that the
//! caller decides the parallelism (shards x chains on one rayon pool, no nested pools).
//!
//! Chain `c` of a shard seeded `s` draws from `ChaCha8(s)`, stream `c + 1` — nuts-rs's own
//! convention — so a chain's draws depend only on (data, settings, s, c), never on which
//! thread ran it or when.

use std::time::Instant;

use nuts_rs::rand::SeedableRng;
use nuts_rs::rand::rngs::ChaCha8Rng;
use nuts_rs::{Chain, CpuMath, DiagNutsSettings, LowRankNutsSettings, Settings, Storable, Value};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use nuts_rs::CpuLogpFunc;

/// NUTS settings of a run (the reference's `per_shard_mcmc` and `optimization.mcmc`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NutsOptions {
    /// Warm-up (tuning) draws per chain, discarded.
    pub num_warmup: u64,
    /// Kept draws per chain.
    pub num_samples: u64,
    /// Chains per shard.
    pub num_chains: usize,
    /// Maximum tree depth.
    pub max_tree_depth: u64,
    /// Target acceptance probability of the step-size adaptation.
    pub target_accept: f64,
    /// Low-rank (effectively dense for d ≤ 60) mass matrix; diagonal otherwise.
    pub dense_mass: bool,
    /// Seed of the run.
    pub seed: u64,
}

impl Default for NutsOptions {
    fn default() -> Self {
        NutsOptions {
            num_warmup: 500,
            num_samples: 1500,
            num_chains: 4,
            max_tree_depth: 10,
            target_accept: 0.85,
            dense_mass: true,
            seed: 42,
        }
    }
}

/// The kept draws and statistics of one chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainDraws {
    /// Draws in the sampler's coordinates, draw-major (n_draws x d).
    pub z: Vec<f64>,
    /// Draws of the model's parameter vector, draw-major (n_draws x d).
    pub x: Vec<f64>,
    /// Divergent transition per kept draw.
    pub diverging: Vec<bool>,
    /// Step size per kept draw.
    pub step_size: Vec<f64>,
    /// Tree depth per kept draw.
    pub tree_depth: Vec<u64>,
    /// Leapfrog steps per kept draw.
    pub n_steps: Vec<u64>,
    /// Log density (the shard's target) per kept draw.
    pub lp: Vec<f64>,
    /// Hamiltonian energy per kept draw (E-BFMI).
    pub energy: Vec<f64>,
    /// Mean acceptance probability of the tree per kept draw.
    pub acceptance_rate: Vec<f64>,
    /// Divergences during warm-up (not counted against the shard).
    pub warmup_divergences: u64,
    /// Gradient evaluations, warm-up included.
    pub gradient_evaluations: u64,
    /// Wall seconds of this chain.
    pub seconds: f64,
}

/// Progress of a chain, reported after every draw.
#[derive(Debug, Clone, Copy)]
pub struct DrawEvent {
    /// Still tuning.
    pub tuning: bool,
    /// This draw's transition diverged.
    pub diverging: bool,
    /// Gradient evaluations of this draw.
    pub gradients: u64,
}

fn scalar_f64(v: &Option<Value>) -> Option<f64> {
    match v {
        Some(Value::ScalarF64(x)) => Some(*x),
        Some(Value::ScalarF32(x)) => Some(f64::from(*x)),
        Some(Value::ScalarU64(x)) => Some(*x as f64),
        Some(Value::ScalarI64(x)) => Some(*x as f64),
        Some(Value::F64(v)) if v.len() == 1 => Some(v[0]),
        _ => None,
    }
}

/// Run chain `chain` of a density seeded `seed` from `init` (sampler coordinates);
/// `to_x` maps a draw to the stored parameter vector. `on_draw` is called after every
/// draw (warm-up included); returning `false` stops the chain (an interrupt), which is an
/// error.
pub fn run_chain<F: CpuLogpFunc>(
    posterior: F,
    to_x: &dyn Fn(&[f64]) -> Vec<f64>,
    options: &NutsOptions,
    chain: u64,
    seed: u64,
    init: &[f64],
    on_draw: &(dyn Fn(DrawEvent) -> bool + Sync),
) -> Result<ChainDraws, String> {
    if options.dense_mass {
        let mut s = LowRankNutsSettings::default();
        configure(
            &mut s.num_tune,
            &mut s.num_draws,
            &mut s.maxdepth,
            &mut s.seed,
            options,
        );
        s.num_chains = 1;
        s.adapt_options.step_size_settings.target_accept = options.target_accept;
        run_with(s, posterior, to_x, options, chain, seed, init, on_draw)
    } else {
        let mut s = DiagNutsSettings::default();
        configure(
            &mut s.num_tune,
            &mut s.num_draws,
            &mut s.maxdepth,
            &mut s.seed,
            options,
        );
        s.num_chains = 1;
        s.adapt_options.step_size_settings.target_accept = options.target_accept;
        run_with(s, posterior, to_x, options, chain, seed, init, on_draw)
    }
}

fn configure(tune: &mut u64, draws: &mut u64, depth: &mut u64, seed: &mut u64, o: &NutsOptions) {
    *tune = o.num_warmup;
    *draws = o.num_samples;
    *depth = o.max_tree_depth;
    *seed = o.seed;
}

#[allow(clippy::too_many_arguments)]
fn run_with<S: Settings, F: CpuLogpFunc>(
    settings: S,
    posterior: F,
    to_x: &dyn Fn(&[f64]) -> Vec<f64>,
    options: &NutsOptions,
    chain: u64,
    seed: u64,
    init: &[f64],
    on_draw: &(dyn Fn(DrawEvent) -> bool + Sync),
) -> Result<ChainDraws, String> {
    let started = Instant::now();
    settings.validate().map_err(|e| format!("{e:#}"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chain + 1);
    let d = init.len();
    let mut sampler = settings
        .new_chain(chain, CpuMath::new(posterior), &mut rng)
        .map_err(|e| format!("{e:#}"))?;
    // A start where the density or a gradient component is unusable (nuts-rs rejects a
    // zero gradient component: it would give a degenerate mass matrix) is moved by a
    // seeded perturbation that grows with each try, as nuts-rs's own init loop does.
    let mut start = init.to_vec();
    let mut jitter = ChaCha8Rng::seed_from_u64(seed ^ 0x1A17_1A17);
    jitter.set_stream(chain + 1);
    let mut attempt = 0u32;
    while let Err(e) = sampler.set_position(&start) {
        attempt += 1;
        if attempt > 50 {
            return Err(format!("the log density fails at the start point: {e:#}"));
        }
        let scale = 0.05 * f64::from(attempt);
        for (s, &x0) in start.iter_mut().zip(init) {
            let u: f64 = StandardNormal.sample(&mut jitter);
            *s = x0 + scale * u;
        }
    }
    let n = options.num_samples as usize;
    let mut out = ChainDraws {
        z: Vec::with_capacity(n * d),
        x: Vec::with_capacity(n * d),
        ..ChainDraws::default()
    };
    let total = options.num_warmup + options.num_samples;
    for draw in 0..total {
        let (position, _, mut stats, progress) = sampler
            .expanded_draw()
            .map_err(|e| format!("draw {draw}: {e:#}"))?;
        out.gradient_evaluations += progress.num_gradients;
        let keep = draw >= options.num_warmup;
        if !on_draw(DrawEvent {
            tuning: !keep,
            diverging: progress.diverging,
            gradients: progress.num_gradients,
        }) {
            return Err("interrupted".into());
        }
        if !keep {
            out.warmup_divergences += u64::from(progress.diverging);
            continue;
        }
        out.z.extend_from_slice(&position);
        out.x.extend_from_slice(&to_x(&position));
        out.diverging.push(progress.diverging);
        out.step_size.push(progress.step_size);
        out.n_steps.push(progress.num_steps);
        let (mut depth, mut lp, mut energy, mut accept) = (None, None, None, None);
        {
            let math = sampler.math();
            let dims = (&*math).into();
            for (name, value) in stats.get_all(&dims) {
                match name {
                    "depth" => depth = scalar_f64(&value),
                    "logp" => lp = scalar_f64(&value),
                    "energy" => energy = scalar_f64(&value),
                    "mean_tree_accept" => accept = scalar_f64(&value),
                    _ => {}
                }
            }
        }
        out.tree_depth.push(depth.map_or_else(
            || (progress.num_steps as f64 + 1.0).log2().ceil() as u64,
            |v| v as u64,
        ));
        out.lp.push(lp.unwrap_or(f64::NAN));
        out.energy.push(energy.unwrap_or(f64::NAN));
        out.acceptance_rate.push(accept.unwrap_or(f64::NAN));
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}
