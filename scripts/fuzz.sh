#!/usr/bin/env bash
# Run every libFuzzer target of fuzz/ for MINUTES minutes each (default 10), one after
# the other, and report executions and crashes per target.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]      # targets: hdf5_loader npz_reader cache_npz
#                                              #          config_yaml config_json (default: all)
#
# Needs cargo-fuzz (installed from crates.io when missing). Works on the stable toolchain
# through RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z sanitizer flags). Everything runs under
# `nice -n 19`, with its own target folder (fuzz/target, ignored by git) so the workspace's
# target/ is not rebuilt. The committed seeds (fuzz/corpus/<target>/) are only read: new
# inputs go to fuzz/target/corpus/<target>/. Crash, OOM and timeout inputs land in
# fuzz/artifacts/<target>/, where `cargo test` (crates/data, crates/config:
# tests/fuzz_corpus.rs) replays them; fix the bug, then copy the input into
# fuzz/corpus/<target>/ so that it stays a regression test.
#
# Exit status: 0 when no target crashed, 1 when one did, 2 on a usage or build error.
set -euo pipefail

if [ -z "${HOMODYNE_FUZZ_NICED:-}" ]; then
    export HOMODYNE_FUZZ_NICED=1
    exec nice -n 19 "$0" "$@"
fi

cd "$(dirname "$0")/.."
root=$(pwd)
all_targets=(hdf5_loader npz_reader cache_npz config_yaml config_json)

minutes=${1:-10}
if ! [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "usage: scripts/fuzz.sh [MINUTES] [TARGET...]  (targets: ${all_targets[*]})" >&2
    exit 2
fi
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    if [[ ! " ${all_targets[*]} " =~ " $t " ]]; then
        echo "unknown target '$t' (targets: ${all_targets[*]})" >&2
        exit 2
    fi
done
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); print (s < 1 ? 1 : s) }')

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$root/fuzz/target"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz not found: installing it (cargo install cargo-fuzz)" >&2
    cargo install --locked cargo-fuzz || {
        echo "could not install cargo-fuzz" >&2
        exit 2
    }
fi

# Release build with debug assertions and overflow checks, AddressSanitizer (the default).
build=(-O -a)
echo "building fuzz targets (log: fuzz/target/build.log)"
mkdir -p "$CARGO_TARGET_DIR"
if ! cargo fuzz build "${build[@]}" >"$CARGO_TARGET_DIR/build.log" 2>&1; then
    tail -30 "$CARGO_TARGET_DIR/build.log" >&2
    echo "fuzz build failed" >&2
    exit 2
fi

# libFuzzer options:
# -rss_limit_mb / -malloc_limit_mb: the loader accepts a single dataset of up to 4 GiB
#   (hdf5_io::MAX_DATASET_READ_BYTES), so a hostile header may legitimately ask for that
#   much; anything beyond 6 GiB is reported as an OOM.
# -timeout: one input running longer than 60 s is a hang.
libfuzzer_opts=(-max_total_time="$seconds" -timeout=60 -rss_limit_mb=6144
    -malloc_limit_mb=6144 -print_final_stats=1)

summary=()
failed=0
for t in "${targets[@]}"; do
    work="$CARGO_TARGET_DIR/corpus/$t"
    scratch="$CARGO_TARGET_DIR/tmp/$t"
    log="$CARGO_TARGET_DIR/logs/$t.log"
    artifacts="$root/fuzz/artifacts/$t"
    mkdir -p "$work" "$scratch" "$(dirname "$log")" "$artifacts"
    before=$(find "$artifacts" -type f | sort)
    echo "fuzzing $t for ${seconds}s (log: fuzz/target/logs/$t.log)"
    start=$(date +%s)
    set +e
    TMPDIR="$scratch" cargo fuzz run "${build[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
        "${libfuzzer_opts[@]}" >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$(($(date +%s) - start))
    rm -rf "$scratch"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -z "$execs" ] && execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    new=$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) |
        grep -E '/(crash|oom|timeout|leak)-' || true)
    if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
        failed=1
        status="FAILED (exit $rc)"
        [ -n "$new" ] && status="$status: $(echo "$new" | sed "s|$root/||" | tr '\n' ' ')"
        grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY)' "$log" | head -5 || true
    else
        status="ok, 0 crashes"
    fi
    summary+=("$(printf '%-12s %6ss %12s execs  cov %-6s %s' "$t" "$elapsed" "${execs:-?}" \
        "${cov:-?}" "$status")")
done

echo
echo "fuzzing summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "crashes found: inputs in fuzz/artifacts/<target>/ (replayed by cargo test)" >&2
    exit 1
fi
