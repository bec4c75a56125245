//! Data-side sections: `experimental_data`, `phi_filtering`, `data_filtering`,
//! `quality_control` and `preprocessing`: where the data are, which angles and frames
//! are kept, and the optional quality checks and preprocessing of the loaded matrices.

use crate::choices::CombineCriteria;
use std::collections::BTreeMap;

section! {
    /// `experimental_data`: where the HDF5 file and the NPZ cache live.
    pub struct ExperimentalData {
        /// `folder/name` convenience path (read by CLI checks; the loader needs the next two).
        pub file_path: Option<String> = None,
        /// Folder of the HDF5 file.
        pub data_folder_path: Option<String> = None,
        /// File name of the HDF5 file.
        pub data_file_name: Option<String> = None,
        /// Folder for `phi_angles_list.txt`.
        pub phi_angles_path: Option<String> = None,
        /// Name of the phi angle list text file.
        pub phi_angles_file: Option<String> = None,
        /// Folder of the NPZ cache (default: the data folder).
        pub cache_file_path: Option<String> = None,
        /// Cache file name template (`${wavevector_q}`, `${start_frame}`, `${end_frame}`).
        pub cache_filename_template: String =
            "cached_c2_frames_${start_frame}_${end_frame}.npz".into(),
        /// Compress the cache (`np.savez_compressed`).
        pub cache_compression: bool = true,
        /// Documentation only.
        pub data_type: Option<String> = None,
        /// Documentation only.
        pub file_format: Option<String> = None,
        /// Documentation only.
        pub exchange_key: Option<String> = None,
        /// Built-in default config: cache directory.
        pub cache_directory: Option<String> = None,
        /// Built-in default config: caching on/off.
        pub use_caching: Option<bool> = None,
        /// Accepted for compatibility; the diagonal correction is always applied.
        pub apply_diagonal_correction: Option<bool> = None,
    }
}

impl ExperimentalData {
    /// `data_folder_path/data_file_name` when both are set, else `file_path`.
    pub fn data_file(&self) -> Option<std::path::PathBuf> {
        match (&self.data_folder_path, &self.data_file_name) {
            (Some(d), Some(n)) => Some(std::path::Path::new(d).join(n)),
            (None, Some(n)) => Some(n.into()),
            _ => self.file_path.as_ref().map(Into::into),
        }
    }

    /// Cache folder: `cache_file_path`, else the data folder, else `.`.
    pub fn cache_folder(&self) -> std::path::PathBuf {
        self.cache_file_path
            .as_deref()
            .or(self.data_folder_path.as_deref())
            .unwrap_or(".")
            .into()
    }
}

section! {
    /// One `phi_filtering.target_ranges[*]` entry (degrees; `min > max` wraps).
    pub struct AngleRange {
        /// Lower edge in degrees.
        pub min_angle: f64 = -180.0,
        /// Upper edge in degrees.
        pub max_angle: f64 = 180.0,
        /// Free-text description.
        pub description: Option<String> = None,
    }
}

section! {
    /// `phi_filtering`: the angle filter the CLI applies before every fit.
    pub struct PhiFiltering {
        /// Filter on/off.
        pub enabled: bool = false,
        /// Kept ranges; an angle is kept if it lies in any range.
        pub target_ranges: Vec<AngleRange> = Vec::new(),
        /// When no angle lies in any range: fit every angle, with a console warning
        /// naming the ranges and the angles (true, as the reference's templates set it),
        /// or refuse the data with an error listing the file's angles (false, the
        /// default when the key is absent).
        pub fallback_to_all_angles: bool = false,
        /// Template key, not read.
        pub algorithm: String = "range_based".into(),
        /// Template key, not read.
        pub tolerance: f64 = 3.0,
        /// Template keys, not read.
        pub quality_control: PhiQualityControl = PhiQualityControl::default(),
    }
}

