//! The profile-likelihood coverage study, shared by `tests/profile_coverage.rs` (a
//! short mechanics check and the long `#[ignore]`d study run by
//! `scripts/profile_coverage.sh`).
//!
//! Each dataset is laminar flow on 8-10 angles x 60-80 frames of the laminar geometry of
//! `common` (q = 0.0054/sqrt(10), L = 2e6/sqrt(10), dt 0.1), a random plausible truth
//! like issue 14's acceptance cases (D0 10^3.5-10^5, alpha -1.4..0.3, D_offset 0-500,
//! gamma_dot_t0 10^-3.7-10^-2.5, beta -0.5..0.3, gamma_dot_t_offset 0, phi0 +-8), one
//! contrast 0.1-0.3 and offset 1 for every angle, and Gaussian noise sigma 0.01 drawn on
//! the upper triangle and mirrored (the loader's `half + half^T`: each unordered pair one
//! measurement) by [`simulate_case`]. Every dataset is fitted with `fit_checked` started
//! at the truth (the global optimum is what matters; the search is tested elsewhere),
//! the wide bounds of issue 14 and the default options (profile intervals `auto`).
//! Counted per physical parameter: the truth within the covariance's +-1 and +-3
//! sigma, within the profile's 68.3 % and 99.7 % intervals, and how many profiles were
//! not quadratic.
#![allow(dead_code)]

use homodyne_model::params::{AnalysisMode, Bounds};
use homodyne_nlsq::{NlsqOptions, NlsqResult, ParameterBounds, fit_checked, initial_values};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardUniform};
use rayon::prelude::*;

use crate::calibration::{Noise, simulate_case};
use crate::common::{Case, SIGMA};

/// Nominal coverage of the 68.3 % and 99.7 % intervals.
pub const NOMINAL: [f64; 2] = [0.6827, 0.9973];

/// Dataset `k`: 8-10 angles x 60-80 frames, a random plausible truth (module docs).
pub fn coverage_case(k: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(14_000 + k);
    let mut u = |lo: f64, hi: f64| {
        let v: f64 = StandardUniform.sample(&mut rng);
        lo + (hi - lo) * v
    };
    let truth = vec![
        10f64.powf(u(3.5, 5.0)),
        u(-1.4, 0.3),
        u(0.0, 500.0),
        10f64.powf(u(-3.7, -2.5)),
        u(-0.5, 0.3),
        0.0,
        u(-8.0, 8.0),
    ];
    let contrast = u(0.1, 0.3);
    let n_phi = 8 + (k % 3) as usize;
    let n_t = 60 + ((k * 7) % 21) as usize;
    simulate_case(
        &truth,
        vec![contrast; n_phi],
        vec![1.0; n_phi],
        n_t,
        SIGMA,
        Noise::Symmetric,
        77 + k,
    )
}

/// Issue 14's wide bounds: D0 [1e2, 1e6], gamma_dot_t0 [1e-6, 0.5], others default.
pub fn wide_bounds() -> ParameterBounds {
    let mut b = ParameterBounds::defaults(AnalysisMode::LaminarFlow);
    b.physical[0] = Bounds::new(1e2, 1e6);
    b.physical[3] = Bounds::new(1e-6, 0.5);
    b
}

/// `fit_checked` started at the truth with the wide bounds and the default options.
pub fn fit_at_truth(case: &Case) -> NlsqResult {
    fit_at_truth_with(case, &NlsqOptions::default())
}

/// [`fit_at_truth`] with `options`.
pub fn fit_at_truth_with(case: &Case, options: &NlsqOptions) -> NlsqResult {
    let bounds = wide_bounds();
    let initial = initial_values(
        &case.experiment,
        case.c2.view(),
        AnalysisMode::LaminarFlow,
        Some(&case.physical),
        None,
        &bounds,
    )
    .unwrap();
    fit_checked(
        &case.experiment,
        case.c2.view(),
        None,
        &initial,
        &bounds,
        options,
        None,
    )
    .unwrap()
}

/// One physical parameter of one fitted dataset.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub truth: f64,
    pub value: f64,
    /// The covariance's sigma (the profile entry's, else the reported uncertainty).
    pub sigma: f64,
    /// The profile's 68.3 % and 99.7 % intervals (None: not profiled).
    pub one: Option<(f64, f64)>,
    pub three: Option<(f64, f64)>,
    pub quadratic: Option<bool>,
    /// No uncertainty (NaN): the parameter is named by an undetermined degeneracy and
    /// only a combination is reported, so there is no interval to cover the truth.
    pub undetermined: bool,
    /// The brackets are ordered `lower3 <= lower1 <= value <= upper1 <= upper3` (true
    /// when not profiled).
    pub ordered: bool,
}

