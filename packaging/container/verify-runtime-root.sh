#!/usr/bin/env bash
# Rebuilds the Dockerfile's runtime stage by hand where no container engine runs: a
# debootstrap minbase root of Debian 12 (close to debian:12-slim), the runtime package
# list read from the Dockerfile, the aimload user, the binary and the default pool. Then
# runs aimload in it as that user and prints the size the runtime stage adds.
#
#   packaging/container/verify-runtime-root.sh BINARY [ROOT]
#
# BINARY is a built aimload (it is stripped on the way in, as `cmake --install --strip`
# does in the image); ROOT defaults to /tmp/aimload-root and is reused when it already
# holds a finished debootstrap. Needs root, debootstrap, and a Debian mirror: the one
# apt uses here, or AIMLOAD_DEBIAN_MIRROR. Everything it starts talks over loopback only.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
dockerfile=$here/Dockerfile
binary=${1:?usage: verify-runtime-root.sh BINARY [ROOT]}
root=${2:-/tmp/aimload-root}
user_id=10001

log() { printf '== %s\n' "$*" >&2; }

host_mirror() {
    local uri
    for uri in $(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null) \
        $(awk '$1 == "deb" { print $2 }' /etc/apt/sources.list 2>/dev/null); do
        [[ $uri =~ /debian/?$ ]] && { echo "$uri"; return; }
    done
    return 1
}

# The words after "apt-get install" in the runtime stage's RUN, options left out.
runtime_packages() {
    awk '/^FROM .* AS runtime/ { runtime = 1; next }
         /^FROM / { runtime = 0 }
         runtime' "$dockerfile" |
        sed -e ':join' -e '/\\$/ { N; s/\\\n/ /; b join }' |
        grep -E '^RUN .*apt-get install' |
        sed -e 's/.*apt-get install//' -e 's/&&.*//' |
        tr -s ' ' '\n' | grep -v -E '^(-.*|)$'
}

# The image's ENV as NAME=value lines (one ENV instruction, NAME=value pairs).
image_environment() {
    sed -e ':join' -e '/\\$/ { N; s/\\\n/ /; b join }' "$dockerfile" |
        sed -n 's/^ENV //p' | tr -s ' ' '\n' | grep '='
}

# The runtime stage's RUN instruction that contains $1, as one shell command.
dockerfile_run() {
    awk '/^FROM .* AS runtime/ { runtime = 1; next } runtime' "$dockerfile" |
        sed -e ':join' -e '/\\$/ { N; s/\\\n/ /; b join }' |
        grep -v '^#' | grep -E "^RUN .*$1" | sed 's/^RUN //'
}

bytes_used() { du -sx --block-size=1 "$root" | cut -f1; }

mounted=()
cleanup() {
    local point
    for point in "${mounted[@]}"; do umount "$point" || true; done
}
trap cleanup EXIT

(( EUID == 0 )) || { echo "verify-runtime-root: needs root" >&2; exit 1; }
[[ -x $binary ]] || { echo "verify-runtime-root: no executable at $binary" >&2; exit 1; }
mapfile -t packages < <(runtime_packages)
(( ${#packages[@]} > 0 )) || { echo "verify-runtime-root: no runtime packages found" >&2; exit 1; }
mapfile -t environment < <(image_environment)

if [[ ! -f $root/.aimload-base-bytes ]]; then
    mirror=${AIMLOAD_DEBIAN_MIRROR:-$(host_mirror)}
    log "debootstrap --variant=minbase bookworm $root $mirror"
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
        { tail -20 "$root.debootstrap.log" >&2; exit 1; }
    # debian:12-slim keeps no documentation, manuals or translations; do the same so the
    # size difference below is the one the image would see.
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
    chroot "$root" apt-get clean
    rm -rf "$root"/var/lib/apt/lists/*
    bytes_used >"$root/.aimload-base-bytes"
    chroot "$root" dpkg-query -W -f '${Package}\n' | sort >"$root/.aimload-base-packages"
fi
base_bytes=$(cat "$root/.aimload-base-bytes")

mount -t proc proc "$root/proc" && mounted+=("$root/proc")
cp /etc/resolv.conf "$root/etc/resolv.conf"

log "apt-get install ${packages[*]}"
chroot "$root" apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

log "the Dockerfile's user set-up: $(dockerfile_run useradd)"
chroot "$root" id aimload >/dev/null 2>&1 || chroot "$root" /bin/sh -c "$(dockerfile_run useradd)"
strip --strip-unneeded -o "$root/usr/bin/aimload" "$binary"
install -D -m 0644 "$source_dir/prompts/default.json" \
    "$root/usr/share/aimload/prompts/default.json"

umount "$root/proc" && mounted=()
installed_bytes=$(bytes_used)

log "libraries the binary cannot find in the root (none expected)"
if chroot "$root" ldd /usr/bin/aimload | grep 'not found'; then exit 1; fi

# The chroot shares this machine's network, where a container has its own: listen on
# loopback only, and on a free port rather than the image's 8089.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
environment+=(AIMLOAD_WEB_HOST=127.0.0.1 LOCUST_WEB_PORT="$port")

as_aimload() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${environment[@]}" \
        chroot --userspec="$user_id:$user_id" "$root" "${command[@]}"
}

log "aimload --version"
command=(/usr/bin/aimload --version)
as_aimload

log "aimload --headless --simulate --sim-speed 1000 --cycles 1 (with the image's ENV)"
command=(/usr/bin/aimload --headless --simulate --sim-speed 1000 --cycles 1)
as_aimload
if "$binary" --help | grep -q -- '--db '; then
    log "the journal, written through the QSQLITE plugin at headless mode's default path"
    [[ -s $root/var/lib/aimload/aimload.db ]] || exit 1
    ls -ln "$root/var/lib/aimload"
fi

if "$binary" --help | grep -q -- '--web-port'; then
    log "aimload as the image runs it, LOCUST_WEB_PORT=$port; HEALTHCHECK; SIGTERM"
    # Started directly, not through as_aimload: $! must be aimload itself (env and chroot
    # exec it), not a subshell that would take the SIGTERM in its place.
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${environment[@]}" \
        chroot --userspec="$user_id:$user_id" "$root" \
        /usr/bin/aimload --headless --simulate --sim-speed 1000 --pacing 1h &
    pid=$!
    healthcheck=$(sed -e ':join' -e '/\\$/ { N; s/\\\n/ /; b join }' "$dockerfile" |
        sed -n 's/^HEALTHCHECK .* CMD //p')
    healthy=no
    for _ in $(seq 50); do
        if env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${environment[@]}" \
            chroot --userspec="$user_id:$user_id" "$root" /bin/sh -c "$healthcheck"; then
            healthy=yes
            break
        fi
        sleep 0.2
    done
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    log "health check: $healthy; exit status after SIGTERM: $status"
    [[ $healthy == yes && $status == 0 ]] || exit 1
    ls -l "$root/var/lib/aimload"
else
    log "this aimload has no --web-port yet: health check and status port not exercised"
fi

log "packages the runtime stage adds (installed size in KiB)"
chroot "$root" dpkg-query -W -f '${Package}\t${Installed-Size}\n' | sort |
    join -t $'\t' -v 1 - "$root/.aimload-base-packages" | sort -t $'\t' -k2 -n -r
log "base root: $((base_bytes / 1000000)) MB; with the runtime stage: $((installed_bytes / 1000000)) MB; added: $(((installed_bytes - base_bytes) / 1000000)) MB"
