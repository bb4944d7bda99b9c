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
    /// Which reading of commingled money the proposals rest on.
    pub reading: Reading,
}

impl Default for FreezeParams {
    fn default() -> Self {
        FreezeParams {
            threshold_fen: policy::FREEZE_THRESHOLD_FEN,
            hub_counterparties: policy::HUB_COUNTERPARTIES,
            reading: Reading::Protective,
        }
    }
}

/// Which lot a card "really" forwarded is unknowable from bank data, and a stop-payment should not rest on
/// that guess.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// The most protective reading: an account is proposed when any conserving rule (fifo, lifo,
    /// proportional) leaves the case's money in it, for the largest such amount, capped by what the account
    /// really held.
    #[default]
    Protective,
    /// The trace's own rule only.
    Rule,
}

/// One allocation rule's trace of a case, as the proposals read it.
#[derive(Clone, Copy, Debug)]
pub struct RuleReading<'a> {
    pub rule: crate::trace::Rule,
    pub trace: &'a Trace,
    pub report: &'a TraceReport,
}

/// The rules the protective reading takes the largest of: the conserving ones (poison is an upper bound
/// of reach, not an amount).
pub const PROTECTIVE_RULES: [crate::trace::Rule; 3] =
    [crate::trace::Rule::Fifo, crate::trace::Rule::Lifo, crate::trace::Rule::Proportional];

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
    /// The statement lines it was read from, for the stop-payment request to cite (empty when it came from
    /// a transfers table).
    pub sources: Vec<crate::model::SourceLine>,
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
    /// Traced money each rule leaves in the account at as-of (the protective reading takes the largest).
    pub by_rule: Vec<RuleAmount>,
    /// What the account really held at as-of, which no stop can exceed: its statement's balance, else its
    /// recorded inflows minus outflows (with its opening balance).
    pub balance_cap: Fen,
    /// `statement balance` or `recorded transfers`.
    pub cap_source: String,
}

/// Traced money a rule leaves in an account.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RuleAmount {
    pub rule: &'static str,
    pub held: Fen,
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
    /// `protective` (the largest of fifo, lifo and proportional, capped by the balance) or `rule`.
    pub reading: Reading,
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

/// What an account really held at `as_of`: its statement balance, else its recorded inflows minus outflows
/// plus its opening balance (never below zero).
fn balance_cap<G: TransferGraph>(
    g: &G,
    account: crate::model::AccountId,
    as_of: i64,
) -> Result<(i64, &'static str), TraceError> {
    if let Some(b) = g.balance_at(account, as_of)? {
        return Ok((b.max(0), "statement balance"));
    }
    let mut net = g.opening_balance(account)?.unwrap_or(0);
    for dir in [crate::graph::Direction::In, crate::graph::Direction::Out] {
        g.for_each_edge(account, dir, i64::MIN, as_of, &mut |e| {
            net += if dir == crate::graph::Direction::In { e.amount_fen } else { -e.amount_fen };
            true
        })?;
    }
    Ok((net.max(0), "recorded transfers"))
}

