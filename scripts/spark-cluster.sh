#!/usr/bin/env bash
# A Spark standalone cluster on loopback for the whole-graph batch (jobs/spark/): a master and WORKERS workers
# (1 core, SPARK_WORKER_MEMORY each) on 127.0.0.1, the job submitted to it, and everything it started stopped
# when it ends, whichever way it ends. Pids of the worker JVMs are written to STATE/worker-N.pid (so a test can
# SIGKILL one); logs go to STATE/.
#
# Usage: scripts/spark-cluster.sh STATE EXPORT_DIR OUT_DIR [job options…]
#   WORKERS (default 2), SPARK_WORKER_MEMORY (default 1g), SPARK_PORT_BASE (default 17077: master RPC; the
#   master's web UI is +1, workers' +2…), PARTITIONS (default 8), KILL_WORKER_AT_STEP=NAME (SIGKILL worker 1
#   when the job starts step NAME, by its pid; a test of worker loss).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=$(realpath -m "$1"); EXPORT=$2; OUT=$3; shift 3
WORKERS=${WORKERS:-2}
BASE=${SPARK_PORT_BASE:-17077}
VENV=$ROOT/target/spark-venv
"$ROOT/scripts/install-deps.sh" spark
SPARK_HOME=$("$VENV/bin/python" -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME
export PYSPARK_PYTHON=$VENV/bin/python PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS=$STATE/local SPARK_LOG_DIR=$STATE
export SPARK_NO_DAEMONIZE=1
rm -rf "$STATE" && mkdir -p "$STATE/local"
MASTER=spark://127.0.0.1:$BASE

PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  # Executors the workers started run in the workers' work directories: any process still there (a worker
  # SIGKILLed before it could stop its executor) is ours.
  for p in $(left_running); do kill -9 "$p" 2>/dev/null || true; done
}
# Processes whose working directory is under STATE.
left_running() {
  local d cwd
  for d in /proc/[0-9]*; do
    cwd=$(readlink "$d/cwd" 2>/dev/null) || continue
    case "$cwd" in "$STATE"/*) echo "${d#/proc/}" ;; esac
  done
}
trap stop_all EXIT

"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$BASE" --webui-port $((BASE + 1)) > "$STATE/master.log" 2>&1 &
PIDS+=($!)
echo $! > "$STATE/master.pid"
for _ in $(seq 1 300); do
  grep -q "I have been elected leader" "$STATE/master.log" && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$STATE/master.log" >&2; echo "spark-cluster: the master did not start" >&2; exit 1; }
  sleep 0.2
done
for i in $(seq 1 "$WORKERS"); do
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "$MASTER" \
    --host 127.0.0.1 --cores 1 --memory "${SPARK_WORKER_MEMORY:-1g}" --webui-port $((BASE + 1 + i)) \
    --work-dir "$STATE/work-$i" > "$STATE/worker-$i.log" 2>&1 &
  PIDS+=($!)
  echo $! > "$STATE/worker-$i.pid"
done
for i in $(seq 1 "$WORKERS"); do
  for _ in $(seq 1 300); do
    grep -q "Successfully registered with master" "$STATE/worker-$i.log" && break
    sleep 0.2
  done
  grep -q "Successfully registered with master" "$STATE/worker-$i.log" \
    || { cat "$STATE/worker-$i.log" >&2; echo "spark-cluster: worker $i did not register" >&2; exit 1; }
done

PROGRESS=$STATE/progress
: > "$PROGRESS"
if [ -n "${KILL_WORKER_AT_STEP:-}" ]; then
  (
    for _ in $(seq 1 3000); do
      grep -qx "$KILL_WORKER_AT_STEP" "$PROGRESS" 2>/dev/null && break
      sleep 0.1
    done
    # Let the step's tasks start on both workers, then kill worker 1 (its JVM, by pid).
    sleep "${KILL_DELAY_SECONDS:-3}"
    pid=$(cat "$STATE/worker-1.pid")
    kill -9 "$pid" && echo "spark-cluster: SIGKILLed worker 1 (pid $pid) during step $KILL_WORKER_AT_STEP" | tee "$STATE/killed"
  ) &
fi
status=0
"$SPARK_HOME/bin/spark-submit" --master "$MASTER" \
  --conf spark.ui.enabled=false \
  --conf spark.driver.host=127.0.0.1 \
  --conf spark.executor.memory="${SPARK_EXECUTOR_MEMORY:-768m}" \
  --conf spark.task.maxFailures=8 \
  --conf spark.sql.session.timeZone=UTC \
  "$ROOT/jobs/spark/features_job.py" "$EXPORT" "$OUT" --partitions "${PARTITIONS:-8}" --progress "$PROGRESS" "$@" \
  > "$STATE/job.log" 2> "$STATE/job.err" || status=$?
if [ $status -ne 0 ]; then
  # spark-submit passes the Python driver's stderr on as its stdout (job.log).
  grep -h "moneytrail batch: refused" "$STATE/job.log" >&2 || tail -n 30 "$STATE/job.log" "$STATE/job.err" >&2
fi
exit $status
