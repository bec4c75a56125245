//! XPCS data handling for homodyne-rs: reading APS two-time correlation files (APS-U and
//! legacy layouts, float32/float64, gzip/shuffle/LZF), q and angle selection, frame
//! slicing, half-matrix reconstruction, the mandatory diagonal correction, and a
//! pickle-free NPZ cache. Knows nothing of fitting or of the YAML configuration: the CLI
//! fills a [`LoadOptions`] and calls [`load_xpcs_data`].

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
