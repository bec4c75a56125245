//! The bundled laminar example's configuration, as written or with lines added.
#![allow(dead_code)]

use std::path::PathBuf;

use homodyne::{Analysis, Overrides};

pub fn config_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/example_laminar.yaml")
}

/// The example's configuration with `extra` lines added to `optimization.nlsq`.
pub fn example_with(extra: &str) -> Analysis {
    let path = config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let anchor = "    loss: \"linear\"\n";
    assert!(text.contains(anchor));
    let text = text.replacen(anchor, &format!("{anchor}{extra}"), 1);
    let loaded = homodyne::config::load_str(
        &text,
        homodyne::config::Format::Yaml,
        &path.to_string_lossy(),
    )
    .unwrap();
    Analysis::from_loaded(loaded, &path, Overrides::default())
}
