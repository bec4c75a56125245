//! The loading pipeline: options in, [`XpcsData`] out, steps in the reference's order: an
//! `.npz` data file is read directly; otherwise a valid cache is used, or the HDF5 file is
//! read (only the selected matrices) and the cache written; then the mandatory 'basic'
//! diagonal correction; then phi normalisation/filtering.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::angles::PhiFilterOptions;
use crate::aps_old;
use crate::aps_u;
use crate::cache::{
    CacheExpectation, CacheOptions, cache_file_path, read_cache, read_npz_contents, write_cache,
};
use crate::data::{C2Stack, SourceInfo, SourceKind, XpcsData, apply_phi_filtering};
use crate::error::{DataError, DataResult, fmt_sig};
use crate::frames::{resolve_frames, time_array};
use crate::half_matrix::read_window_stack;
use crate::hdf5_io::H5Source;
use crate::layout::{LabelledMatrix, Layout, detect_layout};
use crate::selection::{
    DataFilterOptions, check_requested_q, data_filter_indices, intersect, q_within,
    select_q_aps_old, select_q_aps_u,
};

/// Everything the loader needs, filled by the CLI from the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// HDF5 (`.h5`/`.hdf`/…) or `.npz` data file.
    pub data_path: PathBuf,
    /// First frame, 1-based inclusive (values < 1 are clamped to 1).
    pub start_frame: i64,
    /// Last frame, 1-based inclusive; −1 (any negative) = last frame.
    pub end_frame: i64,
    /// Frame time (s), > 0.
    pub dt: f64,
    /// Target wavevector (Å⁻¹): the ring closest to it is loaded, provided it lies within
    /// `q_tolerance_fraction · wavevector_q`; otherwise loading fails with
    /// [`DataError::QNotInFile`] listing the file's rings.
    pub wavevector_q: f64,
    /// How far (as a fraction of `wavevector_q`) the loaded ring may lie from the requested
    /// q (default 0.1 = 10 %); also the APS-old rule's width: pairs within this fraction
    /// of the selected q are kept.
    pub q_tolerance_fraction: f64,
    /// Loader `data_filtering` (off by default).
    pub data_filtering: DataFilterOptions,
    /// CLI `phi_filtering` applied after loading.
    pub phi_filtering: PhiFilterOptions,
    /// Cache settings; `None` disables caching.
    pub cache: Option<CacheOptions>,
    /// float32 HDF5 matrices are kept as float32 ([`crate::C2Stack::F32`]: half the
    /// memory, values widened exactly wherever they are read) when the selected stack holds
    /// at least this many values; smaller stacks are widened to f64 as the reference does.
    /// Default [`FLOAT32_MIN_VALUES`] (16 M values: 64 MB as float32).
    #[serde(default = "default_float32_min_values")]
    pub float32_min_values: usize,
}

/// Default of [`LoadOptions::float32_min_values`]: 2^24 values (64 MB as float32).
pub const FLOAT32_MIN_VALUES: usize = 1 << 24;

fn default_float32_min_values() -> usize {
    FLOAT32_MIN_VALUES
}

impl LoadOptions {
    /// Options with the reference's defaults for everything but the file.
    pub fn new(data_path: impl Into<PathBuf>) -> Self {
        Self {
            data_path: data_path.into(),
            start_frame: 1,
            end_frame: -1,
            dt: 0.1,
            wavevector_q: 0.0054,
            q_tolerance_fraction: 0.1,
            data_filtering: DataFilterOptions::default(),
            phi_filtering: PhiFilterOptions::default(),
            cache: None,
            float32_min_values: FLOAT32_MIN_VALUES,
        }
    }

    fn validate(&self) -> DataResult<()> {
        let invalid = |option: &str, reason: String| DataError::InvalidOption {
            option: option.into(),
            reason,
        };
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(invalid(
                "dt",
                format!("must be a positive number, got {}", self.dt),
            ));
        }
        if !(self.wavevector_q.is_finite() && self.wavevector_q > 0.0) {
            return Err(invalid(
                "wavevector_q",
                format!("must be a positive wavevector, got {}", self.wavevector_q),
            ));
        }
        if !(self.q_tolerance_fraction.is_finite() && self.q_tolerance_fraction >= 0.0) {
            return Err(invalid(
                "q_tolerance_fraction",
                format!("must be >= 0, got {}", self.q_tolerance_fraction),
            ));
        }
        Ok(())
    }

    /// Fingerprint of the options that decide which pairs are selected.
    fn selection_key(&self) -> String {
        serde_json::json!({
            "q_tolerance_fraction": self.q_tolerance_fraction,
            "data_filtering": self.data_filtering,
        })
        .to_string()
    }
}

