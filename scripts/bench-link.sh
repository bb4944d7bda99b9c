#!/usr/bin/env bash
# Case linking (串并) at scale: the first 1,000 and all of the 10M-transfer world's reported cases linked on
# its store (each traced as of its report time, sinks judged by their whole ledgers, Leiden groups), time and
# peak RSS; and the evaluation against the rings that ran them.
# Usage: scripts/bench-link.sh BIN OUTDIR   (after scripts/bench-rings.sh made OUTDIR/db and the world)
set -euo pipefail
BIN=$1; OUT=$2
W="$OUT/world-170000-60"
head -1001 "$W/truth/cases.csv" > "$OUT/cases-1000.csv"
CASES=$(($(wc -l < "$W/truth/cases.csv") - 1))
{
  for f in "$OUT/cases-1000.csv" "$W/truth/cases.csv"; do
    N=$(($(wc -l < "$f") - 1))
    /usr/bin/time -o "$OUT/link.time" -f "%e %M" "$BIN" link --db "$OUT/db" --cases "$f" --format json > "$OUT/link-$N.json"
    read -r WALL RSS < "$OUT/link.time"
    echo "link $N cases: $WALL s, peak RSS $((RSS / 1024)) MiB"
  done
  "$BIN" eval link --world "$W" --db "$OUT/db" --format json > "$OUT/link-eval.json"
  python3 - "$OUT/link-eval.json" "$CASES" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(f'eval link, {sys.argv[2]} cases: grouped pairs precision {e["grouped"]["precision"]:.3f} recall {e["grouped"]["recall"]:.3f}, '
      f'ARI {e["adjusted_rand_index"]:.3f}; links precision {e["links"]["precision"]:.3f} recall {e["links"]["recall"]:.3f}')
PY
} | tee "$OUT/link-summary.txt"
