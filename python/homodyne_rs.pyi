"""homodyne_rs: XPCS two-time correlation analysis under flow (homodyne, in Rust).

Load the data a configuration names, fit by NLSQ and CMC, simulate; numpy in and out.
The reference's names `fit_nlsq_jax` / `fit_mcmc_jax` are aliases of `fit_nlsq` /
`fit_cmc`. Long calls release the GIL, report progress (`progress=True` or
`callback=`) and stop on Ctrl-C (KeyboardInterrupt). Errors: FileNotFoundError,
OSError (unreadable files), ValueError (configuration, values, shapes), with the
command line's messages. Library warnings go to the `logging` logger "homodyne_rs".
"""

import os
from typing import Any, Callable, Literal, Mapping, Sequence, TypedDict, overload

import numpy as np
import numpy.typing as npt

__version__: str

PathLike = str | os.PathLike[str]
Config = PathLike | Mapping[str, Any] | ConfigManager
Callback = Callable[[dict[str, Any]], None]
ArrayLike = npt.ArrayLike

class XpcsDataDict(TypedDict):
    wavevector_q_list: npt.NDArray[np.float64]
    phi_angles_list: npt.NDArray[np.float64]
    t1: npt.NDArray[np.float64]
    t2: npt.NDArray[np.float64]
    c2_exp: npt.NDArray[np.float64] | npt.NDArray[np.float32]

class ValidationResult(TypedDict):
    valid: bool
    errors: list[str]
    warnings: list[str]
    info: list[str]
    report: str

class ConfigManager:
    """A configuration from a YAML/JSON file or a dict (relative data paths of a dict
    resolve against the working directory)."""

    def __init__(
        self,
        config_path: PathLike | None = None,
        config_dict: Mapping[str, Any] | None = None,
    ) -> None: ...
    @staticmethod
    def from_template(mode: Literal["static", "laminar_flow"] = "laminar_flow") -> ConfigManager: ...
    @property
    def config(self) -> dict[str, Any]:
        """The normalised configuration as a dict."""
    @property
    def analysis_mode(self) -> Literal["static", "laminar_flow"]: ...
    @property
    def config_path(self) -> str: ...
    @property
    def parameter_names(self) -> list[str]: ...
    @property
    def initial_parameters(self) -> dict[str, float]:
        """Start values by name (bound midpoints for `values: null`)."""
    def validate(self) -> ValidationResult:
        """The report of `homodyne-config --validate`."""

def validate_config(config: Config, *, print_report: bool = False) -> ValidationResult:
    """Validate a configuration; `report` is the text `homodyne-config --validate`
    prints. Never raises for an invalid configuration."""

def config_template(
    mode: Literal["static", "laminar_flow"] = "laminar_flow",
    filter: Literal["full", "minimal", "nlsq_only", "cmc_only"] = "full",
) -> str:
    """The commented configuration template (as `homodyne-config --mode M --filter F`)."""

def load_xpcs_data(
    config_path: PathLike | None = None,
    config_dict: Mapping[str, Any] | None = None,
    *,
    data_file: PathLike | None = None,
    progress: bool = False,
    callback: Callback | None = None,
) -> XpcsDataDict:
    """Load the data a configuration names: `wavevector_q_list`, `phi_angles_list`,
    `t1`, `t2` (from 0), `c2_exp` (n_phi, n_t, n_t), diagonal corrected. float32 is
    kept for stacks of >= 16 M values read from float32 files."""

