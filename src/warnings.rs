//! Warnings (资金预警): ordinary people paying into accounts known to be mules, rings' cards or stopped
//! accounts are likely victims still paying. Each is graded (purple > red > yellow > blue), has a deadline
//! to reach the payer, and escalates each hour it is not acknowledged (up to 3).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::graph::{Direction, GraphResult, TransferGraph};
use crate::model::{AccountId, AccountKind, Grade, WarningRecord};
use crate::money::Fen;
use crate::policy;

const MINUTE: i64 = 60_000;

/// The grade of a payment (thresholds and reasons in [`crate::policy`]), with the reasons in words.
fn grade(amount_fen: i64, payments_from_sender: usize, sender_total_fen: i64) -> (Grade, Vec<String>) {
    let yuan = |f: i64| f / 100;
    let mut reasons = vec![format!("{} yuan into a watched account", Fen(amount_fen))];
    if payments_from_sender >= policy::GRADE_RED_PAYMENTS {
        reasons.push(format!(
            "{payments_from_sender} payments from this payer into watched accounts (刷单 pattern: victims keep paying)"
        ));
    }
    let g = if yuan(amount_fen) >= policy::GRADE_PURPLE_PAYMENT_YUAN
        || yuan(sender_total_fen) >= policy::GRADE_PURPLE_TOTAL_YUAN
    {
        Grade::Purple
    } else if yuan(amount_fen) >= policy::GRADE_RED_PAYMENT_YUAN
        || payments_from_sender >= policy::GRADE_RED_PAYMENTS
        || yuan(sender_total_fen) >= policy::GRADE_RED_TOTAL_YUAN
    {
        Grade::Red
    } else if yuan(amount_fen) >= policy::GRADE_YELLOW_PAYMENT_YUAN {
        Grade::Yellow
    } else {
        Grade::Blue
    };
    (g, reasons)
}

/// Payments in `[since, until]` from ordinary accounts into `watched` ones (why each is watched in the value).
pub fn scan<G: TransferGraph>(
    g: &G,
    watched: &BTreeMap<AccountId, String>,
    since_ms: i64,
    until_ms: i64,
    now_ms: i64,
) -> GraphResult<Vec<WarningRecord>> {
    let mut arrivals = Vec::new();
    for (&account, why) in watched {
        for e in g.edges(account, Direction::In, since_ms, until_ms)? {
            if watched.contains_key(&e.counterparty) {
                continue; // money moving among watched accounts is layering, not a victim paying
            }
            let kind = g.account_attrs(e.counterparty)?.kind;
            if !matches!(kind, AccountKind::Personal | AccountKind::Unknown) {
                continue; // merchants, platforms, companies, ATMs are not victims paying
            }
            arrivals.push((e, account, why.clone()));
        }
    }
    arrivals.sort_by_key(|(e, _, _)| (e.ts_ms, e.seq));
    let mut per_sender: HashMap<AccountId, (usize, i64)> = HashMap::new();
    let mut out = Vec::new();
    for (e, account, why) in arrivals {
        let s = per_sender.entry(e.counterparty).or_default();
        s.0 += 1;
        s.1 += e.amount_fen;
        let (grade, mut reasons) = grade(e.amount_fen, s.0, s.1);
        reasons.push(format!("watched: {why}"));
        let window = policy::grade_window_ms(grade);
        out.push(WarningRecord {
            seq: e.seq,
            account,
            sender: e.counterparty,
            amount_fen: e.amount_fen,
            ts_ms: e.ts_ms,
            grade,
            reasons,
            created_at_ms: now_ms,
            deadline_ms: e.ts_ms.max(now_ms) + window,
            acked_at_ms: None,
            acked_by: String::new(),
        });
    }
    Ok(out)
}

/// Escalation level at `at`: one per full hour without acknowledgement, at most 3 (`policy`).
pub fn escalation(w: &WarningRecord, at_ms: i64) -> u8 {
    match w.acked_at_ms {
        Some(_) => 0,
        None => {
            ((at_ms - w.created_at_ms).max(0) / policy::ESCALATION_STEP_MS).min(i64::from(policy::ESCALATION_MAX)) as u8
        }
    }
}

