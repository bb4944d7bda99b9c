use super::*;
use crate::model::{AccountKind, Channel, Transfer};

fn t(id: &str, ts: i64, src: &str, dst: &str, fen: i64) -> Transfer {
    Transfer {
        txn_id: id.into(),
        ts_ms: ts,
        src: src.into(),
        dst: dst.into(),
        amount_fen: fen,
        channel: Channel::Transfer,
        currency: "CNY".into(),
        ..Default::default()
    }
}

fn open() -> (tempfile::TempDir, TransferStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = TransferStore::open(&dir.path().join("db")).unwrap();
    (dir, store)
}

#[test]
fn edges_come_back_in_time_order_with_ties_in_input_order() {
    let (_d, store) = open();
    let mut s = store.begin_ingest().unwrap();
    let v = s
        .add_transfers(&[
            t("c", 30, "A", "B", 3),
            t("a", 10, "A", "C", 1),
            t("b", 10, "A", "B", 2),
            t("d", -5, "A", "B", 4),
        ])
        .unwrap();
    assert_eq!(v, vec![Verdict::Added(0), Verdict::Added(1), Verdict::Added(2), Verdict::Added(3)]);
    s.commit().unwrap();
    let view = store.view().unwrap();
    let a = view.account_id("A").unwrap().unwrap();
    let out: Vec<(i64, i64)> =
        view.edges(a, Direction::Out, i64::MIN, i64::MAX).unwrap().iter().map(|e| (e.ts_ms, e.amount_fen)).collect();
    assert_eq!(out, vec![(-5, 4), (10, 1), (10, 2), (30, 3)]);
    let window: Vec<i64> = view.edges(a, Direction::Out, 10, 10).unwrap().iter().map(|e| e.amount_fen).collect();
    assert_eq!(window, vec![1, 2]);
    let b = view.account_id("B").unwrap().unwrap();
    let inn: Vec<i64> = view.edges(b, Direction::In, 0, i64::MAX).unwrap().iter().map(|e| e.amount_fen).collect();
    assert_eq!(inn, vec![2, 3]);
    assert_eq!(view.account_external(b).unwrap().as_deref(), Some("B"));
    assert_eq!(view.transfer_by_txn_id("b").unwrap().unwrap().1.amount_fen, 2);
}

#[test]
fn duplicates_and_conflicts_within_a_chunk_and_across_ingests() {
    let (_d, store) = open();
    let mut s = store.begin_ingest().unwrap();
    let v = s.add_transfers(&[t("x", 1, "A", "B", 100), t("x", 1, "A", "B", 100), t("x", 1, "A", "B", 999)]).unwrap();
    assert_eq!(v, vec![Verdict::Added(0), Verdict::AlreadyPresent(0), Verdict::Conflict { existing: 0 }]);
    s.commit().unwrap();
    let mut s = store.begin_ingest().unwrap();
    let v = s.add_transfers(&[t("x", 1, "A", "B", 100), t("x", 1, "A", "B", 5), t("y", 2, "B", "C", 7)]).unwrap();
    assert_eq!(v, vec![Verdict::AlreadyPresent(0), Verdict::Conflict { existing: 0 }, Verdict::Added(1)]);
    s.commit().unwrap();
    let view = store.view().unwrap();
    assert_eq!(view.watermark().next_seq, 2);
    assert_eq!(view.transfer(0).unwrap().unwrap().amount_fen, 100, "the stored row is untouched");
}

#[test]
fn an_uncommitted_ingest_is_invisible_and_rolled_back() {
    let (_d, store) = open();
    let mut s = store.begin_ingest().unwrap();
    s.add_transfers(&[t("a", 1, "A", "B", 1)]).unwrap();
    s.commit().unwrap();
    let committed = store.digest().unwrap();

    let mut s = store.begin_ingest().unwrap();
    s.add_transfers(&[t("b", 2, "B", "C", 2)]).unwrap();
    assert_ne!(store.digest().unwrap(), committed, "the session wrote above the watermark");
    // A reader during the ingest sees only what was committed.
    let view = store.view().unwrap();
    assert!(view.account_id("C").unwrap().is_none());
    assert!(view.transfer_by_txn_id("b").unwrap().is_none());
    let b = view.account_id("B").unwrap().unwrap();
    assert!(view.edges(b, Direction::Out, i64::MIN, i64::MAX).unwrap().is_empty());
    drop(view);
    // An ingest that fails (an error, not a crash) removes what it wrote as it is dropped: the store is
    // byte for byte as it was. (A crash leaves it to the next session: tests/ingest_cli.rs kills the CLI.)
    drop(s);
    assert_eq!(store.digest().unwrap(), committed);

    let s = store.begin_ingest().unwrap();
    s.commit().unwrap();
    let view = store.view().unwrap();
    assert_eq!(view.watermark(), keys::Watermark { next_seq: 1, next_account: 2 });
    // Nothing above the watermark is left on disk.
    let mut it = store.db.raw_iterator_cf(store.cf(cf::TRANSFERS));
    it.seek_to_first();
    let mut n = 0;
    while it.valid() {
        n += 1;
        it.next();
    }
    assert_eq!(n, 1);
    assert!(store.db.get_cf(store.cf(cf::ACCT_BY_EXT), b"C").unwrap().is_none());
    assert!(store.db.get_cf(store.cf(cf::TXN_INDEX), b"b").unwrap().is_none());
}

