#!/usr/bin/env bash
# Issue 14 acceptance studies of the global search, every ignored acceptance test of
# crates/global by name, each with its output:
#  * values_null_recovers_truth_on_twenty_sets: 20 simulated laminar datasets (8-12
#    angles x 80-100 frames, random plausible truths) fitted from `values: null` with the
#    wide bounds (D0 [1e2, 1e6], gamma_dot_t0 [1e-6, 0.5]) by the default configuration;
#    per dataset the worst |fitted - truth| / sigma, the reduced chi^2 next to that of a
#    local fit started at the truth, the basins and the time.
#  * reference_degenerate_case_23_angles: the reference's degenerate laminar case
#    (23 angles x 200^2, template mid-bounds start): basins, worst z, time.
#  * reference_case_individual_mode_53_parameters: the same data with
#    per_angle_mode: individual (53 parameters) from the template start.
#  * coarse_subset_search_on_23_x_300: the quick multi-start on 23 x 300^2 screened and
#    solved from every start on the coarse subset of the time pairs, against the same
#    search on every point (same basin, time of each).
# Extra arguments go to the test binary (e.g. --test-threads 1).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -p homodyne-global --tests --no-run
# test-binary:test-name
tests=(
    acceptance:values_null_recovers_truth_on_twenty_sets
    acceptance:reference_degenerate_case_23_angles
    acceptance:reference_case_individual_mode_53_parameters
    coarse:coarse_subset_search_on_23_x_300
)
failed=()
for t in "${tests[@]}"; do
    echo "=== $t"
    start=$(date +%s.%N)
    if ! cargo test --release -p homodyne-global --test "${t%%:*}" -- --ignored --nocapture \
        --exact "${t#*:}" "$@"; then
        failed+=("$t")
    fi
    echo "=== $t: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s wall"
done
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all ${#tests[@]} acceptance tests passed"
