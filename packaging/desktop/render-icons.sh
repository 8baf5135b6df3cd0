#!/usr/bin/env bash
# Renders the application icon's PNG sizes from its SVG into icons/, and records the
# SVG's SHA-256 so that tests/packaging notices when the SVG changes and the PNGs do
# not. Needs rsvg-convert (Debian: librsvg2-bin). Run it after editing the icon and
# commit the result.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svg=$here/../../resources/icons/aimload.svg

for size in 16 24 32 48 64 128 256; do
    mkdir -p "$here/icons/${size}x${size}"
    rsvg-convert --width "$size" --height "$size" --output \
        "$here/icons/${size}x${size}/org.aimload.aimload.png" "$svg"
done
(cd "$here/../.." && sha256sum resources/icons/aimload.svg) >"$here/icons/source.sha256"
