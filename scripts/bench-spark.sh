#!/usr/bin/env bash
# The whole-graph batch at scale: `moneytrail export` of the 10M-transfer bench store (time, size), the Spark
# job on a loopback standalone cluster with one worker and with two (1 core each: this machine has two), and the
# local whole-graph features and rings for comparison; the batch's features are checked equal to the local ones.
# Usage: scripts/bench-spark.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=$OUT/db
[ -f "$DB/CURRENT" ] || { echo "bench-spark: $DB is missing (make bench ingests it first)" >&2; exit 1; }
S=$OUT/spark
rm -rf "$S" && mkdir -p "$S"
/usr/bin/time -o "$S/export.time" -f "%e %M" "$BIN" export --db "$DB" --out "$S/export" > "$S/export.txt"
read -r WALL RSS < "$S/export.time"
SIZE=$(du -sm "$S/export" | cut -f1)
{
  echo "== whole-graph batch on Spark ($(cat "$S/export.txt")) =="
  echo "export: $WALL s, peak RSS $((RSS / 1024)) MiB, $SIZE MiB of Parquet"
} | tee "$S/summary.txt"
for workers in 1 2; do
  t0=$(date +%s.%N)
  WORKERS=$workers PARTITIONS=${PARTITIONS:-48} SPARK_WORKER_MEMORY=6g SPARK_EXECUTOR_MEMORY=4g SPARK_PORT_BASE=$((17177 + workers * 10)) \
    "$ROOT/scripts/spark-cluster.sh" "$S/cluster-$workers" "$S/export" "$S/batch-$workers"
  t1=$(date +%s.%N)
  echo "spark job, $workers worker(s) of 1 core: $(python3 -c "print(round($t1 - $t0, 1))") s" | tee -a "$S/summary.txt"
done
/usr/bin/time -o "$S/features.time" -f "%e %M" "$BIN" features --db "$DB" > "$S/features-local.csv"
read -r WALL RSS < "$S/features.time"
echo "local features (both cores, rayon): $WALL s, peak RSS $((RSS / 1024)) MiB" | tee -a "$S/summary.txt"
"$BIN" features --db "$DB" --from-batch "$S/batch-2" > "$S/features-batch.csv"
cmp -s "$S/features-local.csv" "$S/features-batch.csv" && echo "batch features: identical to the local ones (byte for byte)" | tee -a "$S/summary.txt" \
  || echo "batch features: NOT byte-identical to the local ones (compare $S/features-*.csv)" | tee -a "$S/summary.txt"
/usr/bin/time -o "$S/rings.time" -f "%e %M" "$BIN" rings --db "$DB" --format json > "$S/rings-local.json"
read -r WALL RSS < "$S/rings.time"
echo "local rings (features + assembly): $WALL s, peak RSS $((RSS / 1024)) MiB" | tee -a "$S/summary.txt"
/usr/bin/time -o "$S/rings-batch.time" -f "%e %M" "$BIN" rings --db "$DB" --from-batch "$S/batch-2" --format json > "$S/rings-batch.json"
read -r WALL RSS < "$S/rings-batch.time"
same=$(cmp -s "$S/rings-local.json" "$S/rings-batch.json" && echo "identical to the local rings" || echo "DIFFERENT from the local rings")
echo "rings --from-batch (assembly only): $WALL s, peak RSS $((RSS / 1024)) MiB, $same" | tee -a "$S/summary.txt"
