//! The on-disk transfer graph, in RocksDB. The only module that knows RocksDB.
//!
//! Consistency model: an ingest writes everything above the committed [`Watermark`] and moves the
//! watermark in one synced write when it commits. Readers take a RocksDB snapshot, read the watermark in
//! it, and ignore anything above it. So a reader never sees half an ingest, and a crash mid-ingest
//! leaves only invisible rows, which the next ingest removes before it starts ([`writer`]).

mod requests;
mod statements;
mod stops;
mod writer;

use std::path::{Path, PathBuf};

use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, DBCompressionType, DBRawIteratorWithThreadMode, Options,
    ReadOptions, SliceTransform, SnapshotWithThreadMode, WriteBatch, WriteOptions, DB,
};

pub use crate::graph::{Direction, Edge};
use crate::keys::{self, cf, EdgeKey, EdgeValue, MetaKey, TxnIndexValue};
use crate::model::{AccountAttrs, AccountId, AttrKind, Seq, TransferRecord};

pub use crate::keys::Watermark;
pub use requests::{RequestKey, Written, MAX_IDEMPOTENCY_KEY_LEN};
pub use statements::{StatementLineWrite, StatementWrites};
pub use stops::NewStop;
pub use writer::{IngestSession, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no moneytrail store at {path} (create one with `moneytrail ingest --db {path} ...`)")]
    Missing { path: PathBuf },
    #[error("cannot open the store at {path}: {source}")]
    Open { path: PathBuf, source: rocksdb::Error },
    /// Another process holds the store open for writing (one writer at a time: RocksDB's LOCK file).
    #[error("the store at {path} is open for writing in another process (most likely a running `moneytrail serve`)")]
    Locked { path: PathBuf },
    #[error("cannot write a copy of the store to {path}: {source}")]
    Checkpoint { path: PathBuf, source: rocksdb::Error },
    #[error("{path} is a RocksDB database but not a moneytrail store (no schema version)")]
    NotAStore { path: PathBuf },
    #[error("the store at {path} has on-disk format version {found}; this moneytrail reads version {expected} (re-ingest the source files into a new store)")]
    SchemaMismatch { path: PathBuf, found: u32, expected: u32 },
    #[error("the store at {path} has on-disk format version {found}; this moneytrail upgrades it to version {expected} when it opens it for writing: run `moneytrail migrate --db {path}` once")]
    NeedsMigration { path: PathBuf, found: u32, expected: u32 },
    #[error("storage error while {op}: {source}")]
    Rocks { op: &'static str, source: rocksdb::Error },
    #[error("corrupt {what} in the store (key {key})")]
    Corrupt { what: &'static str, key: String },
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the store was opened read-only")]
    ReadOnly,
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    #[error("no stop #{0} in the registry")]
    NoSuchStop(u64),
    #[error("no warning #{0}")]
    NoSuchWarning(u64),
    #[error("{0}")]
    StopRule(String),
    #[error("this idempotency key was used before for a different request")]
    KeyReused,
    #[error("the store at {path} kept changing while opening it for reading; try again")]
    Busy { path: PathBuf },
    #[error("more than {} accounts: the account id space is exhausted", AccountId::MAX)]
    TooManyAccounts,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn rocks(op: &'static str) -> impl FnOnce(rocksdb::Error) -> StoreError {
    move |source| StoreError::Rocks { op, source }
}

fn corrupt(what: &'static str, key: &[u8]) -> StoreError {
    let key = key.iter().map(|b| format!("{b:02x}")).collect::<String>();
    StoreError::Corrupt { what, key }
}

/// Names and sizes of the files a read-only open depends on: CURRENT, MANIFEST-*, *.log.
fn log_and_manifest_state(path: &Path) -> Vec<(std::ffi::OsString, u64)> {
    let mut state: Vec<_> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name == "CURRENT" || name.starts_with("MANIFEST-") || name.ends_with(".log")
        })
        .map(|e| (e.file_name(), e.metadata().map_or(0, |m| m.len())))
        .collect();
    state.sort();
    state
}

/// The transfer graph on disk.
pub struct TransferStore {
    db: DB,
    path: PathBuf,
    read_only: bool,
    /// One ingest session at a time (they allocate ids from the same watermark).
    ingest_lock: std::sync::Mutex<()>,
    /// Column-family options, kept so that SST files written for bulk loads match their family.
    cf_options: Vec<(&'static str, Options)>,
}

impl std::fmt::Debug for TransferStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferStore").field("path", &self.path).field("read_only", &self.read_only).finish()
    }
}

