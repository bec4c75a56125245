//! CMA-ES (Hansen's (mu/mu_w, lambda) evolution strategy with rank-one and rank-mu
//! updates) on the profiled chi^2 ([`crate::Profile`]) of the free physical parameters
//! in the unit cube of [`crate::SearchSpace`] (bounds-normalised, log-scaled where the
//! bounds span decades, so D0 ~ 1e4 and gamma_dot_t0 ~ 1e-3 are searched alike).
//! Bounds: candidates outside the cube are evaluated at their projection plus a
//! quadratic penalty. Restarts: BIPOP (Hansen 2009), alternating a regime of doubling
//! populations at the initial step size with a regime of small populations and small
//! random step sizes, whichever has used fewer evaluations. Each generation's
//! population is evaluated in parallel (candidates are drawn sequentially from the
//! seeded generator first, so the run is the same for any thread count). The best
//! point of every run is refined by a local solve ([`crate::refine`]); the refined
//! solutions are clustered into basins and the best is chosen.

use std::time::Instant;

use homodyne_model::Par;
use homodyne_nlsq::{CmaesRecord, Fitter, GlobalSearchRecord, NlsqError, ParameterBounds};
use rayon::prelude::*;
use tracing::{debug, info};

use crate::layers::{Layers, refine, refine_subset};
use crate::multistart::{Outcome, finish, promote};
use crate::profile::Profile;
use crate::rng::Rng;
use crate::space::SearchSpace;
use crate::subset::CoarseSubset;

/// The reference's presets (generations per run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// 50 generations.
    Fast,
    /// 100 generations.
    Standard,
    /// 200 generations.
    Global,
}

impl Preset {
    /// `cmaes-fast`, `cmaes`, `cmaes-global`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cmaes-fast" | "fast" => Some(Preset::Fast),
            "cmaes" | "standard" => Some(Preset::Standard),
            "cmaes-global" | "global" => Some(Preset::Global),
            _ => None,
        }
    }
    /// Generations per run.
    pub fn generations(self) -> usize {
        match self {
            Preset::Fast => 50,
            Preset::Standard => 100,
            Preset::Global => 200,
        }
    }
    /// The preset's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Fast => "cmaes-fast",
            Preset::Standard => "cmaes",
            Preset::Global => "cmaes-global",
        }
    }
}

/// Settings of a CMA-ES search (`optimization.nlsq.cmaes`).
#[derive(Debug, Clone, PartialEq)]
pub struct CmaesOptions {
    /// Preset (sets the generations per run, as the reference: a known preset
    /// overrides `max_generations`).
    pub preset: Option<Preset>,
    /// Generations per run when no preset is given.
    pub max_generations: usize,
    /// Initial step size in the unit cube.
    pub sigma: f64,
    /// Population (None: `4 + floor(3 ln n)`).
    pub popsize: Option<usize>,
    /// Stop a run when the best values of the last generations differ by less than this
    /// (relative).
    pub tol_fun: f64,
    /// Stop a run when the step size times the largest axis is below this.
    pub tol_x: f64,
    /// BIPOP restarts (false: a single run).
    pub bipop: bool,
    /// Restarts at most.
    pub max_restarts: usize,
    /// Seed.
    pub seed: u64,
    /// Refine the best point of each run by a local solve.
    pub refine_with_nlsq: bool,
    /// Total evaluation budget as a multiple of `popsize * generations`.
    pub budget_factor: f64,
    /// Basins closer than this in the unit cube are one.
    pub degeneracy_threshold: f64,
}

impl Default for CmaesOptions {
    fn default() -> Self {
        CmaesOptions {
            preset: Some(Preset::Global),
            max_generations: 100,
            sigma: 0.5,
            popsize: None,
            tol_fun: 1e-8,
            tol_x: 1e-8,
            bipop: true,
            max_restarts: 9,
            seed: 42,
            refine_with_nlsq: true,
            budget_factor: 4.0,
            degeneracy_threshold: 0.1,
        }
    }
}

