//! The result of a fit (the reference's `OptimizationResult`) and its
//! quality assessment: reduced chi^2 flag (< 1.5 good, < 3 marginal, else
//! poor) and the post-fit checks of `validation/fit_quality.py`.

use homodyne_model::params::{AnalysisMode, physical_index};
use homodyne_model::scaling::ScalingKind;
use serde::{Serialize, Serializer};

use crate::identifiability::Degeneracy;
use crate::strategy::StrategyDecision;

/// Outcome of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Converged (a tolerance was met).
    Converged,
    /// Converged after a recovery attempt from another start.
    ConvergedWithRecovery,
    /// Stopped at the iteration or evaluation limit.
    MaxIter,
    /// No attempt produced a solution.
    Failed,
}

impl Status {
    /// The reference's spelling (`converged`, `max_iter`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::ConvergedWithRecovery => "converged_with_recovery",
            Status::MaxIter => "max_iter",
            Status::Failed => "failed",
        }
    }
}

/// Reduced chi^2 flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityFlag {
    /// Reduced chi^2 below 1.5, converged, identifiable.
    Good,
    /// Reduced chi^2 below 3, or unidentifiable directions.
    Marginal,
    /// Reduced chi^2 of 3 or more, or not converged.
    Poor,
}

impl QualityFlag {
    /// The flag of a fit: from the reduced chi^2, but never `good` for a fit that did
    /// not converge (then `poor`) or has unidentifiable directions (then at best
    /// `marginal`).
    pub fn judge(reduced_chi2: f64, status: Status, degenerate: bool) -> Self {
        let flag = Self::from_reduced_chi2(reduced_chi2);
        if !matches!(status, Status::Converged | Status::ConvergedWithRecovery) {
            QualityFlag::Poor
        } else if degenerate && flag == QualityFlag::Good {
            QualityFlag::Marginal
        } else {
            flag
        }
    }

    /// `good`, `marginal` or `poor`.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityFlag::Good => "good",
            QualityFlag::Marginal => "marginal",
            QualityFlag::Poor => "poor",
        }
    }

    /// `< 1.5` good, `< 3` marginal, else poor (non-finite: poor).
    pub fn from_reduced_chi2(r: f64) -> Self {
        if r < 1.5 {
            QualityFlag::Good
        } else if r < 3.0 {
            QualityFlag::Marginal
        } else {
            QualityFlag::Poor
        }
    }
}

/// One post-fit check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityCheck {
    /// Check name (a key of `quality_checks`).
    pub name: &'static str,
    /// Whether the check passed.
    pub passed: bool,
    /// The measured value.
    pub value: f64,
    /// The threshold it is compared with.
    pub threshold: f64,
    /// One line for people.
    pub message: String,
}

/// The reference's post-fit checks (`chi2_good_threshold` 2, `reduced_chi_squared_threshold`
/// 10, parameter significance |p/sigma| >= 2, condition number <= 1e12, bounds tolerance
/// 1e-9, convergence status).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitQualityChecks {
    /// Every check in order.
    pub checks: Vec<QualityCheck>,
    /// True when every check passed.
    pub all_passed: bool,
}

/// A value with its standard uncertainty (NaN when the data do not determine it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Best value.
    pub value: f64,
    /// One standard deviation.
    pub uncertainty: f64,
}

