//! Statement lines and provenance: the ledger of each account's statement lines, which transfer each line
//! became, and which lines each stored transfer was read from. Written in the commit of a statement import
//! (so all or nothing), read by statement checks, traces (opening balances), freeze caps (real balances)
//! and evidence (the lines a stop-payment request cites).

use rocksdb::ReadOptions;

use super::{corrupt, rocks, IngestSession, Result, StoreView};
use crate::keys::{self, cf, EdgeKey, MetaKey, Watermark};
use crate::model::{AccountId, AttrKind, LedgerEntry, Seq, SourceLine, StatementFileRecord};

/// What a statement import writes beside its transfers, in its commit.
#[derive(Clone, Debug, Default)]
pub struct StatementWrites {
    /// The files read, in order: (name, how it was decoded).
    pub files: Vec<(String, String)>,
    /// Every new statement line, in the bank's order within each file.
    pub lines: Vec<StatementLineWrite>,
    /// Shared attributes the lines show (login IPs, MAC addresses) for the attribute index.
    pub shared: Vec<(AttrKind, String, AccountId)>,
}

/// One statement line to store: its id, the file (index into `files`) and its ledger entry (numbers are
/// assigned at commit).
#[derive(Clone, Debug)]
pub struct StatementLineWrite {
    pub id: String,
    pub file: usize,
    pub entry: LedgerEntry,
}

impl IngestSession<'_> {
    /// Commits the transfers of a statement import with its files, ledger lines, line targets and the
    /// provenance of every transfer, in the one synced write that moves the watermark. File and line
    /// numbers continue from the store's counters, so a rerun after a crash assigns the same ones.
    pub fn commit_statements(self, w: StatementWrites) -> Result<Watermark> {
        if w.files.is_empty() && w.lines.is_empty() && w.shared.is_empty() {
            return self.commit();
        }
        let view = self.store_view()?;
        let (mut next_file, mut next_line) = view.statement_counters()?;
        drop(view);
        let mut extra: Vec<(&'static str, Vec<u8>, Vec<u8>)> = Vec::new();
        let mut file_no = Vec::with_capacity(w.files.len());
        for (name, encoding) in w.files {
            let rec = StatementFileRecord { file_no: next_file, name, encoding };
            extra.push((cf::STMT_FILES, next_file.to_be_bytes().to_vec(), keys::encode_statement_file(&rec)));
            file_no.push(next_file);
            next_file += 1;
        }
        for l in w.lines {
            let mut e = l.entry;
            e.line_no = next_line;
            next_line += 1;
            e.file_no = file_no.get(l.file).copied().unwrap_or_default();
            let key = keys::ledger_key(e.account, e.ts_ms, e.line_no);
            extra.push((cf::STMT_LINES, l.id.into_bytes(), keys::encode_line_target(e.seq, e.side).to_vec()));
            if let Some(s) = e.seq {
                extra.push((cf::PROVENANCE, keys::provenance_key(s, e.side).to_vec(), key.to_vec()));
            }
            extra.push((cf::STMT_LEDGER, key.to_vec(), keys::encode_ledger_entry(&e)));
        }
        for (kind, value, account) in w.shared {
            extra.push((cf::ATTR_INDEX, keys::attr_index_key(kind, &value, account), Vec::new()));
        }
        extra.push((cf::META, MetaKey::NEXT_STMT_FILE.to_vec(), next_file.to_be_bytes().to_vec()));
        extra.push((cf::META, MetaKey::NEXT_STMT_LINE.to_vec(), next_line.to_be_bytes().to_vec()));
        self.commit_with(extra)
    }
}

/// Where a statement line went: the transfer (if any) and the side it was seen from.
pub type LineTarget = (Option<Seq>, u8);

