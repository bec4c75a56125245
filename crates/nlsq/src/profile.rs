//! Profile-likelihood intervals of the physical parameters.
//!
//! The covariance `s^2 (J^T J)^-1` is exact only where chi^2 is quadratic in the
//! parameters. Along the curved valleys of the model's power laws
//! (`gamma_dot_t0 t^beta + gamma_dot_t_offset` with a small amplitude,
//! `D0 t^alpha + D_offset`) it is not: a fit can sit at the global minimum with the
//! truth forty "sigmas" away along the valley while chi^2 hardly differs. The profile of
//! parameter `k`, `chi^2_min(v)` with every other parameter re-optimised at `x_k = v`,
//! is what repeated experiments follow. Its 68.3 % interval is where
//! `chi^2_min(v) - chi^2_min <= s^2`, its 99.7 % ("3 sigma") interval where it is at
//! most `9 s^2` (`s^2` is the covariance's own scale, so both agree for a quadratic
//! chi^2).
//!
//! Each side of each interval starts at the covariance's `sigma`, warm-started on the
//! covariance's linear profile path: for a quadratic chi^2 one constrained solve
//! confirms it. Otherwise the side is bracketed and interpolated on `sqrt(delta chi^2)`
//! (linear in the step for a quadratic profile), each solve warm-started from the
//! lowest-cost of the profile points already solved and the path extrapolated through
//! the two nearest inside, so the path follows a curved valley. A crossing that looks
//! like a cliff is solved once more from its inner neighbour's continuation before it
//! is believed (a solve started far off the valley can settle in another, distant
//! minimum and fake a cliff), and an interpolation that keeps the same outer end three
//! times bisects instead. The sides
//! are independent solves, run in parallel in a fixed order (bit-identical for any
//! thread count).

use rayon::prelude::*;
use serde::Serialize;
use tracing::{info, warn};

use homodyne_model::normal::{CostSummary, NormalEquations};

use crate::error::NlsqError;
use crate::problem::Objective;
use crate::solver::{SolverOptions, trf};

/// When profile intervals are computed (`optimization.nlsq.profile_intervals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProfileSetting {
    /// Every free physical parameter on data of at most [`PROFILE_AUTO_MAX_POINTS`]
    /// points; on larger data only the parameters named by an identifiability doubt.
    #[default]
    Auto,
    /// Every free physical parameter, whatever the data size.
    Always,
    /// Never: the covariance alone.
    Never,
}

impl ProfileSetting {
    /// `auto` / `true` / `false` (also `always` / `never` / `on` / `off`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ProfileSetting::Auto),
            "true" | "always" | "on" | "yes" => Ok(ProfileSetting::Always),
            "false" | "never" | "off" | "no" => Ok(ProfileSetting::Never),
            other => Err(format!("unknown value \"{other}\" (auto | true | false)")),
        }
    }
}

/// Data size up to which [`ProfileSetting::Auto`] profiles every free physical parameter.
pub const PROFILE_AUTO_MAX_POINTS: usize = 2_000_000;

/// A 68 % side width within this factor of the covariance's sigma counts as quadratic.
const QUADRATIC_RATIO: f64 = 1.3;
/// A 99.7 % side width within this factor of 3 sigma counts as quadratic (the tails of
/// a nearly quadratic chi^2 drift further).
const QUADRATIC_RATIO_3: f64 = 1.5;
/// A 68 % side width beyond this factor of sigma (away from a bound) means the
/// covariance misstates the parameter's uncertainty badly: weakly identified.
pub const WEAK_RATIO: f64 = 3.0;
/// Constrained solves per side and level at most.
const MAX_SOLVES: usize = 10;
/// delta chi^2 / level within this of 1 ends a crossing search.
const DELTA_TOLERANCE: f64 = 0.1;
/// The levels of delta chi^2 / s^2 searched: one and three standard deviations.
const LEVELS: [f64; 2] = [1.0, 9.0];

/// Where the profile of one parameter crosses one level, on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileBracket {
    /// Lower end (the crossing, or the bound).
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// The profile stays below the level down to the lower bound.
    pub lower_at_bound: bool,
    /// The profile stays below the level up to the upper bound.
    pub upper_at_bound: bool,
}

