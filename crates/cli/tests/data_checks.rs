//! End to end, what issue 11 asked of data and configuration checks: a requested q or phi
//! range the file does not have, data that cannot be fitted, damaged files and unclear
//! messages are refused or reported on the console, naming the file, key or dataset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use homodyne::data::NpzWriter;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example configuration with the data read from `dir/<data_name>` and `edits`
/// (`from`, `to`) applied (each `from` must occur once).
fn config(dir: &Path, data_name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(root().join("examples/example_laminar.yaml")).unwrap();
    let mut all = vec![
        (
            "data_folder_path: \"data/\"",
            format!("data_folder_path: \"{}/\"", dir.display()),
        ),
        (
            "data_file_name: \"example_laminar.hdf\"",
            format!("data_file_name: \"{data_name}\""),
        ),
    ];
    all.extend(edits.iter().map(|(a, b)| (*a, b.to_string())));
    for (from, to) in all {
        assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
        text = text.replacen(from, &to, 1);
    }
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn copy_example(dir: &Path) {
    std::fs::copy(
        root().join("examples/data/example_laminar.hdf"),
        dir.join("example_laminar.hdf"),
    )
    .unwrap();
}

fn homodyne(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fit of `config` into `dir/out`.
fn fit(dir: &Path, config: &Path) -> (Option<i32>, String) {
    homodyne(
        dir,
        &[
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            dir.join("out").to_str().unwrap(),
        ],
    )
}

/// Load only (no fit): `--plot-experimental-data`.
fn load_only(dir: &Path, config: &Path) -> (Option<i32>, String) {
    homodyne(
        dir,
        &[
            "--plot-experimental-data",
            "--config",
            config.to_str().unwrap(),
            "--output-dir",
            dir.join("out").to_str().unwrap(),
        ],
    )
}

fn assert_has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "stderr lacks `{p}`:\n{text}");
    }
}

#[test]
fn q_too_far_from_every_ring_is_refused_with_the_rings() {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[("wavevector_q: 0.0054", "wavevector_q: 0.5")],
    );
    let (code, err) = fit(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(
        &err,
        &[
            "example_laminar.hdf",
            "wavevector_q = 0.5",
            "q rings in the file: 0.0054, 0.008",
        ],
    );
    assert!(!dir.path().join("out/nlsq/parameters.json").exists());
}

#[test]
fn phi_ranges_selecting_nothing_error_or_warn_with_the_angles() {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let ranges = "phi_filtering:\n  enabled: true\n  target_ranges:\n    - {min_angle: 120.0, max_angle: 130.0}\n";
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[("phi_filtering:\n  enabled: false\n", ranges)],
    );
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(
        &err,
        &[
            "example_laminar.hdf",
            "[120, 130] select none of the 8 angles",
            "-67.5",
            "90 degrees",
            "fallback_to_all_angles",
        ],
    );
    // The reference templates' fallback: every angle, said on the console.
    let fallback = format!("{ranges}  fallback_to_all_angles: true\n");
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[("phi_filtering:\n  enabled: false\n", &fallback)],
    );
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.to_lowercase().contains("warn"), "{err}");
    assert_has(
        &err,
        &[
            "[120, 130] select none of the 8 angles",
            "-67.5",
            "fitting all of them",
        ],
    );
}

/// An NPZ data file (the cache schema) with `c2` filled by `value(angle, i, j)`.
fn npz_data(path: &Path, t1_first: f64, value: impl Fn(usize, usize, usize) -> f64) {
    let (n_phi, n_t) = (3, 20);
    let t: Vec<f64> = (0..n_t).map(|i| 0.1 * i as f64).collect();
    let mut t1 = t.clone();
    t1[0] = t1_first;
    let c2: Vec<f64> = (0..n_phi * n_t * n_t)
        .map(|k| value(k / (n_t * n_t), (k / n_t) % n_t, k % n_t))
        .collect();
    let mut w = NpzWriter::create(path, false).unwrap();
    w.add_f64("wavevector_q_list", &[n_phi], [0.0054; 3].iter())
        .unwrap();
    w.add_f64("phi_angles_list", &[n_phi], [0.0, 45.0, 90.0].iter())
        .unwrap();
    w.add_f64("t1", &[n_t], t1.iter()).unwrap();
    w.add_f64("t2", &[n_t], t.iter()).unwrap();
    w.add_f64("c2_exp", &[n_phi, n_t, n_t], c2.iter()).unwrap();
    w.finish().unwrap();
}

