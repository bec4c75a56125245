//! APS-U layout: labels every matrix of `xpcs/twotime/correlation_map`.
//!
//! The i-th alphabetically sorted `c2_*` key belongs to the i-th entry of
//! `processed_bins` (1-based bin ids; the key's number is a position, not a bin id). When
//! `xpcs/qmap/dynamic_index_mapping` exists, bin b is the natural index
//! `mapping[b−1] = q_idx·n_phi + phi_idx`; without it, the natural index is `b − 1`.
//! The mapping matters because the correlator's bin ids skip empty (q, phi) cells: once a
//! cell is empty, bin b is no longer grid cell b − 1. The reference ignores the mapping
//! and so mislabels the data of such files.

use crate::error::{DataError, DataResult};
use crate::hdf5_io::H5Source;
use crate::layout::{
    APS_U_CORRELATION_MAP, APS_U_INDEX_MAPPING, APS_U_PHI_LIST, APS_U_PROCESSED_BINS, APS_U_Q_LIST,
    LabelledMatrix,
};

fn one_dimensional(src: &H5Source, name: &str) -> DataResult<Vec<f64>> {
    let (values, shape) = src.read_f64_flat(name)?;
    if values.is_empty() || shape.iter().filter(|&&d| d > 1).count() > 1 {
        return Err(DataError::BadLabels {
            path: src.path.clone(),
            dataset: name.to_string(),
            reason: format!("expected a non-empty 1-D array, shape {shape:?}"),
        });
    }
    Ok(values)
}

/// Every matrix of the file with its (q, phi) label, in key order. Bins whose index does
/// not map into the q/phi grid are skipped with a warning.
pub(crate) fn labelled_matrices(src: &H5Source) -> DataResult<Vec<LabelledMatrix>> {
    let q_list = one_dimensional(src, APS_U_Q_LIST)?;
    let phi_list = one_dimensional(src, APS_U_PHI_LIST)?;
    let bins = src.read_i64_flat(APS_U_PROCESSED_BINS)?;
    let mapping = if src.has_dataset(APS_U_INDEX_MAPPING)? {
        Some(src.read_i64_flat(APS_U_INDEX_MAPPING)?)
    } else {
        None
    };
    let keys = src.sorted_dataset_names(APS_U_CORRELATION_MAP, bins.len())?;
    if keys.is_empty() {
        return Err(DataError::NoCorrelationMatrices {
            path: src.path.clone(),
            group: APS_U_CORRELATION_MAP.to_string(),
            n_bins: bins.len(),
        });
    }
    if bins.len() != keys.len() {
        tracing::warn!(
            file = %src.path.display(),
            n_bins = bins.len(),
            n_matrices = keys.len(),
            "processed_bins and correlation_map differ in length: using the first {}",
            bins.len().min(keys.len())
        );
    }
    let (n_q, n_phi) = (q_list.len() as i64, phi_list.len() as i64);
    if mapping.is_none() {
        let complete = bins.len() as i64 == n_q * n_phi
            && bins.iter().enumerate().all(|(i, &b)| b == i as i64 + 1);
        if complete {
            tracing::warn!(
                "{}: no {APS_U_INDEX_MAPPING}: falling back to bin b = grid cell b - 1; every \
                 one of the {n_q} x {n_phi} (q, phi) cells has its bin, so the labels hold",
                src.path.display()
            );
        } else {
            tracing::warn!(
                "{}: no {APS_U_INDEX_MAPPING}: falling back to bin b = grid cell b - 1 for {} \
                 bins on a {n_q} x {n_phi} (q, phi) grid; if the correlator skipped empty cells, \
                 the q and phi labels of the matrices after the first skipped cell are wrong",
                src.path.display(),
                bins.len()
            );
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for (key, &bin) in keys.iter().zip(&bins) {
        let position = bin - 1;
        let natural = match &mapping {
            Some(map) => match usize::try_from(position).ok().and_then(|p| map.get(p)) {
                Some(&n) => n,
                None => {
                    tracing::warn!(
                        bin,
                        key,
                        "processed bin outside dynamic_index_mapping: skipped"
                    );
                    continue;
                }
            },
            None => position,
        };
        if natural < 0 || natural >= n_q * n_phi {
            tracing::warn!(
                bin,
                natural,
                key,
                n_q,
                n_phi,
                "bin outside the q/phi grid: skipped"
            );
            continue;
        }
        let (q_idx, phi_idx) = ((natural / n_phi) as usize, (natural % n_phi) as usize);
        out.push(LabelledMatrix {
            dataset: format!("{APS_U_CORRELATION_MAP}/{key}"),
            q: q_list[q_idx],
            phi: phi_list[phi_idx],
        });
    }
    if out.is_empty() {
        return Err(DataError::EmptySelection {
            path: src.path.clone(),
            reason: format!("no entry of {APS_U_PROCESSED_BINS} maps to a (q, phi) bin"),
        });
    }
    Ok(out)
}
