#!/usr/bin/env sh
# Browser tests drive Debian's Chromium (no browser download). Install it from Debian's
# packages when it is missing; where that is not possible, say so and let the browser tests skip.
set -eu
if command -v chromium >/dev/null 2>&1 || [ -n "${BASELINE_CHROMIUM:-}" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found and apt-get unavailable: browser tests will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "chromium not found and no root to install it (apt-get install chromium): browser tests will be skipped" >&2
  exit 0
fi
echo "Installing Debian's chromium for the browser tests"
$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null
}
