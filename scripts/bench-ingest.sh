#!/usr/bin/env bash
# Scale benchmark for ingest: generates a world of about PERSONS*DAYS transfers (≈10M by default),
# ingests its CSV into a fresh store, and reports rows/s, wall time, peak RSS and size on disk.
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
{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "input: $ROWS transfers, $((CSV_BYTES / 1048576)) MiB CSV"
  awk -v rows="$ROWS" -v wall="$WALL" -v rss="$RSS_KB" -v disk="$DISK" 'BEGIN {
    printf "fresh ingest: %.1f s wall, %.0f transfers/s end to end, peak RSS %.0f MiB, %.0f MiB on disk\n", wall, rows / wall, rss / 1024, disk / 1048576 }'
  awk -v rows="$ROWS" -v wall="$WALL2" -v rss="$RSS2_KB" 'BEGIN {
    printf "re-ingest (dedupe only): %.1f s wall, %.0f rows/s, peak RSS %.0f MiB\n", wall, rows / wall, rss / 1024 }'
} | tee "$OUT/summary.txt"
