//! MCMC post-processing: convergence diagnostics and consensus combination of shard draws.
//!
//! Pure numerics, "draws in, statistics out":
//! * [`diagnostics`]: rank-normalised split R-hat, bulk/tail ESS, MCSE and E-BFMI
//!   (Vehtari et al. 2021), computed exactly as arviz-stats 1.3 does;
//! * [`combine`](mod@combine): Consensus Monte Carlo combination of per-shard draws (Scott et al. 2016,
//!   full covariance), its robust variant and the Gaussian product (Neiswanger et al. 2014),
//!   with the reference's shard filters (divergences, success rate, heterogeneity).
//!
//! Undefined statistics are `f64::NAN` (serialised by serde_json as `null`); nothing here
//! panics on bad draws.
#![deny(missing_docs)]

pub mod combine;
pub mod diagnostics;

pub use combine::{
    CombineError, CombineMethod, CombineOptions, Combined, DropReason, DroppedShard, Heterogeneity,
    HeterogeneityOptions, ParseMethodError, ShardInput, combine, consensus_mc, robust_consensus_mc,
    weighted_gaussian,
};
pub use diagnostics::{
    DEFAULT_TAIL_PROBS, MIN_DRAWS, Summary, ebfmi, ess_bulk, ess_mean, ess_tail, mcse_mean,
    mcse_sd, quantile, rhat, rhat_rank, summarize,
};
