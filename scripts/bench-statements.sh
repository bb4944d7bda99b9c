#!/usr/bin/env bash
# Statement import benchmark: 1,000 statement files with about 1,000,000 lines in all, a quarter of them the
# two records of a transfer between two requested accounts. Writes a purpose-built world (1,000 statement
# accounts, 125,000 transfers among them, 750,000 with outside accounts), its statements in the five bank
# layouts (one of them Excel), and imports: the CSV/TSV files alone, the Excel files alone, and all of them;
# then the same lines as 100 files of 10,000 lines (memory must not grow with the number of files).
# Usage: scripts/bench-statements.sh BIN OUTDIR
set -euo pipefail
BIN=$1; mkdir -p "$2"; OUT=$(cd "$2" && pwd)/statements
"$(dirname "$0")/install-deps.sh" bench
mkdir -p "$OUT"

world() { # DIR ACCOUNTS INNER OUTER
  python3 - "$@" <<'EOF'
import os, random, sys
out, n, inner, outer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out + "/truth", exist_ok=True)
rng = random.Random(20261130)
banks = ["ICBC", "CCB", "CMB", "ABC", "BOC"]
acct = [f"62220{i:014d}" for i in range(n)]
with open(out + "/accounts.csv", "w") as f:
    f.write("account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n")
    for i, a in enumerate(acct):
        f.write(f"{a},H{i},持卡人{i},,,{banks[i % 5]},,2020-01-01,personal\n")
with open(out + "/truth/opening_balances.csv", "w") as f:
    f.write("account,amount\n")
    for a in acct:
        f.write(f"{a},100000000.00\n")
rows = []
t0 = 1767225600  # 2026-01-01 00:00 UTC+8 as epoch seconds of its local wall time, roughly
for k in range(inner + outer):
    src = acct[rng.randrange(n)]
    if k < inner:
        dst = acct[rng.randrange(n)]
        while dst == src:
            dst = acct[rng.randrange(n)]
    else:
        dst = f"62170{rng.randrange(10**12):014d}"
        if rng.random() < 0.5:
            src, dst = dst, src
    rows.append((t0 + rng.randrange(60 * 86400), src, dst, rng.randrange(100, 5_000_000)))
rows.sort()
import time
with open(out + "/transfers.csv", "w") as f:
    f.write("txn_id,ts,src,dst,amount,channel,currency,src_name,dst_name,src_bank,dst_bank,memo\n")
    for i, (ts, s, d, fen) in enumerate(rows):
        t = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + 8 * 3600))
        f.write(f"B{i:08d},{t},{s},{d},{fen // 100}.{fen % 100:02d},transfer,CNY,,,,,\n")
print(",".join(acct), file=open(out + "/statement-accounts.txt", "w"))
EOF
}

if [ ! -f "$OUT/world-1000/transfers.csv" ]; then
  echo "== a world of 1,000 statement accounts, 875,000 transfers ==" >&2
  world "$OUT/world-1000" 1000 125000 750000
  echo "== a world of 100 statement accounts with the same number of lines ==" >&2
  world "$OUT/world-100" 100 125000 750000
fi
for w in 1000 100; do
  if [ ! -d "$OUT/st-$w/statements" ]; then
    "$BIN" gen-statements --world "$OUT/world-$w" --out "$OUT/st-$w" --account "$(cat "$OUT/world-$w/statement-accounts.txt")" > "$OUT/gen-$w.json"
  fi
done
ST=$OUT/st-1000/statements
mkdir -p "$OUT/csv-only" "$OUT/xlsx-only"
find "$ST" -name '*.xlsx' -exec ln -sf {} "$OUT/xlsx-only/" \;
find "$ST" \( -name '*.csv' -o -name '*.tsv' \) -exec ln -sf {} "$OUT/csv-only/" \;

run() { # NAME DIR
  rm -rf "$OUT/db-$1"; sync
  /usr/bin/time -o "$OUT/$1.time" -f "%e %M" "$BIN" statements import --db "$OUT/db-$1" "$2" --format json > "$OUT/$1.json"
  read -r WALL RSS < "$OUT/$1.time"
  python3 - "$1" "$OUT/$1.json" "$WALL" "$RSS" "$2" <<'EOF'
import json, os, sys
name, path, wall, rss, d = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = json.load(open(path))
files = len(s["files"])
print(f"{name}: {files} files, {s['lines_read']} lines in {wall:.1f} s wall = {s['lines_read'] / wall:,.0f} lines/s "
      f"(import alone {s['lines_per_second']:,.0f}/s), {s['transfers_added']} transfers, {s['mirrored_pairs']} mirrored pairs, "
      f"peak RSS {rss / 1024:.0f} MiB")
EOF
}
{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  run csv "$OUT/csv-only"
  run xlsx "$OUT/xlsx-only"
  run all "$ST"
  run all-100-files "$OUT/st-100/statements"
} | tee "$OUT/summary.txt"
