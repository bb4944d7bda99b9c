#!/usr/bin/env bash
# 资金预警 at scale: the per-upload check of new transfers against the watch list, on the 10M-transfer bench
# store with all of its world's cases registered (bench-rings.sh's db-cases), served; five uploads of 10,000
# transfers through POST /v1/ingest/transfers (the world's last rows under new ids), each answer's
# `warnings_check_ms` recorded. The issue's target: ≤ 50 ms per 10,000-transfer upload at 10M stored.
# Usage: scripts/bench-warnings.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
W="$OUT/world-170000-60"
SRC="$OUT/db-cases"
[ -f "$SRC/CURRENT" ] || { echo "bench-warnings: $SRC is missing (make bench runs bench-rings.sh first)" >&2; exit 1; }
DB="$OUT/warn-db"
rm -rf "$DB"
"$BIN" backup --db "$SRC" --out "$DB" > /dev/null
PORT=18182
OPERATOR=demo-operator-token-0000
"$BIN" serve --db "$DB" --config datasets/demo-server.toml --addr 127.0.0.1:$PORT 2> "$OUT/warn-serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
# Up (the registered cases are traced for the watch list in the background, with the rings).
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null && break; sleep 0.5; done
# The server detects rings at start, in the background (two cores at 10M for ~25 s); the check is measured
# after that, as a server that has been up for a minute runs it.
for _ in $(seq 1 300); do
  curl -sf -H "Authorization: Bearer $OPERATOR" "http://127.0.0.1:$PORT/v1/rings?limit=1" | grep -q '"stale":false' && break
  sleep 1
done
HEADER=$(head -n 1 "$W/transfers.csv")
LINES=$(wc -l < "$W/transfers.csv")
: > "$OUT/warn-check.txt"
for i in 1 2 3 4 5; do
  { echo "$HEADER"; sed -n "$((LINES - i * 10000 + 1)),$((LINES - (i - 1) * 10000))p" "$W/transfers.csv" | sed "s/^[^,]*/BW$i-&/"; } > "$OUT/warn-upload.csv"
  curl -sf -X POST -H "Authorization: Bearer $OPERATOR" -H "Content-Type: text/csv" \
    --data-binary @"$OUT/warn-upload.csv" "http://127.0.0.1:$PORT/v1/ingest/transfers" > "$OUT/warn-upload-$i.json"
  python3 - "$OUT/warn-upload-$i.json" "$i" >> "$OUT/warn-check.txt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s = s.get("summary", s)
print(f'upload {sys.argv[2]}: {s["transfers_added"]} new transfers, check {s["warnings_check_ms"]:.1f} ms, '
      f'{s["warnings_raised"]} warnings raised')
PY
done
{ echo "== warnings: per-upload check at scale (10,000-transfer uploads, all world cases registered) =="; cat "$OUT/warn-check.txt"; } | tee "$OUT/warn-summary.txt"
