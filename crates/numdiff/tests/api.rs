//! Behaviour tests: input errors, the adaptive rule and its fallbacks, user
//! steps, evaluation counts, chunking/parallel equivalence, warnings,
//! validation reports, robustness of the Richardson error estimate, and an
//! XPCS-like Jacobian/loss as the model crate will use them.

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use homodyne_numdiff::{
    Complex64, DiffConfig, Method, NumDiffError, Step, auto_step, complex_step_gradient,
    complex_step_hessian, gradient, gradient_complex, hessian, jacobian, richardson_gradient,
    richardson_jacobian, validate_gradient_accuracy, validate_gradient_accuracy_complex,
};

fn sum_sq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

// ---------------------------------------------------------------- errors ----

#[test]
fn empty_x_is_an_error() {
    let cfg = DiffConfig::default();
    assert_eq!(gradient(sum_sq, &[], &cfg), Err(NumDiffError::EmptyInput));
    assert_eq!(
        hessian(sum_sq, &[], &cfg).unwrap_err(),
        NumDiffError::EmptyInput
    );
    assert_eq!(
        complex_step_gradient(|z: &[Complex64]| z.iter().sum(), &[], &cfg).unwrap_err(),
        NumDiffError::EmptyInput
    );
}

#[test]
fn non_finite_x_is_an_error() {
    for m in Method::CONCRETE {
        let cfg = DiffConfig::with_method(m);
        let e = gradient_complex(|z: &[Complex64]| z[0] * z[1], &[1.0, f64::NAN], &cfg);
        assert!(
            matches!(e, Err(NumDiffError::NonFiniteInput { index: 1, .. })),
            "{m}: {e:?}"
        );
    }
    let e = jacobian(
        |x: &[f64]| x.to_vec(),
        &[f64::INFINITY],
        &DiffConfig::default(),
    );
    assert!(matches!(
        e,
        Err(NumDiffError::NonFiniteInput { index: 0, .. })
    ));
}

#[test]
fn step_vector_length_mismatch_is_an_error() {
    let cfg = DiffConfig {
        method: Method::Central,
        step: Step::PerParameter(vec![1e-6, 1e-6]),
        ..DiffConfig::default()
    };
    assert_eq!(
        gradient(sum_sq, &[1.0, 2.0, 3.0], &cfg).unwrap_err(),
        NumDiffError::StepLengthMismatch {
            expected: 3,
            got: 2
        }
    );
    let bad = DiffConfig {
        step: Step::PerParameter(vec![1e-6, 0.0]),
        ..cfg.clone()
    };
    assert!(matches!(
        hessian(sum_sq, &[1.0, 2.0], &bad),
        Err(NumDiffError::InvalidStep { index: 1, .. })
    ));
    let neg = DiffConfig {
        step: Step::Uniform(-1.0),
        ..cfg
    };
    assert!(matches!(
        gradient(sum_sq, &[1.0], &neg),
        Err(NumDiffError::InvalidStep { .. })
    ));
}

#[test]
fn invalid_config_is_an_error() {
    let cfg = DiffConfig {
        richardson_terms: 1,
        ..DiffConfig::default()
    };
    assert!(matches!(
        gradient(sum_sq, &[1.0], &cfg),
        Err(NumDiffError::InvalidConfig(_))
    ));
    let cfg = DiffConfig {
        step_ratio: 1.0,
        ..DiffConfig::default()
    };
    assert!(matches!(
        gradient(sum_sq, &[1.0], &cfg),
        Err(NumDiffError::InvalidConfig(_))
    ));
}

#[test]
fn non_finite_function_value_is_an_error() {
    let nan_at_x = |_: &[f64]| f64::NAN;
    for m in [
        Method::Forward,
        Method::Backward,
        Method::Central,
        Method::Richardson,
    ] {
        let e = gradient(nan_at_x, &[1.0], &DiffConfig::with_method(m));
        assert_eq!(e, Err(NumDiffError::NonFiniteAtX), "{m}");
    }
    // Adaptive stops at once: no method can work.
    let e = gradient(nan_at_x, &[1.0], &DiffConfig::default());
    assert_eq!(e, Err(NumDiffError::NonFiniteAtX));
    let e = hessian_complex_nan();
    assert_eq!(e, Err(NumDiffError::NonFiniteAtX));

    // Finite at x, infinite everywhere else: forward differences must report it.
    let spike = |x: &[f64]| if x[0] == 1.0 { 1.0 } else { f64::INFINITY };
    let e = gradient(spike, &[1.0], &DiffConfig::with_method(Method::Forward));
    assert!(
        matches!(e, Err(NumDiffError::NonFiniteOutput { .. })),
        "{e:?}"
    );
    let e = gradient(spike, &[1.0], &DiffConfig::default());
    assert!(matches!(e, Err(NumDiffError::AllMethodsFailed(_))), "{e:?}");
}

