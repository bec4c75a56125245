#!/usr/bin/env bash
# End-to-end benchmark at 100 M points: laminar_flow, 25 angles x 2000 x 2000 frames in a
# float32 LZF APS-U file (written once, ~400 MB, cached in WORKDIR), fitted by the CLI
# under /usr/bin/time (wall time, CPU time, peak RSS); fitted_data.npz as `compact`.
#
#   scripts/bench_100m.sh [--start near|template] [--fitted-data float64|float32|compact]
#                         [WORKDIR]          (needs python3 with numpy and h5py)
#
# Default WORKDIR /tmp/homodyne_bench_100m. The float32 data (400 MB) stay float32 end to
# end; the peak is the data, the fit's t = 0-excluded copy and per-angle scratch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
start=near
fitted=compact
while [ $# -gt 0 ]; do
    case "$1" in
        --start) start="${2:?}"; shift 2 ;;
        --fitted-data) fitted="${2:?}"; shift 2 ;;
        *) break ;;
    esac
done
exec "$here/bench_large_fit.sh" --start "$start" --frames 2000 --angles 25 \
    --fitted-data "$fitted" "${1:-/tmp/homodyne_bench_100m}"
