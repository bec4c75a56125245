//! Typed configuration sections (spec 06 §6.2), one file per area.
//!
//! Every struct is `#[serde(default)]`: a missing key takes the default listed in
//! 06_config.md (the laminar template's value, or the code default where the spec gives
//! one, e.g. CMC 04 §4.2). The `section!` macro declares a struct together with its
//! `Default` so each default sits next to its field.

/// Declare a config section struct with per-field defaults.
macro_rules! section {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* pub $f:ident : $t:ty = $d:expr ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $name { $( $(#[$fm])* pub $f: $t ),* }
        impl Default for $name {
            fn default() -> Self {
                Self { $( $f: $d ),* }
            }
        }
    };
}

mod analyzer;
mod auto;
mod cmc;
mod data;
mod misc;
mod mode;
mod nlsq;
mod optimization;
mod parameters;

pub use analyzer::*;
pub use auto::AutoOr;
pub use cmc::*;
pub use data::*;
pub use misc::*;
pub use mode::AnalysisMode;
pub use nlsq::*;
pub use optimization::*;
pub use parameters::*;
