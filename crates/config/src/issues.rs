//! Problems found while loading or validating a configuration.
//!
//! Loading never stops at the first problem: every error, warning and informational
//! note is collected into a [`ValidationReport`] (the analogue of the original's
//! `ConfigValidationResult`). Each [`Issue`] names the dotted key path, the file and,
//! for YAML input, the 1-based line.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Normalisation notes (aliases mapped, legacy keys moved, ...).
    Info,
    /// Suspicious but usable (unknown keys, odd values).
    Warning,
    /// The configuration cannot be used.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Issue {
    /// Severity.
    pub severity: Severity,
    /// Dotted key path (`analyzer_parameters.dt`, `parameter_space.bounds[2].min`);
    /// empty for whole-file problems.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The file, when known.
    pub file: Option<PathBuf>,
    /// 1-based line, when known (YAML input).
    pub line: Option<u64>,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.severity)?;
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        if !self.path.is_empty() {
            write!(f, "`{}`: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// All problems found in one configuration.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ValidationReport {
    /// The file the report is about, when it came from a file.
    pub file: Option<PathBuf>,
    /// Errors: the configuration is unusable.
    pub errors: Vec<Issue>,
    /// Warnings: unknown keys, suspicious values.
    pub warnings: Vec<Issue>,
    /// Informational notes: normalisations applied.
    pub info: Vec<Issue>,
}

impl ValidationReport {
    /// An empty report for `file`.
    pub fn for_file(file: Option<&Path>) -> Self {
        ValidationReport {
            file: file.map(Path::to_path_buf),
            ..Default::default()
        }
    }

    /// True when there are no errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Add an issue. Lines of 0 mean "unknown" and are dropped.
    pub fn push(&mut self, severity: Severity, path: &str, line: u64, message: impl Into<String>) {
        let issue = Issue {
            severity,
            path: path.to_string(),
            message: message.into(),
            file: self.file.clone(),
            line: (line > 0).then_some(line),
        };
        match severity {
            Severity::Error => self.errors.push(issue),
            Severity::Warning => self.warnings.push(issue),
            Severity::Info => self.info.push(issue),
        }
    }

    /// Add an error.
    pub fn error(&mut self, path: &str, line: u64, message: impl Into<String>) {
        self.push(Severity::Error, path, line, message);
    }

    /// Add a warning.
    pub fn warning(&mut self, path: &str, line: u64, message: impl Into<String>) {
        self.push(Severity::Warning, path, line, message);
    }

    /// Add an informational note.
    pub fn info(&mut self, path: &str, line: u64, message: impl Into<String>) {
        self.push(Severity::Info, path, line, message);
    }

    /// Sort each list by line (issues without a line last), keeping the discovery order
    /// among equal lines.
    pub fn sort_by_line(&mut self) {
        for list in [&mut self.errors, &mut self.warnings, &mut self.info] {
            list.sort_by_key(|i| i.line.unwrap_or(u64::MAX));
        }
    }

    /// Every issue, errors first.
    pub fn all(&self) -> impl Iterator<Item = &Issue> {
        self.errors
            .iter()
            .chain(self.warnings.iter())
            .chain(self.info.iter())
    }

    /// Emit warnings through `tracing::warn!` and errors through `tracing::error!`.
    pub fn emit_tracing(&self) {
        for i in &self.errors {
            tracing::error!("{i}");
        }
        for i in &self.warnings {
            tracing::warn!("{i}");
        }
        for i in &self.info {
            tracing::debug!("{i}");
        }
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in self.all() {
            writeln!(f, "{i}")?;
        }
        write!(
            f,
            "{} error(s), {} warning(s), {} note(s)",
            self.errors.len(),
            self.warnings.len(),
            self.info.len()
        )
    }
}

/// Errors returned by the loading functions.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML/JSON.
    #[error("{}{}: syntax error: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file (or `<string>`).
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// 1-based column, when known.
        column: Option<u64>,
        /// The parser's message.
        message: String,
    },
    /// The file parsed but has errors; the report lists all of them.
    #[error("invalid configuration {}:\n{}", report.file.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "<string>".into()), report.errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Everything that was found.
        report: Box<ValidationReport>,
    },
    /// Writing an output file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