/// Whether `path` names an `.npz` file.
pub(crate) fn is_npz_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"))
}

/// Full pipeline: read (cache / NPZ / HDF5), apply the mandatory 'basic' diagonal
/// correction, normalise phi to (−180, 180] and apply `phi_filtering`.
pub fn load_xpcs_data(opts: &LoadOptions) -> DataResult<XpcsData> {
    let mut data = load_uncorrected(opts)?;
    apply_diagonal_correction(&mut data);
    apply_phi_filtering(data, &opts.phi_filtering)
}

/// The mandatory 'basic' diagonal correction (model crate), angles in parallel. float32
/// stacks are corrected in place: the same f64 arithmetic, each new diagonal value
/// rounded to float32 once.
pub fn apply_diagonal_correction(data: &mut XpcsData) {
    if !data.source.diagonal_corrected {
        match &mut data.c2_exp {
            C2Stack::F64(a) => homodyne_model::diagonal::correct_basic_batch(a.view_mut()),
            C2Stack::F32(a) => {
                use rayon::prelude::*;
                a.outer_iter_mut()
                    .into_par_iter()
                    .for_each(correct_basic_f32);
            }
        }
        data.source.diagonal_corrected = true;
    }
}

/// [`homodyne_model::diagonal::correct_basic`] on a float32 matrix: the side values
/// `0.5 (c[i, i+1] + c[i+1, i])` and their neighbour means in f64, stored as f32.
fn correct_basic_f32(mut m: ndarray::ArrayViewMut2<f32>) {
    let n = m.nrows();
    if n < 2 || m.ncols() != n {
        return;
    }
    let side: Vec<f64> = (0..n - 1)
        .map(|i| 0.5 * (f64::from(m[[i, i + 1]]) + f64::from(m[[i + 1, i]])))
        .collect();
    for i in 0..n {
        let d = if i == 0 {
            side[0]
        } else if i == n - 1 {
            side[n - 2]
        } else {
            0.5 * (side[i - 1] + side[i])
        };
        m[[i, i]] = d as f32;
    }
}

/// Read the data without diagonal correction or phi filtering, going through the cache
/// when one is configured (a stale, foreign or unreadable cache is rebuilt with a warning).
pub fn load_uncorrected(opts: &LoadOptions) -> DataResult<XpcsData> {
    opts.validate()?;
    if is_npz_path(&opts.data_path) {
        let data = read_npz_data(&opts.data_path, opts.dt)?;
        let q = data.wavevector_q_list.to_vec();
        if !q.is_empty() {
            check_requested_q(
                &opts.data_path,
                &q,
                opts.wavevector_q,
                opts.q_tolerance_fraction,
            )?;
        }
        return Ok(data);
    }
    let Some(cache) = &opts.cache else {
        return read_hdf5(opts);
    };
    let cache_path = cache_file_path(cache, opts.wavevector_q, opts.start_frame, opts.end_frame)?;
    let expect = cache_expectation(opts);
    if cache_path.exists() {
        match read_cache(&cache_path, &expect, &opts.data_path) {
            Ok(Ok(data)) if q_within(data.q(), opts.wavevector_q, opts.q_tolerance_fraction) => {
                tracing::info!(cache = %cache_path.display(), "loaded cached data");
                return Ok(data);
            }
            Ok(Ok(data)) => tracing::warn!(
                cache = %cache_path.display(),
                "stale cache (it holds q = {}, not within q_tolerance_fraction of the requested \
                 {}): rebuilding from the data file",
                data.q(),
                opts.wavevector_q
            ),
            Ok(Err(reason)) => tracing::warn!(
                cache = %cache_path.display(),
                "stale cache ({reason}): rebuilding from the data file"
            ),
            Err(e) => tracing::warn!(
                cache = %cache_path.display(),
                "unreadable cache ({e}): rebuilding from the data file"
            ),
        }
    }
    let mut data = read_hdf5(opts)?;
    let meta = expect.metadata_for(&data);
    match write_cache(&cache_path, &data, &meta, cache.compression) {
        Ok(()) => data.source.cache_path = Some(cache_path),
        Err(e) => tracing::warn!("cache not written: {e}"),
    }
    Ok(data)
}

