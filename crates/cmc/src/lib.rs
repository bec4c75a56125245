//! Consensus Monte Carlo for homodyne: NUTS (nuts-rs) on data shards combined into one
//! posterior.
//!
//! The data's unordered time pairs are dealt to `K` shards ([`ShardPlan`]); each shard's
//! posterior carries `1/K` of the prior ([`posterior`]) and is sampled by NUTS in
//! whitened unconstrained coordinates ([`transform`]), warm-started from the NLSQ fit
//! (start point and scaling, never a prior). Shard draws are combined draw by draw with
//! full covariance (Scott et al. 2016, `homodyne_mcmc::combine`); `K = 1` is plain NUTS
//! on all the data, the exact posterior. Entry point: [`sample`].
#![deny(missing_docs)]

mod error;
pub mod posterior;
mod prior;
mod run;
mod sampler;
mod shard;
pub mod transform;

pub use error::CmcError;
pub use posterior::{DensityError, ShardPosterior, Target};
pub use prior::{LogPrior, table_name};
pub use run::{
    CmcObserver, CmcOptions, CmcResult, NoObserver, Problem, SampleStats, ShardResult, ShardStore,
    ShardSummary, Stage, StageOutput, WarmStart, build_target, covariance, sample, sample_stage,
};
pub use sampler::{ChainDraws, DrawEvent, NutsOptions, run_chain};
pub use shard::{MIN_POINTS_PER_PARAM, MIN_POINTS_PER_SHARD, ShardCount, ShardPlan};
