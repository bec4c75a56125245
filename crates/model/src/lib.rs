//! The homodyne forward model: g2(phi, t1, t2) of XPCS under laminar flow, its exact
//! derivatives, per-angle scaling and diagonal correction. No I/O.
//!
//! One kernel ([`kernel`], generic over [`Scalar`]) defines the physics; [`forward`] and
//! [`normal`] are fast f64 drivers of the same arithmetic for full-grid values and for
//! least-squares normal equations (chi^2, J^T J, J^T r) accumulated without storing J.
//!
//! Evaluation drivers ([`normal::normal_equations_over`], [`normal::cost_over`],
//! [`normal::value_and_gradient`], [`forward::g2_grid_par`]) take the points to cover
//! ([`PointSet`]: rows, a mask, or a shard's [`TimePairs`]), any [`data::PointData`]
//! (borrowed [`FitData`], owned [`OwnedFitData`], compact [`ShardData`]) and a [`Par`];
//! their sums are bit-identical for every `Par` and thread count.

#![deny(missing_docs)]

pub mod data;
mod derivatives;
pub mod diagonal;
pub mod error;
pub mod experiment;
mod fastmath;
pub mod forward;
pub mod kernel;
pub mod layout;
pub mod linalg;
pub mod noise;
pub mod normal;
pub mod par;
pub mod params;
pub mod points;
pub mod scalar;
pub mod scaling;

pub use data::{C2Value, C2View, FitData, OwnedFitData, OwnedSigma, PointData, ShardData, Sigma};
pub use error::ModelError;
pub use experiment::Experiment;
pub use forward::g2_grid;
pub use kernel::Geometry;
pub use noise::{estimate_sigma, is_symmetric};
pub use par::Par;
pub use params::{AnalysisMode, Bounds, ParameterSpace, ParameterSpec, Prior, PriorKind};
pub use points::{PointSet, TimePairs, Triangles};
pub use scalar::Scalar;
pub use scaling::PerAngleMode;
