//! The top-level [`Config`] and its typed accessors.
//!
//! Every top-level key of the reference's templates, plus the undocumented keys the
//! reference's code reads (`data_filtering`, `preprocessing`, `v2_features`,
//! `q_tolerance_fraction`), is a field here. Anything else is reported as an unknown
//! key (warning).

use crate::sections::analyzer::{AnalysisSettings, AnalyzerParameters};
use crate::sections::cmc::CmcConfig;
use crate::sections::data::{
    DataFiltering, ExperimentalData, PhiFiltering, Preprocessing, QualityControl,
};
use crate::sections::misc::{
    Logging, Metadata, NoiseEstimation, OutputSettings, Performance, Plotting, V2Features,
    ValidationSettings,
};
use crate::sections::nlsq::NlsqConfig;
use crate::sections::optimization::OptimizationConfig;
use crate::sections::parameters::{InitialParameters, ParameterSpaceConfig};
use homodyne_model::AnalysisMode;

section! {
    /// A fully typed configuration. Build it with [`crate::load_file`] /
    /// [`crate::load_str`] (which normalise aliases and legacy shapes first) or take
    /// [`Config::default`] (the reference's built-in defaults, static mode).
    pub struct Config {
        /// `metadata.*`.
        pub metadata: Metadata = Metadata::default(),
        /// `analysis_mode` (aliases normalised).
        pub analysis_mode: AnalysisMode = AnalysisMode::Static,
        /// `analyzer_parameters.*`.
        pub analyzer_parameters: AnalyzerParameters = AnalyzerParameters::default(),
        /// `analysis_settings.*` (documentation only).
        pub analysis_settings: AnalysisSettings = AnalysisSettings::default(),
        /// `experimental_data.*`.
        pub experimental_data: ExperimentalData = ExperimentalData::default(),
        /// `phi_filtering.*`.
        pub phi_filtering: PhiFiltering = PhiFiltering::default(),
        /// `data_filtering.*` (undocumented loader filter).
        pub data_filtering: DataFiltering = DataFiltering::default(),
        /// `initial_parameters.*`.
        pub initial_parameters: InitialParameters = InitialParameters::default(),
        /// `parameter_space.*`.
        pub parameter_space: ParameterSpaceConfig = ParameterSpaceConfig::default(),
        /// `optimization.*`.
        pub optimization: OptimizationConfig = OptimizationConfig::default(),
        /// `noise_estimation.*` (documentation only).
        pub noise_estimation: NoiseEstimation = NoiseEstimation::default(),
        /// `performance.*`.
        pub performance: Performance = Performance::default(),
        /// `logging.*`.
        pub logging: Logging = Logging::default(),
        /// `quality_control.*`.
        pub quality_control: QualityControl = QualityControl::default(),
        /// `preprocessing.*`.
        pub preprocessing: Preprocessing = Preprocessing::default(),
        /// `plotting.*`.
        pub plotting: Plotting = Plotting::default(),
        /// `output.*`.
        pub output: OutputSettings = OutputSettings::default(),
        /// `validation.*` (documentation only).
        pub validation: ValidationSettings = ValidationSettings::default(),
        /// `v2_features.*`.
        pub v2_features: V2Features = V2Features::default(),
        /// APS-old q tolerance as a fraction of the selected q.
        pub q_tolerance_fraction: f64 = 0.1,
        /// Legacy top-level version key.
        pub config_version: Option<String> = None,
    }
}

impl Config {
    /// The analysis mode.
    pub fn mode(&self) -> AnalysisMode {
        self.analysis_mode
    }

    /// Frame time step in seconds.
    pub fn dt(&self) -> f64 {
        self.analyzer_parameters.dt
    }

    /// First frame (1-based inclusive).
    pub fn start_frame(&self) -> i64 {
        self.analyzer_parameters.start_frame
    }

    /// Last frame (inclusive; −1 = all).
    pub fn end_frame(&self) -> i64 {
        self.analyzer_parameters.end_frame
    }

    /// Target wavevector q (Å⁻¹).
    pub fn wavevector_q(&self) -> f64 {
        self.analyzer_parameters.scattering.wavevector_q
    }

    /// Stator–rotor gap L (Å).
    pub fn stator_rotor_gap(&self) -> f64 {
        self.analyzer_parameters.geometry.stator_rotor_gap
    }

    /// Physical parameter names of the configured mode, canonical order.
    pub fn physical_names(&self) -> &'static [&'static str] {
        self.analysis_mode.physical_names()
    }

    /// `optimization.nlsq`.
    pub fn nlsq(&self) -> &NlsqConfig {
        &self.optimization.nlsq
    }

    /// `optimization.cmc`.
    pub fn cmc(&self) -> &CmcConfig {
        &self.optimization.cmc
    }

    /// Path of the HDF5 data file (`data_folder_path/data_file_name`), if configured.
    pub fn data_file(&self) -> Option<std::path::PathBuf> {
        self.experimental_data.data_file()
    }

    /// [`Config::data_file`] resolved like every configured path: as written (relative
    /// to the working directory, like the reference), else relative to the folder of
    /// the configuration file `config_path` when it exists there.
    pub fn data_file_resolved(&self, config_path: &std::path::Path) -> Option<std::path::PathBuf> {
        self.data_file().map(|p| resolve_path(&p, config_path))
    }
}

/// A configured path as written when it exists (or is absolute), else relative to the
/// configuration file's folder when it exists there, else as written.
pub fn resolve_path(path: &std::path::Path, config_path: &std::path::Path) -> std::path::PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    config_path
        .parent()
        .map(|d| d.join(path))
        .filter(|p| p.exists())
        .unwrap_or_else(|| path.to_path_buf())
}
