//! Legacy APS layout: `xpcs/dqlist` and `xpcs/dphilist` (shape (1, N), read as row 0)
//! label the matrices of `exchange/C2T_all`, paired by position in name order (h5py's
//! `group.keys()` order).

use crate::error::{DataError, DataResult};
use crate::hdf5_io::H5Source;
use crate::layout::{APS_OLD_C2_GROUP, APS_OLD_PHI_LIST, APS_OLD_Q_LIST, LabelledMatrix};

fn first_row(src: &H5Source, name: &str) -> DataResult<Vec<f64>> {
    let (values, shape) = src.read_f64_flat(name)?;
    let row = match shape.as_slice() {
        [_] => values,
        [_, n] => values.into_iter().take(*n).collect(),
        _ => {
            return Err(DataError::BadLabels {
                path: src.path.clone(),
                dataset: name.to_string(),
                reason: format!("expected shape (1, N) or (N,), got {shape:?}"),
            });
        }
    };
    if row.is_empty() {
        return Err(DataError::BadLabels {
            path: src.path.clone(),
            dataset: name.to_string(),
            reason: "empty label list".into(),
        });
    }
    Ok(row)
}

/// Every matrix of the file with its (q, phi) label, in key order.
pub(crate) fn labelled_matrices(src: &H5Source) -> DataResult<Vec<LabelledMatrix>> {
    let q = first_row(src, APS_OLD_Q_LIST)?;
    let phi = first_row(src, APS_OLD_PHI_LIST)?;
    if q.len() != phi.len() {
        return Err(DataError::BadLabels {
            path: src.path.clone(),
            dataset: APS_OLD_PHI_LIST.to_string(),
            reason: format!("{} phi values for {} q values", phi.len(), q.len()),
        });
    }
    let keys = src.sorted_dataset_names(APS_OLD_C2_GROUP, q.len())?;
    if keys.is_empty() {
        return Err(DataError::NoCorrelationMatrices {
            path: src.path.clone(),
            group: APS_OLD_C2_GROUP.to_string(),
            n_bins: q.len(),
        });
    }
    if keys.len() != q.len() {
        tracing::warn!(
            file = %src.path.display(),
            n_labels = q.len(),
            n_matrices = keys.len(),
            "dqlist and C2T_all differ in length: using the first {}",
            keys.len().min(q.len())
        );
    }
    Ok(keys
        .iter()
        .zip(q.iter().zip(&phi))
        .map(|(key, (&q, &phi))| LabelledMatrix {
            dataset: format!("{APS_OLD_C2_GROUP}/{key}"),
            q,
            phi,
        })
        .collect())
}
