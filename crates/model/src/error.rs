//! Errors for invalid model inputs (shapes, non-finite values, bad geometry).

use thiserror::Error;

/// Why the model refused its inputs.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// A physical parameter vector of the wrong length.
    #[error("physical parameter vector has {0} entries; expected 3 (static) or 7 (laminar_flow)")]
    ParameterCount(usize),
    #[error("{name} has {got} entries; expected {expected} (one per angle)")]
    /// A per-angle vector of the wrong length.
    PerAngleLength {
        /// Which vector.
        name: &'static str,
        /// Its length.
        got: usize,
        /// The number of angles.
        expected: usize,
    },
    #[error("{name} = {value} is not finite")]
    /// A value that must be finite is not.
    NonFinite {
        /// Which value.
        name: String,
        /// The value.
        value: f64,
    },
    #[error("{name} = {value} must be positive")]
    /// A value that must be positive is not.
    NonPositive {
        /// Which value.
        name: &'static str,
        /// The value.
        value: f64,
    },
    #[error("time grid is empty")]
    /// The time grid has no points.
    EmptyTimeGrid,
    #[error("no angles given")]
    /// No angle was given.
    NoAngles,
    #[error("data shape {got:?} does not match the model grid {expected:?}")]
    /// Data of another shape than the model grid.
    Shape {
        /// The data's shape.
        got: Vec<usize>,
        /// The grid's shape.
        expected: Vec<usize>,
    },
    #[error("{0}")]
    /// Any other invalid input, explained.
    Invalid(String),
}
