//! JSON files written by this crate (quality reports, preprocessing provenance): atomic
//! pretty-printed writing, reading back, and the Unix timestamps recorded in them. Shared by
//! the report and the preprocessing pipeline, which otherwise do not depend on each other.

use crate::error::QualityError;
use serde::{Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Serialises `value` as pretty JSON into `path` atomically (temporary file in the same
/// folder, then rename). The folder must exist.
pub fn write_json_atomic<T: Serialize + ?Sized>(
    path: &Path,
    value: &T,
) -> Result<(), QualityError> {
    let json = serde_json::to_string_pretty(value).map_err(|source| QualityError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| QualityError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"),
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| QualityError::Io { path: p, source }
    };
    std::fs::write(&tmp, json.as_bytes()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        QualityError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// Reads a JSON file into `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, QualityError> {
    let text = std::fs::read_to_string(path).map_err(|source| QualityError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| QualityError::Json {
        path: path.to_path_buf(),
        source,
    })
}
