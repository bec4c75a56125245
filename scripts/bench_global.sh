#!/usr/bin/env bash
# Issue 14 bench: the global search's wall time from `values: null` (default
# configuration) on 8 x 80^2 laminar data with the wide bounds (target <= 10 s) and on
# the reference's 23 x 200^2 case (target <= 60 s; per-angle mode auto and individual),
# on THREADS threads (default 2), best of REPEATS (default 3).
#   scripts/bench_global.sh [THREADS] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p homodyne-global --example bench_global
target/release/examples/bench_global "${1:-2}" "${2:-3}"