fn scaling_kind_str<S: Serializer>(kind: &ScalingKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

fn analysis_mode_str<S: Serializer>(mode: &AnalysisMode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(mode.as_str())
}

/// Everything a fit reports. Per-angle layout: `[contrast_0.., offset_0.., physical..]`
/// (all physical parameters, fixed ones included with zero uncertainty). Physical
/// parameters are addressable by name ([`NlsqResult::parameter`]), per-angle scaling
/// as arrays ([`NlsqResult::contrast`], [`NlsqResult::contrast_uncertainty`], ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NlsqResult {
    /// Names in the per-angle layout: `contrast_0.., offset_0.., physical..`.
    pub parameter_names: Vec<String>,
    /// Values in the per-angle layout.
    pub parameters: Vec<f64>,
    /// Standard uncertainties in the per-angle layout (NaN: undetermined).
    pub uncertainties: Vec<f64>,
    /// Row-major covariance in the per-angle layout.
    pub covariance: Vec<Vec<f64>>,
    /// Physical parameters in the mode's canonical order (`analysis_mode.physical_names()`).
    pub physical: Vec<f64>,
    /// Uncertainties of `physical` (0 for fixed parameters, NaN when undetermined).
    pub physical_uncertainty: Vec<f64>,
    /// Contrast of each angle.
    pub contrast: Vec<f64>,
    /// Uncertainty of each angle's contrast.
    pub contrast_uncertainty: Vec<f64>,
    /// Offset of each angle.
    pub offset: Vec<f64>,
    /// Uncertainty of each angle's offset.
    pub offset_uncertainty: Vec<f64>,
    /// Starting values in the per-angle layout.
    pub initial_parameters: Vec<f64>,
    /// The optimiser's own vector, names and covariance.
    pub fitted_names: Vec<String>,
    /// The optimiser's vector at the answer.
    pub fitted_vector: Vec<f64>,
    /// Uncertainties of the optimiser's vector.
    pub fitted_uncertainties: Vec<f64>,
    /// Covariance of the optimiser's vector (rows).
    pub fitted_covariance: Vec<Vec<f64>>,
    /// Resolved per-angle mode (written as `individual`, `auto_averaged`,
    /// `fixed_constant`, `fourier`).
    #[serde(serialize_with = "scaling_kind_str")]
    pub per_angle_mode: ScalingKind,
    /// The physical model fitted (written as `static` / `laminar_flow`).
    #[serde(serialize_with = "analysis_mode_str")]
    pub analysis_mode: AnalysisMode,
    /// Sum of squared (loss-free) residuals.
    pub chi_squared: f64,
    /// `chi_squared / (n_points - n_free_params)`.
    pub reduced_chi_squared: f64,
    /// Sum of loss contributions (equals chi_squared for the linear loss).
    pub cost: f64,
    /// The robust loss used.
    pub loss: String,
    /// Points in the objective (each measurement once).
    pub n_points: usize,
    /// Free optimiser variables.
    pub n_free_params: usize,
    /// `n_points - n_free_params`.
    pub degrees_of_freedom: usize,
    /// How the fit ended.
    pub convergence_status: Status,
    /// The solver's termination message.
    pub message: String,
    /// Trust-region iterations (all attempts).
    pub iterations: usize,
    /// Objective evaluations.
    pub nfev: usize,
    /// Evaluations with derivatives.
    pub njev: usize,
    /// Seconds.
    pub execution_time: f64,
    /// Execution strategy and why.
    pub strategy: StrategyDecision,
    /// Recovery attempts made, in order.
    pub recovery_actions: Vec<String>,
    /// Overall judgement (see [`QualityFlag::judge`]).
    pub quality_flag: QualityFlag,
    /// The individual post-fit checks.
    pub quality_checks: FitQualityChecks,
    /// Condition number of the unit-diagonal `J^T J`.
    pub condition_number: f64,
    /// Condition number of `J^T J` in the parameters' own units.
    pub raw_condition_number: f64,
    /// Directions dropped by the pseudo-inverse.
    pub covariance_rank_deficiency: usize,
    /// True when no per-point sigma array was given.
    pub sigma_is_default: bool,
    /// True when sigma is treated as absolute (covariance not scaled by the reduced chi^2).
    pub absolute_sigma: bool,
    /// Non-fatal remarks (clipped starts, ...).
    pub warnings: Vec<String>,
    /// Directions of parameter space the data do not (or hardly) determine.
    pub degeneracies: Vec<Degeneracy>,
    /// How the per-angle scaling was chosen, when `auto` checked it against the data.
    pub scaling_decision: Option<String>,
    /// How the data entered the objective: points counted (each unordered pair once for
    /// symmetric data) and the sigma used, per angle, with how it was obtained.
    pub objective: crate::problem::ObjectiveInfo,
    /// The coarse stage that chose the start of the full-data solve (large fits only;
    /// `iterations`, `nfev` and `njev` above count the full-data solve).
    pub coarse_stage: Option<crate::coarse::CoarseStage>,
    /// What the global search did, when one chose this result (crate `homodyne-global`).
    pub global_search: Option<crate::global_record::GlobalSearchRecord>,
    /// Profile-likelihood intervals of the physical parameters that were profiled
    /// ([`crate::ProfileSetting`]); where one is not quadratic, the parameter's
    /// uncertainty is the wider side of its interval.
    pub profile: Vec<crate::profile::ProfileInterval>,
}

impl FitQualityChecks {
    /// Add a check (and update `all_passed`).
    pub fn add(&mut self, check: QualityCheck) {
        self.all_passed &= check.passed;
        self.checks.push(check);
    }
}