/// Older on-disk format versions this one upgrades in place (see `TransferStore::migrate`).
const MIGRATES_FROM: [u32; 2] = [4, 5];

/// Block cache per open store. Ingest memory is bounded at about 1 GiB in all (docs/performance.md, "Ingest").
const BLOCK_CACHE_BYTES: usize = 128 << 20;

fn db_options(cache: &Cache) -> (Options, Vec<(&'static str, Options)>) {
    let mut db = Options::default();
    db.create_if_missing(true);
    db.create_missing_column_families(true);
    db.increase_parallelism(2);
    db.set_max_background_jobs(2);
    // Bulk loads ingest one overlapping L0 file per chunk per family; let compaction catch up
    // instead of stalling the load.
    let cf_opts = cf::ALL
        .iter()
        .map(|&name| {
            let mut o = Options::default();
            let mut table = BlockBasedOptions::default();
            table.set_block_cache(cache);
            table.set_format_version(6);
            table.set_bloom_filter(10.0, false);
            match name {
                cf::OUT_EDGES | cf::IN_EDGES | cf::STMT_LEDGER => {
                    // Reads are "this account's edges": filter on the 4-byte account prefix.
                    o.set_prefix_extractor(SliceTransform::create_fixed_prefix(4));
                    o.set_memtable_prefix_bloom_ratio(0.1);
                    table.set_whole_key_filtering(false);
                }
                cf::ATTR_INDEX | cf::TRANSFERS | cf::ACCT_BY_ID | cf::ACCT_ATTR | cf::META => {}
                _ => {}
            }
            o.set_block_based_table_factory(&table);
            o.set_compression_type(DBCompressionType::Lz4);
            o.set_bottommost_compression_type(DBCompressionType::Zstd);
            o.set_level_compaction_dynamic_level_bytes(true);
            o.set_level_zero_slowdown_writes_trigger(64);
            o.set_level_zero_stop_writes_trigger(128);
            o.set_write_buffer_size(64 << 20);
            o.set_target_file_size_base(64 << 20);
            (name, o)
        })
        .collect();
    (db, cf_opts)
}

impl TransferStore {
    /// Opens an existing store for reading and writing (upgrading an older format); never creates one.
    pub fn open_existing(path: &Path) -> Result<TransferStore> {
        if !path.join("CURRENT").exists() {
            return Err(StoreError::Missing { path: path.into() });
        }
        Self::open(path)
    }

    /// Opens the store for reading and writing, creating it if missing. One process at a time.
    pub fn open(path: &Path) -> Result<TransferStore> {
        std::fs::create_dir_all(path).map_err(|source| StoreError::Io { path: path.into(), source })?;
        let existed = path.join("CURRENT").exists();
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let (opts, cf_options) = db_options(&cache);
        let descriptors = cf_options.iter().map(|(n, o)| ColumnFamilyDescriptor::new(*n, o.clone()));
        let db = DB::open_cf_descriptors(&opts, path, descriptors).map_err(|source| {
            // RocksDB says "IO error: While lock file: …/LOCK: Resource temporarily unavailable" (another
            // process) or "lock hold by current process" (this one): either way, someone else writes here.
            if source.kind() == rocksdb::ErrorKind::IOError && source.to_string().contains("lock") {
                StoreError::Locked { path: path.into() }
            } else {
                StoreError::Open { path: path.into(), source }
            }
        })?;
        let store =
            TransferStore { db, path: path.into(), read_only: false, ingest_lock: Default::default(), cf_options };
        if existed {
            store.check_schema()?;
        } else {
            let mut batch = WriteBatch::default();
            batch.put_cf(store.cf(cf::META), MetaKey::SCHEMA_VERSION, keys::SCHEMA_VERSION.to_be_bytes());
            batch.put_cf(store.cf(cf::META), MetaKey::WATERMARK, Watermark::default().encode());
            store.write_synced(batch)?;
        }
        Ok(store)
    }

    /// Opens an existing store for reading only. Works while another process ingests into it: the
    /// view is what was committed when it opened.
    ///
    /// RocksDB's read-only open reads the MANIFEST and then replays the write-ahead logs; a writer that
    /// flushes in between can delete a log whose data the reader's MANIFEST view does not yet hold, and
    /// the reader would see a newer watermark without the rows under it. So the open is optimistic: the
    /// MANIFEST and log files are listed (with sizes) before and after, and any change means open again.
    pub fn open_read_only(path: &Path) -> Result<TransferStore> {
        if !path.join("CURRENT").exists() {
            return Err(StoreError::Missing { path: path.into() });
        }
        const ATTEMPTS: u32 = 50;
        let mut last_err = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(u64::from(attempt.min(10)) * 20));
            }
            let before = log_and_manifest_state(path);
            let opened = Self::open_read_only_once(path);
            let after = log_and_manifest_state(path);
            match opened {
                Ok(store) if before == after => return Ok(store),
                Ok(_) => {}
                Err(e @ (StoreError::SchemaMismatch { .. } | StoreError::Missing { .. })) => return Err(e),
                Err(e) if before == after => return Err(e),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or(StoreError::Busy { path: path.into() }))
    }

    fn open_read_only_once(path: &Path) -> Result<TransferStore> {
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let (mut opts, cf_options) = db_options(&cache);
        // A store from an older format may lack column families added since: say so by version,
        // rather than RocksDB's "column family not found".
        let existing = DB::list_cf(&opts, path).map_err(|source| StoreError::Open { path: path.into(), source })?;
        if cf::ALL.iter().any(|name| !existing.iter().any(|e| e == name)) {
            let old = DB::open_cf_for_read_only(&opts, path, &existing, false)
                .map_err(|source| StoreError::Open { path: path.into(), source })?;
            let found = match old.cf_handle(cf::META).map(|h| old.get_cf(h, MetaKey::SCHEMA_VERSION)) {
                Some(Ok(Some(raw))) => raw.as_slice().try_into().map(u32::from_be_bytes).unwrap_or(0),
                _ => return Err(StoreError::NotAStore { path: path.into() }),
            };
            if MIGRATES_FROM.contains(&found) {
                return Err(StoreError::NeedsMigration { path: path.into(), found, expected: keys::SCHEMA_VERSION });
            }
            return Err(StoreError::SchemaMismatch { path: path.into(), found, expected: keys::SCHEMA_VERSION });
        }
        // Open every table file now, so files that a concurrent writer's compaction deletes later
        // stay readable through the open handles.
        opts.set_max_open_files(-1);
        let descriptors = cf_options.iter().map(|(n, o)| ColumnFamilyDescriptor::new(*n, o.clone()));
        let db = DB::open_cf_descriptors_read_only(&opts, path, descriptors, false)
            .map_err(|source| StoreError::Open { path: path.into(), source })?;
        let store =
            TransferStore { db, path: path.into(), read_only: true, ingest_lock: Default::default(), cf_options };
        store.check_schema()?;
        Ok(store)
    }

    fn check_schema(&self) -> Result<()> {
        let raw =
            self.db.get_cf(self.cf(cf::META), MetaKey::SCHEMA_VERSION).map_err(rocks("reading the schema version"))?;
        let Some(raw) = raw else {
            return Err(StoreError::NotAStore { path: self.path.clone() });
        };
        let found = u32::from_be_bytes(
            raw.as_slice().try_into().map_err(|_| corrupt("schema version", MetaKey::SCHEMA_VERSION))?,
        );
        if found == keys::SCHEMA_VERSION {
            return Ok(());
        }
        if MIGRATES_FROM.contains(&found) {
            if self.read_only {
                return Err(StoreError::NeedsMigration {
                    path: self.path.clone(),
                    found,
                    expected: keys::SCHEMA_VERSION,
                });
            }
            return self.migrate(found);
        }
        Err(StoreError::SchemaMismatch { path: self.path.clone(), found, expected: keys::SCHEMA_VERSION })
    }

    /// Upgrades an older store in place. Version 4 → 5 added the statement families (`stmt_files`,
    /// `stmt_lines`, `stmt_ledger`, `provenance`), 5 → 6 the `requests` family; the open has just created
    /// them empty and nothing else changed, so the upgrade is the new version number, written synced.
    fn migrate(&self, from: u32) -> Result<()> {
        tracing::info!(path = %self.path.display(), from, to = keys::SCHEMA_VERSION, "upgrading the store's on-disk format");
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(cf::META), MetaKey::SCHEMA_VERSION, keys::SCHEMA_VERSION.to_be_bytes());
        self.write_synced(batch)
    }

    /// The on-disk format version of the store as opened.
    pub fn schema_version(&self) -> Result<u32> {
        let raw =
            self.db.get_cf(self.cf(cf::META), MetaKey::SCHEMA_VERSION).map_err(rocks("reading the schema version"))?;
        let raw = raw.ok_or_else(|| StoreError::NotAStore { path: self.path.clone() })?;
        Ok(u32::from_be_bytes(
            raw.as_slice().try_into().map_err(|_| corrupt("schema version", MetaKey::SCHEMA_VERSION))?,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        // Every family in cf::ALL is created on open, so a miss is a programming error.
        self.db.cf_handle(name).unwrap_or_else(|| panic!("column family {name} not opened"))
    }

    /// Options for bulk-load SST files of a family: its table format and prefix extractor, but LZ4.
    /// (`SstFileWriter` otherwise uses the bottommost codec, zstd, which costs more than the rest of
    /// the load; compaction recompresses the bottom level later, in the background.)
    pub(crate) fn sst_writer_options(&self, name: &str) -> Options {
        let mut o = self
            .cf_options
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no options for {name}"))
            .1
            .clone();
        o.set_bottommost_compression_type(DBCompressionType::Lz4);
        o
    }

    pub(crate) fn write_synced(&self, batch: WriteBatch) -> Result<()> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo).map_err(rocks("writing"))
    }

    pub(crate) fn committed_watermark(&self) -> Result<Watermark> {
        let raw = self.db.get_cf(self.cf(cf::META), MetaKey::WATERMARK).map_err(rocks("reading the watermark"))?;
        raw.as_deref().map_or(Ok(Watermark::default()), |b| {
            Watermark::decode(b).ok_or_else(|| corrupt("watermark", MetaKey::WATERMARK))
        })
    }

    /// A consistent read view: what was committed at this moment.
    pub fn view(&self) -> Result<StoreView<'_>> {
        let snap = self.db.snapshot();
        let raw = snap.get_cf(self.cf(cf::META), MetaKey::WATERMARK).map_err(rocks("reading the watermark"))?;
        let wm = raw.as_deref().map_or(Ok(Watermark::default()), |b| {
            Watermark::decode(b).ok_or_else(|| corrupt("watermark", MetaKey::WATERMARK))
        })?;
        Ok(StoreView { store: self, snap, wm })
    }

    /// Starts an ingest (see [`IngestSession`]). Removes what an interrupted ingest left first.
    pub fn begin_ingest(&self) -> Result<IngestSession<'_>> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        IngestSession::begin(self)
    }

    /// A hash of every key and value in every column family, including anything an interrupted
    /// ingest left above the watermark: equal digests mean the stores hold the same bytes.
    pub fn digest(&self) -> Result<u64> {
        self.digest_of(|_| true)
    }

    /// [`TransferStore::digest`] over the column families `include` names (e.g. all but `warnings`, whose
    /// records carry the time they were raised).
    pub fn digest_of(&self, include: impl Fn(&str) -> bool) -> Result<u64> {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for name in cf::ALL.into_iter().filter(|n| include(n)) {
            h.update(name.as_bytes());
            let mut ro = ReadOptions::default();
            ro.set_total_order_seek(true);
            let mut it = self.db.raw_iterator_cf_opt(self.cf(name), ro);
            it.seek_to_first();
            while let Some((k, v)) = it.item() {
                h.update(&(k.len() as u64).to_be_bytes());
                h.update(k);
                h.update(&(v.len() as u64).to_be_bytes());
                h.update(v);
                it.next();
            }
            it.status().map_err(rocks("computing the digest"))?;
        }
        Ok(h.digest())
    }

    /// Writes a consistent copy of the store as it stands into `out`, which must not exist: RocksDB's
    /// checkpoint (memtables flushed, table files hard-linked where `out` is on the same filesystem, so
    /// it is quick and small there, copied otherwise). Works while readers and an ingest go on: an
    /// ingest's uncommitted rows may be in the copy above its watermark, invisible as in the store, and
    /// rolled back when the copy is next opened for writing. The store directory's other files (audit
    /// log, rejects, staging) are not part of it.
    pub fn checkpoint(&self, out: &Path) -> Result<()> {
        let cp = rocksdb::checkpoint::Checkpoint::new(&self.db).map_err(rocks("preparing a checkpoint"))?;
        cp.create_checkpoint(out).map_err(|source| StoreError::Checkpoint { path: out.into(), source })
    }

    /// Makes a store at `db` from the checkpoint at `from` (a flat directory of RocksDB files), copying
    /// and syncing each file and the directory. `db` must not exist, or be empty.
    pub fn restore_checkpoint(from: &Path, db: &Path) -> Result<()> {
        fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
            move |source| StoreError::Io { path: path.into(), source }
        }
        if db.exists() && std::fs::read_dir(db).map_or(true, |mut d| d.next().is_some()) {
            return Err(StoreError::Io {
                path: db.into(),
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "exists and is not empty"),
            });
        }
        std::fs::create_dir_all(db).map_err(io(db))?;
        let entries: Vec<PathBuf> = std::fs::read_dir(from)
            .map_err(io(from))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(io(from))?;
        for src in entries {
            if src.is_file() {
                let dst = db.join(src.file_name().unwrap_or_default());
                std::fs::copy(&src, &dst).map_err(io(&src))?;
                std::fs::File::open(&dst).and_then(|f| f.sync_all()).map_err(io(&dst))?;
            }
        }
        std::fs::File::open(db).and_then(|d| d.sync_all()).map_err(io(db))
    }

    /// Bytes on disk of the live SST files (for benchmarks and `stats`).
    pub fn size_on_disk(&self) -> u64 {
        self.db.live_files().map(|files| files.iter().map(|f| f.size as u64).sum()).unwrap_or(0)
    }
}