/// The profile-likelihood intervals of one physical parameter: 68.3 % (`delta chi^2 =
/// s^2`) and 99.7 % (`9 s^2`, "3 sigma").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileInterval {
    /// Canonical name.
    pub name: String,
    /// Fitted value.
    pub value: f64,
    /// The 68.3 % interval.
    pub one_sigma: ProfileBracket,
    /// The 99.7 % interval.
    pub three_sigma: ProfileBracket,
    /// The covariance's standard deviation.
    pub covariance_sigma: f64,
    /// Every side agrees with the covariance's `sigma` within 30 % and `3 sigma` within
    /// 50 % (or is cut by a bound closer than that): the covariance describes this
    /// parameter.
    pub quadratic: bool,
    /// Constrained solves used.
    pub solves: usize,
}

impl ProfileInterval {
    /// Distance from the value to the 68 % lower end.
    pub fn minus(&self) -> f64 {
        self.value - self.one_sigma.lower
    }
    /// Distance from the value to the 68 % upper end.
    pub fn plus(&self) -> f64 {
        self.one_sigma.upper - self.value
    }
    /// Number of standard deviations between `truth` and the value, read off the
    /// profile: 1 at the 68 % end towards `truth`, 3 at the 99.7 % end, linear within
    /// each band and beyond (the profile's `sqrt(delta chi^2 / s^2)` at the crossings).
    pub fn z(&self, truth: f64) -> f64 {
        let d = truth - self.value;
        let (w1, w3) = if d >= 0.0 {
            (self.plus(), self.three_sigma.upper - self.value)
        } else {
            (self.minus(), self.value - self.three_sigma.lower)
        };
        let d = d.abs();
        if d == 0.0 {
            0.0
        } else if d <= w1 {
            d / w1
        } else if d <= w3 && w3 > w1 {
            1.0 + 2.0 * (d - w1) / (w3 - w1)
        } else if w3 > 0.0 {
            3.0 * d / w3
        } else {
            f64::INFINITY
        }
    }
    /// A 68 % side (away from its bound) wider or narrower than `WEAK_RATIO` sigmas.
    pub fn weakly_identified(&self) -> bool {
        let s = self.covariance_sigma;
        let off = |w: f64, at_bound: bool| !at_bound && (w > WEAK_RATIO * s || w < s / WEAK_RATIO);
        s > 0.0
            && (off(self.minus(), self.one_sigma.lower_at_bound)
                || off(self.plus(), self.one_sigma.upper_at_bound))
    }
    /// One line for the console and the result files.
    pub fn message(&self) -> String {
        let ends = |b: &ProfileBracket| match (b.lower_at_bound, b.upper_at_bound) {
            (true, true) => " (both ends at the bounds)",
            (true, false) => " (lower end at the bound)",
            (false, true) => " (upper end at the bound)",
            (false, false) => "",
        };
        format!(
            "{} = {:.4e}: chi^2 is not quadratic here; profile-likelihood intervals 68% \
             [{:.4e}, {:.4e}]{}, 99.7% [{:.4e}, {:.4e}]{}, where the covariance gives \
             ±{:.2e}; the reported uncertainty is the wider 68% side",
            self.name,
            self.value,
            self.one_sigma.lower,
            self.one_sigma.upper,
            ends(&self.one_sigma),
            self.three_sigma.lower,
            self.three_sigma.upper,
            ends(&self.three_sigma),
            self.covariance_sigma
        )
    }
}

/// The objective with optimiser variable `k` held at `value`: the other variables are
/// free (the profile's inner problem).
struct Pinned<'o, O: Objective + ?Sized> {
    inner: &'o O,
    k: usize,
    value: f64,
}

impl<O: Objective + ?Sized> Pinned<'_, O> {
    fn expand(&self, y: &[f64]) -> Vec<f64> {
        let mut x = Vec::with_capacity(y.len() + 1);
        x.extend_from_slice(&y[..self.k]);
        x.push(self.value);
        x.extend_from_slice(&y[self.k..]);
        x
    }
}

/// `v` without entry `k`.
fn drop_entry(v: &[f64], k: usize) -> Vec<f64> {
    v.iter()
        .enumerate()
        .filter(|&(i, _)| i != k)
        .map(|(_, &x)| x)
        .collect()
}

