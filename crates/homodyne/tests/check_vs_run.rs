//! `homodyne-config --validate` (the facade's `check`) and a run accept exactly the same
//! configurations: every choice key, with every accepted spelling and a wrong one, gets
//! the same verdict from both. Also the drift cases that once split them.

use std::path::Path;

use homodyne::{Analysis, Overrides};

/// A configuration with `key` (dotted path) set to `value` (YAML scalar text).
fn config_with(key: &str, value: &str) -> String {
    let mut text = String::from("analysis_mode: laminar_flow\n");
    if key == "analysis_mode" {
        text = String::new();
    }
    let parts: Vec<&str> = key.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        let indent = "  ".repeat(depth);
        if depth + 1 == parts.len() {
            text.push_str(&format!("{indent}{part}: {value}\n"));
        } else {
            text.push_str(&format!("{indent}{part}:\n"));
        }
    }
    text
}

/// (verdict of check, verdict of a run's setup, check's messages)
fn verdicts(dir: &Path, key: &str, value: &str) -> (bool, bool, String) {
    let path = dir.join(format!("{}_{}.yaml", key.replace('.', "_"), value.len()));
    std::fs::write(&path, config_with(key, value)).unwrap();
    let report = homodyne::check(&path);
    let run = Analysis::from_file(&path, Overrides::default());
    let messages = report
        .all()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    (report.is_valid(), run.is_ok(), messages)
}

/// Choice keys judged by the analysis (not by the configuration crate), with the values
/// the reference documents plus a wrong one.
const ANALYSIS_CHOICES: &[(&str, &[&str])] = &[
    (
        "optimization.nlsq.loss",
        &["linear", "soft_l1", "huber", "cauchy", "arctan"],
    ),
    (
        "optimization.nlsq.strategy",
        &["standard", "large", "chunked", "streaming"],
    ),
    (
        "performance.strategy_override",
        &["standard", "large", "chunked", "streaming"],
    ),
    (
        "quality_control.validation_level",
        &["none", "basic", "standard", "comprehensive"],
    ),
];

#[test]
fn check_and_run_agree_on_every_choice() {
    let dir = tempfile::tempdir().unwrap();
    let mut disagreements = Vec::new();
    let keys = homodyne::config::choice_keys()
        .iter()
        .filter(|(key, _)| !key.contains("[*]"))
        .chain(ANALYSIS_CHOICES);
    let mut walked = 0;
    for (key, values) in keys {
        for value in values.iter().chain(&["sideways"]) {
            let (check, run, messages) = verdicts(dir.path(), key, value);
            walked += 1;
            if check != run {
                disagreements.push(format!(
                    "{key}: {value}: check {check}, run {run}\n{messages}"
                ));
            }
            if *value == "sideways" {
                assert!(!check, "{key}: {value} accepted by check");
                assert!(messages.contains(key), "{key} not named:\n{messages}");
            } else {
                assert!(check, "{key}: {value} refused by check:\n{messages}");
            }
        }
    }
    assert!(walked > 60, "only {walked} cases");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Drift 1: `auto_averaged` passed validation and was rejected by the run.
#[test]
fn auto_averaged_is_accepted_by_both_and_means_averaged() {
    let dir = tempfile::tempdir().unwrap();
    let key = "optimization.nlsq.anti_degeneracy.per_angle_mode";
    let (check, run, messages) = verdicts(dir.path(), key, "auto_averaged");
    assert!(check && run, "{messages}");
}

/// Drift 2: `quality_control.validation_level` was reported as an unknown key (ignored)
/// and then used by quality control.
#[test]
fn quality_control_keys_are_known() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qc.yaml");
    std::fs::write(
        &path,
        "analysis_mode: static\nquality_control:\n  enabled: true\n  validation_level: basic\n",
    )
    .unwrap();
    let report = homodyne::check(&path);
    assert!(report.is_valid(), "{report}");
    let unknown: Vec<String> = report
        .all()
        .map(|i| i.to_string())
        .filter(|m| m.contains("unknown"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}

/// A wrong analysis-level choice is reported at its key's line, once.
#[test]
fn analysis_level_errors_name_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.yaml");
    std::fs::write(
        &path,
        "analysis_mode: static\noptimization:\n  nlsq:\n    loss: sideways\n",
    )
    .unwrap();
    let report = homodyne::check(&path);
    assert!(!report.is_valid());
    let errors: Vec<String> = report.errors.iter().map(|i| i.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("optimization.nlsq.loss"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains(":4"), "{}", errors[0]);
}
