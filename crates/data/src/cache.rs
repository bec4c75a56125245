//! NPZ cache of loaded (symmetrised, frame-sliced, not diagonal-corrected) data, in the
//! reference's schema (arrays `wavevector_q_list`, `phi_angles_list`, `t1`, `t2`, `c2_exp`
//! and the JSON string `cache_metadata_json`): file-name template rendering, the metadata
//! JSON, atomic writing and validated reading. A cache whose q, frames, dt, source file or selection differ from
//! what is asked — or that is corrupt, truncated or foreign — is reported as stale so the
//! caller rebuilds it; it is never used silently.

use std::path::{Component, Path, PathBuf};

use ndarray::{Array1, Array3, Ix1, Ix3};
use serde::{Deserialize, Serialize};

use crate::data::{SourceInfo, SourceKind, XpcsData};
use crate::error::{DataError, DataResult};
use crate::npz::{NpzReader, NpzWriter};

/// Version string written in the metadata (the reference's).
pub(crate) const CACHE_VERSION: &str = "2.0";
/// Name of the NPZ entry holding the cache metadata (a 0-d unicode array of JSON).
pub const METADATA_KEY: &str = "cache_metadata_json";

/// Where and how to cache loaded data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheOptions {
    /// Folder holding cache files (`experimental_data.cache_file_path`).
    pub folder: PathBuf,
    /// `experimental_data.cache_filename_template`.
    pub filename_template: String,
    /// DEFLATE the arrays (`cache_compression`, default true).
    pub compression: bool,
}

