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
echo "== trace benchmark on the realistic world ==" >&2
cd "$ROOT"
MONEYTRAIL_BENCH_DB="$DB" MONEYTRAIL_BENCH_WORLD="$WORLD" cargo bench --bench trace -- --warm-up-time 1 --measurement-time 3 \
  | tee "$OUT/trace-realistic.txt"
