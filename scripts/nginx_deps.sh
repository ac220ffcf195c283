#!/usr/bin/env bash
# Install nginx (the edge that serves cached tiles, deploy/nginx/) and wrk (the
# HTTP load generator of bench/tiles.py and bench/load.py) from Debian
# packages, for the tests and benchmarks that run them for real. Idempotent.
set -euo pipefail

say() { echo "[nginx] $*"; }
. "$(dirname "$0")/_apt.sh"

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} = 0 ]; then
  say "nginx and wrk present"
  exit 0
fi
# Without root, the tests that run them are skipped.
apt_install 0 "${missing[@]}"
