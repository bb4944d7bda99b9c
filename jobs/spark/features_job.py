"""moneytrail's whole-graph batch on Apache Spark: every account's mule features, the rule suspects and the
edges among them, from a `moneytrail export` directory. The definitions are FEATURES.md's, which
`src/rings/features.rs` and `src/rings/detect.rs` implement on one node; every threshold comes from the
export's manifest (`policy`), which the Rust build writes from `policy.rs`, so there is one home for them.

Usage: spark-submit features_job.py EXPORT_DIR OUT_DIR [--partitions N] [--progress FILE]

Writes OUT_DIR/features/, OUT_DIR/suspects/, OUT_DIR/edges/ (Parquet) and, last, OUT_DIR/batch.json.
An export that disagrees with its manifest (a day partition missing or extra, row counts that differ) is
refused before any work, naming what differs (exit code 2).
"""

import argparse
import json
import os
import sys
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

EXPORT_FORMAT = 1


class BadExport(Exception):
    pass


def read_manifest(export_dir):
    path = os.path.join(export_dir, "manifest.json")
    try:
        with open(path) as f:
            m = json.load(f)
    except FileNotFoundError:
        raise BadExport(f"{path}: missing (an export writes its manifest last: was it interrupted?)")
    except json.JSONDecodeError as e:
        raise BadExport(f"{path}: not JSON ({e})")
    if m.get("format") != EXPORT_FORMAT:
        raise BadExport(f"{path}: export format {m.get('format')!r}, this job reads {EXPORT_FORMAT}")
    return m


