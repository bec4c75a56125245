//! Profile-likelihood intervals from the configuration to the result files: on by
//! default (`optimization.nlsq.profile_intervals: auto`) for data as small as the
//! bundled example, off with `false`, and a wrong value named.

mod common;

use common::example_with;
use homodyne::Silent;
use homodyne::nlsq::ProfileSetting;

fn read_json(path: std::path::PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn intervals_are_computed_and_written_by_default() {
    let analysis = example_with("");
    assert_eq!(
        analysis.nlsq_options().unwrap().profile,
        ProfileSetting::Auto
    );
    let data = analysis.load(None, &Silent).unwrap();
    let fit = analysis.fit_nlsq(&data, &Silent).unwrap();
    // gamma_dot_t_offset is fixed in the example: six free physical parameters.
    assert_eq!(fit.profile.len(), 6, "{:?}", fit.profile);
    for p in &fit.profile {
        let k = fit
            .physical_names()
            .iter()
            .position(|n| *n == p.name)
            .unwrap();
        assert_eq!(p.value, fit.physical[k]);
        assert!(
            p.one_sigma.lower < p.value && p.value < p.one_sigma.upper,
            "{p:?}"
        );
        assert!(
            p.three_sigma.lower <= p.one_sigma.lower && p.one_sigma.upper <= p.three_sigma.upper,
            "{p:?}"
        );
        if p.quadratic {
            // Confirmed: the covariance's sigma is kept.
            assert_eq!(fit.physical_uncertainty[k], p.covariance_sigma);
        } else {
            assert_eq!(fit.physical_uncertainty[k], p.minus().max(p.plus()));
        }
    }
    let out = tempfile::tempdir().unwrap();
    analysis
        .write_nlsq(&data, &fit, &analysis.output_options(out.path()), &Silent)
        .unwrap();
    let params = read_json(out.path().join("nlsq/parameters.json"));
    let d0 = &params["parameters"]["D0"];
    let p = fit.profile.iter().find(|p| p.name == "D0").unwrap();
    assert_eq!(d0["interval_68"][0].as_f64().unwrap(), p.one_sigma.lower);
    assert_eq!(
        d0["interval_99_7"][1].as_f64().unwrap(),
        p.three_sigma.upper
    );
    assert!(
        d0["uncertainty_method"]
            .as_str()
            .unwrap()
            .contains("profile")
    );
    let metrics = read_json(out.path().join("nlsq/convergence_metrics.json"));
    assert_eq!(metrics["profile_likelihood"].as_array().unwrap().len(), 6);
    assert_eq!(
        metrics["quality_checks"]["profile_likelihood"],
        fit.profile.iter().all(|p| !p.weakly_identified())
    );
}

#[test]
fn intervals_can_be_turned_off() {
    let analysis = example_with("    profile_intervals: false\n");
    assert_eq!(
        analysis.nlsq_options().unwrap().profile,
        ProfileSetting::Never
    );
    let data = analysis.load(None, &Silent).unwrap();
    let fit = analysis.fit_nlsq(&data, &Silent).unwrap();
    assert!(fit.profile.is_empty());
    let params = homodyne::io::parameters_json(&fit, "now");
    assert!(params["parameters"]["D0"].get("interval_68").is_none());
    assert_eq!(
        example_with("    profile_intervals: \"true\"\n")
            .nlsq_options()
            .unwrap()
            .profile,
        ProfileSetting::Always
    );
}

#[test]
fn a_wrong_setting_is_named() {
    let e = example_with("    profile_intervals: sometimes\n")
        .nlsq_options()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("optimization.nlsq.profile_intervals") && e.contains("sometimes"),
        "{e}"
    );
}
