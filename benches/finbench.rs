//! The FinBench transfer reads over the shipped sf0.01 snapshot: every shipped parameter set of the six
//! reads, timed one by one (p50/p99/max per read, and the whole file), then criterion on each file.

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};

use moneytrail::finbench::{self, Query};

fn dataset() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/finbench-sf0.01")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bench(c: &mut Criterion) {
    let t0 = Instant::now();
    let snapshot = finbench::load_snapshot(&dataset().join("snapshot")).expect("the shipped snapshot loads");
    println!("finbench sf0.01 snapshot loaded in {:.1} ms: {:?}", t0.elapsed().as_secs_f64() * 1e3, snapshot.counts());
    let mut files = Vec::new();
    for q in Query::ALL {
        let file = finbench::parse_params_file(q, &dataset().join("read_params").join(q.param_file()))
            .expect("the shipped parameters parse");
        let params: Vec<_> = file.params.into_iter().map(|(_, p)| p).collect();
        // Warm once, then time each parameter set.
        let mut rows = 0;
        for p in &params {
            rows += finbench::run(&snapshot, p).len();
        }
        let mut us: Vec<f64> = params
            .iter()
            .map(|p| {
                let t = Instant::now();
                std::hint::black_box(finbench::run(&snapshot, p));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        let total: f64 = us.iter().sum();
        us.sort_by(f64::total_cmp);
        println!(
            "finbench {}: {} parameter sets, {} rows; per read p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs; all {:.1} ms",
            q.name(),
            params.len(),
            rows,
            percentile(&us, 0.5),
            percentile(&us, 0.99),
            percentile(&us, 1.0),
            total / 1e3
        );
        files.push((q, params));
    }
    let mut g = c.benchmark_group("finbench");
    g.sample_size(10);
    for (q, params) in &files {
        g.bench_function(format!("{} all {} parameter sets", q.name(), params.len()), |b| {
            b.iter(|| params.iter().map(|p| finbench::run(&snapshot, p).len()).sum::<usize>())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
