#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is on the machine for the studio's browser tests.
# Installs the chromium and chromium-driver packages when /usr/bin/chromium is missing (CI runs
# as root); prints the browser's path. Nothing is downloaded but Debian's packages.
set -euo pipefail
browser=/usr/bin/chromium
if [ ! -x "$browser" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2
  fi
fi
if [ ! -x "$browser" ]; then
  echo "Chromium ($browser) not found and cannot be installed" >&2
  exit 3
fi
echo "$browser"
