//! Fuzz corpus replay (issue 11): every seed of `fuzz/corpus/config_{yaml,json}/` and
//! every crash input in `fuzz/artifacts/config_{yaml,json}/` (left there by
//! `scripts/fuzz.sh`, not committed) goes through the same entry point as the libFuzzer
//! targets (`fuzz/src/config_entries.rs`, compiled into this test) and must not panic;
//! errors are fine. A crash the fuzzer finds becomes a regression test by copying its
//! input into `fuzz/corpus/<target>/`. The seeds come from `fuzz/make_seeds.py`.

#[path = "../../../fuzz/src/config_entries.rs"]
mod entries;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use homodyne_config::Format;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Replay every corpus and artifact file of `target` as `format`; fails listing every
/// input that panicked. `min_seeds` guards against a corpus that silently went missing.
fn replay(target: &str, min_seeds: usize, format: Format) {
    let corpus = files_in(&fuzz_dir().join("corpus").join(target));
    assert!(
        corpus.len() >= min_seeds,
        "fuzz/corpus/{target} holds {} files, expected at least {min_seeds}",
        corpus.len()
    );
    let artifacts = files_in(&fuzz_dir().join("artifacts").join(target));
    let mut panicked = Vec::new();
    for file in corpus.iter().chain(&artifacts) {
        let bytes = std::fs::read(file).unwrap();
        if catch_unwind(AssertUnwindSafe(|| entries::config_text(&bytes, format))).is_err() {
            panicked.push(file.display().to_string());
        }
    }
    assert!(
        panicked.is_empty(),
        "{} of {} inputs of fuzz target {target} panicked:\n{}",
        panicked.len(),
        corpus.len() + artifacts.len(),
        panicked.join("\n")
    );
}

#[test]
fn config_yaml_corpus_replays_without_panic() {
    replay("config_yaml", 10, Format::Yaml);
}

#[test]
fn config_json_corpus_replays_without_panic() {
    replay("config_json", 10, Format::Json);
}

/// The bundled templates in the corpus load as valid configurations (so the fuzzer
/// starts from inputs that reach the typed sections): when this fails, the templates
/// changed or broke, and `python3 fuzz/make_seeds.py` writes the seeds again.
#[test]
fn template_seeds_are_valid_configurations() {
    for (target, ext, format) in [
        ("config_yaml", "yaml", Format::Yaml),
        ("config_json", "json", Format::Json),
    ] {
        for name in [
            "template_static",
            "template_laminar_flow",
            "example_laminar",
        ] {
            let path = fuzz_dir()
                .join("corpus")
                .join(target)
                .join(format!("{name}.{ext}"));
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = homodyne_config::load_str(&text, format, &path.to_string_lossy()) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}