impl StoreView<'_> {
    /// The next statement file number and line number.
    pub fn statement_counters(&self) -> Result<(u32, u64)> {
        let file = match self.get(cf::META, MetaKey::NEXT_STMT_FILE)? {
            Some(b) => u32::from_be_bytes(
                b.as_slice().try_into().map_err(|_| corrupt("statement file counter", MetaKey::NEXT_STMT_FILE))?,
            ),
            None => 0,
        };
        let line = match self.get(cf::META, MetaKey::NEXT_STMT_LINE)? {
            Some(b) => u64::from_be_bytes(
                b.as_slice().try_into().map_err(|_| corrupt("statement line counter", MetaKey::NEXT_STMT_LINE))?,
            ),
            None => 0,
        };
        Ok((file, line))
    }

    /// Where a statement line went when it was imported (a transfer and the side), if it was.
    pub fn statement_line(&self, id: &str) -> Result<Option<(Option<Seq>, u8)>> {
        match self.get(cf::STMT_LINES, id.as_bytes())? {
            Some(raw) => {
                keys::decode_line_target(&raw).map(Some).ok_or_else(|| corrupt("statement line", id.as_bytes()))
            }
            None => Ok(None),
        }
    }

    /// Several lines at once (one batched read).
    pub fn statement_lines(&self, ids: &[&str]) -> Result<Vec<Option<LineTarget>>> {
        let family = self.store.cf(cf::STMT_LINES);
        let found = self.snap.multi_get_cf(ids.iter().map(|id| (family, id.as_bytes())));
        found
            .into_iter()
            .zip(ids)
            .map(|(r, id)| match r.map_err(rocks("reading statement lines"))? {
                Some(raw) => {
                    keys::decode_line_target(&raw).map(Some).ok_or_else(|| corrupt("statement line", id.as_bytes()))
                }
                None => Ok(None),
            })
            .collect()
    }

    /// An account's statement lines with `from_ms <= ts <= to_ms`, in the bank's order.
    pub fn ledger(&self, account: AccountId, from_ms: i64, to_ms: i64) -> Result<Vec<LedgerEntry>> {
        let (lower, upper) = EdgeKey::window_bounds(account, from_ms, to_ms);
        let mut it = self.iter(cf::STMT_LEDGER, lower, Some(upper));
        let mut out = Vec::new();
        while let Some((k, v)) = it.item() {
            out.push(keys::decode_ledger_entry(k, v).ok_or_else(|| corrupt("statement line", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning a statement ledger"))?;
        Ok(out)
    }

    /// The accounts that have statement lines, in id order.
    pub fn ledger_accounts(&self) -> Result<Vec<AccountId>> {
        let mut out = Vec::new();
        let mut next: AccountId = 0;
        loop {
            let mut ro = ReadOptions::default();
            ro.set_iterate_lower_bound(keys::account_key(next).to_vec());
            ro.set_total_order_seek(true);
            let mut it = self.snap.raw_iterator_cf_opt(self.store.cf(cf::STMT_LEDGER), ro);
            it.seek(keys::account_key(next));
            let Some(k) = it.key() else {
                it.status().map_err(rocks("scanning statement ledgers"))?;
                return Ok(out);
            };
            let account = EdgeKey::decode(k).ok_or_else(|| corrupt("statement line", k))?.account;
            out.push(account);
            match account.checked_add(1) {
                Some(n) => next = n,
                None => return Ok(out),
            }
        }
    }

    /// A statement file's record.
    pub fn statement_file(&self, file_no: u32) -> Result<Option<StatementFileRecord>> {
        match self.get(cf::STMT_FILES, &file_no.to_be_bytes())? {
            Some(raw) => keys::decode_statement_file(file_no, &raw)
                .map(Some)
                .ok_or_else(|| corrupt("statement file", &file_no.to_be_bytes())),
            None => Ok(None),
        }
    }

    /// The statement lines a transfer was read from (the payer's, the payee's, or both), as cited.
    pub fn sources(&self, seq: Seq) -> Result<Vec<SourceLine>> {
        let mut out = Vec::new();
        for side in [0u8, 1] {
            let Some(ledger_key) = self.get(cf::PROVENANCE, &keys::provenance_key(seq, side))? else { continue };
            let Some(raw) = self.get(cf::STMT_LEDGER, &ledger_key)? else {
                return Err(corrupt("provenance without its statement line", &ledger_key));
            };
            let e =
                keys::decode_ledger_entry(&ledger_key, &raw).ok_or_else(|| corrupt("statement line", &ledger_key))?;
            let file = self.statement_file(e.file_no)?.map(|f| f.name).unwrap_or_default();
            out.push(SourceLine {
                statement_of: if side == 0 { "payer".into() } else { "payee".into() },
                account: self.account_external(e.account)?.unwrap_or_default(),
                file,
                sheet: e.sheet,
                row: e.row,
                serial: e.serial,
            });
        }
        Ok(out)
    }

    /// Which sides' statements a stored transfer was seen in: (payer's, payee's).
    pub fn seen_sides(&self, seq: Seq) -> Result<(bool, bool)> {
        let src = self.get(cf::PROVENANCE, &keys::provenance_key(seq, 0))?.is_some();
        let dst = self.get(cf::PROVENANCE, &keys::provenance_key(seq, 1))?.is_some();
        Ok((src, dst))
    }

    /// The balance before an account's first statement line, when its statement gives balances: the money
    /// it held that no recorded transfer explains.
    pub fn opening_balance(&self, account: AccountId) -> Result<Option<(i64, i64)>> {
        let lines = self.ledger(account, i64::MIN, i64::MAX)?;
        let c = crate::statements::check::continuity(&ledger_lines(&lines));
        Ok(c.opening_fen.zip(c.first_ts_ms).map(|(fen, ts)| (ts, fen)))
    }

    /// The account's real balance after its last statement line at or before `ts`, from the bank's
    /// balances (lines without one carried by their amounts).
    pub fn balance_at(&self, account: AccountId, ts_ms: i64) -> Result<Option<i64>> {
        let lines = self.ledger(account, i64::MIN, ts_ms)?;
        let mut balance: Option<i64> = None;
        let mut pending = 0i64;
        for l in &lines {
            match l.balance_fen {
                Some(b) => {
                    balance = Some(b);
                    pending = 0;
                }
                None => pending += l.signed_fen,
            }
        }
        Ok(balance.map(|b| b + pending))
    }
}

/// Ledger entries as the continuity check reads them.
pub fn ledger_lines(entries: &[LedgerEntry]) -> Vec<crate::statements::check::LedgerLine> {
    entries
        .iter()
        .map(|e| crate::statements::check::LedgerLine {
            ts_ms: e.ts_ms,
            signed_fen: e.signed_fen,
            balance_fen: e.balance_fen,
            source: format!("file #{}, {} row {}", e.file_no, e.sheet, e.row),
        })
        .collect()
}
