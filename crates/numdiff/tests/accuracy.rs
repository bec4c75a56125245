//! Accuracy and error-estimate tests for every method on functions with known
//! derivatives: gradients, Jacobians and Hessians.
//!
//! Each check asserts (a) accuracy appropriate to the method and (b) that the
//! returned error estimate bounds the true error up to a few-ulp floor.

mod common;

use common::*;
use homodyne_numdiff::{
    DiffConfig, Method, gradient, gradient_complex, hessian, hessian_complex, jacobian,
    jacobian_complex,
};

/// Expected relative accuracy of first derivatives per method.
fn first_tol(m: Method) -> f64 {
    match m {
        Method::Forward | Method::Backward => 1e-6,
        Method::Central => 1e-9,
        Method::Richardson => 1e-11,
        Method::ComplexStep => 1e-14,
        Method::Adaptive => unreachable!(),
    }
}

/// Expected relative accuracy of second derivatives per method.
fn second_tol(m: Method) -> f64 {
    match m {
        Method::Forward | Method::Backward => 1e-3,
        Method::Central => 1e-6,
        Method::Richardson => 1e-10,
        Method::ComplexStep => 1e-12,
        Method::Adaptive => unreachable!(),
    }
}

/// Checks `got` (row-major) against `exact`; returns a failure description.
/// Components are judged relative to `max(|exact|, frac * max|exact|)`.
fn check(label: &str, got: &[f64], est: &[f64], exact: &[f64], tol: f64, frac: f64) -> Vec<String> {
    let scale = exact.iter().fold(0.0_f64, |a, v| a.max(v.abs())) * frac;
    let mut fails = Vec::new();
    for k in 0..exact.len() {
        let err = (got[k] - exact[k]).abs();
        let r = rel_err(got[k], exact[k], scale);
        if r.is_nan() || r > tol {
            fails.push(format!(
                "{label}[{k}]: rel err {r:.2e} > {tol:.0e} (got {}, exact {})",
                got[k], exact[k]
            ));
        }
        if err.is_nan() || err > est[k].max(floor(exact[k])) {
            fails.push(format!(
                "{label}[{k}]: true err {err:.2e} exceeds estimate {:.2e}",
                est[k]
            ));
        }
    }
    if std::env::var("NUMDIFF_VERBOSE").is_ok() {
        let worst = (0..exact.len())
            .map(|k| rel_err(got[k], exact[k], scale))
            .fold(0.0_f64, f64::max);
        let ratio = (0..exact.len())
            .map(|k| est[k] / (got[k] - exact[k]).abs().max(floor(exact[k])))
            .fold(f64::INFINITY, f64::min);
        eprintln!("{label:40} worst rel {worst:9.2e}  min est/err {ratio:9.2e}");
    }
    fails
}

fn frac(p: &Problem, m: Method) -> f64 {
    // Badly scaled problems are judged norm-wise, except by the complex step,
    // which has no cancellation and must be accurate per component.
    if p.badly_scaled && m != Method::ComplexStep {
        1.0
    } else {
        1e-3
    }
}

fn flat(v: Vec<Vec<f64>>) -> Vec<f64> {
    v.into_iter().flatten().collect()
}

