//! Minimal, pickle-free NPZ (zip of `.npy`) reader and writer.
//!
//! Numeric arrays (`<f8`, `<f4`, `<i8`, `<i4`, big-endian too) and 0-d unicode strings
//! (`<U…`, UTF-32) are supported — enough for the cache schema, whose
//! `cache_metadata_json` is a 0-d unicode array that `ndarray-npy` cannot express. Object
//! arrays (`|O`, i.e. pickles) are refused when the archive is opened, never executed.
//! Reads are bounded: an entry's header shape must match its declared size before any
//! buffer is allocated, and allocation failures are errors, not aborts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::error::{DataError, DataResult};

const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Headers longer than this are not produced by numpy and are refused.
const MAX_HEADER_LEN: usize = 1 << 16;
/// Bytes converted per read while decoding numeric data.
const DECODE_BLOCK: usize = 1 << 16;

/// Element type of an `.npy` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpyDtype {
    /// IEEE float of 4 or 8 bytes.
    Float {
        /// Bytes per element (4 or 8).
        size: usize,
        /// Byte order: little-endian (`<`) or big-endian (`>`).
        little_endian: bool,
    },
    /// Signed or unsigned integer of 1, 2, 4 or 8 bytes.
    Int {
        /// Bytes per element (1, 2, 4 or 8).
        size: usize,
        /// Signed (`i`) or unsigned (`u`).
        signed: bool,
        /// Byte order: little-endian (`<`) or big-endian (`>`).
        little_endian: bool,
    },
    /// Fixed-width UTF-32 string of `chars` characters.
    Unicode {
        /// Characters per element (4 bytes each).
        chars: usize,
        /// Byte order: little-endian (`<`) or big-endian (`>`).
        little_endian: bool,
    },
    /// Python objects (pickled): never read.
    Object,
    /// Anything else (structured, complex, bytes, datetime...).
    Other(String),
}

impl NpyDtype {
    fn parse(descr: &str) -> Self {
        let descr = descr.trim();
        if descr.contains('O') {
            return Self::Object;
        }
        let (order, rest) = match descr.chars().next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
            _ => ('=', descr),
        };
        let little_endian = match order {
            '>' => false,
            '<' => true,
            _ => cfg!(target_endian = "little"),
        };
        let kind = rest.chars().next();
        let size: Option<usize> = rest.get(1..).and_then(|s| s.parse().ok());
        match (kind, size) {
            (Some('f'), Some(size @ (4 | 8))) => Self::Float {
                size,
                little_endian,
            },
            (Some(k @ ('i' | 'u')), Some(size @ (1 | 2 | 4 | 8))) => Self::Int {
                size,
                signed: k == 'i',
                little_endian,
            },
            (Some('U'), Some(chars)) => Self::Unicode {
                chars,
                little_endian,
            },
            _ => Self::Other(descr.to_string()),
        }
    }

    fn item_size(&self) -> Option<usize> {
        match self {
            Self::Float { size, .. } | Self::Int { size, .. } => Some(*size),
            Self::Unicode { chars, .. } => chars.checked_mul(4),
            _ => None,
        }
    }
}

/// Parsed `.npy` header.
#[derive(Debug, Clone)]
pub struct NpyHeader {
    /// Element type (`descr`).
    pub dtype: NpyDtype,
    /// Whether the data are stored column-major (`fortran_order`).
    pub fortran_order: bool,
    /// Array shape (empty for a 0-d array).
    pub shape: Vec<usize>,
    /// Bytes taken by magic, version, length field and header text.
    pub header_bytes: usize,
}

