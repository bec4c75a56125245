//! A minimal Zarr v2 writer for ArviZ-loadable InferenceData stores.
//!
//! A Zarr v2 directory store is a folder per group (`.zgroup`, `.zattrs`) and per array
//! (`.zarray`, `.zattrs` with xarray's `_ARRAY_DIMENSIONS`, raw little-endian chunk files,
//! no compressor), plus a consolidated `.zmetadata` at the root. Both zarr-python
//! generations read it, hence both ArviZ generations (CMC design note §4):
//! ArviZ 1.x through `xarray.open_datatree(path, engine="zarr")` and ArviZ 0.x through
//! `az.from_zarr(path)`.
//!
//! [`InferenceData`] is the ArviZ layout (groups of variables with dims and coordinates);
//! [`StoreWriter`] the store underneath it.
//!
//! ```
//! use homodyne_zarr::{Array, InferenceData};
//! let dir = tempfile::tempdir().unwrap();
//! let mut idata = InferenceData::new();
//! idata.attr("created_by", "homodyne-rs");
//! idata
//!     .posterior()
//!     .attr("sampling_method", "nuts")
//!     .var("D0", Array::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2], &["chain", "draw"]));
//! let path = idata.write(dir.path().join("posterior.zarr")).unwrap();
//! assert!(path.join("posterior/D0/0.0").is_file());
//! assert!(path.join("posterior/chain/0").is_file()); // coordinates added for every dim
//! ```

#![deny(missing_docs)]

mod array;
mod error;
mod idata;
mod store;

pub use array::{Array, Values};
pub use error::ZarrError;
pub use idata::{Dataset, InferenceData};
pub use store::{ARRAY_DIMENSIONS, StoreWriter};

/// Attributes of a group or array: a JSON object.
pub type Attrs = serde_json::Map<String, serde_json::Value>;
