//! XPCS data handling for homodyne-rs: reading APS two-time correlation files (APS-U and
//! legacy layouts, float32/float64, gzip/shuffle/LZF), q and angle selection, frame
//! slicing, half-matrix reconstruction, the mandatory diagonal correction, and a
//! pickle-free NPZ cache. Knows nothing of fitting or of the YAML configuration: the CLI
//! fills a [`LoadOptions`] and calls [`load_xpcs_data`], then [`exclude_t0`] before fitting.
//!
//! Pipeline ([`load_xpcs_data`]): `.npz` data file → read as is; else a valid cache →
//! used; else HDF5 → layout detected, every matrix labelled with its (q, phi) pair (APS-U
//! through `dynamic_index_mapping`, see below), q ring and `data_filtering` chosen on
//! labels, only the selected matrices read and decompressed in parallel, rebuilt on the
//! frame window, cache written (temp file + rename); then 'basic' diagonal correction
//! (`homodyne_model::diagonal`), phi normalised to (−180, 180] and `phi_filtering` applied.
//!
//! Where this crate departs from the reference (homodyne 2.23), on purpose:
//! * APS-U bins honour `xpcs/qmap/dynamic_index_mapping`. The correlator's bin ids skip
//!   empty (q, phi) cells, so once a cell is empty, bin b is no longer grid cell b − 1; the
//!   mapping says which cell each bin is. The reference ignores it and then labels such
//!   files' matrices with the wrong q and phi.
//! * Caches record dt, the configured end frame, the source file name/size and the
//!   selection options; a cache that differs in any of them, or is corrupt, truncated,
//!   pickled or written without that provenance (e.g. by the reference), is rebuilt with a
//!   warning. The reference only warned on a q mismatch.
//! * NaN/Inf in a selected matrix window, non-square matrices and empty selections are
//!   errors, never silently propagated. APS-U with `data_filtering` leaving nothing at the
//!   selected q is an error (the reference fell back to pair 0, whatever its q).
//! * The requested q must exist: the nearest ring is loaded only when it lies within
//!   `q_tolerance_fraction` (default 0.1) of `wavevector_q`; otherwise
//!   [`DataError::QNotInFile`] names the file, the requested q and every ring of the
//!   file (the reference loaded the nearest ring, however far). The same holds for an
//!   `.npz` data file and for a cache.
//! * `phi_filtering` ranges that keep no angle are [`DataError::NoAngleInRanges`]
//!   listing the angles, unless `fallback_to_all` (the templates'
//!   `fallback_to_all_angles: true`) keeps every angle with a warning naming the ranges
//!   and angles (the reference always fell back, with a log line only).
//! * Damage is reported, not skipped over: a truncated file (its superblock's end of file
//!   lies past the file's end) and unreadable matrices of pairs that were not loaded are
//!   warnings, kept in [`SourceInfo::damage`]; damage in a loaded matrix is an error naming
//!   the dataset (and the truncation). A group that cannot be listed because one member's
//!   header is damaged is read by the correlator's names (`c2_00001`, ...) instead.
//! * A `phi_filtering` range spanning a full turn (e.g. [−180, 180]) matches every angle
//!   (normalising its bounds would turn it into [180, 180]).
//! * APS-old "10 closest q" fallback keeps the file order of those pairs.
//!
//! LZF (HDF5 filter 32000, used by the APS correlator for every two-time matrix) is
//! decoded with the `lzf` crate through `hdf5-reader`'s own filter registry; no C library
//! is involved.
//!
//! # Public API
//!
//! All modules are private; everything callers may use is re-exported here:
//!
//! * Loading: [`LoadOptions`] with its parts [`CacheOptions`], [`DataFilterOptions`]
//!   ([`ValueRange`], [`CombineCriteria`]) and [`PhiFilterOptions`] ([`PhiRange`]);
//!   [`load_xpcs_data`] (the full pipeline), and its steps [`load_uncorrected`],
//!   [`read_hdf5`] and [`apply_diagonal_correction`]; [`frames_in_file`] (what
//!   `end_frame: -1` means for a file, without loading it).
//! * The result: [`XpcsData`], its provenance [`SourceInfo`] / [`SourceKind`] /
//!   [`FrameWindow`] / [`Layout`], and what is applied before fitting: [`exclude_t0`] and
//!   [`check_plausible`] (refuses all-zero, constant, mostly non-finite matrices and those
//!   far outside [`PLAUSIBLE_C2`]; [`implausibility`] judges one matrix).
//! * Inspecting an HDF5 file: [`H5Source`], [`detect_layout`], [`labelled_matrices`]
//!   ([`LabelledMatrix`]).
//! * Files: [`write_label_lists`] (the `phi_angles_list.txt` / `wavevector_q_list.txt`
//!   the reference writes), the cache schema ([`read_npz_contents`], [`NpzContents`],
//!   [`CacheMetadata`], [`METADATA_KEY`]) and the NPZ format itself ([`NpzReader`],
//!   [`NpzWriter`], [`NpyHeader`], [`NpyDtype`]).
//! * Errors: [`DataError`], [`DataResult`].

#![deny(missing_docs)]

mod angles;
mod aps_old;
mod aps_u;
mod cache;
mod data;
mod error;
mod frames;
mod half_matrix;
mod hdf5_io;
mod label_lists;
mod layout;
mod loader;
mod lzf_filter;
mod npz;
mod sanity;
mod selection;

pub use angles::{PhiFilterOptions, PhiRange};
pub use cache::{CacheMetadata, CacheOptions, METADATA_KEY, NpzContents, read_npz_contents};
pub use data::{C2Matrix, C2Stack, SourceInfo, SourceKind, XpcsData, exclude_t0};
pub use error::{DataError, DataResult};
pub use frames::FrameWindow;
pub use hdf5_io::H5Source;
pub use label_lists::write_label_lists;
pub use layout::{LabelledMatrix, Layout, detect_layout};
pub use loader::{
    FLOAT32_MIN_VALUES, LoadOptions, apply_diagonal_correction, frames_in_file, labelled_matrices,
    load_uncorrected, load_xpcs_data, read_hdf5,
};
pub use npz::{NpyDtype, NpyHeader, NpzReader, NpzWriter};
pub use sanity::{PLAUSIBLE_C2, check_plausible, implausibility};
pub use selection::{CombineCriteria, DataFilterOptions, ValueRange};