fn bad(path: &Path, entry: &str, reason: impl Into<String>) -> DataError {
    DataError::BadNpz {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

/// Value of `'key': value` in a numpy header dict, up to the next top-level comma/brace.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pattern_a = format!("'{key}':");
    let pattern_b = format!("\"{key}\":");
    let start = header
        .find(&pattern_a)
        .map(|i| i + pattern_a.len())
        .or_else(|| header.find(&pattern_b).map(|i| i + pattern_b.len()))?;
    let rest = header[start..].trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else if let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
        rest[1..].find(q)? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Read and parse an `.npy` header from `reader`.
pub(crate) fn read_npy_header(
    reader: &mut impl Read,
    path: &Path,
    entry: &str,
) -> DataResult<NpyHeader> {
    let mut fixed = [0u8; 8];
    reader
        .read_exact(&mut fixed)
        .map_err(|e| bad(path, entry, format!("truncated .npy header: {e}")))?;
    if &fixed[..6] != NPY_MAGIC {
        return Err(bad(path, entry, "not an .npy entry (bad magic)"));
    }
    let (len, prefix) = match fixed[6] {
        1 => {
            let mut b = [0u8; 2];
            reader
                .read_exact(&mut b)
                .map_err(|e| bad(path, entry, format!("truncated .npy header: {e}")))?;
            (u16::from_le_bytes(b) as usize, 10)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            reader
                .read_exact(&mut b)
                .map_err(|e| bad(path, entry, format!("truncated .npy header: {e}")))?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        v => return Err(bad(path, entry, format!("unsupported .npy version {v}"))),
    };
    if len > MAX_HEADER_LEN {
        return Err(bad(path, entry, format!(".npy header of {len} bytes")));
    }
    let mut text = vec![0u8; len];
    reader
        .read_exact(&mut text)
        .map_err(|e| bad(path, entry, format!("truncated .npy header: {e}")))?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let descr_raw = dict_value(&text, "descr")
        .ok_or_else(|| bad(path, entry, format!("no 'descr' in header {text:?}")))?;
    let dtype = if descr_raw.starts_with('[') || !descr_raw.starts_with(['\'', '"']) {
        // Structured dtypes ('[(...)]') may embed objects; never read them.
        if text.contains("'O") || text.contains("|O") {
            NpyDtype::Object
        } else {
            NpyDtype::Other(descr_raw.to_string())
        }
    } else {
        NpyDtype::parse(descr_raw.trim_matches(['\'', '"']))
    };
    let fortran_order = dict_value(&text, "fortran_order")
        .map(|v| v.starts_with("True"))
        .unwrap_or(false);
    let shape_text = dict_value(&text, "shape")
        .ok_or_else(|| bad(path, entry, format!("no 'shape' in header {text:?}")))?;
    let shape = shape_text
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad(path, entry, format!("bad shape {shape_text}")))?;
    Ok(NpyHeader {
        dtype,
        fortran_order,
        shape,
        header_bytes: prefix + len,
    })
}

/// Serialise an `.npy` (version 1.0) header for `descr` and `shape`, 64-byte aligned.
pub(crate) fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// An NPZ archive opened for reading, its entries' headers already checked.
pub struct NpzReader {
    path: PathBuf,
    archive: ZipArchive<BufReader<File>>,
    headers: BTreeMap<String, NpyHeader>,
}

impl NpzReader {
    /// Open `path`, read every entry's header and refuse object arrays.
    pub fn open(path: &Path) -> DataResult<Self> {
        let file = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                DataError::FileNotFound {
                    path: path.to_path_buf(),
                }
            } else {
                DataError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        let mut archive = ZipArchive::new(BufReader::new(file)).map_err(|e| {
            bad(
                path,
                "<archive>",
                format!("not a readable zip archive: {e}"),
            )
        })?;
        let mut headers = BTreeMap::new();
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .map_err(|e| bad(path, &format!("#{i}"), e.to_string()))?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_string();
            let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
            let header = read_npy_header(&mut entry, path, &name)?;
            if header.dtype == NpyDtype::Object {
                return Err(DataError::NpzObjectArray {
                    path: path.to_path_buf(),
                    entry: key,
                });
            }
            let item = header.dtype.item_size();
            let expected = item.and_then(|s| {
                header
                    .shape
                    .iter()
                    .try_fold(s as u64, |acc, &d| acc.checked_mul(d as u64))
            });
            if let Some(data_bytes) = expected
                && entry.size() != header.header_bytes as u64 + data_bytes
            {
                return Err(bad(
                    path,
                    &key,
                    format!(
                        "declared size {} bytes does not match shape {:?} ({} data bytes)",
                        entry.size(),
                        header.shape,
                        data_bytes
                    ),
                ));
            }
            headers.insert(key, header);
        }
        Ok(Self {
            path: path.to_path_buf(),
            archive,
            headers,
        })
    }

    /// Path of the archive.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Array names (entry names without `.npy`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.headers.keys().map(String::as_str)
    }

    /// Header of array `name`, if present.
    pub fn header(&self, name: &str) -> Option<&NpyHeader> {
        self.headers.get(name)
    }

    fn require(&self, name: &str) -> DataResult<NpyHeader> {
        self.headers
            .get(name)
            .cloned()
            .ok_or_else(|| DataError::NpzMissingArray {
                path: self.path.clone(),
                entry: name.to_string(),
            })
    }

    fn open_entry(&mut self, name: &str) -> DataResult<zip::read::ZipFile<'_, BufReader<File>>> {
        let path = self.path.clone();
        let entry_name = format!("{name}.npy");
        let found = self
            .archive
            .index_for_name(&entry_name)
            .or_else(|| self.archive.index_for_name(name));
        let index = found.ok_or_else(|| DataError::NpzMissingArray {
            path: path.clone(),
            entry: name.to_string(),
        })?;
        self.archive
            .by_index(index)
            .map_err(|e| bad(&path, name, e.to_string()))
    }

    /// Read numeric array `name` as f64 (floats widened, integers converted).
    pub fn read_f64(&mut self, name: &str) -> DataResult<ArrayD<f64>> {
        let header = self.require(name)?;
        let path = self.path.clone();
        let count = header
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad(&path, name, "shape overflows"))?;
        let decode: fn(&[u8]) -> f64 = match header.dtype {
            NpyDtype::Float {
                size: 8,
                little_endian: true,
            } => |b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
            NpyDtype::Float {
                size: 8,
                little_endian: false,
            } => |b| f64::from_be_bytes(b.try_into().unwrap_or([0; 8])),
            NpyDtype::Float {
                size: 4,
                little_endian: true,
            } => |b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as f64,
            NpyDtype::Float {
                size: 4,
                little_endian: false,
            } => |b| f32::from_be_bytes(b.try_into().unwrap_or([0; 4])) as f64,
            NpyDtype::Int {
                size: 8,
                signed: true,
                little_endian: true,
            } => |b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f64,
            NpyDtype::Int {
                size: 4,
                signed: true,
                little_endian: true,
            } => |b| i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as f64,
            ref other => {
                return Err(bad(
                    &path,
                    name,
                    format!("unsupported dtype {other:?} (expected float)"),
                ));
            }
        };
        let item = header.dtype.item_size().unwrap_or(8);
        let mut values: Vec<f64> = Vec::new();
        values
            .try_reserve_exact(count)
            .map_err(|_| bad(&path, name, format!("cannot allocate {count} values")))?;
        let mut entry = self.open_entry(name)?;
        let mut skip = vec![0u8; header.header_bytes];
        entry
            .read_exact(&mut skip)
            .map_err(|e| bad(&path, name, e.to_string()))?;
        let per_block = (DECODE_BLOCK / item).max(1);
        let mut buf = vec![0u8; per_block * item];
        let mut remaining = count;
        while remaining > 0 {
            let n = remaining.min(per_block);
            let bytes = &mut buf[..n * item];
            entry
                .read_exact(bytes)
                .map_err(|e| bad(&path, name, format!("truncated data: {e}")))?;
            values.extend(bytes.chunks_exact(item).map(decode));
            remaining -= n;
        }
        // Reading to the end lets the zip reader verify the CRC.
        let mut tail = Vec::new();
        entry
            .read_to_end(&mut tail)
            .map_err(|e| bad(&path, name, format!("corrupt entry: {e}")))?;
        if !tail.is_empty() {
            return Err(bad(&path, name, "trailing bytes after the array data"));
        }
        let array = if header.fortran_order && header.shape.len() > 1 {
            ArrayD::from_shape_vec(IxDyn(&header.shape).f(), values)
                .map(|a| a.as_standard_layout().into_owned())
        } else {
            ArrayD::from_shape_vec(IxDyn(&header.shape), values)
        };
        array.map_err(|e| bad(&path, name, e.to_string()))
    }

    /// Read a 0-d (or single-element) unicode array `name` as a String.
    pub fn read_unicode_scalar(&mut self, name: &str) -> DataResult<String> {
        let header = self.require(name)?;
        let path = self.path.clone();
        let NpyDtype::Unicode {
            chars,
            little_endian,
        } = header.dtype
        else {
            return Err(bad(
                &path,
                name,
                format!("expected a unicode string, found {:?}", header.dtype),
            ));
        };
        if header.shape.iter().product::<usize>() != 1 {
            return Err(bad(
                &path,
                name,
                format!("expected a scalar string, shape {:?}", header.shape),
            ));
        }
        let mut entry = self.open_entry(name)?;
        let mut raw = Vec::new();
        entry
            .read_to_end(&mut raw)
            .map_err(|e| bad(&path, name, format!("corrupt entry: {e}")))?;
        let data = raw
            .get(header.header_bytes..header.header_bytes + chars * 4)
            .ok_or_else(|| bad(&path, name, "truncated string data"))?;
        let mut text = String::with_capacity(chars);
        for unit in data.chunks_exact(4) {
            let arr: [u8; 4] = unit.try_into().unwrap_or([0; 4]);
            let code = if little_endian {
                u32::from_le_bytes(arr)
            } else {
                u32::from_be_bytes(arr)
            };
            if code == 0 {
                break;
            }
            text.push(
                char::from_u32(code)
                    .ok_or_else(|| bad(&path, name, "invalid UTF-32 code point"))?,
            );
        }
        Ok(text)
    }
}

