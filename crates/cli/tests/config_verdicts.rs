//! `homodyne-config --validate` and a `homodyne` run agree on every bad configuration: a
//! table of cases, each a small edit of the example configuration with the expected
//! verdict and a fragment both programs must print (the reason, naming the key).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// Both exit 1 and print the fragment (validate's report, the run's error).
    Reject,
    /// Both succeed (exit 0) and print the fragment (a warning).
    Accept,
}
use Verdict::{Accept, Reject};

struct Case {
    name: &'static str,
    /// (`from`, `to`) replacements in the example configuration; `from` occurs once.
    edits: &'static [(&'static str, &'static str)],
    verdict: Verdict,
    fragment: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "duplicate analysis_mode",
        edits: &[(
            "analysis_mode: \"laminar_flow\"\n",
            "analysis_mode: \"laminar_flow\"\nanalysis_mode: static\n",
        )],
        verdict: Reject,
        fragment: "duplicate key \"analysis_mode\"",
    },
    Case {
        name: "duplicate nested key",
        edits: &[(
            "    max_iterations: 200\n",
            "    max_iterations: 200\n    max_iterations: 10\n",
        )],
        verdict: Reject,
        fragment: "duplicate key \"max_iterations\"",
    },
    Case {
        name: "unknown analysis mode",
        edits: &[(
            "analysis_mode: \"laminar_flow\"",
            "analysis_mode: \"sideways\"",
        )],
        verdict: Reject,
        fragment: "analysis_mode",
    },
    Case {
        name: "syntax error",
        edits: &[("  dt: 0.1 # frame time [s]", "  dt: [0.1 # frame time [s]")],
        verdict: Reject,
        fragment: "syntax error",
    },
    Case {
        name: "section is a list",
        edits: &[(
            "phi_filtering:\n  enabled: false\n",
            "phi_filtering: [1, 2]\n",
        )],
        verdict: Reject,
        fragment: "phi_filtering",
    },
    Case {
        name: "fractional start frame",
        edits: &[("start_frame: 1 #", "start_frame: 1.5 #")],
        verdict: Reject,
        fragment: "analyzer_parameters.start_frame",
    },
    Case {
        name: "zero dt",
        edits: &[("dt: 0.1 #", "dt: 0 #")],
        verdict: Reject,
        fragment: "analyzer_parameters.dt",
    },
    Case {
        name: "dt not a number",
        edits: &[("dt: 0.1 #", "dt: fast #")],
        verdict: Reject,
        fragment: "analyzer_parameters.dt",
    },
    Case {
        name: "end before start",
        edits: &[
            ("start_frame: 1 #", "start_frame: 50 #"),
            ("end_frame: 80 #", "end_frame: 10 #"),
        ],
        verdict: Reject,
        fragment: "analyzer_parameters.end_frame",
    },
    Case {
        name: "negative q",
        edits: &[("wavevector_q: 0.0054", "wavevector_q: -0.0054")],
        verdict: Reject,
        fragment: "analyzer_parameters.scattering.wavevector_q",
    },
    Case {
        name: "zero gap",
        edits: &[("stator_rotor_gap: 2000000", "stator_rotor_gap: 0")],
        verdict: Reject,
        fragment: "analyzer_parameters.geometry.stator_rotor_gap",
    },
    Case {
        name: "zero q tolerance",
        edits: &[(
            "analysis_mode: \"laminar_flow\"\n",
            "analysis_mode: \"laminar_flow\"\nq_tolerance_fraction: 0\n",
        )],
        verdict: Reject,
        fragment: "q_tolerance_fraction",
    },
    Case {
        name: "unknown cache placeholder",
        edits: &[(
            "  use_caching: false # the file is tiny: no NPZ cache next to it\n",
            "  cache_filename_template: \"c_${unknown}.npz\"\n  use_caching: false\n",
        )],
        verdict: Reject,
        fragment: "${unknown}",
    },
    Case {
        name: "NaN phi range",
        edits: &[(
            "phi_filtering:\n  enabled: false\n",
            "phi_filtering:\n  enabled: false\n  target_ranges:\n    - {min_angle: .nan, max_angle: 10.0}\n",
        )],
        verdict: Reject,
        fragment: "phi_filtering.target_ranges[0].min_angle",
    },
    Case {
        name: "bad combine criteria",
        edits: &[(
            "analysis_mode: \"laminar_flow\"\n",
            "analysis_mode: \"laminar_flow\"\ndata_filtering:\n  combine_criteria: xor\n",
        )],
        verdict: Reject,
        fragment: "data_filtering.combine_criteria",
    },
    Case {
        name: "unknown parameter name",
        edits: &[(
            "[D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0]",
            "[D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, psi0]",
        )],
        verdict: Reject,
        fragment: "psi0",
    },
    Case {
        name: "values count mismatch",
        edits: &[(
            "values: [10000.0, -0.2, 30.0, 3.0e-4, 0.0, 0.0, 0.0]",
            "values: [10000.0, -0.2]",
        )],
        verdict: Reject,
        fragment: "initial_parameters.values",
    },
    Case {
        name: "unknown fixed parameter",
        edits: &[(
            "fixed_parameters: {gamma_dot_t_offset: 0.0}",
            "fixed_parameters: {gamma: 0.0}",
        )],
        verdict: Reject,
        fragment: "initial_parameters.fixed_parameters",
    },
    Case {
        name: "bounds reversed",
        edits: &[(
            "{ name: D0, min: 100.0, max: 100000.0 }",
            "{ name: D0, min: 100000.0, max: 100.0 }",
        )],
        verdict: Reject,
        fragment: "parameter_space.bounds[2].min",
    },
    Case {
        name: "bad loss",
        edits: &[("loss: \"linear\"", "loss: \"sideways\"")],
        verdict: Reject,
        fragment: "optimization.nlsq.loss",
    },
    Case {
        name: "bad strategy",
        edits: &[(
            "    loss: \"linear\"\n",
            "    loss: \"linear\"\n    strategy: warp\n",
        )],
        verdict: Reject,
        fragment: "optimization.nlsq.strategy",
    },
    Case {
        name: "bad per-angle mode",
        edits: &[("per_angle_mode: \"auto\"", "per_angle_mode: \"sometimes\"")],
        verdict: Reject,
        fragment: "optimization.nlsq.anti_degeneracy.per_angle_mode",
    },
    Case {
        name: "negative sigma",
        edits: &[(
            "    loss: \"linear\"\n",
            "    loss: \"linear\"\n    sigma: -1.0\n",
        )],
        verdict: Reject,
        fragment: "optimization.nlsq.sigma",
    },
    Case {
        name: "zero f_scale",
        edits: &[(
            "    loss: \"linear\"\n",
            "    loss: \"linear\"\n    f_scale: 0\n",
        )],
        verdict: Reject,
        fragment: "optimization.nlsq.f_scale",
    },
    Case {
        name: "zero CMC points",
        edits: &[(
            "  method: \"nlsq\"\n",
            "  method: \"nlsq\"\n  cmc:\n    min_points_for_cmc: 0\n",
        )],
        verdict: Reject,
        fragment: "optimization.cmc.min_points_for_cmc",
    },
    Case {
        name: "bad method",
        edits: &[("  method: \"nlsq\"\n", "  method: \"guess\"\n")],
        verdict: Reject,
        fragment: "optimization.method",
    },
    Case {
        name: "unknown key",
        edits: &[(
            "analysis_mode: \"laminar_flow\"\n",
            "analysis_mode: \"laminar_flow\"\nanalysis_mood: happy\n",
        )],
        verdict: Accept,
        fragment: "analysis_mood",
    },
    Case {
        name: "start frame 0",
        edits: &[("start_frame: 1 #", "start_frame: 0 #")],
        verdict: Accept,
        fragment: "0 is treated as 1",
    },
    Case {
        name: "start value outside bounds",
        edits: &[(
            "values: [10000.0, -0.2, 30.0, 3.0e-4, 0.0, 0.0, 0.0]",
            "values: [10000.0, -0.2, 30.0, 3.0e-4, 0.0, 0.0, 20.0]",
        )],
        verdict: Accept,
        fragment: "phi0 = 20 lies outside its bounds",
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(bin: &str, dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out: Output = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn validate_and_run_agree_on_every_case() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/data/example_laminar.hdf"),
        dir.path().join("example_laminar.hdf"),
    )
    .unwrap();
    let example = std::fs::read_to_string(root().join("examples/example_laminar.yaml"))
        .unwrap()
        .replace(
            "data_folder_path: \"data/\"",
            &format!("data_folder_path: \"{}/\"", dir.path().display()),
        );
    let mut failures = Vec::new();
    for (k, case) in CASES.iter().enumerate() {
        let mut text = example.clone();
        for (from, to) in case.edits {
            assert_eq!(
                text.matches(from).count(),
                1,
                "{}: `{from}` must occur once",
                case.name
            );
            text = text.replacen(from, to, 1);
        }
        let config = dir.path().join(format!("case_{k}.yaml"));
        std::fs::write(&config, &text).unwrap();
        let config = config.to_str().unwrap();
        let out_dir = dir.path().join(format!("out_{k}"));
        let validate = run(
            env!("CARGO_BIN_EXE_homodyne-config"),
            dir.path(),
            &["--validate", config],
        );
        let fit = run(
            env!("CARGO_BIN_EXE_homodyne"),
            dir.path(),
            &[
                "--config",
                config,
                "--output-dir",
                out_dir.to_str().unwrap(),
            ],
        );
        let expected_code = match case.verdict {
            Reject => Some(1),
            Accept => Some(0),
        };
        for (program, (code, output)) in [
            ("homodyne-config --validate", &validate),
            ("homodyne", &fit),
        ] {
            if *code != expected_code || !output.contains(case.fragment) {
                failures.push(format!(
                    "{}: {program} exited {code:?} (expected {expected_code:?}, {:?}) {}\n{output}",
                    case.name,
                    case.verdict,
                    if output.contains(case.fragment) {
                        String::new()
                    } else {
                        format!("without `{}`", case.fragment)
                    },
                ));
            }
        }
        if case.verdict == Reject {
            assert!(
                !out_dir.join("nlsq/parameters.json").exists(),
                "{}: a rejected configuration wrote results",
                case.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