impl NlsqResult {
    /// Basins of the global search that fit as well as this answer (chi^2 within `s^2`)
    /// at physical values outside its 99.7 % profile intervals (or, for a parameter not
    /// profiled, differing from the answer by more than 3 of its uncertainties): the data
    /// cannot choose between them and the error bars do not span them. `(basin index,
    /// delta chi^2 / s^2)`.
    pub fn rival_basins(&self) -> Vec<(usize, f64)> {
        let Some(record) = &self.global_search else {
            return Vec::new();
        };
        let names = self.physical_names();
        record
            .rivals(self.cost, self.chi2_scale())
            .into_iter()
            .filter(|&(i, _)| {
                let b = &record.basins[i];
                // Costs compare only within one per-angle mode.
                b.names == self.fitted_names
                    && b.names.iter().zip(&b.parameters).any(|(n, &v)| {
                        let Some(j) = names.iter().position(|m| m == n) else {
                            return false;
                        };
                        match self.profile.iter().find(|p| p.name == *n) {
                            Some(p) => v < p.three_sigma.lower || v > p.three_sigma.upper,
                            None => {
                                let u = self.physical_uncertainty[j];
                                // NaN (no uncertainty) counts as outside.
                                (v - self.physical[j]).abs().partial_cmp(&(3.0 * u))
                                    != Some(std::cmp::Ordering::Less)
                                    && v != self.physical[j]
                            }
                        }
                    })
            })
            .collect()
    }

    /// Why this fit is doubtful, one reason per line (empty for a sound fit): not
    /// converged, poor or marginal reduced chi^2, unidentifiable parameters, parameters
    /// at their bounds, non-quadratic profiles, rival basins.
    pub fn doubts(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !matches!(
            self.convergence_status,
            Status::Converged | Status::ConvergedWithRecovery
        ) {
            out.push(format!(
                "the fit did not converge ({}): {}",
                self.convergence_status.as_str(),
                self.message
            ));
        }
        if self.quality_flag != QualityFlag::Good {
            out.push(format!(
                "fit quality {}: reduced chi^2 = {:.4}",
                self.quality_flag.as_str(),
                self.reduced_chi_squared
            ));
        }
        out.extend(self.degeneracies.iter().map(|d| d.message.clone()));
        out.extend(
            self.profile
                .iter()
                .filter(|p| !p.quadratic)
                .map(|p| p.message()),
        );
        if let Some(record) = &self.global_search {
            let names = self.physical_names();
            for (i, delta) in self.rival_basins() {
                let b = &record.basins[i];
                let values: Vec<String> = b
                    .names
                    .iter()
                    .zip(&b.parameters)
                    .filter(|(n, _)| names.contains(&n.as_str()))
                    .map(|(n, v)| format!("{n} = {v:.4e}"))
                    .collect();
                out.push(format!(
                    "global-search basin {i} fits as well as the answer (chi^2 higher by \
                     {delta:.3} s^2) at values outside its error bars: {}; the data cannot \
                     choose between them",
                    values.join(", ")
                ));
            }
        }
        for c in &self.quality_checks.checks {
            if !c.passed && c.name == "physical_bounds" {
                out.push(c.message.clone());
            }
        }
        out
    }

    /// `s^2`, the chi^2 (cost) difference of one standard deviation: 1 for an absolute
    /// sigma, else the cost per degree of freedom (the covariance's scale).
    pub fn chi2_scale(&self) -> f64 {
        if self.absolute_sigma {
            1.0
        } else {
            self.cost / self.degrees_of_freedom.max(1) as f64
        }
    }

    /// Add a quality check whose failure makes the fit at best `marginal`.
    pub fn add_capping_check(&mut self, check: QualityCheck) {
        let failed = !check.passed;
        self.quality_checks.add(check);
        if failed && self.quality_flag == QualityFlag::Good {
            self.quality_flag = QualityFlag::Marginal;
        }
    }

    /// True when the fit converged (possibly after recovery).
    pub fn converged(&self) -> bool {
        matches!(
            self.convergence_status,
            Status::Converged | Status::ConvergedWithRecovery
        )
    }

    /// True when the status is `converged` (the reference's `success`).
    pub fn success(&self) -> bool {
        self.convergence_status == Status::Converged
    }

    /// Value and uncertainty of a named per-angle-layout parameter.
    pub fn get(&self, name: &str) -> Option<(f64, f64)> {
        let i = self.parameter_names.iter().position(|n| n == name)?;
        Some((self.parameters[i], self.uncertainties[i]))
    }

