//! Errors of a CMC run.

use thiserror::Error;

/// Why a CMC run could not produce a posterior.
#[derive(Debug, Error)]
pub enum CmcError {
    /// A setting is out of range (names the key and what was expected).
    #[error("CMC setting {key} = {value}: {expected}")]
    Setting {
        /// The configuration key or flag.
        key: String,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// A prior or bound cannot define a density.
    #[error("prior of {name}: {reason}")]
    Prior {
        /// Parameter name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The data cannot be used (shape, non-finite values, too few points).
    #[error("CMC data: {0}")]
    Data(String),
    /// The warm start does not fit this problem.
    #[error("CMC warm start: {0}")]
    WarmStart(String),
    /// The model failed in a way that is not a divergence.
    #[error(transparent)]
    Model(#[from] homodyne_model::ModelError),
    /// NUTS could not start or failed.
    #[error("NUTS on shard {shard}, chain {chain}: {reason}")]
    Sampler {
        /// Shard index.
        shard: usize,
        /// Chain index.
        chain: usize,
        /// What failed.
        reason: String,
    },
    /// Combining the shards failed (too few usable shards, heterogeneity).
    #[error("combining shards: {0}")]
    Combine(String),
    /// Shards of the plan have no results in the store.
    #[error(
        "shards {missing:?} of {total} have no results (run them, or combine with --allow-missing \
         to treat them as failed)"
    )]
    MissingShards {
        /// The missing shard indices.
        missing: Vec<usize>,
        /// Shards in the plan.
        total: usize,
    },
    /// The run was interrupted (finished shards are kept).
    #[error("interrupted after {done} of {total} shards")]
    Interrupted {
        /// Shards finished.
        done: usize,
        /// Shards planned.
        total: usize,
    },
}
