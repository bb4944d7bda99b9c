//! Ingest sessions: dedupe, account dictionary, and writes that stay invisible until commit.
//!
//! Everything a session writes lies above the committed watermark, so readers ignore it. The session
//! ends with one synced write that stores account attributes and moves the watermark. If the process
//! dies before that, the next session finds rows above the watermark and deletes them first
//! ([`rollback_above`]); rerunning the same input then assigns the same sequence numbers and account ids
//! (they are handed out in input order from the same starting point), so the store ends byte-for-byte
//! as an uninterrupted run leaves it.
//!
//! Small chunks go through a `WriteBatch`; large ones are sorted, written as one SST file per column
//! family and ingested. Ingest order matters for the rollback: a family derived from another
//! (`txn_index` and the edges from `transfers`, `acct_by_ext` from `acct_by_id`) is ingested after it,
//! so every leftover key can be found from the family it derives from.
//!
//! The edge families are keyed by account, so every large chunk's edges overlap every other's: ingested
//! chunk by chunk they land in level 0 and compaction merges and rewrites them over and over (a third of
//! a bulk load's CPU). Instead each large chunk's sorted edges are written to a run file in the staging
//! folder, and the commit merges the runs into non-overlapping SST files and ingests them in one step,
//! before the watermark moves: a crash before that point leaves runs the next session deletes, a crash
//! after it leaves edges that the rollback finds from `transfers`.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use std::path::PathBuf;
use std::sync::MutexGuard;

use rayon::prelude::*;
use rocksdb::{IngestExternalFileOptions, ReadOptions, SstFileWriter, WriteBatch};

use super::{corrupt, rocks, Result, StoreError, TransferStore};
use crate::keys::{self, cf, EdgeKey, EdgeValue, MetaKey, TxnIndexValue, Watermark};
use crate::model::{AccountAttrs, AccountId, Seq, Transfer};

/// Chunks with fewer accepted rows than this are written through a `WriteBatch`.
const SST_THRESHOLD: usize = 50_000;
/// Deletes per batch when rolling back an interrupted ingest.
const ROLLBACK_BATCH: usize = 100_000;

/// What happened to one input row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Stored under this sequence number.
    Added(Seq),
    /// The same transfer (same id, same content) is already stored.
    AlreadyPresent(Seq),
    /// Another transfer with this id and different content is stored (or came earlier in this
    /// ingest); this row was not stored.
    Conflict { existing: Seq },
}

/// One ingest: create with [`TransferStore::begin_ingest`], feed chunks, then [`IngestSession::commit`].
/// Dropping it without committing leaves the store as it was (to readers at once; on disk after the
/// next session's rollback).
pub struct IngestSession<'s> {
    store: &'s TransferStore,
    _exclusive: MutexGuard<'s, ()>,
    base: Watermark,
    next: Watermark,
    /// External id → internal id for every account this session touched.
    dict: FxHashMap<Box<str>, AccountId>,
    attr_updates: BTreeMap<AccountId, AccountAttrs>,
    staging: PathBuf,
    chunk_no: u64,
    /// Sorted runs of out- and in-edges written by large chunks, merged and ingested at commit.
    edge_runs: [Vec<PathBuf>; 2],
    /// Set once the watermark moved: a session dropped before that (an error: a full disk, a conflict,
    /// a bad file) removes what it wrote, so the store is as it was, not only as readers see it.
    committed: bool,
}

impl Drop for IngestSession<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Best effort: if this fails too (the disk still full), the next session does it first.
        if let Err(e) = rollback_above(self.store, self.base) {
            tracing::warn!(error = %e, "an ingest that failed could not remove what it wrote; the next ingest will");
        }
        if self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl std::fmt::Debug for IngestSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestSession").field("base", &self.base).field("next", &self.next).finish()
    }
}

enum Pending {
    Accepted,
    SameAsRow(usize),
    ConflictsWithRow(usize),
    Done(Verdict),
}

