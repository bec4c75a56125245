//! The one error type of the crate.

use std::path::PathBuf;

/// Why a store could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZarrError {
    /// The file system refused an operation.
    #[error("zarr store {}: cannot {action} {}: {source}", store.display(), path.display())]
    Io {
        /// The store being written (its final path).
        store: PathBuf,
        /// What was being done ("write", "create folder", "rename", ...).
        action: &'static str,
        /// The file or folder the operation was on.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A name, shape or attribute is not acceptable; nothing of it was written.
    #[error("zarr store {}: {item}: {reason}", store.display())]
    Invalid {
        /// The store being written (its final path).
        store: PathBuf,
        /// The group, array or dimension concerned (store-relative path).
        item: String,
        /// What is wrong with it.
        reason: String,
    },
}
