//! `optimization` and its non-NLSQ, non-CMC blocks: `streaming`, `stratification`,
//! `sequential`, `recovery`, the legacy `lsq` block and undocumented top keys.

use super::auto::AutoOr;
use super::cmc::{CmcConfig, McmcConfig};
use super::nlsq::NlsqConfig;

section! {
    /// `optimization`.
    pub struct OptimizationConfig {
        /// nlsq | cmc | both (the CLI `--method` wins).
        pub method: String = "nlsq".into(),
        /// `nlsq.*`.
        pub nlsq: NlsqConfig = NlsqConfig::default(),
        /// `streaming.*` (legacy streaming only).
        pub streaming: StreamingConfig = StreamingConfig::default(),
        /// `stratification.*`.
        pub stratification: Stratification = Stratification::default(),
        /// `sequential.*`.
        pub sequential: Sequential = Sequential::default(),
        /// `recovery.*`.
        pub recovery: Recovery = Recovery::default(),
        /// `mcmc.*`.
        pub mcmc: McmcConfig = McmcConfig::default(),
        /// `cmc.*`.
        pub cmc: CmcConfig = CmcConfig::default(),
        /// Out-of-core LM iterations (undocumented).
        pub max_iterations: u64 = 50,
        /// Fast χ² mode (undocumented).
        pub fast_chi2_mode: bool = false,
        /// Legacy block of the built-in default config (`max_iterations`, `tolerance`, `method`).
        pub lsq: Option<LsqConfig> = None,
        /// Deprecated (warns).
        pub consensus_monte_carlo: Option<serde_json::Value> = None,
        /// Deprecated (warns).
        pub parallel_mcmc: Option<serde_json::Value> = None,
    }
}

section! {
    /// `optimization.lsq` (built-in default config only; no effect on the fit).
    pub struct LsqConfig {
        /// Iterations.
        pub max_iterations: u64 = 10000,
        /// Tolerance.
        pub tolerance: f64 = 1e-8,
        /// Method.
        pub method: String = "trf".into(),
    }
}

section! {
    /// `optimization.streaming`.
    pub struct StreamingConfig {
        /// Checkpoints on/off.
        pub enable_checkpoints: bool = true,
        /// Checkpoint folder.
        pub checkpoint_dir: String = "./checkpoints".into(),
        /// Checkpoint every N batches.
        pub checkpoint_frequency: u64 = 10,
        /// Resume from checkpoint.
        pub resume_from_checkpoint: bool = true,
        /// Checkpoints kept.
        pub keep_last_checkpoints: u64 = 3,
        /// Fault tolerance.
        pub enable_fault_tolerance: bool = true,
        /// Retries per batch.
        pub max_retries_per_batch: u64 = 2,
        /// Minimum batch success rate.
        pub min_success_rate: f64 = 0.5,
        /// Batch size (`null` = automatic).
        pub batch_size: Option<u64> = None,
        /// Adaptive batching.
        pub adaptive_batching: bool = true,
    }
}

section! {
    /// `optimization.stratification`.
    pub struct Stratification {
        /// "auto" | true | false.
        pub enabled: AutoOr<bool> = AutoOr::Auto,
        /// Target chunk size (points).
        pub target_chunk_size: u64 = 100_000,
        /// Maximum imbalance ratio.
        pub max_imbalance_ratio: f64 = 5.0,
        /// Force the sequential fallback.
        pub force_sequential_fallback: bool = false,
        /// Check memory safety.
        pub check_memory_safety: bool = true,
        /// Index-based stratification.
        pub use_index_based: bool = false,
        /// Collect diagnostics.
        pub collect_diagnostics: bool = false,
        /// Log diagnostics.
        pub log_diagnostics: bool = false,
    }
}

section! {
    /// `optimization.sequential`.
    pub struct Sequential {
        /// Minimum success rate.
        pub min_success_rate: f64 = 0.5,
        /// Weighting.
        pub weighting: String = "inverse_variance".into(),
    }
}

section! {
    /// `optimization.recovery`.
    pub struct Recovery {
        /// On/off.
        pub enable: bool = true,
        /// Attempts.
        pub max_attempts: u64 = 3,
        /// Learning-rate decay.
        pub lr_decay: f64 = 0.5,
        /// Damping growth.
        pub lambda_growth: f64 = 2.0,
        /// Trust-radius decay.
        pub trust_decay: f64 = 0.5,
        /// Log retries.
        pub log_retries: bool = true,
    }
}