/// Builds proposals from one or more rules' traces of the same seeds (each run with the registry's stopped
/// accounts as `frozen`); the first is the one the report's totals and statements come from.
pub fn propose_freezes<G: TransferGraph>(
    g: &G,
    readings: &[RuleReading<'_>],
    stops: &[StopRecord],
    params: &FreezeParams,
    tz: Tz,
) -> Result<FreezeReport, TraceError> {
    let Some(primary) = readings.first() else {
        return Err(TraceError::BadParams("a freeze needs at least one trace".into()));
    };
    let (trace, report) = (primary.trace, primary.report);
    let as_of = trace.params.as_of_ms;
    let now = if as_of == i64::MAX { chrono::Utc::now().timestamp_millis() } else { as_of };
    // Every non-terminal account any reading reaches, with what each rule leaves there.
    let mut held: std::collections::BTreeMap<crate::model::AccountId, Vec<(usize, i64)>> = Default::default();
    for (r, reading) in readings.iter().enumerate() {
        for entry in reading.report.accounts.iter().filter(|a| a.terminal.is_none()) {
            if reading.trace.accounts.contains_key(&entry.id) {
                held.entry(entry.id).or_default().push((r, entry.held.0));
            }
        }
    }
    let mut proposals = Vec::new();
    let mut not_proposed = Vec::new();
    for (&id, amounts) in &held {
        // The largest reading; ties to the earlier rule (the trace's own rule first).
        let Some(&(best, max_held)) = amounts.iter().max_by_key(|&&(r, h)| (h, std::cmp::Reverse(r))) else { continue };
        if max_held <= 0 {
            continue; // every rule says the money passed on
        }
        let reading = &readings[best];
        let Some(entry) = reading.report.accounts.iter().find(|a| a.id == id) else { continue };
        let Some(reached) = reading.trace.accounts.get(&id) else { continue };
        let attrs = g.account_attrs(id)?;
        if policy::is_hub(&attrs.kind, reached.counterparties, params.hub_counterparties) {
            not_proposed.push(NotProposed {
                account: entry.account.clone(),
                level: entry.hop,
                held: Fen(max_held),
                reason: format!(
                    "hub: exchanged money with {} accounts (merchant, payroll or platform?); verify before stopping",
                    reached.counterparties
                ),
            });
            continue;
        }
        let (cap, cap_source) = balance_cap(g, id, as_of)?;
        let amount = max_held.min(cap);
        if amount < params.threshold_fen {
            let reason = if cap < max_held && cap < params.threshold_fen {
                format!(
                    "it held only {} at as-of ({cap_source}), below the threshold of {}",
                    Fen(cap),
                    Fen(params.threshold_fen)
                )
            } else {
                format!("below the threshold of {}", Fen(params.threshold_fen))
            };
            not_proposed.push(NotProposed {
                account: entry.account.clone(),
                level: entry.hop,
                held: Fen(amount),
                reason,
            });
            continue;
        }
        let (basis_seq, basis_traced) =
            reached.deliveries.iter().copied().max_by_key(|&(s, a)| (a, std::cmp::Reverse(s))).unwrap_or_default();
        let rec = g.transfer(basis_seq)?.ok_or_else(|| TraceError::UnknownSeed(format!("#{basis_seq}")))?;
        let age = now - reached.last_arrival_ms;
        let by_rule = readings
            .iter()
            .enumerate()
            .map(|(r, x)| RuleAmount {
                rule: x.rule.as_str(),
                held: Fen(amounts.iter().find(|(i, _)| *i == r).map_or(0, |(_, h)| *h)),
            })
            .collect();
        proposals.push(FreezeProposal {
            rank: 0,
            account: entry.account.clone(),
            holder_name: attrs.holder_name,
            holder_id: attrs.holder_id,
            bank: attrs.bank,
            branch: attrs.branch,
            level: entry.hop,
            amount: Fen(amount),
            by_victim: entry.by_victim.iter().filter(|v| v.held.0 > 0).cloned().collect(),
            urgency: Urgency::of_age(age),
            minutes_since_last_arrival: age / crate::timefmt::MINUTE_MS,
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
                sources: g.sources(basis_seq)?,
            },
            evidence: entry.evidence.clone(),
            by_rule,
            balance_cap: Fen(cap),
            cap_source: cap_source.to_string(),
        });
    }
    proposals.sort_by(|a, b| a.urgency.cmp(&b.urgency).then(b.amount.cmp(&a.amount)).then(a.account.cmp(&b.account)));
    for (i, p) in proposals.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    not_proposed.sort_by(|a, b| a.level.cmp(&b.level).then(a.account.cmp(&b.account)));
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
            traced_in: Fen(t.received.total()),
        });
    }
    Ok(FreezeReport {
        rule: report.rule,
        reading: params.reading,
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
                "Extended-freeze proposals (延伸止付), {}, as of {}",
                match self.reading {
                    Reading::Protective => "largest of fifo, lifo and proportional, capped by the balance".to_string(),
                    Reading::Rule => format!("{} rule", self.rule),
                },
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
                "by rule",
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
                x.by_rule.iter().map(|r| format!("{} {}", r.rule, r.held)).collect::<Vec<_>>().join(", ")
                    + &if x.amount < x.by_rule.iter().map(|r| r.held).max().unwrap_or(Fen(0)) {
                        format!(" (capped: {} {})", x.cap_source, x.balance_cap)
                    } else {
                        String::new()
                    },
                format!("{} min ago", x.minutes_since_last_arrival),
                format!(
                    "{} {} {}{}",
                    x.basis.txn_id,
                    x.basis.ts.get(..19).unwrap_or(&x.basis.ts).replace('T', " "),
                    x.basis.amount,
                    x.basis
                        .sources
                        .iter()
                        .map(|s| format!("; {} statement {} row {}", s.statement_of, s.file, s.row))
                        .collect::<String>()
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
                "basis_statement_lines",
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
                x.basis.sources.iter().map(|s| format!("{} row {}", s.file, s.row)).collect::<Vec<_>>().join("; "),
            ]);
        }
        s
    }
}