/// Accounts whose incoming payments from ordinary people raise warnings, with why each is watched:
/// those under a stop (`stopped`), and the cards of detected rings (`rings`, ranked).
pub fn watched_accounts(
    stopped: impl IntoIterator<Item = AccountId>,
    rings: &[crate::rings::Ring],
) -> BTreeMap<AccountId, String> {
    let mut watched = BTreeMap::new();
    for id in stopped {
        watched.insert(id, "account under a stop-payment".to_string());
    }
    for (i, r) in rings.iter().enumerate() {
        for m in &r.members {
            watched.entry(m.id).or_insert_with(|| {
                format!("card of a detected mule ring ({} in the ranking when raised)", crate::rings::ring_id(i))
            });
        }
    }
    watched
}

/// A warning as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WarningEntry {
    pub id: u64,
    pub txn_id: String,
    pub account: String,
    pub payer: String,
    pub payer_name: String,
    pub amount: Fen,
    pub ts: String,
    pub grade: Grade,
    pub reasons: Vec<String>,
    pub deadline: String,
    pub minutes_to_deadline: i64,
    /// When the warning was raised; escalation counts hours from here.
    pub created_at: String,
    /// 0 to 3: hours without acknowledgement.
    pub escalation: u8,
    /// When it escalates next if still not acknowledged (none once acknowledged or at level 3).
    pub next_escalation_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: String,
}

pub fn entry<G: TransferGraph>(g: &G, w: &WarningRecord, at_ms: i64, tz: chrono_tz::Tz) -> GraphResult<WarningEntry> {
    let rec = g.transfer(w.seq)?;
    Ok(WarningEntry {
        id: w.seq,
        txn_id: rec.as_ref().map(|r| r.txn_id.clone()).unwrap_or_default(),
        account: g.account_external(w.account)?,
        payer: g.account_external(w.sender)?,
        payer_name: rec.map(|r| r.src_name).unwrap_or_default(),
        amount: Fen(w.amount_fen),
        ts: crate::timefmt::format_rfc3339(w.ts_ms, tz),
        grade: w.grade,
        reasons: w.reasons.clone(),
        deadline: crate::timefmt::format_rfc3339(w.deadline_ms, tz),
        minutes_to_deadline: (w.deadline_ms - at_ms) / MINUTE,
        created_at: crate::timefmt::format_rfc3339(w.created_at_ms, tz),
        escalation: escalation(w, at_ms),
        next_escalation_at: match (w.acked_at_ms, escalation(w, at_ms)) {
            (None, level) if level < policy::ESCALATION_MAX => Some(crate::timefmt::format_rfc3339(
                w.created_at_ms + (i64::from(level) + 1) * policy::ESCALATION_STEP_MS,
                tz,
            )),
            _ => None,
        },
        acknowledged_at: w.acked_at_ms.map(|t| crate::timefmt::format_rfc3339(t, tz)),
        acknowledged_by: w.acked_by.clone(),
    })
}

/// Sort key: open before acknowledged, then grade, then deadline.
pub fn urgency_key(w: &WarningRecord) -> (bool, Grade, i64) {
    (w.acked_at_ms.is_some(), w.grade, w.deadline_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_by_amount_and_repetition() {
        assert_eq!(grade(600_000_00, 1, 600_000_00).0, Grade::Purple);
        assert_eq!(grade(60_000_00, 1, 60_000_00).0, Grade::Red);
        assert_eq!(grade(1_299_00, 3, 5_000_00).0, Grade::Red, "a third payment from one payer");
        assert_eq!(grade(8_888_00, 2, 10_187_00).0, Grade::Yellow);
        assert_eq!(grade(1_299_00, 1, 1_299_00).0, Grade::Blue);
    }

    #[test]
    fn escalates_each_unacknowledged_hour_up_to_three() {
        const HOUR: i64 = 3_600_000;
        let mut w = WarningRecord {
            seq: 1,
            account: 1,
            sender: 2,
            amount_fen: 1,
            ts_ms: 0,
            grade: Grade::Blue,
            reasons: vec![],
            created_at_ms: 0,
            deadline_ms: 0,
            acked_at_ms: None,
            acked_by: String::new(),
        };
        let levels: Vec<u8> =
            [0, HOUR - 1, HOUR, 2 * HOUR, 3 * HOUR, 10 * HOUR].iter().map(|t| escalation(&w, *t)).collect();
        assert_eq!(levels, vec![0, 0, 1, 2, 3, 3]);
        w.acked_at_ms = Some(5);
        assert_eq!(escalation(&w, 10 * HOUR), 0);
    }
}
