//! A statement import, planned: what the lines of the files read become, decided without the store.
//!
//! Given the files as read and what the store already holds ([`Seen`]: which line ids were imported before,
//! which stored transfers a record may be the other side of), [`plan`] gives each line its deterministic id,
//! leaves out lines imported before, pairs the two statements' records of one transfer (in this import and
//! against what is stored), merges what the lines say about their accounts, and lists the new transfers,
//! the refused lines and, for every line kept, the transfer it stands for. The use case
//! (`app::statements::import`) commits a plan; everything here is a function of its inputs, so it is tested
//! without a store.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::line::{Flow, StatementLine};
use super::reconcile::{
    line_id, orient, other_account, reconcile, Candidate, Outcome, Record, Side, StoredTransfer, CASH_ACCOUNT,
    MERCHANT_PREFIX, NAMED_PREFIX, PLATFORM_PREFIX,
};
use super::{LinePlace, StatementFile};
use crate::ingest::rejects::Rejected;
use crate::model::{AccountAttrs, AccountKind, Transfer, DEFAULT_CURRENCY};
use crate::money::Fen;

/// What the store already holds, as a plan asks it.
pub trait Seen {
    type Error;
    /// For each line id, whether a statement line with that id was imported before.
    fn imported(&self, ids: &[&str]) -> Result<Vec<bool>, Self::Error>;
    /// Stored transfers that a record may be the other statement's record of: same two accounts, same
    /// amount, within `skew_ms`.
    fn candidates(&self, records: &[Record], skew_ms: i64) -> Result<Vec<StoredTransfer>, Self::Error>;
    /// Accounts the store knows whose number starts with `prefix` and ends with `suffix` (the candidates of
    /// a masked number), with their holder and bank; at most `limit`.
    fn accounts_like(&self, prefix: &str, suffix: &str, limit: usize) -> Result<Vec<KnownAccount>, Self::Error>;
}

/// An account the store knows, as a masked number is matched against it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownAccount {
    pub external: String,
    pub holder_name: String,
    pub bank: String,
}

/// An identity the import could not tie to one account: a masked number (`6217****5678`, `中国银行****1234`)
/// that fits no known account or several, or a counterparty known only by name. Kept as its own account,
/// never merged with a full number silently.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Unresolved {
    pub identity: String,
    /// `masked` or `name only`.
    pub kind: String,
    /// Lines of this import naming it.
    pub lines: u64,
    /// Known accounts it could be (at most five), when several fit.
    pub candidates: Vec<String>,
}

/// One file of an import, as read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FileSummary {
    pub file: String,
    /// UTF-8, UTF-8 (BOM), GB18030, xlsx or xls: how the file was read.
    pub encoding: String,
    /// The fields its header named.
    pub fields: Vec<String>,
    pub lines: u64,
    pub rejected: u64,
    /// Title lines above the header, 合计/总计 lines, blank lines: skipped and counted, not rejected.
    pub skipped_title: u64,
    pub skipped_summary: u64,
    pub skipped_blank: u64,
    /// The bank listed the lines newest first.
    pub newest_first: bool,
    /// The layout the header was recognised as (`icbc-online-debit`, `wechat-bill`, `generic`…).
    pub layout: String,
    /// Rows that moved no money (a closed trade, a failed withdrawal, a move inside one balance): counted.
    pub skipped_no_money: u64,
}

/// A match made although another record was within the clock tolerance: the nearest was taken, and an
/// investigator should look.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AmbiguousMatch {
    pub line: String,
    pub matched_with: String,
    pub other_candidates: Vec<String>,
}

/// What a line kept by the plan stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The new transfer `plan.transfers[k]`.
    New(usize),
    /// The other statement's record of the transfer line `plan.lines[j]` stands for.
    MirrorOf(usize),
    /// The other statement's record of a stored transfer.
    Stored(u64),
    /// Nothing: the line names no account (kept in the ledger for the balance check, refused as a transfer).
    NoTransfer,
}

/// A line the plan keeps: it goes into the statement ledger.
#[derive(Clone, Debug)]
pub struct PlannedLine {
    pub id: String,
    /// Index into `plan.files` (and the files given).
    pub file: usize,
    pub place: LinePlace,
    pub line: StatementLine,
    pub target: Target,
}

