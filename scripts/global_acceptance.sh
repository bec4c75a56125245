#!/usr/bin/env bash
# Issue 14 acceptance study of the global search: 20 simulated laminar datasets
# (8-12 angles x 80-100 frames, random plausible truths) fitted from `values: null` with
# the wide bounds (D0 [1e2, 1e6], gamma_dot_t0 [1e-6, 0.5]) by the default
# configuration. Prints, per dataset, the worst |fitted - truth| / sigma, the reduced
# chi^2 next to that of a local fit started at the truth, the basins and the time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p homodyne-global --test acceptance -- --ignored --nocapture \
    values_null_recovers_truth_on_twenty_sets "$@"
