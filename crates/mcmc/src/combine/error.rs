//! Why a combination could not be produced.

use super::result::{DroppedShard, Heterogeneity};

/// Combination failure. Every variant names the shard or figure at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CombineError {
    /// No shard given and none failed.
    #[error("no shards to combine")]
    NoShards,
    /// A shard's (chain, draw, param) shape differs from shard 0's, or has a zero extent.
    #[error(
        "shard {shard}: draws shaped {found:?}, expected {expected:?} (chain, draw, param) with every extent > 0"
    )]
    ShapeMismatch {
        /// Offending shard index.
        shard: usize,
        /// Shape of shard 0.
        expected: [usize; 3],
        /// Shape of this shard.
        found: [usize; 3],
    },
    /// A shard holds NaN or infinite draws.
    #[error("shard {shard}: non-finite draw at (chain {chain}, draw {draw}, param {param})")]
    NonFinite {
        /// Offending shard index.
        shard: usize,
        /// Chain of the first non-finite value.
        chain: usize,
        /// Draw of the first non-finite value.
        draw: usize,
        /// Parameter of the first non-finite value.
        param: usize,
    },
    /// Malformed options or side inputs (lengths, ranges).
    #[error("invalid combination input: {0}")]
    InvalidInput(String),
    /// Too few shards left after failures and filters.
    #[error(
        "only {used} of {attempted} shards usable (success rate {rate:.3} < {min_rate}); {} dropped, {failed} failed",
        dropped.len()
    )]
    LowSuccessRate {
        /// Shards that would have been combined.
        used: usize,
        /// Shards given plus shards that failed.
        attempted: usize,
        /// Shards that failed before producing draws.
        failed: usize,
        /// `used / attempted`.
        rate: f64,
        /// The configured minimum.
        min_rate: f64,
        /// Shards dropped by the filters, with reasons.
        dropped: Vec<DroppedShard>,
    },
    /// Shard means disagree beyond `max_cv` for a checked parameter.
    #[error("shard means too heterogeneous: parameter {param} has CV {cv:.3} > {max_cv}")]
    Heterogeneous {
        /// First parameter with the largest excess.
        param: usize,
        /// Its coefficient of variation.
        cv: f64,
        /// The configured maximum.
        max_cv: f64,
        /// All CV figures.
        report: Heterogeneity,
    },
    /// The summed precision of the used shards is not positive definite (numerically).
    #[error("combined precision matrix is not positive definite: {0}")]
    CombinedPrecision(String),
}