/// A consistent, read-only view of the committed store.
pub struct StoreView<'a> {
    store: &'a TransferStore,
    snap: SnapshotWithThreadMode<'a, DB>,
    wm: Watermark,
}

impl std::fmt::Debug for StoreView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreView").field("watermark", &self.wm).finish()
    }
}

impl<'a> StoreView<'a> {
    pub fn watermark(&self) -> Watermark {
        self.wm
    }

    pub fn account_count(&self) -> u64 {
        u64::from(self.wm.next_account)
    }

    fn get(&self, cf_name: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.snap.get_cf(self.store.cf(cf_name), key).map_err(rocks("reading"))
    }

    fn iter(&self, cf_name: &str, lower: Vec<u8>, upper: Option<Vec<u8>>) -> DBRawIteratorWithThreadMode<'_, DB> {
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(lower.clone());
        if let Some(upper) = upper {
            ro.set_iterate_upper_bound(upper);
        } else {
            ro.set_total_order_seek(true);
        }
        let mut it = self.snap.raw_iterator_cf_opt(self.store.cf(cf_name), ro);
        it.seek(&lower);
        it
    }

    /// The internal id of an external account id, if the account is known.
    pub fn account_id(&self, external: &str) -> Result<Option<AccountId>> {
        let Some(raw) = self.get(cf::ACCT_BY_EXT, external.as_bytes())? else { return Ok(None) };
        let id =
            keys::decode_account_key(&raw).ok_or_else(|| corrupt("account dictionary entry", external.as_bytes()))?;
        Ok((id < self.wm.next_account).then_some(id))
    }

    /// The external id of an account.
    pub fn account_external(&self, id: AccountId) -> Result<Option<String>> {
        if id >= self.wm.next_account {
            return Ok(None);
        }
        let key = keys::account_key(id);
        let Some(raw) = self.get(cf::ACCT_BY_ID, &key)? else { return Ok(None) };
        String::from_utf8(raw).map(Some).map_err(|_| corrupt("account id", &key))
    }

    /// What the accounts files said about an account (defaults when nothing was said).
    pub fn account_attrs(&self, id: AccountId) -> Result<AccountAttrs> {
        let key = keys::account_key(id);
        match self.get(cf::ACCT_ATTR, &key)? {
            Some(raw) => keys::decode_attrs(&raw).ok_or_else(|| corrupt("account attributes", &key)),
            None => Ok(AccountAttrs::default()),
        }
    }

    /// Accounts whose attribute `kind` has exactly `value`, in id order.
    pub fn accounts_sharing(&self, kind: AttrKind, value: &str) -> Result<Vec<AccountId>> {
        let prefix = keys::attr_index_prefix(kind, value);
        let mut upper = prefix.clone();
        // The prefix ends in 0x00; bumping it to 0x01 bounds the scan to exactly this value.
        if let Some(last) = upper.last_mut() {
            *last = 1;
        }
        let mut it = self.iter(cf::ATTR_INDEX, prefix, Some(upper));
        let mut out = Vec::new();
        while let Some(k) = it.key() {
            let (_, _, id) = keys::decode_attr_index_key(k).ok_or_else(|| corrupt("attribute index", k))?;
            if id < self.wm.next_account {
                out.push(id);
            }
            it.next();
        }
        it.status().map_err(rocks("scanning the attribute index"))?;
        Ok(out)
    }

    /// (value, account) of one attribute kind for values in `from..=to` (`to` None: all from `from`).
    pub fn attribute_range(&self, kind: AttrKind, from: &str, to: Option<&str>) -> Result<Vec<(String, AccountId)>> {
        let (lower, upper) = keys::attr_index_range(kind, from, to);
        let mut it = self.iter(cf::ATTR_INDEX, lower, Some(upper));
        let mut out = Vec::new();
        while let Some(k) = it.key() {
            let (_, value, id) = keys::decode_attr_index_key(k).ok_or_else(|| corrupt("attribute index", k))?;
            if id < self.wm.next_account {
                out.push((value, id));
            }
            it.next();
        }
        it.status().map_err(rocks("scanning the attribute index"))?;
        Ok(out)
    }

    /// External ids starting with `prefix` and ending with `suffix` (the accounts a masked number such as
    /// `6217****5678` may be), at most `limit`, in id order. Without a prefix every id is looked at.
    pub fn accounts_like(&self, prefix: &str, suffix: &str, limit: usize) -> Result<Vec<(String, AccountId)>> {
        let (lower, upper) = keys::external_prefix_range(prefix);
        let mut it = self.iter(cf::ACCT_BY_EXT, lower, upper);
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if k.ends_with(suffix.as_bytes()) && k.len() > prefix.len() + suffix.len() {
                let id = keys::decode_account_key(v).ok_or_else(|| corrupt("account dictionary entry", k))?;
                if id < self.wm.next_account {
                    out.push((String::from_utf8_lossy(k).into_owned(), id));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            it.next();
        }
        it.status().map_err(rocks("scanning the account dictionary"))?;
        Ok(out)
    }

    /// An account's edges with `from_ms <= ts <= to_ms`, in (time, seq) order.
    pub fn edges(&self, account: AccountId, dir: Direction, from_ms: i64, to_ms: i64) -> Result<Vec<Edge>> {
        let mut out = Vec::new();
        self.for_each_edge(account, dir, from_ms, to_ms, |e| {
            out.push(e);
            true
        })?;
        Ok(out)
    }

    /// Calls `f` on each edge in the window in order until it returns false.
    pub fn for_each_edge(
        &self,
        account: AccountId,
        dir: Direction,
        from_ms: i64,
        to_ms: i64,
        mut f: impl FnMut(Edge) -> bool,
    ) -> Result<()> {
        let cf_name = match dir {
            Direction::Out => cf::OUT_EDGES,
            Direction::In => cf::IN_EDGES,
        };
        let (lower, upper) = EdgeKey::window_bounds(account, from_ms, to_ms);
        let mut it = self.iter(cf_name, lower, Some(upper));
        while let Some((k, v)) = it.item() {
            let key = EdgeKey::decode(k).ok_or_else(|| corrupt("edge key", k))?;
            if key.seq < self.wm.next_seq {
                let val = EdgeValue::decode(v).ok_or_else(|| corrupt("edge value", k))?;
                let edge = Edge {
                    ts_ms: key.ts_ms,
                    seq: key.seq,
                    counterparty: val.counterparty,
                    amount_fen: val.amount_fen,
                    channel: keys::channel_kind_of_code(val.channel_code),
                };
                if !f(edge) {
                    return Ok(());
                }
            }
            it.next();
        }
        it.status().map_err(rocks("scanning edges"))
    }

    /// The full record of a transfer.
    pub fn transfer(&self, seq: Seq) -> Result<Option<TransferRecord>> {
        if seq >= self.wm.next_seq {
            return Ok(None);
        }
        let key = keys::seq_key(seq);
        match self.get(cf::TRANSFERS, &key)? {
            Some(raw) => keys::decode_transfer(&raw).map(Some).ok_or_else(|| corrupt("transfer", &key)),
            None => Ok(None),
        }
    }

    /// A transfer by its external id.
    pub fn transfer_by_txn_id(&self, txn_id: &str) -> Result<Option<(Seq, TransferRecord)>> {
        let Some(raw) = self.get(cf::TXN_INDEX, txn_id.as_bytes())? else { return Ok(None) };
        let v = TxnIndexValue::decode(&raw).ok_or_else(|| corrupt("transaction index entry", txn_id.as_bytes()))?;
        Ok(self.transfer(v.seq)?.map(|t| (v.seq, t)))
    }

    /// Every committed transfer in seq order (for whole-store statistics and exports).
    pub fn for_each_transfer(&self, mut f: impl FnMut(Seq, TransferRecord)) -> Result<()> {
        let mut it =
            self.iter(cf::TRANSFERS, keys::seq_key(0).to_vec(), Some(keys::seq_key(self.wm.next_seq).to_vec()));
        while let Some((k, v)) = it.item() {
            let seq = keys::decode_seq_key(k).ok_or_else(|| corrupt("transfer key", k))?;
            f(seq, keys::decode_transfer(v).ok_or_else(|| corrupt("transfer", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning transfers"))
    }

    /// Every account with recorded attributes, in id order.
    pub fn for_each_account_attrs(&self, mut f: impl FnMut(AccountId, AccountAttrs)) -> Result<()> {
        let mut it = self.iter(
            cf::ACCT_ATTR,
            keys::account_key(0).to_vec(),
            Some(keys::account_key(self.wm.next_account).to_vec()),
        );
        while let Some((k, v)) = it.item() {
            let id = keys::decode_account_key(k).ok_or_else(|| corrupt("account key", k))?;
            f(id, keys::decode_attrs(v).ok_or_else(|| corrupt("account attributes", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning accounts"))
    }
}

#[cfg(test)]
mod tests;

/// The graph trait knows nothing of its implementations: the store wraps its errors as opaque graph errors.
impl From<StoreError> for crate::graph::GraphError {
    fn from(e: StoreError) -> Self {
        crate::graph::GraphError::backend(e)
    }
}

impl crate::graph::TransferGraph for StoreView<'_> {
    fn account_id(&self, external: &str) -> crate::graph::GraphResult<Option<AccountId>> {
        timed_read(|| Ok(StoreView::account_id(self, external)?))
    }
    fn account_external(&self, id: AccountId) -> crate::graph::GraphResult<String> {
        timed_read(|| Ok(StoreView::account_external(self, id)?.unwrap_or_else(|| format!("#{id}"))))
    }
    fn account_attrs(&self, id: AccountId) -> crate::graph::GraphResult<AccountAttrs> {
        timed_read(|| Ok(StoreView::account_attrs(self, id)?))
    }
    fn for_each_edge(
        &self,
        account: AccountId,
        dir: Direction,
        from_ms: i64,
        to_ms: i64,
        f: &mut dyn FnMut(Edge) -> bool,
    ) -> crate::graph::GraphResult<()> {
        timed_read(|| Ok(StoreView::for_each_edge(self, account, dir, from_ms, to_ms, f)?))
    }
    fn transfer(&self, seq: Seq) -> crate::graph::GraphResult<Option<TransferRecord>> {
        timed_read(|| Ok(StoreView::transfer(self, seq)?))
    }
    fn transfer_by_txn_id(&self, txn_id: &str) -> crate::graph::GraphResult<Option<(Seq, TransferRecord)>> {
        timed_read(|| Ok(StoreView::transfer_by_txn_id(self, txn_id)?))
    }
    fn account_count(&self) -> AccountId {
        self.wm.next_account
    }
    fn accounts_sharing(&self, kind: AttrKind, value: &str) -> crate::graph::GraphResult<Vec<AccountId>> {
        timed_read(|| Ok(StoreView::accounts_sharing(self, kind, value)?))
    }
    fn attribute_range(
        &self,
        kind: AttrKind,
        from: &str,
        to: Option<&str>,
    ) -> crate::graph::GraphResult<Vec<(String, AccountId)>> {
        timed_read(|| Ok(StoreView::attribute_range(self, kind, from, to)?))
    }
    fn opening_balance(&self, account: AccountId) -> crate::graph::GraphResult<Option<i64>> {
        timed_read(|| Ok(StoreView::opening_balance(self, account)?.map(|(_, fen)| fen)))
    }
    fn balance_at(&self, account: AccountId, ts_ms: i64) -> crate::graph::GraphResult<Option<i64>> {
        timed_read(|| Ok(StoreView::balance_at(self, account, ts_ms)?))
    }
    fn sources(&self, seq: Seq) -> crate::graph::GraphResult<Vec<crate::model::SourceLine>> {
        timed_read(|| Ok(StoreView::sources(self, seq)?))
    }
}

thread_local! {
    /// Nanoseconds this thread spent in the store's reads since its [`ReadClock`] started.
    static READ_NANOS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Time spent inside the store's reads (the `TransferGraph` calls analysis makes) on the current thread:
/// what the API's `Server-Timing` reports as `store`. Start it, run the use case, read it. Rayon workers
/// are other threads, so whole-graph work in parallel counts as analysis.
#[derive(Debug)]
pub struct ReadClock(());

impl ReadClock {
    pub fn start() -> ReadClock {
        READ_NANOS.with(|c| c.set(0));
        ReadClock(())
    }

    pub fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(READ_NANOS.with(std::cell::Cell::get))
    }
}

fn timed_read<T>(f: impl FnOnce() -> T) -> T {
    let t0 = std::time::Instant::now();
    let r = f();
    let spent = t0.elapsed().as_nanos() as u64;
    READ_NANOS.with(|c| c.set(c.get().saturating_add(spent)));
    r
}
