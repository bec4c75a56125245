//! The density NUTS samples: one shard's likelihood times the fractionated prior, in the
//! whitened unconstrained coordinates `z` ([`crate::transform`]).
//!
//! Shard `k` of `K` targets `p_k(y) ∝ [π(x(y)) |dx/dy|]^(1/K) · L_k(x(y))`: the product
//! over shards is the full posterior in `y` (Scott et al. 2016, prior fractionation done
//! exactly, Jacobian included). `log L_k = -chi2_k / 2` over the shard's points with the
//! noise level held at the measured per-angle sigma.

use std::collections::HashMap;
use std::sync::Arc;

use homodyne_model::layout::ParameterLayout;
use homodyne_model::normal::{Linear, value_and_gradient};
use homodyne_model::{Experiment, ModelError, Par, ShardData};
use nuts_rs::{CpuLogpFunc, CpuMathError, HasDims, LogpError};
use thiserror::Error;

use crate::prior::LogPrior;
use crate::transform::{BoundMap, Whitening};

/// What every shard of a run shares: model, coordinates and prior.
#[derive(Debug, Clone)]
pub struct Target {
    /// Time grid, angles and geometry.
    pub experiment: Arc<Experiment>,
    /// The model's parameter vector (per-angle mode, fixed parameters).
    pub layout: Arc<ParameterLayout>,
    /// One bound map per entry of `x`.
    pub maps: Vec<BoundMap>,
    /// `z → y`.
    pub whitening: Whitening,
    /// `log π(x)`.
    pub prior: LogPrior,
    /// `1/K`: the prior (and Jacobian) fraction each shard carries.
    pub prior_weight: f64,
}

impl Target {
    /// Dimension of the sampled vector.
    pub fn dim(&self) -> usize {
        self.maps.len()
    }

    /// `x` from `z`.
    pub fn to_x(&self, z: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.dim()];
        self.whitening.to_y(z, &mut y);
        self.y_to_x(&y)
    }

    /// `x` from `y`.
    pub fn y_to_x(&self, y: &[f64]) -> Vec<f64> {
        y.iter()
            .zip(&self.maps)
            .map(|(&v, m)| m.forward(v).0)
            .collect()
    }

    /// `y` from `x`.
    pub fn x_to_y(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(&self.maps)
            .map(|(&v, m)| m.inverse(v))
            .collect()
    }
}

/// A failed density evaluation. Non-finite values are recoverable: NUTS counts the
/// trajectory as divergent and goes on.
#[derive(Debug, Error)]
#[error("{message}")]
pub struct DensityError {
    message: String,
    recoverable: bool,
}

impl LogpError for DensityError {
    fn is_recoverable(&self) -> bool {
        self.recoverable
    }
}

/// One shard's log density (`nuts_rs::CpuLogpFunc`); one value per chain, with its own
/// scratch space.
#[derive(Debug, Clone)]
pub struct ShardPosterior {
    target: Arc<Target>,
    data: Arc<ShardData>,
    par: Par,
    y: Vec<f64>,
    x: Vec<f64>,
    dxdy: Vec<f64>,
    gx: Vec<f64>,
    gy: Vec<f64>,
    evaluations: u64,
}

impl ShardPosterior {
    /// The density of `data` under `target`; `par` parallelises the likelihood sum (use
    /// `Par::Seq` when chains already fill the cores).
    pub fn new(target: Arc<Target>, data: Arc<ShardData>, par: Par) -> Self {
        let d = target.dim();
        ShardPosterior {
            target,
            data,
            par,
            y: vec![0.0; d],
            x: vec![0.0; d],
            dxdy: vec![0.0; d],
            gx: vec![0.0; d],
            gy: vec![0.0; d],
            evaluations: 0,
        }
    }

    /// The shared target.
    pub fn target(&self) -> &Arc<Target> {
        &self.target
    }

    /// Gradient evaluations so far.
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// `log p(z)` and its gradient (the sampler's call).
    pub fn log_density(&mut self, z: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        self.evaluations += 1;
        let t = &*self.target;
        let w = t.prior_weight;
        t.whitening.to_y(z, &mut self.y);
        let mut log_jac = 0.0;
        for k in 0..t.dim() {
            let (x, dx, lj, dlj) = t.maps[k].forward(self.y[k]);
            self.x[k] = x;
            self.dxdy[k] = dx;
            log_jac += lj;
            self.gy[k] = w * dlj;
        }
        let vg = value_and_gradient(
            &t.experiment,
            &t.layout,
            &*self.data,
            &self.x,
            &self.data.points(),
            &Linear,
            self.par,
        )
        .map_err(|e| DensityError {
            recoverable: matches!(e, ModelError::NonFinite { .. }),
            message: format!("model at x = {:?}: {e}", self.x),
        })?;
        self.gx.iter_mut().for_each(|g| *g = 0.0);
        let log_prior = t.prior.eval(&self.x, &mut self.gx);
        let value = -0.5 * vg.chi2 + w * (log_prior + log_jac);
        for k in 0..t.dim() {
            self.gy[k] += (w * self.gx[k] - vg.jtr[k]) * self.dxdy[k];
        }
        t.whitening.grad_to_z(&self.gy, grad);
        if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(DensityError {
                recoverable: true,
                message: format!("non-finite log density {value} at x = {:?}", self.x),
            });
        }
        Ok(value)
    }
}

impl HasDims for ShardPosterior {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        let d = self.target.dim() as u64;
        HashMap::from([
            ("unconstrained_parameter".to_string(), d),
            ("dim".to_string(), d),
        ])
    }
}

impl CpuLogpFunc for ShardPosterior {
    type LogpError = DensityError;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.target.dim()
    }

    fn logp(&mut self, position: &[f64], gradient: &mut [f64]) -> Result<f64, DensityError> {
        self.log_density(position, gradient)
    }

    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        array: &[f64],
    ) -> Result<Vec<f64>, CpuMathError> {
        Ok(self.target.to_x(array))
    }
}
