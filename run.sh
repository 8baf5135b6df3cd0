#!/usr/bin/env bash
# Builds aimload if needed, then runs it with the given arguments.
# Without --host, --simulate or AI_AGENT_URL it talks to the built-in simulated
# agent, sped up so a demo shows results within seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

scripts/install-deps.sh
# A configure that failed half way leaves a cache but no build.ninja: redo it then.
[[ -f build/CMakeCache.txt && -f build/build.ninja ]] ||
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel -- --quiet | { grep -v -x 'ninja: no work to do\.' || true; } >&2

# True when the arguments contain the option $1, alone or as $1=value.
has_option() {
    local option=$1
    shift
    local argument
    for argument in "$@"; do
        [[ $argument == "$option" || $argument == "$option="* ]] && return 0
    done
    return 1
}

display_available() {
    [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]
}

extra=()
if ! has_option --host "$@" && ! has_option --simulate "$@" && [[ -z ${AI_AGENT_URL:-} ]]; then
    extra+=(--simulate)
    has_option --sim-speed "$@" || extra+=(--sim-speed 20)
fi
if ! display_available && ! has_option --headless "$@"; then
    extra+=(--headless)
fi

exec build/src/app/aimload "$@" "${extra[@]}"