#[test]
fn large_chunks_go_through_sst_files_with_the_same_result() {
    let rows: Vec<Transfer> = (0..60_000)
        .map(|i| {
            t(
                &format!("T{i:06}"),
                i64::from(i % 977),
                &format!("S{}", i % 1000),
                &format!("D{}", i % 313),
                i64::from(i) + 1,
            )
        })
        .collect();
    let (_d1, small) = open();
    let mut s = small.begin_ingest().unwrap();
    for chunk in rows.chunks(10_000) {
        s.add_transfers(chunk).unwrap();
    }
    s.commit().unwrap();
    let (_d2, big) = open();
    let mut s = big.begin_ingest().unwrap();
    s.add_transfers(&rows).unwrap();
    // And again: everything already present.
    let again = s.add_transfers(&rows).unwrap();
    assert!(again.iter().all(|v| matches!(v, Verdict::AlreadyPresent(_))));
    s.commit().unwrap();
    // The same store, byte for byte in every column family, whichever way the rows were written.
    assert_eq!(small.digest().unwrap(), big.digest().unwrap());
    for store in [&small, &big] {
        let view = store.view().unwrap();
        assert_eq!(view.watermark().next_seq, 60_000);
        let s7 = view.account_id("S7").unwrap().unwrap();
        let out = view.edges(s7, Direction::Out, i64::MIN, i64::MAX).unwrap();
        assert_eq!(out.len(), 60);
        assert!(out.windows(2).all(|w| (w[0].ts_ms, w[0].seq) < (w[1].ts_ms, w[1].seq)));
    }
}

#[test]
fn account_attributes_merge_and_index() {
    let (_d, store) = open();
    let mut s = store.begin_ingest().unwrap();
    s.add_transfers(&[t("a", 1, "A", "B", 1)]).unwrap();
    let attrs = |dev: &str, kind: AccountKind| AccountAttrs {
        device_id: dev.into(),
        holder_name: "张三".into(),
        kind,
        ..Default::default()
    };
    s.add_account_attrs(&[
        ("A".into(), attrs("dev1", AccountKind::Personal)),
        ("Z".into(), attrs("dev1", AccountKind::Unknown)),
    ])
    .unwrap();
    s.commit().unwrap();
    let view = store.view().unwrap();
    let (a, z) = (view.account_id("A").unwrap().unwrap(), view.account_id("Z").unwrap().unwrap());
    assert_eq!(view.accounts_sharing(AttrKind::Device, "dev1").unwrap(), vec![a, z]);
    drop(view);
    let mut s = store.begin_ingest().unwrap();
    s.add_account_attrs(&[("A".into(), AccountAttrs { device_id: "dev2".into(), ..Default::default() })]).unwrap();
    s.commit().unwrap();
    let view = store.view().unwrap();
    assert_eq!(view.accounts_sharing(AttrKind::Device, "dev1").unwrap(), vec![z]);
    assert_eq!(view.accounts_sharing(AttrKind::Device, "dev2").unwrap(), vec![a]);
    let got = view.account_attrs(a).unwrap();
    assert_eq!(
        (got.holder_name.as_str(), got.kind),
        ("张三", AccountKind::Personal),
        "unspecified fields keep what was known"
    );
}

#[test]
fn reopening_checks_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = TransferStore::open(&path).unwrap();
        let mut b = WriteBatch::default();
        b.put_cf(store.cf(cf::META), MetaKey::SCHEMA_VERSION, 999u32.to_be_bytes());
        store.write_synced(b).unwrap();
    }
    match TransferStore::open(&path) {
        Err(StoreError::SchemaMismatch { found: 999, .. }) => {}
        other => panic!("expected a schema mismatch, got {other:?}"),
    }
    assert!(matches!(TransferStore::open_read_only(&dir.path().join("nothing")), Err(StoreError::Missing { .. })));
}
