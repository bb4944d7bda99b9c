#!/usr/bin/env bash
# Ring detection per habits setting (datasets/settings/*.toml), with and without the case registry, and
# with half of the mule cards given as confirmed cards to the scorer (scored on the other half), over
# several seeds: one line per (setting, seed, mode) and a mean per (setting, mode).
# Usage: scripts/eval-rings.sh BIN OUTDIR [PERSONS DAYS SEEDS...]
# Worlds and stores are kept in OUTDIR, so a second run only re-detects.
set -euo pipefail
BIN=$1; OUT=$2; PERSONS=${3:-3000}; DAYS=${4:-30}
shift $(( $# < 4 ? $# : 4 ))
SEEDS=${*:-"21 22"}
mkdir -p "$OUT"
ROWS="$OUT/eval-rows.tsv"
printf 'setting\trole\tseed\tcases\tmule_cards\tflagged\tprecision\trecall\thubs_flagged\tlookalikes_flagged\n' > "$ROWS"
for f in ${SETTINGS:-datasets/settings/*.toml}; do
  s=$(basename "$f" .toml)
  role=$(case "$s" in tune-*) echo tuning ;; *) echo held-out ;; esac)
  for seed in $SEEDS; do
    W="$OUT/$s-$seed"
    [ -f "$W/transfers.csv" ] || "$BIN" gen --out "$W" --persons "$PERSONS" --days "$DAYS" --seed "$seed" --habits "$f" > /dev/null
    "$BIN" stats --db "$W-db" > /dev/null 2>&1 || rm -rf "$W-db"   # missing, or an older on-disk format
    for mode in without with without+confirmed with+confirmed; do
      flags=""
      case $mode in without*) flags="--no-cases" ;; esac
      case $mode in *+confirmed) flags="$flags --confirmed-share 0.5" ;; esac
      "$BIN" eval rings --world "$W" --db "$W-db" $flags --format json 2>/dev/null > "$OUT/eval-$s-$seed-$mode.json"
      python3 - "$OUT/eval-$s-$seed-$mode.json" "$s" "$role" "$seed" "$mode" >> "$ROWS" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
looks = ",".join(f"{k}:{v}" for k, v in sorted(e["lookalikes_flagged"].items())) or "-"
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], str(e["mule_cards"]), str(e["flagged"]),
                 f'{e["precision"]:.3f}', f'{e["recall"]:.3f}', str(e["hubs_flagged"]), looks]))
PY
    done
  done
done
column -t -s $'\t' "$ROWS"
echo
python3 - "$ROWS" <<'PY' | tee "$OUT/eval-summary.md"
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = collections.OrderedDict()
for r in rows:
    groups.setdefault((r["setting"], r["role"], r["cases"]), []).append(r)
print("| setting | used for | case registry / confirmed cards | precision | recall | hubs flagged | seeds |")
print("|---|---|---|---|---|---|---|")
for (s, role, cases), rs in groups.items():
    p = sum(float(r["precision"]) for r in rs) / len(rs)
    rc = sum(float(r["recall"]) for r in rs) / len(rs)
    hubs = sum(int(r["hubs_flagged"]) for r in rs)
    print(f"| {s} | {role} | {cases} | {p:.3f} | {rc:.3f} | {hubs} | {len(rs)} |")
PY