impl<O: Objective + ?Sized> Objective for Pinned<'_, O> {
    fn n_params(&self) -> usize {
        self.inner.n_params() - 1
    }

    fn evaluate(&self, y: &[f64]) -> Result<NormalEquations, NlsqError> {
        let full = self.inner.evaluate(&self.expand(y))?;
        let p = full.n_params;
        let q = p - 1;
        let mut jtj = Vec::with_capacity(q * q);
        for i in (0..p).filter(|&i| i != self.k) {
            for j in (0..p).filter(|&j| j != self.k) {
                jtj.push(full.jtj[i * p + j]);
            }
        }
        Ok(NormalEquations {
            n_params: q,
            chi2: full.chi2,
            cost: full.cost,
            jtj,
            jtr: drop_entry(&full.jtr, self.k),
            n_points: full.n_points,
        })
    }

    fn cost(&self, y: &[f64]) -> Result<CostSummary, NlsqError> {
        self.inner.cost(&self.expand(y))
    }

    fn curvature(&self, y: &[f64], v: &[f64]) -> Option<Result<Vec<f64>, NlsqError>> {
        let mut dv = v.to_vec();
        dv.insert(self.k, 0.0);
        self.inner
            .curvature(&self.expand(y), &dv)
            .map(|r| r.map(|c| drop_entry(&c, self.k)))
    }
}

/// A solved profile point: (step, delta chi^2 / s^2).
type Point = (f64, f64);

/// Where one side crosses one level.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    width: f64,
    at_bound: bool,
    /// Found within tolerance or at the bound (not read off an unfinished bracket).
    settled: bool,
}

/// What one side of a profile found.
struct Side {
    crossings: [Crossing; 2],
    solves: usize,
    /// Lowest delta chi^2 / s^2 met (negative: the fit is not at the minimum).
    lowest: f64,
    /// The full optimiser vector where `lowest` was met, when below the fit's chi^2.
    below_fit: Option<Vec<f64>>,
}

/// Everything a side needs about the fit.
pub(crate) struct Optimum<'s> {
    /// Fitted optimiser vector.
    pub x: &'s [f64],
    /// Its cost.
    pub cost: f64,
    /// Row-major covariance of the optimiser vector.
    pub covariance: &'s [f64],
    /// `s^2`: the cost difference of one standard deviation.
    pub scale: f64,
    /// Optimiser bounds.
    pub lower: &'s [f64],
    /// Optimiser bounds.
    pub upper: &'s [f64],
}

/// One side of one parameter's profile: the solves so far, `(step, delta chi^2 / s^2,
/// the other variables' solution)`.
struct SideSearch<'a, 'o, O: Objective + ?Sized> {
    objective: &'o O,
    at: &'a Optimum<'a>,
    k: usize,
    direction: f64,
    options: &'a SolverOptions,
    lb: Vec<f64>,
    ub: Vec<f64>,
    slope: Vec<f64>,
    room: f64,
    solved: Vec<(f64, f64, Vec<f64>)>,
    /// Constrained solves made (a step solved twice counts twice).
    solves: usize,
}

impl<O: Objective + ?Sized> SideSearch<'_, '_, O> {
    /// The profile at step `h`: delta chi^2 / s^2.
    fn solve_at(&mut self, h: f64) -> Result<f64, NlsqError> {
        let (at, k) = (self.at, self.k);
        let pinned = Pinned {
            inner: self.objective,
            k,
            value: at.x[k] + self.direction * h,
        };
        // The start of lowest cost among the covariance's linear path, the fit's own
        // values and every profile point solved so far: a valley may curve away from
        // the linear path, and a path clipped by a bound may leave the valley.
        let predicted: Vec<f64> = (0..at.x.len())
            .map(|i| (at.x[i] + self.slope[i] * self.direction * h).clamp(at.lower[i], at.upper[i]))
            .collect();
        let mut candidates = vec![drop_entry(&predicted, k), drop_entry(at.x, k)];
        candidates.extend(self.solved.iter().map(|s| s.2.clone()));
        if let Some(c) = self.continuation(h) {
            candidates.push(c);
        }
        let mut start = None;
        for c in candidates {
            let cost = pinned.cost(&c)?.cost;
            if start.as_ref().is_none_or(|(best, _)| cost < *best) {
                start = Some((cost, c));
            }
        }
        let start = start.expect("candidates").1;
        let (cost, y) = if self.lb.is_empty() {
            (pinned.cost(&[])?.cost, Vec::new())
        } else {
            let sol = trf::solve(&pinned, &start, &self.lb, &self.ub, self.options)?;
            (sol.equations.cost, sol.x)
        };
        let delta = (cost - at.cost) / at.scale;
        self.solves += 1;
        // The profile is a minimum: of two solves at one step the lower one stands.
        if let Some(s) = self.solved.iter_mut().find(|s| s.0 == h) {
            if delta < s.1 {
                *s = (h, delta, y);
            }
            return Ok(s.1);
        }
        self.solved.push((h, delta, y));
        Ok(delta)
    }