impl Outcome {
    /// The truth within `k` covariance sigmas.
    pub fn covariance_covers(&self, k: f64) -> bool {
        (self.value - self.truth).abs() <= k * self.sigma
    }
    /// The truth within the profile's interval of `level` (0: 68 %, 1: 99.7 %); false
    /// when not profiled.
    pub fn profile_covers(&self, level: usize) -> bool {
        let b = if level == 0 { self.one } else { self.three };
        b.is_some_and(|(lo, hi)| lo <= self.truth && self.truth <= hi)
    }
    /// The profile was computed and is not quadratic.
    pub fn non_quadratic(&self) -> bool {
        self.quadratic == Some(false)
    }
}

/// One fitted dataset.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub k: u64,
    pub converged: bool,
    /// Per physical parameter (canonical order).
    pub outcomes: Vec<Outcome>,
    /// Warnings of the profile ("the fit is not at its minimum", a profile not computed).
    pub warnings: Vec<String>,
    pub solves: usize,
    pub seconds: f64,
}

/// What a fit says about each physical parameter.
pub fn outcomes(case: &Case, r: &NlsqResult) -> Vec<Outcome> {
    r.physical_names()
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let p = r.profile.iter().find(|p| p.name == *name);
            Outcome {
                truth: case.physical[j],
                value: r.physical[j],
                sigma: p.map_or(r.physical_uncertainty[j], |p| p.covariance_sigma),
                one: p.map(|p| (p.one_sigma.lower, p.one_sigma.upper)),
                three: p.map(|p| (p.three_sigma.lower, p.three_sigma.upper)),
                quadratic: p.map(|p| p.quadratic),
                undetermined: p.is_none()
                    && !r.physical_uncertainty[j].is_finite()
                    && r.degeneracies
                        .iter()
                        .any(|d| d.undetermined && d.parameters.iter().any(|n| n == name)),
                ordered: p.is_none_or(|p| {
                    let (one, three) = (&p.one_sigma, &p.three_sigma);
                    three.lower <= one.lower
                        && one.lower <= p.value
                        && p.value <= one.upper
                        && one.upper <= three.upper
                }),
            }
        })
        .collect()
}

