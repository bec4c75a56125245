#!/usr/bin/env bash
# End-to-end benchmark on the reference's large case: laminar_flow, 23 angles x 1000 x 1000
# frames, in the APS correlator's file format (float32, LZF, half matrices).
#
#   scripts/bench_large_fit.sh [--start near|template] [--frames N] [--angles K]
#                              [--fitted-data float64|float32|compact] [WORKDIR]
#                                            (needs python3 with numpy and h5py)
#
# --frames / --angles: grid size (default 1000 frames, 23 angles: 23 M points);
#   scripts/bench_100m.sh runs 25 x 2000 x 2000 (100 M points).
# --fitted-data: the `output.fitted_data` setting (default float64).
# --start near (default): physical start within a factor 1.5 of the truth;
# --start template: the template's start (`values: null`: every physical parameter at
#   its bound midpoint, e.g. D0 5.0e4, gamma_dot_t0 0.25, beta 0, phi0 0).
# HOMODYNE_BIN=/path/to/homodyne runs another build (e.g. an older one) on the same data.
#
# 1. `homodyne simulate` writes c2 for the typical real-data parameters of DECISIONS.md
#    (D0 6.8e4, alpha -1.33, D_offset 1.7e3, gamma_dot_t0 2e-3, beta -0.21,
#    gamma_dot_t_offset -6e-4, phi0 2) on q = 0.0017 1/A, L = 0.63 mm, dt = 0.1 s;
# 2. python adds Gaussian noise (sigma 0.01) and writes an APS-U file;
# 3. `homodyne` loads, fits (NLSQ, auto per-angle mode) and writes every output file,
#    timed with /usr/bin/time (wall time and peak RSS).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
start=near
frames=1000
angles=23
fitted=float64
while [ $# -gt 0 ]; do
    case "$1" in
        --start) start="${2:?--start needs near or template}"; shift 2 ;;
        --frames) frames="${2:?}"; shift 2 ;;
        --angles) angles="${2:?}"; shift 2 ;;
        --fitted-data) fitted="${2:?}"; shift 2 ;;
        *) break ;;
    esac
done
case "$start" in near | template) ;; *) echo "--start near|template" >&2; exit 2 ;; esac
work="${1:-/tmp/homodyne_bench_large}"
mkdir -p "$work"
cd "$here"
if [ -z "${HOMODYNE_BIN:-}" ]; then
    cargo build --release -p homodyne-cli >/dev/null
fi
bin="${HOMODYNE_BIN:-$here/target/release/homodyne}"

cat > "$work/model.yaml" <<YAML
analysis_mode: laminar_flow
analyzer_parameters:
  dt: 0.1
  start_frame: 1
  end_frame: $((frames + 1))
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
output:
  fitted_data: $fitted
YAML
if [ ! -f "$work/large.hdf" ]; then
    phis=$(python3 -c "print(','.join(str(round(-165 + 330 * k / ($angles - 1), 4)) for k in range($angles)))")
    "$bin" simulate --config "$work/model.yaml" --phi-angles "$phis" --contrast 0.2 \
        --offset 1.0 --output "$work/truth.npz"
    python3 - "$work" <<'PY'
import sys
import h5py
import numpy as np
work = sys.argv[1]
d = np.load(f"{work}/truth.npz", mmap_mode="r")
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
    rm -f "$work/truth.npz"
fi
if [ "$start" = near ]; then
    # Start away from the truth (within a factor 1.5).
    start_values='[90000.0, -1.1, 1200.0, 0.0025, -0.15, -0.0004, 1.0]'
else
    # The template's start: bound midpoints.
    start_values='null'
fi
sed -e "s/values: \[68000.0, -1.33, 1700.0, 0.002, -0.21, -0.0006, 2.0\]/values: $start_values/" \
    "$work/model.yaml" > "$work/fit_$start.yaml"
echo "start: $start ($start_values); $angles angles x $frames x $frames frames; fitted_data $fitted; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "end to end: %e s wall, %U s user + %S s system CPU, %M KB peak RSS" \
    "$bin" --config "$work/fit_$start.yaml" --output-dir "$work/out_$start" -v 2>&1 \
    | grep -E "loaded|after [0-9]+ iterations|results written|end to end|^(NLSQ|parameter|contrast|offset|D0|alpha|D_offset|gamma_dot|beta|phi0)"
python3 - "$work/out_$start/nlsq/parameters.json" <<'PY'
import json
import sys
truth = {"D0": 68000.0, "alpha": -1.33, "D_offset": 1700.0, "gamma_dot_t0": 0.002,
         "beta": -0.21, "gamma_dot_t_offset": -0.0006, "phi0": 2.0}
p = json.load(open(sys.argv[1]))["parameters"]
dev = {k: (p[k]["value"] - v) / p[k]["uncertainty"] for k, v in truth.items()}
print("deviation from truth (sigma): " + ", ".join(f"{k} {d:+.2f}" for k, d in dev.items()))
print(f"worst |deviation|: {max(abs(d) for d in dev.values()):.2f} sigma")
PY