section! {
    /// `phi_filtering.quality_control` (documentation only).
    pub struct PhiQualityControl {
        /// Not read.
        pub min_angles_required: i64 = 1,
        /// Not read.
        pub max_angle_spread: f64 = 36.0,
        /// Not read.
        pub validate_coverage: bool = true,
        /// Not read.
        pub require_orthogonal_angles: bool = true,
    }
}

section! {
    /// `{min, max}` range (inclusive; for phi `min > max` wraps).
    pub struct MinMax {
        /// Lower edge.
        pub min: Option<f64> = None,
        /// Upper edge.
        pub max: Option<f64> = None,
    }
}

section! {
    /// `data_filtering.frame_filtering`.
    pub struct FrameFiltering {
        /// Keep every `stride`-th frame.
        pub stride: i64 = 1,
    }
}

section! {
    /// `data_filtering.quality_filtering`.
    pub struct QualityFiltering {
        /// Two-pass quality read on/off.
        pub enabled: bool = false,
    }
}

section! {
    /// `data_filtering` (selection of (q, phi) matrices while loading, off by default).
    pub struct DataFiltering {
        /// Filter on/off.
        pub enabled: bool = false,
        /// Inclusive q range.
        pub q_range: Option<MinMax> = None,
        /// Inclusive phi range (degrees; wraps when `min > max`).
        pub phi_range: Option<MinMax> = None,
        /// Quality threshold.
        pub quality_threshold: Option<f64> = None,
        /// `frame_filtering.stride`.
        pub frame_filtering: FrameFiltering = FrameFiltering::default(),
        /// `quality_filtering.enabled`.
        pub quality_filtering: QualityFiltering = QualityFiltering::default(),
        /// "AND" (default) or "OR"; see [`DataFiltering::criteria`].
        pub combine_criteria: String = "AND".into(),
        /// Empty selection → all indices.
        pub fallback_on_empty: bool = true,
        /// "basic".
        pub validation_level: String = "basic".into(),
    }
}

impl DataFiltering {
    /// `combine_criteria` parsed by its owning enum (case-insensitive).
    pub fn criteria(&self) -> Result<CombineCriteria, String> {
        self.combine_criteria.parse()
    }
}

// `quality_control` and `preprocessing` are read by the quality crate (through the
// `homodyne` facade) straight from the source tree; the configuration cannot see that
// crate, so these sections declare the same keys (its serde field names) to know them,
// type-check them, and leave their defaults and the names of their choices (e.g.
// `validation_level`) to the quality crate: `None` = the quality crate's default.

section! {
    /// `quality_control.reporting`.
    pub struct QualityReporting {
        /// Build a report.
        pub generate_reports: Option<bool> = None,
        /// Write the report JSON.
        pub export_detailed_reports: Option<bool> = None,
        /// Keep the stage results in the controller's history.
        pub save_quality_history: Option<bool> = None,
    }
}

section! {
    /// `quality_control`: the quality controller's settings (quality crate
    /// `QualityControlConfig`) plus the reference template's documentation blocks.
    pub struct QualityControl {
        /// Quality control on/off.
        pub enabled: bool = false,
        /// none | basic | standard | comprehensive (quality crate `ValidationLevel`).
        pub validation_level: Option<String> = None,
        /// disabled | conservative | aggressive (quality crate `RepairStrategy`).
        pub auto_repair: Option<String> = None,
        /// Pass threshold.
        pub pass_threshold: Option<f64> = None,
        /// Warn threshold.
        pub warn_threshold: Option<f64> = None,
        /// Excellent threshold.
        pub excellent_threshold: Option<f64> = None,
        /// Validate the raw stage.
        pub enable_raw_validation: Option<bool> = None,
        /// Validate the filtered stage.
        pub enable_filtering_validation: Option<bool> = None,
        /// Validate the preprocessed stage.
        pub enable_preprocessing_validation: Option<bool> = None,
        /// Validate the final stage.
        pub enable_final_validation: Option<bool> = None,
        /// Repair NaN values.
        pub repair_nan_values: Option<bool> = None,
        /// median | interpolate | zero (quality crate `NanRepairMethod`).
        pub nan_repair_method: Option<String> = None,
        /// Cap infinite values.
        pub repair_infinite_values: Option<bool> = None,
        /// Replace negative values (aggressive only).
        pub repair_negative_correlations: Option<bool> = None,
        /// Replacement for negative values.
        pub negative_floor: Option<f64> = None,
        /// Rescale badly scaled data.
        pub repair_scaling_issues: Option<bool> = None,
        /// Accepted, no effect.
        pub repair_format_inconsistencies: Option<bool> = None,
        /// Accepted, no effect.
        pub cache_validation_results: Option<bool> = None,
        /// Accepted, no effect.
        pub incremental_validation: Option<bool> = None,
        /// Accepted, no effect.
        pub parallel_validation: Option<bool> = None,
        /// `reporting.*`.
        pub reporting: QualityReporting = QualityReporting::default(),
        /// Documentation only (reference template).
        pub angle_quality: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
        /// Documentation only (reference template).
        pub multi_angle_validation: BTreeMap<String, serde_json::Value> = BTreeMap::new(),
    }
}

