#!/usr/bin/env bash
# Vendor the map's JavaScript/CSS (Leaflet and Leaflet.VectorGrid) from the
# npm registry into portal/static/portal/vendor/, so every overlay draws
# without internet access. Idempotent: does nothing when the pinned versions are
# already there. Needs `npm` (Debian package `npm`), installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[vendor] $*"; }
. scripts/_apt.sh

DEST=portal/static/portal/vendor
PACKAGES=(leaflet@1.9.4 leaflet.vectorgrid@1.3.0)
STAMP="$DEST/.versions"
# The stamp names the layout too: "+maps" since leaflet.js.map is copied (the
# manifest storage of the production build follows leaflet.js' sourceMappingURL).
WANT="${PACKAGES[*]} +maps"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  say "present: ${PACKAGES[*]}"
  exit 0
fi
command -v npm >/dev/null || apt_install 1 npm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "${PACKAGES[@]}" >/dev/null)
rm -rf "$DEST"
mkdir -p "$DEST/leaflet" "$DEST/vectorgrid"
tar xzf "$work"/leaflet-1.9.4.tgz -C "$work" && mv "$work/package" "$work/leaflet"
tar xzf "$work"/leaflet.vectorgrid-1.3.0.tgz -C "$work" && mv "$work/package" "$work/vectorgrid"
cp "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.js.map" "$work/leaflet/dist/leaflet.css" "$DEST/leaflet/"
cp -r "$work/leaflet/dist/images" "$DEST/leaflet/"
cp "$work/leaflet/LICENSE" "$DEST/leaflet/LICENSE"
cp "$work/vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" "$DEST/vectorgrid/"
cp "$work/vectorgrid/LICENSE" "$DEST/vectorgrid/LICENSE" 2>/dev/null || true
# Every sourceMappingURL a vendored file names must be there (collectstatic
# with the manifest storage stops on a missing one).
for f in $(grep -rl "sourceMappingURL=" "$DEST" --include='*.js' --include='*.css' || true); do
  map=$(grep -o 'sourceMappingURL=[^ *]*' "$f" | tail -1 | cut -d= -f2)
  [ -f "$(dirname "$f")/$map" ] || { echo "[vendor] $f names $map, which is missing" >&2; exit 1; }
done
echo "$WANT" > "$STAMP"
say "vendored ${PACKAGES[*]} into $DEST"
