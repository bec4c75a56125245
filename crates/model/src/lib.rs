//! The homodyne forward model: g2(phi, t1, t2) of XPCS under laminar flow, its exact
//! derivatives, per-angle scaling and diagonal correction. No I/O.
//!
//! One kernel ([`kernel`], generic over [`Scalar`]) defines the physics; [`forward`] and
//! [`normal`] are fast f64 drivers of the same arithmetic for full-grid values and for
//! least-squares normal equations (chi^2, J^T J, J^T r) accumulated without storing J.

mod derivatives;
pub mod diagonal;
pub mod error;
pub mod experiment;
pub mod forward;
pub mod kernel;
pub mod layout;
pub mod linalg;
pub mod normal;
pub mod params;
pub mod scalar;
pub mod scaling;

pub use error::ModelError;
pub use experiment::Experiment;
pub use forward::g2_grid;
pub use kernel::Geometry;
pub use params::{AnalysisMode, Bounds, ParameterSpace, ParameterSpec, Prior, PriorKind};
pub use scaling::PerAngleMode;
pub use scalar::Scalar;
