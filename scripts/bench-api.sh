#!/usr/bin/env bash
# API load benchmark on loopback: sustained POST /v1/trace of a sample case with wrk, alone and while a
# 200,000-row upload is being ingested. Usage: scripts/bench-api.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
"$(dirname "$0")/install-deps.sh" bench
WORLD=datasets/sample
DB="$OUT/api-db"
PORT=18181
TOKEN=demo-analyst-token-0000
OPERATOR=demo-operator-token-0000
rm -rf "$DB" && mkdir -p "$OUT"
"$BIN" ingest --db "$DB" --transfers "$WORLD/transfers.csv" --accounts "$WORLD/accounts.csv" > /dev/null
"$BIN" serve --db "$DB" --config datasets/demo-server.toml --addr 127.0.0.1:$PORT 2> "$OUT/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null && break; sleep 0.1; done
CASE=$(awk -F, '$1=="CASE-00009"' "$WORLD/truth/cases.csv")
SEEDS=$(echo "$CASE" | cut -d, -f6 | sed 's/;/","/g')
ASOF=$(echo "$CASE" | cut -d, -f4)
cat > "$OUT/trace.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = '{"seed_txn_ids":["$SEEDS"],"as_of":"$ASOF"}'
LUA
echo "== trace requests alone ==" | tee "$OUT/api-summary.txt"
wrk -t2 -c32 -d20s --latency -s "$OUT/trace.lua" "http://127.0.0.1:$PORT/v1/trace" | tee -a "$OUT/api-summary.txt"
awk 'BEGIN { print "txn_id,ts,src,dst,amount"; for (i = 0; i < 400000; i++) printf "LOAD%d,%d,S%d,D%d,%d.00\n", i, 1769900000 + i, i % 5000, i % 777, i % 9000 + 1 }' > "$OUT/load.csv"
echo "== trace requests while 400,000 rows are ingested ==" | tee -a "$OUT/api-summary.txt"
( sleep 2; curl -s -X POST -H "Authorization: Bearer $OPERATOR" -H "Content-Type: text/csv" --data-binary @"$OUT/load.csv" "http://127.0.0.1:$PORT/v1/ingest/transfers" > "$OUT/load-ingest.json" ) &
UPLOAD=$!
wrk -t2 -c32 -d20s --latency -s "$OUT/trace.lua" "http://127.0.0.1:$PORT/v1/trace" | tee -a "$OUT/api-summary.txt"
wait "$UPLOAD" || true
echo "ingest during the load: $(cat "$OUT/load-ingest.json" | head -c 200)" | tee -a "$OUT/api-summary.txt"
