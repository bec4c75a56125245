#!/usr/bin/env python3
"""Generate the bundled laminar-flow example: examples/data/example_laminar.hdf + truth.json.

Usage (from the repository root or from examples/; needs numpy and h5py):

    python3 examples/generate_example.py

The output is deterministic (fixed seed) and committed, so nobody needs Python to run
the example:  homodyne --config examples/example_laminar.yaml --output-dir /tmp/ex_out

What it writes
--------------
A small HDF5 file in the APS-U layout written by the APS correlator (boost_corr):

    xpcs/qmap/dynamic_v_list_dim0      (n_q,)      float64  q ring centres [1/A]
    xpcs/qmap/dynamic_v_list_dim1      (n_phi,)    float64  phi bin centres [deg]
    xpcs/qmap/dynamic_num_pts          (2,)        int64    [n_q, n_phi]
    xpcs/qmap/dynamic_index_mapping    (n_q*n_phi,) uint8   bin -> natural index q_idx*n_phi + phi_idx
    xpcs/twotime/processed_bins        (n_q*n_phi,) int32   1-based bins, in c2 key order
    xpcs/twotime/correlation_map/c2_00001 ... (n_t, n_t) float32, LZF-compressed

Each c2 matrix is stored as the correlator stores it: the upper triangle including the
diagonal, lower triangle zero. Readers rebuild C = H + H^T with the diagonal halved, i.e.
the full symmetric matrix whose upper triangle (and diagonal) is the stored one.

The correlation is the laminar-flow model (spec 08 §8.1 numpy reference):

    c2(phi, t1, t2) = offset + contrast * g1^2
    g1 = exp(-q^2/2 * int_{t1}^{t2} D(t) dt) * sinc^2(q L/(2 pi) cos(phi0 - phi) int_{t1}^{t2} gdot(t) dt)
    D(t) = D0 t^alpha + D_offset,   gdot(t) = gamma_dot_t0 t^beta + gamma_dot_t_offset

on the time grid t = dt * [0, 1, ..., n_t - 1], plus seeded Gaussian noise (sigma = 0.01)
added to the stored upper triangle (so the rebuilt matrix stays symmetric).
"""
import json
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20250521
NOISE_SIGMA = 0.01

# Geometry / acquisition.
N_FRAMES = 80
DT = 0.1  # s
GAP = 2.0e6  # stator-rotor gap L [A] (200 um)
Q_RINGS = [0.0054, 0.0080]  # the config selects 0.0054; 0.0080 is a distractor ring
PHI = [-67.5, -45.0, -22.5, 0.0, 22.5, 45.0, 67.5, 90.0]  # deg, half a turn

# True parameters (laminar_flow order).
TRUTH = {
    "D0": 15000.0,  # A^2/s
    "alpha": -0.3,
    "D_offset": 50.0,  # A^2/s
    "gamma_dot_t0": 4.0e-4,  # 1/s
    "beta": 0.0,
    "gamma_dot_t_offset": 0.0,  # 1/s
    "phi0": 2.0,  # deg
}
CONTRAST = 0.2
OFFSET = 1.0


# ---- numpy reference model (spec 08 §8.1) ----
def safe_sinc(x):
    near = 1 - x * x / 6 + x**4 / 120
    far = np.sin(x) / np.where(np.abs(x) > 1e-12, x, 1.0)
    return np.where(np.abs(x) < 1e-4, near, far)


def cum_trap(f):
    return np.concatenate([[0.0], np.cumsum(0.5 * (f[:-1] + f[1:]))])