    /// The path extrapolated to step `h` through the two solved points (the fit at step
    /// 0 included) nearest below it, clamped to the bounds: where the valley's other
    /// variables move as fast as the pinned one (`gamma_dot_t_offset` trading against
    /// `gamma_dot_t0`), the nearest solved point alone starts far off the valley, and
    /// the solve may settle in a distant local minimum.
    fn continuation(&self, h: f64) -> Option<Vec<f64>> {
        let at_fit = drop_entry(self.at.x, self.k);
        let mut below: Vec<(f64, &[f64])> = self
            .solved
            .iter()
            .filter(|s| s.0 < h)
            .map(|s| (s.0, s.2.as_slice()))
            .collect();
        below.push((0.0, &at_fit));
        below.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (&(h1, y1), &(h0, y0)) = (below.first()?, below.get(1)?);
        if h1 <= h0 || y1.is_empty() {
            return None;
        }
        let t = (h - h1) / (h1 - h0);
        Some(
            (0..y1.len())
                .map(|i| (y1[i] + t * (y1[i] - y0[i])).clamp(self.lb[i], self.ub[i]))
                .collect(),
        )
    }

    /// The first crossing of `level` outwards among the solved points: the smallest
    /// step at or above it, and the largest step before that one below it (a profile
    /// need not be monotonic).
    fn bracket(&self, level: f64) -> (Option<Point>, Option<Point>) {
        let above = self
            .solved
            .iter()
            .filter(|s| s.1 >= level)
            .map(|s| (s.0, s.1))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let below = self
            .solved
            .iter()
            .filter(|s| s.1 < level && above.is_none_or(|a| s.0 < a.0))
            .map(|s| (s.0, s.1))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        (below, above)
    }

    /// The crossing of `level` read off the solved points: interpolated within the
    /// bracket, else extrapolated from its one end.
    fn estimate(&self, level: f64) -> Option<f64> {
        Some(match self.bracket(level) {
            (Some(b), Some(a)) => interpolate(level, b, a),
            (Some(b), None) => b.0,
            (None, Some(a)) => a.0 * (level / a.1).sqrt(),
            (None, None) => return None,
        })
    }

    /// Where the profile crosses `level`, starting the search at step `guess`.
    fn crossing(&mut self, level: f64, guess: f64) -> Result<Crossing, NlsqError> {
        let room = self.room;
        let mut h = guess.min(room);
        // Steps re-solved as the outer end of a cliff, and the outer end of the last
        // interpolation with how many interpolations in a row kept it.
        let mut resolved: Vec<f64> = Vec::new();
        let mut kept = (f64::NAN, 0usize);
        for _ in 0..MAX_SOLVES {
            let delta = self.solve_at(h)?;
            if (delta / level - 1.0).abs() < DELTA_TOLERANCE {
                return Ok(Crossing {
                    width: (h * (level / delta.max(f64::MIN_POSITIVE)).sqrt()).min(room),
                    at_bound: false,
                    settled: true,
                });
            }
            h = match self.bracket(level) {
                (Some(b), None) => {
                    if b.0 >= room {
                        return Ok(Crossing {
                            width: room,
                            at_bound: true,
                            settled: true,
                        });
                    }
                    let grow = (level / b.1.max(0.0)).sqrt().clamp(1.5, 4.0);
                    (b.0 * grow).min(room)
                }
                (None, Some(a)) => a.0 * (level / a.1).sqrt().clamp(0.25, 0.67),
                (Some(b), Some(a)) => {
                    if a.0 - b.0 <= 0.02 * a.0 {
                        // A cliff, or a solve that settled in another valley: the outer
                        // end was solved from a start far from this one. Solve it once
                        // more, continuing the path through the points just inside.
                        if resolved.contains(&a.0) {
                            break;
                        }
                        resolved.push(a.0);
                        a.0
                    } else {
                        // Interpolation, or bisection where it would crawl along one end
                        // (a cliff in the profile: the crossing is at its edge) or has
                        // kept the same outer end twice (regula falsi stalling).
                        kept = if kept.0 == a.0 {
                            (a.0, kept.1 + 1)
                        } else {
                            (a.0, 1)
                        };
                        let w = interpolate(level, b, a);
                        let t = (w - b.0) / (a.0 - b.0);
                        if (0.1..=0.9).contains(&t) && kept.1 < 3 {
                            w
                        } else {
                            kept.1 = 0;
                            0.5 * (a.0 + b.0)
                        }
                    }
                }
                (None, None) => unreachable!("a solve was recorded"),
            };
        }
        Ok(Crossing {
            width: self.estimate(level).unwrap_or(h).min(room),
            at_bound: false,
            settled: false,
        })
    }
}

