//! Shard filters, input errors and method names of the combination.

mod common;

use common::*;
use homodyne_mcmc::{
    CombineError, CombineMethod, CombineOptions, DropReason, HeterogeneityOptions, ShardInput,
    combine, consensus_mc, robust_consensus_mc,
};
use ndarray::{Array1, Array3};

const CHAINS: usize = 4;
const DRAWS: usize = 2000;

fn shards(k: usize, seed: u64) -> (Subposteriors, Vec<Array3<f64>>) {
    let sub = subposteriors(k, seed);
    let draws = shard_draws(&sub, CHAINS, DRAWS, seed * 100);
    (sub, draws)
}

fn inputs(draws: &[Array3<f64>]) -> Vec<ShardInput<'_>> {
    draws.iter().map(|d| ShardInput::new(d.view(), 0)).collect()
}

#[test]
fn robust_consensus_drops_only_the_planted_outlier() {
    let (sub, mut draws) = shards(10, 21);
    // Shard 10: a typical shard's covariance, mean 8 of its sds away along parameter 2.
    let mut far = sub.means[4].clone();
    far[2] += 8.0 * sub.covs[4][[2, 2]].sqrt();
    draws.push(draw(&far, &sub.covs[4], CHAINS, DRAWS, 77));
    let shards = inputs(&draws);

    let robust = robust_consensus_mc(&shards, 0, &CombineOptions::default()).unwrap();
    assert_eq!(robust.used, (0..10).collect::<Vec<_>>());
    assert_eq!(robust.dropped.len(), 1);
    assert_eq!(robust.dropped[0].shard, 10);
    let DropReason::Outlier { distance, robust_z } = robust.dropped[0].reason else {
        panic!("wrong reason {:?}", robust.dropped[0].reason);
    };
    assert!(
        robust_z > 3.5 && distance > 5.0,
        "z {robust_z}, d {distance}"
    );
    assert!((robust.success_rate - 10.0 / 11.0).abs() < 1e-15);

    // Without the outlier the robust rule keeps every shard and equals plain consensus.
    let clean = robust_consensus_mc(&shards[..10], 0, &CombineOptions::default()).unwrap();
    assert!(clean.dropped.is_empty());
    let plain10 = consensus_mc(&shards[..10], 0, &CombineOptions::default()).unwrap();
    assert_eq!(clean.draws, plain10.draws);
    assert_eq!(robust.draws, plain10.draws);

    // Plain consensus keeps the outlier, and its mean moves.
    let lenient = CombineOptions {
        heterogeneity: HeterogeneityOptions {
            abort: false,
            ..HeterogeneityOptions::default()
        },
        ..CombineOptions::default()
    };
    let plain = consensus_mc(&shards, 0, &lenient).unwrap();
    assert_eq!(plain.used.len(), 11);
    assert!(plain.mean[2] - robust.mean[2] > 0.2 * robust.cov[[2, 2]].sqrt());
}

