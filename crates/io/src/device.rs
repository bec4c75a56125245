//! What ran the analysis: the `device_info` / `device_config` blocks of the result
//! files (the reference reports its JAX device there; we report threads, SIMD and
//! version).

use serde_json::{Value, json};

/// SIMD instruction sets the running CPU offers (those the kernels can use).
fn simd_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        for (name, on) in [
            ("sse2", std::arch::is_x86_feature_detected!("sse2")),
            ("sse4.1", std::arch::is_x86_feature_detected!("sse4.1")),
            ("avx", std::arch::is_x86_feature_detected!("avx")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
        ] {
            if on {
                found.push(name);
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    found.push("neon");
    found
}

/// The `device_info` block (convergence_metrics.json) and `device_config` block
/// (homodyne_results.*): platform, threads, SIMD, program version.
pub fn device_info() -> Value {
    json!({
        "platform": "cpu",
        "device": "cpu",
        "device_kind": std::env::consts::ARCH,
        "n_devices": 1,
        "threads": rayon::current_num_threads(),
        "simd": simd_features(),
        "os": std::env::consts::OS,
        "adapter": "homodyne-rs",
        "version": env!("CARGO_PKG_VERSION"),
        "fallback_occurred": false,
        "fallback_reason": null,
    })
}
