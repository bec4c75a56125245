//! Coverage of the posterior's central 90 % intervals (CMC issue acceptance: "posterior
//! 90 % intervals cover truth in 82–97 of 100 simulated datasets").
//!
//! Simulation-based calibration: each dataset's truth is drawn from the prior that the
//! sampler then uses, so a correct posterior covers the truth with probability 0.90
//! exactly, whatever the data say. Static data, 2 angles x 40 frames (dt 0.1), Gaussian
//! noise sd 0.01 drawn on the upper triangle and mirrored (what the APS loader gives);
//! NLSQ from the prior means gives the warm start; NUTS on all the data (K = 1),
//! 2 chains x (500 + 500); then a CMC run (K = 4) on the same datasets (all, or the first
//! `CMC_COVERAGE_K4_N`).
//!
//! Ignored (about 0.2 s per dataset and K on 2 cores); run it with `scripts/cmc_coverage.sh [N] [N_K4]`
//! or `CMC_COVERAGE_N=100 CMC_COVERAGE_K4_N=100 cargo test --release -p homodyne-cmc --test
//! coverage -- --ignored --nocapture`.
//!
//! `same_seed_same_draws_whatever_the_threads` (not ignored, well under a second) checks
//! that a run's draws are bit-identical for the same seed with 1 or 2 threads.

use std::time::Instant;

mod common;

use common::{options, warm_start};

use homodyne_cmc::{CmcResult, NoObserver, Problem};
use homodyne_model::params::AnalysisMode;
use homodyne_model::scaling::PerAngleMode;
use homodyne_model::{Experiment, Geometry, ParameterSpace, Prior, PriorKind, g2_grid};
use homodyne_nlsq::{Fitter, NlsqOptions, ParameterBounds, initial_values};
use ndarray::Array3;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, StandardNormal};

const SIGMA: f64 = 0.01;
const N_PHI: usize = 2;
const N_T: usize = 40;

/// The prior of the study, (table name, kind, mu, sigma). D0 LogNormal around the
/// tests' truth; the others truncated normals on the default bounds. Widths are of the
/// order of (D_offset: comparable to) the posterior's, so the prior matters.
const PRIORS: [(&str, PriorKind, f64, f64); 5] = [
    ("D0", PriorKind::LogNormal, 9.741_027, 0.25), // ln 1.7e4
    ("alpha", PriorKind::TruncatedNormal, -1.57, 0.15),
    ("D_offset", PriorKind::TruncatedNormal, 3.0, 20.0),
    ("contrast", PriorKind::TruncatedNormal, 0.15, 0.03),
    ("offset", PriorKind::TruncatedNormal, 1.0, 0.01),
];

/// Entries of the sampled vector whose coverage is counted.
const CHECKED: [&str; 5] = ["D0", "alpha", "D_offset", "contrast_0", "offset_0"];

fn space() -> ParameterSpace {
    let mut space = ParameterSpace::defaults(AnalysisMode::Static);
    for (name, kind, mu, sigma) in PRIORS {
        space.spec_mut(name).unwrap().prior = Prior::new(kind, mu, sigma);
    }
    space
}

/// One draw of `name`'s prior inside its bounds.
fn draw_prior(space: &ParameterSpace, name: &str, rng: &mut ChaCha8Rng) -> f64 {
    let spec = space.spec(name).unwrap();
    let b = spec.bounds;
    for _ in 0..10_000 {
        let e: f64 = StandardNormal.sample(rng);
        let v = match spec.prior {
            Prior::LogNormal { mu, sigma } => (mu + sigma * e).exp(),
            Prior::Normal { mu, sigma } | Prior::TruncatedNormal { mu, sigma } => mu + sigma * e,
            other => panic!("study prior {other:?} not drawn"),
        };
        if b.contains(v) {
            return v;
        }
    }
    panic!("prior of {name} has no mass inside its bounds");
}

/// The prior's centre (NLSQ start; the truth is never used to start).
fn prior_centre(space: &ParameterSpace, name: &str) -> f64 {
    match space.spec(name).unwrap().prior {
        Prior::LogNormal { mu, .. } => mu.exp(),
        p => p.mu().unwrap(),
    }
}

struct Case {
    experiment: Experiment,
    c2: Array3<f64>,
    /// Truth of the sampled vector's entries by name.
    truth: Vec<(String, f64)>,
}

