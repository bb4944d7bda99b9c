#!/usr/bin/env bash
# Whole-graph ring detection time and peak RSS at several sizes (≈1M, 5M and the 10M scale world).
# Usage: scripts/bench-rings.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
mkdir -p "$OUT"
for cfg in "60000 18" "90000 60" "170000 60"; do
  set -- $cfg
  W="$OUT/world-$1-$2"
  [ -f "$W/transfers.csv" ] || "$BIN" gen --out "$W" --persons "$1" --days "$2" --seed 7 > /dev/null
  DB="$OUT/db-$1-$2"
  [ "$1-$2" = "170000-60" ] && DB="$OUT/db"
  "$BIN" stats --db "$DB" > /dev/null 2>&1 || rm -rf "$DB"   # missing, or an older on-disk format
  [ -f "$DB/CURRENT" ] || "$BIN" ingest --db "$DB" --transfers "$W/transfers.csv" --accounts "$W/accounts.csv" > /dev/null
  ROWS=$(($(wc -l < "$W/transfers.csv") - 1))
  /usr/bin/time -o "$OUT/rings.time" -f "%e %M" "$BIN" rings --db "$DB" --format json > "$OUT/rings-$1-$2.json"
  read -r WALL RSS < "$OUT/rings.time"
  echo "$ROWS transfers: rings in $WALL s, peak RSS $((RSS / 1024)) MiB"
done | tee "$OUT/rings-summary.txt"
