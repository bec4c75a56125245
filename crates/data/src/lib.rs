//! XPCS data handling for homodyne-rs: reading APS two-time correlation files (APS-U and
//! legacy layouts, float32/float64, gzip/shuffle/LZF), q and angle selection, frame
//! slicing, half-matrix reconstruction, the mandatory diagonal correction, and a
//! pickle-free NPZ cache. Knows nothing of fitting or of the YAML configuration: the CLI
//! fills a [`LoadOptions`] and calls [`load_xpcs_data`], then [`exclude_t0`] before fitting.
//!
//! Pipeline ([`load_xpcs_data`]): `.npz` data file → read as is; else a valid cache →
//! used; else HDF5 → layout detected, every matrix labelled (APS-U through
//! `dynamic_index_mapping`, DECISIONS 8), q ring and `data_filtering` chosen on labels,
//! only the selected matrices read and decompressed in parallel, rebuilt on the frame
//! window, cache written (temp file + rename); then 'basic' diagonal correction
//! (`homodyne_model::diagonal`), phi normalised to (−180, 180] and `phi_filtering` applied.
//!
//! Where this crate departs from the reference (homodyne 2.23), on purpose:
//! * APS-U bins honour `xpcs/qmap/dynamic_index_mapping` (DECISIONS 8).
//! * Caches record dt, the configured end frame, the source file name/size and the
//!   selection options; a cache that differs in any of them, or is corrupt, truncated,
//!   pickled or written without that provenance (e.g. by the reference), is rebuilt with a
//!   warning. The reference only warned on a q mismatch.
//! * NaN/Inf in a selected matrix window, non-square matrices and empty selections are
//!   errors, never silently propagated. APS-U with `data_filtering` leaving nothing at the
//!   selected q is an error (the reference fell back to pair 0, whatever its q).
//! * A `phi_filtering` range spanning a full turn (e.g. [−180, 180]) matches every angle
//!   (normalising its bounds would turn it into [180, 180]).
//! * APS-old "10 closest q" fallback keeps the file order of those pairs.
//!
//! LZF (HDF5 filter 32000) is decoded with the `lzf` crate through `hdf5-reader`'s own
//! filter registry (see [`lzf_filter`]); no C library is involved.

pub mod angles;
pub mod aps_old;
pub mod aps_u;
pub mod cache;
pub mod data;
pub mod error;
pub mod frames;
pub mod half_matrix;
pub mod hdf5_io;
pub mod label_lists;
pub mod layout;
pub mod loader;
pub mod lzf_filter;
pub mod npz;
pub mod selection;

pub use angles::{PhiFilterOptions, PhiRange, normalize_phi, phi_filter_indices};
pub use cache::{CacheMetadata, CacheOptions, cache_file_path, render_cache_filename};
pub use data::{SourceInfo, SourceKind, XpcsData, apply_phi_filtering, exclude_t0};
pub use error::{DataError, DataResult};
pub use frames::{FrameWindow, resolve_frames, time_array};
pub use label_lists::write_label_lists;
pub use layout::Layout;
pub use loader::{
    LoadOptions, apply_diagonal_correction, load_uncorrected, load_xpcs_data, read_hdf5,
    read_npz_data,
};
pub use selection::{CombineCriteria, DataFilterOptions, ValueRange};
