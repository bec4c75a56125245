//! The `auto` per-angle mode, checked against the data. `auto` starts from one averaged
//! contrast/offset pair (when there are enough angles); after that fit, each angle's own
//! contrast and offset are estimated by a straight-line fit of its data against the
//! fitted `g1^2`, with standard errors from that line's scatter. When the per-angle
//! contrasts (or offsets) differ beyond their errors — a chi^2 homogeneity test
//! `X^2 = sum_a (c_a - c_mean)^2 / se_a^2` above `dof + 5 sqrt(2 dof)`, i.e. five
//! standard deviations of the chi^2 distribution — one pair cannot describe the data and
//! the fit is repeated with per-angle scaling: a Fourier series in phi when there are
//! many angles and it reproduces the per-angle values within their errors, otherwise one
//! contrast and offset per angle. The decision and its reason are in the result.

use homodyne_model::scaling::{PerAngleMode, ScalingKind};
use homodyne_model::{C2View, Experiment, g2_grid};
use ndarray::ArrayView3;

use crate::bounds::ParameterBounds;
use crate::error::NlsqError;
use crate::fit::Fitter;
use crate::init::InitialValues;
use crate::options::NlsqOptions;
use crate::result::NlsqResult;

/// Per-angle straight-line estimates `c2 ~ offset + contrast g1^2` with standard errors.
#[derive(Debug, Clone, PartialEq)]
pub struct PerAngleScaling {
    /// Contrast of each angle.
    pub contrast: Vec<f64>,
    /// Standard error of each contrast.
    pub contrast_se: Vec<f64>,
    /// Offset of each angle.
    pub offset: Vec<f64>,
    /// Standard error of each offset.
    pub offset_se: Vec<f64>,
}

/// Homogeneity statistic `(X^2, dof)` of `values` with standard errors `se`.
fn homogeneity(values: &[f64], se: &[f64]) -> (f64, usize) {
    let w: Vec<f64> = se
        .iter()
        .map(|s| 1.0 / (s * s).max(f64::MIN_POSITIVE))
        .collect();
    let wsum: f64 = w.iter().sum();
    let mean = values.iter().zip(&w).map(|(v, w)| v * w).sum::<f64>() / wsum;
    let x2 = values
        .iter()
        .zip(&w)
        .map(|(v, w)| w * (v - mean) * (v - mean))
        .sum();
    (x2, values.len().saturating_sub(1))
}

/// True when `X^2` exceeds its expectation by five standard deviations.
fn rejects(x2: f64, dof: usize) -> bool {
    dof > 0 && x2 > dof as f64 + 5.0 * (2.0 * dof as f64).sqrt()
}

