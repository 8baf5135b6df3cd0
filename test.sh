#!/usr/bin/env bash
# Builds aimload and its tests if needed, then runs them with ctest.
# Extra arguments go to ctest, e.g. ./test.sh -R promptpool
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

scripts/install-deps.sh
# A configure that failed half way leaves a cache but no build.ninja: redo it then.
[[ -f build/CMakeCache.txt && -f build/build.ninja ]] ||
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel -- --quiet | { grep -v -x 'ninja: no work to do\.' || true; }

exec ctest --test-dir build --output-on-failure --timeout 300 -j2 "$@"