fn hessian_complex_nan() -> Result<(), NumDiffError> {
    homodyne_numdiff::hessian_complex(
        |_: &[Complex64]| Complex64::new(f64::INFINITY, 0.0),
        &[1.0],
        &DiffConfig::default(),
    )
    .map(|_| ())
}

#[test]
fn wrong_output_length_is_an_error() {
    // Length depends on the point: 2 at x, 3 elsewhere.
    let f = |x: &[f64]| {
        if x[0] == 0.5 {
            vec![x[0], 1.0]
        } else {
            vec![x[0], 1.0, 2.0]
        }
    };
    for m in Method::CONCRETE {
        if m == Method::ComplexStep {
            continue;
        }
        let e = jacobian(f, &[0.5], &DiffConfig::with_method(m));
        assert_eq!(
            e.unwrap_err(),
            NumDiffError::OutputLengthMismatch {
                expected: 2,
                got: 3
            },
            "{m}"
        );
    }
    let e = jacobian(|_: &[f64]| Vec::new(), &[0.5], &DiffConfig::default());
    assert_eq!(e.unwrap_err(), NumDiffError::EmptyOutput);
}

#[test]
fn complex_step_on_real_function_is_an_error() {
    let e = gradient(
        sum_sq,
        &[1.0],
        &DiffConfig::with_method(Method::ComplexStep),
    );
    assert_eq!(
        e.unwrap_err(),
        NumDiffError::ComplexFunctionRequired(Method::ComplexStep)
    );
}

// -------------------------------------------------------------- adaptive ----

#[test]
fn adaptive_prefers_complex_step_then_richardson() {
    let p = &problems()[2];
    let cfg = DiffConfig::default();
    let c = gradient_complex(p.fc, &p.x, &cfg).unwrap();
    assert_eq!(c.method, Method::ComplexStep);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let r = gradient(p.f, &p.x, &cfg).unwrap();
    assert_eq!(r.method, Method::Richardson);
    let exact = (p.grad)(&p.x);
    for k in 0..exact.len() {
        assert!((c.value[k] - exact[k]).abs() <= 1e-15 * exact[k].abs().max(1.0));
        assert!((r.value[k] - exact[k]).abs() <= 1e-11 * exact[k].abs().max(1.0));
    }
}

#[test]
fn adaptive_falls_back_when_complex_step_is_non_finite() {
    // A "complex" implementation that breaks off the real axis.
    let f = |z: &[Complex64]| {
        if z.iter().any(|c| c.im != 0.0) {
            Complex64::new(f64::NAN, f64::NAN)
        } else {
            z[0] * z[0] * z[1]
        }
    };
    let x = [1.5, -0.5];
    let d = gradient_complex(f, &x, &DiffConfig::default()).unwrap();
    assert_eq!(d.method, Method::Richardson);
    assert!(d.warnings.iter().any(|w| w.contains("complex-step failed")));
    assert!((d.value[0] - 2.0 * 1.5 * -0.5).abs() < 1e-11);
    assert!((d.value[1] - 2.25).abs() < 1e-11);
}

#[test]
fn adaptive_falls_back_to_one_sided_at_a_domain_boundary() {
    // Defined only for x <= 1; at x = 1 only backward differences work.
    let f = |x: &[f64]| {
        if x[0] > 1.0 {
            f64::NAN
        } else {
            x[0] * x[0] * x[0]
        }
    };
    let d = gradient(f, &[1.0], &DiffConfig::default()).unwrap();
    assert_eq!(d.method, Method::Backward);
    assert_eq!(
        d.warnings.iter().filter(|w| w.contains("failed")).count(),
        3
    );
    assert!((d.value[0] - 3.0).abs() < 1e-6, "{}", d.value[0]);
    assert!((d.value[0] - 3.0).abs() <= d.error[0]);
}

