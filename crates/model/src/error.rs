//! Errors for invalid model inputs (shapes, non-finite values, bad geometry).

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    #[error("physical parameter vector has {0} entries; expected 3 (static) or 7 (laminar_flow)")]
    ParameterCount(usize),
    #[error("{name} has {got} entries; expected {expected} (one per angle)")]
    PerAngleLength {
        name: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("{name} = {value} is not finite")]
    NonFinite { name: String, value: f64 },
    #[error("{name} = {value} must be positive")]
    NonPositive { name: &'static str, value: f64 },
    #[error("time grid is empty")]
    EmptyTimeGrid,
    #[error("no angles given")]
    NoAngles,
    #[error("data shape {got:?} does not match the model grid {expected:?}")]
    Shape {
        got: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{0}")]
    Invalid(String),
}
