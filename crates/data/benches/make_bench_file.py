#!/usr/bin/env python3
"""Write the benchmark input: an APS-U result file like boost-corr's, with 23 angles of
1000 x 1000 float32 half matrices (upper triangle, LZF, one chunk per matrix), ~60-100 MB.

Usage: python3 make_bench_file.py OUT.h5 [N_ANGLES] [N_FRAMES]   (needs numpy, h5py)
The bench binary (benches/load.rs) calls this when its input file is missing.
"""
import sys

import h5py
import numpy as np


def main():
    out = sys.argv[1]
    n_phi = int(sys.argv[2]) if len(sys.argv) > 2 else 23
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    rng = np.random.default_rng(7)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    decay = np.exp(-np.abs(j - i) / 150.0)
    with h5py.File(out, "w") as f:
        f["xpcs/qmap/dynamic_v_list_dim0"] = np.array([0.0054])
        f["xpcs/qmap/dynamic_v_list_dim1"] = np.linspace(-165.0, 165.0, n_phi)
        f["xpcs/qmap/dynamic_index_mapping"] = np.arange(n_phi, dtype=np.uint16)
        f["xpcs/twotime/processed_bins"] = np.arange(1, n_phi + 1, dtype=np.int32)
        g = f.create_group("xpcs/twotime/correlation_map")
        for k in range(n_phi):
            c = 1.0 + 0.2 * decay + 0.01 * rng.standard_normal((n, n))
            g.create_dataset(f"c2_{k + 1:05d}", data=np.triu(c).astype(np.float32),
                             compression="lzf", chunks=(n, n))


if __name__ == "__main__":
    main()