/// Simulate and fit dataset `k`.
pub fn fit_dataset(k: u64) -> Fitted {
    let case = coverage_case(k);
    let started = std::time::Instant::now();
    let r = fit_at_truth(&case);
    Fitted {
        k,
        converged: r.converged(),
        outcomes: outcomes(&case, &r),
        warnings: r
            .warnings
            .iter()
            .filter(|w| w.contains("profil"))
            .cloned()
            .collect(),
        solves: r.profile.iter().map(|p| p.solves).sum(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Per-parameter counts over the datasets.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub name: String,
    /// Datasets counted (converged fits with an uncertainty for this parameter).
    pub n: usize,
    /// Converged fits where the parameter is undetermined (not counted in `n`).
    pub undetermined: usize,
    /// Covariance +-1 / +-3 sigma, profile 68 % / 99.7 %: truth covered.
    pub covariance: [usize; 2],
    pub profile: [usize; 2],
    /// Profiled, and not quadratic.
    pub non_quadratic: usize,
    pub profiled: usize,
    /// Among the non-quadratic profiles: covariance and profile coverage (68 %, 99.7 %).
    pub nq_covariance: [usize; 2],
    pub nq_profile: [usize; 2],
    /// Profiles whose brackets are out of order.
    pub disordered: usize,
}

/// The study over datasets `first..first + n`.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub n_datasets: usize,
    pub not_converged: Vec<u64>,
    pub rows: Vec<Row>,
    pub fits: Vec<Fitted>,
    pub seconds: f64,
}

/// Fit datasets `first..first + n` (in parallel; the result does not depend on the
/// thread count) and count coverage per physical parameter.
pub fn study(first: u64, n: usize) -> Coverage {
    let started = std::time::Instant::now();
    let fits: Vec<Fitted> = (first..first + n as u64)
        .into_par_iter()
        .map(fit_dataset)
        .collect();
    let names = AnalysisMode::LaminarFlow.physical_names();
    let mut rows: Vec<Row> = names
        .iter()
        .map(|n| Row {
            name: n.to_string(),
            ..Default::default()
        })
        .collect();
    let mut not_converged = Vec::new();
    for f in &fits {
        if !f.converged {
            not_converged.push(f.k);
            continue;
        }
        for (row, o) in rows.iter_mut().zip(&f.outcomes) {
            if o.undetermined {
                row.undetermined += 1;
                continue;
            }
            row.n += 1;
            row.profiled += usize::from(o.one.is_some());
            row.disordered += usize::from(!o.ordered);
            for (level, z) in [1.0, 3.0].into_iter().enumerate() {
                row.covariance[level] += usize::from(o.covariance_covers(z));
                row.profile[level] += usize::from(o.profile_covers(level));
                if o.non_quadratic() {
                    row.nq_covariance[level] += usize::from(o.covariance_covers(z));
                    row.nq_profile[level] += usize::from(o.profile_covers(level));
                }
            }
            row.non_quadratic += usize::from(o.non_quadratic());
        }
    }
    Coverage {
        n_datasets: n,
        not_converged,
        rows,
        fits,
        seconds: started.elapsed().as_secs_f64(),
    }
}

impl Coverage {
    /// The table: parameter, n, covariance / profile coverage at 68 % and 99.7 %, the
    /// non-quadratic count (with the two coverages among those), and the time.
    pub fn table(&self) -> String {
        let pct = |c: usize, n: usize| 100.0 * c as f64 / n.max(1) as f64;
        let mut out = format!(
            "laminar_flow profile coverage: {} datasets ({} not converged), sigma {SIGMA} \
             symmetric, fitted from the truth; nominal 68.3 % / 99.7 %; n: fits with an \
             uncertainty, undet.: the parameter undetermined (an exact degeneracy, no \
             interval)\n",
            self.n_datasets,
            self.not_converged.len()
        );
        out.push_str(&format!(
            "  {:<20} {:>4} {:>6} {:>9} {:>9} {:>9} {:>9} {:>6}   {}\n",
            "parameter",
            "n",
            "undet.",
            "cov 68%",
            "prof 68%",
            "cov 99.7%",
            "prof99.7%",
            "non-q",
            "among non-q: cov/prof 68%, cov/prof 99.7%"
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "  {:<20} {:>4} {:>6} {:>8.1}% {:>8.1}% {:>8.1}% {:>8.1}% {:>6}   {}/{}, {}/{}\n",
                r.name,
                r.n,
                r.undetermined,
                pct(r.covariance[0], r.n),
                pct(r.profile[0], r.n),
                pct(r.covariance[1], r.n),
                pct(r.profile[1], r.n),
                r.non_quadratic,
                r.nq_covariance[0],
                r.nq_profile[0],
                r.nq_covariance[1],
                r.nq_profile[1],
            ));
        }
        let solves: usize = self.fits.iter().map(|f| f.solves).sum();
        let fit_seconds: f64 = self.fits.iter().map(|f| f.seconds).sum();
        let warned = self.fits.iter().filter(|f| !f.warnings.is_empty()).count();
        out.push_str(&format!(
            "  {:.1} s wall ({:.2} s per fit, {} profile solves in all); {} fits warned while \
             profiling\n",
            self.seconds,
            fit_seconds / self.fits.len().max(1) as f64,
            solves,
            warned
        ));
        for f in self.fits.iter().filter(|f| !f.warnings.is_empty()) {
            for w in &f.warnings {
                out.push_str(&format!("    dataset {}: {w}\n", f.k));
            }
        }
        out
    }

    /// The datasets whose `name` profile interval at `level` missed the truth, one line
    /// each (for the failure messages).
    pub fn misses(&self, j: usize, level: usize) -> String {
        let mut out = String::new();
        for f in self.fits.iter().filter(|f| f.converged) {
            let o = &f.outcomes[j];
            if !o.undetermined && !o.profile_covers(level) {
                out.push_str(&format!(
                    "    dataset {}: truth {:.4e}, value {:.4e}, cov sigma {:.3e}, 68% {:?}, \
                     99.7% {:?}, quadratic {:?}\n",
                    f.k, o.truth, o.value, o.sigma, o.one, o.three, o.quadratic
                ));
            }
        }
        out
    }
}