#[test]
fn richardson_skips_steps_that_leave_the_domain() {
    // sqrt near 0: the largest user step crosses 0 and gives NaN.
    let f = |x: &[f64]| x[0].sqrt();
    let cfg = DiffConfig {
        step: Step::Uniform(0.2),
        richardson_terms: 8,
        ..DiffConfig::default()
    };
    let d = richardson_gradient(f, &[0.1], &cfg).unwrap();
    let exact = 0.5 / 0.1f64.sqrt();
    assert!(
        d.warnings.iter().any(|w| w.contains("non-finite")),
        "{:?}",
        d.warnings
    );
    assert!((d.value[0] - exact).abs() <= d.error[0], "{d:?}");
    assert!((d.value[0] - exact).abs() < 1e-9 * exact);
}

// ----------------------------------------------------------------- steps ----

#[test]
fn user_steps_are_used_exactly() {
    let f = |x: &[f64]| x[0].exp() + x[1] * x[1] * x[1];
    let x = [0.5, 4.0];
    let cfg = DiffConfig {
        method: Method::Forward,
        step: Step::PerParameter(vec![1e-3, 2e-3]),
        ..DiffConfig::default()
    };
    let d = gradient(f, &x, &cfg).unwrap();
    let f0 = f(&x);
    let h0 = (x[0] + 1e-3) - x[0];
    assert_eq!(d.value[0], (f(&[x[0] + 1e-3, x[1]]) - f0) / h0);
    let h1 = (x[1] + 2e-3) - x[1];
    assert_eq!(d.value[1], (f(&[x[0], x[1] + 2e-3]) - f0) / h1);
    // forward: f(x), then f(x + h), f(x + 2h) per parameter
    assert_eq!(d.n_evals, 1 + 2 * 2);

    // relative steps scale by max(|x|, 1): 1e-3 * 4 for the second parameter.
    let rel = DiffConfig {
        step: Step::Uniform(1e-3),
        relative_step: true,
        ..cfg
    };
    let d = gradient(f, &x, &rel).unwrap();
    let h1 = (x[1] + 4e-3) - x[1];
    assert_eq!(d.value[1], (f(&[x[0], x[1] + 4e-3]) - f0) / h1);
}

#[test]
fn evaluation_counts() {
    let x = [0.3, 0.7, -1.1, 2.0];
    let n = x.len();
    let user = |m| DiffConfig {
        method: m,
        step: Step::Uniform(1e-4),
        ..DiffConfig::default()
    };
    assert_eq!(
        gradient(sum_sq, &x, &user(Method::Central))
            .unwrap()
            .n_evals,
        1 + 4 * n
    );
    let terms = DiffConfig::default().richardson_terms;
    assert_eq!(
        gradient(sum_sq, &x, &user(Method::Richardson))
            .unwrap()
            .n_evals,
        1 + 2 * terms * n
    );
    let fc = |z: &[Complex64]| z.iter().map(|v| v * v).sum::<Complex64>();
    let d = complex_step_gradient(fc, &x, &DiffConfig::default()).unwrap();
    assert_eq!(d.n_evals, 1 + n);
    // Auto steps add a probe of at least two evaluations per parameter.
    let auto = gradient(sum_sq, &x, &DiffConfig::with_method(Method::Central)).unwrap();
    assert!(auto.n_evals > 6 * n);
}

#[test]
fn auto_step_follows_curvature() {
    let cfg = DiffConfig::default();
    // Linear function: no curvature, fall back to (3 noise)^(1/3) max(|x|, 1).
    let lin = |x: &[f64]| 3.0 * x[0];
    let h = auto_step(lin, &[100.0], 0, Method::Central, &cfg).unwrap();
    let expected = (3.0 * cfg.function_noise).cbrt() * 100.0;
    assert!((h / expected - 1.0).abs() < 1e-12, "{h} vs {expected}");
    // A sharply curved function gets a much smaller step than a gentle one.
    let sharp = auto_step(
        |x: &[f64]| (50.0 * x[0]).exp(),
        &[0.1],
        0,
        Method::Central,
        &cfg,
    );
    let gentle = auto_step(
        |x: &[f64]| (0.5 * x[0]).exp(),
        &[0.1],
        0,
        Method::Central,
        &cfg,
    );
    assert!(sharp.unwrap() * 20.0 < gentle.unwrap());
    // Forward steps are ~sqrt(eps)-sized, central ~eps^(1/3)-sized.
    let f = |x: &[f64]| x[0].sin();
    let hf = auto_step(f, &[1.0], 0, Method::Forward, &cfg).unwrap();
    let hc = auto_step(f, &[1.0], 0, Method::Central, &cfg).unwrap();
    assert!(hf > 1e-9 && hf < 1e-6, "{hf}");
    assert!(hc > 1e-7 && hc < 1e-4, "{hc}");
}

