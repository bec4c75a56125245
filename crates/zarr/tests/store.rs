//! Rust-only checks of the written files: metadata documents, chunk bytes, atomic
//! replacement, and the validation errors.

use std::fs;
use std::path::Path;

use homodyne_zarr::{Array, Attrs, InferenceData, StoreWriter, Values, ZarrError};
use serde_json::{Value, json};

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Decodes a `<f8` chunk.
fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn sample_idata() -> InferenceData {
    let mut idata = InferenceData::new();
    idata.attr("created_by", "test").attr("num_shards", 3);
    let d0: Vec<f64> = (0..8).map(|i| 1.0e4 + f64::from(i) * 0.5).collect();
    let contrast: Vec<f64> = (0..24).map(|i| 0.1 + f64::from(i) * 1e-3).collect();
    idata
        .posterior()
        .attr("sampling_method", "consensus_mc")
        .attr("ess_tail_quantiles", json!([0.05, 0.95]))
        .var(
            "D0",
            Array::new(d0, &[2, 4], &["chain", "draw"]).with_attr("units", "A^2/s"),
        )
        .var(
            "contrast",
            Array::new(contrast, &[2, 4, 3], &["chain", "draw", "angle"]),
        )
        .coord("angle", Array::vector(vec![0.0, 45.0, 90.0], "angle"));
    idata
        .sample_stats()
        .var(
            "diverging",
            Array::new(
                vec![false, true, false, false, false, false, true, false],
                &[2, 4],
                &["chain", "draw"],
            ),
        )
        .var(
            "tree_depth",
            Array::new(
                vec![3i64, 4, 5, 6, 7, 8, 9, 10],
                &[2, 4],
                &["chain", "draw"],
            ),
        );
    idata
}

#[test]
fn metadata_documents() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample_idata().write(dir.path().join("post.zarr")).unwrap();

    assert_eq!(read_json(&p.join(".zgroup")), json!({"zarr_format": 2}));
    assert_eq!(
        read_json(&p.join(".zattrs")),
        json!({"created_by": "test", "num_shards": 3})
    );
    assert_eq!(
        read_json(&p.join("posterior/.zgroup")),
        json!({"zarr_format": 2})
    );
    assert_eq!(
        read_json(&p.join("posterior/.zattrs")),
        json!({"sampling_method": "consensus_mc", "ess_tail_quantiles": [0.05, 0.95]})
    );
    assert_eq!(
        read_json(&p.join("posterior/contrast/.zarray")),
        json!({
            "zarr_format": 2, "shape": [2, 4, 3], "chunks": [2, 4, 3], "dtype": "<f8",
            "compressor": null, "fill_value": null, "order": "C", "filters": null,
            "dimension_separator": "."
        })
    );
    assert_eq!(
        read_json(&p.join("posterior/D0/.zattrs")),
        json!({"units": "A^2/s", "_ARRAY_DIMENSIONS": ["chain", "draw"]})
    );
    assert_eq!(
        read_json(&p.join("sample_stats/diverging/.zarray"))["dtype"],
        "|b1"
    );
    assert_eq!(
        read_json(&p.join("sample_stats/tree_depth/.zarray"))["dtype"],
        "<i8"
    );

    // Index coordinates for dims without one; the explicit `angle` kept.
    for g in ["posterior", "sample_stats"] {
        for d in ["chain", "draw"] {
            let z = read_json(&p.join(format!("{g}/{d}/.zarray")));
            assert_eq!(z["dtype"], "<i8");
            assert_eq!(
                read_json(&p.join(format!("{g}/{d}/.zattrs"))),
                json!({"_ARRAY_DIMENSIONS": [d]})
            );
        }
    }
    assert_eq!(
        read_json(&p.join("posterior/angle/.zarray"))["dtype"],
        "<f8"
    );
    assert!(!p.join("sample_stats/angle").exists());

    // Consolidated metadata: exactly the documents on disk.
    let zmeta = read_json(&p.join(".zmetadata"));
    assert_eq!(zmeta["zarr_consolidated_format"], 1);
    let meta = zmeta["metadata"].as_object().unwrap();
    let mut on_disk = 0;
    for entry in walk(&p) {
        let rel = entry.strip_prefix(&p).unwrap().to_str().unwrap().to_owned();
        let name = entry.file_name().unwrap().to_str().unwrap();
        if [".zgroup", ".zattrs", ".zarray"].contains(&name) {
            assert_eq!(meta[&rel], read_json(&entry), "{rel}");
            on_disk += 1;
        }
    }
    assert_eq!(on_disk, meta.len());
    // 3 groups x 2 + 7 arrays x 2 (D0, contrast, angle, chain, draw; diverging, tree_depth,
    // chain, draw = 9 arrays).
    assert_eq!(meta.len(), 3 * 2 + 9 * 2);
}