#[test]
fn zero_and_constant_data_are_refused_per_angle() {
    let dir = tempfile::tempdir().unwrap();
    let decay = |i: usize, j: usize| 1.0 + 0.2 * (-(i.abs_diff(j) as f64) / 4.0).exp();
    // Angle 45 all zero, angle 90 constant; angle 0 fine.
    npz_data(&dir.path().join("bad.npz"), 0.0, |a, i, j| match a {
        0 => decay(i, j),
        1 => 0.0,
        _ => 1.0,
    });
    let cfg = config(dir.path(), "bad.npz", &[("end_frame: 80", "end_frame: 20")]);
    let (code, err) = fit(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(
        &err,
        &[
            "bad.npz",
            "2 of 3 angles",
            "phi = 45 degrees (matrix 2 of 3): every value is zero",
            "phi = 90 degrees (matrix 3 of 3): every value equals 1",
        ],
    );
    assert!(!dir.path().join("out/nlsq/parameters.json").exists());
    // All zero: every angle named.
    npz_data(&dir.path().join("bad.npz"), 0.0, |_, _, _| 0.0);
    let (code, err) = fit(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(&err, &["3 of 3 angles", "phi = 0 degrees"]);
}

#[test]
fn non_finite_time_axis_names_file_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    npz_data(&dir.path().join("inf_t.npz"), f64::INFINITY, |_, i, j| {
        1.0 + 0.2 * (-(i.abs_diff(j) as f64)).exp()
    });
    let cfg = config(dir.path(), "inf_t.npz", &[]);
    let (code, err) = fit(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(&err, &["inf_t.npz", "t1[0] = inf is not finite"]);
}

#[test]
fn truncated_file_warns_when_the_cut_is_unused_and_fails_when_used() {
    let dir = tempfile::tempdir().unwrap();
    // The last matrix (c2_00016, ring 0.008) starts at byte 265238; cut inside it.
    let bytes = std::fs::read(root().join("examples/data/example_laminar.hdf")).unwrap();
    std::fs::write(dir.path().join("cut.hdf"), &bytes[..265_238 + 200]).unwrap();
    let cfg = config(dir.path(), "cut.hdf", &[]);
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(0), "{err}");
    assert_has(
        &err,
        &[
            "cut.hdf: the file is truncated",
            "'xpcs/twotime/correlation_map/c2_00016' (q = 0.008",
            "not used by this run",
        ],
    );
    let cfg = config(
        dir.path(),
        "cut.hdf",
        &[("wavevector_q: 0.0054", "wavevector_q: 0.008")],
    );
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(&err, &["cut.hdf", "c2_00016", "the file is truncated"]);
}

#[test]
fn missing_index_mapping_is_a_console_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("crates/data/tests/data/aps_u_plain_f64_gzip.h5"),
        dir.path().join("plain.h5"),
    )
    .unwrap();
    let cfg = config(
        dir.path(),
        "plain.h5",
        &[
            ("wavevector_q: 0.0054", "wavevector_q: 0.006"),
            ("end_frame: 80", "end_frame: 16"),
        ],
    );
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(0), "{err}");
    assert_has(
        &err,
        &["plain.h5: no xpcs/qmap/dynamic_index_mapping: falling back to bin b = grid cell b - 1"],
    );
}

#[test]
fn unknown_cache_placeholder_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[(
            "  use_caching: false # the file is tiny: no NPZ cache next to it\n",
            "  cache_filename_template: \"c_${unknown}_${start_frame}.npz\"\n",
        )],
    );
    let (code, err) = load_only(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(
        &err,
        &["experimental_data.cache_filename_template", "${unknown}"],
    );
    let literal = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("unknown"));
    assert!(!literal, "no file named after the placeholder");
}

#[test]
fn fractional_start_frame_gets_one_message() {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[("start_frame: 1 #", "start_frame: 1.5 #")],
    );
    let (code, err) = fit(dir.path(), &cfg);
    assert_eq!(code, Some(1), "{err}");
    assert_has(&err, &["analyzer_parameters.start_frame", "1.5"]);
    assert!(!err.contains("treated as 1"), "{err}");
}

#[test]
fn simulate_accepts_end_frame_minus_one() {
    let dir = tempfile::tempdir().unwrap();
    copy_example(dir.path());
    let cfg = config(
        dir.path(),
        "example_laminar.hdf",
        &[("end_frame: 80 #", "end_frame: -1 #")],
    );
    let out = dir.path().join("sim.npz");
    let (code, err) = homodyne(
        dir.path(),
        &[
            "simulate",
            "--config",
            cfg.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let npz = homodyne::data::NpzReader::open(&out).unwrap();
    assert_eq!(
        npz.header("t").unwrap().shape,
        vec![80],
        "the file's 80 frames"
    );

    // Without a data file: an error naming the key and what to write instead.
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("data_file_name: \"example_laminar.hdf\"", "");
    std::fs::write(&cfg, text).unwrap();
    let (code, err) = homodyne(
        dir.path(),
        &[
            "simulate",
            "--config",
            cfg.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_has(
        &err,
        &[
            "analyzer_parameters.end_frame: -1",
            "no data file is configured",
        ],
    );
}