impl CmaesOptions {
    /// Generations per run.
    pub fn generations(&self) -> usize {
        self.preset
            .map_or(self.max_generations, Preset::generations)
            .max(1)
    }
}

/// Symmetric eigen-decomposition by cyclic Jacobi: (eigenvalues, row-major eigenvectors
/// as columns).
fn eigen_sym(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

/// One CMA-ES run's outcome.
struct Run {
    best_u: Vec<f64>,
    best_f: f64,
    generations: usize,
    evaluations: usize,
    stop: &'static str,
}

/// The penalised objective in the unit cube: the projection's value plus
/// `1e3 * f_scale * |u - proj|^2`.
fn penalised(f: f64, u: &[f64], f_scale: f64) -> f64 {
    let d2: f64 = u
        .iter()
        .map(|v| {
            let p = v.clamp(0.0, 1.0);
            (v - p) * (v - p)
        })
        .sum();
    f + 1e3 * f_scale.max(1.0) * d2
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    eval: &(dyn Fn(&[Vec<f64>]) -> Vec<f64> + Sync),
    mean0: &[f64],
    sigma0: f64,
    lambda: usize,
    generations: usize,
    tol_fun: f64,
    tol_x: f64,
    rng: &mut Rng,
    max_evaluations: usize,
) -> Run {
    let n = mean0.len();
    let nf = n as f64;
    let mu = lambda / 2;
    let raw: Vec<f64> = (0..mu)
        .map(|i| (mu as f64 + 0.5).ln() - ((i + 1) as f64).ln())
        .collect();
    let wsum: f64 = raw.iter().sum();
    let w: Vec<f64> = raw.iter().map(|v| v / wsum).collect();
    let mueff = 1.0 / w.iter().map(|v| v * v).sum::<f64>();
    let cc = (4.0 + mueff / nf) / (nf + 4.0 + 2.0 * mueff / nf);
    let cs = (mueff + 2.0) / (nf + mueff + 5.0);
    let c1 = 2.0 / ((nf + 1.3).powi(2) + mueff);
    let cmu = (1.0 - c1).min(2.0 * (mueff - 2.0 + 1.0 / mueff) / ((nf + 2.0).powi(2) + mueff));
    let damps = 1.0 + 2.0 * (((mueff - 1.0) / (nf + 1.0)).sqrt() - 1.0).max(0.0) + cs;
    let chin = nf.sqrt() * (1.0 - 1.0 / (4.0 * nf) + 1.0 / (21.0 * nf * nf));
    let mut mean = mean0.to_vec();
    let mut sigma = sigma0;
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        c[i * n + i] = 1.0;
    }
    let (mut pc, mut ps) = (vec![0.0; n], vec![0.0; n]);
    let (mut b, mut d) = (c.clone(), vec![1.0; n]);
    let mut best_u = mean.clone();
    let mut best_f = f64::INFINITY;
    let mut history: Vec<f64> = Vec::new();
    let mut evaluations = 0;
    let mut stop = "generations";
    let mut generation = 0;
    while generation < generations {
        generation += 1;
        // Draw the population sequentially (deterministic), evaluate in parallel.
        let mut ys = Vec::with_capacity(lambda);
        let mut us = Vec::with_capacity(lambda);
        for _ in 0..lambda {
            let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let y: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| b[i * n + j] * d[j] * z[j]).sum())
                .collect();
            us.push((0..n).map(|i| mean[i] + sigma * y[i]).collect::<Vec<f64>>());
            ys.push(y);
        }
        let f = eval(&us);
        evaluations += lambda;
        let mut order: Vec<usize> = (0..lambda).collect();
        order.sort_by(|&a, &bb| f[a].total_cmp(&f[bb]).then(a.cmp(&bb)));
        if f[order[0]] < best_f {
            best_f = f[order[0]];
            best_u = us[order[0]].iter().map(|v| v.clamp(0.0, 1.0)).collect();
        }
        history.push(f[order[0]]);
        // Mean update.
        let old = mean.clone();
        let mut yw = vec![0.0; n];
        for (k, &i) in order[..mu].iter().enumerate() {
            for j in 0..n {
                yw[j] += w[k] * ys[i][j];
            }
        }
        for j in 0..n {
            mean[j] = old[j] + sigma * yw[j];
        }
        // C^-1/2 yw = B D^-1 B^T yw.
        let bty: Vec<f64> = (0..n)
            .map(|k| (0..n).map(|i| b[i * n + k] * yw[i]).sum::<f64>() / d[k])
            .collect();
        let cinv_yw: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|k| b[i * n + k] * bty[k]).sum())
            .collect();
        for j in 0..n {
            ps[j] = (1.0 - cs) * ps[j] + (cs * (2.0 - cs) * mueff).sqrt() * cinv_yw[j];
        }
        let ps_norm = ps.iter().map(|v| v * v).sum::<f64>().sqrt();
        let hsig = ps_norm / (1.0 - (1.0 - cs).powi(2 * generation as i32)).sqrt() / chin
            < 1.4 + 2.0 / (nf + 1.0);
        let hs = if hsig { 1.0 } else { 0.0 };
        for j in 0..n {
            pc[j] = (1.0 - cc) * pc[j] + hs * (cc * (2.0 - cc) * mueff).sqrt() * yw[j];
        }
        let dh = (1.0 - hs) * cc * (2.0 - cc);
        for i in 0..n {
            for j in 0..n {
                let mut rank_mu = 0.0;
                for (k, &s) in order[..mu].iter().enumerate() {
                    rank_mu += w[k] * ys[s][i] * ys[s][j];
                }
                c[i * n + j] = (1.0 - c1 - cmu) * c[i * n + j]
                    + c1 * (pc[i] * pc[j] + dh * c[i * n + j])
                    + cmu * rank_mu;
            }
        }
        sigma *= ((cs / damps) * (ps_norm / chin - 1.0)).min(1.0).exp();
        let (ev, vecs) = eigen_sym(&c, n);
        b = vecs;
        d = ev.iter().map(|v| v.max(1e-300).sqrt()).collect();
        let dmax = d.iter().copied().fold(0.0, f64::max);
        let dmin = d.iter().copied().fold(f64::INFINITY, f64::min);
        if sigma * dmax < tol_x {
            stop = "tol_x";
            break;
        }
        let window = 10 + (30.0 * nf / lambda as f64).ceil() as usize;
        if history.len() >= window {
            let recent = &history[history.len() - window..];
            let hi = recent.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lo = recent.iter().copied().fold(f64::INFINITY, f64::min);
            let fs: Vec<f64> = order.iter().map(|&i| f[i]).collect();
            let spread = fs[fs.len() - 1] - fs[0];
            if (hi - lo).max(spread) <= tol_fun * lo.abs().max(1.0) {
                stop = "tol_fun";
                break;
            }
        }
        if dmax / dmin > 1e7 {
            stop = "condition";
            break;
        }
        if evaluations >= max_evaluations {
            stop = "budget";
            break;
        }
    }
    Run {
        best_u,
        best_f,
        generations: generation,
        evaluations,
        stop,
    }
}

