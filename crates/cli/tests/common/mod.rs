//! Where the end-to-end tests find their inputs: the golden fixtures kept in the
//! repository (`<workspace>/fixtures`) and the reference files that only `shared/` has
//! (boost-corr result files in `data/`, the reference's YAML templates in
//! `reference-configs/`), looked up in `$HOMODYNE_REFERENCE_DIR`, then `../shared`; a test
//! that needs one is skipped when neither has it.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

/// `<workspace>/fixtures/<name>`: the golden arrays made by the reference homodyne 2.23.3.
pub fn fixture_path(name: &str) -> PathBuf {
    workspace_root().join("fixtures").join(name)
}

pub use homodyne_testkit::{reference_dirs, reference_file, require_reference, workspace_root};