fn walk(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(p).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn chunk_bytes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample_idata().write(dir.path().join("post.zarr")).unwrap();
    let d0 = f64s(&fs::read(p.join("posterior/D0/0.0")).unwrap());
    assert_eq!(
        d0,
        (0..8)
            .map(|i| 1.0e4 + f64::from(i) * 0.5)
            .collect::<Vec<_>>()
    );
    let c = f64s(&fs::read(p.join("posterior/contrast/0.0.0")).unwrap());
    assert_eq!(c.len(), 24);
    assert_eq!(c[23], 0.1 + 23.0 * 1e-3);
    assert_eq!(
        fs::read(p.join("sample_stats/diverging/0.0")).unwrap(),
        vec![0, 1, 0, 0, 0, 0, 1, 0]
    );
    let td: Vec<i64> = fs::read(p.join("sample_stats/tree_depth/0.0"))
        .unwrap()
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(td, vec![3, 4, 5, 6, 7, 8, 9, 10]);
    let draw: Vec<i64> = fs::read(p.join("posterior/draw/0"))
        .unwrap()
        .chunks_exact(8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(draw, vec![0, 1, 2, 3]);
}

#[test]
fn chunks_along_first_axis_pad_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = StoreWriter::create(dir.path().join("s.zarr")).unwrap();
    let v: Vec<f64> = (0..15).map(f64::from).collect();
    w.write_array(
        "g/x",
        &Array::new(v, &[5, 3], &["a", "b"]).with_chunk_len(2),
    )
    .unwrap();
    let p = w.finish().unwrap();
    assert_eq!(read_json(&p.join("g/x/.zarray"))["chunks"], json!([2, 3]));
    assert_eq!(
        f64s(&fs::read(p.join("g/x/0.0")).unwrap()),
        vec![0., 1., 2., 3., 4., 5.]
    );
    assert_eq!(
        f64s(&fs::read(p.join("g/x/1.0")).unwrap()),
        vec![6., 7., 8., 9., 10., 11.]
    );
    // Zarr v2 keeps edge chunks at full size.
    assert_eq!(
        f64s(&fs::read(p.join("g/x/2.0")).unwrap()),
        vec![12., 13., 14., 0., 0., 0.]
    );
    assert!(!p.join("g/x/3.0").exists());
}

