//! Robust loss functions in scipy's convention.
//!
//! With `z = (r / f_scale)^2` the loss is `C^2 rho(z)` (`C = f_scale`):
//! linear `rho = z`; soft_l1 `2 (sqrt(1+z) - 1)`; huber `z` if `z <= 1` else
//! `2 sqrt(z) - 1`; cauchy `ln(1+z)`; arctan `arctan(z)`. The Gauss-Newton system uses
//! scipy's `scale_for_robust_loss_function`: the Jacobian row is multiplied by
//! `a = sqrt(max(rho' + 2 rho'' r^2 / C^2, eps))` and the residual by `b = rho' / a`.

use std::fmt;
use std::str::FromStr;

use homodyne_model::normal::ResidualWeight;
use serde::{Deserialize, Serialize};

/// Which robust loss is applied to the scaled residuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    #[default]
    /// Plain least squares, `rho(z) = z`.
    Linear,
    /// `rho(z) = 2 (sqrt(1 + z) - 1)`: smooth, linear growth for outliers.
    SoftL1,
    /// Quadratic below `f_scale`, linear above.
    Huber,
    /// `rho(z) = ln(1 + z)`: strong outlier suppression.
    Cauchy,
    /// `rho(z) = arctan(z)`: bounded influence.
    Arctan,
}

impl Loss {
    /// The configuration spelling (`linear`, `soft_l1`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Loss::Linear => "linear",
            Loss::SoftL1 => "soft_l1",
            Loss::Huber => "huber",
            Loss::Cauchy => "cauchy",
            Loss::Arctan => "arctan",
        }
    }

    /// `(rho, rho', rho'')` of `z`.
    #[inline(always)]
    pub fn rho(self, z: f64) -> (f64, f64, f64) {
        match self {
            Loss::Linear => (z, 1.0, 0.0),
            Loss::SoftL1 => {
                let t = 1.0 + z;
                let s = t.sqrt();
                (2.0 * (s - 1.0), 1.0 / s, -0.5 / (t * s))
            }
            Loss::Huber => {
                if z <= 1.0 {
                    (z, 1.0, 0.0)
                } else {
                    let s = z.sqrt();
                    (2.0 * s - 1.0, 1.0 / s, -0.5 / (z * s))
                }
            }
            Loss::Cauchy => {
                let t = 1.0 + z;
                (t.ln(), 1.0 / t, -1.0 / (t * t))
            }
            Loss::Arctan => {
                let t = 1.0 + z * z;
                (z.atan(), 1.0 / t, -2.0 * z / (t * t))
            }
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linear" => Ok(Loss::Linear),
            "soft_l1" => Ok(Loss::SoftL1),
            "huber" => Ok(Loss::Huber),
            "cauchy" => Ok(Loss::Cauchy),
            "arctan" => Ok(Loss::Arctan),
            _ => Err(format!(
                "unknown loss '{s}': expected linear, soft_l1, huber, cauchy or arctan"
            )),
        }
    }
}

/// A loss with its `f_scale`, usable as the model's [`ResidualWeight`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustLoss {
    /// Which loss.
    pub loss: Loss,
    /// Soft margin between inlier and outlier residuals (in units of sigma).
    pub f_scale: f64,
}

impl RobustLoss {
    /// A loss with its scale.
    pub fn new(loss: Loss, f_scale: f64) -> Self {
        RobustLoss { loss, f_scale }
    }
}

impl ResidualWeight for RobustLoss {
    #[inline(always)]
    fn weigh(&self, r: f64) -> (f64, f64, f64) {
        if self.loss == Loss::Linear {
            return (r * r, 1.0, 1.0);
        }
        let c2 = self.f_scale * self.f_scale;
        let z = r * r / c2;
        let (rho, d1, d2) = self.loss.rho(z);
        let scale = (d1 + 2.0 * d2 * z).max(f64::EPSILON);
        let a = scale.sqrt();
        (c2 * rho, a, d1 / a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for loss in [
            Loss::Linear,
            Loss::SoftL1,
            Loss::Huber,
            Loss::Cauchy,
            Loss::Arctan,
        ] {
            for z in [0.3, 0.9, 2.5, 7.0] {
                let h = 1e-6;
                let (_, d1, d2) = loss.rho(z);
                let d1n = (loss.rho(z + h).0 - loss.rho(z - h).0) / (2.0 * h);
                let d2n = (loss.rho(z + h).1 - loss.rho(z - h).1) / (2.0 * h);
                assert!((d1 - d1n).abs() < 1e-6, "{loss} z={z}");
                assert!((d2 - d2n).abs() < 1e-6, "{loss} z={z}");
            }
        }
        assert_eq!("soft_l1".parse(), Ok(Loss::SoftL1));
        assert!("l2".parse::<Loss>().is_err());
    }

    #[test]
    fn scipy_scaling_rule() {
        // soft_l1, f_scale 2, r = 3: z = 2.25.
        let w = RobustLoss::new(Loss::SoftL1, 2.0);
        let (cost, a, b) = w.weigh(3.0);
        let z: f64 = 2.25;
        assert!((cost - 4.0 * 2.0 * ((1.0 + z).sqrt() - 1.0)).abs() < 1e-12);
        let d1 = 1.0 / (1.0 + z).sqrt();
        let d2 = -0.5 * (1.0 + z).powf(-1.5);
        let scale = (d1 + 2.0 * d2 * z).sqrt();
        assert!((a - scale).abs() < 1e-12 && (b - d1 / scale).abs() < 1e-12);
        assert_eq!(
            RobustLoss::new(Loss::Linear, 1.0).weigh(2.0),
            (4.0, 1.0, 1.0)
        );
    }
}