/// A new transfer and the line it was read from.
#[derive(Clone, Debug)]
pub struct PlannedTransfer {
    /// Index into `plan.lines`.
    pub line: usize,
    pub transfer: Transfer,
}

/// An import, planned.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub files: Vec<FileSummary>,
    pub lines_read: u64,
    /// Lines the files refused (unreadable amount, time, account…), in file order.
    pub bad_lines: Vec<Rejected>,
    /// Lines imported before (the same file again, overlapping periods), or twice in this import.
    pub already_imported: u64,
    /// The lines kept, in file order.
    pub lines: Vec<PlannedLine>,
    /// Accounts and what the statements say of them, in first-seen order (statement accounts' own names
    /// applied last, so they win over what counterparties call them).
    pub attrs: Vec<(String, AccountAttrs)>,
    /// New transfers, in line order.
    pub transfers: Vec<PlannedTransfer>,
    /// Kept lines that name no account to move money to or from.
    pub no_counterparty: Vec<Rejected>,
    pub ambiguous: Vec<AmbiguousMatch>,
    /// Masked numbers resolved to the one known account they fit: (masked, account).
    pub resolved: Vec<(String, String)>,
    pub to_resolve: Vec<Unresolved>,
    /// A platform bill's card payments paired with the card's bank's record of them (the money followed
    /// card → platform account).
    pub platform_hops: u64,
}

impl Plan {
    /// Where a kept line is, as a person finds it: `file.xlsx, sheet 流水, row 12` or `file.csv, row 12`.
    pub fn place(&self, line: usize) -> String {
        let l = &self.lines[line];
        place_text(&self.files[l.file], &l.place)
    }