/// Where the profile crosses `level` between a point below it `b` and one above `a`:
/// linear in `sqrt(delta)`, which is linear in the step for a quadratic profile.
fn interpolate(level: f64, b: Point, a: Point) -> f64 {
    let (sb, sa, t) = (b.1.max(0.0).sqrt(), a.1.sqrt(), level.sqrt());
    if sa > sb {
        b.0 + (t - sb) * (a.0 - b.0) / (sa - sb)
    } else {
        a.0
    }
}

fn side<O: Objective + ?Sized>(
    objective: &O,
    at: &Optimum<'_>,
    k: usize,
    direction: f64,
    options: &SolverOptions,
) -> Result<Side, NlsqError> {
    let p = at.x.len();
    let (x0, var) = (at.x[k], at.covariance[k * p + k]);
    let sigma = var.max(0.0).sqrt();
    let room = if direction > 0.0 {
        at.upper[k] - x0
    } else {
        x0 - at.lower[k]
    };
    if room.is_nan() || room <= 0.0 {
        let none = Crossing {
            width: 0.0,
            at_bound: true,
            settled: true,
        };
        return Ok(Side {
            crossings: [none; 2],
            solves: 0,
            lowest: 0.0,
            below_fit: None,
        });
    }
    let mut search = SideSearch {
        objective,
        at,
        k,
        direction,
        options,
        lb: drop_entry(at.lower, k),
        ub: drop_entry(at.upper, k),
        // The covariance's linear profile path: x + Cov[:, k] / Cov[k, k] * step.
        // Flat (zero) where the covariance says nothing (an undetermined parameter).
        slope: (0..p)
            .map(|i| {
                let c = at.covariance[i * p + k] / var;
                if var > 0.0 && c.is_finite() { c } else { 0.0 }
            })
            .collect(),
        room,
        solved: Vec::new(),
        solves: 0,
    };
    let unit = if sigma > 0.0 && sigma.is_finite() {
        sigma
    } else {
        0.05 * room
    };
    let one = search.crossing(LEVELS[0], unit)?;
    let three = if one.at_bound {
        one
    } else {
        // A quadratic profile crosses 9 at three times its 1-crossing.
        search.crossing(LEVELS[1], 3.0 * one.width.max(f64::MIN_POSITIVE))?
    };
    // A 68 % crossing read off an unfinished bracket is read again off every point
    // solved, the 99.7 % search's included (they narrow its bracket, or show that the
    // first one's outer end was another valley's). A continuous profile crosses 1
    // before 9: the 68 % side is at most the 99.7 % one (at a cliff the two estimates,
    // read off different points, can otherwise cross by a fraction of a percent).
    let width = if one.settled {
        one.width
    } else {
        search
            .estimate(LEVELS[0])
            .map_or(one.width, |w| w.min(room))
    };
    let one = Crossing {
        width: width.min(three.width),
        ..one
    };
    // The lowest profile point (a re-solved step keeps its lower value), as a full
    // optimiser vector when it is below the fit.
    let (lowest, below_fit) = match search
        .solved
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|s| s.1 < 0.0)
    {
        Some((h, delta, y)) => {
            let mut full = y.clone();
            full.insert(k, x0 + direction * h);
            (*delta, Some(full))
        }
        None => (0.0, None),
    };
    Ok(Side {
        crossings: [one, three],
        solves: search.solves,
        lowest,
        below_fit,
    })
}

