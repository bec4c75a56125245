//! Bounded nonlinear least squares for homodyne (spec 03, DECISIONS 6-7).
//!
//! One objective on every path: residuals `r = (c2 - g2)/sigma` over the off-diagonal
//! points (sigma the user's or 0.01), the per-angle scaling mode as configured, an
//! optional robust loss; chi^2 = sum r^2. A trust-region reflective solver ([`solver`])
//! works from `J^T J` / `J^T r` accumulated by the model crate without storing `J`;
//! the execution strategy ([`strategy`]) only decides how rows are grouped.
//!
//! Entry points: [`fit`] for a complete fit with recovery, [`Fitter`] to prepare a
//! problem once and solve from many starts (global search), [`initial_values`] to build
//! starts from configuration values or data estimates.

mod auto_scaling;
pub mod bounds;
pub mod covariance;
pub mod error;
pub mod fit;
mod identifiability;
pub mod init;
pub mod linalg;
pub mod loss;
pub mod options;
pub mod problem;
pub mod recovery;
pub mod result;
pub mod solver;
pub mod strategy;

pub use auto_scaling::{PerAngleScaling, fit_checked, per_angle_scaling};
pub use bounds::ParameterBounds;
pub use error::NlsqError;
pub use fit::{Fitter, fit, per_angle_names};
pub use identifiability::{Combination, Degeneracy, WEAK_EIGENVALUE};
pub use init::{InitialValues, initial_values, initial_values_from_space};
pub use loss::{Loss, RobustLoss};
pub use options::{NlsqOptions, StreamingOptions, XScale};
pub use problem::{Normalized, Objective, Problem};
pub use result::{Estimate, FitQualityChecks, NlsqResult, QualityCheck, QualityFlag, Status};
pub use solver::{LocalSolution, SolverOptions, Termination};
pub use strategy::{MemoryEstimate, Strategy, StrategyDecision};
