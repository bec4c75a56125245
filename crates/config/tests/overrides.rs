//! Start values under `active_parameters`, and the CLI's mode / initial-value overrides.

use homodyne_config::{AnalysisMode, Format, load_str};

const LAMINAR: &str = "analysis_mode: laminar_flow
initial_parameters:
  values: [68000.0, -1.33, 1700.0, 0.002, -0.21, -0.0006, 2.0]
";

fn load(text: &str) -> homodyne_config::Config {
    load_str(text, Format::Yaml, "test.yaml").unwrap().config
}

#[test]
fn active_parameters_do_not_reset_other_start_values() {
    let cfg = load(&format!(
        "{LAMINAR}  active_parameters: [D0, alpha, D_offset]\n"
    ));
    assert_eq!(cfg.initial_values().names, vec!["D0", "alpha", "D_offset"]);
    // NLSQ fits all seven: the others start at their configured values, not midpoints.
    assert_eq!(
        cfg.initial_physical(),
        vec![68000.0, -1.33, 1700.0, 0.002, -0.21, -0.0006, 2.0]
    );
}

#[test]
fn mode_override_keeps_values_attached_to_names() {
    let mut cfg = load(LAMINAR);
    cfg.override_mode(AnalysisMode::Static);
    assert_eq!(cfg.mode(), AnalysisMode::Static);
    assert!(!cfg.initial_values().from_midpoints);
    assert_eq!(cfg.initial_physical(), vec![68000.0, -1.33, 1700.0]);
}

#[test]
fn initial_override_makes_every_value_explicit() {
    let mut cfg = load("analysis_mode: static\ninitial_parameters:\n  values: null\n");
    assert!(cfg.initial_values().from_midpoints);
    assert!(cfg.override_initial("D0", 5000.0));
    assert!(!cfg.initial_values().from_midpoints);
    assert_eq!(cfg.initial_physical(), vec![5000.0, 0.0, 0.0]);
    // A laminar-only parameter does not exist in static mode.
    assert!(!cfg.override_initial("phi0", 3.0));
    // Fixed values win over configured ones.
    let cfg = load(&format!("{LAMINAR}  fixed_parameters:\n    alpha: 0.0\n"));
    assert_eq!(cfg.initial_physical()[1], 0.0);
}
