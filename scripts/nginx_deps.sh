#!/usr/bin/env bash
# Install nginx (the edge that serves cached tiles, deploy/nginx/) and wrk (the
# HTTP load generator of bench/tiles.py and bench/load.py) from Debian
# packages, for the tests and benchmarks that run them for real. Idempotent.
set -euo pipefail

say() { echo "[nginx] $*"; }

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} = 0 ]; then
  say "nginx and wrk present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "missing ${missing[*]}; install them as root (apt-get install ${missing[*]}); their tests will be skipped"
  exit 0
fi
say "installing ${missing[*]}"
apt-get update -qq
# The package starts no server here (no systemd); the tests start their own.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
say "installed ${missing[*]}"