fn cache_expectation(opts: &LoadOptions) -> CacheExpectation {
    let size = std::fs::metadata(&opts.data_path).ok().map(|m| m.len());
    CacheExpectation {
        config_wavevector_q: opts.wavevector_q,
        start_frame: opts.start_frame,
        end_frame: opts.end_frame,
        dt: opts.dt,
        source_file: opts
            .data_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source_size_bytes: size,
        selection_key: opts.selection_key(),
    }
}

/// Read an `.npz` data file holding the cache schema (metadata optional). Arrays are used
/// as stored (no frame slicing); a time axis whose spacing disagrees with `dt` is warned about.
pub(crate) fn read_npz_data(path: &Path, dt: f64) -> DataResult<XpcsData> {
    let c = read_npz_contents(path, false)?;
    if c.t1.len() >= 2 {
        let spacing = c.t1[1] - c.t1[0];
        if ((spacing - dt) / dt).abs() > 1e-9 {
            tracing::warn!(file = %path.display(), spacing, dt, "t1 spacing differs from dt");
        }
    }
    Ok(XpcsData {
        wavevector_q_list: c.wavevector_q_list,
        phi_angles_list: c.phi_angles_list,
        t1: c.t1,
        t2: c.t2,
        c2_exp: C2Stack::F64(c.c2_exp),
        dt,
        source: SourceInfo {
            data_path: path.to_path_buf(),
            kind: SourceKind::NpzData,
            cache_path: None,
            datasets: Vec::new(),
            frames: None,
            n_frames_in_file: None,
            diagonal_corrected: false,
            phi_normalized: false,
            damage: Vec::new(),
        },
    })
}

/// Damage of the file outside the loaded matrices, each message also logged as a
/// warning: truncation (the superblock's end of file lies past the file's end), and every
/// other labelled matrix whose object header cannot be read — or, in a truncated file,
/// whose values cannot be read (only then are they read: it costs a full pass).
fn survey_damage(
    src: &H5Source,
    pairs: &[LabelledMatrix],
    selected: &[usize],
    truncated: Option<(u64, u64)>,
) -> Vec<String> {
    use rayon::prelude::*;

    let mut damage = Vec::new();
    if let Some((actual, expected)) = truncated {
        damage.push(format!(
            "{}: the file is truncated ({actual} of {expected} bytes present); the selected \
             matrices were read completely, data stored past byte {actual} cannot be read",
            src.path.display()
        ));
    }
    let unused: Vec<usize> = (0..pairs.len()).filter(|i| !selected.contains(i)).collect();
    let found: Vec<String> = unused
        .par_iter()
        .filter_map(|&i| {
            let p = &pairs[i];
            src.damage_of(&p.dataset, truncated.is_some()).map(|reason| {
                format!(
                    "{}: matrix '{}' (q = {}, phi = {}; not used by this run) is damaged: {reason}",
                    src.path.display(),
                    p.dataset,
                    fmt_sig(p.q),
                    fmt_sig(p.phi)
                )
            })
        })
        .collect();
    damage.extend(found);
    for message in &damage {
        tracing::warn!("{message}");
    }
    damage
}

/// Number of frames of the data file's matrices (HDF5: the side of the first labelled
/// matrix; `.npz`: the length of `t1`), read without loading any matrix. What
/// `end_frame: -1` ("the last frame") resolves to.
pub fn frames_in_file(path: &Path) -> DataResult<usize> {
    if is_npz_path(path) {
        let reader = crate::npz::NpzReader::open(path)?;
        return match reader.header("t1").map(|h| h.shape.as_slice()) {
            Some([n]) => Ok(*n),
            Some(shape) => Err(DataError::BadNpz {
                path: path.to_path_buf(),
                entry: "t1".into(),
                reason: format!("expected a 1-D array, got shape {shape:?}"),
            }),
            None => Err(DataError::NpzMissingArray {
                path: path.to_path_buf(),
                entry: "t1".into(),
            }),
        };
    }
    let src = H5Source::open(path)?;
    let layout = detect_layout(&src)?;
    let pairs = labelled_matrices(&src, layout)?;
    let first = &pairs[0].dataset;
    let ds = src.dataset(first)?;
    crate::half_matrix::square_size(&src, first, &ds)
}