#[test]
fn other_dtypes_scalars_and_strings() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = StoreWriter::create(dir.path().join("s.zarr")).unwrap();
    w.write_array("s", &Array::scalar(vec![2.5f64])).unwrap();
    w.write_array("f", &Array::vector(vec![1.5f32, -2.0], "n"))
        .unwrap();
    w.write_array("names", &Array::vector(vec!["D0", "alpha", "φ₀"], "p"))
        .unwrap();
    w.write_array(
        "empty",
        &Array::new(Vec::<f64>::new(), &[0, 3], &["z", "m"]),
    )
    .unwrap();
    let p = w.finish().unwrap();

    let s = read_json(&p.join("s/.zarray"));
    assert_eq!(
        (s["shape"].clone(), s["chunks"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(f64s(&fs::read(p.join("s/0")).unwrap()), vec![2.5]);
    assert_eq!(read_json(&p.join("f/.zarray"))["dtype"], "<f4");
    assert_eq!(
        fs::read(p.join("f/0")).unwrap(),
        [1.5f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat()
    );
    assert_eq!(read_json(&p.join("names/.zarray"))["dtype"], "<U5");
    let raw = fs::read(p.join("names/0")).unwrap();
    assert_eq!(raw.len(), 3 * 5 * 4);
    let chars: String = raw
        .chunks_exact(4)
        .map(|b| char::from_u32(u32::from_le_bytes(b.try_into().unwrap())).unwrap())
        .collect();
    assert_eq!(chars, "D0\0\0\0alphaφ₀\0\0\0");
    assert_eq!(read_json(&p.join("empty/.zarray"))["chunks"], json!([1, 3]));
    assert_eq!(fs::read_dir(p.join("empty")).unwrap().count(), 2); // .zarray, .zattrs only
}

#[test]
fn values_and_ndarray_conversions() {
    assert_eq!(Values::from(vec![true]).dtype(), "|b1");
    let a = ndarray::Array2::from_shape_fn((2, 3), |(i, j)| (10 * i + j) as f64);
    let arr = Array::from_ndarray(a.clone(), &["chain", "draw"]);
    assert_eq!(arr.shape(), &[2, 3]);
    assert_eq!(arr.values(), &Values::F64(vec![0., 1., 2., 10., 11., 12.]));
    // Transposed (Fortran order) and sliced (offset) arrays come out in C order.
    let f = Array::from_ndarray(a.clone().reversed_axes(), &["x", "y"]);
    assert_eq!(f.values(), &Values::F64(vec![0., 10., 1., 11., 2., 12.]));
    let mut s = a;
    s.slice_collapse(ndarray::s![1.., 1..]);
    assert_eq!(
        Array::from_ndarray(s, &["x", "y"]).values(),
        &Values::F64(vec![11., 12.])
    );
}

#[test]
fn replaces_an_existing_store_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("post.zarr");
    fs::create_dir_all(dest.join("stale_group")).unwrap();
    fs::write(dest.join("stale_group/file"), b"old").unwrap();

    let mut w = StoreWriter::create(&dest).unwrap();
    let tmp = w.temp_path().to_path_buf();
    assert_eq!(tmp.parent(), Some(dir.path()));
    assert_eq!(
        tmp.file_name().unwrap().to_str().unwrap(),
        format!(".post.zarr.tmp-{}", std::process::id())
    );
    w.write_array("x", &Array::vector(vec![1i64], "n")).unwrap();
    // The old store is untouched until finish.
    assert!(dest.join("stale_group/file").exists());
    w.finish().unwrap();
    assert!(!dest.join("stale_group").exists());
    assert!(dest.join("x/0").exists());
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary folders left"
    );

    // A plain file in the way is replaced too.
    fs::remove_dir_all(&dest).unwrap();
    fs::write(&dest, b"not a store").unwrap();
    sample_idata().write(&dest).unwrap();
    assert!(dest.join(".zmetadata").is_file());
}

#[test]
fn failed_write_keeps_old_store_and_removes_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("post.zarr");
    sample_idata().write(&dest).unwrap();
    let before = fs::read(dest.join(".zmetadata")).unwrap();

    let mut bad = sample_idata();
    bad.sample_stats()
        .var("lp", Array::new(vec![0.0; 7], &[2, 4], &["chain", "draw"]));
    let err = bad.write(&dest).unwrap_err();
    assert!(matches!(err, ZarrError::Invalid { .. }));
    assert_eq!(fs::read(dest.join(".zmetadata")).unwrap(), before);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary folder removed"
    );

    // Dropping an unfinished writer also cleans up.
    let w = StoreWriter::create(dir.path().join("other.zarr")).unwrap();
    let tmp = w.temp_path().to_path_buf();
    assert!(tmp.is_dir());
    drop(w);
    assert!(!tmp.exists());
    assert!(!dir.path().join("other.zarr").exists());
}

fn error_of(f: impl FnOnce(&mut StoreWriter) -> Result<(), ZarrError>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut w = StoreWriter::create(dir.path().join("e.zarr")).unwrap();
    let msg = f(&mut w).unwrap_err().to_string();
    assert!(msg.contains("e.zarr"), "error names the store: {msg}");
    msg
}