/// CMA-ES search on a prepared fit (module docs). `warm`: physical values to centre the
/// first run on (a local answer or the configured start; the bound centre otherwise).
pub fn cmaes(
    fitter: &Fitter<'_>,
    bounds: &ParameterBounds,
    warm: Option<&[f64]>,
    options: &CmaesOptions,
    layers: &Layers,
    reason: &str,
) -> Result<Outcome, NlsqError> {
    cmaes_on(fitter, None, bounds, warm, options, layers, reason)
}

/// [`cmaes()`] with the evolution and the refinement of every run's best point on the
/// coarse `subset` of a large problem ([`CoarseSubset`]); the best basins found there are
/// then refined on every point. `None`: every point throughout.
pub fn cmaes_on(
    fitter: &Fitter<'_>,
    subset: Option<&CoarseSubset>,
    bounds: &ParameterBounds,
    warm: Option<&[f64]>,
    options: &CmaesOptions,
    layers: &Layers,
    reason: &str,
) -> Result<Outcome, NlsqError> {
    let started = Instant::now();
    let problem = fitter.problem();
    let layout = problem.layout();
    let space = SearchSpace::new(layout, bounds);
    let template = layout.decode(fitter.start()).physical;
    let n = space.dim();
    let mut record = GlobalSearchRecord {
        method: "cmaes".into(),
        reason: reason.into(),
        seed: options.seed,
        ..Default::default()
    };
    crate::subset::note(&mut record, subset);
    let mut profile = Profile::new(problem)?;
    profile.set_pairs(subset.map(|s| &s.pairs));
    let centre = warm.map_or_else(|| vec![0.5; n], |w| space.to_unit(w));
    if let Some(a) =
        layers.apply_shear_weighting(&mut profile, &space.from_unit(&centre, &template))
    {
        record.layers.push(a);
    }
    let f_scale = profile
        .evaluate(&space.from_unit(&centre, &template), Par::Seq)
        .map_or(1.0, |p| p.chi2);
    let eval = |us: &[Vec<f64>]| -> Vec<f64> {
        us.par_iter()
            .map(|u| {
                let phys = space.from_unit(u, &template);
                let f = profile
                    .evaluate(&phys, Par::Seq)
                    .map_or(f64::INFINITY, |p| p.chi2);
                penalised(f, u, f_scale)
            })
            .collect()
    };
    let lambda0 = options
        .popsize
        .unwrap_or(4 + (3.0 * (n as f64).ln()).floor() as usize)
        .max(4);
    let generations = options.generations();
    let budget = (options.budget_factor * (lambda0 * generations) as f64) as usize;
    let mut rng = Rng::new(options.seed);
    let mut runs: Vec<Run> = Vec::new();
    let (mut used_large, mut used_small) = (0usize, 0usize);
    let mut large_k = 0u32;
    let mut total = 0usize;
    let mut max_pop = lambda0;
    info!(
        dimensions = n,
        popsize = lambda0,
        generations,
        budget,
        "CMA-ES: {reason}"
    );
    let first = run_once(
        &eval,
        &centre,
        options.sigma,
        lambda0,
        generations,
        options.tol_fun,
        options.tol_x,
        &mut rng,
        budget,
    );
    total += first.evaluations;
    debug!(best = first.best_f, stop = first.stop, "CMA-ES run 0");
    runs.push(first);
    let mut restarts = 0;
    while options.bipop && restarts < options.max_restarts && total < budget {
        restarts += 1;
        let (lambda, sigma, mean) = if used_large <= used_small || large_k == 0 {
            large_k += 1;
            let lam = lambda0 << large_k;
            (lam, options.sigma, (0..n).map(|_| rng.uniform()).collect())
        } else {
            let u = rng.uniform();
            let ratio = (lambda0 << large_k) as f64 / lambda0 as f64 / 2.0;
            let lam = ((lambda0 as f64) * ratio.max(1.0).powf(u * u)).floor() as usize;
            let s = options.sigma * 10f64.powf(-2.0 * rng.uniform());
            (
                lam.max(lambda0),
                s,
                (0..n).map(|_| rng.uniform()).collect::<Vec<f64>>(),
            )
        };
        let is_large = sigma == options.sigma;
        max_pop = max_pop.max(lambda);
        let r = run_once(
            &eval,
            &mean,
            sigma,
            lambda,
            generations,
            options.tol_fun,
            options.tol_x,
            &mut rng,
            budget - total,
        );
        total += r.evaluations;
        if is_large {
            used_large += r.evaluations;
        } else {
            used_small += r.evaluations;
        }
        debug!(
            restart = restarts,
            popsize = lambda,
            best = r.best_f,
            stop = r.stop,
            "CMA-ES restart"
        );
        runs.push(r);
    }
    record.evaluations = total;
    let best_run = runs
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.best_f.total_cmp(&b.1.best_f).then(a.0.cmp(&b.0)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    record.cmaes = Some(CmaesRecord {
        preset: options
            .preset
            .map_or("custom".to_string(), |p| p.as_str().to_string()),
        generations: runs.iter().map(|r| r.generations).sum(),
        restarts,
        popsize: lambda0,
        max_popsize: max_pop,
        best_cost: runs[best_run].best_f,
        stop: runs[best_run].stop.to_string(),
    });
    // Refine the best of every run (the warm start too), unweighted.
    profile.set_angle_weights(None);
    let mut starts: Vec<Vec<f64>> = runs.iter().map(|r| r.best_u.clone()).collect();
    if let Some(w) = warm {
        starts.push(space.to_unit(w));
    }
    if !options.refine_with_nlsq {
        starts = vec![runs[best_run].best_u.clone()];
    }
    let xs: Vec<Vec<f64>> = starts
        .iter()
        .map(|u| {
            profile
                .evaluate(&space.from_unit(u, &template), Par::rayon(0))
                .map_or_else(|_| fitter.start().to_vec(), |p| p.x)
        })
        .collect();
    record.n_starts = xs.len();
    record.n_refined = xs.len();
    let refined: Vec<_> = xs
        .par_iter()
        .map(|x| {
            if options.refine_with_nlsq {
                match subset {
                    Some(sub) => refine_subset(fitter, sub, x, layers).ok(),
                    None => refine(fitter, x, layers).ok(),
                }
            } else {
                use homodyne_nlsq::Objective;
                problem.evaluate(x).ok().map(|ne| {
                    (
                        homodyne_nlsq::LocalSolution {
                            x: x.clone(),
                            initial_cost: ne.cost,
                            equations: ne,
                            iterations: 0,
                            nfev: 1,
                            njev: 1,
                            accepted_steps: 0,
                            termination: homodyne_nlsq::Termination::Ftol,
                            coarse: None,
                        },
                        Vec::new(),
                    )
                })
            }
        })
        .collect();
    for (s, actions) in refined.iter().flatten() {
        record.local_evaluations += s.nfev;
        for a in actions {
            if !record
                .layers
                .iter()
                .any(|b| b.layer == a.layer && b.message == a.message)
            {
                record.layers.push(a.clone());
            }
        }
    }
    let solutions: Vec<_> = refined.into_iter().map(|s| s.map(|(s, _)| s)).collect();
    let solutions = match subset {
        Some(sub) if options.refine_with_nlsq => promote(
            fitter,
            &space,
            sub,
            solutions,
            options.degeneracy_threshold,
            &mut record,
        ),
        _ => solutions,
    };
    finish(
        fitter,
        &space,
        solutions,
        options.degeneracy_threshold,
        record,
        started,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_shifted_rosenbrock_in_the_cube() {
        let eval = |us: &[Vec<f64>]| -> Vec<f64> {
            us.iter()
                .map(|u| {
                    let x: Vec<f64> = u.iter().map(|v| 4.0 * v.clamp(0.0, 1.0) - 2.0).collect();
                    let f = (0..x.len() - 1)
                        .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2))
                        .sum::<f64>();
                    penalised(f, u, 1.0)
                })
                .collect()
        };
        let mut rng = Rng::new(1);
        let r = run_once(
            &eval, &[0.5; 4], 0.3, 8, 2000, 1e-12, 1e-12, &mut rng, 1_000_000,
        );
        assert!(
            r.best_f < 1e-8,
            "{} after {} ({})",
            r.best_f,
            r.generations,
            r.stop
        );
        for u in &r.best_u {
            assert!((4.0 * u - 2.0 - 1.0).abs() < 1e-3, "{u}");
        }
    }

    #[test]
    fn eigen_decomposition_reconstructs() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let (e, v) = eigen_sym(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| v[i * 3 + k] * e[k] * v[j * 3 + k]).sum();
                assert!((r - a[i * 3 + j]).abs() < 1e-10);
            }
        }
    }
}
