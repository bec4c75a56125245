//! Multi-start: a seeded Latin hypercube (or uniform) design over the free physical
//! parameters ([`crate::SearchSpace`]), plus given starts; screening by the profiled
//! chi^2 ([`crate::Profile`], each start with its best contrast/offset); a local solve
//! ([`crate::refine`], the anti-degeneracy layers included) from every start that
//! survives screening, in parallel; the solutions clustered into basins by their
//! distance in the unit cube; the best basin chosen.
//!
//! Deterministic: the design depends on the seed only, every start's screening value
//! and local solve are computed independently (the model's sums are bit-identical for
//! any thread count), and results are collected and reduced in start order.

use std::time::Instant;

use homodyne_model::Par;
use homodyne_nlsq::{
    Basin, Fitter, GlobalSearchRecord, LocalSolution, NlsqError, NlsqResult, Objective,
    ParameterBounds, Status,
};
use rayon::prelude::*;
use tracing::info;

use crate::layers::{Layers, refine, refine_subset};
use crate::profile::Profile;
use crate::rng::{Rng, latin_hypercube};
use crate::space::SearchSpace;
use crate::subset::CoarseSubset;

/// How starts are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Latin hypercube (one start per stratum of every parameter).
    LatinHypercube,
    /// Independent uniform draws.
    Random,
}

impl Sampling {
    /// `latin_hypercube` (also `lhs`, `sobol`: a space-filling design) or `random`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "latin_hypercube" | "lhs" | "sobol" => Ok(Sampling::LatinHypercube),
            "random" | "uniform" => Ok(Sampling::Random),
            other => Err(format!(
                "unknown sampling_strategy \"{other}\" (latin_hypercube | random)"
            )),
        }
    }
}

/// Settings of a multi-start search (`optimization.nlsq.multi_start`).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiStartOptions {
    /// Starts drawn from the design (given starts come on top).
    pub n_starts: usize,
    /// Seed of the design.
    pub seed: u64,
    /// Design.
    pub sampling: Sampling,
    /// Screen the starts by their profiled chi^2 before the local solves.
    pub use_screening: bool,
    /// Fraction of the starts kept by screening.
    pub screen_keep_fraction: f64,
    /// Refine at least this many starts (`refine_top_k`).
    pub refine_top_k: usize,
    /// Solutions closer than this in the unit cube (largest coordinate difference) are
    /// one basin.
    pub degeneracy_threshold: f64,
}

impl Default for MultiStartOptions {
    /// The reference's defaults: 10 Latin-hypercube starts, seed 42, screening keeps
    /// half, basins 0.1 apart.
    fn default() -> Self {
        MultiStartOptions {
            n_starts: 10,
            seed: 42,
            sampling: Sampling::LatinHypercube,
            use_screening: true,
            screen_keep_fraction: 0.5,
            refine_top_k: 3,
            degeneracy_threshold: 0.1,
        }
    }
}

impl MultiStartOptions {
    /// The quick search run by default (`values: null`, or a poor local fit): 32
    /// design points screened (cheap: one pass each), the best 4 refined.
    pub fn quick() -> Self {
        MultiStartOptions {
            n_starts: 32,
            screen_keep_fraction: 0.125,
            refine_top_k: 4,
            ..Default::default()
        }
    }

    /// How many of `n` screened starts are refined.
    pub fn n_refined(&self, n: usize) -> usize {
        if !self.use_screening {
            return n;
        }
        let keep = (self.screen_keep_fraction.clamp(0.0, 1.0) * n as f64).ceil() as usize;
        keep.max(self.refine_top_k).clamp(1.min(n), n)
    }
}

/// What a global search returns: the chosen local solution, its result (with the
/// record attached) and the record.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The chosen local solution.
    pub solution: LocalSolution,
    /// Its result, `global_search` filled.
    pub result: NlsqResult,
    /// The local solutions of every refined start, in start order (`None`: failed).
    pub solutions: Vec<Option<LocalSolution>>,
}

/// Draw `n` unit-cube points.
pub(crate) fn design(n: usize, d: usize, sampling: Sampling, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    match sampling {
        Sampling::LatinHypercube => latin_hypercube(n, d, &mut rng),
        Sampling::Random => (0..n)
            .map(|_| (0..d).map(|_| rng.uniform()).collect())
            .collect(),
    }
}

/// Run a multi-start search on a prepared fit. `given` are extra physical start
/// vectors (all 3 or 7 values: the configured start, a previous local answer); the
/// fixed physical parameters keep the fitter's values. `reason` says why the search
/// runs (recorded and logged).
pub fn multi_start(
    fitter: &Fitter<'_>,
    bounds: &ParameterBounds,
    given: &[Vec<f64>],
    options: &MultiStartOptions,
    layers: &Layers,
    reason: &str,
) -> Result<Outcome, NlsqError> {
    multi_start_on(fitter, None, bounds, given, options, layers, reason)
}