    /// A physical parameter by its canonical name or an accepted alias (`D0`, `phi0`,
    /// `gamma_dot_0`, ...); None when the mode has no such parameter.
    pub fn parameter(&self, name: &str) -> Option<Estimate> {
        let k = physical_index(name).filter(|&k| k < self.physical.len())?;
        Some(Estimate {
            value: self.physical[k],
            uncertainty: self.physical_uncertainty[k],
        })
    }

    /// Canonical names of the physical parameters, in the order of `physical`.
    pub fn physical_names(&self) -> &'static [&'static str] {
        self.analysis_mode.physical_names()
    }

    /// Mean contrast over the angles with the RMS of their uncertainties (the summary
    /// the reference writes as `contrast`).
    pub fn contrast_mean(&self) -> Estimate {
        mean_estimate(&self.contrast, &self.contrast_uncertainty)
    }

    /// Mean offset over the angles with the RMS of their uncertainties.
    pub fn offset_mean(&self) -> Estimate {
        mean_estimate(&self.offset, &self.offset_uncertainty)
    }
}

fn mean_estimate(values: &[f64], uncertainties: &[f64]) -> Estimate {
    let n = values.len().max(1) as f64;
    Estimate {
        value: values.iter().sum::<f64>() / n,
        uncertainty: (uncertainties.iter().map(|u| u * u).sum::<f64>() / n).sqrt(),
    }
}

/// Build the post-fit checks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quality_checks(
    reduced_chi2: f64,
    names: &[String],
    values: &[f64],
    uncertainties: &[f64],
    significance_candidates: &[usize],
    bounds: &[(f64, f64)],
    condition: f64,
    status: Status,
) -> FitQualityChecks {
    let mut checks = Vec::new();
    checks.push(QualityCheck {
        name: "reduced_chi_squared",
        passed: reduced_chi2.is_finite() && reduced_chi2 <= 10.0,
        value: reduced_chi2,
        threshold: 10.0,
        message: format!("reduced chi^2 = {reduced_chi2:.4}"),
    });
    checks.push(QualityCheck {
        name: "chi2_quality",
        passed: reduced_chi2.is_finite() && reduced_chi2 < 2.0,
        value: reduced_chi2,
        threshold: 2.0,
        message: if reduced_chi2 < 2.0 {
            "good fit".into()
        } else {
            "reduced chi^2 above the good-fit threshold".into()
        },
    });
    let weak: Vec<&str> = significance_candidates
        .iter()
        .filter(|&&i| !(uncertainties[i] > 0.0 && (values[i] / uncertainties[i]).abs() >= 2.0))
        .map(|&i| names[i].as_str())
        .collect();
    checks.push(QualityCheck {
        name: "parameter_significance",
        passed: weak.is_empty(),
        value: weak.len() as f64,
        threshold: 2.0,
        message: if weak.is_empty() {
            "all free physical parameters have |p/sigma| >= 2".into()
        } else {
            format!("|p/sigma| < 2 for: {}", weak.join(", "))
        },
    });
    checks.push(QualityCheck {
        name: "condition_number",
        passed: condition.is_finite() && condition <= 1e12,
        value: condition,
        threshold: 1e12,
        message: format!("condition number of the scaled J^T J = {condition:.3e}"),
    });
    let at_bounds: Vec<&str> = values
        .iter()
        .zip(bounds)
        .zip(names)
        .filter(|((v, (lo, hi)), _)| {
            let tol = 1e-9 * (hi - lo).abs().max(1.0);
            **v <= lo + tol || **v >= hi - tol
        })
        .map(|(_, n)| n.as_str())
        .collect();
    checks.push(QualityCheck {
        name: "physical_bounds",
        passed: at_bounds.is_empty(),
        value: at_bounds.len() as f64,
        threshold: 1e-9,
        message: if at_bounds.is_empty() {
            "no parameter at its bounds".into()
        } else {
            format!("at bounds: {}", at_bounds.join(", "))
        },
    });
    checks.push(QualityCheck {
        name: "convergence_status",
        passed: matches!(status, Status::Converged | Status::ConvergedWithRecovery),
        value: f64::from(u8::from(matches!(
            status,
            Status::Converged | Status::ConvergedWithRecovery
        ))),
        threshold: 1.0,
        message: status.as_str().into(),
    });
    let all_passed = checks.iter().all(|c| c.passed);
    FitQualityChecks { checks, all_passed }
}
