//! Reconciling statement lines into transfers.
//!
//! A transfer between two requested accounts comes back twice: once in the payer's statement (money out)
//! and once in the payee's (money in), with different serial numbers and clocks a few seconds apart. Both
//! records are one transfer when they name the same two accounts, the same amount, opposite directions,
//! and times within a tolerance (`skew`). Matching is one to one, nearest times first, so two genuine equal
//! transfers a minute apart stay two; a record that had another candidate within the tolerance when it was
//! matched is reported as ambiguous. Records already stored (from an earlier import, or from a transfers
//! table) take part too: the payee's statement arriving tomorrow merges into the transfers stored from the
//! payer's today.

use std::collections::BTreeMap;

use super::line::{Flow, StatementLine};
use crate::model::Channel;

/// The account standing for cash paid in or taken out (ATM, counter): a terminal of kind `atm`.
pub const CASH_ACCOUNT: &str = "CASH";
/// Prefix of the account standing for a payment platform named without an account number.
pub const PLATFORM_PREFIX: &str = "PLATFORM:";

/// Which statement a record of a transfer came from: the payer's (src) or the payee's (dst).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Src,
    Dst,
}

impl Side {
    pub fn of(flow: Flow) -> Side {
        match flow {
            Flow::Out => Side::Src,
            Flow::In => Side::Dst,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Side::Src => 0,
            Side::Dst => 1,
        }
    }

    pub fn from_code(c: u8) -> Option<Side> {
        match c {
            0 => Some(Side::Src),
            1 => Some(Side::Dst),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Src => "payer's statement",
            Side::Dst => "payee's statement",
        }
    }
}

/// The other account of a line: its counterparty, or the account standing for one the line does not
/// number — cash, a payment platform, a merchant the line names (a terminal each), or a person known only by
/// name (`?李四@6222…`: to resolve; scoped to the statement's own account, so two people of one name in two
/// statements are never merged). `None`: the line names nothing to move money to or from.
pub fn other_account(l: &StatementLine) -> Option<String> {
    if !l.counterparty.is_empty() {
        return Some(l.counterparty.clone());
    }
    match l.channel {
        Channel::AtmWithdrawal | Channel::CashDeposit => Some(CASH_ACCOUNT.into()),
        _ if l.counterparty_name.is_empty() => None,
        _ if l.merchant => Some(format!("{MERCHANT_PREFIX}{}", l.counterparty_name)),
        Channel::ThirdParty => Some(format!("{PLATFORM_PREFIX}{}", l.counterparty_name)),
        _ => Some(format!("{NAMED_PREFIX}{}@{}", l.counterparty_name, l.account)),
    }
}

/// Prefix of a merchant named by a line (a card purchase, a platform's 商户消费) without an account number.
pub const MERCHANT_PREFIX: &str = "商户:";
/// Prefix of a counterparty known only by name, to be resolved (`?李四@<the statement's own account>`).
pub const NAMED_PREFIX: &str = "?";

/// A line as a directed transfer: (src, dst).
pub fn orient(l: &StatementLine, other: &str) -> (String, String) {
    match l.flow {
        Flow::Out => (l.account.clone(), other.to_string()),
        Flow::In => (other.to_string(), l.account.clone()),
    }
}

/// A record to reconcile: the line's place in this import, its transfer and side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub index: usize,
    pub src: String,
    pub dst: String,
    pub amount_fen: i64,
    pub ts_ms: i64,
    pub side: Side,
}

/// A transfer already stored, with the sides whose statements it was seen in (a transfers-table row has
/// neither: it stands for both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTransfer {
    pub seq: u64,
    pub src: String,
    pub dst: String,
    pub amount_fen: i64,
    pub ts_ms: i64,
    pub seen_src: bool,
    pub seen_dst: bool,
}

/// What became of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new transfer; with `Some(j)`, record `j` (the other statement's record of it) merges into it.
    New { mirror: Option<usize> },
    /// The other statement's record of the transfer record `i` creates.
    MirrorOf(usize),
    /// The other statement's record of a stored transfer.
    Stored(u64),
}

/// A match made although another candidate was within the tolerance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    /// The record matched, and what it was matched with.
    pub index: usize,
    pub matched: Candidate,
    /// The other candidates within the tolerance that were free at the time.
    pub others: Vec<Candidate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Candidate {
    Record(usize),
    Stored(u64),
}

