//! Messages about single keys: one message per problem, naming the key, what is wrong and
//! what is expected (issue 11).

use homodyne_config::{Format, validate_str};

fn issues_at(text: &str, path: &str) -> Vec<String> {
    validate_str(text, Format::Yaml, "m.yaml")
        .all()
        .filter(|i| i.path == path)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_type_error_is_not_followed_by_a_warning_about_the_stand_in_value() {
    let text = "analysis_mode: static\nanalyzer_parameters:\n  start_frame: 1.5\n  end_frame: 10\n";
    let issues = issues_at(text, "analyzer_parameters.start_frame");
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(
        issues[0].contains("m.yaml:3")
            && issues[0].contains("expected an integer, found the number 1.5"),
        "{issues:#?}"
    );
    // A real 0 still gets its warning.
    let zero = issues_at(
        "analysis_mode: static\nanalyzer_parameters:\n  start_frame: 0\n",
        "analyzer_parameters.start_frame",
    );
    assert_eq!(zero.len(), 1, "{zero:#?}");
    assert!(zero[0].contains("0 is treated as 1"), "{zero:#?}");
}

#[test]
fn unknown_cache_template_placeholders_are_errors_naming_them() {
    let text = "analysis_mode: static\nexperimental_data:\n  cache_filename_template: \"c_${unknown}_{q}_${start_frame}.npz\"\n";
    let report = validate_str(text, Format::Yaml, "m.yaml");
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    for part in [
        "m.yaml:3",
        "experimental_data.cache_filename_template",
        "${unknown}, ${q}",
        "known: ${wavevector_q}, ${start_frame}, ${end_frame}",
    ] {
        assert!(errors[0].contains(part), "{} lacks {part}", errors[0]);
    }
    // The reference templates' placeholders, new and legacy forms, are fine.
    for ok in [
        "cached_c2_static_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz",
        "c_q{wavevector_q:.4f}_{start_frame}_{end_frame}.npz",
        "cost_$$_${end_frame}.npz",
    ] {
        let text = format!(
            "analysis_mode: static\nexperimental_data:\n  cache_filename_template: \"{ok}\"\n"
        );
        let report = validate_str(&text, Format::Yaml, "m.yaml");
        assert!(report.is_valid(), "{ok}: {report}");
    }
}
