#!/usr/bin/env bash
# Vendor MapLibre GL JS from the npm registry into
# portal/static/portal/vendor/maplibre/ (like scripts/vendor_js.sh does for
# Leaflet): the cross-origin browser test (tests/standards/test_maplibre_other_origin.py)
# serves it from a second local origin. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[vendor] $*"; }
. scripts/_apt.sh

DEST=portal/static/portal/vendor/maplibre
PACKAGE=maplibre-gl@4.7.1
# Stamp revision: bump when what is copied changes (r2: the source map, which
# the production build's manifest storage follows from maplibre-gl.js).
STAMP_VALUE="$PACKAGE r2"
STAMP="$DEST/.version"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_VALUE" ]; then
  say "present: $PACKAGE"
  exit 0
fi
command -v npm >/dev/null || apt_install 1 npm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar xzf "$work"/maplibre-gl-*.tgz -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$work/package/dist/maplibre-gl.js" "$work/package/dist/maplibre-gl.js.map" "$work/package/dist/maplibre-gl.css" \
   "$work/package/LICENSE.txt" "$DEST/"
echo "$STAMP_VALUE" > "$STAMP"
say "vendored $PACKAGE into $DEST"