/// Each angle's contrast and offset from a line fit of its off-diagonal data (upper
/// triangle) against `g1^2` of `physical`.
pub fn per_angle_scaling<'a>(
    experiment: &Experiment,
    c2: impl Into<C2View<'a>>,
    physical: &[f64],
) -> Result<PerAngleScaling, NlsqError> {
    let c2: C2View<'a> = c2.into();
    let n_phi = experiment.n_phi();
    let n_t = experiment.n_t();
    let mut out = PerAngleScaling {
        contrast: Vec::with_capacity(n_phi),
        contrast_se: Vec::with_capacity(n_phi),
        offset: Vec::with_capacity(n_phi),
        offset_se: Vec::with_capacity(n_phi),
    };
    for a in 0..n_phi {
        // g1^2 of one angle at a time: no (n_phi, n_t, n_t) theory array.
        let one = Experiment::new(
            experiment.geometry.clone(),
            experiment.t.clone(),
            vec![experiment.phi_deg[a]],
        )?;
        let g1sq = g2_grid(&one, physical, &[1.0], &[0.0])?;
        let (mut n, mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..n_t {
            for j in i + 1..n_t {
                let (x, y) = (g1sq[[0, i, j]], c2.get([a, i, j]));
                if x.is_finite() && y.is_finite() {
                    n += 1.0;
                    sx += x;
                    sy += y;
                    sxx += x * x;
                    sxy += x * y;
                    syy += y * y;
                }
            }
        }
        let det = n * sxx - sx * sx;
        if n < 3.0 || det <= 0.0 {
            out.contrast.push(f64::NAN);
            out.contrast_se.push(f64::INFINITY);
            out.offset.push(f64::NAN);
            out.offset_se.push(f64::INFINITY);
            continue;
        }
        let slope = (n * sxy - sx * sy) / det;
        let intercept = (sy - slope * sx) / n;
        // Residual variance from the sums (clamped: round-off can make it slightly < 0).
        let rss = (syy - 2.0 * slope * sxy - 2.0 * intercept * sy
            + slope * slope * sxx
            + 2.0 * slope * intercept * sx
            + intercept * intercept * n)
            .max(0.0);
        let s2 = rss / (n - 2.0);
        out.contrast.push(slope);
        out.contrast_se.push((s2 * n / det).sqrt());
        out.offset.push(intercept);
        out.offset_se.push((s2 * sxx / det).sqrt());
    }
    Ok(out)
}

/// Least-squares Fourier fit (order `order`, phi in degrees) of `values` with errors
/// `se`; returns the homogeneity-like statistic of its residuals and their dof.
fn fourier_misfit(phi: &[f64], values: &[f64], se: &[f64], order: usize) -> (f64, usize) {
    let k = 1 + 2 * order;
    let n = values.len();
    if n <= k {
        return (f64::INFINITY, 0);
    }
    let basis = |p: f64| -> Vec<f64> {
        let r = p.to_radians();
        let mut b = vec![1.0];
        for m in 1..=order {
            b.push((m as f64 * r).cos());
            b.push((m as f64 * r).sin());
        }
        b
    };
    let mut ata = vec![0.0; k * k];
    let mut atb = vec![0.0; k];
    for a in 0..n {
        let w = 1.0 / (se[a] * se[a]).max(f64::MIN_POSITIVE);
        let b = basis(phi[a]);
        for i in 0..k {
            atb[i] += w * b[i] * values[a];
            for j in 0..k {
                ata[i * k + j] += w * b[i] * b[j];
            }
        }
    }
    let Ok((inv, _)) = crate::linalg::pinv_symmetric(&ata, k, 1e-12) else {
        return (f64::INFINITY, 0);
    };
    let coef: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| inv[i * k + j] * atb[j]).sum())
        .collect();
    let x2 = (0..n)
        .map(|a| {
            let b = basis(phi[a]);
            let model: f64 = b.iter().zip(&coef).map(|(x, c)| x * c).sum();
            (values[a] - model).powi(2) / (se[a] * se[a]).max(f64::MIN_POSITIVE)
        })
        .sum();
    (x2, n - k)
}