// --------------------------------------------------- chunking / parallel ----

#[test]
fn chunking_and_parallelism_do_not_change_results() {
    let n = 37;
    let x: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 1.3).collect();
    let f = |x: &[f64]| {
        x.iter()
            .enumerate()
            .map(|(i, v)| (v * (1.0 + 0.1 * i as f64)).sin())
            .sum::<f64>()
            + x[0] * x[n - 1]
    };
    for method in [Method::Forward, Method::Central, Method::Richardson] {
        let base = gradient(f, &x, &DiffConfig::with_method(method)).unwrap();
        for (chunk_size, parallel) in [(1, false), (5, true), (0, true), (1000, false)] {
            let cfg = DiffConfig {
                method,
                chunk_size,
                parallel,
                ..DiffConfig::default()
            };
            let d = gradient(f, &x, &cfg).unwrap();
            assert_eq!(d.value, base.value, "{method} chunk {chunk_size}");
            assert_eq!(d.error, base.error);
            assert_eq!(d.n_evals, base.n_evals);
        }
    }
    let g = |x: &[f64]| x.iter().map(|v| v.sin()).sum::<f64>() + x[0] * x[x.len() - 1];
    let h1 = hessian(g, &x[..6], &DiffConfig::with_method(Method::Central)).unwrap();
    let h2 = hessian(
        g,
        &x[..6],
        &DiffConfig {
            method: Method::Central,
            chunk_size: 2,
            parallel: true,
            ..DiffConfig::default()
        },
    )
    .unwrap();
    assert_eq!(h1.value, h2.value);
}

#[test]
fn large_problem_in_chunks() {
    let n = 2000;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let fc = |z: &[Complex64]| {
        z.iter()
            .enumerate()
            .map(|(i, v)| v * v * (0.001 * i as f64) + v.exp())
            .sum::<Complex64>()
    };
    let cfg = DiffConfig {
        chunk_size: 500,
        parallel: true,
        ..DiffConfig::default()
    };
    let d = complex_step_gradient(fc, &x, &cfg).unwrap();
    assert_eq!(d.value.len(), n);
    for (i, (&g, &xi)) in d.value.iter().zip(&x).enumerate() {
        let exact = 2.0 * 0.001 * i as f64 * xi + xi.exp();
        assert!((g - exact).abs() <= 1e-14 * exact.abs().max(1.0), "{i}");
    }
}

// -------------------------------------------------------------- warnings ----

#[test]
fn unmet_tolerance_is_warned() {
    let p = &problems()[1];
    let cfg = DiffConfig {
        method: Method::Forward,
        error_tolerance: 1e-12,
        ..DiffConfig::default()
    };
    let d = gradient(p.f, &p.x, &cfg).unwrap();
    assert!(
        d.warnings.iter().any(|w| w.contains("error_tolerance")),
        "{:?}",
        d.warnings
    );
    let ok = gradient(p.f, &p.x, &DiffConfig::default()).unwrap();
    assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
}

#[test]
fn non_real_complex_function_is_warned() {
    let f = |z: &[Complex64]| z[0] * z[0] + Complex64::new(0.0, 1.0);
    let d = complex_step_gradient(f, &[2.0], &DiffConfig::default()).unwrap();
    // The complex step cannot work for such a function; it must say so.
    assert!(d.warnings.iter().any(|w| w.contains("imaginary")));
}

// ------------------------------------------------------------ validation ----