    /// The refusal of a new transfer whose id the store holds with other content.
    pub fn conflict(&self, transfer: &PlannedTransfer, existing: u64) -> Rejected {
        let l = &self.lines[transfer.line];
        let t = &transfer.transfer;
        Rejected {
            file: self.files[l.file].file.clone(),
            line: u64::from(l.place.row),
            place: self.place(transfer.line),
            field: "id".into(),
            value: t.txn_id.clone(),
            reason: format!("a different transfer with this id is stored (#{existing})"),
            record: format!("{} {} {}", t.src, t.dst, Fen(t.amount_fen)),
        }
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn place_text(file: &FileSummary, place: &LinePlace) -> String {
    if file.encoding.starts_with("xls") {
        format!("{}, sheet {}, row {}", file.file, place.sheet, place.row)
    } else {
        format!("{}, row {}", file.file, place.row)
    }
}

/// Plans the import of `files` (read, in the order given) into a store that holds what `seen` says.
pub fn plan<S: Seen>(
    mut files: Vec<StatementFile>,
    seen: &S,
    skew_ms: i64,
    banks: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, S::Error> {
    let mut plan = Plan::default();
    // (file, place, line, id) of every readable line; ids are unique within a file.
    let mut pending: Vec<(usize, LinePlace, StatementLine, String)> = Vec::new();
    for (fi, f) in files.iter_mut().enumerate() {
        // The lines move out of the file (no second copy); its other facts stay for the summary.
        let lines = std::mem::take(&mut f.lines);
        let summary = FileSummary {
            file: file_name(&f.path),
            encoding: f.encoding.to_string(),
            fields: f.fields.iter().map(|s| s.to_string()).collect(),
            lines: (lines.len() + f.bad.len()) as u64,
            rejected: f.bad.len() as u64,
            skipped_title: f.skipped_title,
            skipped_summary: f.skipped_summary,
            skipped_blank: f.skipped_blank,
            newest_first: f.reversed,
            layout: f.layout.clone(),
            skipped_no_money: f.skipped_no_money,
        };
        plan.lines_read += summary.lines;
        for b in &f.bad {
            plan.bad_lines.push(Rejected {
                file: summary.file.clone(),
                line: u64::from(b.place.row),
                place: place_text(&summary, &b.place),
                field: b.field.clone(),
                value: b.value.clone(),
                reason: b.reason.clone(),
                record: b.text.clone(),
            });
        }
        plan.files.push(summary);
        // Identical lines of one file are told apart by their position among them.
        let mut seen_ids: HashMap<String, u32> = HashMap::new();
        for (place, line) in lines {
            let probe = line_id(&line, 0);
            let id = match seen_ids.get_mut(&probe) {
                None => {
                    seen_ids.insert(probe.clone(), 1);
                    probe
                }
                Some(n) => {
                    *n += 1;
                    line_id(&line, *n - 1)
                }
            };
            pending.push((fi, place, line, id));
        }
    }

    // Lines imported before, or the same line twice in this import (one file given under two names).
    let mut fresh: Vec<usize> = Vec::new();
    let mut ids_this_import: BTreeSet<&str> = BTreeSet::new();
    for chunk in (0..pending.len()).collect::<Vec<_>>().chunks(100_000) {
        let ids: Vec<&str> = chunk.iter().map(|&i| pending[i].3.as_str()).collect();
        for (&i, known) in chunk.iter().zip(seen.imported(&ids)?) {
            if known || !ids_this_import.insert(pending[i].3.as_str()) {
                plan.already_imported += 1;
            } else {
                fresh.push(i);
            }
        }
    }

    // The kept lines, moved out of `pending`.
    let mut slots: Vec<Option<(usize, LinePlace, StatementLine, String)>> = pending.into_iter().map(Some).collect();
    for &i in &fresh {
        let Some((file, place, line, id)) = slots[i].take() else { continue };
        plan.lines.push(PlannedLine { id, file, place, line, target: Target::NoTransfer });
    }
    resolve_masked(&mut plan, seen, banks)?;

    // Records to reconcile (`index`: position among the kept lines); lines that name no account to move
    // money to or from are refused as transfers but stay in the ledger: their amounts count for the
    // balance check.
    let mut records: Vec<Record> = Vec::new();
    for (k, p) in plan.lines.iter().enumerate() {
        let l = &p.line;
        if let Some(other) = other_account(l) {
            let (src, dst) = orient(l, &other);
            records.push(Record {
                index: k,
                src,
                dst,
                amount_fen: l.amount_fen,
                ts_ms: l.ts_ms,
                side: Side::of(l.flow),
            });
        }
    }
    plan.platform_hops = join_platform_hops(&plan.lines, &mut records, skew_ms);
    let stored = seen.candidates(&records, skew_ms)?;
    let (outcomes, ambiguous) = reconcile(&records, &stored, skew_ms);

    let describe = |plan: &Plan, c: &Candidate| match c {
        Candidate::Record(j) => plan.place(*j),
        Candidate::Stored(s) => format!("stored transfer #{s}"),
    };
    plan.ambiguous = ambiguous
        .iter()
        .map(|a| AmbiguousMatch {
            line: plan.place(a.index),
            matched_with: describe(&plan, &a.matched),
            other_candidates: a.others.iter().map(|c| describe(&plan, c)).collect(),
        })
        .collect();

    // New transfers in line order; then what every other kept line stands for.
    for r in &records {
        if let Some(Outcome::New { mirror }) = outcomes.get(&r.index) {
            let l = &plan.lines[r.index].line;
            let m = mirror.map(|j| &plan.lines[j].line);
            let transfer = transfer_of(&plan.lines[r.index].id, r, l, m);
            plan.lines[r.index].target = Target::New(plan.transfers.len());
            plan.transfers.push(PlannedTransfer { line: r.index, transfer });
        }
    }
    for (&k, o) in &outcomes {
        match *o {
            Outcome::MirrorOf(first) => plan.lines[k].target = Target::MirrorOf(first),
            Outcome::Stored(s) => plan.lines[k].target = Target::Stored(s),
            Outcome::New { .. } => {}
        }
    }
    let with_record: BTreeSet<usize> = records.iter().map(|r| r.index).collect();
    for k in (0..plan.lines.len()).filter(|k| !with_record.contains(k)) {
        let l = &plan.lines[k];
        plan.no_counterparty.push(Rejected {
            file: plan.files[l.file].file.clone(),
            line: u64::from(l.place.row),
            place: plan.place(k),
            field: "counterparty".into(),
            value: String::new(),
            reason: "the line names no counterparty account (kept in the statement ledger for the balance check)"
                .into(),
            record: format!("{} {} {}", l.line.account, l.line.flow.as_str(), Fen(l.line.amount_fen)),
        });
    }
    plan.attrs = account_attrs(&plan.lines);
    Ok(plan)
}

/// The parts of a masked number: the bank it names (`中国银行****1234`), the digits before the mask and after.
fn mask_parts(id: &str) -> Option<(&str, &str, &str)> {
    if !id.contains('*') || id.starts_with(NAMED_PREFIX) || id.contains(':') {
        return None;
    }
    let start = id.find(|c: char| c.is_ascii_digit() || c == '*')?;
    let (bank, rest) = id.split_at(start);
    let prefix_len = rest.find('*')?;
    let suffix_start = rest.rfind('*')? + 1;
    let (prefix, suffix) = (&rest[..prefix_len], &rest[suffix_start..]);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (digits(prefix) && digits(suffix) && suffix.len() >= 3).then_some((bank, prefix, suffix))
}

/// Ties each masked number of the import to the one account it fits — full numbers of this import and of
/// the store with the same visible digits, of the same bank and holder when both are known — or keeps it as
/// its own identity and lists it to resolve; lists counterparties known only by name too.
fn resolve_masked<S: Seen>(plan: &mut Plan, seen: &S, banks: &dyn Fn(&str) -> Option<String>) -> Result<(), S::Error> {
    // Every identity named, with the holder names and banks the lines give it.
    let mut named: BTreeMap<String, (u64, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut full: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for p in &plan.lines {
        let l = &p.line;
        let mut note = |id: &str, name: &str, bank: &str| {
            if id.is_empty() {
                return;
            }
            if mask_parts(id).is_some() || id.starts_with(NAMED_PREFIX) {
                let e = named.entry(id.to_string()).or_default();
                e.0 += 1;
                if !name.is_empty() {
                    e.1.insert(name.to_string());
                }
                if !bank.is_empty() {
                    e.2.insert(bank.to_string());
                }
            } else if id.bytes().all(|b| b.is_ascii_digit()) && id.len() >= 8 {
                let e = full.entry(id.to_string()).or_default();
                if !name.is_empty() {
                    e.0.insert(name.to_string());
                }
                if !bank.is_empty() {
                    e.1.insert(bank.to_string());
                }
            }
        };
        note(&l.account, &l.account_name, "");
        if let Some(other) = other_account(l) {
            note(&other, &l.counterparty_name, &l.counterparty_bank);
        }
    }
    let mut mapping: HashMap<String, String> = HashMap::new();
    for (id, (lines, names, line_banks)) in named {
        let Some((bank_hint, prefix, suffix)) = mask_parts(&id) else {
            plan.to_resolve.push(Unresolved { identity: id, kind: "name only".into(), lines, candidates: Vec::new() });
            continue;
        };
        let want_bank = banks(bank_hint).or_else(|| line_banks.iter().find_map(|b| banks(b)));
        let fits = |number: &str, holder: &BTreeSet<String>, bank: &BTreeSet<String>| {
            number.starts_with(prefix)
                && number.ends_with(suffix)
                && number.len() > prefix.len() + suffix.len()
                && (names.is_empty() || holder.is_empty() || !names.is_disjoint(holder))
                && (want_bank.is_none() || bank.is_empty() || bank.iter().any(|b| banks(b) == want_bank))
        };
        let mut candidates: BTreeSet<String> =
            full.iter().filter(|(n, (h, b))| fits(n, h, b)).map(|(n, _)| n.clone()).collect();
        for k in seen.accounts_like(prefix, suffix, 50)? {
            let holder: BTreeSet<String> = [k.holder_name].into_iter().filter(|x| !x.is_empty()).collect();
            let bank: BTreeSet<String> = [k.bank].into_iter().filter(|x| !x.is_empty()).collect();
            if fits(&k.external, &holder, &bank) {
                candidates.insert(k.external);
            }
        }
        if candidates.len() == 1 {
            let to = candidates.into_iter().next().unwrap_or_default();
            plan.resolved.push((id.clone(), to.clone()));
            mapping.insert(id, to);
        } else {
            plan.to_resolve.push(Unresolved {
                identity: id,
                kind: "masked".into(),
                lines,
                candidates: candidates.into_iter().take(5).collect(),
            });
        }
    }
    if !mapping.is_empty() {
        for p in &mut plan.lines {
            let l = &mut p.line;
            if let Some(to) = mapping.get(&l.account) {
                l.account = to.clone();
            }
            if let Some(to) = mapping.get(&l.counterparty) {
                l.counterparty = to.clone();
            }
        }
    }
    Ok(())
}

/// Words naming a payment platform in a bank's line (`财付通-美团`, `支付宝-李四`).
const PLATFORM_WORDS: [&str; 6] = ["财付通", "支付宝", "微信", "京东支付", "Tenpay", "Alipay"];

/// Pairs a platform bill's card legs (card → platform account, platform account → card) with the card's
/// bank's own record of the same payment, which names only the platform (`财付通-…`): the bank's record then
/// names the platform account, and the two records reconcile as one transfer. Nearest in time first, one to
/// one; returns how many were paired.
fn join_platform_hops(lines: &[PlannedLine], records: &mut [Record], skew_ms: i64) -> u64 {
    let platformish = |r: &Record, other: &str| {
        let l = &lines[r.index].line;
        other.starts_with(PLATFORM_PREFIX)
            || PLATFORM_WORDS.iter().any(|w| l.counterparty_name.contains(w) || other.contains(w) || l.memo.contains(w))
    };
    // The platform's legs: the card on one side, a platform account on the other.
    let legs: Vec<usize> = (0..records.len())
        .filter(|&i| is_platform_account(&records[i].dst) != is_platform_account(&records[i].src))
        .collect();
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    let mut joined = 0;
    for i in 0..records.len() {
        let r = &records[i];
        let (card_out, other) = if is_platform_account(&r.src) || is_platform_account(&r.dst) {
            continue;
        } else if r.side == Side::Src {
            (true, r.dst.clone())
        } else {
            (false, r.src.clone())
        };
        if !platformish(r, &other) {
            continue;
        }
        let card = if card_out { &r.src } else { &r.dst };
        let best = legs
            .iter()
            .filter(|j| !taken.contains(j))
            .filter(|&&j| {
                let g = &records[j];
                let leg_card = if card_out { &g.src } else { &g.dst };
                leg_card == card
                    && g.amount_fen == r.amount_fen
                    && (g.ts_ms - r.ts_ms).abs() <= skew_ms
                    && g.side != r.side
                    && is_platform_account(if card_out { &g.dst } else { &g.src })
            })
            .min_by_key(|&&j| ((records[j].ts_ms - r.ts_ms).abs(), j))
            .copied();
        if let Some(j) = best {
            taken.insert(j);
            let platform = if card_out { records[j].dst.clone() } else { records[j].src.clone() };
            if card_out {
                records[i].dst = platform;
            } else {
                records[i].src = platform;
            }
            joined += 1;
        }
    }
    joined
}

/// Accounts and what the statements say about them: holders' names, counterparties' names and banks, cash
/// and platform accounts as terminals. Statement accounts' own names are applied last, so they win. One
/// merged record per account (a busy account is named on thousands of lines).
fn account_attrs(lines: &[PlannedLine]) -> Vec<(String, AccountAttrs)> {
    let mut merged: HashMap<String, AccountAttrs> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut note = |account: &str, a: AccountAttrs| match merged.get_mut(account) {
        Some(m) => m.merge_from(&a),
        None => {
            order.push(account.to_string());
            merged.insert(account.to_string(), a);
        }
    };
    for l in lines.iter().map(|p| &p.line) {
        if let Some(other) = other_account(l) {
            let mut a = AccountAttrs {
                holder_name: l.counterparty_name.clone(),
                bank: l.counterparty_bank.clone(),
                ..Default::default()
            };
            if other == CASH_ACCOUNT {
                a = AccountAttrs { holder_name: "现金".into(), kind: AccountKind::Atm, ..Default::default() };
            } else if other.starts_with(PLATFORM_PREFIX) {
                a.kind = AccountKind::ThirdParty;
            } else if other.starts_with(MERCHANT_PREFIX) {
                a.kind = AccountKind::Merchant;
            } else if is_platform_account(&other) {
                a.kind = AccountKind::Payment;
            }
            note(&other, a);
        }
    }
    for l in lines.iter().map(|p| &p.line) {
        let kind = if is_platform_account(&l.account) { AccountKind::Payment } else { AccountKind::Unknown };
        note(&l.account, AccountAttrs { holder_name: l.account_name.clone(), kind, ..Default::default() });
    }
    order
        .into_iter()
        .map(|a| {
            let m = merged.remove(&a).unwrap_or_default();
            (a, m)
        })
        .collect()
}

/// A payment platform's account id (`微信:wxid_…`, `支付宝:2088…`, a wallet `微信:…:零钱通`).
pub fn is_platform_account(id: &str) -> bool {
    PLATFORMS.iter().any(|p| id.strip_prefix(p).is_some_and(|rest| rest.starts_with(':')))
}

/// The platforms whose accounts are payment accounts (the `platform` rule of the layouts).
pub const PLATFORMS: [&str; 4] = ["微信", "支付宝", "京东", "财付通"];

/// The transfer a line (with the other statement's record of it, if paired) stands for.
fn transfer_of(id: &str, r: &Record, l: &StatementLine, mirror: Option<&StatementLine>) -> Transfer {
    // Names and banks as each statement gives them: a statement names its own holder and the counterparty.
    let (mut src_name, mut dst_name, mut src_bank, mut dst_bank) =
        (String::new(), String::new(), String::new(), String::new());
    for x in std::iter::once(l).chain(mirror) {
        let (own_name, other_name, other_bank) = (&x.account_name, &x.counterparty_name, &x.counterparty_bank);
        let (own, other, other_b) = match x.flow {
            Flow::Out => (&mut src_name, &mut dst_name, &mut dst_bank),
            Flow::In => (&mut dst_name, &mut src_name, &mut src_bank),
        };
        if own.is_empty() {
            own.clone_from(own_name);
        }
        if other.is_empty() {
            other.clone_from(other_name);
        }
        if other_b.is_empty() {
            other_b.clone_from(other_bank);
        }
    }
    let memo = if l.memo.is_empty() { mirror.map(|m| m.memo.clone()).unwrap_or_default() } else { l.memo.clone() };
    Transfer {
        txn_id: id.to_string(),
        ts_ms: r.ts_ms,
        src: r.src.clone(),
        dst: r.dst.clone(),
        amount_fen: r.amount_fen,
        channel: l.channel.clone(),
        currency: if l.currency.is_empty() || l.currency == "人民币" {
            DEFAULT_CURRENCY.into()
        } else {
            l.currency.clone()
        },
        src_name,
        dst_name,
        src_bank,
        dst_bank,
        memo,
    }
}

/// The [`Seen`] of a store that holds nothing: every line is new, nothing stored to merge into.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nothing;

impl Seen for Nothing {
    type Error = std::convert::Infallible;
    fn imported(&self, ids: &[&str]) -> Result<Vec<bool>, Self::Error> {
        Ok(vec![false; ids.len()])
    }
    fn candidates(&self, _: &[Record], _: i64) -> Result<Vec<StoredTransfer>, Self::Error> {
        Ok(Vec::new())
    }
    fn accounts_like(&self, _: &str, _: &str, _: usize) -> Result<Vec<KnownAccount>, Self::Error> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// A payer's statement line (`Out`) or a payee's (`In`).
    fn test_line(account: &str, flow: Flow, fen: i64, ts_ms: i64, counterparty: &str) -> StatementLine {
        StatementLine {
            account: account.into(),
            account_name: String::new(),
            ts_ms,
            amount_fen: fen,
            flow,
            balance_fen: None,
            counterparty: counterparty.into(),
            counterparty_name: String::new(),
            counterparty_bank: String::new(),
            memo: String::new(),
            serial: String::new(),
            branch: String::new(),
            ip: String::new(),
            mac: String::new(),
            currency: String::new(),
            channel: crate::model::Channel::default(),
            funded_by: String::new(),
            merchant: false,
        }
    }

    fn file(name: &str, lines: Vec<StatementLine>) -> StatementFile {
        StatementFile {
            path: name.into(),
            encoding: "UTF-8",
            fields: vec![],
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| (LinePlace { sheet: String::new(), row: i as u32 + 2 }, l))
                .collect(),
            bad: vec![],
            skipped_title: 0,
            skipped_summary: 0,
            skipped_blank: 0,
            skipped_no_money: 0,
            reversed: false,
            layout: "test".into(),
        }
    }

    /// A store that imported some ids before and holds one transfer A→B 500.00 at 10:00.
    struct Held {
        imported: BTreeSet<String>,
    }

    impl Seen for Held {
        type Error = std::convert::Infallible;
        fn imported(&self, ids: &[&str]) -> Result<Vec<bool>, Self::Error> {
            Ok(ids.iter().map(|i| self.imported.contains(*i)).collect())
        }
        fn candidates(&self, records: &[Record], skew_ms: i64) -> Result<Vec<StoredTransfer>, Self::Error> {
            let stored = StoredTransfer {
                seq: 7,
                src: "A".into(),
                dst: "B".into(),
                amount_fen: 50_000,
                ts_ms: 600 * MIN,
                seen_src: true,
                seen_dst: false,
            };
            let near = records.iter().any(|r| {
                (r.src.as_str(), r.dst.as_str(), r.amount_fen) == ("A", "B", 50_000)
                    && (r.ts_ms - stored.ts_ms).abs() <= skew_ms
            });
            Ok(if near { vec![stored] } else { vec![] })
        }
        fn accounts_like(&self, _: &str, _: &str, _: usize) -> Result<Vec<KnownAccount>, Self::Error> {
            Ok(Vec::new())
        }
    }

    /// By hand: A's statement and B's statement of the same day. A→B 100.00 at 09:00 appears in both (one
    /// transfer, mirrored); A→C 30.00 only in A's (new); B's record of A→B 500.00 at 10:00:03 is the other
    /// side of stored transfer #7; B's cash withdrawal names no account but cash (a transfer to CASH); a fee
    /// line with no counterparty is kept for the balance and refused as a transfer.
    #[test]
    fn two_statements_become_transfers_mirrors_merges_and_refusals() {
        let a = file(
            "a.csv",
            vec![test_line("A", Flow::Out, 10_000, 540 * MIN, "B"), test_line("A", Flow::Out, 3_000, 545 * MIN, "C")],
        );
        let mut cash = test_line("B", Flow::Out, 2_000, 700 * MIN, "");
        cash.channel = crate::model::Channel::AtmWithdrawal;
        let fee = test_line("B", Flow::Out, 100, 710 * MIN, "");
        let b = file(
            "b.csv",
            vec![
                test_line("B", Flow::In, 10_000, 540 * MIN + 4_000, "A"),
                test_line("B", Flow::In, 50_000, 600 * MIN + 3_000, "A"),
                cash,
                fee,
            ],
        );
        let held = Held { imported: BTreeSet::new() };
        let p = plan(vec![a, b], &held, 10_000, &|_| None).unwrap();
        assert_eq!(p.lines_read, 6);
        assert_eq!(p.lines.len(), 6, "nothing imported before");
        let targets: Vec<Target> = p.lines.iter().map(|l| l.target).collect();
        assert_eq!(
            targets,
            vec![
                Target::New(0),
                Target::New(1),
                Target::MirrorOf(0),
                Target::Stored(7),
                Target::New(2),
                Target::NoTransfer
            ]
        );
        let moved: Vec<(&str, &str, i64)> = p
            .transfers
            .iter()
            .map(|t| (t.transfer.src.as_str(), t.transfer.dst.as_str(), t.transfer.amount_fen))
            .collect();
        assert_eq!(moved, vec![("A", "B", 10_000), ("A", "C", 3_000), ("B", CASH_ACCOUNT, 2_000)]);
        assert_eq!(p.transfers[0].transfer.ts_ms, 540 * MIN, "the payer's time is kept");
        assert_eq!(p.no_counterparty.len(), 1);
        assert_eq!(
            (p.no_counterparty[0].place.as_str(), p.no_counterparty[0].field.as_str()),
            ("b.csv, row 5", "counterparty")
        );
        let cash_attrs = &p.attrs.iter().find(|(a, _)| a == CASH_ACCOUNT).unwrap().1;
        assert_eq!(cash_attrs.kind, AccountKind::Atm);
        assert!(p.ambiguous.is_empty());
    }

    /// The same file twice, and a file whose lines were imported before: nothing new; identical lines of
    /// one file stay two (told apart by position).
    #[test]
    fn lines_imported_before_add_nothing_and_twins_stay_two() {
        let twins =
            || file("t.csv", vec![test_line("A", Flow::Out, 500, MIN, "B"), test_line("A", Flow::Out, 500, MIN, "B")]);
        let p = plan(vec![twins(), twins()], &Nothing, 10_000, &|_| None).unwrap();
        assert_eq!((p.lines.len(), p.already_imported), (2, 2));
        assert_eq!(p.transfers.len(), 2, "two genuine equal payments");
        assert_ne!(p.lines[0].id, p.lines[1].id);
        let before = Held { imported: p.lines.iter().map(|l| l.id.clone()).collect() };
        let again = plan(vec![twins()], &before, 10_000, &|_| None).unwrap();
        assert_eq!((again.lines.len(), again.already_imported, again.transfers.len()), (0, 2, 0));
    }
}
