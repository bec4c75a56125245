//! Detection of the HDF5 layout written by the APS correlators (APS-U or the legacy APS
//! layout, told apart by the datasets and groups each must contain) and the common
//! description of what a layout offers: one labelled half matrix per (q, phi) pair.

use crate::error::{DataError, DataResult};
use crate::hdf5_io::H5Source;

/// The two supported HDF5 layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Layout {
    /// APS-U / 8-ID-I NeXus-like layout (`xpcs/qmap`, `xpcs/twotime/correlation_map`).
    ApsU,
    /// Legacy APS layout (`xpcs/dqlist`, `xpcs/dphilist`, `exchange/C2T_all`).
    ApsOld,
}

impl Layout {
    /// The dataset holding the phi labels of this layout.
    pub(crate) fn phi_labels(self) -> &'static str {
        match self {
            Layout::ApsU => APS_U_PHI_LIST,
            Layout::ApsOld => APS_OLD_PHI_LIST,
        }
    }

    /// The reference's name of the layout ("aps_u" / "aps_old").
    pub fn name(self) -> &'static str {
        match self {
            Layout::ApsU => "aps_u",
            Layout::ApsOld => "aps_old",
        }
    }
}

/// One stored correlation matrix and the (q, phi) pair it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledMatrix {
    /// Full dataset path inside the file.
    pub dataset: String,
    /// Wavevector (Å⁻¹).
    pub q: f64,
    /// Azimuthal angle as stored (degrees).
    pub phi: f64,
}

/// APS-U: q value of each q index of the grid.
pub(crate) const APS_U_Q_LIST: &str = "xpcs/qmap/dynamic_v_list_dim0";
/// APS-U: phi value of each phi index of the grid.
pub(crate) const APS_U_PHI_LIST: &str = "xpcs/qmap/dynamic_v_list_dim1";
/// APS-U (optional): grid cell (`q_idx·n_phi + phi_idx`) of each processed bin.
pub(crate) const APS_U_INDEX_MAPPING: &str = "xpcs/qmap/dynamic_index_mapping";
/// APS-U: 1-based id of the bin of each stored matrix, in key order.
pub(crate) const APS_U_PROCESSED_BINS: &str = "xpcs/twotime/processed_bins";
/// APS-U: group of the stored half matrices (`c2_*`).
pub(crate) const APS_U_CORRELATION_MAP: &str = "xpcs/twotime/correlation_map";
/// APS-old: q label of each matrix (shape (1, N)).
pub(crate) const APS_OLD_Q_LIST: &str = "xpcs/dqlist";
/// APS-old: phi label of each matrix (shape (1, N)).
pub(crate) const APS_OLD_PHI_LIST: &str = "xpcs/dphilist";
/// APS-old: group of the stored half matrices.
pub(crate) const APS_OLD_C2_GROUP: &str = "exchange/C2T_all";

/// Detect the layout: APS-U when the dynamic q list and the correlation-map group exist,
/// APS-old when dqlist, dphilist and C2T_all exist, otherwise [`DataError::UnknownLayout`].
pub fn detect_layout(src: &H5Source) -> DataResult<Layout> {
    if src.has_dataset(APS_U_Q_LIST)? && src.has_group(APS_U_CORRELATION_MAP)? {
        return Ok(Layout::ApsU);
    }
    if src.has_dataset(APS_OLD_Q_LIST)?
        && src.has_dataset(APS_OLD_PHI_LIST)?
        && src.has_group(APS_OLD_C2_GROUP)?
    {
        return Ok(Layout::ApsOld);
    }
    Err(DataError::UnknownLayout {
        path: src.path.clone(),
    })
}