/// Fit with `options`; under `auto`, check the averaged scaling against the data and
/// refit with per-angle scaling when the data demand it (module docs). `progress`
/// receives every solver iteration of every fit.
pub fn fit_checked<'a>(
    experiment: &'a Experiment,
    c2: impl Into<C2View<'a>>,
    sigma: Option<ArrayView3<'a, f64>>,
    initial: &InitialValues,
    bounds: &ParameterBounds,
    options: &NlsqOptions,
    progress: Option<&'a (dyn Fn(usize, f64) + Sync)>,
) -> Result<NlsqResult, NlsqError> {
    let c2: C2View<'a> = c2.into();
    // The profile intervals of the answer, once it is chosen.
    let finish = |(fitter, mut result): (Fitter<'a>, NlsqResult)| {
        fitter.add_profile_intervals(&mut result);
        Ok(result)
    };
    let run = |opts: &NlsqOptions,
               start: &InitialValues|
     -> Result<(Fitter<'a>, NlsqResult), NlsqError> {
        let fitter = Fitter::new(experiment, c2, sigma, start, bounds, opts)?;
        let fitter = match progress {
            Some(p) => fitter.with_progress(p),
            None => fitter,
        };
        let result = fitter.fit();
        Ok((fitter, result))
    };
    let (first_fitter, first) = run(options, initial)?;
    if options.per_angle_mode != PerAngleMode::Auto
        || first.per_angle_mode != ScalingKind::Averaged
        || first.physical.iter().any(|v| !v.is_finite())
        || !first.converged()
    {
        return finish((first_fitter, first));
    }
    let est = per_angle_scaling(experiment, c2, &first.physical)?;
    let (xc, dof) = homogeneity(&est.contrast, &est.contrast_se);
    let (xo, _) = homogeneity(&est.offset, &est.offset_se);
    if !(rejects(xc, dof) || rejects(xo, dof)) || est.contrast.iter().any(|v| !v.is_finite()) {
        let mut r = first;
        r.scaling_decision = Some(format!(
            "auto: one averaged contrast/offset pair; the per-angle estimates agree within \
             their errors (contrast X^2 = {xc:.1}, offset X^2 = {xo:.1} for {dof} dof)"
        ));
        return finish((first_fitter, r));
    }
    let phi = &experiment.phi_deg;
    let order = options.fourier_order;
    let (fc, fdof) = fourier_misfit(phi, &est.contrast, &est.contrast_se, order);
    let (fo, _) = fourier_misfit(phi, &est.offset, &est.offset_se, order);
    let fourier_ok =
        experiment.n_phi() >= 3 * (1 + 2 * order) && !rejects(fc, fdof) && !rejects(fo, fdof);
    let (mode, name) = if fourier_ok {
        (PerAngleMode::Fourier, "a Fourier series of order")
    } else {
        (
            PerAngleMode::Individual,
            "one contrast and offset per angle",
        )
    };
    let reason = format!(
        "auto: the per-angle contrasts/offsets differ beyond their errors (contrast X^2 = \
         {xc:.1}, offset X^2 = {xo:.1} for {dof} dof; one pair would bias the physical \
         parameters), so the fit was repeated with {name}{}",
        if fourier_ok {
            format!(" {order}")
        } else {
            String::new()
        }
    );
    tracing::warn!("{reason}");
    let mut opts = options.clone();
    opts.per_angle_mode = mode;
    let mut start = initial.clone();
    start.physical = first.physical.clone();
    let clip = |v: f64, b: homodyne_model::Bounds| b.clip(v);
    start.contrast = est
        .contrast
        .iter()
        .map(|&v| clip(v, bounds.contrast))
        .collect();
    start.offset = est.offset.iter().map(|&v| clip(v, bounds.offset)).collect();
    let (second_fitter, mut second) = run(&opts, &start)?;
    second.iterations += first.iterations;
    second.nfev += first.nfev;
    second.njev += first.njev;
    second.execution_time += first.execution_time;
    second.scaling_decision = Some(reason);
    finish((second_fitter, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homogeneity_separates_equal_from_different() {
        let se = vec![0.001; 8];
        let (x2, dof) = homogeneity(&[0.2; 8], &se);
        assert!(!rejects(x2, dof));
        let spread: Vec<f64> = (0..8).map(|a| 0.1 + 0.02 * a as f64).collect();
        let (x2, dof) = homogeneity(&spread, &se);
        assert!(rejects(x2, dof), "{x2} {dof}");
    }

    #[test]
    fn fourier_misfit_accepts_a_smooth_series() {
        let phi: Vec<f64> = (0..23).map(|a| -90.0 + 180.0 * a as f64 / 22.0).collect();
        let v: Vec<f64> = phi
            .iter()
            .map(|p| 0.2 + 0.05 * p.to_radians().cos() + 0.01 * (2.0 * p.to_radians()).sin())
            .collect();
        let (x2, dof) = fourier_misfit(&phi, &v, &[1e-3; 23], 2);
        assert!(x2 < 1e-12 && dof == 18, "{x2} {dof}");
    }
}