fn simulate(space: &ParameterSpace, seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let physical: Vec<f64> = ["D0", "alpha", "D_offset"]
        .iter()
        .map(|n| draw_prior(space, n, &mut rng))
        .collect();
    let contrast: Vec<f64> = (0..N_PHI)
        .map(|_| draw_prior(space, "contrast", &mut rng))
        .collect();
    let offset: Vec<f64> = (0..N_PHI)
        .map(|_| draw_prior(space, "offset", &mut rng))
        .collect();
    let dt = 0.1;
    let experiment = Experiment::new(
        Geometry {
            wavevector_q: 0.0054,
            stator_rotor_gap: 2e6,
            dt,
        },
        (1..=N_T).map(|k| k as f64 * dt).collect(),
        (0..N_PHI)
            .map(|k| -170.0 + 350.0 * k as f64 / N_PHI as f64)
            .collect(),
    )
    .unwrap();
    let mut c2 = g2_grid(&experiment, &physical, &contrast, &offset).unwrap();
    let normal = Normal::new(0.0, SIGMA).unwrap();
    for a in 0..N_PHI {
        for i in 0..N_T {
            for j in i..N_T {
                let e = normal.sample(&mut rng);
                c2[[a, i, j]] += e;
                if j > i {
                    c2[[a, j, i]] += e;
                }
            }
        }
    }
    let mut truth: Vec<(String, f64)> = ["D0", "alpha", "D_offset"]
        .iter()
        .zip(&physical)
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    for a in 0..N_PHI {
        truth.push((format!("contrast_{a}"), contrast[a]));
        truth.push((format!("offset_{a}"), offset[a]));
    }
    Case {
        experiment,
        c2,
        truth,
    }
}

fn fitter<'a>(case: &'a Case, space: &ParameterSpace) -> Fitter<'a> {
    let bounds = ParameterBounds::from_space(space);
    let start: Vec<f64> = ["D0", "alpha", "D_offset"]
        .iter()
        .map(|n| prior_centre(space, n))
        .collect();
    let init = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::Static,
        Some(&start),
        None,
        &bounds,
    )
    .unwrap();
    let options = NlsqOptions {
        per_angle_mode: PerAngleMode::Individual,
        ..Default::default()
    };
    Fitter::new(
        &case.experiment,
        case.c2.view(),
        None,
        &init,
        &bounds,
        &options,
    )
    .unwrap()
}

