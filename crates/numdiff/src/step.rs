//! Step-size selection.
//!
//! Resolution of user steps and the automatic rule documented on
//! [`Step::Auto`] (coarse curvature probe, length scales, step per use).
//! Separate from the engines so every method picks its steps the same way.

use crate::config::{DiffConfig, Step};
use crate::error::NumDiffError;
use crate::eval::{Counted, RealFn, check_x, norm};
use crate::method::Method;

/// What the step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepUse {
    FirstOneSided,
    FirstCentral,
    SecondOneSided,
    SecondCentral,
    RichardsonBase,
    Complex,
}

/// Length scales of the function along one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LengthScales {
    /// Scale balancing round-off and truncation: `sqrt(F / |f''|)`.
    pub noise: f64,
    /// Scale of validity of the Taylor expansion: `min(noise, |f'| / |f''|)`.
    pub taylor: f64,
    /// Whether the curvature was measurable (otherwise both are `max(|x|,1)`).
    pub measured: bool,
}

impl LengthScales {
    fn fallback(s: f64) -> Self {
        Self {
            noise: s,
            taylor: s,
            measured: false,
        }
    }

    /// Step for a given use (see the table on [`Step::Auto`]).
    pub(crate) fn step(&self, use_: StepUse, noise: f64, s: f64) -> f64 {
        let (ln, lt) = (self.noise, self.taylor);
        match use_ {
            StepUse::FirstOneSided => 2.0 * noise.sqrt() * ln,
            StepUse::FirstCentral => (3.0 * noise).cbrt() * ln.powf(2.0 / 3.0) * lt.cbrt(),
            StepUse::SecondOneSided => (4.0 * noise).cbrt() * ln.powf(2.0 / 3.0) * lt.cbrt(),
            StepUse::SecondCentral => (48.0 * noise).powf(0.25) * (ln * lt).sqrt(),
            StepUse::RichardsonBase => 0.5 * lt,
            StepUse::Complex => 1e-20 * s,
        }
    }
}

/// Typical scale of a coordinate.
pub(crate) fn typical_scale(x: f64) -> f64 {
    x.abs().max(1.0)
}

/// Probes `f` along coordinate `k` and returns its length scales
/// (the probe of [`Step::Auto`]). Uses 2 to 8 evaluations.
pub(crate) fn probe(
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    f0: &[f64],
    noise: f64,
) -> Result<LengthScales, NumDiffError> {
    let xk = x[k];
    let s = typical_scale(xk);
    let noise = noise.max(f64::EPSILON);
    let mut hc = noise.powf(0.25) * s;
    let mut xs = x.to_vec();
    let f0n = norm(f0);
    for attempt in 0..4 {
        xs[k] = xk + hc;
        let hp = xs[k] - xk;
        let fp = ev.eval(&xs)?;
        xs[k] = xk - hc;
        let hm = xk - xs[k];
        let fm = ev.eval(&xs)?;
        xs[k] = xk;
        if hp <= 0.0 || hm <= 0.0 {
            return Ok(LengthScales::fallback(s));
        }
        if fp.iter().chain(&fm).any(|v| !v.is_finite()) {
            hc /= 16.0;
            continue;
        }
        let h = 0.5 * (hp + hm);
        let d1: Vec<f64> = fp
            .iter()
            .zip(&fm)
            .map(|(a, b)| (a - b) / (hp + hm))
            .collect();
        let d2: Vec<f64> = fp
            .iter()
            .zip(&fm)
            .zip(f0)
            .map(|((a, b), c)| (a - 2.0 * c + b) / (hp * hm))
            .collect();
        // Per-component Taylor scale over components whose curvature is
        // measurable: the smallest one limits the Richardson steps.
        let mut l_taylor = f64::INFINITY;
        for c in 0..f0.len() {
            let mag = f0[c].abs().max(fp[c].abs()).max(fm[c].abs());
            let a2 = d2[c].abs();
            if a2 > 64.0 * noise * mag / (h * h) && a2.is_finite() {
                let big_f = mag.max(xk.abs() * d1[c].abs());
                let lc = (big_f / a2).sqrt().min(d1[c].abs() / a2);
                l_taylor = l_taylor.min(lc);
            }
        }
        let (d1n, d2n) = (norm(&d1), norm(&d2));
        let fmag = f0n.max(norm(&fp)).max(norm(&fm));
        let measured = d2n > 64.0 * noise * fmag / (h * h) && d2n.is_finite();
        let l_noise = if measured {
            (fmag.max(xk.abs() * d1n) / d2n).sqrt()
        } else {
            s
        };
        if !l_taylor.is_finite() {
            if !measured {
                return Ok(LengthScales::fallback(s));
            }
            l_taylor = s;
        }
        let l_taylor = l_taylor.min(l_noise);
        if l_taylor < 0.25 * hc && attempt < 3 {
            hc = l_taylor.max(1e-8 * s);
            continue;
        }
        let clamp = |l: f64| l.clamp(1e-8 * s, 1e3 * s);
        return Ok(LengthScales {
            noise: clamp(l_noise),
            taylor: clamp(l_taylor),
            measured: true,
        });
    }
    Ok(LengthScales::fallback(s))
}

/// Resolves the step for coordinate `k` from the configuration; `Auto` probes.
/// Returns the step and whether a fallback scale was used.
pub(crate) fn resolve_step(
    cfg: &DiffConfig,
    ev: &Counted<'_, RealFn<'_>>,
    x: &[f64],
    k: usize,
    f0: &[f64],
    use_: StepUse,
) -> Result<f64, NumDiffError> {
    let s = typical_scale(x[k]);
    let user = match &cfg.step {
        Step::Auto => None,
        Step::Uniform(h) => Some(*h),
        Step::PerParameter(v) => Some(v[k]),
    };
    if let Some(h) = user {
        return Ok(if cfg.relative_step { h * s } else { h });
    }
    if use_ == StepUse::Complex {
        return Ok(LengthScales::fallback(s).step(use_, cfg.function_noise, s));
    }
    let scales = probe(ev, x, k, f0, cfg.function_noise)?;
    Ok(scales.step(use_, cfg.function_noise.max(f64::EPSILON), s))
}

/// The automatic step ([`Step::Auto`]) the crate would use for coordinate `k`
/// of a scalar function, for the given method (forward/backward, central,
/// Richardson largest step, complex step; adaptive gives the Richardson step).
/// Uses a few function evaluations; `cfg.step` is ignored.
pub fn auto_step<F>(
    f: F,
    x: &[f64],
    k: usize,
    method: Method,
    cfg: &DiffConfig,
) -> Result<f64, NumDiffError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    check_x(x)?;
    if k >= x.len() {
        return Err(NumDiffError::InvalidConfig(format!(
            "parameter index {k} out of range for {} parameters",
            x.len()
        )));
    }
    let g = |x: &[f64]| Ok(vec![f(x)]);
    let (ev, f0) = Counted::real(&g, x)?;
    let use_ = match method {
        Method::Forward | Method::Backward => StepUse::FirstOneSided,
        Method::Central => StepUse::FirstCentral,
        Method::Richardson | Method::Adaptive => StepUse::RichardsonBase,
        Method::ComplexStep => StepUse::Complex,
    };
    let auto = DiffConfig {
        step: Step::Auto,
        ..cfg.clone()
    };
    resolve_step(&auto, &ev, x, k, &f0, use_)
}
