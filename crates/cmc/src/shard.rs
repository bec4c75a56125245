//! How the data are split: unordered time pairs (i < j), all angles of a pair together,
//! dealt to `K` shards after a seeded shuffle.
//!
//! Dealing whole pairs keeps every angle in every shard (the per-angle scaling stays
//! identified everywhere) and spreads each shard over the whole two-time map, so shard
//! posteriors are exchangeable. The plan depends only on (n_t, K, seed).

use std::sync::Arc;

use homodyne_model::TimePairs;
use nuts_rs::rand::RngExt;
use nuts_rs::rand::SeedableRng;
use nuts_rs::rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::CmcError;

/// How many shards: the configuration's `sharding` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShardCount {
    /// Chosen for the machine: the fewest shards that keep every thread busy
    /// (`ceil(threads / chains)`), each with enough points (see [`ShardCount::resolve`]).
    Auto,
    /// Exactly this many.
    Shards(usize),
    /// As many as needed for at most this many points per shard.
    MaxPointsPerShard(usize),
}

/// Fewest points a shard may have in `auto` (the reference's `min_points_per_shard`).
pub const MIN_POINTS_PER_SHARD: usize = 10_000;
/// Fewest points per sampled parameter in `auto` (the reference's `min_points_per_param`).
pub const MIN_POINTS_PER_PARAM: usize = 1_500;

impl ShardCount {
    /// The number of shards for `n_points` points (`n_pairs` pairs), `n_params` sampled
    /// parameters, `chains` chains per shard on `threads` threads.
    ///
    /// `Auto`: CMC saves no work (each shard repeats warm-up and draws on 1/K of the data),
    /// it only spreads it; so K = 1 (NUTS on all the data, the exact posterior) unless the
    /// chains alone cannot fill the threads, then the fewest shards that do, as long as
    /// each keeps `MIN_POINTS_PER_SHARD` points and `MIN_POINTS_PER_PARAM` per parameter.
    pub fn resolve(
        self,
        n_points: usize,
        n_pairs: usize,
        n_params: usize,
        chains: usize,
        threads: usize,
    ) -> Result<usize, CmcError> {
        let k = match self {
            ShardCount::Auto => {
                let wanted = threads.max(1).div_ceil(chains.max(1));
                let min_points = MIN_POINTS_PER_SHARD.max(MIN_POINTS_PER_PARAM * n_params);
                wanted.min((n_points / min_points).max(1))
            }
            ShardCount::Shards(k) => k,
            ShardCount::MaxPointsPerShard(m) => {
                if m == 0 {
                    return Err(CmcError::Setting {
                        key: "optimization.cmc.sharding.max_points_per_shard".into(),
                        value: "0".into(),
                        expected: "a positive number of points or \"auto\"".into(),
                    });
                }
                n_points.div_ceil(m).max(1)
            }
        };
        if k == 0 {
            return Err(CmcError::Setting {
                key: "optimization.cmc.sharding.num_shards".into(),
                value: "0".into(),
                expected: "at least 1 shard, or \"auto\"".into(),
            });
        }
        if k > n_pairs {
            return Err(CmcError::Setting {
                key: "optimization.cmc.sharding.num_shards".into(),
                value: k.to_string(),
                expected: format!("at most {n_pairs} shards: the data have {n_pairs} time pairs"),
            });
        }
        Ok(k)
    }
}

/// The pairs of each shard.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardPlan {
    /// Times on the grid.
    pub n_t: usize,
    /// Seed of the shuffle.
    pub seed: u64,
    /// One pair list per shard (canonical order inside).
    pub shards: Vec<Arc<TimePairs>>,
}

impl ShardPlan {
    /// Deal the pairs `i < j < n_t` to `k` shards after a ChaCha8 shuffle seeded `seed`.
    /// `k = 1` keeps every pair in one shard (no shuffle needed).
    pub fn new(n_t: usize, k: usize, seed: u64) -> Result<Self, CmcError> {
        let all = TimePairs::all(n_t);
        if k == 0 || k > all.len().max(1) {
            return Err(CmcError::Setting {
                key: "optimization.cmc.sharding.num_shards".into(),
                value: k.to_string(),
                expected: format!("between 1 and {} (the number of time pairs)", all.len()),
            });
        }
        if k == 1 {
            return Ok(ShardPlan {
                n_t,
                seed,
                shards: vec![Arc::new(all)],
            });
        }
        let mut order: Vec<u32> = (0..all.len() as u32).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5348_4152_4453_u64);
        for i in (1..order.len()).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        let mut lists: Vec<Vec<(usize, usize)>> = vec![Vec::new(); k];
        for (p, &idx) in order.iter().enumerate() {
            lists[p % k].push(all.get(idx as usize));
        }
        let shards = lists
            .into_iter()
            .map(|l| TimePairs::new(n_t, l).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ShardPlan { n_t, seed, shards })
    }

    /// Number of shards.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// Whether there are no shards (never, for a plan from [`ShardPlan::new`]).
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// The seed of shard `s`'s chains: distinct per shard, fixed by the run's seed.
    pub fn chain_seed(&self, s: usize) -> u64 {
        // SplitMix64 of (seed, shard): well-spread, cheap, stable.
        let mut z = self
            .seed
            .wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(s as u64 + 1));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_every_pair_once_and_is_seeded() {
        let plan = ShardPlan::new(40, 7, 42).unwrap();
        let mut all: Vec<(usize, usize)> = plan.shards.iter().flat_map(|s| s.iter()).collect();
        all.sort_unstable();
        let expected: Vec<_> = TimePairs::all(40).iter().collect();
        assert_eq!(all, expected);
        let sizes: Vec<usize> = plan.shards.iter().map(|s| s.len()).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        assert_eq!(plan, ShardPlan::new(40, 7, 42).unwrap());
        assert_ne!(plan, ShardPlan::new(40, 7, 43).unwrap());
        assert_ne!(plan.chain_seed(0), plan.chain_seed(1));
    }

    #[test]
    fn shard_count_rules() {
        assert_eq!(
            ShardCount::Auto
                .resolve(1_000_000, 500_000, 9, 4, 2)
                .unwrap(),
            1
        );
        assert_eq!(
            ShardCount::Auto
                .resolve(1_000_000, 500_000, 9, 4, 16)
                .unwrap(),
            4
        );
        assert_eq!(
            ShardCount::Auto.resolve(20_000, 10_000, 9, 4, 16).unwrap(),
            1
        );
        assert_eq!(
            ShardCount::Shards(10).resolve(100, 50, 3, 4, 2).unwrap(),
            10
        );
        assert_eq!(
            ShardCount::MaxPointsPerShard(30)
                .resolve(100, 50, 3, 4, 2)
                .unwrap(),
            4
        );
        let e = ShardCount::Shards(60)
            .resolve(100, 50, 3, 4, 2)
            .unwrap_err();
        assert!(e.to_string().contains("50 time pairs"), "{e}");
        assert!(ShardCount::Shards(0).resolve(100, 50, 3, 4, 2).is_err());
    }
}
