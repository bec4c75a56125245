#!/usr/bin/env bash
# Coverage of CMC's posterior 90 % intervals (issue 12 acceptance: truth covered in 82-97
# of 100 simulated datasets). Simulation-based calibration on static data (2 angles x 40
# frames, noise sd 0.01 mirrored from the upper triangle): each truth is drawn from the
# prior the sampler uses; NLSQ warm start from the prior means; NUTS on all the data
# (K = 1), 2 chains x (500 + 500), then CMC with K = 4 on the first N_K4 datasets.
# Prints per parameter (D0, alpha, D_offset, contrast_0, offset_0) the number covered,
# the binomial ranges, an SBC rank histogram and the sampler's diagnostics; exits 1 when a
# count is outside the accepted range (82-97 for N = 100, the 0.5 %-tail binomial range
# otherwise). About 0.2 s per dataset and K on 2 cores.
#
#   scripts/cmc_coverage.sh [N=100] [N_K4=N] [FIRST_SEED=0]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100}"
export CMC_COVERAGE_N="$N"
export CMC_COVERAGE_K4_N="${2:-$N}"
export CMC_COVERAGE_SEED="${3:-0}"
cargo test --release -q -p homodyne-cmc --test coverage -- posterior_intervals_cover_truth \
  --ignored --nocapture
