#!/usr/bin/env bash
# Case linking (串并) per habits setting (datasets/settings/*.toml) at the issue's scale (15,000 persons ×
# 30 days: about 12 rings and 200 reported cases): one row per (setting, seed), and a mean per setting.
# Usage: scripts/eval-link.sh BIN OUTDIR [PERSONS DAYS]   (SEEDS_TUNE, SEEDS_HELD override the seeds)
# Worlds and stores are kept in OUTDIR, so a second run only re-links.
set -euo pipefail
BIN=$1; OUT=$2; PERSONS=${3:-15000}; DAYS=${4:-30}
mkdir -p "$OUT"
ROWS="$OUT/link-rows.tsv"
printf 'setting\trole\tseed\tcases\trings\tgroups\talone\tgrouped_precision\tgrouped_recall\tari\tlinks_precision\tlinks_recall\tsinks\n' > "$ROWS"
for f in ${SETTINGS:-datasets/settings/*.toml}; do
  s=$(basename "$f" .toml)
  case "$s" in tune-*) role=tuning; seeds=${SEEDS_TUNE:-"41 42 43"} ;; *) role=held-out; seeds=${SEEDS_HELD:-"31 32 33"} ;; esac
  for seed in $seeds; do
    W="$OUT/$s-$seed"
    [ -f "$W/transfers.csv" ] || "$BIN" gen --out "$W" --persons "$PERSONS" --days "$DAYS" --seed "$seed" --habits "$f" > /dev/null
    "$BIN" stats --db "$W-db" > /dev/null 2>&1 || rm -rf "$W-db"   # missing, or an older on-disk format
    "$BIN" eval link --world "$W" --db "$W-db" --format json 2>/dev/null > "$OUT/link-$s-$seed.json"
    python3 - "$OUT/link-$s-$seed.json" "$s" "$role" "$seed" >> "$ROWS" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], str(e["cases"]), str(e["rings"]), str(e["groups"]), str(e["alone"]),
                 f'{e["grouped"]["precision"]:.3f}', f'{e["grouped"]["recall"]:.3f}', f'{e["adjusted_rand_index"]:.3f}',
                 f'{e["links"]["precision"]:.3f}', f'{e["links"]["recall"]:.3f}', str(e["sinks"])]))
PY
  done
done
column -t -s $'\t' "$ROWS"
echo
python3 - "$ROWS" <<'PY' | tee "$OUT/link-summary.md"
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = collections.OrderedDict()
for r in rows:
    groups.setdefault((r["setting"], r["role"]), []).append(r)
print("| setting | used for | seeds | grouped pairs: precision | recall | adjusted Rand index | listed links: precision | recall |")
print("|---|---|---|---|---|---|---|---|")
for (s, role), rs in groups.items():
    m = lambda k: sum(float(r[k]) for r in rs) / len(rs)
    lo = lambda k: min(float(r[k]) for r in rs)
    seeds = ", ".join(r["seed"] for r in rs)
    print(f"| {s} | {role} | {seeds} | {m('grouped_precision'):.3f} (min {lo('grouped_precision'):.3f}) | {m('grouped_recall'):.3f} (min {lo('grouped_recall'):.3f}) "
          f"| {m('ari'):.3f} (min {lo('ari'):.3f}) | {m('links_precision'):.3f} | {m('links_recall'):.3f} |")
PY