fn run_gradient(method: Method) {
    let mut fails = Vec::new();
    for p in problems() {
        let cfg = DiffConfig::with_method(method);
        let d = if method == Method::ComplexStep {
            gradient_complex(p.fc, &p.x, &cfg)
        } else {
            gradient(p.f, &p.x, &cfg)
        }
        .unwrap_or_else(|e| panic!("{} {method}: {e}", p.name));
        assert_eq!(d.method, method);
        assert!(d.n_evals > p.x.len(), "{}: n_evals {}", p.name, d.n_evals);
        let label = format!("gradient {method} {}", p.name);
        fails.extend(check(
            &label,
            &d.value,
            &d.error,
            &(p.grad)(&p.x),
            first_tol(method),
            frac(&p, method),
        ));
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

fn run_hessian(method: Method) {
    let mut fails = Vec::new();
    for p in problems() {
        let cfg = DiffConfig::with_method(method);
        let h = if method == Method::ComplexStep {
            hessian_complex(p.fc, &p.x, &cfg)
        } else {
            hessian(p.f, &p.x, &cfg)
        }
        .unwrap_or_else(|e| panic!("{} {method}: {e}", p.name));
        assert_eq!(h.method, method);
        let n = p.x.len();
        assert_eq!((h.nrows, h.ncols), (n, n));
        for i in 0..n {
            for j in 0..n {
                assert_eq!(h.get(i, j), h.get(j, i), "Hessian must be symmetric");
            }
        }
        let label = format!("hessian {method} {}", p.name);
        // Badly scaled Hessians are judged norm-wise for every method.
        let fr = if p.badly_scaled { 1.0 } else { 1e-3 };
        fails.extend(check(
            &label,
            &h.value,
            &h.error,
            &flat((p.hess)(&p.x)),
            second_tol(method),
            fr,
        ));
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

fn run_jacobian(method: Method) {
    let mut fails = Vec::new();
    let cases: [(&str, Vec<f64>, bool); 2] = [
        ("stacked", vec![0.9, -0.6, 0.35], false),
        ("badly-scaled", vec![1e-4, 1e3], true),
    ];
    for (name, x, bad) in cases {
        let cfg = DiffConfig::with_method(method);
        let j = match (method, bad) {
            (Method::ComplexStep, false) => jacobian_complex(stacked, &x, &cfg),
            (Method::ComplexStep, true) => jacobian_complex(scaled_vec, &x, &cfg),
            (_, false) => jacobian(stacked::<f64>, &x, &cfg),
            (_, true) => jacobian(scaled_vec::<f64>, &x, &cfg),
        }
        .unwrap_or_else(|e| panic!("{name} {method}: {e}"));
        assert_eq!(j.method, method);
        let exact = if bad {
            scaled_vec_jac(&x)
        } else {
            stacked_jac(&x)
        };
        assert_eq!((j.nrows, j.ncols), (exact.len(), x.len()));
        // Judge each row (one output's gradient) on its own scale, except that
        // finite differences of the badly scaled function share one step per
        // parameter across outputs and are judged against the whole matrix.
        let global = exact.iter().flatten().fold(0.0_f64, |a, v| a.max(v.abs()));
        for (i, row) in exact.iter().enumerate() {
            let est = &j.error[i * j.ncols..(i + 1) * j.ncols];
            let row_max = row.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            let fr = match method {
                Method::ComplexStep | Method::Richardson if bad => 1e-3,
                _ if bad => global / row_max,
                _ => 1e-3,
            };
            fails.extend(check(
                &format!("jacobian {method} {name} row {i}"),
                j.row(i),
                est,
                row,
                first_tol(method),
                fr,
            ));
        }
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn gradient_forward() {
    run_gradient(Method::Forward);
}
#[test]
fn gradient_backward() {
    run_gradient(Method::Backward);
}
#[test]
fn gradient_central() {
    run_gradient(Method::Central);
}
#[test]
fn gradient_richardson() {
    run_gradient(Method::Richardson);
}
#[test]
fn gradient_complex_step() {
    run_gradient(Method::ComplexStep);
}

#[test]
fn jacobian_forward() {
    run_jacobian(Method::Forward);
}
#[test]
fn jacobian_backward() {
    run_jacobian(Method::Backward);
}
#[test]
fn jacobian_central() {
    run_jacobian(Method::Central);
}
#[test]
fn jacobian_richardson() {
    run_jacobian(Method::Richardson);
}
#[test]
fn jacobian_complex_step() {
    run_jacobian(Method::ComplexStep);
}

#[test]
fn hessian_forward() {
    run_hessian(Method::Forward);
}
#[test]
fn hessian_backward() {
    run_hessian(Method::Backward);
}
#[test]
fn hessian_central() {
    run_hessian(Method::Central);
}
#[test]
fn hessian_richardson() {
    run_hessian(Method::Richardson);
}
#[test]
fn hessian_complex_step() {
    run_hessian(Method::ComplexStep);
}
