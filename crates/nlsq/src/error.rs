//! Errors of the NLSQ crate: invalid inputs (shapes, bounds, initial values) and model
//! errors. Numerical trouble during a fit is not an error: it is reported through the
//! result's status and recovery actions.

use homodyne_model::ModelError;
use thiserror::Error;

/// Why a fit could not be set up (or a small dense computation failed).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NlsqError {
    /// The model refused its inputs (shapes, geometry, values).
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// An option is out of range.
    #[error("invalid option {name}: {message}")]
    Option {
        /// The option's name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter's bounds are not a finite interval with min < max.
    #[error("invalid bounds for {name}: [{min}, {max}] (need finite min < max)")]
    Bounds {
        /// The parameter.
        name: String,
        /// Lower bound given.
        min: f64,
        /// Upper bound given.
        max: f64,
    },
    /// Start values do not fit the experiment or the mode.
    #[error("invalid initial values: {0}")]
    Initial(String),
    /// Every off-diagonal point is masked or non-finite.
    #[error("no data points left to fit (all off-diagonal points are masked or non-finite)")]
    NoData,
    /// Fewer points than free parameters.
    #[error("{n_points} data points cannot determine {n_params} free parameters")]
    Underdetermined {
        /// Points in the objective.
        n_points: usize,
        /// Free parameters.
        n_params: usize,
    },
    /// An eigen-decomposition or inverse failed.
    #[error("linear algebra failure: {0}")]
    Linalg(String),
}
