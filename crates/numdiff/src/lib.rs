//! Numerical differentiation for homodyne-rs: gradients, Jacobians and
//! Hessians by finite differences, complex step and Richardson extrapolation,
//! each with per-component error estimates.
//!
//! This replaces the JAX-free fallback of the Python package
//! (`homodyne/core/numpy_gradients.py`) and is the reference the model crate's
//! analytic derivatives are tested against.
//!
//! # Entry points
//!
//! | function                                   | input function                          | result                |
//! |--------------------------------------------|-----------------------------------------|-----------------------|
//! | [`gradient`], [`hessian()`]                | `Fn(&[f64]) -> f64`                     | [`Derivative`], [`DerivativeMatrix`] |
//! | [`jacobian`]                               | `Fn(&[f64]) -> Vec<f64>`                | [`DerivativeMatrix`] (`m x n`) |
//! | [`gradient_complex`], [`hessian_complex`]  | `Fn(&[Complex64]) -> Complex64`         | as above              |
//! | [`jacobian_complex`]                       | `Fn(&[Complex64]) -> Vec<Complex64>`    | as above              |
//! | [`richardson_gradient`], [`richardson_jacobian`], [`richardson_hessian`] | real | method forced to Richardson |
//! | [`complex_step_gradient`], [`complex_step_jacobian`], [`complex_step_hessian`] | complex | method forced to complex step |
//! | [`validate_gradient_accuracy`], [`validate_gradient_accuracy_complex`] | either | [`ValidationReport`] |
//!
//! The method comes from [`DiffConfig::method`] (the `richardson_*` and
//! `complex_step_*` shortcuts override it). The `*_complex` functions accept
//! every method: real methods evaluate the function on the real axis.
//!
//! Typical accuracy (relative, well-scaled smooth functions, default steps):
//! forward/backward ~1e-8..1e-7, central ~1e-10, Richardson ~1e-12..1e-13,
//! complex step ~1e-16 for first derivatives; Hessians lose roughly the square
//! root of those digits for finite differences, while Richardson and complex
//! step Hessians reach ~1e-10..1e-12.
//!
//! Every result carries `error` (estimated absolute error per component:
//! truncation + round-off), `n_evals` and `warnings`. Bad input and misbehaving
//! functions give a [`NumDiffError`], never a panic.
//!
//! ```
//! use homodyne_numdiff::{richardson_jacobian, complex_step_gradient, DiffConfig};
//! use num_complex::Complex64;
//!
//! let cfg = DiffConfig::default();
//! let jac = richardson_jacobian(|x: &[f64]| vec![x[0] * x[1], x[0].exp()], &[2.0, 3.0], &cfg).unwrap();
//! assert!((jac.get(0, 1) - 2.0).abs() < 1e-10);
//! assert!((jac.get(1, 0) - 2f64.exp()).abs() <= jac.error_at(1, 0).max(1e-14));
//!
//! let g = complex_step_gradient(|z: &[Complex64]| z[0].sin() * z[1], &[0.5, 2.0], &cfg).unwrap();
//! assert!((g.value[0] - 2.0 * 0.5f64.cos()).abs() < 1e-15);
//! ```
//!
//! # Steps and error estimates
//!
//! Steps are chosen per parameter by the curvature-based rule documented on
//! [`Step::Auto`] unless the configuration supplies them; [`auto_step`] shows
//! the step the rule picks. Error estimates compare each difference quotient
//! `D(h)` with a companion evaluation `D(2h)` (forward/backward:
//! `1.5 |D(2h) - D(h)|`, central: a third of that) and add the round-off
//! `function_noise * |f| / h`; Richardson (Ridders' Neville table over steps
//! `h_0 / r^k`) uses twice the largest difference to the adjacent orders plus
//! propagated round-off, keeping the best table entry per component; the
//! complex step reports its round-off bound, plus a truncation estimate from
//! a second step when the user supplied a large one. The fallback order of
//! [`Method::Adaptive`] is documented there.

#![deny(missing_docs)]

// Module dependencies (each arrow is "imports from"; there are no cycles):
// validate -> api -> adaptive -> complex -> {first, hessian} -> {richardson, step}
// step -> eval -> config -> error -> method;  result -> method
mod adaptive;
mod api;
mod complex;
mod config;
mod error;
mod eval;
mod first;
mod hessian;
mod method;
mod result;
mod richardson;
mod step;
mod validate;

pub use num_complex::Complex64;

pub use api::{
    complex_step_gradient, complex_step_hessian, complex_step_jacobian, gradient, gradient_complex,
    hessian, hessian_complex, jacobian, jacobian_complex, richardson_gradient, richardson_hessian,
    richardson_jacobian,
};
pub use config::{DiffConfig, Step};
pub use error::NumDiffError;
pub use method::Method;
pub use result::{Derivative, DerivativeMatrix};
pub use step::{LengthScales, auto_step};
pub use validate::{
    MethodAccuracy, ValidationReport, validate_gradient_accuracy,
    validate_gradient_accuracy_complex,
};
