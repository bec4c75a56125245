#!/usr/bin/env python3
"""Seed corpus of the fuzz targets, except the NPZ files written by the project's own
NpzWriter (those come from `cargo test --release -p homodyne-data --test fuzz_corpus --
--ignored write_npz_seeds`).

Run from anywhere:  python3 fuzz/make_seeds.py   (needs numpy, h5py and PyYAML).
The generated files are committed; neither the fuzzers nor the replay tests need Python.

* hdf5_loader/: a few KiB each: both APS layouts, every storage the loader decodes
  (contiguous, gzip + shuffle, LZF, float32/float64, old and new HDF5 formats), the
  documented bad shapes, and truncated copies. wavevector_q = 0.0054 rings.
* npz_reader/np_*.npz: numpy-written archives with the dtypes and layouts the reader must
  convert or refuse (float32, ints, bool, big-endian, Fortran order, 0-d, object, bytes).
* config_yaml/, config_json/: the bundled templates and example, and small valid and
  broken texts (duplicate keys, aliases, legacy layouts, bad types, deep nesting).
"""
import json
import os
import shutil

import h5py
import numpy as np
import yaml

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
OUT = os.path.join(FUZZ, "corpus", "hdf5_loader")


def half(label, n, dtype):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.triu(1.0 + 0.01 * label + 0.001 * (j - i) + 1e-5 * i).astype(dtype)


def path(name):
    return os.path.join(OUT, name)


def aps_u(name, q, phi, mapping, bins, n, dtype, compression=None, shuffle=False, libver="latest"):
    with h5py.File(path(name), "w", libver=libver) as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = np.asarray(q, dtype=np.float64)
        f["xpcs/qmap/dynamic_v_list_dim1"] = np.asarray(phi, dtype=np.float64)
        if mapping is not None:
            f["xpcs/qmap/dynamic_index_mapping"] = np.asarray(mapping, dtype=np.uint8)
        f["xpcs/twotime/processed_bins"] = np.asarray(bins, dtype=np.int32)
        g = f.create_group("xpcs/twotime/correlation_map")
        for pos, b in enumerate(bins):
            natural = mapping[b - 1] if mapping is not None else b - 1
            g.create_dataset(f"c2_{pos + 1:05d}", data=half(natural, n, dtype),
                             compression=compression, shuffle=shuffle,
                             chunks=(n, n) if compression or shuffle else None)


def aps_old(name, q, phi, n, dtype, compression=None, shuffle=False, libver="latest"):
    with h5py.File(path(name), "w", libver=libver) as f:
        f["xpcs/dqlist"] = np.asarray(q, dtype=np.float64)[None, :]
        f["xpcs/dphilist"] = np.asarray(phi, dtype=np.float64)[None, :]
        g = f.create_group("exchange/C2T_all")
        for k in range(len(q)):
            g.create_dataset(f"c2_{k + 1:05d}", data=half(k, n, dtype),
                             compression=compression, shuffle=shuffle,
                             chunks=(n, n) if compression or shuffle else None)


def one_matrix(name, matrix, with_bins=True, compression=None):
    with h5py.File(path(name), "w", libver="latest") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.0054]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0]
        if with_bins:
            f["xpcs/twotime/processed_bins"] = np.array([1], dtype=np.int32)
        f.create_dataset("xpcs/twotime/correlation_map/c2_00001", data=matrix,
                         compression=compression)


def truncated(src, name, keep):
    with open(path(src), "rb") as f:
        data = f.read()
    with open(path(name), "wb") as f:
        f.write(data[: int(len(data) * keep)])