/// Pairs records (of this import) with each other and with stored transfers. Returns each record's
/// outcome (by `index`) and the ambiguous matches.
pub fn reconcile(
    records: &[Record],
    stored: &[StoredTransfer],
    skew_ms: i64,
) -> (BTreeMap<usize, Outcome>, Vec<Ambiguity>) {
    type Key<'a> = (&'a str, &'a str, i64);
    let mut groups: std::collections::HashMap<Key<'_>, (Vec<&Record>, Vec<&StoredTransfer>)> =
        std::collections::HashMap::with_capacity(records.len());
    for r in records {
        groups.entry((r.src.as_str(), r.dst.as_str(), r.amount_fen)).or_default().0.push(r);
    }
    for s in stored {
        if let Some(g) = groups.get_mut(&(s.src.as_str(), s.dst.as_str(), s.amount_fen)) {
            g.1.push(s);
        }
    }
    let mut outcome: BTreeMap<usize, Outcome> = BTreeMap::new();
    let mut ambiguous = Vec::new();
    for (rows, stored) in groups.values() {
        // Most transfers are seen once, from one statement: nothing to pair.
        if rows.len() == 1 && stored.is_empty() {
            outcome.insert(rows[0].index, Outcome::New { mirror: None });
            continue;
        }
        // Candidate pairs within the tolerance: (distance, first, second); a record with the other side's
        // record, or a record with a stored transfer that lacks that record's side.
        let mut pairs: Vec<(i64, usize, Candidate)> = Vec::new();
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
                if a.side != b.side && (a.ts_ms - b.ts_ms).abs() <= skew_ms {
                    let (x, y) = if a.side == Side::Src { (a, b) } else { (b, a) };
                    pairs.push(((x.ts_ms - y.ts_ms).abs(), x.index, Candidate::Record(y.index)));
                }
            }
            for s in stored {
                let lacks = match a.side {
                    Side::Src => !s.seen_src,
                    Side::Dst => !s.seen_dst,
                };
                if lacks && (a.ts_ms - s.ts_ms).abs() <= skew_ms {
                    pairs.push(((a.ts_ms - s.ts_ms).abs(), a.index, Candidate::Stored(s.seq)));
                }
            }
        }
        // A stored transfer within the tolerance is the transfer these records are of: it is matched before
        // two new records are paired with each other (else a transfer stored from a table and both banks'
        // records of it would become two). Then nearest times first.
        pairs.sort_by_key(|&(d, i, c)| (matches!(c, Candidate::Record(_)), d, i, c));
        let mut used_record: std::collections::BTreeSet<usize> = Default::default();
        // A stored transfer takes at most one record per side it lacks.
        let mut used_stored: std::collections::BTreeSet<(u64, Side)> = Default::default();
        let side_of = |idx: usize| rows.iter().find(|r| r.index == idx).map_or(Side::Src, |r| r.side);
        let free = |c: &Candidate,
                    side: Side,
                    ur: &std::collections::BTreeSet<usize>,
                    us: &std::collections::BTreeSet<(u64, Side)>| match c {
            Candidate::Record(j) => !ur.contains(j),
            Candidate::Stored(s) => !us.contains(&(*s, side)),
        };
        for (k, &(_, i, c)) in pairs.iter().enumerate() {
            let side_i = side_of(i);
            if used_record.contains(&i) || !free(&c, side_i, &used_record, &used_stored) {
                continue;
            }
            // Other free candidates of either end at this moment make the match ambiguous.
            let others: Vec<Candidate> = pairs
                .iter()
                .enumerate()
                .filter(|(m, _)| *m != k)
                .filter_map(|(_, &(_, i2, c2))| {
                    if i2 == i && c2 != c && free(&c2, side_i, &used_record, &used_stored) {
                        Some(c2)
                    } else if c2 == c && i2 != i && !used_record.contains(&i2) {
                        Some(Candidate::Record(i2))
                    } else {
                        None
                    }
                })
                .collect();
            used_record.insert(i);
            match c {
                Candidate::Record(j) => {
                    used_record.insert(j);
                    outcome.insert(i, Outcome::New { mirror: Some(j) });
                    outcome.insert(j, Outcome::MirrorOf(i));
                }
                Candidate::Stored(s) => {
                    used_stored.insert((s, side_i));
                    outcome.insert(i, Outcome::Stored(s));
                }
            }
            if !others.is_empty() {
                ambiguous.push(Ambiguity { index: i, matched: c, others });
            }
        }
        for r in rows {
            outcome.entry(r.index).or_insert(Outcome::New { mirror: None });
        }
    }
    ambiguous.sort_by_key(|a| a.index);
    (outcome, ambiguous)
}

