//! Validation of a configuration by the very code a run uses: the configuration crate's
//! report (types, ranges, unknown keys, with lines) plus every setting that only the
//! analysis turns into library types (solver loss, strategy, per-angle mode, ...). So
//! `homodyne-config --validate` accepts exactly what `homodyne` accepts.

use std::path::Path;

use homodyne_config::{Loaded, ValidationReport};

use crate::overrides::Overrides;
use crate::setup;

/// Line of the key at dotted `path` in the source (0 when unknown).
fn line_of(loaded: &Loaded, path: &str) -> u64 {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (loaded.tree.get_path(p), k),
        None => (Some(&loaded.tree), path),
    };
    parent.and_then(|n| n.entry(key)).map_or(0, |e| e.key_line)
}

/// Add the analysis-level problems of `loaded` (read from `path`) to `report`: every
/// setting the run turns into library types, built by the run's own code.
pub fn check_loaded(loaded: &Loaded, path: &Path, report: &mut ValidationReport) {
    let _ = path;
    for message in setup::settings_errors(loaded, &Overrides::default()) {
        // Messages name their key first ("optimization.nlsq.loss: ..."): report it there.
        let (key, detail) = message
            .split_once(": ")
            .filter(|(k, _)| !k.contains(' '))
            .unwrap_or(("", message.as_str()));
        report.error(key, line_of(loaded, key), detail.to_string());
    }
}

/// Validate the configuration file at `path`: every problem at once, nothing loaded
/// beyond the file itself.
pub fn check(path: impl AsRef<Path>) -> ValidationReport {
    let path = path.as_ref();
    let mut report = homodyne_config::validate_file(path);
    if let Ok(loaded) = homodyne_config::load_file(path) {
        check_loaded(&loaded, path, &mut report);
    }
    report
}