/// Every correlation matrix of an HDF5 file of the given `layout` with its (q, phi) label,
/// in stored key order. APS-U: the i-th sorted `c2_*` key belongs to the i-th entry of
/// `processed_bins`, placed on the q/phi grid through `dynamic_index_mapping` when present
/// (bins outside the grid are skipped with a warning). APS-old: `dqlist`/`dphilist` label
/// the `C2T_all` matrices by position.
pub fn labelled_matrices(src: &H5Source, layout: Layout) -> DataResult<Vec<LabelledMatrix>> {
    match layout {
        Layout::ApsU => aps_u::labelled_matrices(src),
        Layout::ApsOld => aps_old::labelled_matrices(src),
    }
}

/// Read an HDF5 file: detect the layout, label every matrix, select by q and
/// `data_filtering`, then read and rebuild only the selected matrices on the frame window.
pub fn read_hdf5(opts: &LoadOptions) -> DataResult<XpcsData> {
    opts.validate()?;
    let src = H5Source::open(&opts.data_path)?;
    let layout = detect_layout(&src)?;
    let pairs = labelled_matrices(&src, layout)?;
    let q: Vec<f64> = pairs.iter().map(|p| p.q).collect();
    let phi: Vec<f64> = pairs.iter().map(|p| p.phi).collect();
    check_requested_q(&src.path, &q, opts.wavevector_q, opts.q_tolerance_fraction)?;
    let by_q = match layout {
        Layout::ApsU => select_q_aps_u(&q, opts.wavevector_q),
        Layout::ApsOld => select_q_aps_old(&q, opts.wavevector_q, opts.q_tolerance_fraction),
    };
    let filtered = data_filter_indices(&q, &phi, &opts.data_filtering);
    let selected = intersect(&by_q, filtered.as_deref());
    if selected.is_empty() {
        let q_sel = by_q.first().map(|&i| q[i]).unwrap_or(f64::NAN);
        return Err(DataError::EmptySelection {
            path: src.path.clone(),
            reason: format!(
                "data_filtering keeps none of the {} pairs at the selected q = {q_sel}",
                by_q.len()
            ),
        });
    }
    if let Some(&i) = selected.iter().find(|&&i| !phi[i].is_finite()) {
        return Err(DataError::BadLabels {
            path: src.path.clone(),
            dataset: layout.phi_labels().to_string(),
            reason: format!(
                "the angle of matrix '{}' is phi = {} (not finite)",
                pairs[i].dataset, phi[i]
            ),
        });
    }
    tracing::info!(
        file = %src.path.display(),
        layout = layout.name(),
        q = q[selected[0]],
        n_selected = selected.len(),
        n_pairs = pairs.len(),
        "selected (q, phi) pairs"
    );
    let names: Vec<String> = selected.iter().map(|&i| pairs[i].dataset.clone()).collect();
    let truncated = src.truncation();
    let (c2_exp, window, n_frames) =
        read_window_stack(&src, &names, opts.float32_min_values, |n| {
            resolve_frames(opts.start_frame, opts.end_frame, n, &src.path)
        })
        .map_err(|e| match (e, truncated) {
            (
                DataError::Hdf5Read {
                    path,
                    dataset,
                    reason,
                },
                Some((actual, expected)),
            ) => DataError::Hdf5Read {
                path,
                dataset,
                reason: format!(
                    "{reason} (the file is truncated: {actual} of {expected} bytes are present)"
                ),
            },
            (e, _) => e,
        })?;
    let damage = survey_damage(&src, &pairs, &selected, truncated);
    let t = time_array(window.len(), opts.dt);
    Ok(XpcsData {
        wavevector_q_list: selected.iter().map(|&i| q[i]).collect(),
        phi_angles_list: selected.iter().map(|&i| phi[i]).collect(),
        t1: t.clone(),
        t2: t,
        c2_exp,
        dt: opts.dt,
        source: SourceInfo {
            data_path: opts.data_path.clone(),
            kind: SourceKind::Hdf5(layout),
            cache_path: None,
            datasets: names,
            frames: Some(window),
            n_frames_in_file: Some(n_frames),
            diagonal_corrected: false,
            phi_normalized: false,
            damage,
        },
    })
}
