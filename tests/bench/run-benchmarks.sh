#!/usr/bin/env bash
# aimload against Locust on loopback: idle footprint, start to first request, pacing,
# throughput, latency under concurrency, long-run memory (see docs/benchmarks.md).
#
#   tests/bench/run-benchmarks.sh [--short] [--out DIR] [--aimload PATH] [NAME ...]
#
# NAME: idle startup pacing throughput latency memory valgrind (default: all; idle
# runs in the background meanwhile), or profile (perf, never in the default).
# The full suite takes about 20 minutes, --short about 4. Servers listen on 127.0.0.1
# only and every generator is aimed at them. Needs (Debian 12):
#   apt-get install -y python3-locust wrk nginx-light hyperfine valgrind linux-perf
# (linux-perf only for profile)
# and a build of aimload: by default build/src/app/aimload, or AIMLOAD_BIN / --aimload.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

missing=()
for tool in locust wrk nginx hyperfine valgrind; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "run-benchmarks.sh: missing: ${missing[*]}" >&2
    echo "  apt-get install -y python3-locust wrk nginx-light hyperfine valgrind" >&2
    exit 2
fi
export PATH="$PATH:/usr/sbin"
exec /usr/bin/python3 "$here/bench.py" "$@"
