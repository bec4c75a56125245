//! The analysis mode and its accepted spellings: the model crate's [`AnalysisMode`]
//! (one definition for the whole program), (de)serialised as its canonical string.
//!
//! `static`, `static_isotropic`, `static_anisotropic`, `isotropic`, `anisotropic`
//! → [`AnalysisMode::Static`]; `laminar_flow`, `laminar-flow`, `laminar flow`,
//! `laminarflow`, `laminar`, `flow` → [`AnalysisMode::LaminarFlow`] (case-insensitive).

pub use homodyne_model::AnalysisMode;
