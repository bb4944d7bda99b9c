#!/usr/bin/env bash
# Installs what the browser tests need (scripts/browser-test.sh): Debian's Chromium and the pinned
# playwright-core from tests/browser/package-lock.json. playwright-core drives an installed browser and
# never downloads one; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD makes sure of it.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install PACKAGE…, refreshing the package lists first only when apt does not know the packages
# (a fresh image has no lists), and once more if the install fails (lists older than the mirror).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  if ! as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
# A CJK font, so screenshots show the Chinese labels and names rather than boxes (the assertions read
# the DOM and do not need it; people reading the screenshots do).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt_install fonts-wqy-zenhei
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# npm ci installs exactly the lock file; skip it when that version is already in place.
want=$(node -p 'require("./tests/browser/package-lock.json").packages["node_modules/playwright-core"].version')
have=$(node -p 'try { require("./tests/browser/node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$want" != "$have" ]; then
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
