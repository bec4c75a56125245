//! `optimization.nlsq.sigma`: "estimate" (the default) or a positive number.

use homodyne_config::{Format, NlsqSigma, load_str, template, validate_str};

fn sigma_of(text: &str) -> NlsqSigma {
    load_str(text, Format::Yaml, "s.yaml")
        .unwrap_or_else(|e| panic!("{e}"))
        .config
        .optimization
        .nlsq
        .sigma
}

#[test]
fn sigma_key_reads_estimate_or_a_number() {
    assert_eq!(sigma_of("analysis_mode: static\n"), NlsqSigma::Estimate);
    let yaml = |v: &str| format!("analysis_mode: static\noptimization:\n  nlsq:\n    sigma: {v}\n");
    assert_eq!(sigma_of(&yaml("estimate")), NlsqSigma::Estimate);
    assert_eq!(sigma_of(&yaml("\"Estimate\"")), NlsqSigma::Estimate);
    assert_eq!(sigma_of(&yaml("null")), NlsqSigma::Estimate);
    assert_eq!(sigma_of(&yaml("0.02")), NlsqSigma::Value(0.02));
    assert_eq!(sigma_of(&yaml("1")), NlsqSigma::Value(1.0));
    assert_eq!(sigma_of(&yaml("\"5e-3\"")), NlsqSigma::Value(5e-3));
    // Known key: no warning.
    let r = validate_str(&yaml("0.02"), Format::Yaml, "s.yaml");
    assert!(r.is_valid(), "{r:?}");
    assert!(
        !r.warnings.iter().any(|w| w.path.contains("sigma")),
        "{r:?}"
    );
    // Errors name the key.
    for bad in ["-0.01", "0", "often", ".nan"] {
        let r = validate_str(&yaml(bad), Format::Yaml, "s.yaml");
        assert!(
            r.errors.iter().any(|e| e.path == "optimization.nlsq.sigma"),
            "{bad}: {r:?}"
        );
    }
}

#[test]
fn templates_show_the_key_commented_and_load_with_the_default() {
    for mode in [
        homodyne_config::AnalysisMode::Static,
        homodyne_config::AnalysisMode::LaminarFlow,
    ] {
        let text = template(mode);
        assert!(text.contains("# sigma: \"estimate\""));
        assert_eq!(sigma_of(text), NlsqSigma::Estimate);
    }
}