/// What the profiles of a fit found.
pub(crate) struct Profiles {
    /// The intervals, in the order asked for.
    pub intervals: Vec<ProfileInterval>,
    /// Parameters not profiled, and a fit found not to be at its minimum.
    pub warnings: Vec<String>,
    /// The lowest profile point below the fit's chi^2 by more than the tolerance (full
    /// optimiser vector): the fit is not at its minimum, and a fit from there is better.
    pub below_fit: Option<Vec<f64>>,
}

/// Profile intervals of the optimiser variables `which` (`(index, name)`: the physical
/// parameter's slot and name), in `which`'s order ([`Profiles`]).
pub(crate) fn intervals<O: Objective + ?Sized>(
    objective: &O,
    at: &Optimum<'_>,
    which: &[(usize, String)],
    options: &SolverOptions,
) -> Profiles {
    let jobs: Vec<(usize, f64)> = which
        .iter()
        .flat_map(|&(k, _)| [(k, -1.0), (k, 1.0)])
        .collect();
    let sides: Vec<Result<Side, NlsqError>> = jobs
        .par_iter()
        .map(|&(k, d)| side(objective, at, k, d, options))
        .collect();
    let p = at.x.len();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    // The lowest point below the fit over every side, the first in job order on ties.
    let below_fit = sides
        .iter()
        .filter_map(|s| s.as_ref().ok())
        .filter(|s| s.lowest < -DELTA_TOLERANCE)
        .min_by(|a, b| a.lowest.total_cmp(&b.lowest))
        .and_then(|s| s.below_fit.clone());
    for (n, (k, name)) in which.iter().enumerate() {
        let (lo, hi) = match (&sides[2 * n], &sides[2 * n + 1]) {
            (Ok(lo), Ok(hi)) => (lo, hi),
            (Err(e), _) | (_, Err(e)) => {
                let w = format!("profile of {name} not computed: {e}");
                warn!("{w}");
                warnings.push(w);
                continue;
            }
        };
        let lowest = lo.lowest.min(hi.lowest);
        if lowest < -DELTA_TOLERANCE {
            let w = format!(
                "profiling {name} met a chi^2 lower than the fit's by {:.3} s^2: the fit \
                 is not at its minimum",
                -lowest
            );
            warn!("{w}");
            warnings.push(w);
        }
        let sigma = at.covariance[k * p + k].max(0.0).sqrt();
        let value = at.x[*k];
        let bracket = |level: usize| ProfileBracket {
            lower: value - lo.crossings[level].width,
            upper: value + hi.crossings[level].width,
            lower_at_bound: lo.crossings[level].at_bound,
            upper_at_bound: hi.crossings[level].at_bound,
        };
        // A bound closer than the expected crossing cuts the side short.
        let agrees = |c: &Crossing, expected: f64, ratio: f64| {
            c.width <= expected * ratio && (c.at_bound || c.width >= expected / ratio)
        };
        let quadratic = [lo, hi].iter().all(|s| {
            agrees(&s.crossings[0], sigma, QUADRATIC_RATIO)
                && agrees(&s.crossings[1], 3.0 * sigma, QUADRATIC_RATIO_3)
        });
        let interval = ProfileInterval {
            name: name.clone(),
            value,
            one_sigma: bracket(0),
            three_sigma: bracket(1),
            covariance_sigma: sigma,
            quadratic,
            solves: lo.solves + hi.solves,
        };
        info!(
            parameter = %name,
            lower = interval.one_sigma.lower,
            upper = interval.one_sigma.upper,
            lower_3sigma = interval.three_sigma.lower,
            upper_3sigma = interval.three_sigma.upper,
            sigma,
            quadratic,
            solves = interval.solves,
            "profile interval"
        );
        out.push(interval);
    }
    Profiles {
        intervals: out,
        warnings,
        below_fit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cost(x) = sum a_i (x_i - c_i)^2 + coupling: a quadratic objective, for which the
    /// profile interval equals the covariance's.
    struct Quadratic {
        h: Vec<f64>, // row-major Hessian/2 of cost (J^T J)
        c: Vec<f64>,
    }

    impl Objective for Quadratic {
        fn n_params(&self) -> usize {
            self.c.len()
        }
        fn evaluate(&self, x: &[f64]) -> Result<NormalEquations, NlsqError> {
            let p = self.c.len();
            let d: Vec<f64> = x.iter().zip(&self.c).map(|(a, b)| a - b).collect();
            let hd: Vec<f64> = (0..p)
                .map(|i| (0..p).map(|j| self.h[i * p + j] * d[j]).sum())
                .collect();
            let cost: f64 = d.iter().zip(&hd).map(|(a, b)| a * b).sum();
            Ok(NormalEquations {
                n_params: p,
                chi2: cost,
                cost,
                jtj: self.h.clone(),
                jtr: hd,
                n_points: 1000,
            })
        }
        fn cost(&self, x: &[f64]) -> Result<CostSummary, NlsqError> {
            let e = self.evaluate(x)?;
            Ok(CostSummary {
                chi2: e.chi2,
                cost: e.cost,
                n_points: 1000,
            })
        }
    }

    fn options() -> SolverOptions {
        SolverOptions {
            ftol: 1e-12,
            xtol: 1e-12,
            gtol: 1e-12,
            max_nfev: 200,
            max_iterations: None,
            x_scale: crate::options::XScale::Jacobian,
            polish_steps: 2,
            speculative: false,
            geodesic: false,
        }
    }

    #[test]
    fn a_quadratic_objective_confirms_the_covariance() {
        // J^T J = [[4, 2], [2, 3]]: Cov = inv = [[3, -2], [-2, 4]] / 8.
        let q = Quadratic {
            h: vec![4.0, 2.0, 2.0, 3.0],
            c: vec![1.0, 2.0],
        };
        let cov = [3.0 / 8.0, -2.0 / 8.0, -2.0 / 8.0, 4.0 / 8.0];
        let at = Optimum {
            x: &[1.0, 2.0],
            cost: 0.0,
            covariance: &cov,
            scale: 1.0,
            lower: &[-10.0, -10.0],
            upper: &[10.0, 10.0],
        };
        let which = vec![(0, "a".to_string()), (1, "b".to_string())];
        let Profiles {
            intervals: iv,
            warnings,
            ..
        } = intervals(&q, &at, &which, &options());
        assert!(warnings.is_empty(), "{warnings:?}");
        for (i, v) in iv.iter().enumerate() {
            let s = cov[i * 2 + i].sqrt();
            assert!(v.quadratic, "{v:?}");
            assert!((v.minus() - s).abs() < 1e-6 * s, "{v:?}");
            assert!((v.plus() - s).abs() < 1e-6 * s, "{v:?}");
            assert!(
                (v.value - v.three_sigma.lower - 3.0 * s).abs() < 1e-6 * s,
                "{v:?}"
            );
            assert!(
                (v.three_sigma.upper - v.value - 3.0 * s).abs() < 1e-6 * s,
                "{v:?}"
            );
            assert_eq!(
                v.solves, 4,
                "one solve per side and level confirms a quadratic"
            );
            assert!((v.z(v.value + 2.0 * s) - 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn a_bound_closer_than_sigma_cuts_the_side() {
        let q = Quadratic {
            h: vec![1.0],
            c: vec![0.0],
        };
        let at = Optimum {
            x: &[0.0],
            cost: 0.0,
            covariance: &[1.0],
            scale: 1.0,
            lower: &[-0.5],
            upper: &[10.0],
        };
        // One variable: the pinned problem has none left; the profile is the cost.
        let iv = intervals(&q, &at, &[(0, "a".into())], &options()).intervals;
        let v = &iv[0];
        assert!(
            v.one_sigma.lower_at_bound && !v.one_sigma.upper_at_bound,
            "{v:?}"
        );
        assert!(v.three_sigma.lower_at_bound, "{v:?}");
        assert!(
            (v.one_sigma.lower + 0.5).abs() < 1e-12 && (v.plus() - 1.0).abs() < 1e-6,
            "{v:?}"
        );
        assert!(
            v.quadratic,
            "a bound inside sigma is not a misfit of the covariance"
        );
        assert!(!v.weakly_identified());
    }

    /// Rosenbrock's residuals `[10 (y - x^2), x - 1]`: minimum at (1, 1), covariance
    /// `[[1, 2], [2, 4.01]]`. The profile of y follows the curved valley `y = x^2`:
    /// `delta ~ (sqrt(y) - 1)^2` above, `~ 1 + 100 y^2` below zero, so its intervals are
    /// about [0, 4] (68 %) and [-0.28, 16] (99.7 %) where the covariance says ±2.
    struct Rosenbrock;

    impl Objective for Rosenbrock {
        fn n_params(&self) -> usize {
            2
        }
        fn evaluate(&self, v: &[f64]) -> Result<NormalEquations, NlsqError> {
            let (x, y) = (v[0], v[1]);
            let r = [10.0 * (y - x * x), x - 1.0];
            let j = [[-20.0 * x, 10.0], [1.0, 0.0]];
            let mut jtj = vec![0.0; 4];
            let mut jtr = vec![0.0; 2];
            for a in 0..2 {
                for b in 0..2 {
                    jtj[a * 2 + b] = j[0][a] * j[0][b] + j[1][a] * j[1][b];
                }
                jtr[a] = j[0][a] * r[0] + j[1][a] * r[1];
            }
            let cost = r[0] * r[0] + r[1] * r[1];
            Ok(NormalEquations {
                n_params: 2,
                chi2: cost,
                cost,
                jtj,
                jtr,
                n_points: 1000,
            })
        }
        fn cost(&self, v: &[f64]) -> Result<CostSummary, NlsqError> {
            let e = self.evaluate(v)?;
            Ok(CostSummary {
                chi2: e.cost,
                cost: e.cost,
                n_points: 1000,
            })
        }
    }

    #[test]
    fn a_curved_valley_gives_the_profile_not_the_covariance() {
        let cov = [1.0, 2.0, 2.0, 4.01];
        let at = Optimum {
            x: &[1.0, 1.0],
            cost: 0.0,
            covariance: &cov,
            scale: 1.0,
            lower: &[-10.0, -10.0],
            upper: &[100.0, 100.0],
        };
        let which = vec![(0, "x".to_string()), (1, "y".to_string())];
        let Profiles {
            intervals: iv,
            warnings,
            ..
        } = intervals(&Rosenbrock, &at, &which, &options());
        assert!(warnings.is_empty(), "{warnings:?}");
        // x: the profile (x - 1)^2 is exactly quadratic.
        assert!(iv[0].quadratic, "{:?}", iv[0]);
        assert!((iv[0].minus() - 1.0).abs() < 0.05 && (iv[0].plus() - 1.0).abs() < 0.05);
        // y: asymmetric, and the covariance's ±2 is wrong on both sides.
        let y = &iv[1];
        assert!(!y.quadratic, "{y:?}");
        assert!((y.one_sigma.lower - 0.0).abs() < 0.1, "{y:?}");
        assert!((y.one_sigma.upper - 4.0).abs() < 0.3, "{y:?}");
        assert!((y.three_sigma.lower + 0.28).abs() < 0.05, "{y:?}");
        assert!((y.three_sigma.upper - 16.0).abs() < 1.0, "{y:?}");
        // y = 9 is 2 standard deviations away by the profile (delta = 4), 4 by the
        // covariance; z interpolates between the crossings.
        assert!(y.z(9.0) > 1.5 && y.z(9.0) < 2.5, "{}", y.z(9.0));
        assert!(y.z(20.0) > 3.0 && y.z(-0.2) < 3.0 && y.z(-0.4) > 3.0);
        assert!(y.message().contains("not quadratic"));
    }

    #[test]
    fn settings_parse() {
        assert_eq!(ProfileSetting::parse("auto"), Ok(ProfileSetting::Auto));
        assert_eq!(ProfileSetting::parse("True"), Ok(ProfileSetting::Always));
        assert_eq!(ProfileSetting::parse("off"), Ok(ProfileSetting::Never));
        assert!(
            ProfileSetting::parse("sometimes")
                .unwrap_err()
                .contains("sometimes")
        );
    }
}
