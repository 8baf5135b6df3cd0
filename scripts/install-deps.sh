#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing aimload need, and only
# those that are missing. Prints nothing when everything is already installed.
#
#   scripts/install-deps.sh           install what is missing (as root or via sudo)
#   scripts/install-deps.sh --check   list what is missing; exit 1 if anything is
set -euo pipefail

# Only packages whose absence breaks the build or the tests. qt6-base-dev already
# pulls in libgl-dev, libvulkan-dev, qt6-base-dev-tools and qt6-qpa-plugins, and
# libqt6gui6 ships the offscreen platform. The other Qt entries are only
# recommended by, or not depended on by, the packages that need them, so
# --no-install-recommends would leave them out:
#   libqt6opengl6-dev   Qt6Charts' CMake config requires Qt6OpenGL
#   qt6-websockets-dev  Qt6HttpServer's CMake config requires Qt6WebSockets
#   libqt6sql6-sqlite   the QSQLITE driver plugin
#   libqt6svg6          the SVG icon plugin: the window's icons are SVG
# python3-yaml, desktop-file-utils and appstream are for tests/packaging: a YAML parser
# for the compose and Kubernetes files, and the validators of the desktop entry and the
# AppStream metadata.
packages=(
    build-essential
    cmake
    ninja-build
    qt6-base-dev
    libqt6opengl6-dev
    qt6-charts-dev
    qt6-httpserver-dev
    qt6-websockets-dev
    libqt6sql6-sqlite
    libqt6svg6
    python3
    python3-fastapi
    python3-uvicorn
    procps
    python3-yaml
    desktop-file-utils
    appstream
)

is_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
for package in "${packages[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [[ ${1:-} == --check ]]; then
    (( ${#missing[@]} == 0 )) || printf '%s\n' "${missing[@]}"
    (( ${#missing[@]} == 0 ))
    exit
fi

(( ${#missing[@]} == 0 )) && exit 0

if (( EUID == 0 )); then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
