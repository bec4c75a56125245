//! Errors of the NLSQ crate: invalid inputs (shapes, bounds, initial values) and model
//! errors. Numerical trouble during a fit is not an error: it is reported through the
//! result's status and recovery actions.

use homodyne_model::ModelError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum NlsqError {
    #[error("model: {0}")]
    Model(#[from] ModelError),
    #[error("invalid option {name}: {message}")]
    Option { name: &'static str, message: String },
    #[error("invalid bounds for {name}: [{min}, {max}] (need finite min < max)")]
    Bounds { name: String, min: f64, max: f64 },
    #[error("invalid initial values: {0}")]
    Initial(String),
    #[error("no data points left to fit (all off-diagonal points are masked or non-finite)")]
    NoData,
    #[error("{n_points} data points cannot determine {n_params} free parameters")]
    Underdetermined { n_points: usize, n_params: usize },
    #[error("linear algebra failure: {0}")]
    Linalg(String),
}
