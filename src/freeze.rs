//! Extended-freeze (延伸止付) proposals: which reached accounts to stop now, for how much, resting on which
//! transfer, and how urgently.

use chrono_tz::Tz;
use serde::Serialize;

use crate::graph::TransferGraph;
use crate::model::StopRecord;
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::policy;
use crate::timefmt::format_rfc3339;
use crate::trace::engine::Trace;
use crate::trace::report::{StatementRequest, TraceReport};
use crate::trace::TraceError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeParams {
    /// Accounts holding less traced money than this (fen) are not proposed.
    pub threshold_fen: i64,
    /// Accounts that exchanged money with at least this many distinct accounts look like merchants,
    /// payroll or platforms: listed for manual review, not proposed.
    pub hub_counterparties: usize,
}

impl Default for FreezeParams {
    fn default() -> Self {
        FreezeParams { threshold_fen: policy::FREEZE_THRESHOLD_FEN, hub_counterparties: policy::HUB_COUNTERPARTIES }
    }
}

/// How soon to act: money that arrived minutes ago moves on within minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Arrived within the last hour.
    Critical,
    /// Within 6 hours.
    High,
    /// Within 48 hours.
    Medium,
    /// Older.
    Low,
}

impl Urgency {
    pub fn of_age(age_ms: i64) -> Urgency {
        match age_ms {
            a if a < policy::URGENCY_CRITICAL_WITHIN_MS => Urgency::Critical,
            a if a < policy::URGENCY_HIGH_WITHIN_MS => Urgency::High,
            a if a < policy::URGENCY_MEDIUM_WITHIN_MS => Urgency::Medium,
            _ => Urgency::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Critical => "critical",
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }
}

/// The transfer a stop-payment request rests on: it must match the bank's account name, number, amount
/// and time.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Basis {
    pub txn_id: String,
    pub ts: String,
    pub from_account: String,
    pub from_name: String,
    pub to_account: String,
    pub to_name: String,
    pub amount: Fen,
    /// The traced (stolen) part of it.
    pub traced: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FreezeProposal {
    pub rank: usize,
    pub account: String,
    pub holder_name: String,
    pub holder_id: String,
    pub bank: String,
    pub branch: String,
    /// The account's hop from the victims (level 1 receives the victims' payments).
    pub level: u32,
    /// Traced money held at as_of: the amount to stop.
    pub amount: Fen,
    pub by_victim: Vec<crate::trace::report::VictimAmounts>,
    pub urgency: Urgency,
    pub minutes_since_last_arrival: i64,
    pub last_arrival: String,
    pub basis: Basis,
    pub evidence: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StoppedAccount {
    pub account: String,
    pub stop_id: u64,
    pub stopped_amount: Fen,
    pub placed_at: String,
    pub expires_at: String,
    pub renewals_left: u8,
    /// Traced money that reached it after as the trace sees it.
    pub traced_in: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotProposed {
    pub account: String,
    pub level: u32,
    pub held: Fen,
    pub reason: String,
}

/// `moneytrail freeze`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FreezeReport {
    pub rule: &'static str,
    pub hops: u32,
    pub as_of: Option<String>,
    pub threshold: Fen,
    pub seed_total: Fen,
    pub held_total: Fen,
    pub proposed_total: Fen,
    pub proposals: Vec<FreezeProposal>,
    pub already_stopped: Vec<StoppedAccount>,
    pub not_proposed: Vec<NotProposed>,
    pub statements_to_request: Vec<StatementRequest>,
    #[serde(skip)]
    pub tz: Tz,
}

/// Builds proposals from a trace (run with the registry's stopped accounts as `frozen`).
pub fn propose_freezes<G: TransferGraph>(
    g: &G,
    trace: &Trace,
    report: &TraceReport,
    stops: &[StopRecord],
    params: &FreezeParams,
    tz: Tz,
) -> Result<FreezeReport, TraceError> {
    let as_of = trace.params.as_of_ms;
    let now = if as_of == i64::MAX { chrono::Utc::now().timestamp_millis() } else { as_of };
    let mut proposals = Vec::new();
    let mut not_proposed = Vec::new();
    for entry in report.accounts.iter().filter(|a| a.terminal.is_none()) {
        let Some(reached) = trace.accounts.get(&entry.id) else { continue };
        if entry.held.0 <= 0 {
            continue;
        }
        let attrs = g.account_attrs(entry.id)?;
        if policy::is_hub(&attrs.kind, reached.counterparties, params.hub_counterparties) {
            not_proposed.push(NotProposed {
                account: entry.account.clone(),
                level: entry.hop,
                held: entry.held,
                reason: format!(
                    "hub: exchanged money with {} accounts (merchant, payroll or platform?); verify before stopping",
                    reached.counterparties
                ),
            });
            continue;
        }
        if entry.held.0 < params.threshold_fen {
            not_proposed.push(NotProposed {
                account: entry.account.clone(),
                level: entry.hop,
                held: entry.held,
                reason: format!("below the threshold of {}", Fen(params.threshold_fen)),
            });
            continue;
        }
        let (basis_seq, basis_traced) =
            reached.deliveries.iter().copied().max_by_key(|&(s, a)| (a, std::cmp::Reverse(s))).unwrap_or_default();
        let rec = g.transfer(basis_seq)?.ok_or_else(|| TraceError::UnknownSeed(format!("#{basis_seq}")))?;
        let age = now - reached.last_arrival_ms;
        proposals.push(FreezeProposal {
            rank: 0,
            account: entry.account.clone(),
            holder_name: attrs.holder_name,
            holder_id: attrs.holder_id,
            bank: attrs.bank,
            branch: attrs.branch,
            level: entry.hop,
            amount: entry.held,
            by_victim: entry.by_victim.iter().filter(|v| v.held.0 > 0).cloned().collect(),
            urgency: Urgency::of_age(age),
            minutes_since_last_arrival: age / 60_000,
            last_arrival: format_rfc3339(reached.last_arrival_ms, tz),
            basis: Basis {
                txn_id: rec.txn_id.clone(),
                ts: format_rfc3339(rec.ts_ms, tz),
                from_account: g.account_external(rec.src)?,
                from_name: rec.src_name.clone(),
                to_account: g.account_external(rec.dst)?,
                to_name: rec.dst_name.clone(),
                amount: Fen(rec.amount_fen),
                traced: Fen(basis_traced),
            },
            evidence: entry.evidence.clone(),
        });
    }
    proposals.sort_by(|a, b| a.urgency.cmp(&b.urgency).then(b.amount.cmp(&a.amount)).then(a.account.cmp(&b.account)));
    for (i, p) in proposals.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    let mut already_stopped = Vec::new();
    for t in trace.terminals.values().filter(|t| t.kind == crate::trace::TerminalKind::Frozen) {
        let Some(s) = stops.iter().filter(|s| s.account == t.id && s.active_at(now)).max_by_key(|s| s.placed_at_ms)
        else {
            continue;
        };
        already_stopped.push(StoppedAccount {
            account: g.account_external(t.id)?,
            stop_id: s.id,
            stopped_amount: Fen(s.amount_fen),
            placed_at: format_rfc3339(s.placed_at_ms, tz),
            expires_at: format_rfc3339(s.expires_at_ms, tz),
            renewals_left: policy::STOP_MAX_RENEWALS.saturating_sub(s.renewals),
            traced_in: Fen(t.received.iter().sum()),
        });
    }
    Ok(FreezeReport {
        rule: report.rule,
        hops: report.hops,
        as_of: report.as_of.clone(),
        threshold: Fen(params.threshold_fen),
        seed_total: report.totals.seed_total,
        held_total: report.totals.held,
        proposed_total: proposals.iter().map(|p| p.amount).sum(),
        proposals,
        already_stopped,
        not_proposed,
        statements_to_request: report.statements_to_request.clone(),
        tz,
    })
}

impl Report for FreezeReport {
    fn sections(&self) -> Vec<Section> {
        let mut head = Section::fields(
            format!(
                "Extended-freeze proposals (延伸止付), {} rule, as of {}",
                self.rule,
                self.as_of.as_deref().unwrap_or("now")
            ),
            vec![
                ("stolen (seeds)", self.seed_total.to_string()),
                ("traced money held in reached accounts", self.held_total.to_string()),
                ("proposed for stopping", format!("{} in {} account(s)", self.proposed_total, self.proposals.len())),
            ],
        );
        head.headers = vec![String::new(), String::new()];
        let mut p = Section::new(
            "Proposals",
            &[
                "rank",
                "urgency",
                "level",
                "account",
                "holder",
                "bank",
                "amount",
                "last arrival",
                "rests on (txn, time, amount)",
            ],
        );
        for x in &self.proposals {
            p.row(vec![
                x.rank.to_string(),
                x.urgency.as_str().to_string(),
                x.level.to_string(),
                x.account.clone(),
                x.holder_name.clone(),
                x.bank.clone(),
                x.amount.to_string(),
                format!("{} min ago", x.minutes_since_last_arrival),
                format!(
                    "{} {} {}",
                    x.basis.txn_id,
                    x.basis.ts.get(..19).unwrap_or(&x.basis.ts).replace('T', " "),
                    x.basis.amount
                ),
            ]);
        }
        let mut s = Section::new("Already stopped", &["account", "stop", "amount", "expires", "renewals left"]);
        for x in &self.already_stopped {
            s.row(vec![
                x.account.clone(),
                format!("#{}", x.stop_id),
                x.stopped_amount.to_string(),
                x.expires_at.clone(),
                x.renewals_left.to_string(),
            ]);
        }
        let mut n = Section::new("Not proposed", &["account", "level", "held", "reason"]);
        for x in &self.not_proposed {
            n.row(vec![x.account.clone(), x.level.to_string(), x.held.to_string(), x.reason.clone()]);
        }
        let mut r = Section::new("Statements to request next (调单)", &["account", "hop", "held"]);
        for x in &self.statements_to_request {
            r.row(vec![x.account.clone(), x.hop.to_string(), x.held.to_string()]);
        }
        vec![head, p, s, n, r]
    }

    fn csv_section(&self) -> Section {
        let mut s = Section::new(
            "",
            &[
                "rank",
                "urgency",
                "level",
                "account",
                "holder_name",
                "holder_id",
                "bank",
                "branch",
                "amount",
                "basis_txn_id",
                "basis_time",
                "basis_from_account",
                "basis_from_name",
                "basis_amount",
            ],
        );
        for x in &self.proposals {
            s.row(vec![
                x.rank.to_string(),
                x.urgency.as_str().into(),
                x.level.to_string(),
                x.account.clone(),
                x.holder_name.clone(),
                x.holder_id.clone(),
                x.bank.clone(),
                x.branch.clone(),
                x.amount.to_string(),
                x.basis.txn_id.clone(),
                x.basis.ts.clone(),
                x.basis.from_account.clone(),
                x.basis.from_name.clone(),
                x.basis.amount.to_string(),
            ]);
        }
        s
    }
}
