#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time, starting from the committed seed corpus.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [BUILD_DIR] [TARGET...]
#
# SECONDS per target (default 60). BUILD_DIR (default build-fuzz) is configured with
#   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DAIMLOAD_FUZZ=ON \
#         -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
# and needs clang-14 and libclang-rt-14-dev. New inputs go to BUILD_DIR/fuzz/corpus/TARGET,
# crashes to BUILD_DIR/fuzz/artifacts/TARGET, each run's log to BUILD_DIR/fuzz/TARGET.log;
# the committed corpus is only read. Exits 1 when any target found a problem.
set -euo pipefail

seconds=${1:-60}
build=${2:-build-fuzz}
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
(( ${#targets[@]} > 0 )) || targets=(promptpool responseparser duration httprequest)
here=$(cd "$(dirname "$0")" && pwd)

cmake --build "$build" --target "${targets[@]/#/fuzz_}"

failed=()
for target in "${targets[@]}"; do
    corpus="$build/fuzz/corpus/$target"
    artifacts="$build/fuzz/artifacts/$target"
    log="$build/fuzz/$target.log"
    mkdir -p "$corpus" "$artifacts"
    cp -n "$here/corpus/$target"/* "$corpus"/ 2>/dev/null || true

    echo "== fuzz_$target for ${seconds}s"
    if "$build/tests/fuzz/fuzz_$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" > "$log" 2>&1; then
        grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
    else
        echo "fuzz_$target found a problem; see $log and $artifacts" >&2
        tail -n 40 "$log" >&2
        failed+=("$target")
    fi
done

(( ${#failed[@]} == 0 )) || { echo "problems in: ${failed[*]}" >&2; exit 1; }
