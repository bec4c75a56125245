//! The crate's error type, in a module of its own so that every other module can return it
//! without importing from the crate root (which imports from them).

use std::path::PathBuf;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    /// Invalid configuration value.
    #[error("invalid preprocessing/quality configuration: {0}")]
    Config(String),
    /// A preprocessing stage failed and `abort_on_error` is set.
    #[error("preprocessing aborted at stage {stage}: {reason}")]
    Stage {
        /// Stage name.
        stage: String,
        /// Why it failed.
        reason: String,
    },
    /// A report file could not be written or read.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A report could not be (de)serialised.
    #[error("invalid JSON in {}: {source}", path.display())]
    Json {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: serde_json::Error,
    },
}
