#!/usr/bin/env bash
# Property-based test of the HTTP API against its own OpenAPI document (/openapi.json) with schemathesis:
# schema-valid requests must be accepted, schema-violating ones rejected, every response must match the
# document (status, content type, body schema), and nothing may answer 5xx.
# The warnings' event stream never ends, so it is left out here; tests/api_socket.rs reads it.
# Usage: scripts/api-schema-test.sh BIN   (BIN: the moneytrail binary)
set -euo pipefail
BIN=${1:?usage: $0 path/to/moneytrail}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/target/st-venv   # made by install-deps.sh, which pins the version
"$ROOT/scripts/install-deps.sh" schema
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
# A throwaway store with the sample world and its cases registered: schemathesis writes to it.
"$BIN" ingest --db "$WORK/db" --accounts "$ROOT/datasets/sample/accounts.csv" \
    --transfers "$ROOT/datasets/sample/transfers.csv" >/dev/null 2>&1
"$BIN" case import --db "$WORK/db" --file "$ROOT/datasets/sample/truth/cases.csv" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The demo tokens without the per-source limit on failed authentication: schemathesis sends many requests
# without a token on purpose, which would (rightly) get this address 429 (tests/api.rs tests the limit).
{ echo "max_auth_failures_per_minute = 0"; cat "$ROOT/datasets/demo-server.toml"; } > "$WORK/server.toml"
"$BIN" serve --db "$WORK/db" --config "$WORK/server.toml" --addr "127.0.0.1:$PORT" \
    --finbench "$ROOT/datasets/finbench-sf0.01/snapshot" \
    >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/v1/health', timeout=1)" 2>/dev/null && break
    sleep 0.1
done
mkdir -p "$ROOT/target/api-schema"
# Run from target/ so schemathesis' example database and caches stay out of the source tree.
cd "$ROOT/target/api-schema"
set +e
"$VENV/bin/schemathesis" --config-file "$ROOT/tests/api-schema/schemathesis.toml" run "http://127.0.0.1:$PORT/openapi.json" \
    -H "Authorization: Bearer demo-admin-token-00000000" \
    --checks all --seed 20261121 --no-color --workers 1 \
    --exclude-path /v1/warnings/stream \
    --report junit --report-dir "$ROOT/target/api-schema" >"$ROOT/target/api-schema/run.log" 2>&1
RC=$?
set -e
if [ $RC -ne 0 ]; then
    sed -n '/FAILURES/,$p' "$ROOT/target/api-schema/run.log" | head -n 120
    echo "server log:"; tail -n 20 "$WORK/serve.log"
    echo "api-schema: schemathesis found failures (exit $RC); full log in target/api-schema/run.log"
    exit 1
fi
CASES=$(grep -oE '[0-9]+ generated, [0-9]+ passed' "$ROOT/target/api-schema/run.log" | tail -n 1)
echo "api-schema: passed ($CASES test cases against /openapi.json)"