impl<'s> IngestSession<'s> {
    pub(super) fn begin(store: &'s TransferStore) -> Result<IngestSession<'s>> {
        let guard = store.ingest_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let base = store.committed_watermark()?;
        rollback_above(store, base)?;
        let staging = store.path.join("staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|source| StoreError::Io { path: staging.clone(), source })?;
        }
        Ok(IngestSession {
            store,
            _exclusive: guard,
            base,
            next: base,
            dict: FxHashMap::default(),
            attr_updates: BTreeMap::new(),
            staging,
            chunk_no: 0,
            edge_runs: [Vec::new(), Vec::new()],
            committed: false,
        })
    }

    /// Accounts created by this session so far.
    pub fn new_accounts(&self) -> u64 {
        u64::from(self.next.next_account - self.base.next_account)
    }

    /// Stores a chunk of transfers; returns one verdict per row, in row order.
    pub fn add_transfers(&mut self, rows: &[Transfer]) -> Result<Vec<Verdict>> {
        let n = rows.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let t0 = std::time::Instant::now();
        let hashes: Vec<u64> = rows.par_iter().map(keys::content_hash).collect();
        // Sorted by txn_id through a 16-byte big-endian prefix (integer compares; the strings themselves are
        // compared only when prefixes tie), then by input position.
        let mut keyed: Vec<(u128, u32)> =
            rows.par_iter().enumerate().map(|(i, t)| (id_prefix(t.txn_id.as_bytes()), i as u32)).collect();
        keyed.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| rows[a.1 as usize].txn_id.cmp(&rows[b.1 as usize].txn_id)).then(a.1.cmp(&b.1))
        });
        let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i as usize).collect();

        // The first row of each txn_id group (earliest in input) is the candidate; the rest of the
        // group are re-deliveries or conflicts relative to it.
        let mut pending: Vec<Pending> = (0..n).map(|_| Pending::Accepted).collect();
        let mut firsts: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < n {
            let first = order[i];
            firsts.push(first);
            let mut j = i + 1;
            while j < n && rows[order[j]].txn_id == rows[first].txn_id {
                let other = order[j];
                pending[other] = if hashes[other] == hashes[first] {
                    Pending::SameAsRow(first)
                } else {
                    Pending::ConflictsWithRow(first)
                };
                j += 1;
            }
            i = j;
        }
        if self.base.next_seq > 0 || self.next.next_seq > self.base.next_seq {
            // Point lookups on both cores: each half of the sorted ids is one batched lookup.
            let lookup = |part: &[usize]| {
                self.store.db.batched_multi_get_cf_opt(
                    self.store.cf(cf::TXN_INDEX),
                    part.iter().map(|&r| rows[r].txn_id.as_bytes()),
                    true,
                    &ReadOptions::default(),
                )
            };
            let (low, high) = firsts.split_at(firsts.len() / 2);
            let (mut found, rest) = rayon::join(|| lookup(low), || lookup(high));
            found.extend(rest);
            for (&r, got) in firsts.iter().zip(found) {
                let Some(raw) = got.map_err(rocks("looking up transaction ids"))? else { continue };
                let v = TxnIndexValue::decode(&raw)
                    .ok_or_else(|| corrupt("transaction index entry", rows[r].txn_id.as_bytes()))?;
                pending[r] = Pending::Done(if v.content_hash == hashes[r] {
                    Verdict::AlreadyPresent(v.seq)
                } else {
                    Verdict::Conflict { existing: v.seq }
                });
            }
        }

        // Sequence numbers in input order.
        let mut verdicts: Vec<Option<Verdict>> = vec![None; n];
        let mut accepted: Vec<(usize, Seq)> = Vec::new();
        for (r, p) in pending.iter().enumerate() {
            match p {
                Pending::Accepted => {
                    let seq = self.next.next_seq;
                    self.next.next_seq += 1;
                    verdicts[r] = Some(Verdict::Added(seq));
                    accepted.push((r, seq));
                }
                Pending::Done(v) => verdicts[r] = Some(*v),
                Pending::SameAsRow(_) | Pending::ConflictsWithRow(_) => {}
            }
        }
        for (r, p) in pending.iter().enumerate() {
            let first_verdict = |f: usize| verdicts[f].expect("first rows are decided above");
            let v = match p {
                Pending::SameAsRow(f) => match first_verdict(*f) {
                    Verdict::Added(s) | Verdict::AlreadyPresent(s) => Verdict::AlreadyPresent(s),
                    // Identical to a row that conflicts with the store: conflicts too.
                    c @ Verdict::Conflict { .. } => c,
                },
                Pending::ConflictsWithRow(f) => match first_verdict(*f) {
                    Verdict::Added(s) | Verdict::AlreadyPresent(s) => Verdict::Conflict { existing: s },
                    c @ Verdict::Conflict { .. } => c,
                },
                _ => continue,
            };
            verdicts[r] = Some(v);
        }

        let t_dedupe = t0.elapsed();
        // Known accounts looked up on both cores; the ones not yet in the dictionary resolved in row order
        // (ids are handed out first-seen), then filled in.
        let known: Vec<(Option<AccountId>, Option<AccountId>)> = accepted
            .par_iter()
            .map(|&(r, _)| (self.dict.get(rows[r].src.as_str()).copied(), self.dict.get(rows[r].dst.as_str()).copied()))
            .collect();
        let missing = accepted.iter().zip(&known).flat_map(|(&(r, _), &(s, d))| {
            [s.is_none().then(|| rows[r].src.as_str()), d.is_none().then(|| rows[r].dst.as_str())].into_iter().flatten()
        });
        let new_accounts = self.resolve_accounts(missing)?;
        let ids: Vec<(AccountId, AccountId)> = accepted
            .iter()
            .zip(known)
            .map(|(&(r, _), (s, d))| {
                (
                    s.unwrap_or_else(|| self.dict[rows[r].src.as_str()]),
                    d.unwrap_or_else(|| self.dict[rows[r].dst.as_str()]),
                )
            })
            .collect();

        let t_accounts = t0.elapsed();
        // Only the first row of a txn_id group can be added, and `firsts` is in txn_id order: the
        // transaction index comes out sorted without sorting it again.
        let accepted_by_txn: Vec<(usize, Seq)> = firsts
            .iter()
            .filter_map(|&r| match verdicts[r] {
                Some(Verdict::Added(seq)) => Some((r, seq)),
                _ => None,
            })
            .collect();
        let kvs = ChunkKvs::build(rows, &hashes, &accepted, &accepted_by_txn, &ids, &new_accounts);
        let t_build = t0.elapsed();
        self.write_chunk(&kvs, accepted.len())?;
        tracing::debug!(
            rows = n,
            dedupe_ms = t_dedupe.as_millis() as u64,
            accounts_ms = (t_accounts - t_dedupe).as_millis() as u64,
            build_ms = (t_build - t_accounts).as_millis() as u64,
            write_ms = (t0.elapsed() - t_build).as_millis() as u64,
            "chunk written"
        );
        Ok(verdicts.into_iter().map(|v| v.expect("every row gets a verdict")).collect())
    }

    /// Ids for the given external ids, creating accounts for those never seen, in first-seen order.
    /// Returns the accounts created (not yet written).
    fn resolve_accounts<'r>(&mut self, externals: impl Iterator<Item = &'r str>) -> Result<Vec<(AccountId, String)>> {
        let mut misses: Vec<&str> = Vec::new();
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        for ext in externals {
            if !self.dict.contains_key(ext) && seen.insert(ext) {
                misses.push(ext);
            }
        }
        let mut known = vec![false; misses.len()];
        if self.base.next_account > 0 && !misses.is_empty() {
            let mut sorted: Vec<usize> = (0..misses.len()).collect();
            sorted.sort_unstable_by_key(|&i| misses[i]);
            let found = self.store.db.batched_multi_get_cf_opt(
                self.store.cf(cf::ACCT_BY_EXT),
                sorted.iter().map(|&i| misses[i].as_bytes()),
                true,
                &ReadOptions::default(),
            );
            for (&i, got) in sorted.iter().zip(found) {
                let Some(raw) = got.map_err(rocks("looking up accounts"))? else { continue };
                let id = keys::decode_account_key(&raw)
                    .ok_or_else(|| corrupt("account dictionary entry", misses[i].as_bytes()))?;
                if id < self.base.next_account {
                    self.dict.insert(misses[i].into(), id);
                    known[i] = true;
                }
            }
        }
        let mut created = Vec::new();
        for (i, ext) in misses.into_iter().enumerate() {
            if known[i] {
                continue;
            }
            let id = self.next.next_account;
            self.next.next_account = id.checked_add(1).ok_or(StoreError::TooManyAccounts)?;
            self.dict.insert(ext.into(), id);
            created.push((id, ext.to_string()));
        }
        Ok(created)
    }

    /// Records what an accounts file says about accounts (merged over what is known; stored at commit).
    pub fn add_account_attrs(&mut self, rows: &[(String, AccountAttrs)]) -> Result<()> {
        let created = self.resolve_accounts(rows.iter().map(|(ext, _)| ext.as_str()))?;
        let kvs = ChunkKvs::build(&[], &[], &[], &[], &[], &created);
        // Many new accounts (a first accounts file) go through SST files like a large chunk of transfers.
        self.write_chunk(&kvs, created.len())?;
        for (ext, attrs) in rows {
            let id = self.dict[ext.as_str()];
            self.attr_updates.entry(id).or_default().merge_from(attrs);
        }
        Ok(())
    }

    fn write_chunk(&mut self, kvs: &ChunkKvs<'_>, accepted: usize) -> Result<()> {
        self.chunk_no += 1;
        if accepted < SST_THRESHOLD {
            let mut batch = WriteBatch::default();
            let store = self.store;
            kvs.for_each_family(|name, pairs| {
                let family = store.cf(name);
                for (k, v) in pairs {
                    batch.put_cf(family, k, v);
                }
            });
            // Not synced here: the commit's synced write makes every earlier WAL record durable.
            return self.store.db.write(batch).map_err(rocks("writing a chunk"));
        }
        std::fs::create_dir_all(&self.staging)
            .map_err(|source| StoreError::Io { path: self.staging.clone(), source })?;
        let mut jobs: Vec<(&'static str, Vec<KvRef<'_>>)> = Vec::new();
        kvs.for_each_family(|name, pairs| jobs.push((name, pairs.collect())));
        let files: Vec<Result<Option<(&'static str, PathBuf)>>> = jobs
            .par_iter()
            .map(|(name, pairs)| {
                if pairs.is_empty() {
                    return Ok(None);
                }
                if let Some(side) = edge_side(name) {
                    let path = self.staging.join(format!("{:06}-{name}.run", self.chunk_no));
                    write_run(&path, pairs)?;
                    return Ok(Some((EDGE_RUN[side], path)));
                }
                let path = self.staging.join(format!("{:06}-{name}.sst", self.chunk_no));
                self.write_sst(name, &path, pairs)?;
                Ok(Some((*name, path)))
            })
            .collect();
        let mut opts = IngestExternalFileOptions::default();
        opts.set_move_files(true);
        // In family order (see the module comment): files are ingested one family at a time.
        for file in files {
            let Some((name, path)) = file? else { continue };
            if let Some(side) = EDGE_RUN.iter().position(|r| *r == name) {
                self.edge_runs[side].push(path);
                continue;
            }
            self.store
                .db
                .ingest_external_file_cf_opts(self.store.cf(name), &opts, vec![&path])
                .map_err(rocks("ingesting an SST file"))?;
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    /// A view of what is committed (this session's own writes are above the watermark, so not in it).
    pub(super) fn store_view(&self) -> Result<super::StoreView<'_>> {
        self.store.view()
    }

    /// The internal id of an account this session has seen (in transfers or attributes it was given).
    pub fn known_account(&self, external: &str) -> Option<AccountId> {
        self.dict.get(external).copied()
    }

    /// Makes everything this session wrote visible, in one synced write.
    pub fn commit(self) -> Result<Watermark> {
        self.commit_with(Vec::new())
    }

    /// Commits with more writes in the same synced batch (column family, key, value): what belongs to the
    /// ingest but is not a transfer, such as statement lines and provenance. They become visible with the
    /// watermark, or not at all.
    pub fn commit_with(mut self, extra: Vec<(&'static str, Vec<u8>, Vec<u8>)>) -> Result<Watermark> {
        self.ingest_edge_runs()?;
        let fresh_in_files = self.ingest_fresh_attrs()?;
        let store = self.store;
        let mut batch = WriteBatch::default();
        for (family, key, value) in &extra {
            batch.put_cf(store.cf(family), key, value);
        }
        let ro = ReadOptions::default();
        for (id, update) in &self.attr_updates {
            if fresh_in_files && *id >= self.base.next_account {
                continue;
            }
            let key = keys::account_key(*id);
            // Attributes are stored only here, at commit: an account this session created has none yet.
            let stored = if *id >= self.base.next_account {
                None
            } else {
                store.db.get_cf_opt(store.cf(cf::ACCT_ATTR), key, &ro).map_err(rocks("reading account attributes"))?
            };
            let old = match stored {
                Some(raw) => keys::decode_attrs(&raw).ok_or_else(|| corrupt("account attributes", &key))?,
                None => AccountAttrs::default(),
            };
            let mut merged = old.clone();
            merged.merge_from(update);
            for (kind, value) in old.shared_attributes() {
                batch.delete_cf(store.cf(cf::ATTR_INDEX), keys::attr_index_key(kind, value, *id));
            }
            for (kind, value) in merged.shared_attributes() {
                batch.put_cf(store.cf(cf::ATTR_INDEX), keys::attr_index_key(kind, value, *id), []);
            }
            batch.put_cf(store.cf(cf::ACCT_ATTR), key, keys::encode_attrs(&merged));
        }
        batch.put_cf(store.cf(cf::META), MetaKey::WATERMARK, self.next.encode());
        store.write_synced(batch)?;
        self.committed = true;
        if self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
        Ok(self.next)
    }
}

type KvRef<'a> = (&'a [u8], &'a [u8]);

/// The first 16 bytes of an id as a big-endian integer (zero-padded): integer order is byte order of the
/// prefixes, and equal prefixes leave the rest to a string compare.
fn id_prefix(id: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = id.len().min(16);
    b[..n].copy_from_slice(&id[..n]);
    u128::from_be_bytes(b)
}

/// The two edge families, whose large chunks go to sorted runs; the run-list marker names of each.
const EDGE_FAMILIES: [&str; 2] = [cf::OUT_EDGES, cf::IN_EDGES];
const EDGE_RUN: [&str; 2] = ["run:out_edges", "run:in_edges"];
/// Bytes of one edge record in a run file (key and value are fixed-width).
const EDGE_RECORD: usize = EdgeKey::LEN + EdgeValue::LEN;
/// Edge records per SST file the merge writes (~64 MiB before compression, RocksDB's target file size).
const EDGES_PER_SST: usize = 2_000_000;

fn key_of(record: &[u8; EDGE_RECORD]) -> [u8; EdgeKey::LEN] {
    record[..EdgeKey::LEN].try_into().expect("a record starts with its key")
}

fn edge_side(name: &str) -> Option<usize> {
    EDGE_FAMILIES.iter().position(|f| *f == name)
}

/// Writes a chunk's sorted edge pairs as fixed-width records.
fn write_run(path: &std::path::Path, pairs: &[KvRef<'_>]) -> Result<()> {
    use std::io::Write;
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).map_err(io)?);
    for (k, v) in pairs {
        debug_assert_eq!(k.len() + v.len(), EDGE_RECORD);
        w.write_all(k).map_err(io)?;
        w.write_all(v).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Test hook: a crash at a named point of the commit (`MONEYTRAIL_FAULT=<point>`), so the SIGKILL tests can
/// stop the process exactly inside the merge and between the edge ingest and the watermark.
fn fault_point(point: &str) {
    if std::env::var_os("MONEYTRAIL_FAULT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

impl IngestSession<'_> {
    /// One SST file of `family` at `path` from pairs already in key order.
    fn write_sst(&self, family: &str, path: &std::path::Path, pairs: &[KvRef<'_>]) -> Result<()> {
        let writer_opts = self.store.sst_writer_options(family);
        let mut w = SstFileWriter::create(&writer_opts);
        w.open(path).map_err(rocks("creating an SST file"))?;
        for (k, v) in pairs {
            w.put(k, v).map_err(rocks("writing an SST file"))?;
        }
        w.finish().map_err(rocks("finishing an SST file"))
    }

    /// Attributes of many accounts this session created (a first accounts file: hundreds of thousands, and
    /// five index entries each) as sorted SST files, not as one huge batch through the memtable (where
    /// inserting them in random key order took most of an accounts load). Ingested before the watermark
    /// moves, attributes first: readers ignore accounts above the watermark, and the rollback finds the
    /// index entries of an uncommitted account from its stored attributes. Returns whether it did.
    fn ingest_fresh_attrs(&mut self) -> Result<bool> {
        let base = self.base.next_account;
        let fresh: Vec<(AccountId, &AccountAttrs)> =
            self.attr_updates.range(base..).map(|(id, update)| (*id, update)).collect();
        if fresh.len() < SST_THRESHOLD {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.staging)
            .map_err(|source| StoreError::Io { path: self.staging.clone(), source })?;
        let merged: Vec<(AccountId, AccountAttrs)> = fresh
            .par_iter()
            .map(|(id, update)| {
                let mut m = AccountAttrs::default();
                m.merge_from(update);
                (*id, m)
            })
            .collect();
        // Keys in id order: the BTreeMap's order is the big-endian key order.
        let attrs: Vec<([u8; 4], Vec<u8>)> =
            merged.par_iter().map(|(id, m)| (keys::account_key(*id), keys::encode_attrs(m))).collect();
        let mut index: Vec<Vec<u8>> = merged
            .par_iter()
            .flat_map_iter(|(id, m)| {
                m.shared_attributes().map(move |(kind, value)| keys::attr_index_key(kind, value, *id))
            })
            .collect();
        index.par_sort_unstable();
        index.dedup();
        let mut opts = IngestExternalFileOptions::default();
        opts.set_move_files(true);
        let families: [(&'static str, Vec<KvRef<'_>>); 2] = [
            (cf::ACCT_ATTR, attrs.iter().map(|(k, v)| (&k[..], &v[..])).collect()),
            (cf::ATTR_INDEX, index.iter().map(|k| (&k[..], &[][..])).collect()),
        ];
        for (name, pairs) in families {
            if pairs.is_empty() {
                continue;
            }
            let path = self.staging.join(format!("fresh-{name}.sst"));
            self.write_sst(name, &path, &pairs)?;
            self.store
                .db
                .ingest_external_file_cf_opts(self.store.cf(name), &opts, vec![&path])
                .map_err(rocks("ingesting an SST file"))?;
            fault_point(&format!("{name}-ingested"));
        }
        Ok(true)
    }

    /// Merges each edge family's runs into non-overlapping SST files and ingests them in one call per
    /// family (both families in parallel). Nothing is visible until the watermark moves.
    fn ingest_edge_runs(&mut self) -> Result<()> {
        let runs = std::mem::take(&mut self.edge_runs);
        let merged: Vec<Result<(usize, Vec<PathBuf>)>> = runs
            .into_par_iter()
            .enumerate()
            .filter(|(_, r)| !r.is_empty())
            .map(|(side, r)| Ok((side, self.merge_runs(EDGE_FAMILIES[side], &r)?)))
            .collect();
        let mut opts = IngestExternalFileOptions::default();
        opts.set_move_files(true);
        for m in merged {
            let (side, files) = m?;
            fault_point("edges-merged");
            self.store
                .db
                .ingest_external_file_cf_opts(self.store.cf(EDGE_FAMILIES[side]), &opts, files.iter().collect())
                .map_err(rocks("ingesting merged edge files"))?;
        }
        fault_point("edges-ingested");
        Ok(())
    }

    /// A k-way merge of sorted runs (keys never repeat: each carries its transfer's seq) into SST files.
    fn merge_runs(&self, family: &'static str, runs: &[PathBuf]) -> Result<Vec<PathBuf>> {
        use std::io::Read;
        let mut readers = runs
            .iter()
            .map(|p| {
                std::fs::File::open(p)
                    .map(|f| std::io::BufReader::with_capacity(256 << 10, f))
                    .map_err(|source| StoreError::Io { path: p.clone(), source })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut next = |i: usize, buf: &mut [u8; EDGE_RECORD]| -> Result<bool> {
            match readers[i].read_exact(buf) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
                Err(source) => Err(StoreError::Io { path: runs[i].clone(), source }),
            }
        };
        let mut heads: Vec<[u8; EDGE_RECORD]> = vec![[0; EDGE_RECORD]; runs.len()];
        let mut heap = std::collections::BinaryHeap::new();
        for (i, head) in heads.iter_mut().enumerate() {
            if next(i, head)? {
                heap.push(std::cmp::Reverse((key_of(head), i)));
            }
        }
        let writer_opts = self.store.sst_writer_options(family);
        let mut files = Vec::new();
        let mut writer: Option<SstFileWriter<'_>> = None;
        let mut in_file = 0usize;
        while let Some(std::cmp::Reverse((_, i))) = heap.pop() {
            if writer.is_none() {
                let path = self.staging.join(format!("merged-{family}-{:04}.sst", files.len()));
                let w = SstFileWriter::create(&writer_opts);
                w.open(&path).map_err(rocks("creating a merged SST file"))?;
                files.push(path);
                writer = Some(w);
            }
            let w = writer.as_mut().expect("opened above");
            let rec = heads[i];
            w.put(&rec[..EdgeKey::LEN], &rec[EdgeKey::LEN..]).map_err(rocks("writing a merged SST file"))?;
            in_file += 1;
            if in_file == 1000 && files.len() == 1 {
                fault_point("merging"); // inside the first merged file
            }
            if in_file == EDGES_PER_SST {
                writer.take().expect("open").finish().map_err(rocks("finishing a merged SST file"))?;
                in_file = 0;
            }
            if next(i, &mut heads[i])? {
                heap.push(std::cmp::Reverse((key_of(&heads[i]), i)));
            }
        }
        if let Some(mut w) = writer {
            w.finish().map_err(rocks("finishing a merged SST file"))?;
        }
        for r in runs {
            let _ = std::fs::remove_file(r);
        }
        Ok(files)
    }
}

/// A chunk's sorted key-value pairs, per column family, in ingest order.
struct ChunkKvs<'r> {
    acct_by_id: Vec<([u8; 4], &'r [u8])>,
    acct_by_ext: Vec<(&'r [u8], [u8; 4])>,
    transfers: Vec<([u8; 8], Vec<u8>)>,
    txn_index: Vec<(&'r [u8], [u8; 16])>,
    out_edges: Vec<([u8; EdgeKey::LEN], [u8; EdgeValue::LEN])>,
    in_edges: Vec<([u8; EdgeKey::LEN], [u8; EdgeValue::LEN])>,
}

impl<'r> ChunkKvs<'r> {
    fn build(
        rows: &'r [Transfer],
        hashes: &[u64],
        accepted: &[(usize, Seq)],
        accepted_by_txn: &[(usize, Seq)],
        ids: &[(AccountId, AccountId)],
        new_accounts: &'r [(AccountId, String)],
    ) -> ChunkKvs<'r> {
        let acct_by_id: Vec<_> =
            new_accounts.iter().map(|(id, ext)| (keys::account_key(*id), ext.as_bytes())).collect();
        let mut acct_by_ext: Vec<_> =
            new_accounts.iter().map(|(id, ext)| (ext.as_bytes(), keys::account_key(*id))).collect();
        acct_by_ext.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        let transfers = accepted
            .par_iter()
            .zip(ids.par_iter())
            .map(|(&(r, seq), &(s, d))| {
                (
                    keys::seq_key(seq),
                    keys::encode_transfer(&crate::model::TransferRecord::from_transfer(&rows[r], s, d)),
                )
            })
            .collect();
        let txn_index: Vec<_> = accepted_by_txn
            .iter()
            .map(|&(r, seq)| (rows[r].txn_id.as_bytes(), TxnIndexValue { seq, content_hash: hashes[r] }.encode()))
            .collect();
        debug_assert!(txn_index.windows(2).all(|w| w[0].0 < w[1].0));
        // Sorted as integers (EdgeKey's field order is its byte order), encoded afterwards:
        // comparing structs is several times cheaper than memcmp on 20-byte arrays.
        let edges = |out: bool| {
            let mut e: Vec<(EdgeKey, EdgeValue)> = accepted
                .par_iter()
                .zip(ids.par_iter())
                .map(|(&(r, seq), &(s, d))| {
                    let t = &rows[r];
                    let (account, counterparty) = if out { (s, d) } else { (d, s) };
                    (
                        EdgeKey { account, ts_ms: t.ts_ms, seq },
                        EdgeValue {
                            counterparty,
                            amount_fen: t.amount_fen,
                            channel_code: keys::channel_code(&t.channel),
                        },
                    )
                })
                .collect();
            e.par_sort_unstable_by_key(|(k, _)| *k);
            e.into_par_iter().map(|(k, v)| (k.encode(), v.encode())).collect::<Vec<_>>()
        };
        let (out_edges, in_edges) = rayon::join(|| edges(true), || edges(false));
        ChunkKvs { acct_by_id, acct_by_ext, transfers, txn_index, out_edges, in_edges }
    }

    fn for_each_family<'a>(
        &'a self,
        mut f: impl FnMut(&'static str, Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a>),
    ) {
        f(cf::ACCT_BY_ID, Box::new(self.acct_by_id.iter().map(|(k, v)| (&k[..], *v))));
        f(cf::ACCT_BY_EXT, Box::new(self.acct_by_ext.iter().map(|(k, v)| (*k, &v[..]))));
        f(cf::TRANSFERS, Box::new(self.transfers.iter().map(|(k, v)| (&k[..], &v[..]))));
        f(cf::TXN_INDEX, Box::new(self.txn_index.iter().map(|(k, v)| (*k, &v[..]))));
        f(cf::OUT_EDGES, Box::new(self.out_edges.iter().map(|(k, v)| (&k[..], &v[..]))));
        f(cf::IN_EDGES, Box::new(self.in_edges.iter().map(|(k, v)| (&k[..], &v[..]))));
    }
}

/// Deletes everything above the committed watermark: what an interrupted ingest left.
/// Returns how many transfers and accounts were removed.
pub(super) fn rollback_above(store: &TransferStore, wm: Watermark) -> Result<(u64, u64)> {
    let mut removed = (0u64, 0u64);
    let mut batch = WriteBatch::default();
    let mut in_batch = 0usize;
    let flush = |batch: &mut WriteBatch, in_batch: &mut usize| -> Result<()> {
        if *in_batch > 0 {
            store.db.write(std::mem::take(batch)).map_err(rocks("rolling back an interrupted ingest"))?;
            *in_batch = 0;
        }
        Ok(())
    };
    {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        let mut it = store.db.raw_iterator_cf_opt(store.cf(cf::TRANSFERS), ro);
        it.seek(keys::seq_key(wm.next_seq));
        while let Some((k, v)) = it.item() {
            let seq = keys::decode_seq_key(k).ok_or_else(|| corrupt("transfer key", k))?;
            let t = keys::decode_transfer(v).ok_or_else(|| corrupt("transfer", k))?;
            batch.delete_cf(store.cf(cf::TXN_INDEX), t.txn_id.as_bytes());
            batch.delete_cf(store.cf(cf::OUT_EDGES), EdgeKey { account: t.src, ts_ms: t.ts_ms, seq }.encode());
            batch.delete_cf(store.cf(cf::IN_EDGES), EdgeKey { account: t.dst, ts_ms: t.ts_ms, seq }.encode());
            batch.delete_cf(store.cf(cf::TRANSFERS), k);
            removed.0 += 1;
            in_batch += 4;
            if in_batch >= ROLLBACK_BATCH {
                flush(&mut batch, &mut in_batch)?;
            }
            it.next();
        }
        it.status().map_err(rocks("scanning for an interrupted ingest"))?;
    }
    {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        let mut it = store.db.raw_iterator_cf_opt(store.cf(cf::ACCT_BY_ID), ro);
        it.seek(keys::account_key(wm.next_account));
        while let Some((k, v)) = it.item() {
            // Attributes (and their index entries) of an uncommitted account exist only when a bulk
            // commit ingested them before the crash.
            if let Some(raw) =
                store.db.get_cf(store.cf(cf::ACCT_ATTR), k).map_err(rocks("reading an uncommitted account"))?
            {
                let id = keys::decode_account_key(k).ok_or_else(|| corrupt("account key", k))?;
                let attrs = keys::decode_attrs(&raw).ok_or_else(|| corrupt("account attributes", k))?;
                for (kind, value) in attrs.shared_attributes() {
                    batch.delete_cf(store.cf(cf::ATTR_INDEX), keys::attr_index_key(kind, value, id));
                }
            }
            batch.delete_cf(store.cf(cf::ACCT_BY_EXT), v);
            batch.delete_cf(store.cf(cf::ACCT_ATTR), k);
            batch.delete_cf(store.cf(cf::ACCT_BY_ID), k);
            removed.1 += 1;
            in_batch += 3;
            if in_batch >= ROLLBACK_BATCH {
                flush(&mut batch, &mut in_batch)?;
            }
            it.next();
        }
        it.status().map_err(rocks("scanning for an interrupted ingest"))?;
    }
    flush(&mut batch, &mut in_batch)?;
    if removed != (0, 0) {
        // Durable before anything new is written above the watermark again.
        store.db.flush_wal(true).map_err(rocks("syncing the rollback"))?;
        tracing::info!(transfers = removed.0, accounts = removed.1, "removed what an interrupted ingest left");
    }
    Ok(removed)
}
