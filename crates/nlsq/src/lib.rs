//! Bounded nonlinear least squares for homodyne.
//!
//! One objective on every path: residuals `r = (c2 - g2)/sigma` over the off-diagonal
//! points, each measurement counted once (for a symmetric matrix — APS files store half
//! matrices — each unordered time pair once, else both triangles), sigma measured from the
//! data per angle ([`SigmaSetting::Estimate`]) or given; the per-angle scaling mode as
//! configured; an optional robust loss; chi^2 = sum r^2. The answer does not depend on
//! the data size: the execution strategy ([`Strategy`]) only decides how rows are grouped
//! when `J^T J` / `J^T r` are accumulated (by the model crate, without storing `J`) for
//! the trust-region reflective solver.
//!
//! Entry points: [`fit_checked`] for a complete fit with recovery and the `auto`
//! per-angle mode checked against the data; [`fit`] for one fit in the configured mode;
//! [`Fitter`] to prepare a problem once and solve from many starts (global search);
//! [`initial_values`] / [`initial_values_from_space`] to build starts.
//!
//! A result ([`NlsqResult`]) carries the fitted values with uncertainties (covariance
//! scaled by the reduced chi^2), a quality flag that is never `good` for a fit that did
//! not converge or has unidentifiable directions ([`Degeneracy`]), and the reasons it is
//! doubtful ([`NlsqResult::doubts`]). Where chi^2 is not quadratic in a physical
//! parameter (curved valleys of the power laws), its profile-likelihood interval
//! ([`ProfileInterval`]) replaces the covariance's sigma.

#![deny(missing_docs)]

mod auto_scaling;
mod bounds;
pub mod coarse;
mod covariance;
mod error;
mod fit;
mod global_record;
mod identifiability;
mod init;
mod linalg;
mod loss;
mod options;
mod problem;
mod profile;
mod recovery;
mod result;
mod solver;
mod strategy;

pub use auto_scaling::{PerAngleScaling, fit_checked, per_angle_scaling};
pub use bounds::ParameterBounds;
pub use coarse::{CoarseStage, CoarseSubset};
pub use error::NlsqError;
pub use fit::{Fitter, fit, per_angle_names};
pub use global_record::{Basin, CmaesRecord, GlobalSearchRecord, LayerAction, SearchSubset};
pub use identifiability::{Combination, Degeneracy, WEAK_EIGENVALUE};
pub use init::{InitialValues, initial_values, initial_values_from_space};
pub use loss::{Loss, RobustLoss};
pub use options::{CoarseOptions, NlsqOptions, SigmaSetting, StreamingOptions, XScale};
pub use problem::{
    NoiseLevel, Normalized, Objective, ObjectiveInfo, PointsCounted, Problem, SigmaMethod,
};
pub use profile::{PROFILE_AUTO_MAX_POINTS, ProfileInterval, ProfileSetting};
pub use result::{Estimate, FitQualityChecks, NlsqResult, QualityCheck, QualityFlag, Status};
pub use solver::trf::solve as trf_solve;
pub use solver::{LocalSolution, SolverOptions, Termination};
pub use strategy::{MemoryEstimate, Strategy, StrategyDecision, available_memory_gb};
