//! Typed configuration sections, one file per area of the YAML file.
//!
//! Every struct is `#[serde(default)]`: a missing key takes the default of the original
//! program, i.e. the value its laminar-flow template writes, or, for keys the template
//! leaves out, the value its code falls back to (the CMC settings are such a case). The
//! `section!` macro declares a struct together with its `Default` so each default sits
//! next to its field.
//!
//! The files import each other directly (never through this module), and this module
//! re-exports nothing: the crate root names every public type.

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

pub(crate) mod analyzer;
pub(crate) mod auto;
pub(crate) mod cmc;
pub(crate) mod data;
pub(crate) mod misc;
pub(crate) mod nlsq;
pub(crate) mod optimization;
pub(crate) mod parameters;
