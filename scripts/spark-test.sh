#!/usr/bin/env bash
# The whole-graph batch on Spark, checked against the one-node run (make spark-test; part of make test):
#  1. the sample world into a fresh store with its cases registered, exported (moneytrail export);
#  2. the job on a standalone cluster of a master and two workers on 127.0.0.1 (scripts/spark-cluster.sh);
#     every account's features equal `moneytrail features` (integers exactly, ratios within 1e-9) and
#     `rings --from-batch` equals `rings`, member for member;
#  3. again with worker 1 SIGKILLed (by its pid) while the job reads the ledgers: the job finishes, the
#     driver saw the executor lost, and the answers are the same;
#  4. bad input: an export with a day partition missing, and one whose manifest disagrees with a partition,
#     are refused naming the day; a batch used on a store that has moved on is refused.
# Usage: scripts/spark-test.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORLD=$ROOT/datasets/sample
"$ROOT/scripts/install-deps.sh" spark
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "spark-test: FAILED: $*" >&2; exit 1; }

"$BIN" ingest --db "$OUT/db" --accounts "$WORLD/accounts.csv" --transfers "$WORLD/transfers.csv" > /dev/null
"$BIN" case import --db "$OUT/db" --file "$WORLD/truth/cases.csv" > /dev/null
"$BIN" export --db "$OUT/db" --out "$OUT/export"
"$BIN" features --db "$OUT/db" > "$OUT/features-local.csv"
"$BIN" rings --db "$OUT/db" --format json > "$OUT/rings-local.json"

# Account by account: integers exactly, ratios within 1e-9, the same columns. Usage: compare_features LOCAL BATCH
compare_features() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
local = list(csv.DictReader(open(sys.argv[1])))
batch = list(csv.DictReader(open(sys.argv[2])))
assert local and local[0].keys() == batch[0].keys(), "columns differ"
assert len(local) == len(batch), f"{len(local)} accounts here, {len(batch)} in the batch"
bad = 0
for a, b in zip(local, batch):
    assert a["account"] == b["account"], (a["account"], b["account"])
    for k in a:
        x, y = a[k], b[k]
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
            exact = all(c.lstrip("-").isdigit() for c in (x, y))
            if not exact and abs(fx - fy) <= 1e-9:
                continue
        except ValueError:
            pass
        bad += 1
        if bad <= 10:
            print(f"account {a['account']} {k}: here {x!r}, batch {y!r}", file=sys.stderr)
if bad:
    sys.exit(f"{bad} feature values differ")
print(f"features: {len(local)} accounts x {len(local[0]) - 1} features equal")
PY
}

