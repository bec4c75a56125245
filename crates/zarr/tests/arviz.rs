//! Round trip through Python: a store written here must open in xarray/ArviZ with the same
//! values, dims, coordinates and attributes. Runs when `$HOMODYNE_PYTHON` (default `python3`)
//! imports arviz, xarray and zarr; otherwise prints one `skipped: ...` line and passes.

use std::path::Path;
use std::process::Command;

use homodyne_zarr::{Array, InferenceData, Values};
use serde_json::{Map, Value, json};

const N_CHAIN: usize = 4;
const N_DRAW: usize = 200;

/// Deterministic AR(1)-like chains (a hash as noise) so that R-hat/ESS have something to do.
fn chains(seed: u64, mean: f64, sd: f64, rho: f64) -> Vec<f64> {
    let noise = |i: u64| {
        let mut x =
            (i ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
        x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 29;
        (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut out = Vec::with_capacity(N_CHAIN * N_DRAW);
    for c in 0..N_CHAIN {
        let mut x = 0.0;
        for d in 0..N_DRAW {
            x = rho * x + noise((c * N_DRAW + d) as u64);
            out.push(mean + sd * x);
        }
    }
    out
}

/// What Python should find for one array.
fn expect(a: &Array) -> Value {
    let (dtype, values) = match a.values() {
        Values::F64(v) => ("<f8", json!(v)),
        Values::F32(v) => ("<f4", json!(v)),
        Values::I64(v) => ("<i8", json!(v)),
        Values::Bool(v) => ("bool", json!(v)),
        Values::Str(v) => ("str", json!(v)),
    };
    json!({"dtype": dtype, "values": values, "shape": a.shape(), "dims": a.dims()})
}

fn python() -> String {
    std::env::var("HOMODYNE_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[test]
fn opens_in_arviz() {
    let py = python();
    let probe = Command::new(&py)
        .args(["-c", "import arviz, xarray, zarr"])
        .output();
    match probe {
        Err(e) => {
            println!("skipped: cannot run {py}: {e}");
            return;
        }
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().last().unwrap_or("import failed");
            println!("skipped: {py} cannot import arviz, xarray and zarr ({last})");
            return;
        }
        Ok(_) => {}
    }

    let cd = &["chain", "draw"];
    let shape = &[N_CHAIN, N_DRAW];
    let mut idata = InferenceData::new();
    idata
        .attr("created_by", "homodyne-zarr test")
        .attr("num_shards", 2);

    let contrast: Vec<f64> = {
        let per_angle: Vec<Vec<f64>> = (0..3)
            .map(|k| chains(10 + k, 0.1 + 0.05 * k as f64, 4e-4, 0.1))
            .collect();
        (0..N_CHAIN * N_DRAW)
            .flat_map(|i| per_angle.iter().map(move |v| v[i]))
            .collect()
    };
    let u: Vec<f64> = {
        let per_param: Vec<Vec<f64>> = (0..3).map(|k| chains(20 + k, k as f64, 1.0, 0.5)).collect();
        (0..N_CHAIN * N_DRAW)
            .flat_map(|i| per_param.iter().map(move |v| v[i]))
            .collect()
    };
    let posterior = [
        // Two chunks along `chain`: exercises chunked reads too.
        (
            "D0",
            Array::new(chains(1, 1.7e4, 120.0, 0.6), shape, cd).with_chunk_len(3),
        ),
        ("alpha", Array::new(chains(2, -1.57, 0.004, 0.3), shape, cd)),
        (
            "contrast",
            Array::new(contrast, &[N_CHAIN, N_DRAW, 3], &["chain", "draw", "angle"]),
        ),
        (
            "u",
            Array::new(u, &[N_CHAIN, N_DRAW, 3], &["chain", "draw", "parameter"]),
        ),
    ];
    let posterior_coords = [
        ("angle", Array::vector(vec![-10.0, 35.0, 80.0], "angle")),
        (
            "parameter",
            Array::vector(vec!["D0", "alpha", "D_offset"], "parameter"),
        ),
    ];
    let n = N_CHAIN * N_DRAW;
    let sample_stats = [
        (
            "diverging",
            Array::new((0..n).map(|i| i % 97 == 5).collect::<Vec<_>>(), shape, cd),
        ),
        ("step_size", Array::new(vec![0.45; n], shape, cd)),
        (
            "tree_depth",
            Array::new(
                (0..n).map(|i| (i % 3) as i64 + 2).collect::<Vec<_>>(),
                shape,
                cd,
            ),
        ),
        ("lp", Array::new(chains(3, -1234.5, 2.0, 0.2), shape, cd)),
        ("energy", Array::new(chains(4, 1240.0, 3.0, 0.2), shape, cd)),
        (
            "acceptance_rate",
            Array::new(chains(5, 0.85, 0.2, 0.0), shape, cd),
        ),
    ];
    let constant = [
        ("phi", Array::vector(vec![-10.0, 35.0, 80.0], "angle")),
        (
            "t",
            Array::vector((0..5).map(|i| i as f32 * 0.1).collect::<Vec<_>>(), "time"),
        ),
    ];
    let shard = [(
        "D0",
        Array::new(chains(6, 1.7e4, 150.0, 0.5)[..100].to_vec(), &[2, 50], cd),
    )];

    let mut groups = Map::new();
    let mut add = |idata: &mut InferenceData,
                   group: &str,
                   vars: &[(&str, Array)],
                   coords: &[(&str, Array)],
                   attrs: Value| {
        let ds = idata.group(group);
        for (k, v) in attrs.as_object().unwrap() {
            ds.attr(k, v.clone());
        }
        let mut ev = Map::new();
        for (name, a) in vars {
            ds.var(name, a.clone());
            ev.insert((*name).into(), expect(a));
        }
        let mut ec = Map::new();
        for (name, a) in coords {
            ds.coord(name, a.clone());
            ec.insert((*name).into(), expect(a));
        }
        groups.insert(
            group.into(),
            json!({"vars": ev, "coords": ec, "attrs": attrs}),
        );
    };
    let attrs = json!({
        "inference_library": "nuts-rs 0.19.1",
        "sampling_method": "consensus_mc",
        "num_shards": 2,
        "combination": "weighted_gaussian",
        "ess_tail_quantiles": [0.05, 0.95],
    });
    add(
        &mut idata,
        "posterior",
        &posterior,
        &posterior_coords,
        attrs.clone(),
    );
    add(&mut idata, "sample_stats", &sample_stats, &[], attrs);
    add(&mut idata, "constant_data", &constant, &[], json!({}));
    add(
        &mut idata,
        "shards/shard_0001/posterior",
        &shard,
        &[],
        json!({"shard": 1}),
    );
    // The automatic index coordinates.
    let e = groups["posterior"]["coords"].as_object().unwrap().clone();
    let mut e = e;
    e.insert(
        "chain".into(),
        expect(&Array::vector(
            (0..N_CHAIN as i64).collect::<Vec<_>>(),
            "chain",
        )),
    );
    e.insert(
        "draw".into(),
        expect(&Array::vector(
            (0..N_DRAW as i64).collect::<Vec<_>>(),
            "draw",
        )),
    );
    groups["posterior"]["coords"] = Value::Object(e);

    let dir = tempfile::tempdir().unwrap();
    let store = idata.write(dir.path().join("posterior.zarr")).unwrap();
    let expected = json!({"root_attrs": {"created_by": "homodyne-zarr test", "num_shards": 2}, "groups": groups});
    let expected_path = dir.path().join("expected.json");
    std::fs::write(&expected_path, serde_json::to_vec(&expected).unwrap()).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/arviz_roundtrip.py");
    let out = Command::new(&py)
        .arg(&script)
        .arg(&store)
        .arg(&expected_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{py} {} failed:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{stdout}");
}
