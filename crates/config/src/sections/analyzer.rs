//! `analyzer_parameters` (time step, frame window, target q, gap) and the
//! documentation-only `analysis_settings` block.
//!
//! Legacy flat locations (top-level `dt`/`start_frame`/`end_frame`,
//! `analyzer_parameters.wavevector_q`, `analyzer_parameters.stator_rotor_gap`,
//! `experimental_data.geometry.stator_rotor_gap`, `experimental_data.sample_detector_distance`,
//! `experimental_data.dt`) are moved here by the normalisation step before reading, so
//! these structs only know the canonical keys.

section! {
    /// `analyzer_parameters`.
    pub struct AnalyzerParameters {
        /// Frame time step in seconds (flat legacy default 0.1).
        pub dt: f64 = 0.1,
        /// First frame, 1-based inclusive.
        pub start_frame: i64 = 1,
        /// Last frame, inclusive; −1 = all frames.
        pub end_frame: i64 = -1,
        /// `scattering.*`.
        pub scattering: Scattering = Scattering::default(),
        /// `geometry.*`.
        pub geometry: Geometry = Geometry::default(),
    }
}

section! {
    /// `analyzer_parameters.scattering`.
    pub struct Scattering {
        /// Target wavevector q in Å⁻¹ (the loader picks the closest q in the file).
        pub wavevector_q: f64 = 0.0054,
    }
}

section! {
    /// `analyzer_parameters.geometry`.
    pub struct Geometry {
        /// Stator–rotor gap L in Å (default 2 000 000 Å = 200 µm).
        pub stator_rotor_gap: f64 = 2.0e6,
    }
}

section! {
    /// `analysis_settings` (documentation only; not read by any computation).
    pub struct AnalysisSettings {
        /// `model_description.*`.
        pub model_description: ModelDescription = ModelDescription::default(),
    }
}

section! {
    /// `analysis_settings.model_description`.
    pub struct ModelDescription {
        /// Model type label.
        pub r#type: Option<String> = None,
        /// Number of physical parameters.
        pub parameters: Option<i64> = None,
        /// Free-text physics description.
        pub physics: Option<String> = None,
    }
}