#[test]
fn validation_report_per_method() {
    let p = &problems()[3];
    let known = (p.grad)(&p.x);
    let rep = validate_gradient_accuracy(p.f, &p.x, &known, 1e-5).unwrap();
    assert_eq!(rep.methods.len(), 5);
    assert!(rep.all_passed(), "{rep:#?}");
    for m in &rep.methods {
        assert!(m.estimate_bounds_error, "{m:?}");
        assert!(m.n_evals > 0);
    }
    let fwd = rep.get(Method::Forward).unwrap();
    let rich = rep.get(Method::Richardson).unwrap();
    assert!(rich.max_rel_error < fwd.max_rel_error);
    assert!(rich.max_abs_error < 1e-11);

    // At 1e-9 the one-sided methods fail and the others pass.
    let rep = validate_gradient_accuracy(p.f, &p.x, &known, 1e-9).unwrap();
    assert!(!rep.get(Method::Forward).unwrap().passed);
    assert!(!rep.get(Method::Backward).unwrap().passed);
    assert!(rep.get(Method::Richardson).unwrap().passed);

    // A wrong reference fails everywhere.
    let mut wrong = known.clone();
    wrong[1] *= 1.01;
    let rep = validate_gradient_accuracy(p.f, &p.x, &wrong, 1e-5).unwrap();
    assert!(rep.methods.iter().all(|m| !m.passed));

    // Complex variant adds the complex step, which is the best.
    let rep = validate_gradient_accuracy_complex(p.fc, &p.x, &known, 1e-13).unwrap();
    assert_eq!(rep.methods.len(), 6);
    assert!(rep.get(Method::ComplexStep).unwrap().passed);
    assert!(rep.get(Method::ComplexStep).unwrap().max_rel_error < 1e-15);

    assert_eq!(
        validate_gradient_accuracy(p.f, &p.x, &known[..2], 1e-5).unwrap_err(),
        NumDiffError::KnownGradientLengthMismatch {
            expected: 3,
            got: 2
        }
    );
}

// ------------------------------------------------------------ robustness ----

#[test]
fn richardson_estimate_bounds_error_for_any_first_step() {
    // Whatever the (user-supplied) largest step, the returned error estimate
    // must bound the true error, even when the result itself is poor.
    type Case = (fn(&[f64]) -> f64, f64, f64);
    let cases: [Case; 3] = [
        (|x| x[0].sin(), 1.0, 1.0f64.cos()),
        (|x| (3.0 * x[0]).exp(), 0.5, 3.0 * 1.5f64.exp()),
        (|x| 1.0 / (1.0 + x[0] * x[0]), 0.7, -1.4 / (1.49 * 1.49)),
    ];
    for (f, x0, exact) in cases {
        for h0 in [1e-7, 1e-4, 1e-2, 0.3, 1.0, 3.0, 30.0] {
            let cfg = DiffConfig {
                step: Step::Uniform(h0),
                ..DiffConfig::default()
            };
            let d = richardson_gradient(f, &[x0], &cfg).unwrap();
            let err = (d.value[0] - exact).abs();
            assert!(
                err <= d.error[0].max(floor(exact)),
                "x0 {x0} h0 {h0}: err {err:e} > est {:e}",
                d.error[0]
            );
        }
    }
}

#[test]
fn hessian_of_quadratic_is_exact_enough() {
    // f = 0.5 x^T A x + b^T x with a known, non-diagonal A.
    let a = [[4.0, 1.0, -0.5], [1.0, 3.0, 0.25], [-0.5, 0.25, 2.0]];
    let f = |x: &[f64]| {
        let mut s = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                s += 0.5 * x[i] * a[i][j] * x[j];
            }
            s += (i as f64 + 1.0) * x[i];
        }
        s
    };
    let x = [0.3, -1.2, 2.5];
    for m in [Method::Central, Method::Richardson] {
        let h = hessian(f, &x, &DiffConfig::with_method(m)).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert!((h.get(i, j) - a[i][j]).abs() < 1e-6, "{m} ({i},{j})");
                assert!((h.get(i, j) - a[i][j]).abs() <= h.error_at(i, j).max(1e-15));
            }
        }
    }
    let fc = |z: &[Complex64]| {
        let mut s = Complex64::new(0.0, 0.0);
        for i in 0..3 {
            for j in 0..3 {
                s += z[i] * a[i][j] * z[j] * 0.5;
            }
            s += z[i] * (i as f64 + 1.0);
        }
        s
    };
    let h = complex_step_hessian(fc, &x, &DiffConfig::default()).unwrap();
    for i in 0..3 {
        for j in 0..3 {
            assert!((h.get(i, j) - a[i][j]).abs() < 1e-12, "({i},{j})");
        }
    }
}

