//! Reading configuration files: format by extension, parse to a [`Node`] tree,
//! normalise, read the typed [`Config`], run the semantic checks.
//!
//! * `.yaml`/`.yml` → YAML (serde-saphyr); `.json` → JSON; anything else → YAML, then
//!   JSON if YAML fails.
//! * Empty file → built-in defaults (info note). Syntax errors are errors naming the
//!   file and line (the reference silently fell back to defaults; we refuse).
//! * Files over 16 MiB are refused (no configuration comes near that; a larger file is
//!   almost surely the wrong file).
//! * [`validate_file`] never fails: every problem, including unreadable files and
//!   syntax errors, lands in the returned [`ValidationReport`].

use crate::config::Config;
use crate::de;
use crate::issues::{ConfigError, ValidationReport};
use crate::node::{DuplicateKey, Node, NodeKind, parse_yaml};
use crate::normalize::normalize;
use crate::validate;
use std::path::{Path, PathBuf};

/// Input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (also accepts JSON, a YAML subset).
    Yaml,
    /// JSON.
    Json,
    /// Decide by trying YAML, then JSON.
    Auto,
}

impl Format {
    /// Format implied by a file extension.
    pub fn from_path(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("yaml" | "yml") => Format::Yaml,
            Some("json") => Format::Json,
            _ => Format::Auto,
        }
    }
}

/// A loaded configuration with everything found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The typed configuration.
    pub config: Config,
    /// Errors are always empty here; warnings and notes as found.
    pub report: ValidationReport,
    /// The normalised source tree (with lines).
    pub tree: Node,
}

/// Maximum configuration file size (bytes); larger files are refused.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

fn parse(text: &str, format: Format, path: &Path) -> Result<Node, ConfigError> {
    parse_checked(text, format, path).map(|(tree, _)| tree)
}

/// Parse to a tree, with the keys written twice in one mapping (YAML; in JSON a repeated
/// key is a syntax error naming the key and the line of the repetition).
fn parse_checked(
    text: &str,
    format: Format,
    path: &Path,
) -> Result<(Node, Vec<DuplicateKey>), ConfigError> {
    let yaml = |text: &str| {
        parse_yaml(text).map_err(|e| {
            let loc = e.location();
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line: loc.map(|l| l.line()).filter(|l| *l > 0),
                column: loc.map(|l| l.column()).filter(|c| *c > 0),
                message: e.to_string(),
            }
        })
    };
    let json = |text: &str| {
        if text.trim().is_empty() {
            return Ok((Node::new(NodeKind::Null), Vec::new()));
        }
        serde_json::from_str::<JsonUniqueKeys>(text)
            .and_then(|_| serde_json::from_str::<serde_json::Value>(text))
            .map(|v| (Node::from_json(&v), Vec::new()))
            .map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                line: Some(e.line() as u64).filter(|l| *l > 0),
                column: Some(e.column() as u64).filter(|c| *c > 0),
                message: e.to_string(),
            })
    };
    match format {
        Format::Yaml => yaml(text),
        Format::Json => json(text),
        Format::Auto => yaml(text).or_else(|ye| json(text).map_err(|_| ye)),
    }
}

/// A JSON value read only to refuse keys written twice in one object (serde_json keeps
/// the last silently).
struct JsonUniqueKeys;

impl<'de> serde::Deserialize<'de> for JsonUniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonUniqueKeysVisitor)
    }
}

struct JsonUniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for JsonUniqueKeysVisitor {
    type Value = JsonUniqueKeys;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<JsonUniqueKeys, E> {
        Ok(JsonUniqueKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<JsonUniqueKeys, A::Error> {
        while seq.next_element::<JsonUniqueKeys>()?.is_some() {}
        Ok(JsonUniqueKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<JsonUniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate key \"{key}\" (keys must be unique within an object)"
                )));
            }
            map.next_value::<JsonUniqueKeys>()?;
        }
        Ok(JsonUniqueKeys)
    }
}

