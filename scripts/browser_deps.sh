#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian packages for the
# browser tests (tests marked `browser`). Idempotent; no downloaded browsers.
set -euo pipefail

say() { echo "[browser] $*"; }

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  say "chromium and chromedriver present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "missing chromium/chromium-driver; install them as root (apt-get install chromium chromium-driver)"
  exit 1
fi
say "installing chromium chromium-driver"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
say "installed chromium chromium-driver"
