#!/usr/bin/env bash
# Build the Python package `homodyne_rs` in a fresh virtual environment (pip + maturin,
# as a user would: `pip install ./python`) and run its pytest suite.
# Exit 0 with a "skipped:" line when python3, venv or the package index is unavailable;
# non-zero when the build or a test fails.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v python3 >/dev/null 2>&1; then
    echo "skipped: python3 not found; the Python package homodyne_rs is not tested"
    exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/homodyne_rs_ci.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! python3 -m venv "$work/venv" >/dev/null 2>&1; then
    echo "skipped: 'python3 -m venv' failed (install python3-venv); homodyne_rs is not tested"
    exit 0
fi
py="$work/venv/bin/python"
pip=("$py" -m pip --disable-pip-version-check --quiet)
if ! "${pip[@]}" install maturin numpy pytest; then
    echo "skipped: could not pip-install maturin, numpy, pytest (no package index?)"
    exit 0
fi
# ArviZ for to_inference_data (the test checks the ImportError without it).
"${pip[@]}" install arviz || echo "warning: arviz not installed; the InferenceData check is replaced by its ImportError check"

started=$(date +%s)
"${pip[@]}" install .
echo "homodyne_rs built and installed in $(( $(date +%s) - started )) s"
(cd "$work" && "$py" -c "import homodyne_rs; print('import homodyne_rs: ok, version', homodyne_rs.__version__)")
# From outside the source folder, so the installed package is what is tested.
(cd "$work" && "$py" -m pytest -q -p no:cacheprovider "$OLDPWD/tests")