/// An NPZ archive being written (entries `<name>.npy`, zip64-capable).
pub struct NpzWriter {
    path: PathBuf,
    zip: ZipWriter<BufWriter<File>>,
    options: SimpleFileOptions,
}

impl NpzWriter {
    /// Create `path`; `compress` selects DEFLATE (like `savez_compressed`) or STORED.
    pub fn create(path: &Path, compress: bool) -> DataResult<Self> {
        let file = File::create(path).map_err(|e| DataError::CacheWrite {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let options = if compress {
            SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(1))
        } else {
            SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
        };
        Ok(Self {
            path: path.to_path_buf(),
            zip: ZipWriter::new(BufWriter::with_capacity(1 << 20, file)),
            options: options.large_file(true),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> DataError {
        DataError::CacheWrite {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Add a little-endian float64 array of `shape` holding `values` (row-major).
    pub fn add_f64<'a>(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = &'a f64>,
    ) -> DataResult<()> {
        self.zip
            .start_file(format!("{name}.npy"), self.options)
            .map_err(|e| self.err(e))?;
        let header = npy_header("<f8", shape);
        self.zip.write_all(&header).map_err(|e| self.err(e))?;
        let mut block = Vec::with_capacity(DECODE_BLOCK);
        for v in values {
            block.extend_from_slice(&v.to_le_bytes());
            if block.len() >= DECODE_BLOCK {
                self.zip.write_all(&block).map_err(|e| self.err(e))?;
                block.clear();
            }
        }
        self.zip.write_all(&block).map_err(|e| self.err(e))
    }

    /// Add a float64 array of `shape` from values given by value (computed on the fly).
    pub fn add_f64_values(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = f64>,
    ) -> DataResult<()> {
        self.add_le(name, "<f8", shape, values.into_iter().map(f64::to_le_bytes))
    }

    /// Add a float32 array of `shape` (values rounded from f64 to the nearest f32).
    pub fn add_f32_values(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = f64>,
    ) -> DataResult<()> {
        self.add_le(
            name,
            "<f4",
            shape,
            values.into_iter().map(|v| (v as f32).to_le_bytes()),
        )
    }

    fn add_le<const N: usize>(
        &mut self,
        name: &str,
        descr: &str,
        shape: &[usize],
        values: impl Iterator<Item = [u8; N]>,
    ) -> DataResult<()> {
        self.zip
            .start_file(format!("{name}.npy"), self.options)
            .map_err(|e| self.err(e))?;
        let header = npy_header(descr, shape);
        self.zip.write_all(&header).map_err(|e| self.err(e))?;
        let mut block = Vec::with_capacity(DECODE_BLOCK);
        for v in values {
            block.extend_from_slice(&v);
            if block.len() >= DECODE_BLOCK {
                self.zip.write_all(&block).map_err(|e| self.err(e))?;
                block.clear();
            }
        }
        self.zip.write_all(&block).map_err(|e| self.err(e))
    }

    /// Add a 0-d unicode (`<U n`) array holding `text`.
    pub fn add_unicode_scalar(&mut self, name: &str, text: &str) -> DataResult<()> {
        let chars: Vec<char> = text.chars().collect();
        let width = chars.len().max(1);
        self.zip
            .start_file(format!("{name}.npy"), self.options)
            .map_err(|e| self.err(e))?;
        let mut bytes = npy_header(&format!("<U{width}"), &[]);
        for c in &chars {
            bytes.extend_from_slice(&(*c as u32).to_le_bytes());
        }
        if chars.is_empty() {
            bytes.extend_from_slice(&[0; 4]);
        }
        self.zip.write_all(&bytes).map_err(|e| self.err(e))
    }

    /// Finish the archive and flush it to disk.
    pub fn finish(self) -> DataResult<()> {
        let path = self.path.clone();
        let err = |e: String| DataError::CacheWrite {
            path: path.clone(),
            reason: e,
        };
        let writer = self.zip.finish().map_err(|e| err(e.to_string()))?;
        let file = writer.into_inner().map_err(|e| err(e.to_string()))?;
        file.sync_all().map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_parses_back() {
        for shape in [vec![], vec![5], vec![2, 3, 4]] {
            let h = npy_header("<f8", &shape);
            assert_eq!(h.len() % 64, 0);
            let parsed = read_npy_header(&mut &h[..], Path::new("x"), "a").unwrap();
            assert_eq!(parsed.shape, shape);
            assert_eq!(
                parsed.dtype,
                NpyDtype::Float {
                    size: 8,
                    little_endian: true
                }
            );
            assert_eq!(parsed.header_bytes, h.len());
        }
    }

    #[test]
    fn object_descr_is_detected() {
        assert_eq!(NpyDtype::parse("|O"), NpyDtype::Object);
        assert_eq!(
            NpyDtype::parse("<U12"),
            NpyDtype::Unicode {
                chars: 12,
                little_endian: true
            }
        );
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        for compress in [true, false] {
            let mut w = NpzWriter::create(&p, compress).unwrap();
            w.add_f64("x", &[2, 2], &[1.0, 2.0, 3.0, 4.5]).unwrap();
            w.add_unicode_scalar("meta", "{\"é\": 1}").unwrap();
            w.finish().unwrap();
            let mut r = NpzReader::open(&p).unwrap();
            let x = r.read_f64("x").unwrap();
            assert_eq!(x.shape(), &[2, 2]);
            assert_eq!(
                x.iter().copied().collect::<Vec<_>>(),
                vec![1.0, 2.0, 3.0, 4.5]
            );
            assert_eq!(r.read_unicode_scalar("meta").unwrap(), "{\"é\": 1}");
            assert!(matches!(
                r.read_f64("nope"),
                Err(DataError::NpzMissingArray { .. })
            ));
        }
    }
}