/// The id of a statement line: the bank's serial where it gives one, else a hash of what the line says and
/// its position among identical lines of the same file. Derived from the line alone, so importing the same
/// file again, or again after a crash, gives the same ids.
pub fn line_id(l: &StatementLine, occurrence: u32) -> String {
    let flow = l.flow.as_str();
    if !l.serial.is_empty() {
        let mut id = format!("S/{}/{}/{flow}/{}", l.account, l.serial, l.amount_fen);
        if occurrence > 0 {
            id.push_str(&format!("/{occurrence}"));
        }
        return id;
    }
    let text = format!("{}\u{1f}{}\u{1f}{}\u{1f}{flow}\u{1f}{}", l.account, l.ts_ms, l.amount_fen, l.counterparty);
    format!("H/{}/{:016x}/{occurrence}", l.account, xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(index: usize, side: Side, ts: i64) -> Record {
        Record { index, src: "A".into(), dst: "B".into(), amount_fen: 100_00, ts_ms: ts, side }
    }

    const S: i64 = 1000;

    #[test]
    fn the_two_records_of_one_transfer_are_one_transfer() {
        let (o, amb) = reconcile(&[rec(0, Side::Src, 0), rec(1, Side::Dst, 3 * S)], &[], 10 * S);
        assert_eq!(o[&0], Outcome::New { mirror: Some(1) });
        assert_eq!(o[&1], Outcome::MirrorOf(0));
        assert!(amb.is_empty());
    }

    #[test]
    fn beyond_the_tolerance_or_the_same_side_they_stay_apart() {
        let (o, _) = reconcile(&[rec(0, Side::Src, 0), rec(1, Side::Dst, 11 * S)], &[], 10 * S);
        assert_eq!(o[&0], Outcome::New { mirror: None });
        assert_eq!(o[&1], Outcome::New { mirror: None });
        // Two equal payments in one statement are two transfers.
        let (o, _) = reconcile(&[rec(0, Side::Src, 0), rec(1, Side::Src, 0)], &[], 10 * S);
        assert!(o.values().all(|x| *x == Outcome::New { mirror: None }));
    }

    #[test]
    fn two_genuine_equal_transfers_a_minute_apart_stay_two_each_with_its_mirror() {
        // Payer's clock; the payee's bank books each 4 s later.
        let recs =
            [rec(0, Side::Src, 0), rec(1, Side::Src, 60 * S), rec(2, Side::Dst, 4 * S), rec(3, Side::Dst, 64 * S)];
        let (o, amb) = reconcile(&recs, &[], 10 * S);
        assert_eq!(o[&0], Outcome::New { mirror: Some(2) });
        assert_eq!(o[&1], Outcome::New { mirror: Some(3) });
        assert!(amb.is_empty(), "{amb:?}");
    }

    #[test]
    fn nearest_first_and_ambiguity_reported() {
        // Two payments 4 s apart, each booked by the payee 2 s later: every record has two candidates.
        let recs = [rec(0, Side::Src, 0), rec(1, Side::Src, 4 * S), rec(2, Side::Dst, 2 * S), rec(3, Side::Dst, 6 * S)];
        let (o, amb) = reconcile(&recs, &[], 10 * S);
        assert_eq!(o[&0], Outcome::New { mirror: Some(2) });
        assert_eq!(o[&1], Outcome::New { mirror: Some(3) });
        assert_eq!(amb.len(), 1, "{amb:?}");
        assert_eq!(amb[0].index, 0);
        assert!(amb[0].others.contains(&Candidate::Record(3)) && amb[0].others.contains(&Candidate::Record(1)));
    }

    #[test]
    fn a_later_statement_merges_into_what_is_stored() {
        let stored = [StoredTransfer {
            seq: 7,
            src: "A".into(),
            dst: "B".into(),
            amount_fen: 100_00,
            ts_ms: 0,
            seen_src: true,
            seen_dst: false,
        }];
        let (o, _) = reconcile(&[rec(0, Side::Dst, 5 * S)], &stored, 10 * S);
        assert_eq!(o[&0], Outcome::Stored(7));
        // Seen from the payer's side already: another payer-side record is a different transfer.
        let (o, _) = reconcile(&[rec(0, Side::Src, S)], &stored, 10 * S);
        assert_eq!(o[&0], Outcome::New { mirror: None });
        // A transfers-table row stands for both sides: one record from each may merge into it.
        let table = [StoredTransfer { seen_src: false, ..stored[0].clone() }];
        let (o, _) = reconcile(&[rec(0, Side::Src, S), rec(1, Side::Dst, 2 * S)], &table, 10 * S);
        assert_eq!((o[&0], o[&1]), (Outcome::Stored(7), Outcome::Stored(7)));
    }

    #[test]
    fn line_ids_are_stable_and_tell_identical_lines_apart() {
        let l = StatementLine {
            account: "A".into(),
            account_name: String::new(),
            ts_ms: 5,
            amount_fen: 100,
            flow: Flow::Out,
            balance_fen: None,
            counterparty: "B".into(),
            counterparty_name: String::new(),
            counterparty_bank: String::new(),
            memo: String::new(),
            serial: String::new(),
            branch: String::new(),
            ip: String::new(),
            mac: String::new(),
            currency: String::new(),
            channel: Channel::Transfer,
            funded_by: String::new(),
            merchant: false,
        };
        assert_eq!(line_id(&l, 0), line_id(&l.clone(), 0));
        assert_ne!(line_id(&l, 0), line_id(&l, 1));
        let with_serial = StatementLine { serial: "X1".into(), ..l };
        assert_eq!(line_id(&with_serial, 0), "S/A/X1/out/100");
    }
}