def main():
    os.makedirs(OUT, exist_ok=True)
    aps_u("aps_u_plain_f64.h5", [0.0054, 0.008], [-30.0, 60.0], None, [1, 2, 3, 4], 4, np.float64)
    aps_u("aps_u_mapped_f32_lzf.h5", [0.0054, 0.008], [0.0, 90.0], [0, 2, 3], [1, 2, 3], 5,
          np.float32, "lzf")
    aps_u("aps_u_f64_gzip_shuffle.h5", [0.0054], [-170.0, 10.0, 200.0], None, [1, 2, 3], 4,
          np.float64, "gzip", True)
    aps_old("aps_old_f64.h5", [0.0053, 0.0054, 0.008], [175.0, -175.0, 10.0], 4, np.float64)
    aps_old("aps_old_f32_lzf.h5", [0.002, 0.0054, 0.009], [0.0, 45.0, 90.0], 5, np.float32, "lzf")
    # The correlator's files use the oldest format (superblock 0, symbol-table groups).
    aps_u("legacy_aps_u_mapped_f32_lzf.h5", [0.0054, 0.008], [0.0, 90.0], [0, 2, 3], [1, 2, 3], 4,
          np.float32, "lzf", libver="earliest")
    aps_old("legacy_aps_old_f64_gzip.h5", [0.0054, 0.006], [0.0, 45.0], 4, np.float64, "gzip",
            libver="earliest")
    with h5py.File(path("bad_unknown_layout.h5"), "w", libver="latest") as f:
        f["entry/data"] = np.zeros(3)
    one_matrix("bad_missing_processed_bins.h5", half(0, 4, np.float32), with_bins=False)
    one_matrix("bad_non_square.h5", np.ones((4, 5), np.float32))
    one_matrix("bad_wrong_rank.h5", np.ones((2, 3, 3), np.float32))
    m = half(0, 4, np.float32)
    m[1, 3] = np.nan
    m[2, 3] = np.inf
    one_matrix("bad_nan_lzf.h5", m, compression="lzf")
    one_matrix("bad_zero.h5", np.zeros((4, 4), np.float64))
    with h5py.File(path("bad_no_matrices.h5"), "w", libver="latest") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.0054]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0, 90.0]
        f["xpcs/twotime/processed_bins"] = np.array([1, 2], dtype=np.int32)
        f.create_group("xpcs/twotime/correlation_map")
    truncated("aps_u_plain_f64.h5", "truncated_aps_u_half.h5", 0.5)
    truncated("aps_old_f32_lzf.h5", "truncated_aps_old_90pct.h5", 0.9)
    # The first 16 KiB of the bundled example (a real correlator file, cut short).
    example = os.path.join(ROOT, "examples", "data", "example_laminar.hdf")
    with open(example, "rb") as f:
        head = f.read(16384)
    with open(path("example_laminar_first_16k.hdf"), "wb") as f:
        f.write(head)
    with open(path("empty.h5"), "wb"):
        pass
    with open(path("signature_only.h5"), "wb") as f:
        f.write(b"\x89HDF\r\n\x1a\n")


def npz_seeds():
    out = os.path.join(FUZZ, "corpus", "npz_reader")
    os.makedirs(out, exist_ok=True)
    n_t, n_phi = 3, 2
    t = np.arange(n_t) * 0.1
    c2 = np.stack([half(k, n_t, np.float64) + np.triu(half(k, n_t, np.float64), 1).T
                   for k in range(n_phi)])
    q = np.full(n_phi, 0.0054)
    phi = np.array([0.0, 90.0])
    meta = {"config_wavevector_q": 0.0054, "actual_wavevector_q": 0.0054, "q_variance": 0.0,
            "q_count": n_phi, "start_frame": 1, "end_frame": n_t, "phi_count": n_phi,
            "cache_version": "2.0", "selective_q_caching": True}

    def save(name, compressed=False, **arrays):
        (np.savez_compressed if compressed else np.savez)(os.path.join(out, name), **arrays)

    save("np_f32_compressed.npz", True, wavevector_q_list=q.astype(np.float32),
         phi_angles_list=phi.astype(np.float32), t1=t.astype(np.float32), t2=t.astype(np.float32),
         c2_exp=c2.astype(np.float32), cache_metadata_json=np.array(json.dumps(meta)))
    save("np_big_endian_fortran.npz", wavevector_q_list=q.astype(">f8"),
         phi_angles_list=phi.astype(">f8"), t1=t.astype(">f4"), t2=t,
         c2_exp=np.asfortranarray(c2))
    save("np_int_bool_u8.npz", wavevector_q_list=np.array([1, 2], np.int64),
         phi_angles_list=np.array([0, 90], np.int16), t1=np.array([0, 1, 2], np.uint8),
         t2=np.array([True, False, True]), c2_exp=np.ones((2, 3, 3), np.int32))
    save("np_object_and_bytes.npz", wavevector_q_list=q, phi_angles_list=phi, t1=t, t2=t,
         c2_exp=c2, cache_metadata=np.array([meta], dtype=object), label=np.array(b"abc"))
    save("np_unicode_array_complex.npz", cache_metadata_json=np.array(["{}", "[]"]),
         c2_exp=c2.astype(np.complex128), t1=np.float64(1.5))
    save("np_empty_and_4d.npz", wavevector_q_list=np.zeros(0), phi_angles_list=np.zeros(0),
         t1=np.zeros(0), t2=np.zeros(0), c2_exp=np.zeros((0, 0, 0)),
         extra=np.zeros((1, 1, 1, 1)))


