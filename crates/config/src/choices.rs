//! Choice keys: configuration keys that take one of a fixed set of names.
//!
//! Each key is owned by one enum, in the model crate (analysis mode, per-angle mode, prior
//! type) or here (CMC and loader choices). Validation parses the value with that enum's
//! `FromStr` ([`check_choice`]), the same parse a run uses, so `homodyne-config --validate`
//! accepts exactly what a run accepts; there is no separate list of names to drift. Each
//! enum's `ACCEPTED` const lists the spellings its parser takes (tests check the two
//! agree), and [`choice_keys`] pairs every key with them.
//!
//! Choices owned by crates the configuration cannot see are not checked here: the fitting
//! crate's `optimization.nlsq.loss`, `optimization.nlsq.strategy` and
//! `performance.strategy_override`, and the quality crate's enums under
//! `quality_control` / `preprocessing` (`validation_level`, `auto_repair`,
//! `nan_repair_method`, stage `method`s, `estimator`). The `homodyne` facade's check
//! validates those by the very parse the run uses.

use homodyne_model::params::{AnalysisMode, PriorKind};
use homodyne_model::scaling::PerAngleMode;
use std::str::FromStr;

/// Declare a choice enum: variants with their canonical name and aliases, `ALL`,
/// `ACCEPTED` (every spelling), `as_str`, case-insensitive `FromStr`, `Display` and serde
/// as the canonical string. One declaration, so the parser and the list cannot differ.
macro_rules! choice_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident {
            $( $(#[$vm:meta])* $var:ident = $canon:literal $(| $alias:literal)* ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( $(#[$vm])* $var ),* }

        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[ $( $name::$var ),* ];
            /// Every spelling `from_str` accepts (case-insensitive).
            pub const ACCEPTED: &'static [&'static str] = &[ $( $canon $(, $alias)* ),* ];
            /// Canonical name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$var => $canon ),* }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($canon) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$var);
                    }
                )*
                Err(format!(
                    "invalid value \"{s}\"; expected one of {}",
                    Self::ACCEPTED.join(", ")
                ))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

choice_enum! {
    /// `optimization.method` (the CLI's `--method` wins).
    pub enum Method {
        /// Nonlinear least squares.
        Nlsq = "nlsq",
        /// Consensus Monte Carlo.
        Cmc = "cmc",
        /// NLSQ then CMC.
        Both = "both",
        /// Legacy name of CMC.
        Mcmc = "mcmc",
    }
}

choice_enum! {
    /// `data_filtering.combine_criteria`.
    pub enum CombineCriteria {
        /// Keep an index that passes every filter.
        And = "AND",
        /// Keep an index that passes any filter.
        Or = "OR",
    }
}

choice_enum! {
    /// `optimization.cmc.per_angle_mode` (NLSQ's `fourier` is not a CMC choice and is
    /// rejected).
    pub enum CmcPerAngleMode {
        /// Averaged when n_phi >= threshold, else individual.
        Auto = "auto",
        /// Fixed per-angle quantile values.
        Constant = "constant",
        /// Fixed averaged quantile scaling.
        ConstantAveraged = "constant_averaged",
        /// Per-angle sampled contrast and offset.
        Individual = "individual",
    }
}

choice_enum! {
    /// `optimization.cmc.sharding.strategy`.
    pub enum ShardingStrategy {
        /// Shards keep the angle proportions.
        Stratified = "stratified",
        /// Random assignment.
        Random = "random",
        /// Contiguous blocks.
        Contiguous = "contiguous",
    }
}

choice_enum! {
    /// `optimization.cmc.backend_config.name` and `optimization.cmc.backend.name`.
    pub enum CmcBackendName {
        /// Chosen by the program.
        Auto = "auto",
        /// JAX pjit.
        Pjit = "pjit",
        /// Local processes.
        Multiprocessing = "multiprocessing",
        /// PBS cluster.
        Pbs = "pbs",
        /// Slurm cluster.
        Slurm = "slurm",
        /// Legacy name of multiprocessing.
        Jax = "jax",
    }
}

choice_enum! {
    /// `optimization.cmc.backend` written as a string (legacy `jax`/`numpy`, or a
    /// backend name).
    pub enum CmcBackendString {
        /// Legacy computational backend label.
        Jax = "jax",
        /// Legacy computational backend label.
        Numpy = "numpy",
        /// See [`CmcBackendName`].
        Auto = "auto",
        /// See [`CmcBackendName`].
        Pjit = "pjit",
        /// See [`CmcBackendName`].
        Multiprocessing = "multiprocessing",
        /// See [`CmcBackendName`].
        Pbs = "pbs",
        /// See [`CmcBackendName`].
        Slurm = "slurm",
    }
}

choice_enum! {
    /// `optimization.cmc.combination.method`.
    pub enum CombinationMethod {
        /// Consensus Monte Carlo.
        ConsensusMc = "consensus_mc",
        /// Robust consensus Monte Carlo.
        RobustConsensusMc = "robust_consensus_mc",
        /// Precision-weighted Gaussian product.
        WeightedGaussian = "weighted_gaussian",
        /// Plain average.
        SimpleAverage = "simple_average",
        /// Chosen by the program.
        Auto = "auto",
    }
}

