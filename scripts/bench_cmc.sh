#!/usr/bin/env bash
# CMC bench (issue 12 acceptance): gradient evaluations/s and ESS-bulk/s, end to end with
# the NLSQ warm start timed separately, on simulated 200-frame data.
#   static        3 x 200^2, 4 chains x (150 + 250), 10 shards (target <= 30 s on 2 cores)
#   static-k1     the same on all the data (K = 1)
#   laminar       23 x 200^2, averaged scaling, 2 chains x (100 + 100), K = 1 (<= 60 s)
#   laminar-auto  the same with sharding auto
#   laminar-long  4 chains x (500 + 1500), K = auto (<= 10 min); only with --long
# Timings depend on the load: the load average is printed with every case (and by
# `uptime` before and after); compare runs only on an otherwise idle machine.
#
#   scripts/bench_cmc.sh [CASE ...] [--long] [--threads N] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p homodyne-cmc --example bench
uptime
cargo run --release -q -p homodyne-cmc --example bench -- "$@"
uptime
