//! The low-level writer: groups, arrays, consolidated metadata, atomic replacement.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{Array, Attrs, ZarrError};

/// Attribute under which xarray keeps an array's dimension names in Zarr v2.
pub const ARRAY_DIMENSIONS: &str = "_ARRAY_DIMENSIONS";

/// Writes one Zarr v2 directory store.
///
/// Everything goes into a temporary sibling folder `.<name>.tmp-<pid>`; [`StoreWriter::finish`]
/// writes the consolidated `.zmetadata` and renames the folder over the destination. A writer
/// dropped without `finish` (an error, a panic) removes its temporary folder, so a reader never
/// sees a half-written store and an older store at the destination survives.
#[derive(Debug)]
pub struct StoreWriter {
    dest: PathBuf,
    tmp: PathBuf,
    /// Consolidated metadata: store key (`posterior/D0/.zarray`) -> document.
    meta: serde_json::Map<String, Value>,
    /// Group paths, "" being the root.
    groups: BTreeSet<String>,
    arrays: BTreeSet<String>,
    /// Dimension sizes seen in each group.
    dims: BTreeMap<String, BTreeMap<String, usize>>,
    finished: bool,
}

/// Checks one path component or dimension name.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("empty name".into())
    } else if name.contains(['/', '\\', '\0']) {
        Err(format!("name `{name}` contains '/', '\\' or NUL"))
    } else if name.starts_with('.') {
        // `.zarray`, `.zattrs`, ... and the temporary folders live in this namespace.
        Err(format!("name `{name}` starts with '.'"))
    } else if name.starts_with("__") {
        // Reserved by Zarr v3, which zarr-python 3 may apply to v2 stores too.
        Err(format!("name `{name}` starts with \"__\""))
    } else {
        Ok(())
    }
}

/// Splits and checks a store-relative path ("a/b/c"); no leading or trailing '/'.
fn split_path(path: &str) -> Result<Vec<&str>, String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    path.split('/').map(|c| check_name(c).map(|()| c)).collect()
}

/// Whether group `a` is `b`, an ancestor of `b` or a descendant of `b`: xarray's DataTree
/// requires such groups to agree on shared dimension sizes.
fn related(a: &str, b: &str) -> bool {
    let below =
        |x: &str, y: &str| x.is_empty() || (y.starts_with(x) && y[x.len()..].starts_with('/'));
    a == b || below(a, b) || below(b, a)
}

fn meta_key(path: &str, file: &str) -> String {
    if path.is_empty() {
        file.to_owned()
    } else {
        format!("{path}/{file}")
    }
}

