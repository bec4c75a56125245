//! Which parameters the data determine. A (nearly) singular `J^T J` means some direction
//! in parameter space leaves the model unchanged: moving along it changes no residual, so
//! the data say nothing about it. The pseudo-inverse would silently drop that direction
//! and report tiny uncertainties for the parameters along it; this module names them,
//! states the combination that *is* determined, and marks what cannot be known.

use serde::Serialize;

use crate::error::NlsqError;
use crate::linalg::{symmetric_eigen, unit_diagonal};

/// Relative eigenvalue (of the unit-diagonal `J^T J`) below which a direction is called
/// weakly identified: the parameters along it are correlated beyond 1 - 1e-10.
pub const WEAK_EIGENVALUE: f64 = 1e-10;

/// Share of a direction (component of the unit eigenvector) above which a parameter is
/// named as taking part in it.
const INVOLVED: f64 = 0.1;

/// A combination of parameters that the data do determine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combination {
    /// Readable form, e.g. `gamma_dot_t0 + 1.000 gamma_dot_t_offset`.
    pub text: String,
    /// `(parameter, coefficient)`, the first coefficient 1.
    pub coefficients: Vec<(String, f64)>,
    /// Value of the combination at the fit.
    pub value: f64,
    /// Its standard uncertainty.
    pub uncertainty: f64,
}

/// One direction of parameter space the data do not (or hardly) constrain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Degeneracy {
    /// Parameters taking part, in the layout's order.
    pub parameters: Vec<String>,
    /// The direction in each parameter's own units, largest component 1 (same order as
    /// `parameters`).
    pub direction: Vec<f64>,
    /// Its eigenvalue relative to the largest of the unit-diagonal `J^T J`.
    pub relative_eigenvalue: f64,
    /// True when the direction is numerically null: the parameters along it are
    /// undetermined (uncertainty NaN). False: determined, with large, honest
    /// uncertainties.
    pub undetermined: bool,
    /// The determined combination, for a direction shared by two parameters.
    pub combination: Option<Combination>,
    /// One line for the console and the result files.
    pub message: String,
}

/// The weak directions of `jtj` (row-major `p x p`, optimiser variables `names`, values
/// `x`), judged on its unit-diagonal form. `cov` is the covariance reported for `x`
/// (pseudo-inverse based) and `rcond` the pseudo-inverse's relative cut-off.
pub fn degeneracies(
    jtj: &[f64],
    names: &[String],
    x: &[f64],
    cov: &[f64],
    rcond: f64,
) -> Result<Vec<Degeneracy>, NlsqError> {
    let p = names.len();
    if p == 0 || jtj.iter().any(|v| !v.is_finite()) {
        return Ok(Vec::new());
    }
    let d: Vec<f64> = (0..p)
        .map(|i| {
            let h = jtj[i * p + i];
            if h > 0.0 { 1.0 / h.sqrt() } else { 1.0 }
        })
        .collect();
    let (values, vectors) = symmetric_eigen(&unit_diagonal(jtj, p), p)?;
    let largest = values.iter().cloned().fold(0.0, f64::max);
    if largest <= 0.0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (e, &lambda) in values.iter().enumerate() {
        let relative = (lambda / largest).max(0.0);
        if relative >= WEAK_EIGENVALUE {
            continue;
        }
        // Variables with a zero diagonal are reported elsewhere (no information at all);
        // here only directions mixing informative variables.
        let mut involved: Vec<(usize, f64)> = (0..p)
            .map(|i| (i, vectors[i * p + e]))
            .filter(|&(i, v)| v.abs() > INVOLVED && jtj[i * p + i] > 0.0)
            .collect();
        if involved.is_empty() {
            continue;
        }
        // Parameters in the layout's order (D0 before D_offset, gamma_dot_t0 before
        // gamma_dot_t_offset), so the combination reads naturally.
        involved.sort_by_key(|&(i, _)| i);
        // Direction in the parameters' own units: u_i = d_i v_i.
        let u: Vec<f64> = involved.iter().map(|&(i, v)| d[i] * v).collect();
        let umax = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let direction: Vec<f64> = u.iter().map(|v| v / umax).collect();
        let parameters: Vec<String> = involved.iter().map(|&(i, _)| names[i].clone()).collect();
        let undetermined = lambda <= rcond * largest;
        let combination = (involved.len() == 2).then(|| {
            // c . u = 0: c = (1, -u_a / u_b).
            let (ia, ib) = (involved[0].0, involved[1].0);
            let c = [1.0, -u[0] / u[1]];
            let value = c[0] * x[ia] + c[1] * x[ib];
            let var = c[0] * c[0] * cov[ia * p + ia]
                + 2.0 * c[0] * c[1] * cov[ia * p + ib]
                + c[1] * c[1] * cov[ib * p + ib];
            let sign = if c[1] < 0.0 { '-' } else { '+' };
            Combination {
                text: format!("{} {sign} {:.4} {}", names[ia], c[1].abs(), names[ib]),
                coefficients: vec![(names[ia].clone(), c[0]), (names[ib].clone(), c[1])],
                value,
                uncertainty: var.max(0.0).sqrt(),
            }
        });
        let message = match (&combination, undetermined) {
            (Some(c), true) => format!(
                "{} are not separately identifiable: only {} = {:.6e} ± {:.2e} is determined; \
                 their own uncertainties are unknown",
                parameters.join(" and "),
                c.text,
                c.value,
                c.uncertainty
            ),
            (Some(c), false) => format!(
                "{} are nearly degenerate (relative eigenvalue {relative:.1e}): essentially \
                 only {} = {:.6e} ± {:.2e} is determined",
                parameters.join(" and "),
                c.text,
                c.value,
                c.uncertainty
            ),
            (None, true) => format!(
                "the data do not determine the combination of {} along [{}]; their \
                 uncertainties are unknown",
                parameters.join(", "),
                fmt_direction(&parameters, &direction)
            ),
            (None, false) => format!(
                "{} are nearly degenerate (relative eigenvalue {relative:.1e}) along [{}]",
                parameters.join(", "),
                fmt_direction(&parameters, &direction)
            ),
        };
        out.push(Degeneracy {
            parameters,
            direction,
            relative_eigenvalue: relative,
            undetermined,
            combination,
            message,
        });
    }
    Ok(out)
}

