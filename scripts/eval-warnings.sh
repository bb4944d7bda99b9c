#!/usr/bin/env bash
# 资金预警 replayed as it would run (`moneytrail eval warnings`), per habits setting: one world per setting
# (PERSONS persons, QUIET days of everyday life before the fraud begins, then FRAUD days of fraud, seed SEED),
# uploaded hour by hour with each case registered at its report time. One row per setting, marked tuning
# (the warnings' rules were chosen looking at these) or held-out (used for nothing but the figures).
# Usage: scripts/eval-warnings.sh BIN OUTDIR [PERSONS QUIET FRAUD SEED]
# Worlds are kept in OUTDIR (generated once); SETTINGS="default tune-mixed …" picks settings.
set -euo pipefail
BIN=$1; OUT=$2; PERSONS=${3:-20000}; QUIET=${4:-14}; FRAUD=${5:-30}; SEED=${6:-23}
SETTINGS=${SETTINGS:-"tune-mixed tune-money-only tune-rented default heldout-slow-own heldout-money-only heldout-fast-rented"}
mkdir -p "$OUT"
ROWS="$OUT/rows.tsv"
printf 'setting\tused for\tcases\tpayments into known\twarned\tsame upload\twarnings\tabout victims\tmin p50/p90\tcheck ms p50/max\n' > "$ROWS"
for s in $SETTINGS; do
  role=$(case "$s" in tune-*) echo tuning ;; *) echo held-out ;; esac)
  W="$OUT/world-$s-q$QUIET"
  if [ ! -f "$W/transfers.csv" ]; then
    habits="$OUT/habits-$s-q$QUIET.toml"
    { [ "$s" = default ] || cat "datasets/settings/$s.toml"; echo "quiet_days = $QUIET"; } > "$habits"
    "$BIN" gen --out "$W" --persons "$PERSONS" --days $((QUIET + FRAUD)) --seed "$SEED" --habits "$habits" > /dev/null
  fi
  rm -rf "$OUT/work-$s-q$QUIET"
  "$BIN" eval warnings --world "$W" --keep "$OUT/work-$s-q$QUIET" --format json > "$OUT/eval-$s-q$QUIET.json"
  python3 - "$OUT/eval-$s-q$QUIET.json" "$s" "$role" >> "$ROWS" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2], sys.argv[3], str(e["cases_registered"]), str(e["victim_payments_into_known"]),
                 f'{e["warned"]} ({100 * e["warned_share"]:.1f}%)', str(e["warned_in_same_upload"]),
                 str(e["warnings"]), f'{e["warnings_about_victims"]} ({100 * e["precision"]:.1f}%)',
                 f'{e["minutes_to_warning_p50"]:.0f}/{e["minutes_to_warning_p90"]:.0f}',
                 f'{e["check_ms_p50"]:.1f}/{e["check_ms_max"]:.0f}']))
PY
done
column -t -s $'\t' "$ROWS"
