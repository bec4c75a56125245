//! Shared helpers of the integration tests: fixture paths, the reference files that only
//! `shared/` has, and the fixture value formula.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

/// `crates/data/tests/data/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub use homodyne_testkit::{reference_dirs, reference_file, require_reference, workspace_root};

/// Value of the fixture half matrix with `label` at (i, j), i <= j, in the stored type.
pub fn fixture_value_f64(label: usize, i: usize, j: usize) -> f64 {
    1.0 + 0.01 * label as f64 + 0.001 * (j as f64 - i as f64) + 1e-5 * i as f64
}

pub fn fixture_value_f32(label: usize, i: usize, j: usize) -> f64 {
    fixture_value_f64(label, i, j) as f32 as f64
}