# Nothing the cluster script started may outlive it: no process left working under its state directory.
check_stopped() {
  local d cwd state
  state=$(realpath "$1")
  for d in /proc/[0-9]*; do
    cwd=$(readlink "$d/cwd" 2>/dev/null) || continue
    case "$cwd" in "$state"/*) fail "process ${d#/proc/} ($(tr '\0' ' ' < "$d/cmdline" | cut -c1-120)) still runs in $cwd" ;; esac
  done
  for f in "$1"/*.pid; do
    ! kill -0 "$(cat "$f")" 2>/dev/null || fail "$(basename "$f" .pid) (pid $(cat "$f")) still runs"
  done
}

# Usage: check_batch BATCH NAME [DB] — the batch against the local run on DB (default: the sample store).
check_batch() {
  local batch=$1 name=$2 db=${3:-$OUT/db}
  if [ "$db" != "$OUT/db" ]; then
    "$BIN" features --db "$db" > "$OUT/features-local-$name.csv"
    "$BIN" rings --db "$db" --format json > "$OUT/rings-local-$name.json"
  else
    cp "$OUT/features-local.csv" "$OUT/features-local-$name.csv"
    cp "$OUT/rings-local.json" "$OUT/rings-local-$name.json"
  fi
  "$BIN" features --db "$db" --from-batch "$batch" > "$OUT/features-$name.csv"
  compare_features "$OUT/features-local-$name.csv" "$OUT/features-$name.csv" || fail "$name: features differ from moneytrail features"
  "$BIN" rings --db "$db" --from-batch "$batch" --format json > "$OUT/rings-$name.json"
  cmp -s "$OUT/rings-local-$name.json" "$OUT/rings-$name.json" || fail "$name: rings --from-batch differs from rings"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rings"]; print("rings: %d rings, %d members, identical to the local run" % (len(r), sum(len(x["members"]) for x in r)))' "$OUT/rings-$name.json"
}

echo "== the job on a local cluster (a master, two workers) =="
t0=$(date +%s)
"$ROOT/scripts/spark-cluster.sh" "$OUT/cluster" "$OUT/export" "$OUT/batch" || fail "the job failed (logs in $OUT/cluster)"
echo "job: $(( $(date +%s) - t0 )) s"
check_stopped "$OUT/cluster"
check_batch "$OUT/batch" batch

echo "== again, worker 1 SIGKILLed while the job reads the ledgers =="
t0=$(date +%s)
KILL_WORKER_AT_STEP=ledger KILL_DELAY_SECONDS=${KILL_DELAY_SECONDS:-2} \
  "$ROOT/scripts/spark-cluster.sh" "$OUT/cluster-kill" "$OUT/export" "$OUT/batch-kill" \
  || fail "the job did not survive the loss of a worker (logs in $OUT/cluster-kill)"
echo "job: $(( $(date +%s) - t0 )) s"
check_stopped "$OUT/cluster-kill"
[ -f "$OUT/cluster-kill/killed" ] || fail "worker 1 was never killed"
# The kill landed while the job ran, and the driver had to do without that worker's executor.
grep -q "^done$" "$OUT/cluster-kill/progress" || fail "the job did not finish"
grep -qE "Lost executor|ExecutorLostFailure|Executor .* (lost|removed)|Removed executor" "$OUT/cluster-kill/job.err" \
  || fail "the driver never saw an executor lost: the kill did not reach the job"
grep -hE "Lost executor|Removed executor" "$OUT/cluster-kill/job.err" | head -n 2 | sed 's/^/  driver: /'
check_batch "$OUT/batch-kill" batch-kill

SPARK_HOME=$("$ROOT/target/spark-venv/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')
local_job() {
  PYSPARK_PYTHON="$ROOT/target/spark-venv/bin/python" SPARK_LOCAL_IP=127.0.0.1 \
    "$SPARK_HOME/bin/spark-submit" --master 'local[2]' --conf spark.ui.enabled=false \
    "$ROOT/jobs/spark/features_job.py" "$1" "$2" > "$2.err" 2> "$2.log"  # the Python driver's stderr comes out on stdout
}

echo "== other stores (Spark in local mode): imported bank statements (login IPs and MACs), a world without device and phone columns =="
"$BIN" gen-statements --world "$WORLD" --out "$OUT/statements" --case CASE-00009 --from-level 0 --to-level 2 > /dev/null
# Two cards' statements show logins from one IP address (one operator): the login feature's path.
for f in "$OUT"/statements/statements/*cmb-tsv*.tsv; do
  awk 'BEGIN { FS = OFS = "\t" } NR == 1 { print $0, "IP地址"; next } { print $0, "10.9.8.7" }' "$f" > "$f.ip" && mv "$f.ip" "$f"
done
"$BIN" statements import --db "$OUT/db-statements" "$OUT/statements/statements" > /dev/null
"$BIN" gen --out "$OUT/world-money-only" --persons 1500 --days 14 --seed 71 --habits "$ROOT/datasets/settings/tune-money-only.toml" > /dev/null
"$BIN" ingest --db "$OUT/db-money-only" --accounts "$OUT/world-money-only/accounts.csv" --transfers "$OUT/world-money-only/transfers.csv" > /dev/null
"$BIN" case import --db "$OUT/db-money-only" --file "$OUT/world-money-only/truth/cases.csv" > /dev/null
for name in statements money-only; do
  "$BIN" export --db "$OUT/db-$name" --out "$OUT/export-$name"
  [ "$name" != statements ] || grep -q '"logins": [1-9]' "$OUT/export-$name/manifest.json" || fail "the statements store exported no login attributes"
  local_job "$OUT/export-$name" "$OUT/batch-$name" || fail "$name: the job failed (see $OUT/batch-$name.err)"
  check_batch "$OUT/batch-$name" "$name" "$OUT/db-$name"
done

echo "== bad input =="
cp -r "$OUT/export" "$OUT/export-partial"
day=$(ls "$OUT/export-partial/transfers" | sed -n 3p)
rm -rf "$OUT/export-partial/transfers/$day"
status=0; local_job "$OUT/export-partial" "$OUT/batch-partial" || status=$?
[ $status -eq 2 ] || fail "a partial export was not refused (exit $status)"
grep -q "missing: ${day#day=}" "$OUT/batch-partial.err" || fail "the refusal does not name the missing day: $(grep refused "$OUT/batch-partial.err")"
[ ! -e "$OUT/batch-partial/batch.json" ] || fail "a refused job wrote a batch"
echo "$(grep -o 'moneytrail batch: refused: .*' "$OUT/batch-partial.err")"
cp -r "$OUT/export" "$OUT/export-mismatch"
python3 - "$OUT/export-mismatch/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
day = sorted(m["days"])[0]
m["days"][day] += 1
json.dump(m, open(sys.argv[1], "w"))
PY
status=0; local_job "$OUT/export-mismatch" "$OUT/batch-mismatch" || status=$?
[ $status -eq 2 ] || fail "an export disagreeing with its manifest was not refused (exit $status)"
grep -q "the manifest says" "$OUT/batch-mismatch.err" || fail "the refusal does not say what differs"
echo "$(grep -o 'moneytrail batch: refused: .*' "$OUT/batch-mismatch.err")"
# The store moves on: the batch describes an older state and must not be used.
printf 'txn_id,ts,src,dst,amount\nSPARK-T1,2026-01-25 10:00:00,6200000000000000001,6200000000000000002,10.00\n' > "$OUT/one.csv"
"$BIN" ingest --db "$OUT/db" --transfers "$OUT/one.csv" > /dev/null
status=0; "$BIN" rings --db "$OUT/db" --from-batch "$OUT/batch" > /dev/null 2> "$OUT/stale.err" || status=$?
[ $status -ne 0 ] || fail "a batch of an older store state was used"
grep -q "export it again" "$OUT/stale.err" || fail "the refusal does not say why: $(cat "$OUT/stale.err")"
echo "refused: $(head -n 1 "$OUT/stale.err")"
echo "spark-test: passed"
