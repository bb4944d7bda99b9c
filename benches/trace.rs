//! Trace and freeze latency on a large store, warm: p50/p99 over the generated cases, then criterion.
//!
//! Uses the scale world of `make bench` (MONEYTRAIL_BENCH_DB, MONEYTRAIL_BENCH_WORLD; defaults
//! target/bench/db and target/bench/world-170000-60). Without it, builds a small world first.

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};

use moneytrail::app::trace::{freeze, TraceQuery};
use moneytrail::cases::CaseSpec;
use moneytrail::freeze::FreezeParams;
use moneytrail::ingest::lists::read_cases;
use moneytrail::ingest::{ingest_files, IngestOptions};
use moneytrail::store::TransferStore;
use moneytrail::timefmt::DEFAULT_TZ;
use moneytrail::trace::{resolve_seeds, trace_downstream, Rule, SeedSpec, TraceParams};

/// The binary's allocator (src/main.rs), so the figures are the server's and the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn locate() -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let db = std::env::var_os("MONEYTRAIL_BENCH_DB").map_or(root.join("target/bench/db"), PathBuf::from);
    let world =
        std::env::var_os("MONEYTRAIL_BENCH_WORLD").map_or(root.join("target/bench/world-170000-60"), PathBuf::from);
    if db.join("CURRENT").exists() && world.join("truth/cases.csv").exists() {
        return (db, world);
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trace-bench-v1");
    let (db, world) = (dir.join("db"), dir.join("world"));
    if !dir.join("complete").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = moneytrail::gen::WorldConfig { persons: 20_000, days: 30, seed: 7, ..Default::default() };
        moneytrail::gen::generate(&cfg, &world).expect("gen");
        let store = TransferStore::open(&db).expect("open");
        ingest_files(
            &store,
            &[world.join("transfers.csv")],
            &[world.join("accounts.csv")],
            &IngestOptions::default(),
            &|_| {},
        )
        .expect("ingest");
        std::fs::write(dir.join("complete"), b"").expect("marker");
    }
    (db, world)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `run` on each item once to warm up and once timed; prints `what` with the per-item averages of