/// Report each key written twice in one mapping as an error naming both lines.
fn report_duplicates(duplicates: &[DuplicateKey], report: &mut ValidationReport) {
    for d in duplicates {
        let first = if d.first_line > 0 {
            format!("line {}", d.first_line)
        } else {
            "an earlier line".to_string()
        };
        let again = if d.line > 0 {
            format!("line {}", d.line)
        } else {
            "a later line".to_string()
        };
        report.error(
            &d.path,
            d.line,
            format!(
                "duplicate key \"{}\": written at {first} and again at {again}; a YAML key may \
                 appear only once per mapping (remove or merge one of them)",
                d.key
            ),
        );
    }
}

/// Parse, normalise, read and check. Returns the typed config (if it could be read)
/// and the full report.
fn analyse(
    text: &str,
    format: Format,
    path: &Path,
    file: Option<&Path>,
) -> (Option<Loaded>, ValidationReport) {
    let mut report = ValidationReport::for_file(file);
    let mut tree = match parse_checked(text, format, path) {
        Ok((t, duplicates)) => {
            report_duplicates(&duplicates, &mut report);
            t
        }
        Err(ConfigError::Syntax { line, message, .. }) => {
            report.error("", line.unwrap_or(0), format!("syntax error: {message}"));
            return (None, report);
        }
        Err(e) => {
            report.error("", 0, e.to_string());
            return (None, report);
        }
    };
    if !normalize(&mut tree, &mut report) {
        return (None, report);
    }
    let config: Option<Config> = de::read(&tree, "", &mut report);
    let Some(config) = config else {
        report.sort_by_line();
        return (None, report);
    };
    validate::check(&config, &tree, &mut report);
    report.sort_by_line();
    let loaded = Loaded {
        config,
        report: report.clone(),
        tree,
    };
    (Some(loaded), report)
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(io(std::io::Error::other(format!(
            "file is {} bytes; configuration files are limited to {MAX_CONFIG_BYTES}",
            meta.len()
        ))));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Load a configuration file. Warnings are kept in [`Loaded::report`] and emitted via
/// `tracing::warn!`; any error fails with [`ConfigError`] (syntax errors as
/// [`ConfigError::Syntax`], everything else as [`ConfigError::Invalid`] listing all
/// errors at once).
pub fn load_file(path: impl AsRef<Path>) -> Result<Loaded, ConfigError> {
    let path = path.as_ref();
    let text = read_text(path)?;
    load_text(&text, Format::from_path(path), path, Some(path))
}

/// Load configuration text; `name` is used in messages (e.g. `"<stdin>"`).
pub fn load_str(text: &str, format: Format, name: &str) -> Result<Loaded, ConfigError> {
    let p = PathBuf::from(name);
    load_text(text, format, &p, Some(&p))
}

fn load_text(
    text: &str,
    format: Format,
    path: &Path,
    file: Option<&Path>,
) -> Result<Loaded, ConfigError> {
    // Syntax errors get their own variant.
    parse(text, format, path)?;
    let (loaded, report) = analyse(text, format, path, file);
    report.emit_tracing();
    match loaded {
        Some(l) if report.is_valid() => Ok(l),
        _ => Err(ConfigError::Invalid {
            report: Box::new(report),
        }),
    }
}

/// Validate a file and report every problem (never fails; a missing or unreadable file
/// is an error in the report).
pub fn validate_file(path: impl AsRef<Path>) -> ValidationReport {
    let path = path.as_ref();
    match read_text(path) {
        Ok(text) => analyse(&text, Format::from_path(path), path, Some(path)).1,
        Err(e) => {
            let mut r = ValidationReport::for_file(Some(path));
            r.error("", 0, e.to_string());
            r
        }
    }
}

/// Validate configuration text (see [`validate_file`]).
pub fn validate_str(text: &str, format: Format, name: &str) -> ValidationReport {
    let p = PathBuf::from(name);
    analyse(text, format, &p, Some(&p)).1
}

impl Config {
    /// Load a file (see [`load_file`]) and keep only the typed configuration.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        load_file(path).map(|l| l.config)
    }

    /// Load YAML text (see [`load_str`]).
    pub fn from_yaml_str(text: &str) -> Result<Config, ConfigError> {
        load_str(text, Format::Yaml, "<string>").map(|l| l.config)
    }
}