def check_export(spark, export_dir, m):
    """Every day partition the manifest lists is there with its row count, and no other; accounts too."""
    tdir = os.path.join(export_dir, "transfers")
    present = sorted(d[len("day="):] for d in os.listdir(tdir) if d.startswith("day=")) if os.path.isdir(tdir) else []
    listed = sorted(m["days"])
    missing = sorted(set(listed) - set(present))
    extra = sorted(set(present) - set(listed))
    if missing:
        raise BadExport(f"{tdir}: day partitions the manifest lists are missing: {', '.join(missing[:5])}"
                        + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    if extra:
        raise BadExport(f"{tdir}: day partitions the manifest does not list: {', '.join(extra[:5])}")
    counts = {r["day"]: r["n"] for r in spark.read.parquet(tdir).groupBy(F.col("day").cast("string").alias("day"))
              .agg(F.count(F.lit(1)).alias("n")).collect()}
    for day in listed:
        if counts.get(day, 0) != m["days"][day]:
            raise BadExport(f"{tdir}/day={day}: {counts.get(day, 0)} transfers, the manifest says {m['days'][day]}")
    n_accounts = spark.read.parquet(os.path.join(export_dir, "accounts")).count()
    if n_accounts != m["accounts"]:
        raise BadExport(f"{export_dir}/accounts: {n_accounts} accounts, the manifest says {m['accounts']}")


# ---------------------------------------------------------------------------------------------------------
# Attribute features (FEATURES.md, "Shared attributes"): over the accounts table.
# ---------------------------------------------------------------------------------------------------------

def phone_number(phone):
    return int(phone) if len(phone) == 11 and all("0" <= c <= "9" for c in phone) else None


def attribute_features(spark, accounts, logins, P):
    """holders_on_device, holders_on_phone, cards_of_holder, holders_in_phone_run, holders_in_branch_cohort,
    holders_on_login, per account id."""
    holder = F.when(F.col("holder_id") == "", F.concat(F.lit("card:"), F.col("id").cast("string"))) \
        .otherwise(F.col("holder_id"))
    acc = accounts.withColumn("holder", holder)

    def holders_by(col):
        g = acc.where(F.col(col) != "").groupBy(col).agg(F.countDistinct("holder").alias("h"))
        return acc.join(g, col, "left").select("id", F.coalesce("h", F.lit(1)).alias(f"holders_on_{col}"))

    device = holders_by("device_id").withColumnRenamed("holders_on_device_id", "holders_on_device")
    phone = holders_by("phone")
    cards = acc.where(F.col("holder_id") != "").groupBy("holder_id").agg(F.count(F.lit(1)).alias("c"))
    cards = acc.join(cards, "holder_id", "left").select("id", F.coalesce("c", F.lit(1)).alias("cards_of_holder"))

    # Phone runs (号段): distinct (number, holder) sorted; neighbours at most RING_PHONE_RUN_GAP apart chain
    # into one run; a run of more than one number and more than one holder gives each of its numbers its
    # holders' count. Numbers are one per account: small beside the transfers, sorted on one executor.
    gap = int(P["RING_PHONE_RUN_GAP"])
    num_udf = F.udf(phone_number, T.LongType())
    pairs = acc.select(num_udf("phone").alias("n"), "holder").where(F.col("n").isNotNull()).distinct()
    rows = sorted((r["n"], r["holder"]) for r in pairs.collect())
    runs = {}
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] - rows[i - 1][0] > gap:
            run = rows[start:i]
            distinct = len({n for n, _ in run})
            holders = len({h for _, h in run})
            if distinct > 1 and holders > 1:
                for n, _ in run:
                    runs[str(n)] = holders
            start = i
    run_df = spark.createDataFrame(list(runs.items()), "phone string, r long")
    phone_run = acc.join(run_df, "phone", "left").select(
        "id", F.coalesce("r", F.lit(1)).alias("holders_in_phone_run"))

    # Branch cohorts: per branch, for each opening day, distinct holders opening a card within
    # RING_COHORT_DAYS either side (a branch's openings are grouped on one executor).
    w = int(P["RING_COHORT_DAYS"])

    def cohort(rows):
        rows = sorted((d, h) for d, h in rows)
        out = {}
        days = sorted({d for d, _ in rows})
        import bisect
        keys = [d for d, _ in rows]
        for day in days:
            lo = bisect.bisect_left(keys, day - w)
            hi = bisect.bisect_right(keys, day + w)
            holders = len({h for _, h in rows[lo:hi]})
            if holders > 1:
                out[day] = holders
        return out

    opened = acc.where((F.col("branch") != "") & F.col("opened_at_days").isNotNull())
    per_branch = opened.select("branch", "opened_at_days", "holder").rdd \
        .map(lambda r: (r["branch"], (r["opened_at_days"], r["holder"]))).groupByKey() \
        .flatMap(lambda kv: [(kv[0], d, h) for d, h in cohort(kv[1]).items()])
    cohort_df = spark.createDataFrame(per_branch, "branch string, opened_at_days int, c long")
    cohorts = acc.join(cohort_df, ["branch", "opened_at_days"], "left").select(
        "id", F.coalesce("c", F.lit(1)).alias("holders_in_branch_cohort"))

    # Logins: per (kind, value) its holders (an account without attributes counts as its own card).
    lg = logins.join(acc.select("id", "holder"), "id", "left").withColumn(
        "holder", F.coalesce("holder", F.concat(F.lit("card:"), F.col("id").cast("string"))))
    per_value = lg.groupBy("kind", "value").agg(F.countDistinct("holder").alias("h"))
    per_acc = lg.join(per_value, ["kind", "value"]).groupBy("id").agg(F.max("h").alias("holders_on_login"))
    login = acc.select("id").join(per_acc, "id", "left").select(
        "id", F.coalesce("holders_on_login", F.lit(1)).alias("holders_on_login"))

    out = acc.select("id", "kind", "opened_at_days")
    for part in (device, phone, cards, phone_run, cohorts, login):
        out = out.join(part, "id")
    return out


# ---------------------------------------------------------------------------------------------------------
# Ledger features (FEATURES.md, "From the ledger"): one account's transfers, in and out.
# ---------------------------------------------------------------------------------------------------------

