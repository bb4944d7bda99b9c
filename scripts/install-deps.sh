#!/usr/bin/env bash
# Installs what a fresh machine (Rust + gcc only) lacks to build and test moneytrail, and says what it looked
# for. Every probe asks the question the later step asks, not a question about something with a similar
# name: bindgen needs a libclang that exports libclang's C API (a libclang-cpp.so.14 matches `libclang*.so*`
# and is not one), the browser tests launch /usr/bin/chromium, and so on.
#
#   scripts/install-deps.sh [PART...]          install what PART needs (default: build)
#   scripts/install-deps.sh --check [PART...]  only report, per thing, what was looked for and what was found
#                                              (default: every part); exit 1 when something is missing
#
# PART is one of
#   build    libclang + clang's headers (bindgen, for the rocksdb crate), a C++ compiler (RocksDB itself)
#   fuzz     cargo-fuzz (make fuzz-smoke)
#   schema   python3 with venv, and schemathesis in target/st-venv (make api-schema)
#   browser  Debian's chromium, a CJK font, node >= 18 with npm, the pinned playwright-core (make browser)
#   bench    GNU time, wrk, curl, and DuckDB and NetworkX in target/bench-venv (make bench)
#   spark    a Java 17 runtime (Debian's openjdk-17-jre-headless) and PySpark in target/spark-venv
#            (make spark-test: the whole-graph batch on a local Spark standalone cluster)
#
# Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ST_VERSION=4.32.5                      # schemathesis, pinned
ST_VENV=$ROOT/target/st-venv
CHROMIUM=${MT_CHROMIUM:-/usr/bin/chromium}
DUCKDB_VERSION=1.4.2                   # the bench's side-by-side loader, pinned
NETWORKX_VERSION=3.4.2                 # the trace bench's in-memory comparison, pinned
BENCH_VENV=$ROOT/target/bench-venv
PYSPARK_VERSION=3.5.7                  # the batch job's engine, pinned (Spark 3.5 runs on Java 17)
SPARK_VENV=$ROOT/target/spark-venv
NODE_MIN_MAJOR=18                      # playwright-core's engines.node

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install PACKAGE…, refreshing the package lists first when apt does not know the packages (a fresh
# image has no lists), and once more if the install fails (lists older than the mirror).
apt_install() {
  echo "install-deps: installing ${*} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$@" >/dev/null 2>&1; then
    as_root apt-get update -qq
  fi
  if ! as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# Each probe prints one line, what it found (exit 0) or what it looked for and did not find (exit 1).

# clang-sys (bindgen's loader) looks in LIBCLANG_PATH, then `llvm-config --libdir`, then these directories,
# for files named libclang.so, libclang-*.so, libclang.so.*, libclang-*.so.*; it dlopens the candidate and
# uses libclang's C API. libclang then finds its builtin headers (stddef.h…) under <libdir>/clang/*/include.
probe_libclang() {
  local dirs=() d f
  if [ -n "${LIBCLANG_PATH:-}" ]; then
    dirs=("$LIBCLANG_PATH")
  else
    if command -v llvm-config >/dev/null 2>&1; then dirs+=("$(llvm-config --libdir)"); fi
    # shellcheck disable=SC2206 # the globs are meant to expand
    dirs+=(/usr/local/llvm*/lib* /usr/local/lib*/*/* /usr/local/lib*/* /usr/local/lib* /usr/lib*/*/* /usr/lib*/* /usr/lib*)
  fi
  local rejected=() seen=" "
  for d in "${dirs[@]}"; do
    [ -d "$d" ] || continue
    for f in "$d"/libclang.so "$d"/libclang-*.so "$d"/libclang.so.* "$d"/libclang-*.so.*; do
      [ -e "$f" ] || continue
      # The same library is reachable under several directories and symlinks: judge each file once.
      case "$seen" in *" $(readlink -f "$f") "*) continue ;; esac
      seen="$seen$(readlink -f "$f") "
      # (grep without -q: with pipefail, an early exit of grep makes nm die of SIGPIPE and the pipe fail)
      if ! nm -D --defined-only "$f" 2>/dev/null | grep -E ' clang_createIndex(@|$)' >/dev/null; then
        rejected+=("$(basename "$f") (no libclang C API)")
        continue
      fi
      if ldd "$f" 2>/dev/null | grep 'not found' >/dev/null; then
        rejected+=("$f (unresolved libraries)")
        continue
      fi
      local hdr
      # libclang looks for them relative to the directory it was loaded from, before symlinks resolve.
      hdr=$(ls "$(dirname "$f")"/clang/*/include/stddef.h "$(dirname "$(readlink -f "$f")")"/clang/*/include/stddef.h 2>/dev/null | head -n 1 || true)
      if [ -z "$hdr" ]; then
        rejected+=("$f (clang's builtin headers missing)")
        continue
      fi
      echo "libclang: found $f (exports clang_createIndex; headers $(dirname "$hdr"))"
      return 0
    done
  done
  local why=""
  [ ${#rejected[@]} -gt 0 ] && why="; rejected: $(printf '%s, ' "${rejected[@]}" | sed 's/, $//')"
  echo "libclang: missing (looked for libclang.so, libclang-*.so, libclang.so.*, libclang-*.so.* exporting clang_createIndex, in ${LIBCLANG_PATH:-llvm-config --libdir and /usr/lib*, /usr/local/lib*}$why)"
  return 1
}

# The cc crate compiles RocksDB's C++ with `c++` unless CXX says otherwise.
probe_cxx() {
  local cxx=${CXX:-c++}
  if v=$("$cxx" --version 2>/dev/null | head -n 1) && [ -n "$v" ]; then
    echo "c++ compiler: found $cxx ($v)"
  else
    echo "c++ compiler: missing (looked for \`$cxx --version\`)"
    return 1
  fi
}

# make fuzz-smoke runs `cargo fuzz run`.
probe_cargo_fuzz() {
  if v=$(cargo fuzz --version 2>/dev/null); then
    echo "cargo-fuzz: found ($v)"
  else
    echo "cargo-fuzz: missing (looked for \`cargo fuzz --version\`)"
    return 1
  fi
}

# The venv is made with python3's venv module and pip from ensurepip.
probe_python_venv() {
  if v=$(python3 -c 'import venv, ensurepip, sys; print(sys.version.split()[0])' 2>/dev/null); then
    echo "python3 venv: found (python $v with venv and ensurepip)"
  else
    echo "python3 venv: missing (looked for \`python3 -c 'import venv, ensurepip'\`)"
    return 1
  fi
}

# scripts/api-schema-test.sh runs target/st-venv/bin/schemathesis at the pinned version.
probe_schemathesis() {
  local v
  v=$("$ST_VENV/bin/schemathesis" --version 2>/dev/null || true)
  if [[ "$v" == *"$ST_VERSION"* ]]; then
    echo "schemathesis: found $ST_VENV/bin/schemathesis ($v)"
  else
    echo "schemathesis: missing (looked for $ST_VENV/bin/schemathesis --version = $ST_VERSION; found '${v:-nothing}')"
    return 1
  fi
}

# scripts/bench_trace_http.py answers the trace bench's reach question with this venv's networkx.
probe_networkx() {
  local v
  v=$("$BENCH_VENV/bin/python" -c 'import networkx; print(networkx.__version__)' 2>/dev/null || true)
  if [ "$v" = "$NETWORKX_VERSION" ]; then
    echo "networkx: found $BENCH_VENV/bin/python with networkx $v"
  else
    echo "networkx: missing (looked for \`$BENCH_VENV/bin/python -c 'import networkx'\` = $NETWORKX_VERSION; found '${v:-nothing}')"
    return 1
  fi
}

# scripts/bench-ingest.sh loads the same CSV with this venv's python and duckdb, at the pinned version.
probe_duckdb() {
  local v
  v=$("$BENCH_VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || true)
  if [ "$v" = "$DUCKDB_VERSION" ]; then
    echo "duckdb: found $BENCH_VENV/bin/python with duckdb $v"
  else
    echo "duckdb: missing (looked for \`$BENCH_VENV/bin/python -c 'import duckdb'\` = $DUCKDB_VERSION; found '${v:-nothing}')"
    return 1
  fi
}

# The browser tests launch this executable (tests/browser/viz.test.mjs, MT_CHROMIUM).
probe_chromium() {
  local v
  v=$("$CHROMIUM" --version 2>/dev/null | head -n 1 || true)
  if [[ "$v" == *Chromium* ]]; then
    echo "chromium: found $CHROMIUM ($v)"
  else
    echo "chromium: missing (looked for \`$CHROMIUM --version\` printing Chromium; found '${v:-nothing}')"
    return 1
  fi
}

# Chromium asks fontconfig for a font covering Chinese; screenshots show boxes without one.
probe_cjk_font() {
  local f
  f=$(fc-list :lang=zh family 2>/dev/null | head -n 1 || true)
  if [ -n "$f" ]; then
    echo "CJK font: found ($f, from fc-list :lang=zh)"
  else
    echo "CJK font: missing (looked for a font from \`fc-list :lang=zh\`)"
    return 1
  fi
}

# The tests run under node; npm ci installs playwright-core.
probe_node() {
  local v major
  v=$(node --version 2>/dev/null || true)
  major=${v#v}; major=${major%%.*}
  if [ -n "$v" ] && [ "$major" -ge "$NODE_MIN_MAJOR" ] 2>/dev/null && npm --version >/dev/null 2>&1; then
    echo "node: found node $v, npm $(npm --version)"
  else
    echo "node: missing (looked for node >= $NODE_MIN_MAJOR and npm; found node '${v:-nothing}', npm '$(npm --version 2>/dev/null || echo nothing)')"
    return 1
  fi
}

# The tests import playwright-core from tests/browser/node_modules, at the version of the lock file.
probe_playwright() {
  local want have
  want=$(node -p 'require("./tests/browser/package-lock.json").packages["node_modules/playwright-core"].version' 2>/dev/null || true)
  have=$(node -p 'require("./tests/browser/node_modules/playwright-core/package.json").version' 2>/dev/null || true)
  if [ -n "$want" ] && [ "$want" = "$have" ]; then
    echo "playwright-core: found $have in tests/browser/node_modules"
  else
    echo "playwright-core: missing (looked for version ${want:-?} in tests/browser/node_modules; found '${have:-nothing}')"
    return 1
  fi
}

# The bench scripts measure peak RSS with GNU time's %M (/usr/bin/time, not the shell keyword), load the
# API with wrk, and poll it with curl.
probe_gnu_time() {
  local v
  v=$(/usr/bin/time -f '%M' true 2>&1 || true)
  if [[ "$v" =~ ^[0-9]+$ ]]; then
    echo "GNU time: found /usr/bin/time (reports peak RSS, %M = $v KiB)"
  else
    echo "GNU time: missing (looked for /usr/bin/time -f %M; found '${v:-nothing}')"
    return 1
  fi
}
probe_wrk() {
  local v
  v=$(wrk -v 2>&1 | head -n 1 || true)
  if [[ "$v" == wrk* ]]; then
    echo "wrk: found ($v)"
  else
    echo "wrk: missing (looked for \`wrk -v\`)"
    return 1
  fi
}
probe_curl() {
  if v=$(curl --version 2>/dev/null | head -n 1) && [ -n "$v" ]; then
    echo "curl: found (${v%% (*})"
  else
    echo "curl: missing (looked for \`curl --version\`)"
    return 1
  fi
}

# Spark's launcher (pyspark's bin/spark-class) runs \$JAVA_HOME/bin/java, or the java on PATH: that JVM must
# be 17 (Spark 3.5 runs on 8, 11 and 17; Debian 12 ships 17).
probe_java17() {
  local java=java v major
  [ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java
  v=$("$java" -version 2>&1 | head -n 1 || true)
  major=$(echo "$v" | sed -n 's/.*version "\([0-9]*\).*/\1/p')
  if [ "$major" = 17 ]; then
    echo "Java 17: found ($v, $(command -v "$java"))"
  else
    echo "Java 17: missing (looked for \`$java -version\` reporting 17; found '${v:-nothing}')"
    return 1
  fi
}
# The job imports pyspark from the venv, and the cluster script starts pyspark's own bin/spark-class.
probe_pyspark() {
  local v
  v=$("$SPARK_VENV/bin/python" -c 'import pyspark, os; print(pyspark.__version__ if os.access(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-class"), os.X_OK) else "")' 2>/dev/null || true)
  if [ "$v" = "$PYSPARK_VERSION" ]; then
    echo "pyspark: found $v with bin/spark-class in target/spark-venv"
  else
    echo "pyspark: missing (looked for pyspark $PYSPARK_VERSION with an executable bin/spark-class in target/spark-venv; found '${v:-nothing}')"
    return 1
  fi
}

probes_of() {
  case "$1" in
    build) echo probe_libclang probe_cxx ;;
    fuzz) echo probe_cargo_fuzz ;;
    schema) echo probe_python_venv probe_schemathesis ;;
    browser) echo probe_chromium probe_cjk_font probe_node probe_playwright ;;
    bench) echo probe_gnu_time probe_wrk probe_curl probe_python_venv probe_duckdb probe_networkx ;;
    spark) echo probe_java17 probe_python_venv probe_pyspark probe_curl ;;
    *) echo "install-deps: unknown part '$1' (build, fuzz, schema, browser, bench, spark)" >&2; exit 2 ;;
  esac
}

