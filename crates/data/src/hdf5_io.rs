//! Thin layer over `hdf5-reader`: opening a file with the LZF filter registered, existence
//! checks, 1-D label reads with numeric type conversion, and member listing — each failure
//! mapped to a [`DataError`] naming the file and the dataset.

use std::path::{Path, PathBuf};

use hdf5_reader::{Datatype, Hdf5File, OpenOptions};

use crate::error::{DataError, DataResult};
use crate::lzf_filter::registry_with_lzf;

/// Largest single dataset read accepted (a 32768 x 32768 float32 matrix): a corrupt or
/// hostile shape fails with an error instead of exhausting memory.
pub(crate) const MAX_DATASET_READ_BYTES: usize = 4 << 30;

/// An open HDF5 file (read with the LZF filter available) together with its path, for
/// error messages. Pass it to `detect_layout` and `labelled_matrices` (crate root) to see
/// how a file is labelled.
pub struct H5Source {
    pub(crate) path: PathBuf,
    pub(crate) file: Hdf5File,
}

impl H5Source {
    /// Open `path`, distinguishing "missing", "not HDF5" and other failures.
    pub fn open(path: &Path) -> DataResult<Self> {
        if !path.exists() {
            return Err(DataError::FileNotFound {
                path: path.to_path_buf(),
            });
        }
        let options = OpenOptions::default()
            .with_filter_registry(registry_with_lzf())
            // Each matrix is read exactly once: a chunk cache only costs copies.
            .with_chunk_cache_bytes(0)
            .with_max_read_bytes(MAX_DATASET_READ_BYTES);
        let file = Hdf5File::open_with_options(path, options).map_err(|e| match e {
            hdf5_reader::error::Error::Io(source) => DataError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => DataError::NotHdf5 {
                path: path.to_path_buf(),
                reason: other.to_string(),
            },
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// `Some((actual, expected))` bytes when the file is shorter than its superblock's
    /// end-of-file address says (a truncated copy or an interrupted write), else `None`.
    pub(crate) fn truncation(&self) -> Option<(u64, u64)> {
        let sb = self.file.superblock();
        if sb.eof_address >= u64::MAX / 2 {
            return None;
        }
        let expected = sb.base_address.saturating_add(sb.eof_address);
        let actual = std::fs::metadata(&self.path).ok()?.len();
        (actual < expected).then_some((actual, expected))
    }

    /// Why the dataset `name` cannot be used, or `None` when it looks sound. Always opens
    /// its object header (cheap); with `read_data` also reads and decodes its values
    /// (done only for files known to be damaged, where data may lie past the cut).
    pub(crate) fn damage_of(&self, name: &str, read_data: bool) -> Option<String> {
        let ds = match self.file.dataset(name) {
            Ok(ds) => ds,
            Err(e) => return Some(e.to_string()),
        };
        if read_data && let Err(e) = ds.read_raw_bytes() {
            return Some(e.to_string());
        }
        None
    }

    /// Whether a dataset exists at `name`. A missing object is `Ok(false)`; a file that
    /// cannot be parsed on the way (truncated, corrupt) is an error naming `name`.
    pub(crate) fn has_dataset(&self, name: &str) -> DataResult<bool> {
        match self.file.dataset(name) {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(self.read_error(name, e)),
        }
    }

    /// Whether a group exists at `name` (errors as for [`H5Source::has_dataset`]).
    pub(crate) fn has_group(&self, name: &str) -> DataResult<bool> {
        match self.file.group(name) {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(self.read_error(name, e)),
        }
    }

    /// The dataset at `name`, or [`DataError::MissingDataset`].
    pub(crate) fn dataset(&self, name: &str) -> DataResult<hdf5_reader::Dataset> {
        self.file.dataset(name).map_err(|e| {
            if is_not_found(&e) {
                DataError::MissingDataset {
                    path: self.path.clone(),
                    dataset: name.to_string(),
                }
            } else {
                self.read_error(name, e)
            }
        })
    }

    /// Names of the datasets directly inside group `name`, sorted bytewise (the order
    /// h5py's `group.keys()` gives for files without creation-order tracking).
    ///
    /// Listing a group parses the header of every member, so one damaged matrix would make
    /// the whole group unreadable: then the correlator's names `c2_00001`, `c2_00002`, ...
    /// up to `expected` are looked up one by one instead (a lookup reads no other header),
    /// and every name found is returned, damaged or not (the loader reports damaged ones:
    /// a warning when unused, an error when used).
    pub(crate) fn sorted_dataset_names(
        &self,
        name: &str,
        expected: usize,
    ) -> DataResult<Vec<String>> {
        let group = self.file.group(name).map_err(|e| {
            if is_not_found(&e) {
                DataError::MissingDataset {
                    path: self.path.clone(),
                    dataset: name.to_string(),
                }
            } else {
                self.read_error(name, e)
            }
        })?;
        let (_, mut datasets) = match group.member_names() {
            Ok(names) => names,
            Err(e) => {
                let probed: Vec<String> = (1..=expected.min(1_000_000))
                    .map(|i| format!("c2_{i:05}"))
                    .filter(|n| match group.dataset(n) {
                        Ok(_) => true,
                        Err(e) => !is_not_found(&e),
                    })
                    .collect();
                if probed.is_empty() {
                    return Err(self.read_error(name, e));
                }
                tracing::warn!(
                    "{}: group '{name}' cannot be listed ({e}); matrices c2_00001.. looked up \
                     by name instead ({} found)",
                    self.path.display(),
                    probed.len()
                );
                (Vec::new(), probed)
            }
        };
        datasets.sort();
        Ok(datasets)
    }

    /// Read a numeric dataset of any integer or float type as f64, flattened, with its shape.
    pub(crate) fn read_f64_flat(&self, name: &str) -> DataResult<(Vec<f64>, Vec<usize>)> {
        let ds = self.dataset(name)?;
        let shape: Vec<usize> = ds.shape().iter().map(|&d| d as usize).collect();
        let values: Vec<f64> = match ds.dtype().clone() {
            Datatype::FloatingPoint { size: 8, .. } => self.read_vec::<f64>(&ds, name)?,
            Datatype::FloatingPoint { size: 4, .. } => {
                widen(self.read_vec::<f32>(&ds, name)?, f64::from)
            }
            Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
                (1, true) => widen(self.read_vec::<i8>(&ds, name)?, f64::from),
                (1, false) => widen(self.read_vec::<u8>(&ds, name)?, f64::from),
                (2, true) => widen(self.read_vec::<i16>(&ds, name)?, f64::from),
                (2, false) => widen(self.read_vec::<u16>(&ds, name)?, f64::from),
                (4, true) => widen(self.read_vec::<i32>(&ds, name)?, f64::from),
                (4, false) => widen(self.read_vec::<u32>(&ds, name)?, f64::from),
                (8, true) => widen(self.read_vec::<i64>(&ds, name)?, |v| v as f64),
                (8, false) => widen(self.read_vec::<u64>(&ds, name)?, |v| v as f64),
                _ => return Err(self.unsupported(name, ds.dtype())),
            },
            other => return Err(self.unsupported(name, &other)),
        };
        Ok((values, shape))
    }

    /// Read an integer-valued dataset (bins, index maps) as i64, flattened. Float storage is
    /// accepted when every value is integral.
    pub(crate) fn read_i64_flat(&self, name: &str) -> DataResult<Vec<i64>> {
        let (values, _) = self.read_f64_flat(name)?;
        values
            .into_iter()
            .map(|v| {
                if v.is_finite() && v.fract() == 0.0 {
                    Ok(v as i64)
                } else {
                    Err(DataError::BadLabels {
                        path: self.path.clone(),
                        dataset: name.to_string(),
                        reason: format!("non-integer index value {v}"),
                    })
                }
            })
            .collect()
    }

    fn read_vec<T: hdf5_reader::H5Type>(
        &self,
        ds: &hdf5_reader::Dataset,
        name: &str,
    ) -> DataResult<Vec<T>> {
        let array = ds.read_array::<T>().map_err(|e| self.read_error(name, e))?;
        Ok(array.into_iter().collect())
    }

    /// Map a reader error on `dataset` to [`DataError::Hdf5Read`].
    pub(crate) fn read_error(&self, dataset: &str, e: hdf5_reader::error::Error) -> DataError {
        DataError::Hdf5Read {
            path: self.path.clone(),
            dataset: dataset.to_string(),
            reason: e.to_string(),
        }
    }

    fn unsupported(&self, dataset: &str, dtype: &Datatype) -> DataError {
        DataError::UnsupportedDtype {
            path: self.path.clone(),
            dataset: dataset.to_string(),
            dtype: format!("{dtype:?}"),
        }
    }
}

/// Whether a reader error only says that an object is absent.
fn is_not_found(e: &hdf5_reader::error::Error) -> bool {
    use hdf5_reader::error::Error;
    match e {
        Error::GroupNotFound(_) | Error::DatasetNotFound(_) => true,
        Error::Context { source, .. } => is_not_found(source),
        _ => false,
    }
}

fn widen<T: Copy>(values: Vec<T>, f: impl Fn(T) -> f64) -> Vec<f64> {
    values.into_iter().map(f).collect()
}
