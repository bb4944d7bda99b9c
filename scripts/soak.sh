#!/usr/bin/env bash
# Soak: mixed load on loopback for SOAK_SECONDS (default 600) against a generated world of ~0.5M transfers
# (20,000 persons x 30 days) — traces and freezes of its cases, account pages, rings, warnings (wrk, 2
# threads, 16 connections) — while an upload of 2,000 new transfers arrives every 15 s (the store grows by
# about a sixth over ten minutes: memory should follow the caches' bounds, not the request count). Passes when no request failed (no non-2xx, no socket errors, every
# upload 200), the p99 is within the API's target (50 ms), and memory is flat (the server's RSS in the last
# fifth of the run within 25% of its RSS after the first fifth, warm-up done).
# Usage: scripts/soak.sh BIN OUTDIR [SECONDS]
set -euo pipefail
BIN=$1; OUT=$2; SECONDS_TOTAL=${3:-${SOAK_SECONDS:-600}}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/install-deps.sh" bench
WORLD="$OUT/soak-world"
if [ ! -f "$WORLD/truth/cases.csv" ]; then
  "$BIN" gen --out "$WORLD" --persons 20000 --days 30 --seed 11 > /dev/null
fi
rm -rf "$OUT/soak" && mkdir -p "$OUT/soak"
DB="$OUT/soak/db"
"$BIN" ingest --db "$DB" --transfers "$WORLD/transfers.csv" --accounts "$WORLD/accounts.csv" > /dev/null
"$BIN" case import --db "$DB" --file "$WORLD/truth/cases.csv" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --db "$DB" --config "$ROOT/datasets/demo-server.toml" --addr 127.0.0.1:$PORT 2> "$OUT/soak/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null && break; sleep 0.1; done

# The mix: each case traced (6 out of 10 requests) and frozen (1 of 10), its victim's account page,
# the ranked rings and the warnings board.
{
  echo 'wrk.headers["Content-Type"] = "application/json"'
  echo 'wrk.headers["Authorization"] = "Bearer demo-analyst-token-0000"'
  echo 'cases = {'
  awk -F, 'NR > 1 { gsub(";", "\",\"", $6); printf "  {[[{\"seed_txn_ids\":[\"%s\"],\"as_of\":\"%s\"}]], \"%s\"},\n", $6, $4, $2 }' "$WORLD/truth/cases.csv"
  echo '}'
  echo 'local n = 0'
  echo 'request = function()'
  echo '  n = n + 1'
  echo '  local c = cases[n % #cases + 1]'
  echo '  local k = n % 10'
  echo '  if k < 6 then return wrk.format("POST", "/v1/trace", nil, c[1])'
  echo '  elseif k == 6 then return wrk.format("POST", "/v1/freeze", nil, c[1])'
  echo '  elseif k == 7 then return wrk.format("GET", "/v1/accounts/" .. c[2] .. "?limit=20")'
  echo '  elseif k == 8 then return wrk.format("GET", "/v1/rings?limit=20")'
  echo '  else return wrk.format("GET", "/v1/warnings") end'
  echo 'end'
} > "$OUT/soak/mix.lua"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status"; }
# Uploads every 15 s, each 2,000 new transfers (ids never repeat).
(
  i=0
  while sleep 15; do
    awk -v b=$i 'BEGIN { print "txn_id,ts,src,dst,amount"; for (j = 0; j < 2000; j++) printf "SOAK%03d%06d,2026-02-%02d %02d:%02d:00,SK%d,SD%d,%d.00\n", b, j, 1 + j % 27, j % 24, j % 60, j % 3000, j % 1700, 1 + j % 9000 }' > "$OUT/soak/upload.csv"
    code=$(curl -s -o "$OUT/soak/upload-$i.json" -w '%{http_code}' -X POST -H "Authorization: Bearer demo-operator-token-0000" \
      -H "Content-Type: text/csv" --data-binary @"$OUT/soak/upload.csv" "http://127.0.0.1:$PORT/v1/ingest/transfers")
    echo "$code" >> "$OUT/soak/uploads.txt"
    i=$((i + 1))
  done
) &
UPLOADER=$!
( while kill -0 $SERVER 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 5; done ) > "$OUT/soak/rss.txt" &
SAMPLER=$!
echo "== soak: ${SECONDS_TOTAL}s of mixed load, an upload every 15 s ==" >&2
wrk -t2 -c16 -d"${SECONDS_TOTAL}s" --latency --timeout 10s -s "$OUT/soak/mix.lua" "http://127.0.0.1:$PORT" | tee "$OUT/soak/wrk.txt"
kill $UPLOADER $SAMPLER 2>/dev/null || true
wait $UPLOADER $SAMPLER 2>/dev/null || true

python3 - "$OUT/soak" <<'PY'
import re, sys
d = sys.argv[1]
wrk = open(f"{d}/wrk.txt").read()
fails = []
m = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
if m: fails.append(f"{m.group(1)} non-2xx answers")
m = re.search(r"Socket errors: (.*)", wrk)
if m: fails.append(f"socket errors: {m.group(1)}")
def ms(s):
    v, unit = float(re.match(r"([\d.]+)", s).group(1)), re.search(r"(us|ms|s)$", s).group(1)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
p99 = ms(re.search(r"99%\s+(\S+)", wrk).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
if p99 > 50: fails.append(f"p99 {p99:.1f} ms > 50 ms")
codes = open(f"{d}/uploads.txt").read().split() if __import__("os").path.exists(f"{d}/uploads.txt") else []
bad = [c for c in codes if c != "200"]
if bad: fails.append(f"uploads answered {bad}")
rss = [int(l.split()[1]) for l in open(f"{d}/rss.txt") if len(l.split()) == 2]
n = len(rss)
early = sorted(rss[n // 5: 2 * n // 5])[len(rss[n // 5: 2 * n // 5]) // 2] if n >= 10 else 0
late = max(rss[4 * n // 5:]) if n >= 10 else 0
if n >= 10 and late > early * 1.25: fails.append(f"RSS grew from {early // 1024} MiB to {late // 1024} MiB")
print(f"soak: {rps:.0f} requests/s, p99 {p99:.1f} ms, {len(codes)} uploads ({len(bad)} failed), "
      f"RSS {early // 1024} MiB after warm-up, {late // 1024} MiB at most in the last fifth; "
      + ("PASSED" if not fails else "FAILED: " + "; ".join(fails)))
sys.exit(1 if fails else 0)
PY