install_part() {
  case "$1" in
    build)
      local pkgs=()
      probe_libclang >/dev/null || pkgs+=(clang libclang-dev)
      probe_cxx >/dev/null || pkgs+=(g++)
      [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
      ;;
    fuzz)
      probe_cargo_fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
      ;;
    schema)
      probe_python_venv >/dev/null || apt_install python3-venv
      if ! probe_schemathesis >/dev/null; then
        python3 -m venv "$ST_VENV"
        "$ST_VENV/bin/pip" install --quiet "schemathesis==$ST_VERSION"
      fi
      ;;
    browser)
      probe_chromium >/dev/null || apt_install chromium
      probe_cjk_font >/dev/null || apt_install fonts-wqy-zenhei fontconfig
      probe_node >/dev/null || apt_install nodejs npm
      # npm ci installs exactly the lock file; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core drives
      # Debian's chromium and must never fetch a browser.
      probe_playwright >/dev/null \
        || (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
      ;;
    bench)
      local pkgs=()
      probe_gnu_time >/dev/null || pkgs+=(time)
      probe_wrk >/dev/null || pkgs+=(wrk)
      probe_curl >/dev/null || pkgs+=(curl)
      probe_python_venv >/dev/null || pkgs+=(python3-venv)
      [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
      if ! probe_duckdb >/dev/null; then
        python3 -m venv "$BENCH_VENV"
        "$BENCH_VENV/bin/pip" install --quiet "duckdb==$DUCKDB_VERSION"
      fi
      if ! probe_networkx >/dev/null; then
        [ -x "$BENCH_VENV/bin/pip" ] || python3 -m venv "$BENCH_VENV"
        "$BENCH_VENV/bin/pip" install --quiet "networkx==$NETWORKX_VERSION"
      fi
      ;;
    spark)
      local pkgs=()
      probe_java17 >/dev/null || pkgs+=(openjdk-17-jre-headless)
      probe_python_venv >/dev/null || pkgs+=(python3-venv)
      probe_curl >/dev/null || pkgs+=(curl)
      [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
      if ! probe_pyspark >/dev/null; then
        python3 -m venv "$SPARK_VENV"
        "$SPARK_VENV/bin/pip" install --quiet "pyspark==$PYSPARK_VERSION"
      fi
      ;;
  esac
  # After installing, the probe must pass: a wrong package name or a probe asking the wrong question
  # shows here, not as a confusing failure in a later step.
  local p failed=0
  for p in $(probes_of "$1"); do
    "$p" >/dev/null || { echo "install-deps: after installing, still $("$p")" >&2; failed=1; }
  done
  return $failed
}

check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  if [ $check -eq 1 ]; then parts=(build fuzz schema browser bench spark); else parts=(build); fi
fi

if [ $check -eq 1 ]; then
  status=0
  for part in "${parts[@]}"; do
    for p in $(probes_of "$part"); do
      line=$("$p") || status=1
      echo "  [$part] $line"
    done
  done
  exit $status
fi

for part in "${parts[@]}"; do
  install_part "$part"
done