impl StoreWriter {
    /// Starts a store that [`finish`](Self::finish) will place at `path` (a folder,
    /// conventionally named `*.zarr`). Creates missing parent folders.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, ZarrError> {
        let dest = path.as_ref().to_path_buf();
        let invalid = |reason: &str| ZarrError::Invalid {
            store: dest.clone(),
            item: String::new(),
            reason: reason.to_owned(),
        };
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| invalid("the path has no (UTF-8) final component"))?;
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let io = |action, path: &Path, source| ZarrError::Io {
            store: dest.clone(),
            action,
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(&parent).map_err(|e| io("create folder", &parent, e))?;
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        // A leftover of this pid (an earlier writer in this process that was killed mid-way).
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| io("remove stale temporary folder", &tmp, e))?;
        }
        fs::create_dir(&tmp).map_err(|e| io("create folder", &tmp, e))?;
        let mut w = StoreWriter {
            dest,
            tmp,
            meta: serde_json::Map::new(),
            groups: BTreeSet::new(),
            arrays: BTreeSet::new(),
            dims: BTreeMap::new(),
            finished: false,
        };
        w.write_group("", &Attrs::new())?;
        Ok(w)
    }

    /// The final path of the store.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// The temporary folder being written.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    fn invalid(&self, item: &str, reason: impl Into<String>) -> ZarrError {
        ZarrError::Invalid {
            store: self.dest.clone(),
            item: item.to_owned(),
            reason: reason.into(),
        }
    }

    fn io(&self, action: &'static str, path: &Path, source: std::io::Error) -> ZarrError {
        ZarrError::Io {
            store: self.dest.clone(),
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    fn write_json(&mut self, key: String, doc: Value) -> Result<(), ZarrError> {
        let file = self.tmp.join(&key);
        let mut text = serde_json::to_vec_pretty(&doc).expect("JSON values always serialise");
        text.push(b'\n');
        fs::write(&file, text).map_err(|e| self.io("write", &file, e))?;
        self.meta.insert(key, doc);
        Ok(())
    }

    /// Writes (or rewrites) a group's `.zgroup` and `.zattrs`; the path is already checked.
    fn write_group(&mut self, path: &str, attrs: &Attrs) -> Result<(), ZarrError> {
        if !self.groups.contains(path) {
            let dir = self.tmp.join(path);
            fs::create_dir_all(&dir).map_err(|e| self.io("create folder", &dir, e))?;
            self.write_json(meta_key(path, ".zgroup"), json!({ "zarr_format": 2 }))?;
            self.groups.insert(path.to_owned());
        }
        let key = meta_key(path, ".zattrs");
        let mut merged = match self.meta.get(&key) {
            Some(Value::Object(m)) => m.clone(),
            _ => Attrs::new(),
        };
        merged.extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.write_json(key, Value::Object(merged))
    }

    /// Creates the group at `path` ("posterior", "shards/shard_0003/posterior") and any
    /// missing ancestors, or, if it exists, merges `attrs` into its attributes.
    pub fn create_group(&mut self, path: &str, attrs: &Attrs) -> Result<(), ZarrError> {
        let parts = split_path(path).map_err(|r| self.invalid(path, r))?;
        for i in 1..=parts.len() {
            let sub = parts[..i].join("/");
            if self.arrays.contains(&sub) {
                return Err(self.invalid(path, format!("`{sub}` is an array, not a group")));
            }
            let a = if i == parts.len() {
                attrs
            } else {
                &Attrs::new()
            };
            if i < parts.len() && self.groups.contains(&sub) {
                continue;
            }
            self.write_group(&sub, a)?;
        }
        Ok(())
    }

    /// Sets (merges) the root group's attributes.
    pub fn set_root_attrs(&mut self, attrs: &Attrs) -> Result<(), ZarrError> {
        self.write_group("", attrs)
    }

    /// Writes `array` at `path` ("posterior/D0"), creating missing parent groups.
    ///
    /// Checks that the values fill the shape exactly, that there is one dimension name per
    /// axis, that names are valid and unused, and that each dimension has the same size as
    /// in this group, its ancestors and its descendants (as xarray's DataTree requires).
    pub fn write_array(&mut self, path: &str, array: &Array) -> Result<(), ZarrError> {
        let parts = split_path(path).map_err(|r| self.invalid(path, r))?;
        let group = parts[..parts.len() - 1].join("/");
        if self.arrays.contains(path) || self.groups.contains(path) {
            return Err(self.invalid(path, "already exists in the store"));
        }
        let shape = &array.shape;
        if array.dims.len() != shape.len() {
            return Err(self.invalid(
                path,
                format!(
                    "{} dimension names {:?} for a shape of rank {} {:?}",
                    array.dims.len(),
                    array.dims,
                    shape.len(),
                    shape
                ),
            ));
        }
        let n = shape
            .iter()
            .try_fold(1usize, |acc, &s| acc.checked_mul(s))
            .ok_or_else(|| self.invalid(path, format!("shape {shape:?} overflows")))?;
        if n != array.values.len() {
            return Err(self.invalid(
                path,
                format!(
                    "shape {shape:?} holds {n} elements but {} values were given",
                    array.values.len()
                ),
            ));
        }
        for (i, d) in array.dims.iter().enumerate() {
            check_name(d).map_err(|r| self.invalid(path, format!("dimension {i}: {r}")))?;
            if array.dims[..i].contains(d) {
                return Err(self.invalid(path, format!("dimension `{d}` is repeated")));
            }
            for (g, sizes) in &self.dims {
                if let Some(&other) = sizes.get(d)
                    && other != shape[i]
                    && related(g, &group)
                {
                    let where_ = if g.is_empty() {
                        "the root group".to_owned()
                    } else {
                        format!("group `{g}`")
                    };
                    return Err(self.invalid(
                        path,
                        format!(
                            "dimension `{d}` has size {} here but {other} in {where_}",
                            shape[i]
                        ),
                    ));
                }
            }
        }
        if array.attrs.contains_key(ARRAY_DIMENSIONS) {
            return Err(self.invalid(
                path,
                format!("attribute `{ARRAY_DIMENSIONS}` is set by the writer"),
            ));
        }
        if !group.is_empty() {
            self.create_group(&group, &Attrs::new())?;
        }

        // Chunks: whole extent except, optionally, along the first axis. Zarr v2 stores an
        // edge chunk at full chunk size, so the last one is padded.
        let rank = shape.len();
        let mut chunks: Vec<usize> = shape.iter().map(|&s| s.max(1)).collect();
        if let (Some(len), Some(first)) = (array.chunk_len, chunks.first_mut()) {
            *first = len.clamp(1, (*first).max(1));
        }
        let row: usize = shape.iter().skip(1).product();
        let rows_per_chunk = chunks.first().copied().unwrap_or(1);
        let n_chunks = if n == 0 {
            0
        } else if rank == 0 {
            1
        } else {
            shape[0].div_ceil(rows_per_chunk)
        };

        let dir = self.tmp.join(path);
        fs::create_dir_all(&dir).map_err(|e| self.io("create folder", &dir, e))?;
        let zarray = json!({
            "zarr_format": 2,
            "shape": shape,
            "chunks": chunks,
            "dtype": array.values.dtype(),
            "compressor": null,
            "fill_value": null,
            "order": "C",
            "filters": null,
            "dimension_separator": ".",
        });
        self.write_json(format!("{path}/.zarray"), zarray)?;
        let mut attrs = array.attrs.clone();
        attrs.insert(ARRAY_DIMENSIONS.into(), json!(array.dims));
        self.write_json(format!("{path}/.zattrs"), Value::Object(attrs))?;

        let item = array.values.item_size();
        let tail = if rank == 0 {
            String::new()
        } else {
            ".0".repeat(rank - 1)
        };
        for c in 0..n_chunks {
            let file = dir.join(format!("{c}{tail}"));
            let (start, end) = if rank == 0 {
                (0, 1)
            } else {
                (
                    c * rows_per_chunk * row,
                    ((c + 1) * rows_per_chunk * row).min(n),
                )
            };
            let pad = if rank == 0 {
                0
            } else {
                (rows_per_chunk * row - (end - start)) * item
            };
            let f = fs::File::create(&file).map_err(|e| self.io("create", &file, e))?;
            let mut out = BufWriter::with_capacity(1 << 20, f);
            array
                .values
                .write_le(start, end, &mut out)
                .and_then(|()| out.write_all(&vec![0u8; pad]))
                .and_then(|()| out.flush())
                .map_err(|e| self.io("write", &file, e))?;
        }

        let sizes = self.dims.entry(group).or_default();
        for (d, &s) in array.dims.iter().zip(shape) {
            sizes.insert(d.clone(), s);
        }
        self.arrays.insert(path.to_owned());
        Ok(())
    }

    /// Writes the consolidated `.zmetadata` and moves the store to its final path,
    /// replacing any file or folder there. Returns the final path.
    pub fn finish(mut self) -> Result<PathBuf, ZarrError> {
        let doc = json!({
            "zarr_consolidated_format": 1,
            "metadata": Value::Object(std::mem::take(&mut self.meta)),
        });
        let file = self.tmp.join(".zmetadata");
        let mut text = serde_json::to_vec_pretty(&doc).expect("JSON values always serialise");
        text.push(b'\n');
        fs::write(&file, text).map_err(|e| self.io("write", &file, e))?;

        // Move an old store aside first (a folder cannot be renamed over a non-empty one),
        // so that it can be put back if the final rename fails.
        let old = self.tmp.with_file_name(format!(
            "{}.old",
            self.tmp
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("store")
        ));
        let had_old = fs::symlink_metadata(&self.dest).is_ok();
        if had_old {
            remove_any(&old).map_err(|e| self.io("remove", &old, e))?;
            fs::rename(&self.dest, &old)
                .map_err(|e| self.io("move aside the old store", &self.dest, e))?;
        }
        if let Err(e) = fs::rename(&self.tmp, &self.dest) {
            if had_old {
                let _ = fs::rename(&old, &self.dest);
            }
            return Err(self.io("rename the temporary folder to", &self.dest, e));
        }
        self.finished = true;
        if had_old {
            remove_any(&old).map_err(|e| self.io("remove the old store", &old, e))?;
        }
        Ok(self.dest.clone())
    }
}

/// Removes a file, link or folder; absent is fine.
fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}