/// Rewrite legacy `{var}` / `{var:.4f}` placeholders as `${var}`.
pub(crate) fn migrate_template(template: &str) -> String {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_dollar = i > 0 && chars[i - 1] == '$';
        if c == '{' && !after_dollar {
            let close = chars[i + 1..].iter().position(|&c| c == '}');
            if let Some(rel) = close {
                let inner: String = chars[i + 1..i + 1 + rel].iter().collect();
                let name = inner.split(':').next().unwrap_or("");
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                    i += rel + 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Python `string.Template.safe_substitute`: `$$` → `$`, `${name}`/`$name` replaced when
/// known, anything else left as written.
fn safe_substitute(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let chars: Vec<char> = template.chars().collect();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let close = chars[i + 2..].iter().position(|&c| c == '}');
                let name: Option<String> =
                    close.map(|rel| chars[i + 2..i + 2 + rel].iter().collect());
                match (close, name.as_deref().and_then(&lookup)) {
                    (Some(rel), Some(value)) => {
                        out.push_str(&value);
                        i += rel + 3;
                    }
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            }
            Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i + 1..].iter().take_while(|&&c| is_ident(c)).count();
                let name: String = chars[i + 1..i + 1 + len].iter().collect();
                match lookup(&name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push('$');
                        out.push_str(&name);
                    }
                }
                i += 1 + len;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    out
}

/// The placeholders a cache file name template may use.
pub(crate) const CACHE_PLACEHOLDERS: [&str; 3] = ["wavevector_q", "start_frame", "end_frame"];

/// Render the cache file name: `${wavevector_q}` as `{q:.4f}`, `${start_frame}` and
/// `${end_frame}` as configured (−1 stays "-1"). An unknown placeholder (`${name}`,
/// `$name`, legacy `{name}`) is an error naming it (it used to be written into the file
/// name literally). A name that is empty, contains a path
/// separator, `..` or NUL — anything that would leave the cache folder — is an error.
pub(crate) fn render_cache_filename(
    template: &str,
    wavevector_q: f64,
    start_frame: i64,
    end_frame: i64,
) -> DataResult<String> {
    let migrated = migrate_template(template);
    let unknown = std::cell::RefCell::new(Vec::<String>::new());
    let name = safe_substitute(&migrated, |var| match var {
        "wavevector_q" => Some(format!("{wavevector_q:.4}")),
        "start_frame" => Some(start_frame.to_string()),
        "end_frame" => Some(end_frame.to_string()),
        other => {
            unknown.borrow_mut().push(other.to_string());
            None
        }
    });
    let unknown = unknown.into_inner();
    if !unknown.is_empty() {
        return Err(DataError::BadCacheTemplate {
            template: template.to_string(),
            reason: format!(
                "unknown placeholder{} {} (known: {}; write $$ for a literal $)",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|u| format!("${{{u}}}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                CACHE_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("${{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let reject = |reason: &str| DataError::BadCacheTemplate {
        template: template.to_string(),
        reason: format!("renders to '{name}': {reason}"),
    };
    if name.is_empty() || name == "." {
        return Err(reject("empty file name"));
    }
    if name.contains(['/', '\\', '\0']) || name.contains("..") {
        return Err(reject(
            "a cache file name must stay inside the cache folder",
        ));
    }
    let mut components = Path::new(&name).components();
    if !matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    ) {
        return Err(reject("not a plain file name"));
    }
    Ok(name)
}

/// Full path of the cache file for these settings.
pub(crate) fn cache_file_path(
    cache: &CacheOptions,
    wavevector_q: f64,
    start_frame: i64,
    end_frame: i64,
) -> DataResult<PathBuf> {
    let name = render_cache_filename(
        &cache.filename_template,
        wavevector_q,
        start_frame,
        end_frame,
    )?;
    Ok(cache.folder.join(name))
}

/// The JSON object stored in `cache_metadata_json`: the reference's keys plus the fields
/// this port adds to detect stale caches (absent from caches the reference wrote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheMetadata {
    /// The configured target wavevector q (Å⁻¹).
    pub config_wavevector_q: f64,
    /// Mean q of the cached pairs (NaN values left out); `None` when there are none.
    pub actual_wavevector_q: Option<f64>,
    /// Spread of the cached q values (the population standard deviation, under the
    /// reference's name); 0 for fewer than two values.
    pub q_variance: Option<f64>,
    /// Number of cached (q, phi) pairs.
    pub q_count: usize,
    /// Configured start frame (1-based).
    pub start_frame: i64,
    /// Configured end frame with −1 resolved to `n_t + start_frame − 1`.
    pub end_frame: i64,
    /// Number of cached angles.
    pub phi_count: usize,
    /// Cache schema version (`"2.0"`, the reference's).
    pub cache_version: String,
    /// Whether only the selected q ring was cached (always true here).
    pub selective_q_caching: bool,
    /// Frame time the time arrays were built with (added by this port).
    #[serde(default)]
    pub dt: Option<f64>,
    /// `end_frame` exactly as configured (−1 kept; added by this port).
    #[serde(default)]
    pub requested_end_frame: Option<i64>,
    /// File name of the data file the cache was built from (added by this port).
    #[serde(default)]
    pub source_file: Option<String>,
    /// Size in bytes of that data file (added by this port).
    #[serde(default)]
    pub source_size_bytes: Option<u64>,
    /// Fingerprint of the selection options (q tolerance, data_filtering; added by this port).
    #[serde(default)]
    pub selection_key: Option<String>,
}

/// What a cache must match to be reused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CacheExpectation {
    pub(crate) config_wavevector_q: f64,
    pub(crate) start_frame: i64,
    pub(crate) end_frame: i64,
    pub(crate) dt: f64,
    pub(crate) source_file: String,
    /// Size of the data file; `None` when it no longer exists (the cache is then matched
    /// on the file name only, with a warning).
    pub(crate) source_size_bytes: Option<u64>,
    pub(crate) selection_key: String,
}

impl CacheExpectation {
    /// Build the metadata to store with `data` loaded under these settings.
    pub(crate) fn metadata_for(&self, data: &XpcsData) -> CacheMetadata {
        let q: Vec<f64> = data
            .wavevector_q_list
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        let mean = (!q.is_empty()).then(|| q.iter().sum::<f64>() / q.len() as f64);
        let variance = mean.map(|m| {
            if q.len() < 2 {
                0.0
            } else {
                (q.iter().map(|v| (v - m).powi(2)).sum::<f64>() / q.len() as f64).sqrt()
            }
        });
        let n_t = data.n_times() as i64;
        CacheMetadata {
            config_wavevector_q: self.config_wavevector_q,
            actual_wavevector_q: mean,
            q_variance: variance,
            q_count: data.wavevector_q_list.len(),
            start_frame: self.start_frame,
            end_frame: if self.end_frame == -1 {
                n_t + self.start_frame - 1
            } else {
                self.end_frame
            },
            phi_count: data.phi_angles_list.len(),
            cache_version: CACHE_VERSION.to_string(),
            selective_q_caching: true,
            dt: Some(self.dt),
            requested_end_frame: Some(self.end_frame),
            source_file: Some(self.source_file.clone()),
            source_size_bytes: self.source_size_bytes,
            selection_key: Some(self.selection_key.clone()),
        }
    }

    /// Why `meta` (with time axis `t1`) does not match, or `None` when the cache is usable.
    pub(crate) fn mismatch(&self, meta: &CacheMetadata, t1: &Array1<f64>) -> Option<String> {
        if (meta.config_wavevector_q - self.config_wavevector_q).abs() > 1e-8 {
            return Some(format!(
                "cached for q={} but q={} is configured",
                meta.config_wavevector_q, self.config_wavevector_q
            ));
        }
        if meta.start_frame != self.start_frame {
            return Some(format!(
                "cached for start_frame={} but start_frame={} is configured",
                meta.start_frame, self.start_frame
            ));
        }
        match meta.requested_end_frame {
            Some(end) if end != self.end_frame => {
                return Some(format!(
                    "cached for end_frame={end} but end_frame={} is configured",
                    self.end_frame
                ));
            }
            None => {
                return Some(
                    "written without end_frame/dt/source provenance (foreign cache)".into(),
                );
            }
            _ => {}
        }
        match meta.dt {
            Some(dt) if rel_diff(dt, self.dt) > 1e-12 => {
                return Some(format!(
                    "cached with dt={dt} but dt={} is configured",
                    self.dt
                ));
            }
            None => return Some("no dt recorded".into()),
            _ => {}
        }
        if t1.len() >= 2 && rel_diff(t1[1] - t1[0], self.dt) > 1e-9 {
            return Some(format!(
                "time axis spacing {} differs from dt={}",
                t1[1] - t1[0],
                self.dt
            ));
        }
        let size_differs = match self.source_size_bytes {
            Some(size) => meta.source_size_bytes != Some(size),
            None => {
                tracing::warn!(
                    "data file {} is gone: matching the cache on its name only",
                    self.source_file
                );
                false
            }
        };
        if meta.source_file.as_deref() != Some(self.source_file.as_str()) || size_differs {
            return Some(format!(
                "built from {:?} ({:?} bytes), not {} ({:?} bytes)",
                meta.source_file, meta.source_size_bytes, self.source_file, self.source_size_bytes
            ));
        }
        if meta.selection_key.as_deref() != Some(self.selection_key.as_str()) {
            return Some("built with different q-selection or data_filtering options".into());
        }
        None
    }
}

fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Write `data` (expected uncorrected) and `meta` to `path`: to a temporary name in the
/// same folder first, then renamed, so readers never see a partial cache.
pub(crate) fn write_cache(
    path: &Path,
    data: &XpcsData,
    meta: &CacheMetadata,
    compression: bool,
) -> DataResult<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| DataError::CacheWrite {
        path: path.to_path_buf(),
        reason: format!("cannot create folder {}: {e}", folder.display()),
    })?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut w = NpzWriter::create(&tmp, compression)?;
        w.add_f64(
            "wavevector_q_list",
            &[data.wavevector_q_list.len()],
            data.wavevector_q_list.iter(),
        )?;
        w.add_f64(
            "phi_angles_list",
            &[data.phi_angles_list.len()],
            data.phi_angles_list.iter(),
        )?;
        w.add_f64("t1", &[data.t1.len()], data.t1.iter())?;
        w.add_f64("t2", &[data.t2.len()], data.t2.iter())?;
        w.add_f64_values("c2_exp", data.c2_exp.shape(), data.c2_exp.iter_f64())?;
        let json = serde_json::to_string(meta).map_err(|e| DataError::CacheWrite {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        w.add_unicode_scalar(METADATA_KEY, &json)?;
        w.finish()?;
        std::fs::rename(&tmp, path).map_err(|e| DataError::CacheWrite {
            path: path.to_path_buf(),
            reason: format!("rename from {}: {e}", tmp.display()),
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Arrays of a cache or data NPZ file, checked for shape consistency and finiteness.
#[derive(Debug, Clone)]
pub struct NpzContents {
    /// q of each pair (Å⁻¹).
    pub wavevector_q_list: Array1<f64>,
    /// phi of each pair (degrees, as stored).
    pub phi_angles_list: Array1<f64>,
    /// Time axis of the first index (1-D).
    pub t1: Array1<f64>,
    /// Time axis of the second index (1-D).
    pub t2: Array1<f64>,
    /// `(n_phi, n_t, n_t)` correlation matrices, all finite.
    pub c2_exp: Array3<f64>,
    /// `None` when the file has no `cache_metadata_json`.
    pub metadata: Option<CacheMetadata>,
}

fn npz_error(path: &Path, entry: &str, reason: impl Into<String>) -> DataError {
    DataError::BadNpz {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

/// Read an NPZ holding the cache schema. Object arrays (including the legacy pickled
/// `cache_metadata`) are refused; 2-D `t1`/`t2` (old meshgrid caches) are refused; shapes
/// must agree and `c2_exp` must be finite. `require_metadata` makes a missing or
/// malformed `cache_metadata_json` an error.
pub fn read_npz_contents(path: &Path, require_metadata: bool) -> DataResult<NpzContents> {
    let mut r = NpzReader::open(path)?;
    let vector = |r: &mut NpzReader, name: &str| -> DataResult<Array1<f64>> {
        let a = r.read_f64(name)?;
        let ndim = a.ndim();
        a.into_dimensionality::<Ix1>()
            .map_err(|_| npz_error(path, name, format!("expected a 1-D array, got {ndim}-D (old meshgrid caches are not supported: delete and regenerate)")))
    };
    let wavevector_q_list = vector(&mut r, "wavevector_q_list")?;
    let phi_angles_list = vector(&mut r, "phi_angles_list")?;
    let t1 = vector(&mut r, "t1")?;
    let t2 = vector(&mut r, "t2")?;
    let c2 = r.read_f64("c2_exp")?;
    let c2_ndim = c2.ndim();
    let c2_exp = c2.into_dimensionality::<Ix3>().map_err(|_| {
        npz_error(
            path,
            "c2_exp",
            format!("expected (n_phi, n_t, n_t), got {c2_ndim}-D"),
        )
    })?;
    let (n_phi, n1, n2) = c2_exp.dim();
    if n1 != n2 || n1 != t1.len() || n2 != t2.len() {
        return Err(npz_error(
            path,
            "c2_exp",
            format!(
                "shape {:?} does not match t1 ({}) / t2 ({})",
                c2_exp.shape(),
                t1.len(),
                t2.len()
            ),
        ));
    }
    if phi_angles_list.len() != n_phi || wavevector_q_list.len() != n_phi {
        return Err(npz_error(
            path,
            "phi_angles_list",
            format!(
                "{} angles and {} q values for {n_phi} matrices",
                phi_angles_list.len(),
                wavevector_q_list.len()
            ),
        ));
    }
    if n_phi == 0 || n1 == 0 {
        return Err(npz_error(path, "c2_exp", "no data"));
    }
    for (name, values) in [
        ("wavevector_q_list", &wavevector_q_list),
        ("phi_angles_list", &phi_angles_list),
        ("t1", &t1),
        ("t2", &t2),
    ] {
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(npz_error(
                path,
                name,
                format!("{name}[{i}] = {v} is not finite"),
            ));
        }
    }
    let bad_values = c2_exp.iter().filter(|v| !v.is_finite()).count();
    if bad_values > 0 {
        return Err(DataError::NonFinite {
            path: path.to_path_buf(),
            dataset: "c2_exp".into(),
            count: bad_values,
        });
    }
    let metadata = if r.header(METADATA_KEY).is_some() {
        let text = r.read_unicode_scalar(METADATA_KEY)?;
        match serde_json::from_str::<CacheMetadata>(&text) {
            Ok(m) => Some(m),
            Err(e) if require_metadata => {
                return Err(npz_error(
                    path,
                    METADATA_KEY,
                    format!("malformed metadata JSON: {e}"),
                ));
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), "ignoring malformed {METADATA_KEY}: {e}");
                None
            }
        }
    } else if require_metadata {
        return Err(DataError::NpzMissingArray {
            path: path.to_path_buf(),
            entry: METADATA_KEY.into(),
        });
    } else {
        None
    };
    Ok(NpzContents {
        wavevector_q_list,
        phi_angles_list,
        t1,
        t2,
        c2_exp,
        metadata,
    })
}

/// Read the cache at `path` and check it against `expect`. `Ok(Err(reason))` means the
/// cache is readable but stale/foreign; `Err` means it is unreadable.
pub(crate) fn read_cache(
    path: &Path,
    expect: &CacheExpectation,
    data_path: &Path,
) -> DataResult<Result<XpcsData, String>> {
    let contents = read_npz_contents(path, true)?;
    let meta = contents
        .metadata
        .as_ref()
        .ok_or_else(|| npz_error(path, METADATA_KEY, "missing"))?;
    if let Some(reason) = expect.mismatch(meta, &contents.t1) {
        return Ok(Err(reason));
    }
    let n_t = contents.t1.len();
    Ok(Ok(XpcsData {
        wavevector_q_list: contents.wavevector_q_list,
        phi_angles_list: contents.phi_angles_list,
        t1: contents.t1,
        t2: contents.t2,
        c2_exp: contents.c2_exp.into(),
        dt: expect.dt,
        source: SourceInfo {
            data_path: data_path.to_path_buf(),
            kind: SourceKind::Cache,
            cache_path: Some(path.to_path_buf()),
            datasets: Vec::new(),
            frames: Some(crate::frames::FrameWindow {
                start: (expect.start_frame.max(1) - 1) as usize,
                end: (expect.start_frame.max(1) - 1) as usize + n_t,
            }),
            n_frames_in_file: None,
            diagonal_corrected: false,
            phi_normalized: false,
            damage: Vec::new(),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Default template of the reference.
    const DEFAULT_CACHE_TEMPLATE: &str = "cached_c2_frames_${start_frame}_${end_frame}.npz";

    #[test]
    fn template_rendering() {
        let r = |t: &str| render_cache_filename(t, 0.0054, 1, -1);
        assert_eq!(
            r(DEFAULT_CACHE_TEMPLATE).unwrap(),
            "cached_c2_frames_1_-1.npz"
        );
        assert_eq!(
            r("cached_c2_flow_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz").unwrap(),
            "cached_c2_flow_q0.0054_frames_1_-1.npz"
        );
        assert_eq!(
            r("c_q{wavevector_q:.4f}_{start_frame}_{end_frame}.npz").unwrap(),
            "c_q0.0054_1_-1.npz"
        );
        assert_eq!(r("a_$start_frame-$$-x.npz").unwrap(), "a_1-$-x.npz");
        // A lone `$` that starts no placeholder stays as written.
        assert_eq!(r("a$-{}.npz").unwrap(), "a$-{}.npz");
        // Unknown placeholders are errors naming them (they used to land in the name).
        for (t, named) in [
            ("a_${unknown}.npz", "${unknown}"),
            ("a_$qq.npz", "${qq}"),
            ("a_{frame}.npz", "${frame}"),
        ] {
            let msg = r(t).unwrap_err().to_string();
            assert!(
                msg.contains(named) && msg.contains("${wavevector_q}"),
                "{msg}"
            );
        }
        assert!(r("../x.npz").is_err());
        assert!(r("sub/x.npz").is_err());
        assert!(r("/abs.npz").is_err());
        assert!(r("").is_err());
        assert_eq!(
            render_cache_filename("q${wavevector_q}", 0.00125001, 1, 2).unwrap(),
            "q0.0013"
        );
    }
}
