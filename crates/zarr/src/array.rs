//! Typed array contents and their Zarr v2 encoding.

use std::io::{self, Write};

use serde_json::Value;

use crate::Attrs;

/// The elements of one array, in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `<f8`.
    F64(Vec<f64>),
    /// `<f4`.
    F32(Vec<f32>),
    /// `<i8`.
    I64(Vec<i64>),
    /// `|b1` (one byte per element, 0 or 1).
    Bool(Vec<bool>),
    /// `<U{n}`: fixed-width UTF-32, `n` the longest string's length in characters.
    /// Meant for small coordinate arrays such as parameter names.
    Str(Vec<String>),
}

impl Values {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Width of a `<U` element in characters (at least 1: numpy has no `<U0` array).
    fn str_width(v: &[String]) -> usize {
        v.iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// The Zarr v2 (numpy) dtype string.
    pub fn dtype(&self) -> String {
        match self {
            Values::F64(_) => "<f8".into(),
            Values::F32(_) => "<f4".into(),
            Values::I64(_) => "<i8".into(),
            Values::Bool(_) => "|b1".into(),
            Values::Str(v) => format!("<U{}", Self::str_width(v)),
        }
    }

    /// Bytes per element.
    pub fn item_size(&self) -> usize {
        match self {
            Values::F64(_) | Values::I64(_) => 8,
            Values::F32(_) => 4,
            Values::Bool(_) => 1,
            Values::Str(v) => 4 * Self::str_width(v),
        }
    }

    /// Writes elements `start..end` as raw little-endian bytes (Zarr v2, no compressor).
    pub(crate) fn write_le(
        &self,
        start: usize,
        end: usize,
        out: &mut impl Write,
    ) -> io::Result<()> {
        match self {
            Values::F64(v) => v[start..end]
                .iter()
                .try_for_each(|x| out.write_all(&x.to_le_bytes())),
            Values::F32(v) => v[start..end]
                .iter()
                .try_for_each(|x| out.write_all(&x.to_le_bytes())),
            Values::I64(v) => v[start..end]
                .iter()
                .try_for_each(|x| out.write_all(&x.to_le_bytes())),
            Values::Bool(v) => v[start..end]
                .iter()
                .try_for_each(|&x| out.write_all(&[u8::from(x)])),
            Values::Str(v) => {
                let width = Self::str_width(v);
                v[start..end].iter().try_for_each(|s| {
                    let mut n = 0;
                    for c in s.chars() {
                        out.write_all(&u32::from(c).to_le_bytes())?;
                        n += 1;
                    }
                    // numpy pads with NUL code points.
                    (n..width).try_for_each(|_| out.write_all(&[0; 4]))
                })
            }
        }
    }
}

macro_rules! values_from {
    ($t:ty, $variant:ident) => {
        impl From<Vec<$t>> for Values {
            fn from(v: Vec<$t>) -> Self {
                Values::$variant(v)
            }
        }
        impl From<&[$t]> for Values {
            fn from(v: &[$t]) -> Self {
                Values::$variant(v.to_vec())
            }
        }
    };
}
values_from!(f64, F64);
values_from!(f32, F32);
values_from!(i64, I64);
values_from!(bool, Bool);
values_from!(String, Str);

impl From<Vec<&str>> for Values {
    fn from(v: Vec<&str>) -> Self {
        Values::Str(v.into_iter().map(str::to_owned).collect())
    }
}

impl From<&[&str]> for Values {
    fn from(v: &[&str]) -> Self {
        Values::Str(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// One array to write: values, shape, dimension names (xarray's `_ARRAY_DIMENSIONS`),
/// attributes, and optionally a chunk length along the first axis.
///
/// Construction never fails; shape, rank and names are checked when the array is written,
/// so that the error can name its place in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub(crate) values: Values,
    pub(crate) shape: Vec<usize>,
    pub(crate) dims: Vec<String>,
    pub(crate) attrs: Attrs,
    pub(crate) chunk_len: Option<usize>,
}

impl Array {
    /// An array of `shape` (C order) whose axes are named `dims`.
    pub fn new(values: impl Into<Values>, shape: &[usize], dims: &[&str]) -> Self {
        Array {
            values: values.into(),
            shape: shape.to_vec(),
            dims: dims.iter().map(|d| (*d).to_owned()).collect(),
            attrs: Attrs::new(),
            chunk_len: None,
        }
    }

    /// A one-dimensional array along `dim` (typically a coordinate).
    pub fn vector(values: impl Into<Values>, dim: &str) -> Self {
        let values = values.into();
        let n = values.len();
        Array::new(values, &[n], &[dim])
    }

    /// A zero-dimensional array holding one element.
    pub fn scalar(value: impl Into<Values>) -> Self {
        Array::new(value, &[], &[])
    }

    /// An array from an `ndarray` array (any layout; standard-layout arrays are not copied).
    pub fn from_ndarray<T, D>(a: ndarray::Array<T, D>, dims: &[&str]) -> Self
    where
        T: Clone,
        D: ndarray::Dimension,
        Vec<T>: Into<Values>,
    {
        let shape = a.shape().to_vec();
        let values: Vec<T> = if a.is_standard_layout() {
            // Contiguous C order: the elements are exactly n items from the offset on.
            let n = a.len();
            let (mut v, offset) = a.into_raw_vec_and_offset();
            let offset = offset.unwrap_or(0);
            v.truncate(offset + n);
            v.drain(..offset);
            v
        } else {
            a.iter().cloned().collect()
        };
        Array::new(values, &shape, dims)
    }

    /// Adds (or replaces) an attribute.
    pub fn with_attr(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(key.to_owned(), value.into());
        self
    }

    /// Splits the array into chunks of `len` rows along the first axis (default: one
    /// chunk). Ignored for zero-dimensional arrays; 0 is taken as 1.
    pub fn with_chunk_len(mut self, len: usize) -> Self {
        self.chunk_len = Some(len);
        self
    }

    /// The elements.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The dimension names.
    pub fn dims(&self) -> &[String] {
        &self.dims
    }

    /// The attributes (without `_ARRAY_DIMENSIONS`, which the writer adds).
    pub fn attrs(&self) -> &Attrs {
        &self.attrs
    }
}
