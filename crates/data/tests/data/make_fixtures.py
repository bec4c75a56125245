#!/usr/bin/env python3
"""Small HDF5 / NPZ fixtures for homodyne-data's integration tests.

Run from this folder:  python3 make_fixtures.py   (needs numpy and h5py).
The generated files are committed, so the tests do not need Python.

Every stored half matrix is the upper triangle (diagonal included, lower triangle zero) of
    H[i, j] = 1 + 0.01 * label + 0.001 * (j - i) + 1e-5 * i      (j >= i)
where `label` is the pair's natural index (APS-U) or position (APS-old), so a test can tell
which matrix landed where, and compare values exactly.
"""
import json

import h5py
import numpy as np


def half(label, n, dtype):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    h = 1.0 + 0.01 * label + 0.001 * (j - i) + 1e-5 * i
    return np.triu(h).astype(dtype)


def aps_u(path, q, phi, mapping, processed_bins, n, dtype, compression, shuffle):
    """APS-U file. mapping: compacted bin -> natural index (None: no mapping dataset).
    processed_bins: 1-based compacted bins that have a matrix, in c2 key order."""
    with h5py.File(path, "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = np.asarray(q, dtype=np.float64)
        f["xpcs/qmap/dynamic_v_list_dim1"] = np.asarray(phi, dtype=np.float64)
        if mapping is not None:
            f["xpcs/qmap/dynamic_index_mapping"] = np.asarray(mapping, dtype=np.uint8)
        f["xpcs/twotime/processed_bins"] = np.asarray(processed_bins, dtype=np.int32)
        g = f.create_group("xpcs/twotime/correlation_map")
        for pos, b in enumerate(processed_bins):
            natural = mapping[b - 1] if mapping is not None else b - 1
            g.create_dataset(
                f"c2_{pos + 1:05d}",
                data=half(natural, n, dtype),
                compression=compression,
                shuffle=shuffle,
                chunks=(n, n) if compression else None,
            )


def aps_old(path, q, phi, n, dtype, compression, shuffle):
    with h5py.File(path, "w") as f:
        f["xpcs/dqlist"] = np.asarray(q, dtype=np.float64)[None, :]
        f["xpcs/dphilist"] = np.asarray(phi, dtype=np.float64)[None, :]
        g = f.create_group("exchange/C2T_all")
        for k in range(len(q)):
            g.create_dataset(
                f"c2_{k + 1:05d}",
                data=half(k, n, dtype),
                compression=compression,
                shuffle=shuffle,
                chunks=(8, 8) if compression else None,
            )


def main():
    # APS-U, 3 q rings x 4 angles = 12 natural bins; bins 1 and 6 are empty, so the
    # compacted bin k maps to natural index mapping[k-1]; compacted bin 4 has no matrix.
    mapping = [0, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    processed = [1, 2, 3, 5, 6, 7, 8, 9, 10]
    aps_u("aps_u_mapped_f32_lzf.h5", [0.003, 0.0054, 0.008], [-170.0, -60.0, 30.0, 170.0],
          mapping, processed, 20, np.float32, "lzf", False)
    # APS-U without mapping, float64 gzip + shuffle, 2 rings x 3 angles.
    aps_u("aps_u_plain_f64_gzip.h5", [0.004, 0.006], [-180.0, 0.0, 200.0],
          None, [1, 2, 3, 4, 5, 6], 16, np.float64, "gzip", True)
    # APS-old, 12 pairs: six near q=0.0054 (within 10 %), six at 0.008.
    q_old = [0.0053, 0.0054, 0.0055, 0.0054, 0.0056, 0.0052, 0.008, 0.008, 0.008, 0.008, 0.008, 0.008]
    phi_old = [175.0, -175.0, 10.0, -10.0, 90.0, 200.0, 0.0, 30.0, 60.0, 90.0, 120.0, 150.0]
    aps_old("aps_old_f64_gzip_shuffle.h5", q_old, phi_old, 24, np.float64, "gzip", True)
    # APS-old, float32 LZF, only 3 pairs (fewer than 5 within tolerance -> 10 closest).
    aps_old("aps_old_f32_lzf_sparse.h5", [0.002, 0.0054, 0.009], [0.0, 45.0, 90.0], 12, np.float32, "lzf", False)

    # ---- bad inputs ----
    with h5py.File("bad_unknown_layout.h5", "w") as f:
        f["entry/data"] = np.zeros(3)
    with h5py.File("bad_missing_processed_bins.h5", "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.005]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0]
        f["xpcs/twotime/correlation_map/c2_00001"] = half(0, 4, np.float32)
    with h5py.File("bad_non_square.h5", "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.005]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0]
        f["xpcs/twotime/processed_bins"] = np.array([1], dtype=np.int32)
        f["xpcs/twotime/correlation_map/c2_00001"] = np.ones((4, 5), np.float32)
    with h5py.File("bad_wrong_rank.h5", "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.005]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0]
        f["xpcs/twotime/processed_bins"] = np.array([1], dtype=np.int32)
        f["xpcs/twotime/correlation_map/c2_00001"] = np.ones((2, 4, 4), np.float32)
    with h5py.File("bad_no_matrices.h5", "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.005]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0, 90.0]
        f["xpcs/twotime/processed_bins"] = np.array([1, 2], dtype=np.int32)
        f.create_group("xpcs/twotime/correlation_map")
    with h5py.File("bad_nan.h5", "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = [0.005]
        f["xpcs/qmap/dynamic_v_list_dim1"] = [0.0]
        f["xpcs/twotime/processed_bins"] = np.array([1], dtype=np.int32)
        m = half(0, 6, np.float32)
        m[1, 3] = np.nan
        m[2, 4] = np.inf
        f.create_dataset("xpcs/twotime/correlation_map/c2_00001", data=m, compression="lzf")

    # ---- NPZ written by numpy ----
    n_t, n_phi = 5, 3
    t = np.linspace(0, 0.1 * (n_t - 1), n_t)
    c2 = np.stack([half(k, n_t, np.float32) + np.triu(half(k, n_t, np.float32), 1).T for k in range(n_phi)])
    meta = {"config_wavevector_q": 0.0054, "actual_wavevector_q": 0.0054, "q_variance": 0.0,
            "q_count": n_phi, "start_frame": 1, "end_frame": n_t, "phi_count": n_phi,
            "cache_version": "2.0", "selective_q_caching": True}
    np.savez_compressed("numpy_data.npz", wavevector_q_list=np.full(n_phi, 0.0054),
                        phi_angles_list=np.array([-10.0, 0.0, 10.0]), t1=t, t2=t, c2_exp=c2,
                        cache_metadata_json=np.array(json.dumps(meta)))
    np.savez("numpy_object_metadata.npz", wavevector_q_list=np.full(n_phi, 0.0054),
             phi_angles_list=np.array([-10.0, 0.0, 10.0]), t1=t, t2=t, c2_exp=c2,
             cache_metadata=np.array([meta], dtype=object))
    tt1, tt2 = np.meshgrid(t, t, indexing="ij")
    np.savez("numpy_meshgrid_t.npz", wavevector_q_list=np.full(n_phi, 0.0054),
             phi_angles_list=np.array([-10.0, 0.0, 10.0]), t1=tt1, t2=tt2, c2_exp=c2)


if __name__ == "__main__":
    main()
