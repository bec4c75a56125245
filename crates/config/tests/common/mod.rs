//! Where the tests find the reference's YAML templates: not in the repository, they are
//! looked up in `$HOMODYNE_REFERENCE_DIR/reference-configs`, then
//! `../shared/reference-configs`; a test that needs them is skipped when neither has them.
#![allow(dead_code, unused_imports)]

pub use homodyne_testkit::{reference_dirs, reference_file, require_reference, workspace_root};