#[test]
fn divergent_shards_are_dropped_above_ten_percent() {
    let (_, draws) = shards(10, 22);
    let mut shards = inputs(&draws);
    let total = CHAINS * DRAWS;
    shards[3].divergent = total * 15 / 100;
    shards[6].divergent = total / 10; // exactly 10 %: kept
    let out = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap();
    assert_eq!(out.used, vec![0, 1, 2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(out.dropped.len(), 1);
    assert_eq!(out.dropped[0].shard, 3);
    assert_eq!(
        out.dropped[0].reason,
        DropReason::Divergent {
            divergent: total * 15 / 100,
            rate: 0.15
        }
    );
    assert!((out.success_rate - 0.9).abs() < 1e-15);

    // A second divergent shard takes the success rate to 0.8 < 0.9.
    shards[8].divergent = total / 2;
    let err = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap_err();
    let CombineError::LowSuccessRate {
        used,
        attempted,
        dropped,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((used, attempted), (8, 10));
    assert_eq!(
        dropped.iter().map(|d| d.shard).collect::<Vec<_>>(),
        vec![3, 8]
    );
}

#[test]
fn success_rate_counts_failed_shards() {
    let (_, draws) = shards(10, 23);
    let shards = inputs(&draws);
    let err = consensus_mc(&shards[..8], 2, &CombineOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        CombineError::LowSuccessRate {
            used: 8,
            attempted: 10,
            failed: 2,
            ..
        }
    ));
    assert!(err.to_string().contains("8 of 10"), "{err}");
    let ok = consensus_mc(&shards[..9], 1, &CombineOptions::default()).unwrap();
    assert_eq!((ok.used.len(), ok.failed), (9, 1));
    // Every shard failed.
    assert!(matches!(
        consensus_mc(&[], 3, &CombineOptions::default()),
        Err(CombineError::LowSuccessRate {
            used: 0,
            attempted: 3,
            ..
        })
    ));
    assert_eq!(
        consensus_mc(&[], 0, &CombineOptions::default()).unwrap_err(),
        CombineError::NoShards
    );
}

#[test]
fn one_shard_is_returned_unchanged() {
    let (_, draws) = shards(1, 24);
    for method in [CombineMethod::ConsensusMc, CombineMethod::RobustConsensusMc] {
        let out = combine(&inputs(&draws), 0, method, &CombineOptions::default()).unwrap();
        assert!(
            out.draws
                .iter()
                .zip(&draws[0])
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert_eq!(out.used, vec![0]);
        let (mean, cov) = sample_moments(&draws[0]);
        for j in 0..3 {
            assert!((out.mean[j] - mean[j]).abs() < 1e-12);
            assert!((out.cov[[j, j]] - cov[[j, j]]).abs() < 1e-12);
        }
    }
}

#[test]
fn bad_inputs_are_errors_naming_the_shard() {
    let (_, mut draws) = shards(4, 25);
    draws[2] = Array3::zeros((CHAINS, DRAWS - 1, 3));
    let err = consensus_mc(&inputs(&draws), 0, &CombineOptions::default()).unwrap_err();
    assert_eq!(
        err,
        CombineError::ShapeMismatch {
            shard: 2,
            expected: [CHAINS, DRAWS, 3],
            found: [CHAINS, DRAWS - 1, 3]
        }
    );
    assert!(err.to_string().contains("shard 2"));

    let (_, mut draws) = shards(4, 26);
    draws[3][[1, 17, 2]] = f64::NAN;
    let err = consensus_mc(&inputs(&draws), 0, &CombineOptions::default()).unwrap_err();
    assert_eq!(
        err,
        CombineError::NonFinite {
            shard: 3,
            chain: 1,
            draw: 17,
            param: 2
        }
    );
    assert!(err.to_string().starts_with("shard 3:"), "{err}");

    let zero = Array3::<f64>::zeros((CHAINS, DRAWS, 0));
    assert!(matches!(
        consensus_mc(
            &[ShardInput::new(zero.view(), 0)],
            0,
            &CombineOptions::default()
        ),
        Err(CombineError::ShapeMismatch { shard: 0, .. })
    ));
}

#[test]
fn singular_shard_covariance_is_dropped_with_a_reason() {
    let (_, mut draws) = shards(10, 27);
    // Parameter 1 stuck at one value in shard 5.
    for c in 0..CHAINS {
        for g in 0..DRAWS {
            draws[5][[c, g, 1]] = -2.0;
        }
    }
    let out = consensus_mc(&inputs(&draws), 0, &CombineOptions::default()).unwrap();
    assert_eq!(out.dropped.len(), 1);
    assert_eq!(out.dropped[0].shard, 5);
    assert!(matches!(
        out.dropped[0].reason,
        DropReason::SingularCovariance { .. }
    ));
}

#[test]
fn heterogeneity_is_reported_and_can_abort() {
    let (_, draws) = shards(4, 28);
    // Physical means: parameter 0 agrees (CV 0.1), parameter 1 does not (CV > 1).
    let means = [[1.0, 0.5], [1.1, -1.0], [0.9, 2.0], [1.0, -1.0]];
    let mut shards = inputs(&draws);
    for (s, m) in shards.iter_mut().zip(&means) {
        s.heterogeneity_means = Some(m);
    }
    let cv1 = {
        let v = Array1::from(means.iter().map(|m| m[1]).collect::<Vec<_>>());
        let mean = v.mean().unwrap();
        v.std(0.0) / mean.abs()
    };
    let err = consensus_mc(&shards, 0, &CombineOptions::default()).unwrap_err();
    let CombineError::Heterogeneous {
        param, cv, report, ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(param, 1);
    assert!((cv - cv1).abs() < 1e-12);
    assert!(
        (report.cv[0] - (0.005f64).sqrt()).abs() < 1e-12,
        "{:?}",
        report.cv
    );
    assert_eq!(report.warned, vec![1]);
    assert!(report.from_supplied_means);

    // Only parameter 0 checked: no abort, both CVs still reported.
    let opts = CombineOptions {
        heterogeneity: HeterogeneityOptions {
            checked: Some(vec![0]),
            ..HeterogeneityOptions::default()
        },
        ..CombineOptions::default()
    };
    let out = consensus_mc(&shards, 0, &opts).unwrap();
    assert!(out.heterogeneity.exceeded.is_empty());
    assert!((out.heterogeneity.cv[1] - cv1).abs() < 1e-12);

    // A floor larger than |mean| tames the CV, as the reference's 0.01 (hi - lo).
    let opts = CombineOptions {
        heterogeneity: HeterogeneityOptions {
            floor: Some(vec![0.0, 10.0]),
            ..HeterogeneityOptions::default()
        },
        ..CombineOptions::default()
    };
    let out = consensus_mc(&shards, 0, &opts).unwrap();
    assert!(out.heterogeneity.cv[1] < 0.2);

    // Means for some shards only, or a wrong-length floor: input errors.
    let mut partial = inputs(&draws);
    partial[0].heterogeneity_means = Some(&means[0]);
    assert!(matches!(
        consensus_mc(&partial, 0, &CombineOptions::default()),
        Err(CombineError::InvalidInput(_))
    ));
    let bad_floor = CombineOptions {
        heterogeneity: HeterogeneityOptions {
            floor: Some(vec![1.0]),
            ..HeterogeneityOptions::default()
        },
        ..CombineOptions::default()
    };
    assert!(matches!(
        consensus_mc(&shards, 0, &bad_floor),
        Err(CombineError::InvalidInput(_))
    ));
}

#[test]
fn method_names_round_trip() {
    for m in CombineMethod::ALL {
        assert_eq!(m.name().parse::<CombineMethod>().unwrap(), m);
        assert_eq!(m.to_string(), m.name());
        assert_eq!(serde_json::to_value(m).unwrap(), m.name());
    }
    assert_eq!(CombineMethod::default(), CombineMethod::RobustConsensusMc);
    assert_eq!(
        CombineMethod::SimpleAverage.effective(),
        CombineMethod::ConsensusMc
    );
    let err = "median_posterior".parse::<CombineMethod>().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("\"median_posterior\"") && msg.contains("robust_consensus_mc"),
        "{msg}"
    );
    assert!("Consensus_MC".parse::<CombineMethod>().is_err());
}

/// Consistent shards (no outlier) are seldom dropped: the robust z of ~10 distances is
/// noisy, and the chi^2 condition on each shard's own distance guards against that.
#[test]
fn consistent_shards_are_rarely_dropped_as_outliers() {
    let runs = 40;
    let mut runs_with_drops = 0;
    for seed in 100..100 + runs {
        let sub = subposteriors(10, seed);
        let draws = shard_draws(&sub, 4, 500, seed * 100);
        let out = robust_consensus_mc(&inputs(&draws), 0, &CombineOptions::default()).unwrap();
        runs_with_drops += usize::from(!out.dropped.is_empty());
    }
    // About 1 % of runs measured (10 % with the robust z alone).
    assert!(
        runs_with_drops <= 2,
        "{runs_with_drops} of {runs} runs dropped a consistent shard"
    );
}
