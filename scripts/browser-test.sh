#!/usr/bin/env bash
# Browser tests of the web view: a fresh store from the committed sample world, a server on a free
# loopback port serving the page built into BIN (what ships), and tests/browser/viz.test.mjs driving
# Debian's Chromium against it. Screenshots go to target/browser/.
#
#   scripts/browser-test.sh BIN          e.g. scripts/browser-test.sh target/release/moneytrail
#
# MT_VIZ_DIR=viz serves a directory instead of the built-in page (development only); MT_ONLY=TEXT runs
# only the tests whose name contains TEXT. Ends with `browser: N passed, M failed` (also left in
# target/browser/summary.txt); exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:?usage: scripts/browser-test.sh BIN}
[ -x "$BIN" ] || { echo "browser-test: $BIN is not an executable" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORLD=datasets/sample

scripts/install-deps.sh browser

WORK=$(mktemp -d "${TMPDIR:-/tmp}/moneytrail-browser.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "browser-test: loading the sample world into $WORK/db"
"$BIN" ingest --db "$WORK/db" --accounts "$WORLD/accounts.csv" --transfers "$WORLD/transfers.csv" > "$WORK/ingest.log" 2>&1 \
  || { cat "$WORK/ingest.log"; exit 1; }
"$BIN" case import --db "$WORK/db" --file "$WORLD/truth/cases.csv" > "$WORK/cases.log" 2>&1 \
  || { cat "$WORK/cases.log"; exit 1; }

# A free loopback port: nothing answers a connection to it.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "browser-test: no free port found" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"

VIZ_ARGS=()
if [ -n "${MT_VIZ_DIR:-}" ]; then VIZ_ARGS=(--viz "$MT_VIZ_DIR"); fi
"$BIN" serve --db "$WORK/db" --config datasets/demo-server.toml --addr "127.0.0.1:$PORT" "${VIZ_ARGS[@]}" > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!

# Wait (up to 30 s) for the API to answer.
for _ in $(seq 1 300); do
  if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$BASE/v1/health"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/serve.log"; echo "browser-test: the server exited" >&2; exit 1; fi
  sleep 0.1
done

mkdir -p target/browser
rm -f target/browser/*.png target/browser/summary.txt # this run's screenshots and summary only
echo "browser-test: server at $BASE"
status=0
MT_SHOT_DIR="$PWD/target/browser" node tests/browser/viz.test.mjs "$BASE" || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser-test: server log (last 30 lines):"
  tail -n 30 "$WORK/serve.log"
fi
exit "$status"