def config_seeds():
    yaml_out = os.path.join(FUZZ, "corpus", "config_yaml")
    json_out = os.path.join(FUZZ, "corpus", "config_json")
    os.makedirs(yaml_out, exist_ok=True)
    os.makedirs(json_out, exist_ok=True)
    bundled = {
        "template_static": os.path.join(ROOT, "crates", "config", "templates", "static.yaml"),
        "template_laminar_flow": os.path.join(ROOT, "crates", "config", "templates",
                                              "laminar_flow.yaml"),
        "example_laminar": os.path.join(ROOT, "examples", "example_laminar.yaml"),
    }
    for name, src in bundled.items():
        shutil.copyfile(src, os.path.join(yaml_out, name + ".yaml"))
        with open(src) as f:
            tree = yaml.safe_load(f)
        with open(os.path.join(json_out, name + ".json"), "w") as f:
            json.dump(tree, f, indent=1)
    small_yaml = {
        "minimal_static": "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n"
                          "  start_frame: 1\n  end_frame: 100\n",
        "duplicate_key": "analysis_mode: laminar_flow\nanalyzer_parameters:\n  dt: 0.1\n"
                         "analysis_mode: static\n",
        "legacy_flat": "analysis_mode: Laminar-Flow\ndt: 0.5\nstart_frame: 10\nend_frame: 50\n"
                       "wavevector_q: 0.0054\ndata_file: data/x.hdf\n"
                       "initial_parameters: {D0: 1000, alpha: -1.2, gamma_dot_0: 0.01, phi_0: 0}\n"
                       "parameter_space:\n  bounds:\n    D0: [1, 1.0e6]\n"
                       "    gamma_dot_offset: {min: 0, max: 1}\n"
                       "optimization:\n  nlsq:\n    diagnostics: {enable: true}\n"
                       "  consensus_monte_carlo: {}\n",
        "anchors_merge": "base: &b {dt: 0.1, start_frame: 1, end_frame: 10}\n"
                         "analyzer_parameters:\n  <<: *b\n  wavevector_q: 0.0054\n"
                         "initial_parameters:\n  parameter_names: &n [D0, alpha, D_offset]\n"
                         "  active_parameters: *n\n",
        "alias_fanout": "a: &a [x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\n"
                        "c: &c [*b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c]\n",
        "bad_types": "analysis_mode: 7\nanalyzer_parameters:\n  dt: abc\n  start_frame: 1.5\n"
                     "  end_frame: -1\nparameter_space:\n  bounds:\n"
                     "    - {name: D0, min: 10, max: 1}\n    - {name: nope, min: .nan, max: .inf}\n"
                     "initial_parameters:\n  values: [1, 2]\n"
                     "  per_angle_scaling: {contrast: [0.1, 0.2], offset: 1}\n",
        "special_scalars": "analyzer_parameters: {dt: 1e999, start_frame: 0x10, end_frame: ~}\n"
                           "experimental_data: {cache_filename_template: \"${unknown}.npz\", "
                           "file_path: !!binary aGVsbG8=}\nflag: yes\nother: -.0\n",
        "tabs_and_bad_indent": "analysis_mode: static\n\tanalyzer_parameters:\n  dt: 0.1\n"
                               "    bad: [1, 2\n",
        "multi_document": "---\nanalysis_mode: static\n---\nanalysis_mode: laminar_flow\n...\n",
        "top_level_list": "- analysis_mode: static\n- 1\n",
        "deep_nesting": "a: " + "[" * 300 + "]" * 300 + "\n",
        "empty": "",
    }
    for name, text in small_yaml.items():
        with open(os.path.join(yaml_out, name + ".yaml"), "w") as f:
            f.write(text)
    small_json = {
        "minimal_static": json.dumps({"analysis_mode": "static",
                                      "analyzer_parameters": {"dt": 0.1, "start_frame": 1,
                                                              "end_frame": 100}}),
        "duplicate_key": '{"analysis_mode": "laminar_flow", "analysis_mode": "static"}',
        "legacy_flat": json.dumps({"analysis_mode": "flow", "dt": 0.5, "wavevector_q": 0.0054,
                                   "initial_parameters": {"D0": 1000, "phi_0": 0},
                                   "parameter_space": {"bounds": {"D0": [1, 1e6]}}}),
        "bad_types": '{"analysis_mode": null, "analyzer_parameters": {"dt": "x", '
                     '"start_frame": 1e400, "end_frame": -1.5}, "parameter_space": '
                     '{"bounds": [{"name": "D0", "min": 10, "max": 1}]}}',
        "escapes": '{"experimental_data": {"file_path": "\\ud800\\u0000\\u00e9\\n"}, '
                   '"analysis_mode": "st\\u0061tic"}',
        "truncated": '{"analysis_mode": "static", "analyzer_parameters": {"dt": 0.',
        "non_json": "{analysis_mode: static, /* comment */ dt: NaN, end: Infinity,}",
        "deep_nesting": "[" * 300 + "]" * 300,
        "top_level_scalar": "12345678901234567890123",
        "empty": "",
    }
    for name, text in small_json.items():
        with open(os.path.join(json_out, name + ".json"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
    npz_seeds()
    config_seeds()