choice_enum! {
    /// `optimization.cmc.per_shard_mcmc.chain_method`.
    pub enum ChainMethod {
        /// Chains in parallel.
        Parallel = "parallel",
        /// One chain after the other.
        Sequential = "sequential",
        /// Vectorised chains.
        Vectorized = "vectorized",
    }
}

/// Key path of the prior type of every `parameter_space.bounds` entry.
const PRIOR_TYPE_KEY: &str = "parameter_space.bounds[*].type";

/// Every choice key the configuration validates, with the spellings its owning enum
/// accepts. Keys are dotted paths; `[*]` stands for any list index.
pub fn choice_keys() -> &'static [(&'static str, &'static [&'static str])] {
    const KEYS: &[(&str, &[&str])] = &[
        ("analysis_mode", AnalysisMode::ACCEPTED),
        ("optimization.method", Method::ACCEPTED),
        (
            "optimization.nlsq.anti_degeneracy.per_angle_mode",
            PerAngleMode::ACCEPTED,
        ),
        ("optimization.cmc.per_angle_mode", CmcPerAngleMode::ACCEPTED),
        (
            "optimization.cmc.sharding.strategy",
            ShardingStrategy::ACCEPTED,
        ),
        ("optimization.cmc.backend", CmcBackendString::ACCEPTED),
        ("optimization.cmc.backend.name", CmcBackendName::ACCEPTED),
        (
            "optimization.cmc.backend_config.name",
            CmcBackendName::ACCEPTED,
        ),
        (
            "optimization.cmc.combination.method",
            CombinationMethod::ACCEPTED,
        ),
        (
            "optimization.cmc.per_shard_mcmc.chain_method",
            ChainMethod::ACCEPTED,
        ),
        ("data_filtering.combine_criteria", CombineCriteria::ACCEPTED),
        (PRIOR_TYPE_KEY, PriorKind::ACCEPTED),
    ];
    KEYS
}

fn parse<T: FromStr<Err = String>>(value: &str) -> Result<(), String> {
    value.parse::<T>().map(drop)
}

/// Parse `value` for choice key `key` (a key of [`choice_keys`]; an index in place of
/// `[*]` is fine) with the key's owning enum. `Err` carries the parser's message; a key
/// that is not a choice key is an `Err` too.
pub fn check_choice(key: &str, value: &str) -> Result<(), String> {
    let key = generic_key(key);
    match key.as_str() {
        "analysis_mode" => parse::<AnalysisMode>(value),
        "optimization.method" => parse::<Method>(value),
        "optimization.nlsq.anti_degeneracy.per_angle_mode" => parse::<PerAngleMode>(value),
        "optimization.cmc.per_angle_mode" => parse::<CmcPerAngleMode>(value),
        "optimization.cmc.sharding.strategy" => parse::<ShardingStrategy>(value),
        "optimization.cmc.backend" => parse::<CmcBackendString>(value),
        "optimization.cmc.backend.name" | "optimization.cmc.backend_config.name" => {
            parse::<CmcBackendName>(value)
        }
        "optimization.cmc.combination.method" => parse::<CombinationMethod>(value),
        "optimization.cmc.per_shard_mcmc.chain_method" => parse::<ChainMethod>(value),
        "data_filtering.combine_criteria" => parse::<CombineCriteria>(value),
        PRIOR_TYPE_KEY => parse::<PriorKind>(value),
        _ => Err(format!("\"{key}\" is not a choice key")),
    }
}

/// `a.b[3].c` → `a.b[*].c`.
fn generic_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut in_index = false;
    for ch in key.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|&v| name(v)).collect()
    }

    #[test]
    fn every_accepted_value_passes_and_nothing_else() {
        for (key, values) in choice_keys() {
            for v in *values {
                assert_eq!(check_choice(key, v), Ok(()), "{key} = {v}");
            }
            assert!(check_choice(key, "no_such_choice").is_err(), "{key}");
        }
        assert!(check_choice("parameter_space.bounds[4].type", "Normal").is_ok());
        assert!(check_choice("optimization.nlsq.loss", "linear").is_err());
    }

    #[test]
    fn canonical_names_are_accepted() {
        for (all, accepted) in [
            (
                canonical_names(Method::ALL, Method::as_str),
                Method::ACCEPTED,
            ),
            (
                canonical_names(CmcPerAngleMode::ALL, CmcPerAngleMode::as_str),
                CmcPerAngleMode::ACCEPTED,
            ),
            (
                canonical_names(CmcBackendString::ALL, CmcBackendString::as_str),
                CmcBackendString::ACCEPTED,
            ),
        ] {
            for n in all {
                assert!(accepted.contains(&n));
            }
        }
        assert_eq!("or".parse(), Ok(CombineCriteria::Or));
        assert!("numpy".parse::<CmcBackendName>().is_err());
        assert!("fourier".parse::<CmcPerAngleMode>().is_err());
    }

    #[test]
    fn generic_keys() {
        assert_eq!(generic_key("a.b[12].c"), "a.b[*].c");
        assert_eq!(generic_key("a.b"), "a.b");
    }
}
