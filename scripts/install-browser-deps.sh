#!/usr/bin/env bash
# Installs what the browser tests need (scripts/browser-test.sh): Debian's Chromium and the pinned
# playwright-core from tests/browser/package-lock.json. playwright-core drives an installed browser and
# never downloads one; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD makes sure of it.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know chromium yet (a fresh image has none).
  if ! apt-cache show chromium >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show nodejs >/dev/null 2>&1; then as_root apt-get update -qq; fi
  as_root apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# npm ci installs exactly the lock file; skip it when that version is already in place.
want=$(node -p 'require("./tests/browser/package-lock.json").packages["node_modules/playwright-core"].version')
have=$(node -p 'try { require("./tests/browser/node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$want" != "$have" ]; then
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
