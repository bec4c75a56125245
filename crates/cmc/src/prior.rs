//! The log prior over the model's parameter vector `x` (constants dropped).
//!
//! Each entry of `x` takes the prior of its row in the parameter table: `contrast_3`
//! (individual scaling) and `contrast` (averaged) take `contrast`'s, physical parameters
//! their own. Fourier coefficients have no row and get a flat prior on their bounds.
//! Supports come from the bounds (the transform keeps `x` inside), so truncation only
//! changes the normalising constant, which cancels.

use homodyne_model::{ParameterSpace, Prior};

use crate::error::CmcError;

/// The log prior of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Term {
    Flat,
    /// -(x - mu)^2 / (2 sigma^2).
    Normal {
        mu: f64,
        sigma: f64,
    },
    /// LogNormal(mu, sigma): -(ln x - mu)^2/(2 sigma^2) - ln x.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Beta(a, b) on [lo, hi].
    Beta {
        a: f64,
        b: f64,
        lo: f64,
        hi: f64,
    },
}

/// `log π(x)` and its gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct LogPrior {
    terms: Vec<Term>,
    names: Vec<String>,
}

/// The parameter-table row a layout name refers to (`contrast_3` → `contrast`).
pub fn table_name(name: &str) -> &str {
    for base in ["contrast", "offset"] {
        if name == base {
            return base;
        }
        if let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('_'))
            && rest.chars().all(|c| c.is_ascii_digit())
            && !rest.is_empty()
        {
            return base;
        }
    }
    name
}

impl LogPrior {
    /// The prior of the layout's entries `names`, whose bounds are `lower`/`upper`, from
    /// the parameter table `space`. Errors name the parameter and what is impossible.
    pub fn new(
        space: &ParameterSpace,
        names: &[String],
        lower: &[f64],
        upper: &[f64],
    ) -> Result<Self, CmcError> {
        let mut terms = Vec::with_capacity(names.len());
        for (k, name) in names.iter().enumerate() {
            let (lo, hi) = (lower[k], upper[k]);
            if lo.is_nan() || hi.is_nan() || lo >= hi {
                return Err(CmcError::Prior {
                    name: name.clone(),
                    reason: format!(
                        "bounds [{lo}, {hi}] have no width: need lower < upper to sample it \
                         (fix it at a value instead)"
                    ),
                });
            }
            let term = match space.spec(table_name(name)).map(|s| s.prior) {
                None | Some(Prior::Uniform) => Term::Flat,
                Some(Prior::Normal { mu, sigma } | Prior::TruncatedNormal { mu, sigma }) => {
                    check_scale(name, mu, sigma)?;
                    Term::Normal { mu, sigma }
                }
                Some(Prior::LogNormal { mu, sigma }) => {
                    check_scale(name, mu, sigma)?;
                    if lo < 0.0 {
                        return Err(CmcError::Prior {
                            name: name.clone(),
                            reason: format!(
                                "LogNormal prior needs positive values but the lower bound is {lo}"
                            ),
                        });
                    }
                    Term::LogNormal { mu, sigma }
                }
                Some(Prior::BetaScaled { mu, sigma }) => {
                    check_scale(name, mu, sigma)?;
                    if !(lo.is_finite() && hi.is_finite()) {
                        return Err(CmcError::Prior {
                            name: name.clone(),
                            reason: "BetaScaled prior needs finite bounds".into(),
                        });
                    }
                    let w = hi - lo;
                    let m = (mu - lo) / w;
                    let v = (sigma / w).powi(2);
                    let common = m * (1.0 - m) / v - 1.0;
                    let (a, b) = (m * common, (1.0 - m) * common);
                    if !(m > 0.0 && m < 1.0 && a > 0.0 && b > 0.0) {
                        return Err(CmcError::Prior {
                            name: name.clone(),
                            reason: format!(
                                "BetaScaled prior with mean {mu} and sd {sigma} is impossible on \
                                 [{lo}, {hi}]: the mean must lie inside and sd < sqrt(m(1-m))·width"
                            ),
                        });
                    }
                    Term::Beta { a, b, lo, hi }
                }
            };
            terms.push(term);
        }
        Ok(LogPrior {
            terms,
            names: names.to_vec(),
        })
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.terms.len()
    }

