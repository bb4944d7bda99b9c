//! Warnings (资金预警) as listed: each is graded (purple > red > yellow > blue), has a deadline to reach
//! the payer, and escalates each hour it is not acknowledged (up to 3). What raises them: [`crate::watch`].

use serde::Serialize;

use crate::graph::{GraphResult, TransferGraph};
use crate::model::{Grade, WarningRecord};
use crate::money::Fen;
use crate::policy;

use crate::timefmt::MINUTE_MS as MINUTE;

/// Escalation level at `at`: one per full hour without acknowledgement, at most 3 (`policy`).
pub fn escalation(w: &WarningRecord, at_ms: i64) -> u8 {
    match w.acked_at_ms {
        Some(_) => 0,
        None => {
            ((at_ms - w.created_at_ms).max(0) / policy::ESCALATION_STEP_MS).min(i64::from(policy::ESCALATION_MAX)) as u8
        }
    }
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
