//! Entry points of the homodyne-config fuzz targets, shared with the corpus replay test
//! (`crates/config/tests/fuzz_corpus.rs` includes this file with `#[path]`), so a crash
//! the fuzzer finds replays through exactly the same calls in a normal `cargo test`.
//!
//! Errors are expected and ignored (their messages are rendered, as the CLI prints
//! them); a panic, an abort or a runaway allocation is a bug.

use homodyne_config::{Format, load_str, validate_str};

/// Load `bytes` (skipped unless UTF-8, as a file read would refuse it) as configuration
/// text of `format` through `load_str` and `validate_str`; on success, query what the
/// CLI reads from a configuration.
pub fn config_text(bytes: &[u8], format: Format) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let name = match format {
        Format::Json => "fuzz.json",
        _ => "fuzz.yaml",
    };
    match load_str(text, format, name) {
        Ok(loaded) => {
            let cfg = &loaded.config;
            let _ = (cfg.mode(), cfg.dt(), cfg.start_frame(), cfg.end_frame());
            let _ = (
                cfg.wavevector_q(),
                cfg.stator_rotor_gap(),
                cfg.physical_names(),
            );
            let _ = (cfg.nlsq(), cfg.cmc(), cfg.data_file());
            let _ = cfg.data_file_resolved(std::path::Path::new("/config/fuzz.yaml"));
            let space = cfg.parameter_space();
            let _ = space.start_values();
            let _ = (cfg.parameter_bounds(), cfg.priors(), cfg.initial_values());
            let _ = cfg.initial_physical();
            for n_phi in [1, 3] {
                let _ = cfg.per_angle_scaling(n_phi);
            }
            let _ = loaded.report.to_string();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let _ = validate_str(text, format, name).to_string();
}
