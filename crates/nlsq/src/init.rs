//! Initial values of a fit, and the helper that builds them from what the configuration
//! gives: physical values as given or, when `values: null`, the bound
//! midpoints; contrast/offset as given per angle or estimated from the data by the
//! quantile rule. Fixed physical parameters are held at their values.

use homodyne_model::C2View;
use homodyne_model::Experiment;
use homodyne_model::params::{AnalysisMode, ParameterSpace};
use serde::Serialize;

use crate::bounds::ParameterBounds;
use crate::error::NlsqError;

/// Where a fit starts, in model quantities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitialValues {
    /// All 3 (static) or 7 (laminar_flow) physical parameters.
    pub physical: Vec<f64>,
    /// Per-angle contrast (one per angle of the experiment).
    pub contrast: Vec<f64>,
    /// Per-angle offset.
    pub offset: Vec<f64>,
    /// `fixed[k]` holds physical parameter k at its value.
    pub fixed: Vec<bool>,
}

impl InitialValues {
    /// Values with nothing fixed.
    pub fn new(physical: Vec<f64>, contrast: Vec<f64>, offset: Vec<f64>) -> Self {
        let fixed = vec![false; physical.len()];
        InitialValues {
            physical,
            contrast,
            offset,
            fixed,
        }
    }

    /// The analysis mode implied by the number of physical values (3 or 7).
    pub fn mode(&self) -> Result<AnalysisMode, NlsqError> {
        AnalysisMode::from_n_physical(self.physical.len()).ok_or_else(|| {
            NlsqError::Initial(format!(
                "{} physical values; expected 3 (static) or 7 (laminar_flow)",
                self.physical.len()
            ))
        })
    }

    /// Check lengths and finiteness against the experiment.
    pub fn validate(&self, experiment: &Experiment) -> Result<AnalysisMode, NlsqError> {
        let mode = self.mode()?;
        if self.fixed.len() != self.physical.len() {
            return Err(NlsqError::Initial(format!(
                "fixed mask has {} entries; expected {}",
                self.fixed.len(),
                self.physical.len()
            )));
        }
        experiment.check_params(&self.physical)?;
        experiment.check_scaling(&self.contrast, &self.offset)?;
        Ok(mode)
    }
}

/// Build initial values from the parameter table: its physical start values and fixed
/// flags, its bounds; contrast/offset as in [`initial_values`] (`scaling = None` ->
/// per-angle quantile estimates from `c2`, a single value per list is replicated).
/// Returns the start and the bounds the fit should use.
pub fn initial_values_from_space<'a>(
    experiment: &Experiment,
    c2: impl Into<C2View<'a>>,
    space: &ParameterSpace,
    scaling: Option<(&[f64], &[f64])>,
) -> Result<(InitialValues, ParameterBounds), NlsqError> {
    let bounds = ParameterBounds::from_space(space);
    let start = space.start_values();
    let mut values = initial_values(experiment, c2, space.mode(), Some(&start), scaling, &bounds)?;
    values.fixed = space.fixed_mask();
    Ok((values, bounds))
}

/// Build initial values: `physical = None` means the configuration's `values: null` ->
/// bound midpoints; `scaling = None` -> per-angle quantile estimates from `c2` (diagonal
/// excluded), a single value per list is replicated over the angles.
pub fn initial_values<'a>(
    experiment: &Experiment,
    c2: impl Into<C2View<'a>>,
    mode: AnalysisMode,
    physical: Option<&[f64]>,
    scaling: Option<(&[f64], &[f64])>,
    bounds: &ParameterBounds,
) -> Result<InitialValues, NlsqError> {
    let c2: C2View<'a> = c2.into();
    bounds.validate(mode)?;
    let physical = match physical {
        Some(v) if v.len() == mode.n_physical() => v.to_vec(),
        Some(v) => {
            return Err(NlsqError::Initial(format!(
                "{} physical values given; {mode} needs {}",
                v.len(),
                mode.n_physical()
            )));
        }
        None => bounds.physical.iter().map(|b| b.mid()).collect(),
    };
    let n_phi = experiment.n_phi();
    let expand = |name: &str, v: &[f64]| -> Result<Vec<f64>, NlsqError> {
        match v.len() {
            1 => Ok(vec![v[0]; n_phi]),
            n if n == n_phi => Ok(v.to_vec()),
            n => Err(NlsqError::Initial(format!(
                "{name} has {n} values; expected 1 or {n_phi} (one per angle)"
            ))),
        }
    };
    let (contrast, offset) = match scaling {
        Some((c, o)) => (expand("contrast", c)?, expand("offset", o)?),
        None => {
            let expected = [n_phi, experiment.n_t(), experiment.n_t()];
            if c2.shape() != expected {
                return Err(homodyne_model::ModelError::Shape {
                    got: c2.shape().to_vec(),
                    expected: expected.to_vec(),
                }
                .into());
            }
            c2.quantile_estimates(&experiment.t, bounds.contrast, bounds.offset, false)
        }
    };
    let values = InitialValues::new(physical, contrast, offset);
    values.validate(experiment)?;
    Ok(values)
}
