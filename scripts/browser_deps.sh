#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian packages for the
# browser tests (tests marked `browser`). Idempotent; no downloaded browsers.
set -euo pipefail

say() { echo "[browser] $*"; }
. "$(dirname "$0")/_apt.sh"

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  say "chromium and chromedriver present"
  exit 0
fi
apt_install 1 chromium chromium-driver