/// Central binomial range of the number covered out of `n` at rate `p`: each tail holds
/// at most `tail` of the probability.
fn binomial_range(n: usize, p: f64, tail: f64) -> (usize, usize) {
    let mut pmf = vec![0.0f64; n + 1];
    // log pmf for numerical safety.
    let ln_fact = |m: usize| (1..=m).map(|v| (v as f64).ln()).sum::<f64>();
    for (k, v) in pmf.iter_mut().enumerate() {
        *v = (ln_fact(n) - ln_fact(k) - ln_fact(n - k)
            + k as f64 * p.ln()
            + (n - k) as f64 * (1.0 - p).ln())
        .exp();
    }
    let mut lo = 0;
    let mut acc = 0.0;
    while lo < n && acc + pmf[lo] <= tail {
        acc += pmf[lo];
        lo += 1;
    }
    let mut hi = n;
    let mut acc = 0.0;
    while hi > 0 && acc + pmf[hi] <= tail {
        acc += pmf[hi];
        hi -= 1;
    }
    (lo, hi)
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (mean, sd, MCSE of the mean) of one entry.
type MeanSd = (f64, f64, f64);

#[derive(Default)]
struct Tally {
    datasets: usize,
    failed: Vec<String>,
    covered: Vec<usize>,
    /// Fraction of draws below the truth (SBC rank / number of draws), per checked entry.
    ranks: Vec<Vec<f64>>,
    /// Sum of posterior sds per checked entry (to compare with the prior's).
    sd_sum: Vec<f64>,
    max_rhat: f64,
    min_ess: f64,
    divergences: usize,
    saturated: usize,
    draws: usize,
    grads: u64,
    seconds_nlsq: f64,
    seconds_nuts: f64,
    step_sizes: Vec<f64>,
    /// (seed, per checked entry (mean, sd, mcse of the mean)) of every sampled dataset.
    summaries: Vec<(u64, Vec<MeanSd>)>,
}

fn study(k: usize, n: usize, first_seed: u64) -> Tally {
    let space = space();
    let mut t = Tally {
        covered: vec![0; CHECKED.len()],
        ranks: vec![Vec::new(); CHECKED.len()],
        sd_sum: vec![0.0; CHECKED.len()],
        max_rhat: f64::NAN,
        min_ess: f64::NAN,
        ..Tally::default()
    };
    for i in 0..n {
        let seed = first_seed + i as u64;
        let case = simulate(&space, seed);
        let started = Instant::now();
        let fitter = fitter(&case, &space);
        let nlsq = fitter.fit();
        t.seconds_nlsq += started.elapsed().as_secs_f64();
        if !nlsq.converged() {
            t.failed
                .push(format!("seed {seed}: NLSQ {:?}", nlsq.convergence_status));
            continue;
        }
        let problem = Problem::from_fitter(&fitter, case.c2.view(), &space);
        let opts = options(k, 2, 500, 500, 1000 + seed);
        let started = Instant::now();
        let r: CmcResult = match homodyne_cmc::sample(
            &problem,
            Some(&warm_start(&nlsq)),
            &opts,
            None,
            &NoObserver,
        ) {
            Ok(r) => r,
            Err(e) => {
                t.failed.push(format!("seed {seed}: {e}"));
                continue;
            }
        };
        t.seconds_nuts += started.elapsed().as_secs_f64();
        t.datasets += 1;
        t.max_rhat = r
            .max_rhat()
            .max(if t.max_rhat.is_nan() { 0.0 } else { t.max_rhat });
        t.min_ess = r.min_ess_bulk().min(if t.min_ess.is_nan() {
            f64::INFINITY
        } else {
            t.min_ess
        });
        t.divergences += r.divergences;
        t.draws += r.total_draws;
        t.grads += r.gradient_evaluations;
        t.saturated += r
            .sample_stats
            .tree_depth
            .iter()
            .filter(|&&d| d as u64 >= r.nuts.max_tree_depth)
            .count();
        t.step_sizes
            .extend(r.shards.iter().map(|s| s.mean_step_size));
        t.summaries.push((
            seed,
            CHECKED
                .iter()
                .map(|name| {
                    let j = r.names.iter().position(|m| m == name).unwrap();
                    let s = &r.summaries[j];
                    (s.mean, s.sd, s.mcse_mean)
                })
                .collect(),
        ));
        let mut line = format!("seed {seed:>4} K={k}:");
        for (c, name) in CHECKED.iter().enumerate() {
            let j = r.names.iter().position(|m| m == name).unwrap();
            let s = &r.summaries[j];
            let truth = case.truth.iter().find(|(m, _)| m == name).unwrap().1;
            let hit = s.q05 <= truth && truth <= s.q95;
            t.covered[c] += usize::from(hit);
            t.sd_sum[c] += s.sd;
            let below = r
                .draws
                .slice(ndarray::s![.., .., j])
                .iter()
                .filter(|&&v| v < truth)
                .count();
            t.ranks[c].push(below as f64 / r.draws.slice(ndarray::s![.., .., j]).len() as f64);
            line.push_str(&format!(
                " {name} {}{:+.2}sd",
                if hit { ' ' } else { '*' },
                (truth - s.mean) / s.sd
            ));
        }
        line.push_str(&format!(
            " | rhat {:.3} ess {:.0} div {} {:.2} s",
            r.max_rhat(),
            r.min_ess_bulk(),
            r.divergences,
            started.elapsed().as_secs_f64()
        ));
        println!("{line}");
    }
    t
}

fn report(k: usize, n: usize, t: &Tally) -> Vec<String> {
    let used = t.datasets;
    let (lo95, hi95) = binomial_range(used, 0.9, 0.025);
    // The band for 100 datasets is 82-97: at most 0.5 % in each tail.
    let (lo, hi) = if used == 100 {
        (82, 97)
    } else {
        binomial_range(used, 0.9, 0.005)
    };
    println!(
        "\n=== 90 % interval coverage, K = {k}: {used} of {n} datasets sampled \
         (binomial 95 % range for 90 %: {lo95}-{hi95}; accepted {lo}-{hi}) ==="
    );
    println!(
        "{:>12} {:>8} {:>8} {:>10} {:>11} {:>10}  SBC rank histogram (10 bins)",
        "parameter", "covered", "rate", "in range", "post. sd", "prior sd"
    );
    let space = space();
    let mut bad = Vec::new();
    for (c, name) in CHECKED.iter().enumerate() {
        let mut hist = [0usize; 10];
        for &u in &t.ranks[c] {
            hist[((u * 10.0) as usize).min(9)] += 1;
        }
        let ok = (lo..=hi).contains(&t.covered[c]);
        if !ok {
            bad.push(format!("K={k} {name}: {} of {used}", t.covered[c]));
        }
        let prior_sd = match space.spec(name).unwrap().prior {
            // sd of a LogNormal(mu, s): centre · sqrt(exp(s^2) - 1).
            Prior::LogNormal { mu, sigma } => mu.exp() * (sigma * sigma).exp_m1().sqrt(),
            p => p.sigma().unwrap(),
        };
        println!(
            "{name:>12} {:>8} {:>7.1}% {:>10} {:>11.3e} {:>10.3e}  {hist:?}",
            t.covered[c],
            100.0 * t.covered[c] as f64 / used.max(1) as f64,
            if ok { "yes" } else { "NO" },
            t.sd_sum[c] / used.max(1) as f64,
            prior_sd
        );
    }
    let mean_step = t.step_sizes.iter().sum::<f64>() / t.step_sizes.len().max(1) as f64;
    println!(
        "sampler: max R-hat {:.4}, min ESS-bulk {:.0}, {} divergences and {} tree-depth \
         saturations in {} draws, mean step size {:.3}, {:.0} gradients/draw",
        t.max_rhat,
        t.min_ess,
        t.divergences,
        t.saturated,
        t.draws,
        mean_step,
        t.grads as f64 / t.draws.max(1) as f64
    );
    println!(
        "time: NLSQ {:.1} s, NUTS {:.1} s ({:.2} s per dataset)",
        t.seconds_nlsq,
        t.seconds_nuts,
        (t.seconds_nlsq + t.seconds_nuts) / used.max(1) as f64
    );
    for f in &t.failed {
        println!("failed: {f}");
        bad.push(f.clone());
    }
    bad
}

/// K = 4 against K = 1 on the same datasets (reported, not asserted): the issue's
/// per-dataset criteria, mean within 0.15 sd_full + 3 MCSE and sd ratio 0.9-1.1.
fn compare(full: &Tally, cmc: &Tally) {
    println!("\n=== K = 4 against K = 1 on the same datasets ===");
    println!(
        "{:>12} {:>9} {:>14} {:>14} {:>30}",
        "parameter", "datasets", "mean off", "sd ratio off", "worst |dmean|/sd_full (seed)"
    );
    for (c, name) in CHECKED.iter().enumerate() {
        let (mut n, mut mean_off, mut sd_off) = (0, 0, 0);
        let mut worst = (0.0f64, 0u64, 0.0f64);
        for (seed, cm) in &cmc.summaries {
            let Some((_, fm)) = full.summaries.iter().find(|(s, _)| s == seed) else {
                continue;
            };
            let ((mf, sf, ef), (mc, sc, ec)) = (fm[c], cm[c]);
            n += 1;
            let dm = (mc - mf).abs();
            if dm > 0.15 * sf + 3.0 * (ef * ef + ec * ec).sqrt() {
                mean_off += 1;
            }
            let ratio = sc / sf;
            if !(0.9..=1.1).contains(&ratio) {
                sd_off += 1;
            }
            if dm / sf > worst.0 {
                worst = (dm / sf, *seed, ratio);
            }
        }
        println!(
            "{name:>12} {n:>9} {mean_off:>14} {sd_off:>14} {:>18.2} ({}, sd ratio {:.2})",
            worst.0, worst.1, worst.2
        );
    }
}

#[test]
#[ignore = "coverage study, ~0.4 s per dataset: scripts/cmc_coverage.sh"]
fn posterior_intervals_cover_truth() {
    let n = env_usize("CMC_COVERAGE_N", 100);
    let n_k4 = env_usize("CMC_COVERAGE_K4_N", 100);
    let first = env_usize("CMC_COVERAGE_SEED", 0) as u64;
    let full = study(1, n, first);
    let mut bad = report(1, n, &full);
    if n_k4 > 0 {
        let cmc = study(4, n_k4, first);
        bad.extend(report(4, n_k4, &cmc));
        compare(&full, &cmc);
    }
    assert!(
        bad.is_empty(),
        "coverage outside the accepted range: {bad:?}"
    );
}

#[test]
fn binomial_range_matches_tables() {
    // Bin(100, 0.9): P(X <= 83) = 0.0206, P(X <= 84) = 0.0399; P(X >= 96) = 0.0237,
    // P(X >= 97) = 0.0078: 84-95 leaves at most 2.5 % in each tail.
    assert_eq!(binomial_range(100, 0.9, 0.025), (84, 95));
    // The 82-97 leaves at most 0.5 % in each tail (0.46 % and 0.19 %).
    assert_eq!(binomial_range(100, 0.9, 0.005), (82, 97));
}

/// Same seed, same draws: bit-identical with 1 or 2 threads, and with the likelihood
/// summed in parallel (1 chain on 2 threads) or not.
#[test]
fn same_seed_same_draws_whatever_the_threads() {
    let space = space();
    let case = simulate(&space, 5);
    let fitter = fitter(&case, &space);
    let nlsq = fitter.fit();
    let problem = Problem::from_fitter(&fitter, case.c2.view(), &space);
    let warm = warm_start(&nlsq);
    for (k, chains) in [(1, 2), (1, 1), (3, 2)] {
        let mut runs = Vec::new();
        for threads in [1, 2, 2] {
            let mut o = options(k, chains, 100, 50, 77);
            o.threads = threads;
            let r = homodyne_cmc::sample(&problem, Some(&warm), &o, None, &NoObserver).unwrap();
            runs.push(r.draws.iter().map(|v| v.to_bits()).collect::<Vec<u64>>());
        }
        assert_eq!(runs[0], runs[1], "K={k}, {chains} chains: 1 vs 2 threads");
        assert_eq!(runs[1], runs[2], "K={k}, {chains} chains: 2 threads twice");
    }
}

/// One dataset of the study in detail (truth, NLSQ fit, per-chain means, sampler
/// statistics): `CMC_COVERAGE_SEED=67 CMC_COVERAGE_K=1 cargo test --release -p homodyne-cmc
/// --test coverage -- one_dataset --ignored --nocapture`.
#[test]
#[ignore = "inspects one dataset of the coverage study"]
fn one_dataset() {
    let seed = env_usize("CMC_COVERAGE_SEED", 0) as u64;
    let k = env_usize("CMC_COVERAGE_K", 1);
    let chains = env_usize("CMC_COVERAGE_CHAINS", 2);
    let space = space();
    let case = simulate(&space, seed);
    let fitter = fitter(&case, &space);
    let nlsq = fitter.fit();
    println!(
        "NLSQ {:?}, reduced chi2 {:.3}, sigma {:?}",
        nlsq.convergence_status,
        nlsq.reduced_chi_squared,
        fitter.objective().sigma
    );
    let problem = Problem::from_fitter(&fitter, case.c2.view(), &space);
    let opts = options(k, chains, 500, 500, 1000 + seed);
    let r =
        homodyne_cmc::sample(&problem, Some(&warm_start(&nlsq)), &opts, None, &NoObserver).unwrap();
    let (c, n, _) = r.draws.dim();
    for (j, name) in r.names.iter().enumerate() {
        let truth = case.truth.iter().find(|(m, _)| m == name).unwrap().1;
        let i = nlsq.fitted_names.iter().position(|m| m == name).unwrap();
        let chain_means: Vec<String> = (0..c)
            .map(|ci| {
                let m = r.draws.slice(ndarray::s![ci, .., j]).sum() / n as f64;
                format!("{m:.5e}")
            })
            .collect();
        let s = &r.summaries[j];
        println!(
            "{name:>10}: truth {truth:.5e} | nlsq {:.5e} ± {:.2e} | post {:.5e} ± {:.2e} \
             [{:.5e}, {:.5e}] rhat {:.3} | chains {chain_means:?}",
            nlsq.fitted_vector[i], nlsq.fitted_uncertainties[i], s.mean, s.sd, s.q05, s.q95, s.rhat
        );
    }
    for sh in &r.shards {
        println!(
            "shard {}: step {:.3}, steps/draw {:.1}, divergences {}, max rhat {:.3}",
            sh.index, sh.mean_step_size, sh.mean_steps, sh.divergences, sh.max_rhat
        );
    }
    for ci in 0..c {
        let st = &r.sample_stats;
        let row = |a: &ndarray::Array2<f64>| a.row(ci).sum() / n as f64;
        println!(
            "chain {ci}: step {:.3}, mean depth {:.2}, mean accept {:.3}, mean lp {:.2}, \
             divergences {}",
            row(&st.step_size),
            st.tree_depth.row(ci).iter().sum::<i64>() as f64 / n as f64,
            row(&st.acceptance_rate),
            row(&st.lp),
            st.diverging.row(ci).iter().filter(|&&d| d).count()
        );
    }
    println!("warnings: {:?}", r.warnings);
}
