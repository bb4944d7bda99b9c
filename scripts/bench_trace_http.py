#!/usr/bin/env python3
"""Traces of a world's cases over HTTP, end to end, and the same reach question answered by NetworkX.

Run by scripts/bench-trace-realistic.sh with the bench venv's python (networkx and duckdb pinned by
scripts/install-deps.sh). One client, one keep-alive connection, each case traced once to warm and once
timed, as the criterion bench does. Prints p50/p99 of the end-to-end time and of the server's own time
(the sum of its Server-Timing figures), then NetworkX's time for a time-respecting reach from the same
seeds within the same hops and as-of time, the ratio, and how far the two reached sets agree.

Usage: bench_trace_http.py --world DIR --port N --token T [--cases N] [--networkx]
"""

import argparse
import csv
import datetime as dt
import http.client
import json
import sys
import time

HOPS = 6
# Where moneytrail's trace stops following (docs/trace-semantics.md, terminals).
TERMINAL_KINDS = {"atm", "otc", "merchant", "third_party"}
TERMINAL_CHANNELS = {"atm_withdrawal", "pos", "third_party"}


def pct(xs, p):
    xs = sorted(xs)
    return xs[round((len(xs) - 1) * p)]


def read_cases(world, n):
    with open(f"{world}/truth/cases.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    return [(r["seed_txn_ids"].split(";"), r["report_time"]) for r in rows]


def server_timing(header):
    """A Server-Timing header's durations by name (store, analysis, serialize)."""
    out = {}
    for part in (header or "").split(","):
        name, *fields = [f.strip() for f in part.split(";")]
        for field in fields:
            if field.startswith("dur="):
                out[name] = float(field[4:])
    return out


def http_traces(port, token, cases, rule):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    e2e, srv, size, reached = [], [], [], []
    for seeds, as_of in cases:
        body = json.dumps({"seed_txn_ids": seeds, "as_of": as_of, "rule": rule, "hops": HOPS})
        for timed in (False, True):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/trace", body, headers)
            resp = conn.getresponse()
            data = resp.read()
            ms = (time.perf_counter() - t0) * 1e3
            if resp.status != 200:
                sys.exit(f"trace answered {resp.status}: {data[:300]!r}")
        e2e.append(ms)
        srv.append(server_timing(resp.getheader("Server-Timing")))
        size.append(len(data))
        reached.append({a["account"] for a in json.loads(data)["accounts"]})
    return e2e, srv, size, reached


def naive_ms(text):
    return int(dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def load_networkx(world):
    """The whole world as a NetworkX DiGraph: per account pair, its transfers as (ts, channel), sorted."""
    import duckdb
    import networkx as nx

    t0 = time.perf_counter()
    con = duckdb.connect()
    g = nx.DiGraph()
    cur = con.execute(
        f"""select src, dst, list(struct_pack(ts := epoch_ms(ts::timestamp), ch := channel) order by ts)
            from read_csv('{world}/transfers.csv', all_varchar=true) group by src, dst"""
    )
    while True:
        batch = cur.fetchmany(200_000)
        if not batch:
            break
        g.add_edges_from((s, d, {"tx": [(x["ts"], x["ch"]) for x in txs]}) for s, d, txs in batch)
    kinds = con.execute(f"select account_id, kind from read_csv('{world}/accounts.csv', all_varchar=true)").fetchall()
    nx.set_node_attributes(g, {a: k for a, k in kinds if a in g}, "kind")
    txn = {}
    for txn_id, src, dst, ts, ch in con.execute(
        f"select txn_id, src, dst, epoch_ms(ts::timestamp), channel from read_csv('{world}/transfers.csv', all_varchar=true)"
    ).fetchall():
        txn[txn_id] = (src, dst, ts, ch)
    return g, txn, time.perf_counter() - t0


def networkx_reach(g, txn, seeds, as_of_ms):
    """Accounts reached by a time-respecting walk from the seeds within HOPS: money leaves an account only
    after it arrived, stops at terminals, is not followed back into a victim (poison's reach)."""
    victims = {txn[s][0] for s in seeds}
    arrival, frontier, reached = {}, {}, set()
    for s in seeds:
        src, dst, ts, ch = txn[s]
        reached.add(dst)
        if dst in victims or ch in TERMINAL_CHANNELS or g.nodes[dst].get("kind") in TERMINAL_KINDS:
            continue
        if ts < arrival.get(dst, 1 << 62):
            arrival[dst] = frontier[dst] = ts
    for _ in range(HOPS - 1):
        nxt = {}
        for u, t in frontier.items():
            for v, data in g.adj[u].items():
                first = next((ts for ts, ch in data["tx"] if t <= ts <= as_of_ms), None)
                if first is None:
                    continue
                reached.add(v)
                terminal = any(ch in TERMINAL_CHANNELS for ts, ch in data["tx"] if t <= ts <= as_of_ms)
                if v in victims or terminal or g.nodes[v].get("kind") in TERMINAL_KINDS:
                    continue
                if first < arrival.get(v, 1 << 62):
                    arrival[v] = nxt[v] = first
        frontier = nxt
    return reached


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--networkx", action="store_true")
    a = ap.parse_args()
    cases = read_cases(a.world, a.cases)
    results = {}
    for rule in ("fifo", "poison"):
        e2e, srv, size, reached = http_traces(a.port, a.token, cases, rule)
        results[rule] = (e2e, reached)
        total = [sum(t.values()) for t in srv]
        parts = "; ".join(
            f"{name} p50 {pct([t.get(name, 0) for t in srv], .5):.2f} p99 {pct([t.get(name, 0) for t in srv], .99):.2f}"
            for name in ("store", "analysis", "serialize")
        )
        print(
            f"HTTP POST /v1/trace {rule} {HOPS} hops, {len(cases)} cases, one keep-alive client: "
            f"end to end p50 {pct(e2e, .5):.2f} ms p99 {pct(e2e, .99):.2f} ms; "
            f"server (Server-Timing sum) p50 {pct(total, .5):.2f} ms p99 {pct(total, .99):.2f} ms ({parts}); "
            f"response p50 {pct(size, .5) / 1024:.0f} KiB; {sum(map(len, reached)) / len(reached):.1f} accounts"
        )
    if not a.networkx:
        return
    g, txn, load_s = load_networkx(a.world)
    print(f"NetworkX {__import__('networkx').__version__}: {g.number_of_nodes()} accounts, "
          f"{g.number_of_edges()} account pairs loaded in {load_s:.0f} s")
    ms, agree = [], []
    for (seeds, as_of), ours in zip(cases, results["poison"][1]):
        as_of_ms = naive_ms(as_of)
        networkx_reach(g, txn, seeds, as_of_ms)
        t0 = time.perf_counter()
        theirs = networkx_reach(g, txn, seeds, as_of_ms)
        ms.append((time.perf_counter() - t0) * 1e3)
        agree.append(len(ours & theirs) / max(1, len(ours | theirs)))
    e2e = results["poison"][0]
    print(
        f"NetworkX time-respecting reach, same seeds, {HOPS} hops: p50 {pct(ms, .5):.2f} ms p99 {pct(ms, .99):.2f} ms; "
        f"moneytrail poison over HTTP / NetworkX at p50: {pct(e2e, .5) / pct(ms, .5):.2f}; "
        f"reached sets agree (Jaccard) mean {sum(agree) / len(agree):.3f}, equal in "
        f"{sum(1 for x in agree if x == 1.0)} of {len(agree)} cases"
    )


if __name__ == "__main__":
    main()
