//! Local solvers on an [`Objective`](crate::problem::Objective): the bounded
//! trust-region reflective method ([`trf`]), a Gauss-Newton polish of its answer
//! ([`polish`]) and the L-BFGS warm-up of the streaming strategy ([`lbfgs`]).
//!
//! All work from the normal equations (`J^T J`, `J^T r`) of at most ~100 variables;
//! none ever holds the Jacobian.

mod feasible;
pub mod lbfgs;
pub mod polish;
pub mod trf;

pub use feasible::make_strictly_feasible;

use homodyne_model::normal::NormalEquations;
use serde::Serialize;

use crate::options::XScale;

/// Why a local solve stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// Scaled gradient below gtol.
    Gtol,
    /// Relative cost reduction below ftol.
    Ftol,
    /// Relative step below xtol.
    Xtol,
    /// Both ftol and xtol.
    FtolXtol,
    /// Evaluation budget exhausted.
    MaxNfev,
    /// Iteration limit reached.
    MaxIterations,
}

impl Termination {
    /// True for the tolerance terminations (not the limits).
    pub fn converged(self) -> bool {
        !matches!(self, Termination::MaxNfev | Termination::MaxIterations)
    }

    /// scipy-style termination message.
    pub fn message(self) -> &'static str {
        match self {
            Termination::Gtol => "`gtol` termination condition is satisfied",
            Termination::Ftol => "`ftol` termination condition is satisfied",
            Termination::Xtol => "`xtol` termination condition is satisfied",
            Termination::FtolXtol => "both `ftol` and `xtol` termination conditions are satisfied",
            Termination::MaxNfev => "the maximum number of function evaluations is exceeded",
            Termination::MaxIterations => "the maximum number of iterations is exceeded",
        }
    }
}

/// Tolerances and budgets of one local solve.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Relative cost-reduction tolerance.
    pub ftol: f64,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Scaled-gradient tolerance (infinity norm).
    pub gtol: f64,
    /// Maximum objective evaluations.
    pub max_nfev: usize,
    /// Maximum iterations (None: unlimited).
    pub max_iterations: Option<usize>,
    /// Variable scaling of the trust region.
    pub x_scale: XScale,
    /// Undamped Gauss-Newton steps tried after convergence.
    pub polish_steps: usize,
    /// Evaluate trial points with derivatives (`J^T J`, `J^T r`) instead of the cost
    /// alone, so an accepted step needs one pass over the data instead of two. Pays off
    /// when nearly every step is accepted: from a start close to the optimum (after the
    /// coarse stage). The iterates are the same either way.
    pub speculative: bool,
    /// From the first accepted step that lowers the cost by less than 1e-4 of it (a
    /// crawl along a curved valley), add the geodesic acceleration to interior steps
    /// (Transtrum and Sethna 2012):
    /// `x + v + a/2` with `a = -(J^T J + damping)^-1 J^T r_vv`, the second-order
    /// correction that lets steps follow a curved valley instead of crawling along it;
    /// a step whose acceleration is large (`2|a| > 0.75 |v|`) is refused and the trust
    /// region shrunk. Costs one [`Objective::curvature`](crate::Objective::curvature)
    /// pass per trial; objectives without it take plain steps.
    pub geodesic: bool,
}

/// Outcome of a local solve.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalSolution {
    /// The answer.
    pub x: Vec<f64>,
    /// Normal equations at `x` (for covariance and diagnostics).
    pub equations: NormalEquations,
    /// `sum rho` at the start.
    pub initial_cost: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Objective evaluations (cost-only and with derivatives).
    pub nfev: usize,
    /// Evaluations with derivatives.
    pub njev: usize,
    /// Accepted steps.
    pub accepted_steps: usize,
    /// Why the solver stopped.
    pub termination: Termination,
    /// The coarse stage that chose the start of this solve, if one ran
    /// ([`crate::CoarseStage`]).
    pub coarse: Option<crate::coarse::CoarseStage>,
}
