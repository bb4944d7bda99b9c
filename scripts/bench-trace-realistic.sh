#!/usr/bin/env bash
# The trace benchmark on a realistic world (issue 16): ~10M transfers generated with
# datasets/settings/bench-realistic.toml (large gangs' rings: a case reaches tens of accounts; rented cards
# keep their everyday ledger), ingested once, then `cargo bench --bench trace` against it.
# Usage: scripts/bench-trace-realistic.sh BIN OUTDIR PERSONS DAYS
set -euo pipefail
BIN=$1; OUT=$2; PERSONS=$3; DAYS=$4
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORLD="$OUT/world-realistic-$PERSONS-$DAYS"
DB="$OUT/db-realistic-$PERSONS-$DAYS"
if [ ! -f "$WORLD/transfers.csv" ] || [ "$ROOT/datasets/settings/bench-realistic.toml" -nt "$WORLD/transfers.csv" ]; then
  echo "== generating the realistic world: $PERSONS persons x $DAYS days ==" >&2
  rm -rf "$WORLD" "$DB"
  "$BIN" gen --out "$WORLD" --persons "$PERSONS" --days "$DAYS" --seed 7 --habits "$ROOT/datasets/settings/bench-realistic.toml" > /dev/null
fi
if [ ! -f "$DB/CURRENT" ]; then
  echo "== ingesting it ==" >&2
  "$BIN" ingest --db "$DB" --transfers "$WORLD/transfers.csv" --accounts "$WORLD/accounts.csv" --format json > "$OUT/ingest-realistic.json"
fi
"$BIN" migrate --db "$DB" > /dev/null  # a store kept from an earlier format version
echo "== trace benchmark on the realistic world ==" >&2
cd "$ROOT"
MONEYTRAIL_BENCH_DB="$DB" MONEYTRAIL_BENCH_WORLD="$WORLD" cargo bench --bench trace -- --warm-up-time 1 --measurement-time 3 \
  | tee "$OUT/trace-realistic.txt"

# The same world over HTTP: the server on this store, one keep-alive client (end to end and Server-Timing),
# NetworkX answering the same reach question in memory, then wrk over a mix of 500 cases.
"$ROOT/scripts/install-deps.sh" bench
PORT=18282
"$BIN" serve --db "$DB" --config "$ROOT/datasets/demo-server.toml" --addr 127.0.0.1:$PORT > /dev/null 2> "$OUT/serve-realistic.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null && break; sleep 0.2; done
echo "== traces over HTTP, and NetworkX on the same cases ==" >&2
"$ROOT/target/bench-venv/bin/python" "$ROOT/scripts/bench_trace_http.py" --world "$WORLD" --port $PORT \
  --token demo-analyst-token-0000 --cases 500 --networkx | tee -a "$OUT/trace-realistic.txt"
echo "== wrk: 32 connections over a mix of 500 cases (fifo, 6 hops) ==" >&2
{
  echo 'wrk.method = "POST"'
  echo 'wrk.headers["Content-Type"] = "application/json"'
  echo 'wrk.headers["Authorization"] = "Bearer demo-analyst-token-0000"'
  echo 'bodies = {'
  awk -F, 'NR > 1 && NR <= 501 { gsub(";", "\",\"", $6); printf "  [[{\"seed_txn_ids\":[\"%s\"],\"as_of\":\"%s\",\"hops\":6}]],\n", $6, $4 }' \
    "$WORLD/truth/cases.csv"
  echo '}'
  echo 'local i = 0'
  echo 'request = function() i = i % #bodies + 1; return wrk.format(nil, nil, nil, bodies[i]) end'
} > "$OUT/trace-mix.lua"
wrk -t2 -c32 -d20s --latency -s "$OUT/trace-mix.lua" "http://127.0.0.1:$PORT/v1/trace" | tee -a "$OUT/trace-realistic.txt"
