#!/usr/bin/env bash
# End-to-end benchmark on the reference's large case: laminar_flow, 23 angles x 1000 x 1000
# frames, in the APS correlator's file format (float32, LZF, half matrices).
#
#   scripts/bench_large_fit.sh [WORKDIR]     (needs python3 with numpy and h5py)
#
# 1. `homodyne simulate` writes c2 for the typical real-data parameters of DECISIONS.md
#    (D0 6.8e4, alpha -1.33, D_offset 1.7e3, gamma_dot_t0 2e-3, beta -0.21,
#    gamma_dot_t_offset -6e-4, phi0 2) on q = 0.0017 1/A, L = 0.63 mm, dt = 0.1 s;
# 2. python adds Gaussian noise (sigma 0.01) and writes an APS-U file;
# 3. `homodyne` loads, fits (NLSQ, auto per-angle mode) and writes every output file,
#    timed with /usr/bin/time (wall time and peak RSS).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/homodyne_bench_large}"
mkdir -p "$work"
cd "$here"
cargo build --release -p homodyne >/dev/null
bin="$here/target/release/homodyne"

cat > "$work/model.yaml" <<YAML
analysis_mode: laminar_flow
analyzer_parameters:
  dt: 0.1
  start_frame: 1
  end_frame: 1001
  scattering:
    wavevector_q: 0.0017
  geometry:
    stator_rotor_gap: 632455.5
experimental_data:
  data_folder_path: $work/
  data_file_name: large.hdf
  use_caching: false
initial_parameters:
  parameter_names: [D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0]
  values: [68000.0, -1.33, 1700.0, 0.002, -0.21, -0.0006, 2.0]
optimization:
  nlsq:
    loss: linear
YAML
if [ ! -f "$work/large.hdf" ]; then
    phis=$(python3 -c "print(','.join(str(round(-165 + 330 * k / 22, 4)) for k in range(23)))")
    "$bin" simulate --config "$work/model.yaml" --phi-angles "$phis" --contrast 0.2 \
        --offset 1.0 --output "$work/truth.npz"
    python3 - "$work" <<'PY'
import sys
import h5py
import numpy as np
work = sys.argv[1]
d = np.load(f"{work}/truth.npz")
c2, phi = d["c2"], d["phi_angles"]
rng = np.random.default_rng(3)
n_phi, n, _ = c2.shape
with h5py.File(f"{work}/large.hdf", "w") as f:
    f["xpcs/qmap/dynamic_v_list_dim0"] = np.array([0.0017])
    f["xpcs/qmap/dynamic_v_list_dim1"] = phi
    f["xpcs/qmap/dynamic_index_mapping"] = np.arange(n_phi, dtype=np.uint16)
    f["xpcs/twotime/processed_bins"] = np.arange(1, n_phi + 1, dtype=np.int32)
    g = f.create_group("xpcs/twotime/correlation_map")
    for k in range(n_phi):
        c = np.triu(c2[k] + 0.01 * rng.standard_normal((n, n)))
        g.create_dataset(f"c2_{k + 1:05d}", data=c.astype(np.float32),
                         compression="lzf", chunks=(n, n))
PY
fi
# Start away from the truth (within a factor 1.5).
sed -e 's/values: \[68000.0, -1.33, 1700.0, 0.002, -0.21, -0.0006, 2.0\]/values: [90000.0, -1.1, 1200.0, 0.0025, -0.15, -0.0004, 1.0]/' \
    "$work/model.yaml" > "$work/fit.yaml"
/usr/bin/time -f "end to end: %e s wall, %M KB peak RSS" \
    "$bin" --config "$work/fit.yaml" --output-dir "$work/out" -v 2>&1 \
    | grep -E "loaded|converged after|results written|end to end|^(NLSQ|parameter|contrast|offset|D0|alpha|D_offset|gamma_dot|beta|phi0)"
