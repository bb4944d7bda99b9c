//! Hot paths of the store: an account's transfers in a time window, and a dictionary lookup.
//!
//! The store (2M transfers over 200k accounts, 60 days) is built once under target/ and reused.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use moneytrail::model::{Channel, Transfer};
use moneytrail::store::{Direction, TransferStore};

const TRANSFERS: usize = 2_000_000;
const ACCOUNTS: u32 = 200_000;
const DAY_MS: i64 = 86_400_000;
const START_MS: i64 = 1_767_196_800_000; // 2026-01-01 00:00 +08:00

fn account(i: u32) -> String {
    format!("62220{i:011}")
}

fn bench_store() -> TransferStore {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion-store-v1");
    let marker = dir.join("complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let store = TransferStore::open(&dir.join("db")).expect("open bench store");
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let mut session = store.begin_ingest().expect("begin");
        let mut chunk = Vec::with_capacity(250_000);
        for i in 0..TRANSFERS {
            chunk.push(Transfer {
                txn_id: format!("B{i:09}"),
                ts_ms: START_MS + rng.random_range(0..60 * DAY_MS),
                src: account(rng.random_range(0..ACCOUNTS)),
                dst: account(rng.random_range(0..ACCOUNTS)),
                amount_fen: rng.random_range(100..10_000_000),
                channel: Channel::Transfer,
                currency: "CNY".into(),
                ..Default::default()
            });
            if chunk.len() == 250_000 {
                session.add_transfers(&chunk).expect("add");
                chunk.clear();
            }
        }
        session.add_transfers(&chunk).expect("add");
        session.commit().expect("commit");
        drop(store);
        std::fs::write(&marker, b"").expect("marker");
    }
    TransferStore::open(&dir.join("db")).expect("open bench store")
}

fn store_paths(c: &mut Criterion) {
    let store = bench_store();
    let view = store.view().expect("view");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let ids: Vec<u32> =
        (0..4096).map(|_| view.account_id(&account(rng.random_range(0..ACCOUNTS))).unwrap().unwrap()).collect();
    let mut i = 0;
    c.bench_function("account out-edges in a 7-day window", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            let from = START_MS + (i as i64 % 50) * DAY_MS;
            view.edges(ids[i], Direction::Out, from, from + 7 * DAY_MS).unwrap().len()
        })
    });
    c.bench_function("account all in-edges", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            view.edges(ids[i], Direction::In, i64::MIN, i64::MAX).unwrap().len()
        })
    });
    let names: Vec<String> = (0..4096).map(|_| account(rng.random_range(0..ACCOUNTS))).collect();
    c.bench_function("dictionary lookup external→internal", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            view.account_id(&names[i]).unwrap()
        })
    });
}

criterion_group!(benches, store_paths);
criterion_main!(benches);