def ledger_features(P, tz_name):
    PASS = int(P["PASS_WINDOW_MS"])
    DAY = int(P["DAY_MS"])
    LIMITS = [int(x) for x in P["ROUND_LIMITS_YUAN"]]
    UNDER = int(P["UNDER_LIMIT_FEN"])
    TERMINAL_KINDS = set(P["TERMINAL_KINDS"])
    FOLLOWED_KINDS = set(P["FOLLOWED_KINDS"])

    def round_or_under(fen):
        return fen % 10_000 == 0 or any(l * 100 - UNDER <= fen < l * 100 for l in LIMITS)

    def terminal(dst_kind, channel):
        if dst_kind in FOLLOWED_KINDS:
            return False
        return channel in ("atm_withdrawal", "third_party", "pos") or dst_kind in TERMINAL_KINDS

    def compute(acct, edges, opened):
        tz = ZoneInfo(tz_name)
        # Each direction in the store's edge order: time, then seq.
        ins = sorted((e for e in edges if e[0] == 0), key=lambda e: (e[1], e[2]))
        outs = sorted((e for e in edges if e[0] == 1), key=lambda e: (e[1], e[2]))
        # e = (out?, ts, seq, counterparty, amount, channel_kind, counterparty_kind)
        f = {"id": acct}
        f["in_count"], f["out_count"] = len(ins), len(outs)
        f["in_fen"] = sum(e[4] for e in ins)
        f["out_fen"] = sum(e[4] for e in outs)
        f["senders"] = len({e[3] for e in ins})
        f["receivers"] = len({e[3] for e in outs})
        f["counterparties"] = len({e[3] for e in ins} | {e[3] for e in outs})
        stamps = [e[1] for e in ins] + [e[1] for e in outs]
        first = min(stamps) if stamps else None
        f["first_ts_ms"] = first if first is not None else 0
        f["last_ts_ms"] = max(stamps) if stamps else 0
        f["age_at_first_activity_days"] = first // DAY - opened if (first is not None and opened is not None) else None
        # FIFO: outflows matched to the earliest money in (ties in time: inflows first).
        events = [(e[1], False, e[4]) for e in ins] + [(e[1], True, e[4]) for e in outs]
        events.sort(key=lambda x: (x[0], x[1]))
        queue = []  # [ts, amount] in arrival order
        head = 0
        passed_fast = passed_day = 0
        dwells = []
        for ts, out, amount in events:
            if not out:
                queue.append([ts, amount])
                continue
            need = amount
            while need > 0 and head < len(queue):
                front = queue[head]
                part = min(front[1], need)
                dwell = ts - front[0]
                if dwell <= PASS:
                    passed_fast += part
                if dwell <= DAY:
                    passed_day += part
                dwells.append((dwell, part))
                front[1] -= part
                need -= part
                if front[1] == 0:
                    head += 1
        # One-off senders: seen on one day only, not paying salary.
        sender_days = defaultdict(set)
        for e in ins:
            sender_days[e[3]].add(e[1] // DAY)
        one_off = [e[5] != "salary" and len(sender_days[e[3]]) == 1 for e in ins]
        f["one_off_in_fen"] = sum(e[4] for e, o in zip(ins, one_off) if o)
        f["one_off_senders"] = len({e[3] for e, o in zip(ins, one_off) if o})
        # LIFO: each outflow takes the latest money in first.
        flags = iter(one_off)
        stack = []
        lifo_fast = lifo_day = one_off_day = 0
        for ts, out, amount in events:
            if not out:
                stack.append([ts, amount, next(flags)])
                continue
            need = amount
            while need > 0 and stack:
                top = stack[-1]
                part = min(top[1], need)
                dwell = ts - top[0]
                if dwell <= PASS:
                    lifo_fast += part
                if dwell <= DAY:
                    lifo_day += part
                    if top[2]:
                        one_off_day += part
                top[1] -= part
                need -= part
                if top[1] == 0:
                    stack.pop()
        f["one_off_pass_24h"] = one_off_day / f["one_off_in_fen"] if f["one_off_in_fen"] > 0 else 0.0
        for k in ("pass_through_1h", "pass_through_24h", "lifo_pass_1h", "lifo_pass_24h", "balance_left_share",
                  "salary_in_share", "salary_out_share", "terminal_out_share", "night_share",
                  "round_or_under_limit_share", "burst_share"):
            f[k] = 0.0
        if f["in_fen"] > 0:
            n = f["in_fen"]
            f["pass_through_1h"] = passed_fast / n
            f["pass_through_24h"] = passed_day / n
            f["lifo_pass_1h"] = lifo_fast / n
            f["lifo_pass_24h"] = lifo_day / n
            f["balance_left_share"] = sum(q[1] for q in queue[head:]) / n
            f["salary_in_share"] = sum(e[4] for e in ins if e[5] == "salary") / n
        f["median_dwell_min"] = None
        if dwells:
            dwells.sort()
            half = sum(w for _, w in dwells) // 2
            acc = 0
            for d, w in dwells:
                acc += w
                if acc >= half:
                    f["median_dwell_min"] = d / 60_000.0
                    break
        if f["out_fen"] > 0:
            f["salary_out_share"] = sum(e[4] for e in outs if e[5] == "salary") / f["out_fen"]
            f["terminal_out_share"] = sum(e[4] for e in outs if terminal(e[6], e[5])) / f["out_fen"]
        if stamps:
            night = sum(1 for ts in stamps if datetime.fromtimestamp(ts // 1000, tz).hour < 6)
            f["night_share"] = night / len(stamps)
        if outs:
            f["round_or_under_limit_share"] = sum(1 for e in outs if round_or_under(e[4])) / len(outs)
        days = sorted(ts // DAY for ts in stamps)
        f["dormancy_before_burst_days"] = 0
        if days:
            lo = best = 0
            for hi in range(len(days)):
                while days[hi] - days[lo] >= 3:
                    lo += 1
                best = max(best, hi - lo + 1)
            f["burst_share"] = best / len(days)
            # The busiest day: the earliest of those with the most transfers.
            busiest, most, i = None, 0, 0
            while i < len(days):
                j = i
                while j < len(days) and days[j] == days[i]:
                    j += 1
                if busiest is None or j - i > most:
                    busiest, most = days[i], j - i
                i = j
            before = [d for d in days if d < busiest]
            if before:
                f["dormancy_before_burst_days"] = busiest - max(before)
            elif opened is not None:
                f["dormancy_before_burst_days"] = busiest - opened
        return f

    return compute


FEATURE_SCHEMA = T.StructType([
    T.StructField("id", T.LongType(), False),
    *[T.StructField(c, T.LongType(), True) for c in (
        "in_count", "out_count", "in_fen", "out_fen", "senders", "receivers", "counterparties", "one_off_in_fen",
        "one_off_senders", "age_at_first_activity_days", "dormancy_before_burst_days", "first_ts_ms", "last_ts_ms")],
    *[T.StructField(c, T.DoubleType(), True) for c in (
        "pass_through_1h", "pass_through_24h", "lifo_pass_1h", "lifo_pass_24h", "one_off_pass_24h", "burst_share",
        "median_dwell_min", "balance_left_share", "night_share", "round_or_under_limit_share", "salary_in_share",
        "salary_out_share", "terminal_out_share")],
])


# ---------------------------------------------------------------------------------------------------------
# Rule suspects (FEATURES.md, "Signals and suspects"), without the registries: those are the serving node's.
# ---------------------------------------------------------------------------------------------------------

def suspect_flags(P):
    def flags(r):
        shared = max(r["holders_on_device"], r["holders_on_phone"], r["holders_on_login"]) >= P["RING_SHARED_HOLDERS"]
        not_salary = r["salary_in_share"] < P["RING_SALARY_SHARE_MAX"] and \
            float(r["out_fen"]) <= P["RING_OUT_IN_MAX"] * float(r["in_fen"])
        enough = r["in_fen"] >= P["RING_MIN_FLOW_FEN"]
        empty = r["balance_left_share"] < P["RING_BALANCE_LEFT_MAX"]
        dwell = r["median_dwell_min"]
        fast = not_salary and enough and empty and r["pass_through_1h"] >= P["RING_PASS_THROUGH"] and \
            dwell is not None and dwell <= P["RING_MEDIAN_DWELL_MAX_MIN"]
        held = (not fast) and not_salary and enough and empty and r["lifo_pass_24h"] >= P["RING_PASS_THROUGH"]
        one_off = r["one_off_in_fen"] >= P["RING_MIN_FLOW_FEN"] and r["one_off_senders"] >= P["RING_ONE_OFF_SENDERS"] \
            and r["one_off_pass_24h"] >= P["RING_PASS_THROUGH"]
        cashout = r["terminal_out_share"] >= P["RING_CASHOUT_SHARE"] and r["out_count"] >= P["RING_CASHOUT_MIN_OUT"] \
            and empty and enough
        passes_on = not_salary and r["pass_through_24h"] >= P["RING_PASS_THROUGH_WEAK"]
        money = fast or held or one_off
        moves = money or cashout or passes_on
        attribute = shared and moves
        strong = (fast and r["senders"] >= P["RING_MIN_SENDERS"]) or one_off
        hub = r["kind"] in P["TERMINAL_KINDS"] or r["counterparties"] >= P["HUB_COUNTERPARTIES"]
        payroll = r["salary_out_share"] >= P["PAYROLL_SALARY_OUT_SHARE"]
        suspect = not (hub or payroll) and (r["in_count"] + r["out_count"] > 0) and (attribute or money)
        return (r["id"], suspect, attribute, money, strong, moves)
    return flags


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--progress", help="a file to write each step's name into as it starts (for tests)")
    a = ap.parse_args()

    def step(name):
        if a.progress:
            with open(a.progress, "a") as f:
                f.write(name + "\n")

    spark = SparkSession.builder.appName("moneytrail-features").getOrCreate()
    try:
        m = read_manifest(a.export_dir)
        step("check")
        check_export(spark, a.export_dir, m)
    except BadExport as e:
        print(f"moneytrail batch: refused: {e}", file=sys.stderr)
        spark.stop()
        sys.exit(2)
    P = m["policy"]
    accounts = spark.read.parquet(os.path.join(a.export_dir, "accounts"))
    logins = spark.read.parquet(os.path.join(a.export_dir, "logins"))
    transfers = spark.read.parquet(os.path.join(a.export_dir, "transfers"))

    attrs = attribute_features(spark, accounts, logins, P).cache()
    kinds = accounts.select(F.col("id").alias("dst"), F.col("kind").alias("dst_kind"))
    t = transfers.select("seq", "ts_ms", "src", "dst", "amount_fen", "channel_kind").join(kinds, "dst", "left")
    # Each transfer into both ends' ledgers: (account, (out?, ts, seq, counterparty, amount, channel, cp kind)).
    ledger = t.rdd.flatMap(lambda r: [
        (r["src"], (1, r["ts_ms"], r["seq"], r["dst"], r["amount_fen"], r["channel_kind"], r["dst_kind"] or "")),
        (r["dst"], (0, r["ts_ms"], r["seq"], r["src"], r["amount_fen"], r["channel_kind"], "")),
    ])
    opened = accounts.select("id", "opened_at_days").rdd.map(lambda r: (r["id"], r["opened_at_days"]))
    compute = ledger_features(P, m["tz"])
    step("ledger")
    grouped = opened.leftOuterJoin(ledger.groupByKey(numPartitions=a.partitions), numPartitions=a.partitions)
    rows = grouped.map(lambda kv: compute(kv[0], list(kv[1][1] or []), kv[1][0]))
    cols = [f.name for f in FEATURE_SCHEMA.fields]
    ledger_df = spark.createDataFrame(rows.map(lambda f: tuple(f[c] for c in cols)), FEATURE_SCHEMA)
    feats = ledger_df.join(attrs.drop("opened_at_days"), "id").orderBy("id")
    step("write-features")
    feats.write.mode("overwrite").parquet(os.path.join(a.out_dir, "features"))

    step("suspects")
    feats = spark.read.parquet(os.path.join(a.out_dir, "features"))
    flags = suspect_flags(P)
    sus = feats.rdd.map(flags).filter(lambda x: x[1]).map(lambda x: (x[0], x[2], x[3], x[4], x[5]))
    sus_df = spark.createDataFrame(sus, "id long, attribute_evidence boolean, money_evidence boolean, "
                                        "strong_money boolean, moves_money boolean").orderBy("id")
    sus_df.write.mode("overwrite").parquet(os.path.join(a.out_dir, "suspects"))
    sus_ids = spark.read.parquet(os.path.join(a.out_dir, "suspects")).select("id").cache()

    # Edges among suspects: money (per ordered pair) and shared attributes (holder, phone, device, login).
    s1 = sus_ids.withColumnRenamed("id", "src")
    s2 = sus_ids.withColumnRenamed("id", "dst")
    money = transfers.where(F.col("src") != F.col("dst")).join(s1, "src").join(s2, "dst").groupBy("src", "dst") \
        .agg(F.count(F.lit(1)).alias("transfers"), F.sum("amount_fen").alias("amount_fen"),
             F.min("ts_ms").alias("first_ts_ms"), F.max("ts_ms").alias("last_ts_ms")) \
        .select(F.lit("money").alias("via"), F.col("src").alias("a"), F.col("dst").alias("b"),
                F.lit("").alias("value"), "transfers", "amount_fen", "first_ts_ms", "last_ts_ms")
    a_attrs = accounts.join(sus_ids, "id")
    shared = None
    for kind, col in (("holder", "holder_id"), ("phone", "phone"), ("device", "device_id")):
        part = a_attrs.where(F.col(col) != "").select(F.lit(kind).alias("kind"), F.col(col).alias("value"), "id")
        shared = part if shared is None else shared.unionByName(part)
    shared = shared.unionByName(logins.join(sus_ids, "id").select("kind", "value", "id"))
    x = shared.alias("x")
    y = shared.alias("y")
    attr_edges = x.join(y, (F.col("x.kind") == F.col("y.kind")) & (F.col("x.value") == F.col("y.value"))
                        & (F.col("x.id") < F.col("y.id"))) \
        .select(F.col("x.kind").alias("via"), F.col("x.id").alias("a"), F.col("y.id").alias("b"),
                F.col("x.value").alias("value"), F.lit(None).cast("long").alias("transfers"),
                F.lit(None).cast("long").alias("amount_fen"), F.lit(None).cast("long").alias("first_ts_ms"),
                F.lit(None).cast("long").alias("last_ts_ms"))
    edges = money.unionByName(attr_edges).orderBy("via", "a", "b", "value")
    step("write-edges")
    edges.write.mode("overwrite").parquet(os.path.join(a.out_dir, "edges"))

    batch = {
        "export_format": m["format"],
        "next_seq": m["next_seq"],
        "next_account": m["next_account"],
        "tz": m["tz"],
        "transfers": m["transfers"],
        "accounts": m["accounts"],
        "suspects": sus_ids.count(),
        "edges": spark.read.parquet(os.path.join(a.out_dir, "edges")).count(),
    }
    with open(os.path.join(a.out_dir, "batch.json"), "w") as f:
        json.dump(batch, f, indent=2)
    step("done")
    spark.stop()


if __name__ == "__main__":
    main()