class NlsqResult:
    """An NLSQ fit. `parameters`/`uncertainties`: the values of the CLI's
    `nlsq/parameters.json` (mean contrast/offset and the physical parameters)."""

    @property
    def parameters(self) -> dict[str, float]: ...
    @property
    def uncertainties(self) -> dict[str, float]: ...
    @property
    def parameter_names(self) -> list[str]:
        """The per-angle layout: contrast_0.., offset_0.., physical..."""
    @property
    def parameter_values(self) -> npt.NDArray[np.float64]:
        """Values in the per-angle layout (the reference's `OptimizationResult.parameters`)."""
    @property
    def parameter_uncertainties(self) -> npt.NDArray[np.float64]: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64]:
        """Covariance in the per-angle layout."""
    @property
    def fitted_names(self) -> list[str]: ...
    @property
    def fitted_covariance(self) -> npt.NDArray[np.float64]: ...
    @property
    def per_angle(self) -> dict[str, npt.NDArray[np.float64]]:
        """`phi_angles`, `contrast`, `contrast_uncertainty`, `offset`, `offset_uncertainty`."""
    @property
    def chi_squared(self) -> float: ...
    @property
    def reduced_chi_squared(self) -> float: ...
    @property
    def quality_flag(self) -> Literal["good", "marginal", "poor"]: ...
    @property
    def convergence_status(self) -> str: ...
    @property
    def success(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def iterations(self) -> int: ...
    @property
    def execution_time(self) -> float: ...
    @property
    def analysis_mode(self) -> Literal["static", "laminar_flow"]: ...
    @property
    def per_angle_mode(self) -> str: ...
    @property
    def n_points(self) -> int: ...
    @property
    def degrees_of_freedom(self) -> int: ...
    @property
    def doubts(self) -> list[str]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def recovery_actions(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]:
        """The attributes (numpy arrays for arrays) and `details`, the full record."""

def fit_nlsq(
    data: Mapping[str, Any],
    config: Config,
    initial_params: Mapping[str, float] | Sequence[float] | None = None,
    *,
    output_dir: PathLike | None = None,
    progress: bool = False,
    callback: Callback | None = None,
    max_iterations: int = ...,
    tolerance: float = ...,
    analysis_mode: Literal["static", "laminar_flow"] = ...,
) -> NlsqResult:
    """Bounded nonlinear least squares (the CLI's `--method nlsq`). With `output_dir`
    the CLI's result files are written (`nlsq/...`)."""

fit_nlsq_jax = fit_nlsq

class CmcResult:
    """A posterior sampled by NUTS (consensus Monte Carlo over shards)."""

    @property
    def param_names(self) -> list[str]: ...
    @property
    def posterior_samples(self) -> npt.NDArray[np.float64]:
        """(chain, draw, param), warm-up excluded."""
    @property
    def samples(self) -> dict[str, npt.NDArray[np.float64]]:
        """Model quantities by name, each (chain, draw): physical parameters and
        contrast_i / offset_i per angle."""
    @property
    def parameters(self) -> dict[str, float]:
        """Posterior means."""
    @property
    def uncertainties(self) -> dict[str, float]:
        """Posterior standard deviations."""
    @property
    def covariance(self) -> npt.NDArray[np.float64]: ...
    @property
    def r_hat(self) -> npt.NDArray[np.float64]: ...
    @property
    def ess_bulk(self) -> npt.NDArray[np.float64]: ...
    @property
    def ess_tail(self) -> npt.NDArray[np.float64]: ...
    @property
    def divergences(self) -> int: ...
    @property
    def quality_flag(self) -> Literal["good", "acceptable", "poor"]: ...
    @property
    def convergence_status(self) -> Literal["converged", "not_converged"]: ...
    @property
    def n_chains(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def n_warmup(self) -> int: ...
    @property
    def num_shards(self) -> int: ...
    @property
    def analysis_mode(self) -> Literal["static", "laminar_flow"]: ...
    @property
    def sigma(self) -> npt.NDArray[np.float64]: ...
    @property
    def sample_stats(self) -> dict[str, npt.NDArray[Any]]: ...
    @property
    def diagnostics(self) -> dict[str, Any]: ...
    def summary(self) -> str: ...
    def to_inference_data(self) -> Any:
        """An ArviZ InferenceData (ImportError without ArviZ)."""

def fit_cmc(
    data: Mapping[str, Any],
    config: Config,
    nlsq_result: NlsqResult | PathLike | None = None,
    *,
    n_samples: int | None = None,
    n_warmup: int | None = None,
    n_chains: int | None = None,
    num_shards: int | None = None,
    output_dir: PathLike | None = None,
    progress: bool = False,
    callback: Callback | None = None,
    analysis_mode: Literal["static", "laminar_flow"] = ...,
    backend: str = ...,
) -> CmcResult:
    """The Bayesian posterior (the CLI's `--method cmc`); `nlsq_result` is the warm
    start (a fit, an earlier run's folder, or None: configured initial values)."""

fit_mcmc_jax = fit_cmc

@overload
def simulate(
    config_or_parameters: Config | Mapping[str, float] | Sequence[float],
    phi_angles: ArrayLike | None = None,
    t: ArrayLike | None = None,
    *,
    contrast: float = 0.3,
    offset: float = 1.0,
    q: float | None = None,
    stator_rotor_gap: float | None = None,
    dt: float | None = None,
    full_output: Literal[False] = False,
) -> npt.NDArray[np.float64]: ...
@overload
def simulate(
    config_or_parameters: Config | Mapping[str, float] | Sequence[float],
    phi_angles: ArrayLike | None = None,
    t: ArrayLike | None = None,
    *,
    contrast: float = 0.3,
    offset: float = 1.0,
    q: float | None = None,
    stator_rotor_gap: float | None = None,
    dt: float | None = None,
    full_output: Literal[True],
) -> dict[str, npt.NDArray[np.float64]]: ...
def g2(
    parameters: Mapping[str, float] | Sequence[float],
    phi_angles: ArrayLike,
    t: ArrayLike,
    *,
    q: float,
    stator_rotor_gap: float | None = None,
    dt: float | None = None,
    contrast: float | ArrayLike | None = None,
    offset: float | ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """offset + contrast * g1^2 on the grid (n_phi, n_t, n_t); contrast/offset
    default to 1."""

def set_threads(n: int) -> None:
    """Worker threads for everything parallel (once, before any analysis)."""