/// The two power laws of the model, `amplitude t^exponent + offset`: when the amplitude
/// is consistent with zero its exponent has (almost) no effect on the model, and the
/// split between amplitude and offset is not determined — the data measure their sum.
/// A local covariance cannot see this (the likelihood is flat along a curved valley, and
/// fits land anywhere along it), so it is named from the values themselves.
const POWER_LAWS: [(&str, &str, &str); 2] = [
    ("D0", "alpha", "D_offset"),
    ("gamma_dot_t0", "beta", "gamma_dot_t_offset"),
];

/// Power laws among the free parameters `names` (values `x`, covariance `cov`) whose
/// amplitude is within two standard deviations of zero.
pub fn power_law_ambiguities(names: &[String], x: &[f64], cov: &[f64]) -> Vec<Degeneracy> {
    let p = names.len();
    let index = |n: &str| names.iter().position(|m| m == n);
    let mut out = Vec::new();
    for (amp, exp, off) in POWER_LAWS {
        let (Some(ia), Some(ie), Some(io)) = (index(amp), index(exp), index(off)) else {
            continue;
        };
        let sa = cov[ia * p + ia].max(0.0).sqrt();
        if x[ia].abs() >= 2.0 * sa || !sa.is_finite() {
            continue;
        }
        let var = cov[ia * p + ia] + 2.0 * cov[ia * p + io] + cov[io * p + io];
        let sum = Combination {
            text: format!("{amp} + {off}"),
            coefficients: vec![(amp.to_string(), 1.0), (off.to_string(), 1.0)],
            value: x[ia] + x[io],
            uncertainty: var.max(0.0).sqrt(),
        };
        let message = format!(
            "{amp} = {:.3e} ± {:.1e} is consistent with zero, so {exp} = {:.3} is not \
             determined and {amp} and {off} are not separately identifiable: the data \
             measure {} = {:.6e} ± {:.2e}",
            x[ia], sa, x[ie], sum.text, sum.value, sum.uncertainty
        );
        out.push(Degeneracy {
            parameters: vec![amp.to_string(), exp.to_string(), off.to_string()],
            direction: Vec::new(),
            relative_eigenvalue: f64::NAN,
            undetermined: false,
            combination: Some(sum),
            message,
        });
    }
    out
}

fn fmt_direction(names: &[String], direction: &[f64]) -> String {
    names
        .iter()
        .zip(direction)
        .map(|(n, v)| format!("{v:+.3} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two columns of J equal (gamma_dot_t0 and gamma_dot_t_offset with beta = 0), a third
    /// independent: one undetermined direction, the sum determined.
    #[test]
    fn equal_columns_give_the_sum() {
        let names: Vec<String> = ["a", "g0", "goff"].iter().map(|s| s.to_string()).collect();
        // J rows: [1, t, t] for t in 1..=5 (g0 and goff enter identically).
        let mut jtj = vec![0.0; 9];
        for t in 1..=5 {
            let row = [1.0, t as f64, t as f64];
            for i in 0..3 {
                for j in 0..3 {
                    jtj[i * 3 + j] += row[i] * row[j];
                }
            }
        }
        let x = [0.5, 3e-4, 1e-4];
        let cov = vec![0.0; 9];
        let found = degeneracies(&jtj, &names, &x, &cov, 1e-13).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert!(d.undetermined);
        let mut params = d.parameters.clone();
        params.sort();
        assert_eq!(params, ["g0", "goff"]);
        let c = d.combination.as_ref().unwrap();
        assert!((c.coefficients[1].1 - 1.0).abs() < 1e-9, "{c:?}");
        assert!((c.value - 4e-4).abs() < 1e-12);
        assert!(
            d.message.contains("not separately identifiable"),
            "{}",
            d.message
        );
    }

    #[test]
    fn well_conditioned_has_none() {
        let names: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let jtj = [2.0, 0.5, 0.5, 1.0];
        assert!(
            degeneracies(&jtj, &names, &[1.0, 1.0], &[0.0; 4], 1e-13)
                .unwrap()
                .is_empty()
        );
    }
}
