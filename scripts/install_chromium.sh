#!/usr/bin/env bash
# Installs Debian's chromium (/usr/bin/chromium), the headless browser of the dashboard test.
# Needs root (as in the CI image); run by the test itself when the browser is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
