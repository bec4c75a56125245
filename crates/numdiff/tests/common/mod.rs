//! Test functions with known derivatives, written once generically so the
//! same formula serves the real methods (f64) and the complex step
//! (Complex64).

#![allow(dead_code)]

use homodyne_numdiff::Complex64;
use std::ops::{Add, Mul, Sub};

/// Minimal scalar abstraction for writing a test function once.
pub trait Scalar:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Mul<f64, Output = Self>
{
    fn c(v: f64) -> Self;
    fn exp(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
}

impl Scalar for f64 {
    fn c(v: f64) -> Self {
        v
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
}

impl Scalar for Complex64 {
    fn c(v: f64) -> Self {
        Complex64::new(v, 0.0)
    }
    fn exp(self) -> Self {
        Complex64::exp(self)
    }
    fn sin(self) -> Self {
        Complex64::sin(self)
    }
    fn cos(self) -> Self {
        Complex64::cos(self)
    }
}

/// A scalar test problem: value, gradient and Hessian known analytically.
pub struct Problem {
    pub name: &'static str,
    pub x: Vec<f64>,
    pub grad: fn(&[f64]) -> Vec<f64>,
    pub hess: fn(&[f64]) -> Vec<Vec<f64>>,
    pub f: fn(&[f64]) -> f64,
    pub fc: fn(&[Complex64]) -> Complex64,
    /// Whether the problem is badly scaled (accuracy judged norm-wise).
    pub badly_scaled: bool,
}

// ---- polynomial: x0^3 + 2 x0 x1^2 - x1 + 0.5 x2^4 ----
pub fn poly<T: Scalar>(x: &[T]) -> T {
    x[0] * x[0] * x[0] + x[0] * x[1] * x[1] * 2.0 - x[1] + x[2] * x[2] * x[2] * x[2] * 0.5
}
fn poly_grad(x: &[f64]) -> Vec<f64> {
    vec![
        3.0 * x[0] * x[0] + 2.0 * x[1] * x[1],
        4.0 * x[0] * x[1] - 1.0,
        2.0 * x[2].powi(3),
    ]
}
fn poly_hess(x: &[f64]) -> Vec<Vec<f64>> {
    vec![
        vec![6.0 * x[0], 4.0 * x[1], 0.0],
        vec![4.0 * x[1], 4.0 * x[0], 0.0],
        vec![0.0, 0.0, 6.0 * x[2] * x[2]],
    ]
}

// ---- exponentials: exp(0.5 x0 - x1) + exp(x2) ----
pub fn expf<T: Scalar>(x: &[T]) -> T {
    (x[0] * 0.5 - x[1]).exp() + x[2].exp()
}
fn exp_grad(x: &[f64]) -> Vec<f64> {
    let e = (0.5 * x[0] - x[1]).exp();
    vec![0.5 * e, -e, x[2].exp()]
}
fn exp_hess(x: &[f64]) -> Vec<Vec<f64>> {
    let e = (0.5 * x[0] - x[1]).exp();
    vec![
        vec![0.25 * e, -0.5 * e, 0.0],
        vec![-0.5 * e, e, 0.0],
        vec![0.0, 0.0, x[2].exp()],
    ]
}

// ---- trigonometric: sin(x0) cos(x1) + sin(3 x2) ----
pub fn trig<T: Scalar>(x: &[T]) -> T {
    x[0].sin() * x[1].cos() + (x[2] * 3.0).sin()
}
fn trig_grad(x: &[f64]) -> Vec<f64> {
    vec![
        x[0].cos() * x[1].cos(),
        -x[0].sin() * x[1].sin(),
        3.0 * (3.0 * x[2]).cos(),
    ]
}
fn trig_hess(x: &[f64]) -> Vec<Vec<f64>> {
    let (s0, c0, s1, c1) = (x[0].sin(), x[0].cos(), x[1].sin(), x[1].cos());
    vec![
        vec![-s0 * c1, -c0 * s1, 0.0],
        vec![-c0 * s1, -s0 * c1, 0.0],
        vec![0.0, 0.0, -9.0 * (3.0 * x[2]).sin()],
    ]
}

// ---- product: x0 x1 sin(x2) exp(0.3 x0) ----
pub fn product<T: Scalar>(x: &[T]) -> T {
    x[0] * x[1] * x[2].sin() * (x[0] * 0.3).exp()
}
fn product_grad(x: &[f64]) -> Vec<f64> {
    let (s, c, e) = (x[2].sin(), x[2].cos(), (0.3 * x[0]).exp());
    vec![
        x[1] * s * e * (1.0 + 0.3 * x[0]),
        x[0] * s * e,
        x[0] * x[1] * c * e,
    ]
}
fn product_hess(x: &[f64]) -> Vec<Vec<f64>> {
    let (s, c, e) = (x[2].sin(), x[2].cos(), (0.3 * x[0]).exp());
    let a = 1.0 + 0.3 * x[0];
    vec![
        vec![x[1] * s * e * (0.3 + 0.3 * a), s * e * a, x[1] * c * e * a],
        vec![s * e * a, 0.0, x[0] * c * e],
        vec![x[1] * c * e * a, x[0] * c * e, -x[0] * x[1] * s * e],
    ]
}

// ---- badly scaled: 1e8 x^2 + 1e-6 sin(y) ----
pub fn scaled<T: Scalar>(x: &[T]) -> T {
    x[0] * x[0] * 1e8 + x[1].sin() * 1e-6
}
fn scaled_grad(x: &[f64]) -> Vec<f64> {
    vec![2e8 * x[0], 1e-6 * x[1].cos()]
}
fn scaled_hess(x: &[f64]) -> Vec<Vec<f64>> {
    vec![vec![2e8, 0.0], vec![0.0, -1e-6 * x[1].sin()]]
}

pub fn problems() -> Vec<Problem> {
    vec![
        Problem {
            name: "polynomial",
            x: vec![1.3, -0.7, 2.1],
            f: poly::<f64>,
            fc: poly::<Complex64>,
            grad: poly_grad,
            hess: poly_hess,
            badly_scaled: false,
        },
        Problem {
            name: "exp",
            x: vec![0.3, -1.2, 1.1],
            f: expf::<f64>,
            fc: expf::<Complex64>,
            grad: exp_grad,
            hess: exp_hess,
            badly_scaled: false,
        },
        Problem {
            name: "sin",
            x: vec![0.4, 1.3, -0.8],
            f: trig::<f64>,
            fc: trig::<Complex64>,
            grad: trig_grad,
            hess: trig_hess,
            badly_scaled: false,
        },
        Problem {
            name: "product",
            x: vec![1.5, -2.0, 0.7],
            f: product::<f64>,
            fc: product::<Complex64>,
            grad: product_grad,
            hess: product_hess,
            badly_scaled: false,
        },
        Problem {
            name: "badly-scaled",
            x: vec![1e-4, 1e3],
            f: scaled::<f64>,
            fc: scaled::<Complex64>,
            grad: scaled_grad,
            hess: scaled_hess,
            badly_scaled: true,
        },
    ]
}

/// Vector function stacking several test functions (for Jacobians).
pub fn stacked<T: Scalar>(x: &[T]) -> Vec<T> {
    vec![poly(x), expf(x), trig(x), product(x)]
}

pub fn stacked_jac(x: &[f64]) -> Vec<Vec<f64>> {
    vec![poly_grad(x), exp_grad(x), trig_grad(x), product_grad(x)]
}

/// Badly scaled vector function of (x, y).
pub fn scaled_vec<T: Scalar>(x: &[T]) -> Vec<T> {
    vec![
        scaled(x),
        x[0] * x[1],
        x[1].sin() * 1e-6,
        (x[0] * 1e4).exp(),
    ]
}

pub fn scaled_vec_jac(x: &[f64]) -> Vec<Vec<f64>> {
    vec![
        scaled_grad(x),
        vec![x[1], x[0]],
        vec![0.0, 1e-6 * x[1].cos()],
        vec![1e4 * (1e4 * x[0]).exp(), 0.0],
    ]
}

/// Error of `got` against `exact`, relative per component, except that
/// components smaller than `floor_frac * max|exact|` are judged against that
/// floor (norm-wise).
pub fn rel_err(got: f64, exact: f64, scale: f64) -> f64 {
    (got - exact).abs() / exact.abs().max(scale).max(f64::MIN_POSITIVE)
}

/// The tiny floor under which an error estimate need not bound the true
/// error: a few ulps of the exact value (the analytic reference itself is
/// only that accurate).
pub fn floor(exact: f64) -> f64 {
    4.0 * f64::EPSILON * exact.abs() + 1e-300
}
