//! NaN-safe JSON (NaN -> null, +/-Inf -> "Infinity"/"-Infinity", like the reference's
//! `json_safe`) and atomic JSON/YAML writing.

use std::path::Path;

use serde_json::{Value, json};

use crate::atomic::{write_atomic_unrecorded, write_text};
use crate::error::{OutputError, OutputResult, io_err};

/// A float as JSON, NaN-safe.
pub fn num(v: f64) -> Value {
    if v.is_nan() {
        Value::Null
    } else if v == f64::INFINITY {
        json!("Infinity")
    } else if v == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        json!(v)
    }
}

/// Floats as a JSON list, NaN-safe.
pub fn nums(v: &[f64]) -> Value {
    Value::Array(v.iter().map(|&x| num(x)).collect())
}

/// Write a JSON value, pretty-printed, atomically. Build values with [`num`]/[`nums`]
/// so that NaN and infinities stay readable by any JSON parser.
pub fn write_json(path: &Path, value: &Value) -> OutputResult<()> {
    write_text(path, &json_text(path, value)?)
}

/// [`write_json`] without recording the file for the run in progress (scratch files).
pub(crate) fn write_json_unrecorded(path: &Path, value: &Value) -> OutputResult<()> {
    let text = json_text(path, value)?;
    write_atomic_unrecorded(path, |tmp| {
        std::fs::write(tmp, &text).map_err(io_err("cannot write", path))
    })
}

fn json_text(path: &Path, value: &Value) -> OutputResult<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| OutputError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}

/// Write a value as YAML, atomically.
pub fn write_yaml(path: &Path, value: &Value) -> OutputResult<()> {
    let text = serde_saphyr::to_string(value).map_err(|e| OutputError::Format {
        path: path.to_path_buf(),
        message: format!("as YAML: {e}"),
    })?;
    write_text(path, &text)
}

/// Current time as ISO 8601 (UTC, seconds).
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_safe_and_dates() {
        assert_eq!(num(f64::NAN), Value::Null);
        assert_eq!(num(f64::INFINITY), json!("Infinity"));
        assert_eq!(num(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(num(1.5), json!(1.5));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
