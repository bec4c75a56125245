#!/usr/bin/env bash
# Coverage of the profile-likelihood intervals (crates/nlsq/src/profile.rs): fits N
# simulated laminar_flow datasets (8-10 angles x 60-80 frames, noise sigma 0.01 drawn on
# the upper triangle and mirrored, random plausible truths like issue 14's with weakly
# identified power laws, the geometry q = 0.0054/sqrt(10), L = 2e6/sqrt(10), dt 0.1),
# each with fit_checked started at the truth, issue 14's wide bounds and the default
# options (profile intervals auto). Prints per physical parameter: n, how often the truth
# lies within the covariance's +-1 sigma and the profile's 68.3 % interval, within +-3
# sigma and the 99.7 % interval, and how many profiles were not quadratic (with the two
# coverages among those); then the time. A parameter the fit reports undetermined (an
# exact degeneracy, e.g. D0 + D_offset at alpha ~ 0: NaN uncertainty, no interval) is
# counted in the "undet." column, not in n. Exit status non-zero when the coverage is not
# what honest intervals give (68 % coverage within 3 binomial standard deviations of
# 68.3 %, 99.7 % misses at most 0.003 N + 3 sqrt(0.003 N) + 4, among non-quadratic
# profiles the profile no further from nominal than the covariance).
#
# About 2-4 s per dataset on one core (N = 100: 2-4 minutes on 2 cores). Deterministic:
# the datasets are seeded (FIRST_SEED .. FIRST_SEED + N - 1).
#
#   scripts/profile_coverage.sh [N=100] [FIRST_SEED=0]
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE_COVERAGE_N="${1:-100}" PROFILE_COVERAGE_SEED="${2:-0}" \
    cargo test --release -q -p homodyne-nlsq --test profile_coverage -- \
    --ignored --exact profile_coverage_study --nocapture --test-threads 1