#[test]
fn validation_errors() {
    let cd = &["chain", "draw"];
    let m = error_of(|w| w.write_array("p/x", &Array::new(vec![0.0; 5], &[2, 3], cd)));
    assert!(
        m.contains("p/x: shape [2, 3] holds 6 elements but 5 values were given"),
        "{m}"
    );
    let m = error_of(|w| w.write_array("p/x", &Array::new(vec![0.0; 6], &[6], cd)));
    assert!(
        m.contains("p/x: 2 dimension names [\"chain\", \"draw\"] for a shape of rank 1 [6]"),
        "{m}"
    );
    let m = error_of(|w| {
        w.write_array(
            "p/x",
            &Array::new(vec![0.0; 4], &[2, 2], &["chain", "chain"]),
        )
    });
    assert!(m.contains("dimension `chain` is repeated"), "{m}");
    let m = error_of(|w| w.write_array("p/x", &Array::new(vec![0.0; 4], &[2, 2], &["chain", ""])));
    assert!(m.contains("dimension 1: empty name"), "{m}");
    let m = error_of(|w| w.write_array("p//x", &Array::scalar(vec![1.0])));
    assert!(m.contains("p//x: empty name"), "{m}");
    let m = error_of(|w| w.write_array("p/.zarray", &Array::scalar(vec![1.0])));
    assert!(m.contains("starts with '.'"), "{m}");
    let m = error_of(|w| w.write_array("", &Array::scalar(vec![1.0])));
    assert!(m.contains("empty path"), "{m}");
    let m = error_of(|w| {
        w.write_array("p/x", &Array::new(vec![0.0; 6], &[2, 3], cd))?;
        w.write_array("p/y", &Array::new(vec![0.0; 8], &[2, 4], cd))
    });
    assert!(
        m.contains("p/y: dimension `draw` has size 4 here but 3 in group `p`"),
        "{m}"
    );
    // Ancestors and descendants must agree too (DataTree alignment); siblings need not.
    let m = error_of(|w| {
        w.write_array("p/x", &Array::new(vec![0.0; 6], &[2, 3], cd))?;
        w.write_array("q/x", &Array::new(vec![0.0; 8], &[2, 4], cd))?;
        w.write_array("p/sub/y", &Array::new(vec![0.0; 8], &[2, 4], cd))
    });
    assert!(
        m.contains("p/sub/y: dimension `draw` has size 4 here but 3 in group `p`"),
        "{m}"
    );
    let m = error_of(|w| {
        w.write_array("p/x", &Array::scalar(vec![1.0]))?;
        w.write_array("p/x", &Array::scalar(vec![1.0]))
    });
    assert!(m.contains("p/x: already exists"), "{m}");
    let m = error_of(|w| {
        w.write_array("p/x", &Array::scalar(vec![1.0]))?;
        w.create_group("p/x/g", &Attrs::new())
    });
    assert!(m.contains("`p/x` is an array, not a group"), "{m}");
    let m = error_of(|w| {
        w.write_array(
            "x",
            &Array::scalar(vec![1.0]).with_attr("_ARRAY_DIMENSIONS", json!([])),
        )
    });
    assert!(m.contains("set by the writer"), "{m}");

    // High level: a bad variable names its group.
    let dir = tempfile::tempdir().unwrap();
    let mut idata = InferenceData::new();
    idata
        .group("shards/shard_0001/posterior")
        .var("D0", Array::new(vec![1.0; 3], &[1, 2], cd));
    let m = idata
        .write(dir.path().join("i.zarr"))
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("shards/shard_0001/posterior/D0: shape [1, 2] holds 2 elements but 3"),
        "{m}"
    );

    // No final path component.
    assert!(
        StoreWriter::create("/")
            .unwrap_err()
            .to_string()
            .contains("no (UTF-8) final component")
    );
}

#[test]
fn io_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let m = StoreWriter::create(blocker.join("s.zarr"))
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("cannot create folder") && m.contains("file"),
        "{m}"
    );
}

#[test]
fn group_attrs_merge_and_nested_groups() {
    let dir = tempfile::tempdir().unwrap();
    let mut idata = sample_idata();
    idata
        .group("shards/shard_0003/posterior")
        .attr("shard", 3)
        .var(
            "D0",
            Array::new(vec![1.0, 2.0], &[1, 2], &["chain", "draw"]),
        );
    let p = idata.write(dir.path().join("n.zarr")).unwrap();
    assert_eq!(read_json(&p.join("shards/.zattrs")), json!({}));
    assert_eq!(
        read_json(&p.join("shards/shard_0003/posterior/.zattrs")),
        json!({"shard": 3})
    );
    assert!(p.join("shards/shard_0003/posterior/draw/0").is_file());

    let mut w = StoreWriter::create(dir.path().join("m.zarr")).unwrap();
    let a: Attrs = json!({"a": 1, "b": 2}).as_object().unwrap().clone();
    let b: Attrs = json!({"b": 3}).as_object().unwrap().clone();
    w.create_group("g", &a).unwrap();
    w.create_group("g", &b).unwrap();
    let p = w.finish().unwrap();
    assert_eq!(read_json(&p.join("g/.zattrs")), json!({"a": 1, "b": 3}));
    assert_eq!(
        read_json(&p.join(".zmetadata"))["metadata"]["g/.zattrs"],
        json!({"a": 1, "b": 3})
    );
}