def g2(params, t, phi, q, L, dt, c, o):
    d = abs(t[min(1, len(t) - 1)] - t[0])
    e = d / 2 if d / 2 > 1e-8 else 1e-8
    ts = np.where(t > e, t, e)
    D = params[0] * ts ** params[1] + params[2]
    D = np.where(D > 1e-10, D, 1e-10)
    cD = cum_trap(D)
    ID = np.sqrt((cD[:, None] - cD[None, :]) ** 2 + 1e-12)
    g1d = np.exp(np.clip(-0.5 * q * q * dt * ID, -700, 0))
    G = params[3] * ts ** params[4] + params[5]
    G = np.where(G > 1e-10, G, 1e-10)
    cG = cum_trap(G)
    IG = np.sqrt((cG[:, None] - cG[None, :]) ** 2 + 1e-12)
    ph = 0.5 / np.pi * q * L * dt * np.cos(np.deg2rad(params[6] - np.asarray(phi)))[:, None, None] * IG
    g1 = g1d[None] * safe_sinc(ph) ** 2
    g1 = np.where(g1 > 1e-10, g1, 1e-10)
    return o + c * g1**2


def main():
    rng = np.random.default_rng(SEED)
    t = np.linspace(0.0, DT * (N_FRAMES - 1), N_FRAMES)
    params = [TRUTH[k] for k in ("D0", "alpha", "D_offset", "gamma_dot_t0", "beta", "gamma_dot_t_offset", "phi0")]
    n_q, n_phi = len(Q_RINGS), len(PHI)

    out = HERE / "data" / "example_laminar.hdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(out, "w") as f:
        qmap = f.create_group("xpcs/qmap")
        qmap["dynamic_v_list_dim0"] = np.asarray(Q_RINGS, dtype=np.float64)
        qmap["dynamic_v_list_dim0"].attrs.update(name="q", unit="Å⁻¹", size=n_q)
        qmap["dynamic_v_list_dim1"] = np.asarray(PHI, dtype=np.float64)
        qmap["dynamic_v_list_dim1"].attrs.update(name="phi", unit="deg", size=n_phi)
        qmap["dynamic_num_pts"] = np.array([n_q, n_phi], dtype=np.int64)
        qmap["dynamic_index_mapping"] = np.arange(n_q * n_phi, dtype=np.uint8)
        f["xpcs/twotime/processed_bins"] = np.arange(1, n_q * n_phi + 1, dtype=np.int32)
        cmap = f.create_group("xpcs/twotime/correlation_map")
        f["entry/instrument/detector_1/frame_time"] = DT
        f["entry/sample/name"] = "homodyne-rs laminar_flow example (simulated)"
        key = 0
        for q in Q_RINGS:  # natural index q_idx * n_phi + phi_idx, in key order
            full = g2(params, t, PHI, q, GAP, DT, CONTRAST, OFFSET)
            for k in range(n_phi):
                c = full[k] + NOISE_SIGMA * rng.standard_normal((N_FRAMES, N_FRAMES))
                key += 1
                cmap.create_dataset(
                    f"c2_{key:05d}",
                    data=np.triu(c).astype(np.float32),
                    compression="lzf",
                    chunks=(N_FRAMES, N_FRAMES),
                )

    truth = {
        "description": "True parameters of examples/data/example_laminar.hdf (generate_example.py)",
        "analysis_mode": "laminar_flow",
        "parameters": TRUTH,
        "contrast": CONTRAST,
        "offset": OFFSET,
        "noise_sigma": NOISE_SIGMA,
        "seed": SEED,
        "wavevector_q": Q_RINGS[0],
        "q_rings": Q_RINGS,
        "stator_rotor_gap": GAP,
        "dt": DT,
        "n_frames": N_FRAMES,
        "phi_angles": PHI,
    }
    (HERE / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")

    # Sanity figures: decay and shear modulation over the grid (t1 = 0, t2 = last frame).
    no_shear = list(params)
    no_shear[3] = no_shear[5] = 0.0
    g1_diff = np.sqrt(g2(no_shear, t, PHI, Q_RINGS[0], GAP, DT, 1.0, 0.0)[0, 0, -1])
    g1_full = np.sqrt(g2(params, t, PHI, Q_RINGS[0], GAP, DT, 1.0, 0.0)[:, 0, -1])
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    print(f"diffusion-only g1 at the largest lag: {g1_diff:.3f}")
    print("shear factor sinc^2 at the largest lag per angle:", np.round(g1_full / g1_diff, 3))

if __name__ == "__main__":
    main()