section! {
    /// `preprocessing.stages.correct_diagonal`.
    pub struct DiagonalStage {
        /// Stage on/off.
        pub enabled: Option<bool> = None,
        /// basic | statistical | interpolation (quality crate).
        pub method: Option<String> = None,
        /// Window size.
        pub window_size: Option<u64> = None,
        /// median | mean | trimmed_mean (quality crate).
        pub estimator: Option<String> = None,
        /// Trim fraction.
        pub trim_fraction: Option<f64> = None,
    }
}

section! {
    /// `preprocessing.stages.normalize_data`.
    pub struct NormalizeStage {
        /// Stage on/off.
        pub enabled: Option<bool> = None,
        /// Normalisation method (quality crate).
        pub method: Option<String> = None,
        /// Percentile range `[low, high]`.
        pub percentile_range: Option<Vec<f64>> = None,
    }
}

section! {
    /// `preprocessing.stages.reduce_noise`.
    pub struct NoiseStage {
        /// Stage on/off.
        pub enabled: Option<bool> = None,
        /// none | median | gaussian (quality crate).
        pub method: Option<String> = None,
        /// Kernel size.
        pub kernel_size: Option<u64> = None,
        /// Gaussian sigma.
        pub sigma: Option<f64> = None,
        /// Gaussian truncation.
        pub truncate: Option<f64> = None,
    }
}

section! {
    /// A preprocessing stage with only a switch.
    pub struct SwitchStage {
        /// Stage on/off.
        pub enabled: Option<bool> = None,
    }
}

section! {
    /// `preprocessing.stages`.
    pub struct PreprocessingStages {
        /// Diagonal correction.
        pub correct_diagonal: DiagonalStage = DiagonalStage::default(),
        /// Normalisation.
        pub normalize_data: NormalizeStage = NormalizeStage::default(),
        /// Noise reduction.
        pub reduce_noise: NoiseStage = NoiseStage::default(),
        /// Format standardisation.
        pub standardize_format: SwitchStage = SwitchStage::default(),
        /// Output validation.
        pub validate_output: SwitchStage = SwitchStage::default(),
    }
}

section! {
    /// `preprocessing` (undocumented loader feature; off by default): the quality
    /// crate's `PreprocessingConfig` keys.
    pub struct Preprocessing {
        /// Preprocessing pipeline on/off.
        pub enabled: bool = false,
        /// Stop at the first failing stage.
        pub abort_on_error: Option<bool> = None,
        /// Log progress.
        pub progress_reporting: Option<bool> = None,
        /// Keep intermediate arrays.
        pub cache_intermediates: Option<bool> = None,
        /// Chunk size.
        pub chunk_size: Option<u64> = None,
        /// Write `preprocessing_provenance.json`.
        pub save_provenance: Option<bool> = None,
        /// Return the input when a stage fails.
        pub fallback_on_failure: Option<bool> = None,
        /// `stages.*`.
        pub stages: PreprocessingStages = PreprocessingStages::default(),
    }
}