/// [`multi_start`] with the screening and the local solves from the starts on the
/// coarse `subset` of a large problem ([`CoarseSubset`]); the best basins found there are
/// then refined on every point (`promote`). `None`: every point throughout.
pub fn multi_start_on(
    fitter: &Fitter<'_>,
    subset: Option<&CoarseSubset>,
    bounds: &ParameterBounds,
    given: &[Vec<f64>],
    options: &MultiStartOptions,
    layers: &Layers,
    reason: &str,
) -> Result<Outcome, NlsqError> {
    let started = Instant::now();
    let problem = fitter.problem();
    let layout = problem.layout();
    let space = SearchSpace::new(layout, bounds);
    let template = layout.decode(fitter.start()).physical;
    let mut profile = Profile::new(problem)?;
    profile.set_pairs(subset.map(|s| &s.pairs));
    let mut record = GlobalSearchRecord {
        method: "multi_start".into(),
        reason: reason.into(),
        seed: options.seed,
        ..Default::default()
    };
    crate::subset::note(&mut record, subset);
    // Layer 5 during screening.
    if let Some(action) = layers.apply_shear_weighting(&mut profile, &template) {
        record.layers.push(action);
    }
    let mut starts: Vec<Vec<f64>> = given.to_vec();
    starts.extend(
        design(
            options.n_starts,
            space.dim(),
            options.sampling,
            options.seed,
        )
        .iter()
        .map(|u| space.from_unit(u, &template)),
    );
    record.n_starts = starts.len();
    info!(
        starts = starts.len(),
        dimensions = space.dim(),
        log_scaled = ?space.names.iter().zip(&space.log).filter(|(_, l)| **l).map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        "multi-start: {reason}"
    );
    // Screening: each start with its best scaling, one pass each, in parallel.
    let screened: Vec<(f64, Vec<f64>)> = starts
        .par_iter()
        .map(|p| match profile.evaluate(p, Par::Seq) {
            Ok(v) => (v.chi2, v.x),
            Err(_) => (f64::INFINITY, fitter.start().to_vec()),
        })
        .collect();
    record.evaluations += screened.len();
    let mut order: Vec<usize> = (0..screened.len()).collect();
    order.sort_by(|&a, &b| screened[a].0.total_cmp(&screened[b].0).then(a.cmp(&b)));
    let n_refine = options.n_refined(order.len());
    let mut chosen: Vec<usize> = order[..n_refine].to_vec();
    chosen.sort_unstable();
    // Unweighted profile again for what follows.
    profile.set_angle_weights(None);
    let solutions: Vec<Option<(LocalSolution, Vec<crate::LayerAction>)>> = chosen
        .par_iter()
        .map(|&i| match subset {
            Some(sub) => refine_subset(fitter, sub, &screened[i].1, layers).ok(),
            None => refine(fitter, &screened[i].1, layers).ok(),
        })
        .collect();
    record.n_refined = chosen.len();
    let solutions_only: Vec<Option<LocalSolution>> = solutions
        .iter()
        .map(|s| s.as_ref().map(|(s, _)| s.clone()))
        .collect();
    for (s, actions) in solutions.iter().flatten() {
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
    let solutions_only = match subset {
        Some(sub) => promote(
            fitter,
            &space,
            sub,
            solutions_only,
            options.degeneracy_threshold,
            &mut record,
        ),
        None => solutions_only,
    };
    let outcome = finish(
        fitter,
        &space,
        solutions_only,
        options.degeneracy_threshold,
        record,
        started,
    )?;
    Ok(outcome)
}

/// Basins of finite solutions: for each, (index of its best solution, members), best
/// basin first (ties by start order).
fn cluster(
    layout: &homodyne_model::layout::ParameterLayout,
    space: &SearchSpace,
    solutions: &[Option<LocalSolution>],
    threshold: f64,
) -> Vec<(usize, usize)> {
    let cost = |i: usize| {
        solutions[i]
            .as_ref()
            .map_or(f64::INFINITY, |s| s.equations.cost)
    };
    let mut order: Vec<usize> = (0..solutions.len())
        .filter(|&i| cost(i).is_finite())
        .collect();
    order.sort_by(|&a, &b| cost(a).total_cmp(&cost(b)).then(a.cmp(&b)));
    let mut basins: Vec<(usize, usize, Vec<f64>)> = Vec::new();
    for &i in &order {
        let s = solutions[i].as_ref().expect("finite cost");
        let phys = layout.decode(&s.x).physical;
        match basins
            .iter_mut()
            .find(|(_, _, bp)| space.distance(bp, &phys) < threshold)
        {
            Some(b) => b.1 += 1,
            None => basins.push((i, 1, phys)),
        }
    }
    basins.into_iter().map(|(i, m, _)| (i, m)).collect()
}

/// Basins of the coarse subset refined on every point (at most this many, best first).
pub const FULL_REFINEMENTS: usize = 3;

/// From the local solutions on the coarse subset to solutions on every point: the
/// subset's solutions are clustered into basins, the best [`FULL_REFINEMENTS`] are solved
/// again on all the data from their subset optimum ([`Fitter::solve_from`]), in parallel.
/// The record's `reason` says that a subset was used, its size and what was refined;
/// its `subset` says how many basins were refined.
pub(crate) fn promote(
    fitter: &Fitter<'_>,
    space: &SearchSpace,
    subset: &CoarseSubset,
    solutions: Vec<Option<LocalSolution>>,
    threshold: f64,
    record: &mut GlobalSearchRecord,
) -> Vec<Option<LocalSolution>> {
    let layout = fitter.problem().layout();
    let basins = cluster(layout, space, &solutions, threshold);
    let best: Vec<usize> = basins
        .iter()
        .take(FULL_REFINEMENTS)
        .map(|&(i, _)| i)
        .collect();
    let full: Vec<Option<LocalSolution>> = best
        .par_iter()
        .map(|&i| {
            let x = &solutions[i].as_ref().expect("a basin's solution").x;
            fitter.solve_from(x).ok()
        })
        .collect();
    record.local_evaluations += full.iter().flatten().map(|s| s.nfev).sum::<usize>();
    if let Some(s) = record.subset.as_mut() {
        s.full_refinements = best.len();
    }
    let note = format!(
        "search on the {}; {} basins there, the best {} refined on every point",
        subset.describe(),
        basins.len(),
        best.len()
    );
    info!("{note}");
    record.reason = if record.reason.is_empty() {
        note
    } else {
        format!("{}; {note}", record.reason)
    };
    full
}

/// Cluster solutions into basins, pick the best, build the result.
pub(crate) fn finish(
    fitter: &Fitter<'_>,
    space: &SearchSpace,
    solutions: Vec<Option<LocalSolution>>,
    threshold: f64,
    mut record: GlobalSearchRecord,
    started: Instant,
) -> Result<Outcome, NlsqError> {
    let problem = fitter.problem();
    let layout = problem.layout();
    let names = layout.names();
    let p = problem.n_params();
    let clusters = cluster(layout, space, &solutions, threshold);
    let Some(&(best, _)) = clusters.first() else {
        return Err(NlsqError::Option {
            name: "global search",
            message: "no local solve succeeded from any start".into(),
        });
    };
    let basins: Vec<Basin> = clusters
        .iter()
        .map(|&(i, members)| {
            let s = solutions[i].as_ref().expect("a basin's solution");
            let dof = s.equations.n_points.saturating_sub(p).max(1);
            Basin {
                cost: s.equations.cost,
                chi_squared: s.equations.chi2,
                reduced_chi_squared: s.equations.chi2 / dof as f64,
                names: names.clone(),
                parameters: s.x.clone(),
                members,
                converged: s.termination.converged(),
            }
        })
        .collect();
    record.basins = basins;
    record.chosen_basin = 0;
    record.seconds = started.elapsed().as_secs_f64();
    let sol = solutions[best].clone().expect("best exists");
    let status = if sol.termination.converged() {
        Status::Converged
    } else {
        Status::MaxIter
    };
    info!(
        basins = record.basins.len(),
        best_reduced_chi2 = record.basins[0].reduced_chi_squared,
        seconds = record.seconds,
        "{} done",
        record.method
    );
    let mut result = fitter.result(
        &sol,
        status,
        vec![format!(
            "global_search_{}: {} starts, {} refined, {} basins",
            record.method,
            record.n_starts,
            record.n_refined,
            record.basins.len()
        )],
    );
    result.execution_time = record.seconds;
    result.global_search = Some(record);
    // Equations at the answer are the data's own (layers may have used others).
    debug_assert_eq!(result.fitted_vector.len(), p);
    Ok(Outcome {
        solution: sol,
        result,
        solutions,
    })
}

/// The objective's cost at `x` (NaN-safe): for tests and callers comparing answers.
pub fn cost_at(fitter: &Fitter<'_>, x: &[f64]) -> f64 {
    fitter.problem().cost(x).map_or(f64::INFINITY, |c| {
        if c.cost.is_finite() {
            c.cost
        } else {
            f64::INFINITY
        }
    })
}
