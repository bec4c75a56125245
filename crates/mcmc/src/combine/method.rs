//! Names of the combination rules and their string round trip.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How shard draws are combined into one posterior.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum CombineMethod {
    /// Scott et al. (2016) consensus Monte Carlo with full-covariance weights, draw by draw.
    ConsensusMc,
    /// Mahalanobis outlier filter on shard means, then [`CombineMethod::ConsensusMc`]
    /// (the default, as in the reference).
    #[default]
    RobustConsensusMc,
    /// Product of the shards' Gaussian moment fits (Neiswanger et al. 2014, parametric),
    /// sampled with synthetic draws.
    WeightedGaussian,
    /// Reference name kept for configuration compatibility; combined as
    /// [`CombineMethod::ConsensusMc`] (the caller should warn).
    SimpleAverage,
}

impl CombineMethod {
    /// Every method, in documentation order.
    pub const ALL: [CombineMethod; 4] = [
        CombineMethod::ConsensusMc,
        CombineMethod::RobustConsensusMc,
        CombineMethod::WeightedGaussian,
        CombineMethod::SimpleAverage,
    ];

    /// Configuration name (`consensus_mc`, `robust_consensus_mc`, `weighted_gaussian`,
    /// `simple_average`).
    pub fn name(self) -> &'static str {
        match self {
            CombineMethod::ConsensusMc => "consensus_mc",
            CombineMethod::RobustConsensusMc => "robust_consensus_mc",
            CombineMethod::WeightedGaussian => "weighted_gaussian",
            CombineMethod::SimpleAverage => "simple_average",
        }
    }

    /// The rule actually applied: `SimpleAverage` is combined as `ConsensusMc`.
    pub fn effective(self) -> CombineMethod {
        match self {
            CombineMethod::SimpleAverage => CombineMethod::ConsensusMc,
            other => other,
        }
    }
}

impl fmt::Display for CombineMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<CombineMethod> for &'static str {
    fn from(m: CombineMethod) -> Self {
        m.name()
    }
}

/// An unknown combination method name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown combination method {name:?}; expected one of consensus_mc, robust_consensus_mc, \
     weighted_gaussian, simple_average"
)]
pub struct ParseMethodError {
    /// The name that was given.
    pub name: String,
}

impl FromStr for CombineMethod {
    type Err = ParseMethodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CombineMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| ParseMethodError { name: s.to_owned() })
    }
}
