//! Our own templates: load cleanly, carry the reference values, filters and
//! substitutions work, atomic writes.

mod common;

use homodyne_config::{
    AnalysisMode, Format, TemplateFilter, TemplateValues, load_str, render, template, write_atomic,
};

#[test]
fn templates_load_without_warnings() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        let l = load_str(template(mode), Format::Yaml, "template.yaml").unwrap();
        assert_eq!(l.config.mode(), mode);
        assert!(
            l.report.warnings.is_empty(),
            "{mode}: {:?}",
            l.report.warnings
        );
        assert_eq!(l.config.dt(), 0.001);
        assert_eq!(l.config.end_frame(), 2000);
        assert_eq!(l.config.parameter_bounds().len(), 2 + mode.n_physical());
        assert_eq!(
            l.config
                .initial_parameters
                .parameter_names
                .as_ref()
                .unwrap()
                .len(),
            mode.n_physical()
        );
    }
}

#[test]
fn templates_match_reference_values() {
    let Some(files) = common::require_reference([
        "reference-configs/homodyne_static.yaml",
        "reference-configs/homodyne_laminar_flow.yaml",
    ]) else {
        return;
    };
    for (mode, file) in [AnalysisMode::Static, AnalysisMode::LaminarFlow]
        .into_iter()
        .zip(files)
    {
        let ours = load_str(template(mode), Format::Yaml, "ours.yaml")
            .unwrap()
            .config;
        let theirs = homodyne_config::load_file(file).unwrap().config;
        assert_eq!(ours.parameter_bounds(), theirs.parameter_bounds(), "{mode}");
        assert_eq!(ours.priors(), theirs.priors(), "{mode}");
        assert_eq!(ours.optimization, theirs.optimization, "{mode}");
        assert_eq!(
            ours.analyzer_parameters, theirs.analyzer_parameters,
            "{mode}"
        );
        assert_eq!(
            ours.phi_filtering.target_ranges.len(),
            theirs.phi_filtering.target_ranges.len()
        );
        assert_eq!(
            ours.experimental_data.cache_filename_template,
            theirs.experimental_data.cache_filename_template
        );
    }
}

#[test]
fn filters_round_trip() {
    for mode in [AnalysisMode::Static, AnalysisMode::LaminarFlow] {
        for f in [
            TemplateFilter::Minimal,
            TemplateFilter::NlsqOnly,
            TemplateFilter::CmcOnly,
        ] {
            let text = render(mode, f, &TemplateValues::default()).unwrap();
            let l = load_str(&text, Format::Yaml, "f.yaml")
                .unwrap_or_else(|e| panic!("{f:?}: {e}\n{text}"));
            assert_eq!(l.config.mode(), mode);
            assert!(
                l.report
                    .warnings
                    .iter()
                    .all(|w| !w.message.contains("unknown")),
                "{:?}",
                l.report.warnings
            );
            match f {
                TemplateFilter::Minimal => {
                    assert!(l.tree.get("analyzer_parameters").is_none());
                    assert!(l.tree.get_path("optimization.nlsq").is_none());
                    assert!(l.tree.get_path("optimization.method").is_some());
                }
                TemplateFilter::NlsqOnly => {
                    assert!(l.tree.get_path("optimization.cmc").is_none());
                    assert!(l.tree.get_path("optimization.mcmc").is_none());
                    assert!(l.tree.get_path("optimization.nlsq").is_some());
                }
                TemplateFilter::CmcOnly => {
                    assert!(l.tree.get_path("optimization.nlsq").is_none());
                    assert!(l.tree.get_path("optimization.cmc").is_some());
                }
                TemplateFilter::Full => {}
            }
        }
    }
}

#[test]
fn substitutions_keep_comments() {
    let v = TemplateValues {
        data_file: Some("/beam/run 7/scan.hdf".into()),
        wavevector_q: Some(0.0123),
        dt: Some(0.5),
        start_frame: Some(10),
        end_frame: Some(-1),
        stator_rotor_gap: Some(1.5e6),
    };
    let text = render(AnalysisMode::LaminarFlow, TemplateFilter::Full, &v).unwrap();
    assert!(text.contains("# time between frames [s]"));
    let c = load_str(&text, Format::Yaml, "s.yaml").unwrap().config;
    assert_eq!((c.dt(), c.start_frame(), c.end_frame()), (0.5, 10, -1));
    assert_eq!(c.wavevector_q(), 0.0123);
    assert_eq!(c.stator_rotor_gap(), 1.5e6);
    assert_eq!(
        c.experimental_data.data_folder_path.as_deref(),
        Some("/beam/run 7/")
    );
    assert_eq!(
        c.experimental_data.data_file_name.as_deref(),
        Some("scan.hdf")
    );
    assert_eq!(c.data_file(), Some("/beam/run 7/scan.hdf".into()));
    let minimal = render(AnalysisMode::Static, TemplateFilter::Minimal, &v).unwrap();
    let c = load_str(&minimal, Format::Yaml, "m.yaml").unwrap().config;
    assert_eq!(
        c.experimental_data.data_file_name.as_deref(),
        Some("scan.hdf")
    );
}

#[test]
fn atomic_write() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.yaml");
    write_atomic(&p, "a: 1\n", false).unwrap();
    assert!(write_atomic(&p, "a: 2\n", false).is_err());
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "a: 1\n");
    write_atomic(&p, "a: 2\n", true).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "a: 2\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}