    /// `log π(x)`; adds `d log π / dx` to `grad`. `-inf` outside the support.
    pub fn eval(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let mut lp = 0.0;
        for ((term, &v), g) in self.terms.iter().zip(x).zip(grad.iter_mut()) {
            match *term {
                Term::Flat => {}
                Term::Normal { mu, sigma } => {
                    let d = (v - mu) / sigma;
                    lp -= 0.5 * d * d;
                    *g -= d / sigma;
                }
                Term::LogNormal { mu, sigma } => {
                    if v <= 0.0 {
                        return f64::NEG_INFINITY;
                    }
                    let l = v.ln();
                    let d = (l - mu) / sigma;
                    lp -= 0.5 * d * d + l;
                    *g -= (d / sigma + 1.0) / v;
                }
                Term::Beta { a, b, lo, hi } => {
                    let w = hi - lo;
                    let u = (v - lo) / w;
                    if u <= 0.0 || u >= 1.0 {
                        return f64::NEG_INFINITY;
                    }
                    lp += (a - 1.0) * u.ln() + (b - 1.0) * (1.0 - u).ln();
                    *g += ((a - 1.0) / u - (b - 1.0) / (1.0 - u)) / w;
                }
            }
        }
        lp
    }

    /// Names of the coordinates.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

fn check_scale(name: &str, mu: f64, sigma: f64) -> Result<(), CmcError> {
    if !(mu.is_finite() && sigma.is_finite() && sigma > 0.0) {
        return Err(CmcError::Prior {
            name: name.into(),
            reason: format!(
                "needs a finite location and a positive scale; got mu = {mu}, sigma = {sigma}"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_model::{AnalysisMode, PriorKind};

    #[test]
    fn gradient_matches_finite_differences() {
        let mut space = ParameterSpace::defaults(AnalysisMode::Static);
        space.spec_mut("D0").unwrap().prior = Prior::new(PriorKind::LogNormal, 7.0, 1.5);
        space.spec_mut("alpha").unwrap().prior = Prior::new(PriorKind::BetaScaled, -1.0, 0.4);
        let names: Vec<String> = ["contrast_0", "offset", "D0", "alpha", "D_offset"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let lower = [0.0, 0.5, 1.0, -2.0, -100.0];
        let upper = [1.0, 1.5, 1e6, 2.0, 100.0];
        let p = LogPrior::new(&space, &names, &lower, &upper).unwrap();
        let x = [0.3, 1.1, 900.0, -0.7, 3.0];
        let mut g = [0.0; 5];
        let f = p.eval(&x, &mut g);
        for k in 0..5 {
            let h = 1e-6 * x[k].abs().max(1.0);
            let (mut xp, mut xm) = (x, x);
            xp[k] += h;
            xm[k] -= h;
            let mut s = [0.0; 5];
            let fd = (p.eval(&xp, &mut s) - p.eval(&xm, &mut s)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-6 * g[k].abs().max(1e-3),
                "{k}: {fd} {}",
                g[k]
            );
        }
        assert!(f.is_finite());
    }

    #[test]
    fn impossible_priors_are_named() {
        let mut space = ParameterSpace::defaults(AnalysisMode::Static);
        space.spec_mut("alpha").unwrap().prior = Prior::new(PriorKind::Normal, 0.0, 0.0);
        let names = vec!["alpha".to_string()];
        let err = LogPrior::new(&space, &names, &[-2.0], &[2.0]).unwrap_err();
        assert!(err.to_string().contains("alpha") && err.to_string().contains("positive scale"));
        let err = LogPrior::new(
            &ParameterSpace::defaults(AnalysisMode::Static),
            &names,
            &[1.0],
            &[1.0],
        )
        .unwrap_err();
        assert!(err.to_string().contains("no width"), "{err}");
        assert_eq!(table_name("contrast_12"), "contrast");
        assert_eq!(table_name("contrast_c1"), "contrast_c1");
    }
}
