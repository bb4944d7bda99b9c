#!/usr/bin/env bash
# Whole-graph ring detection time and peak RSS at several sizes (≈1M, 5M and the 10M scale world); at
# 10M also from the case registry (the world's reported cases registered) and with a scorer trained on
# half of the world's mule cards as the confirmed list.
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
  "$BIN" migrate --db "$DB" > /dev/null  # a store kept from an earlier format version
  ROWS=$(($(wc -l < "$W/transfers.csv") - 1))
  /usr/bin/time -o "$OUT/rings.time" -f "%e %M" "$BIN" rings --db "$DB" --format json > "$OUT/rings-$1-$2.json"
  read -r WALL RSS < "$OUT/rings.time"
  echo "$ROWS transfers: rings in $WALL s, peak RSS $((RSS / 1024)) MiB"
done | tee "$OUT/rings-summary.txt"
W="$OUT/world-170000-60"
rm -rf "$OUT/db-cases" && cp -r "$OUT/db" "$OUT/db-cases"
"$BIN" case import --db "$OUT/db-cases" --file "$W/truth/cases.csv" > /dev/null
CASES=$(($(wc -l < "$W/truth/cases.csv") - 1))
/usr/bin/time -o "$OUT/rings.time" -f "%e %M" "$BIN" rings --db "$OUT/db-cases" --format json > "$OUT/rings-cases.json"
read -r WALL RSS < "$OUT/rings.time"
echo "with $CASES registered cases: rings in $WALL s, peak RSS $((RSS / 1024)) MiB" | tee -a "$OUT/rings-summary.txt"
awk -F, 'NR > 1 && NR % 2 == 0 { print $1 }' "$W/truth/mules.csv" > "$OUT/confirmed.txt"
/usr/bin/time -o "$OUT/rings.time" -f "%e %M" "$BIN" rings --db "$OUT/db" --confirmed "$OUT/confirmed.txt" --format json > "$OUT/rings-confirmed.json"
read -r WALL RSS < "$OUT/rings.time"
echo "with $(wc -l < "$OUT/confirmed.txt") confirmed cards (scorer trained, cross-validated): rings in $WALL s, peak RSS $((RSS / 1024)) MiB" | tee -a "$OUT/rings-summary.txt"
