//! Edge cases of the diagnostics (ArviZ conventions) and their cost on long chains.

use std::time::Instant;

use homodyne_mcmc::{
    DEFAULT_TAIL_PROBS, ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, quantile, rhat,
    rhat_rank, summarize,
};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn ar1(chains: usize, draws: usize, phi: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Array2::zeros((chains, draws));
    for c in 0..chains {
        let mut x = 0.0;
        for d in 0..draws {
            let e: f64 = StandardNormal.sample(&mut rng);
            x = phi * x + e;
            out[[c, d]] = x;
        }
    }
    out
}

#[test]
fn constant_draws_count_as_independent_and_rhat_is_undefined() {
    for draws in [100, 101] {
        let a = Array2::from_elem((4, draws), 2.5);
        // After splitting: 4 chains x 2 halves x floor(draws / 2).
        let n = (4 * 2 * (draws / 2)) as f64;
        assert_eq!(ess_bulk(a.view()), n);
        assert_eq!(ess_tail(a.view(), DEFAULT_TAIL_PROBS), n);
        assert_eq!(ess_mean(a.view()), n);
        assert!(rhat_rank(a.view()).is_nan());
        assert!(rhat(a.view()).is_nan());
        assert_eq!(mcse_mean(a.view()), 0.0);
        assert!(mcse_sd(a.view()).is_nan());
        let s = summarize(a.view());
        assert_eq!((s.mean, s.sd, s.q50), (2.5, 0.0, 2.5));
        // NaN is written as null.
        let json = serde_json::to_value(s).unwrap();
        assert!(json["rhat"].is_null());
        assert_eq!(json["ess_bulk"].as_f64(), Some(n));
    }
}

#[test]
fn too_few_draws_non_finite_and_empty_give_nan_without_panicking() {
    let short = ar1(4, 3, 0.0, 1);
    let mut with_nan = ar1(4, 50, 0.0, 2);
    with_nan[[2, 10]] = f64::NAN;
    let mut with_inf = ar1(4, 50, 0.0, 3);
    with_inf[[0, 0]] = f64::INFINITY;
    let empty = Array2::<f64>::zeros((0, 0));
    let no_draws = Array2::<f64>::zeros((4, 0));
    for a in [&short, &with_nan, &with_inf, &empty, &no_draws] {
        for v in [
            rhat_rank(a.view()),
            rhat(a.view()),
            ess_bulk(a.view()),
            ess_tail(a.view(), DEFAULT_TAIL_PROBS),
            ess_mean(a.view()),
            mcse_mean(a.view()),
            mcse_sd(a.view()),
        ] {
            assert!(v.is_nan(), "{:?} gave {v}", a.dim());
        }
    }
    for a in [&with_nan, &with_inf, &empty] {
        let s = summarize(a.view());
        assert!(s.mean.is_nan() && s.q05.is_nan() && s.ess_bulk.is_nan());
        assert!(quantile(a.view(), 0.5).is_nan());
    }
    // Four draws per chain is enough.
    assert!(ess_bulk(ar1(4, 4, 0.0, 4).view()).is_finite());
}

#[test]
fn one_chain_has_ess_but_no_rhat() {
    let a = ar1(1, 500, 0.5, 5);
    assert!(rhat_rank(a.view()).is_nan());
    assert!(ess_bulk(a.view()) > 50.0);
}

#[test]
fn rhat_flags_a_shifted_chain() {
    let mut a = ar1(4, 1000, 0.3, 6);
    assert!(rhat_rank(a.view()) < 1.01);
    a.row_mut(3).mapv_inplace(|v| v + 3.0);
    assert!(rhat_rank(a.view()) > 1.1);
    assert!(rhat(a.view()) > 1.1);
}

#[test]
fn long_slowly_mixing_chains_are_fast() {
    // A random walk never satisfies Geyer's stopping rule early, so every lag is needed:
    // this exercises the FFT path. AR(0.999) is a realistic badly mixing sampler.
    let walk = ar1(4, 20_000, 1.0, 7);
    let slow = ar1(4, 20_000, 0.999, 8);
    let start = Instant::now();
    let s1 = summarize(walk.view());
    let s2 = summarize(slow.view());
    let elapsed = start.elapsed().as_secs_f64();
    assert!(s1.ess_bulk.is_finite() && s1.ess_bulk < 200.0, "{s1:?}");
    assert!(s2.ess_bulk.is_finite() && s2.ess_bulk < 2000.0, "{s2:?}");
    eprintln!("summaries of 2 x (4 x 20000): {elapsed:.3} s");
    // Generous for a loaded 2-core CI machine.
    assert!(
        elapsed < 2.0,
        "two summaries of 4 x 20000 took {elapsed:.2} s (limit 1 s each)"
    );
}
