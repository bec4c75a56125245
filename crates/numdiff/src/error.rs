//! Error type for every fallible operation in this crate.
//!
//! Bad input (empty or non-finite `x`, a step vector of the wrong length, an
//! invalid configuration) and misbehaving functions (non-finite values, wrong
//! output length) are reported as [`NumDiffError`]; nothing in the crate panics
//! on user input. It depends only on [`Method`], never on the configuration,
//! so the configuration can return it.

use thiserror::Error;

use crate::method::Method;

/// Everything that can go wrong while differentiating.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NumDiffError {
    /// The evaluation point has no coordinates.
    #[error("the evaluation point x is empty")]
    EmptyInput,

    /// A coordinate of the evaluation point is NaN or infinite.
    #[error("x[{index}] = {value} is not finite")]
    NonFiniteInput {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// A per-parameter step vector does not have one entry per parameter.
    #[error("step vector has length {got}, expected {expected} (one per parameter)")]
    StepLengthMismatch {
        /// Number of parameters.
        expected: usize,
        /// Length of the step vector.
        got: usize,
    },

    /// A user-supplied step is zero, negative or non-finite.
    #[error("step for parameter {index} is {value}; steps must be finite and > 0")]
    InvalidStep {
        /// Parameter index (0 for a uniform step).
        index: usize,
        /// The step.
        value: f64,
    },

    /// A configuration field is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// The function returned an empty vector.
    #[error("the function returned an empty output vector")]
    EmptyOutput,

    /// The function returned a vector of a different length than at `x`.
    #[error("the function returned {got} values, expected {expected} (its length at x)")]
    OutputLengthMismatch {
        /// Output length at `x`.
        expected: usize,
        /// Output length at the perturbed point.
        got: usize,
    },

    /// The function value at the evaluation point itself is NaN or infinite.
    #[error("the function value at x is not finite")]
    NonFiniteAtX,

    /// The function returned NaN or an infinity at a perturbed point.
    #[error("the function returned a non-finite value {context}")]
    NonFiniteOutput {
        /// Where it happened, e.g. `at x + (1e-6) e_3`.
        context: String,
    },

    /// The requested method needs the complex extension of the function.
    #[error("method {0} needs a complex-analytic function; use the *_complex entry points")]
    ComplexFunctionRequired(Method),

    /// A reference gradient (for validation) has the wrong length.
    #[error("known gradient has length {got}, expected {expected}")]
    KnownGradientLengthMismatch {
        /// Number of parameters.
        expected: usize,
        /// Length of the known gradient.
        got: usize,
    },

    /// Every method tried by the adaptive strategy failed; the last error is kept.
    #[error("all methods failed; last error: {0}")]
    AllMethodsFailed(Box<NumDiffError>),
}
