//! Keys written twice in one mapping are errors naming both lines (YAML requires unique
//! keys; PyYAML silently kept the later one, so a second `analysis_mode:` switched a
//! laminar-flow configuration to static without a word).

use homodyne_config::{ConfigError, Format, load_str, validate_str};

const TWO_MODES: &str = "\
analysis_mode: laminar_flow
analyzer_parameters:
  dt: 0.1
analysis_mode: static
";

#[test]
fn duplicate_top_level_key_names_both_lines() {
    let report = validate_str(TWO_MODES, Format::Yaml, "dup.yaml");
    assert_eq!(report.errors.len(), 1, "{report}");
    let e = &report.errors[0];
    assert_eq!(e.path, "analysis_mode");
    assert_eq!(e.line, Some(4));
    let text = e.to_string();
    for part in [
        "dup.yaml:4",
        "duplicate key \"analysis_mode\"",
        "line 1",
        "line 4",
    ] {
        assert!(text.contains(part), "{text} lacks {part}");
    }
    // Loading refuses it with the same message.
    match load_str(TWO_MODES, Format::Yaml, "dup.yaml") {
        Err(ConfigError::Invalid { report }) => {
            assert!(
                report.errors[0]
                    .message
                    .contains("line 1 and again at line 4")
            )
        }
        other => panic!("expected an invalid configuration, got {other:?}"),
    }
}

#[test]
fn duplicate_nested_keys_are_reported_with_their_path() {
    let text = "\
analysis_mode: static
optimization:
  nlsq:
    max_iterations: 10
    tolerance: 1.0e-8
    max_iterations: 20
parameter_space:
  bounds:
    - name: D0
      min: 1.0
      min: 2.0
      max: 10.0
";
    let report = validate_str(text, Format::Yaml, "nested.yaml");
    let found: Vec<(String, Option<u64>)> = report
        .errors
        .iter()
        .map(|e| (e.path.clone(), e.line))
        .collect();
    assert_eq!(
        found,
        vec![
            ("optimization.nlsq.max_iterations".to_string(), Some(6)),
            ("parameter_space.bounds[0].min".to_string(), Some(11)),
        ],
        "{report}"
    );
    assert!(
        report.errors[0]
            .message
            .contains("line 4 and again at line 6")
    );
    assert!(
        report.errors[1]
            .message
            .contains("line 10 and again at line 11")
    );
}

#[test]
fn same_key_in_different_mappings_is_fine() {
    let text = "\
analysis_mode: static
phi_filtering:
  target_ranges:
    - min_angle: -10.0
      max_angle: 10.0
    - min_angle: 170.0
      max_angle: -170.0
";
    let report = validate_str(text, Format::Yaml, "ok.yaml");
    assert!(report.is_valid(), "{report}");
}

#[test]
fn yaml_merge_keys_are_not_duplicates() {
    let text = "\
analysis_mode: static
base: &base
  dt: 0.1
  start_frame: 1
analyzer_parameters:
  <<: *base
  start_frame: 2
";
    let report = validate_str(text, Format::Yaml, "merge.yaml");
    assert!(
        report
            .errors
            .iter()
            .all(|e| !e.message.contains("duplicate")),
        "{report}"
    );
}

#[test]
fn duplicate_json_key_is_an_error_naming_the_key_and_line() {
    let text = "{\n  \"analysis_mode\": \"laminar_flow\",\n  \"analysis_mode\": \"static\"\n}\n";
    let report = validate_str(text, Format::Json, "dup.json");
    assert_eq!(report.errors.len(), 1, "{report}");
    let msg = report.errors[0].to_string();
    assert!(msg.contains("duplicate key \"analysis_mode\""), "{msg}");
    assert_eq!(report.errors[0].line, Some(3), "{msg}");
    assert!(load_str(text, Format::Json, "dup.json").is_err());
}