/// the counts `run` returns (named by `counts`) and p50/p90/p99/max.
fn timed<T: Copy>(what: &str, items: &[T], counts: [&str; 2], mut run: impl FnMut(T) -> [usize; 2]) {
    let (mut ms, mut totals) = (Vec::with_capacity(items.len()), [0usize; 2]);
    for &item in items {
        run(item);
        let t0 = Instant::now();
        let got = run(item);
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        totals[0] += got[0];
        totals[1] += got[1];
    }
    ms.sort_by(f64::total_cmp);
    let n = items.len().max(1) as f64;
    println!(
        "{what} ({:.1} {}, {:.1} {} each on average): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        totals[0] as f64 / n,
        counts[0],
        totals[1] as f64 / n,
        counts[1],
        percentile(&ms, 0.5),
        percentile(&ms, 0.9),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}

fn traces(c: &mut Criterion) {
    let (db, world) = locate();
    let desk = moneytrail::app::Desk::open_read_only(&db, DEFAULT_TZ).expect("open");
    let view = desk.view().expect("view");
    let cases: Vec<CaseSpec> = read_cases(&world.join("truth/cases.csv"), DEFAULT_TZ).expect("cases");
    let work: Vec<(Vec<u64>, TraceParams, TraceQuery)> = cases
        .iter()
        .take(2000)
        .map(|c| {
            let as_of_ms = c.as_of_ms.unwrap_or(i64::MAX);
            let spec = SeedSpec { txn_ids: c.seed_txn_ids.clone(), ..Default::default() };
            let params = TraceParams { as_of_ms, ..Default::default() };
            let query = TraceQuery { seeds: spec.clone(), params: params.clone() };
            (resolve_seeds(&view, &spec, as_of_ms).expect("seeds"), params, query)
        })
        .collect();
    let fp = FreezeParams::default();
    let mut t_ms = Vec::new();
    let mut f_ms = Vec::new();
    let mut touched = 0usize;
    for (seeds, params, query) in &work {
        let _ = trace_downstream(&view, seeds, params).expect("warm-up");
        let t0 = Instant::now();
        let t = trace_downstream(&view, seeds, params).expect("trace");
        t_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        touched += t.accounts.len() + t.terminals.len();
        // What `freeze` does: the protective reading (three rules' traces), caps, proposals.
        let t0 = Instant::now();
        let _ = freeze(&desk, query, &fp).expect("freeze");
        f_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    for v in [&mut t_ms, &mut f_ms] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "store {}: {} transfers; {} cases, {:.1} accounts reached per case",
        db.display(),
        view.watermark().next_seq,
        work.len(),
        touched as f64 / work.len() as f64
    );
    for (name, v) in [("trace (6-hop fifo)", &t_ms), ("freeze (protective: three traces, caps, proposals)", &f_ms)] {
        println!(
            "{name}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            percentile(v, 0.5),
            percentile(v, 0.9),
            percentile(v, 0.99),
            v[v.len() - 1]
        );
    }
    // Every rule at 4 and 6 hops over the same cases (issue 16 asks for p50/p99 of each).
    for rule in [Rule::Fifo, Rule::Lifo, Rule::Proportional, Rule::Poison] {
        for hops in [4u32, 6] {
            let mut ms: Vec<f64> = work
                .iter()
                .map(|(seeds, params, _)| {
                    let p = TraceParams { rule, hops, ..params.clone() };
                    let _ = trace_downstream(&view, seeds, &p).expect("warm-up");
                    let t0 = Instant::now();
                    let _ = trace_downstream(&view, seeds, &p).expect("trace");
                    t0.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            ms.sort_by(f64::total_cmp);
            println!(
                "trace {rule:?} {hops} hops: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
                percentile(&ms, 0.5),
                percentile(&ms, 0.99),
                ms[ms.len() - 1]
            );
        }
    }
    let mut i = 0;
    c.bench_function("trace a generated case, 6-hop fifo", |b| {
        b.iter(|| {
            i = (i + 1) % work.len();
            trace_downstream(&view, &work[i].0, &work[i].1).expect("trace").accounts.len()
        })
    });
    c.bench_function("freeze proposals for a generated case", |b| {
        b.iter(|| {
            i = (i + 1) % work.len();
            freeze(&desk, &work[i].2, &fp).expect("freeze").proposals.len()
        })
    });
}

/// Upstream traces of the world's collector cards (the cards victims pay; hundreds of inflows each at the
/// scale world), 6 hops, fifo, following conduits by behaviour: p50/p99, then criterion.
fn upstreams(c: &mut Criterion) {
    use moneytrail::graph::TransferGraph;
    use moneytrail::trace::upstream::{trace_upstream, UpstreamParams};
    let (db, world) = locate();
    let store = TransferStore::open_read_only(&db).expect("open");
    let view = store.view().expect("view");
    let mut rdr = csv::Reader::from_path(world.join("truth/mules.csv")).expect("mules");
    // The busiest collectors: the case is a card with hundreds of inflows.
    let mut collectors: Vec<(usize, u32)> = rdr
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[2] == "collector")
        .filter_map(|r| view.account_id(&r[0]).expect("lookup"))
        .map(|id| (view.edges(id, moneytrail::graph::Direction::In, i64::MIN, i64::MAX).expect("edges").len(), id))
        .collect();
    collectors.sort_unstable_by(|a, b| b.cmp(a));
    let collectors: Vec<u32> = collectors.into_iter().take(200).map(|(_, id)| id).collect();
    let registered = std::collections::BTreeSet::new();
    let params = |id| UpstreamParams::new(id, i64::MIN / 4, i64::MAX / 4);
    let upstream = |id| {
        let up = trace_upstream(&view, &params(id), &registered).expect("upstream");
        [up.inflows.len(), up.origins.len()]
    };
    let what = format!("upstream of the {} busiest collector cards, 6 hops, fifo, by behaviour", collectors.len());
    timed(&what, &collectors, ["inflows", "origins"], upstream);
    // Cards with hundreds of inflows: the world's collectors have tens, so also personal accounts paid
    // hundreds of times (rented cards' and small shops' everyday accounts).
    let mut busiest: Vec<(usize, u32)> = (0..TransferGraph::account_count(&view))
        .filter(|&id| view.account_attrs(id).expect("attrs").kind == moneytrail::model::AccountKind::Personal)
        .map(|id| (view.edges(id, moneytrail::graph::Direction::In, i64::MIN, i64::MAX).expect("edges").len(), id))
        .collect();
    // Hundreds, as the collector: 100 to 500 inflows, the 50 busiest of them.
    busiest.retain(|(n, _)| (100..=500).contains(n));
    busiest.sort_unstable_by(|a, b| b.cmp(a));
    busiest.truncate(50);
    let busiest: Vec<u32> = busiest.into_iter().map(|(_, id)| id).collect();
    let what = format!("upstream of {} personal accounts with 100-500 inflows", busiest.len());
    timed(&what, &busiest, ["inflows", "origins"], upstream);
    let mut i = 0;
    c.bench_function("upstream trace of a collector card, 6-hop fifo", |b| {
        b.iter(|| {
            i = (i + 1) % collectors.len();
            trace_upstream(&view, &params(collectors[i]), &registered).expect("upstream").origins.len()
        })
    });
}

/// Paths between a victim and the deepest account its case's trace reached (up to 6 hops apart): p50/p99.
fn paths(c: &mut Criterion) {
    use moneytrail::trace::paths::{find_paths, PathsParams};
    let (db, world) = locate();
    let desk = moneytrail::app::Desk::open_read_only(&db, DEFAULT_TZ).expect("open");
    let view = desk.view().expect("view");
    let cases: Vec<CaseSpec> = read_cases(&world.join("truth/cases.csv"), DEFAULT_TZ).expect("cases");
    let mut pairs = Vec::new();
    for c in cases.iter().take(1000) {
        let as_of_ms = c.as_of_ms.unwrap_or(i64::MAX);
        let spec = SeedSpec { txn_ids: c.seed_txn_ids.clone(), ..Default::default() };
        let seeds = resolve_seeds(&view, &spec, as_of_ms).expect("seeds");
        let t = trace_downstream(&view, &seeds, &TraceParams { as_of_ms, ..Default::default() }).expect("trace");
        // The case's window: from its first payment to its report time (what an investigator asks).
        let start = seeds.iter().filter_map(|&q| view.transfer(q).ok().flatten()).map(|t| t.ts_ms).min();
        if let (Some(deepest), Some(start)) = (t.accounts.values().max_by_key(|a| (a.hop, a.id)), start) {
            pairs.push((t.victims[0], deepest.id, deepest.hop, start, as_of_ms));
        }
    }
    let params = |(from, to, _, start_ms, end_ms): (u32, u32, u32, i64, i64)| PathsParams {
        from,
        to,
        start_ms,
        end_ms,
        max_hops: 6,
        limit: moneytrail::policy::PATHS_LIMIT,
        truncation: moneytrail::policy::PATHS_TRUNCATION,
    };
    let what = format!(
        "paths from {} victims to the deepest account of their case, in the case's window (max 6 hops, up to 100 paths)",
        pairs.len()
    );
    timed(&what, &pairs, ["hops apart", "paths found"], |pair| {
        [pair.2 as usize, find_paths(&view, &params(pair)).expect("paths").all.len()]
    });
    let mut i = 0;
    c.bench_function("paths between a victim and its case's deepest account, 6 hops", |b| {
        b.iter(|| {
            i = (i + 1) % pairs.len();
            find_paths(&view, &params(pairs[i])).expect("paths").all.len()
        })
    });
}

criterion_group!(benches, traces, upstreams, paths);
criterion_main!(benches);
