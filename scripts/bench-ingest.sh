#!/usr/bin/env bash
# Scale benchmark for ingest: generates a world of about PERSONS*DAYS transfers (≈10M by default),
# ingests its CSV into a fresh store, again (all present), appends a day's worth of new transfers, ingests
# the same rows from Parquet, and loads the CSV with DuckDB side by side; reports rows/s, wall time, peak
# RSS and size on disk. Files derived from the world (day.csv, transfers.parquet) live in the world's folder.
# Usage: scripts/bench-ingest.sh BIN OUTDIR PERSONS DAYS
set -euo pipefail
BIN=$1; OUT=$2; PERSONS=$3; DAYS=$4
"$(dirname "$0")/install-deps.sh" bench
mkdir -p "$OUT"
WORLD="$OUT/world-$PERSONS-$DAYS"
if [ ! -f "$WORLD/transfers.csv" ]; then
  echo "== generating a world: $PERSONS persons x $DAYS days ==" >&2
  /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BIN" gen --out "$WORLD" --persons "$PERSONS" --days "$DAYS" --seed 7
fi
ROWS=$(($(wc -l < "$WORLD/transfers.csv") - 1))
CSV_BYTES=$(stat -c %s "$WORLD/transfers.csv")
rm -rf "$OUT/db"
sync
echo "== ingesting $ROWS transfers ($((CSV_BYTES / 1048576)) MiB of CSV) into a fresh store ==" >&2
/usr/bin/time -o "$OUT/ingest.time" -f "%e %M" "$BIN" ingest --db "$OUT/db" --transfers "$WORLD/transfers.csv" --accounts "$WORLD/accounts.csv" --format json > "$OUT/ingest.json"
read -r WALL RSS_KB < "$OUT/ingest.time"
DISK=$(du -sb "$OUT/db" | cut -f1)
echo "== second ingest of the same file (all already present) ==" >&2
/usr/bin/time -o "$OUT/reingest.time" -f "%e %M" "$BIN" ingest --db "$OUT/db" --transfers "$WORLD/transfers.csv" --format json > "$OUT/reingest.json"
read -r WALL2 RSS2_KB < "$OUT/reingest.time"
PY="$(dirname "$0")/../target/bench-venv/bin/python"
echo "== appending a day: the world's last 160,000 transfers under new ids, into that store ==" >&2
if [ ! -f "$WORLD/day.csv" ] || [ "$WORLD/transfers.csv" -nt "$WORLD/day.csv" ]; then
  "$PY" - "$WORLD/transfers.csv" "$WORLD/day.csv" <<'PYEOF'
import csv, sys, collections
src, dst = sys.argv[1], sys.argv[2]
with open(src, newline='') as f:
    r = csv.reader(f)
    header = next(r)
    tail = collections.deque(r, maxlen=160000)
with open(dst, 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(header)
    for row in tail:
        row[0] = 'D' + row[0]
        w.writerow(row)
PYEOF
fi
DAY_ROWS=$(($(wc -l < "$WORLD/day.csv") - 1))
/usr/bin/time -o "$OUT/append.time" -f "%e %M" "$BIN" ingest --db "$OUT/db" --transfers "$WORLD/day.csv" --format json > "$OUT/append.json"
read -r WALL3 RSS3_KB < "$OUT/append.time"
echo "== the same CSV as Parquet (written by DuckDB, all columns text), into a fresh store ==" >&2
if [ ! -f "$WORLD/transfers.parquet" ] || [ "$WORLD/transfers.csv" -nt "$WORLD/transfers.parquet" ]; then
  # Paths go to DuckDB as query parameters, not pasted into SQL.
  "$PY" -c "import duckdb, sys; duckdb.connect().execute(\"COPY (SELECT * FROM read_csv(?, all_varchar=true)) TO '\" + sys.argv[2].replace(\"'\", \"''\") + \"' (FORMAT parquet)\", [sys.argv[1]])" "$WORLD/transfers.csv" "$WORLD/transfers.parquet"
fi
rm -rf "$OUT/db-parquet"
/usr/bin/time -o "$OUT/parquet.time" -f "%e %M" "$BIN" ingest --db "$OUT/db-parquet" --transfers "$WORLD/transfers.parquet" --accounts "$WORLD/accounts.csv" --format json > "$OUT/parquet.json"
read -r WALL4 RSS4_KB < "$OUT/parquet.time"
rm -rf "$OUT/db-parquet"
echo "== DuckDB loading the same CSV into a table (in memory, not durable), side by side ==" >&2
DUCK=$("$PY" -c "
import duckdb, sys, time
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
t = time.time()
con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]])
print(time.time() - t, con.execute('SELECT count(*) FROM t').fetchone()[0])
" "$WORLD/transfers.csv")
read -r WALL_DUCK ROWS_DUCK <<< "$DUCK"
{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "input: $ROWS transfers, $((CSV_BYTES / 1048576)) MiB CSV"
  awk -v rows="$ROWS" -v wall="$WALL" -v rss="$RSS_KB" -v disk="$DISK" 'BEGIN {
    printf "fresh ingest: %.1f s wall, %.0f transfers/s end to end, peak RSS %.0f MiB, %.0f MiB on disk\n", wall, rows / wall, rss / 1024, disk / 1048576 }'
  awk -v rows="$ROWS" -v wall="$WALL2" -v rss="$RSS2_KB" 'BEGIN {
    printf "re-ingest (dedupe only): %.1f s wall, %.0f rows/s, peak RSS %.0f MiB\n", wall, rows / wall, rss / 1024 }'
  awk -v rows="$DAY_ROWS" -v wall="$WALL3" -v rss="$RSS3_KB" 'BEGIN {
    printf "append a day (%d transfers) to that store: %.2f s wall, %.0f transfers/s, peak RSS %.0f MiB\n", rows, wall, rows / wall, rss / 1024 }'
  awk -v rows="$ROWS" -v wall="$WALL4" -v rss="$RSS4_KB" -v csv="$WALL" 'BEGIN {
    printf "fresh ingest from Parquet: %.1f s wall, %.0f transfers/s (CSV: %.0f), peak RSS %.0f MiB\n", wall, rows / wall, rows / csv, rss / 1024 }'
  awk -v rows="$ROWS_DUCK" -v wall="$WALL_DUCK" -v mt="$WALL" 'BEGIN {
    printf "DuckDB read_csv into a table (memory, not durable): %.1f s wall, %.0f rows/s; moneytrail/DuckDB throughput %.2f\n", wall, rows / wall, wall / mt }'
} | tee "$OUT/summary.txt"
