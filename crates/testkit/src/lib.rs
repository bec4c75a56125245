//! Where the tests find the reference's files that are not in the repository (the
//! boost-corr result files in `data/`, the reference's YAML templates in
//! `reference-configs/`): `$HOMODYNE_REFERENCE_DIR`, then `shared/` beside the checkout.
//! A test that needs them and finds neither prints one `skipped ...` line and passes.
//! Used only by tests (a dev-dependency of the crates that read those files).

#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The workspace root (this crate is `crates/<name>`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Folders searched for the reference files that are not in the repository (boost-corr
/// result files in `data/`, the reference's YAML templates in `reference-configs/`), in
/// order: `$HOMODYNE_REFERENCE_DIR` (a relative path counts from the workspace root), then
/// `shared/` beside the checkout.
pub fn reference_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("HOMODYNE_REFERENCE_DIR").filter(|d| !d.is_empty()) {
        let dir = workspace_root().join(dir);
        assert!(
            dir.is_dir(),
            "HOMODYNE_REFERENCE_DIR={} is not a folder",
            dir.display()
        );
        dirs.push(dir);
    }
    dirs.push(workspace_root().join("../shared"));
    dirs
}

/// `rel` (e.g. `data/boostcorr_static_results.hdf`) in the first reference folder that has
/// it, or `None`. Prints nothing.
pub fn reference_file(rel: &str) -> Option<PathBuf> {
    reference_dirs()
        .into_iter()
        .map(|dir| dir.join(rel))
        .find(|p| p.exists())
}

/// Every file of `rels` (see [`reference_file`]), or `None` after one `skipped:` line on
/// stderr naming the test, what it needs and how to provide it. A test that gets `None`
/// returns early and passes:
///
/// `let Some([file]) = require_reference(["data/x.hdf"]) else { return };`
pub fn require_reference<const N: usize>(rels: [&str; N]) -> Option<[PathBuf; N]> {
    let found = rels.map(reference_file);
    if found.iter().all(Option::is_some) {
        return Some(found.map(Option::unwrap));
    }
    let missing: Vec<String> = rels
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(rel, _)| format!("../shared/{rel}"))
        .collect();
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => format!(" {name}"),
        _ => String::new(),
    };
    eprintln!(
        "skipped{test}: needs {}; set HOMODYNE_REFERENCE_DIR to a folder with data/ and reference-configs/ to run it",
        missing.join(" and ")
    );
    None
}
