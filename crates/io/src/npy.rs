//! Small NPZ archives of mixed types (float64, int64, bool, fixed-width unicode arrays),
//! built in memory and written atomically: `samples.npz` and the shard checkpoints. The
//! streaming writer of large float arrays is `homodyne_data::NpzWriter`
//! ([`crate::write_npz_with`]); this one adds the element types it lacks. Every entry is
//! a plain `.npy` (version 1.0) that `np.load` reads without `allow_pickle`.

use std::io::Write;
use std::path::Path;

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::atomic::{write_atomic, write_atomic_unrecorded};
use crate::error::{OutputError, OutputResult, io_err};

/// One entry: dtype descriptor, shape, raw little-endian data.
struct Entry {
    name: String,
    descr: String,
    shape: Vec<usize>,
    data: Vec<u8>,
}

/// An NPZ archive under construction.
#[derive(Default)]
pub(crate) struct TypedNpz {
    entries: Vec<Entry>,
}

impl TypedNpz {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, name: &str, descr: String, shape: &[usize], data: Vec<u8>) {
        self.entries.push(Entry {
            name: name.to_string(),
            descr,
            shape: shape.to_vec(),
            data,
        });
    }

    /// float64 (`<f8`) of `shape`, row-major.
    pub(crate) fn f64<'a>(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = &'a f64>,
    ) -> &mut Self {
        let data = values.into_iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, "<f8".into(), shape, data);
        self
    }

    /// int64 (`<i8`) of `shape`.
    pub(crate) fn i64(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = i64>,
    ) -> &mut Self {
        let data = values.into_iter().flat_map(|v| v.to_le_bytes()).collect();
        self.push(name, "<i8".into(), shape, data);
        self
    }

    /// bool (`|b1`) of `shape`.
    pub(crate) fn bool(
        &mut self,
        name: &str,
        shape: &[usize],
        values: impl IntoIterator<Item = bool>,
    ) -> &mut Self {
        let data = values.into_iter().map(u8::from).collect();
        self.push(name, "|b1".into(), shape, data);
        self
    }

    /// Fixed-width unicode (`<U n`, n the longest string, at least 1) of `shape`.
    pub(crate) fn strings(&mut self, name: &str, shape: &[usize], values: &[String]) -> &mut Self {
        let width = values
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut data = Vec::with_capacity(values.len() * width * 4);
        for s in values {
            let mut n = 0;
            for c in s.chars() {
                data.extend_from_slice(&u32::from(c).to_le_bytes());
                n += 1;
            }
            // numpy pads with NUL code points.
            data.extend(std::iter::repeat_n(0u8, 4 * (width - n)));
        }
        self.push(name, format!("<U{width}"), shape, data);
        self
    }

    /// A 0-d unicode string.
    pub(crate) fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.strings(name, &[], &[text.to_string()])
    }

    /// Write the archive atomically (recorded for the run in progress).
    pub(crate) fn write(&self, path: &Path, compress: bool) -> OutputResult<()> {
        write_atomic(path, |tmp| self.write_to(tmp, path, compress))
    }

    /// Write the archive atomically without recording it as a file of the run (scratch
    /// files such as checkpoints, which a finished run removes).
    pub(crate) fn write_unrecorded(&self, path: &Path, compress: bool) -> OutputResult<()> {
        write_atomic_unrecorded(path, |tmp| self.write_to(tmp, path, compress))
    }

    fn write_to(&self, tmp: &Path, path: &Path, compress: bool) -> OutputResult<()> {
        let fail = |e: String| OutputError::Format {
            path: path.to_path_buf(),
            message: e,
        };
        let file = std::fs::File::create(tmp).map_err(io_err("cannot write", tmp))?;
        let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
        let options = if compress {
            SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(1))
        } else {
            SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
        }
        .large_file(true);
        for e in &self.entries {
            let count: usize = e.shape.iter().product();
            let item = e.data.len().checked_div(count.max(1)).unwrap_or(0);
            if e.data.len() != count * item || (count > 0 && item == 0) {
                return Err(fail(format!(
                    "entry {}: {} bytes do not fill shape {:?}",
                    e.name,
                    e.data.len(),
                    e.shape
                )));
            }
            zip.start_file(format!("{}.npy", e.name), options)
                .map_err(|err| fail(err.to_string()))?;
            zip.write_all(&npy_header(&e.descr, &e.shape))
                .and_then(|()| zip.write_all(&e.data))
                .map_err(io_err("cannot write", tmp))?;
        }
        let writer = zip.finish().map_err(|err| fail(err.to_string()))?;
        let file = writer
            .into_inner()
            .map_err(|err| fail(err.error().to_string()))?;
        file.sync_all().map_err(io_err("cannot write", tmp))
    }
}

/// An `.npy` (version 1.0) header for `descr` and `shape`, padded to 64 bytes.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
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
    dict.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(b"\x93NUMPY");
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use homodyne_data::{NpyDtype, NpzReader};

    #[test]
    fn mixed_entries_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npz");
        let mut npz = TypedNpz::new();
        npz.f64("x", &[2, 2], &[1.0, -2.5, f64::NAN, 4.0])
            .i64("n", &[], [7])
            .bool("b", &[3], [true, false, true])
            .strings("names", &[2], &["D0".into(), "alphä".into()])
            .text("mode", "static");
        npz.write(&path, true).unwrap();
        let mut r = NpzReader::open(&path).unwrap();
        let x = r.read_f64("x").unwrap();
        assert_eq!(x.shape(), &[2, 2]);
        assert_eq!(x[[0, 1]], -2.5);
        assert!(x[[1, 0]].is_nan());
        assert_eq!(
            r.read_f64("n").unwrap().into_raw_vec_and_offset().0,
            vec![7.0]
        );
        assert_eq!(r.read_unicode_scalar("mode").unwrap(), "static");
        let h = r.header("names").unwrap();
        assert_eq!(
            h.dtype,
            NpyDtype::Unicode {
                chars: 5,
                little_endian: true
            }
        );
        assert_eq!(h.shape, vec![2]);
    }
}