// ------------------------------------------------------- XPCS-like model ----

/// A g1-like decay on a lag grid with parameters (D0, alpha, D_offset):
/// g(t) = exp(-q^2 (D0 t^(alpha+1) / (alpha+1) + D_offset t)).
fn decay<T: Scalar>(p: &[T], q2: f64, t: f64, pw: fn(T, f64, T) -> T) -> T {
    let a1 = p[1] + T::c(1.0);
    let integral = p[0] * pw(a1, t, T::c(0.0)) + p[2] * t;
    (integral * (-q2)).exp()
}

fn pw_real(a1: f64, t: f64, _: f64) -> f64 {
    t.powf(a1) / a1
}

fn pw_complex(a1: Complex64, t: f64, _: Complex64) -> Complex64 {
    // t^a1 / a1 with complex exponent: exp(a1 ln t) / a1 (analytic).
    (a1 * t.ln()).exp() / a1
}

const Q2: f64 = 0.0054 * 0.0054;

fn lags() -> Vec<f64> {
    (1..=40).map(|i| 0.05 * i as f64).collect()
}

fn model_real(p: &[f64]) -> Vec<f64> {
    lags().iter().map(|&t| decay(p, Q2, t, pw_real)).collect()
}

fn model_complex(p: &[Complex64]) -> Vec<Complex64> {
    lags()
        .iter()
        .map(|&t| decay(p, Q2, t, pw_complex))
        .collect()
}

fn model_jacobian(p: &[f64]) -> Vec<Vec<f64>> {
    let a1 = p[1] + 1.0;
    lags()
        .iter()
        .map(|&t| {
            let g = decay(p, Q2, t, pw_real);
            let ta = t.powf(a1);
            let d_d0 = -Q2 * ta / a1 * g;
            let d_alpha = -Q2 * p[0] * (ta * t.ln() / a1 - ta / (a1 * a1)) * g;
            let d_off = -Q2 * t * g;
            vec![d_d0, d_alpha, d_off]
        })
        .collect()
}

#[test]
fn xpcs_like_jacobian_and_loss() {
    let p = [1000.0, -1.2, 10.0];
    let exact = model_jacobian(&p);
    let cfg = DiffConfig::default();
    let j = richardson_jacobian(model_real, &p, &cfg).unwrap();
    assert_eq!((j.nrows, j.ncols), (40, 3));
    for (i, row) in exact.iter().enumerate() {
        for (k, &e) in row.iter().enumerate() {
            let got = j.get(i, k);
            assert!((got - e).abs() <= 1e-9 * e.abs(), "({i},{k}) {got} vs {e}");
            assert!((got - e).abs() <= j.error_at(i, k).max(floor(e)));
        }
    }

    // Complex-step gradient of a chi^2 loss against synthetic data.
    let data: Vec<f64> = model_real(&[900.0, -1.1, 12.0]);
    let loss_c = |z: &[Complex64]| {
        model_complex(z)
            .iter()
            .zip(&data)
            .map(|(m, d)| (m - d) * (m - d))
            .sum::<Complex64>()
    };
    let g = complex_step_gradient(loss_c, &p, &cfg).unwrap();
    let model = model_real(&p);
    for k in 0..3 {
        let exact_k: f64 = (0..40)
            .map(|i| 2.0 * (model[i] - data[i]) * exact[i][k])
            .sum();
        assert!(
            (g.value[k] - exact_k).abs() <= 1e-12 * exact_k.abs(),
            "{k}: {} vs {exact_k}",
            g.value[k]
        );
    }
    // Complex-step Jacobian agrees with the analytic one to ~ulps.
    let jc = homodyne_numdiff::complex_step_jacobian(model_complex, &p, &cfg).unwrap();
    for (i, row) in exact.iter().enumerate() {
        for (k, &e) in row.iter().enumerate() {
            assert!((jc.get(i, k) - e).abs() <= 1e-13 * e.abs(), "({i},{k})");
        }
    }
}
