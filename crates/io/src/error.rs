//! The one error type of result writing: every variant names the file it was writing.

use std::path::PathBuf;

/// Why a result file or figure could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file system refused (folder creation, write, rename).
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot write", "cannot create folder", ...).
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A value could not be encoded in the file's format.
    #[error("cannot format {}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The encoder's reason.
        message: String,
    },
    /// An NPZ archive could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Npz {
        /// The archive.
        path: PathBuf,
        /// The NPZ writer's reason.
        source: homodyne_data::DataError,
    },
    /// A figure could not be drawn or saved.
    #[error("cannot write plot {}: {message}", path.display())]
    Plot {
        /// The PNG file.
        path: PathBuf,
        /// The plotting library's reason.
        message: String,
    },
    /// The inputs do not describe one consistent result (shapes, lengths).
    #[error("inconsistent result: {0}")]
    Inconsistent(String),
}

/// Result of a writer.
pub type OutputResult<T> = Result<T, OutputError>;

pub(crate) fn io_err(
    what: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.into();
    move |source| OutputError::Io { what, path, source }
}
