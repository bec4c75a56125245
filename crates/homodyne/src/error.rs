//! The facade's error: every failure of an analysis step, with the lower crates' own
//! messages (they name the file, key or value) kept intact.

/// Why an analysis step failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] homodyne_config::ConfigError),
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] homodyne_data::DataError),
    /// The model refused its inputs (geometry, shapes, values).
    #[error(transparent)]
    Model(#[from] homodyne_model::ModelError),
    /// The fit could not be set up.
    #[error(transparent)]
    Nlsq(#[from] homodyne_nlsq::NlsqError),
    /// A result file could not be written.
    #[error(transparent)]
    Output(#[from] homodyne_io::OutputError),
    /// Preprocessing or quality control failed.
    #[error("{0}")]
    Quality(String),
    /// An input or setting that the analysis cannot use, explained.
    #[error("{0}")]
    Invalid(String),
}

/// Result of the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for [`Error::Invalid`] with a formatted message.
macro_rules! invalid {
    ($($arg:tt)*) => {
        $crate::error::Error::Invalid(format!($($arg)*))
    };
}
pub(crate) use invalid;
