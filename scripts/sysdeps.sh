#!/usr/bin/env bash
# Install the system libraries GeoDjango needs (GDAL, GEOS, PROJ) when missing.
# Idempotent: says what it found and installs only what is absent.
set -euo pipefail

say() { echo "[sysdeps] $*"; }
. "$(dirname "$0")/_apt.sh"

missing=()
ldconfig -p | grep -q 'libgdal\.so' || missing+=(gdal-bin)
ldconfig -p | grep -q 'libgeos_c\.so' || missing+=(libgeos-c1v5)
ldconfig -p | grep -q 'libproj\.so' || missing+=(proj-bin)
# ogrinfo/ogr2ogr: the layers tests read the OGC API and the exports with GDAL.
command -v ogr2ogr >/dev/null || [[ " ${missing[*]} " == *" gdal-bin "* ]] || missing+=(gdal-bin)

if [ ${#missing[@]} -eq 0 ]; then
  say "GDAL, GEOS and PROJ libraries present"
  exit 0
fi
apt_install 1 "${missing[@]}"
