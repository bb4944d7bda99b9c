//! A trace as investigators and case systems read it: external ids, yuan strings, RFC 3339 times.
//! The JSON form is the stable one (the API serves the same document).

use std::collections::BTreeMap;

use chrono_tz::Tz;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::engine::{Outcome, PerVictim, Trace, TracedTransfer};
use super::TraceError;
use crate::graph::TransferGraph;
use crate::model::{AccountId, Seq};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::timefmt::{format_rfc3339, format_ts};

/// The notes a trace report carries (the diagram's page shows them in Chinese too).
pub const NOTE_CLEAN_MONEY: &str = "Money an account paid out beyond what its recorded inflows explain is treated as its own clean money: the store holds transfers, not opening balances.";
pub const NOTE_EQUAL_TIMES: &str =
    "Transfers with equal timestamps are ordered as they were loaded (the bank's booking order).";
pub const NOTE_POISON: &str = "poison: every outflow after traced money arrived counts in full, for every victim reached; amounts overlap and are an upper bound of reach, not money held.";

/// How many evidence chains are shown per account.
const CHAINS_PER_ACCOUNT: usize = 3;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VictimAmounts {
    pub victim: String,
    pub traced_in: Fen,
    pub traced_out: Fen,
    pub held: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountEntry {
    pub account: String,
    pub hop: u32,
    pub kind: String,
    pub holder_name: String,
    pub bank: String,
    /// Set for terminals: frozen, cash, otc, platform, merchant.
    pub terminal: Option<&'static str>,
    /// What it takes to continue past a terminal.
    pub next_step: Option<&'static str>,
    pub first_arrival: Option<String>,
    pub last_arrival: Option<String>,
    pub traced_in: Fen,
    pub traced_out: Fen,
    /// Traced money still in the account at as_of.
    pub held: Fen,
    pub by_victim: Vec<VictimAmounts>,
    /// False when the store holds no outgoing transfer of this account: its statement has not been
    /// requested (调单) yet.
    pub statement_requested: bool,
    /// Chains of transfer ids from a seed to this account, strongest first.
    pub evidence: Vec<Vec<String>>,
    #[serde(skip)]
    pub first_arrival_ms: Option<i64>,
    #[serde(skip)]
    pub last_arrival_ms: Option<i64>,
    #[serde(skip)]
    pub id: AccountId,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TransferEntry {
    pub txn_id: String,
    pub ts: String,
    pub src: String,
    pub dst: String,
    pub amount: Fen,
    pub traced: Fen,
    /// followed, returned, below_cutoff, beyond_hops, or the terminal kind.
    pub outcome: &'static str,
    /// The statement lines it was read from (empty when it came from a transfers table): what a stop-payment
    /// request cites.
    pub sources: Vec<crate::model::SourceLine>,
    #[serde(skip)]
    pub ts_ms: i64,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub seed_total: Fen,
    pub held: Fen,
    pub terminals: Fen,
    pub returned: Fen,
    pub below_cutoff: Fen,
    pub beyond_hops: Fen,
    /// seed_total = held + terminals + returned + below_cutoff + beyond_hops, per victim, to the fen.
    /// Always false for `poison`, which over-counts by design.
    pub conserved: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VictimTotalsEntry {
    pub victim: String,
    pub seed_total: Fen,
    pub held: Fen,
    pub terminals: Fen,
    pub returned: Fen,
    pub below_cutoff: Fen,
    pub beyond_hops: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeedEntry {
    pub txn_id: String,
    pub ts: String,
    pub victim: String,
    pub account: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StatementRequest {
    pub account: String,
    pub hop: u32,
    pub held: Fen,
}

/// `moneytrail trace`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TraceReport {
    pub rule: &'static str,
    pub hops: u32,
    pub min_amount: Fen,
    pub as_of: Option<String>,
    pub seeds: Vec<SeedEntry>,
    pub victims: Vec<VictimTotalsEntry>,
    pub totals: Totals,
    /// Reached accounts and terminals, by hop, then held (largest first).
    pub accounts: Vec<AccountEntry>,
    pub transfers: Vec<TransferEntry>,
    /// Reached accounts whose outgoing transfers are not in the store, by held amount: the statements to
    /// request next.
    pub statements_to_request: Vec<StatementRequest>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub tz: Tz,
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Followed => "followed",
        Outcome::Returned => "returned",
        Outcome::BelowCutoff => "below_cutoff",
        Outcome::BeyondHops => "beyond_hops",
        Outcome::Terminal(k) => k.as_str(),
    }
}

/// Chains of transfers from a seed to `deliveries`, following the largest source at each step.
fn evidence_chains(
    deliveries: &[(Seq, i64)],
    by_seq: &FxHashMap<Seq, &TracedTransfer>,
    names: &mut dyn FnMut(Seq) -> Result<String, TraceError>,
) -> Result<Vec<Vec<String>>, TraceError> {
    let mut ds: Vec<(Seq, i64)> = deliveries.to_vec();
    ds.sort_by_key(|&(s, a)| (std::cmp::Reverse(a), s));
    let mut chains = Vec::new();
    for (seq, _) in ds.into_iter().take(CHAINS_PER_ACCOUNT) {
        let mut chain = Vec::new();
        let mut cur = Some(seq);
        while let Some(s) = cur {
            chain.push(names(s)?);
            // A source arrived strictly earlier, so the walk ends; the cap guards against a bad graph.
            cur = by_seq.get(&s).and_then(|t| t.sources.first().map(|(src, _)| *src)).filter(|_| chain.len() < 64);
        }
        chain.reverse();
        chains.push(chain);
    }
    Ok(chains)
}

/// A terminal's traced deliveries (transfer, amount), first and last arrival.
type TerminalArrivals = (Vec<(Seq, i64)>, i64, i64);

/// Per-victim amounts, leaving out victims with nothing here.
fn victim_amounts(
    victims: &[String],
    traced_in: &PerVictim,
    traced_out: &PerVictim,
    held: &PerVictim,
) -> Vec<VictimAmounts> {
    // Victims with any of the three, in victim order.
    let mut present: Vec<usize> =
        traced_in.iter().chain(traced_out.iter()).chain(held.iter()).map(|(v, _)| v).collect();
    present.sort_unstable();
    present.dedup();
    present
        .into_iter()
        .map(|i| VictimAmounts {
            victim: victims[i].clone(),
            traced_in: Fen(traced_in.get(i)),
            traced_out: Fen(traced_out.get(i)),
            held: Fen(held.get(i)),
        })
        .collect()
}

impl TraceReport {
    /// The full report: every traced transfer listed.
    pub fn build<G: TransferGraph>(g: &G, trace: &Trace, tz: Tz) -> Result<TraceReport, TraceError> {
        Self::build_with(g, trace, tz, true)
    }

    /// Without the per-transfer list (`transfers` empty): what freeze proposals need, cheaper, since
    /// transfer records are then read only for evidence chains.
    pub fn build_summary<G: TransferGraph>(g: &G, trace: &Trace, tz: Tz) -> Result<TraceReport, TraceError> {
        Self::build_with(g, trace, tz, false)
    }

    fn build_with<G: TransferGraph>(
        g: &G,
        trace: &Trace,
        tz: Tz,
        list_transfers: bool,
    ) -> Result<TraceReport, TraceError> {
        let mut ext: FxHashMap<AccountId, String> = FxHashMap::default();
        let mut name = |id: AccountId| -> Result<String, TraceError> {
            if let Some(n) = ext.get(&id) {
                return Ok(n.clone());
            }
            let n = g.account_external(id)?;
            ext.insert(id, n.clone());
            Ok(n)
        };
        let by_seq: FxHashMap<Seq, &TracedTransfer> = trace.transfers.iter().map(|t| (t.seq, t)).collect();
        let mut txn_names: FxHashMap<Seq, String> = FxHashMap::default();
        let mut txn_name = |seq: Seq| -> Result<String, TraceError> {
            if let Some(n) = txn_names.get(&seq) {
                return Ok(n.clone());
            }
            let n = g.transfer(seq)?.map(|r| r.txn_id).unwrap_or_else(|| format!("#{seq}"));
            txn_names.insert(seq, n.clone());
            Ok(n)
        };
        let victims: Vec<String> = trace.victims.iter().map(|&v| name(v)).collect::<Result<_, _>>()?;

        let mut accounts = Vec::new();
        for a in trace.accounts.values() {
            let attrs = g.account_attrs(a.id)?;
            let by_victim = victim_amounts(&victims, &a.traced_in, &a.traced_out, &a.held);
            accounts.push(AccountEntry {
                account: name(a.id)?,
                hop: a.hop,
                kind: attrs.kind.as_str().to_string(),
                holder_name: attrs.holder_name,
                bank: attrs.bank,
                terminal: None,
                next_step: (!a.has_outgoing_records)
                    .then_some("no outgoing transfers in the store: request this account's statement (调单)"),
                first_arrival: Some(format_rfc3339(a.first_arrival_ms, tz)),
                last_arrival: Some(format_rfc3339(a.last_arrival_ms, tz)),
                first_arrival_ms: Some(a.first_arrival_ms),
                last_arrival_ms: Some(a.last_arrival_ms),
                traced_in: Fen(a.traced_in.total()),
                traced_out: Fen(a.traced_out.total()),
                held: Fen(a.held.total()),
                by_victim,
                statement_requested: a.has_outgoing_records,
                evidence: evidence_chains(&a.deliveries, &by_seq, &mut txn_name)?,
                id: a.id,
            });
        }
        // One pass over the traced transfers for every terminal's deliveries and arrival times.
        let mut into_terminals: FxHashMap<AccountId, TerminalArrivals> = FxHashMap::default();
        for x in trace.transfers.iter().filter(|x| matches!(x.outcome, Outcome::Terminal(_))) {
            let e = into_terminals.entry(x.dst).or_insert((Vec::new(), i64::MAX, i64::MIN));
            e.0.push((x.seq, x.traced.total()));
            e.1 = e.1.min(x.ts_ms);
            e.2 = e.2.max(x.ts_ms);
        }
        for t in trace.terminals.values() {
            let attrs = g.account_attrs(t.id)?;
            let (deliveries, first, last) = match into_terminals.remove(&t.id) {
                Some((d, first, last)) => (d, Some(first), Some(last)),
                None => (Vec::new(), None, None),
            };
            accounts.push(AccountEntry {
                account: name(t.id)?,
                hop: t.hop,
                kind: attrs.kind.as_str().to_string(),
                holder_name: attrs.holder_name,
                bank: attrs.bank,
                terminal: Some(t.kind.as_str()),
                next_step: Some(t.kind.next_step()),
                first_arrival: first.map(|ms| format_rfc3339(ms, tz)),
                last_arrival: last.map(|ms| format_rfc3339(ms, tz)),
                first_arrival_ms: first,
                last_arrival_ms: last,
                traced_in: Fen(t.received.total()),
                traced_out: Fen(0),
                held: Fen(0),
                by_victim: victim_amounts(&victims, &t.received, &PerVictim::default(), &PerVictim::default()),
                statement_requested: true,
                evidence: evidence_chains(&deliveries, &by_seq, &mut txn_name)?,
                id: t.id,
            });
        }
        accounts.sort_by(|a, b| {
            a.hop
                .cmp(&b.hop)
                .then(b.held.cmp(&a.held))
                .then(b.traced_in.cmp(&a.traced_in))
                .then(a.account.cmp(&b.account))
        });

        let mut transfers = Vec::new();
        for t in trace.transfers.iter().filter(|_| list_transfers) {
            transfers.push(TransferEntry {
                txn_id: txn_name(t.seq)?,
                ts: format_rfc3339(t.ts_ms, tz),
                ts_ms: t.ts_ms,
                src: name(t.src)?,
                dst: name(t.dst)?,
                amount: Fen(t.amount),
                traced: Fen(t.traced.total()),
                outcome: outcome_str(t.outcome),
                sources: g.sources(t.seq)?,
            });
        }
        let mut seeds = Vec::new();
        for &s in &trace.seeds {
            if let Some(t) = g.transfer(s)? {
                seeds.push(SeedEntry {
                    txn_id: t.txn_id,
                    ts: format_rfc3339(t.ts_ms, tz),
                    victim: name(t.src)?,
                    account: name(t.dst)?,
                    amount: Fen(t.amount_fen),
                });
            }
        }
        let sum = |f: fn(&super::engine::VictimTotals) -> i64| Fen(trace.totals.iter().map(f).sum());
        let totals = Totals {
            seed_total: sum(|t| t.seed),
            held: sum(|t| t.held),
            terminals: sum(|t| t.terminals),
            returned: sum(|t| t.returned),
            below_cutoff: sum(|t| t.below_cutoff),
            beyond_hops: sum(|t| t.beyond_hops),
            conserved: trace.conserved(),
        };
        let victims_out = victims
            .iter()
            .zip(&trace.totals)
            .map(|(v, t)| VictimTotalsEntry {
                victim: v.clone(),
                seed_total: Fen(t.seed),
                held: Fen(t.held),
                terminals: Fen(t.terminals),
                returned: Fen(t.returned),
                below_cutoff: Fen(t.below_cutoff),
                beyond_hops: Fen(t.beyond_hops),
            })
            .collect();
        let mut statements_to_request: Vec<StatementRequest> = accounts
            .iter()
            .filter(|a| a.terminal.is_none() && !a.statement_requested)
            .map(|a| StatementRequest { account: a.account.clone(), hop: a.hop, held: a.held })
            .collect();
        statements_to_request.sort_by(|a, b| b.held.cmp(&a.held).then(a.hop.cmp(&b.hop)));
        let mut notes = vec![NOTE_CLEAN_MONEY.to_string(), NOTE_EQUAL_TIMES.to_string()];
        if trace.params.rule == super::Rule::Poison {
            notes.push(NOTE_POISON.into());
        }
        Ok(TraceReport {
            rule: trace.params.rule.as_str(),
            hops: trace.params.hops,
            min_amount: Fen(trace.params.min_amount_fen),
            as_of: (trace.params.as_of_ms != i64::MAX).then(|| format_rfc3339(trace.params.as_of_ms, tz)),
            seeds,
            victims: victims_out,
            totals,
            accounts,
            transfers,
            statements_to_request,
            notes,
            tz,
        })
    }

    /// Graphviz: accounts by level left to right, edges carrying traced money.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph trace {\n  rankdir=LR;\n  node [shape=box, fontname=\"Noto Sans CJK SC\"];\n");
        let mut levels: BTreeMap<u32, Vec<&AccountEntry>> = BTreeMap::new();
        for a in &self.accounts {
            levels.entry(a.hop).or_default().push(a);
        }
        for s in &self.seeds {
            let v = dot_escape(&s.victim);
            out.push_str(&format!("  \"{v}\" [label=\"victim\\n{v}\", style=filled, fillcolor=\"#f4cccc\"];\n"));
        }
        for (hop, accts) in &levels {
            out.push_str(&format!("  subgraph level{hop} {{ rank=same;\n"));
            for a in accts {
                let id = dot_escape(&a.account);
                let (fill, label) = match a.terminal {
                    Some(k) => ("#d9d9d9", format!("{id}\\n{k} · received {}", a.traced_in)),
                    None => ("#fff2cc", format!("{id}\\nL{} · held {}", a.hop, a.held)),
                };
                out.push_str(&format!("    \"{id}\" [label=\"{label}\", style=filled, fillcolor=\"{fill}\"];\n"));
            }
            out.push_str("  }\n");
        }
        let mut agg: BTreeMap<(&str, &str), (Fen, usize)> = BTreeMap::new();
        for t in &self.transfers {
            let e = agg.entry((t.src.as_str(), t.dst.as_str())).or_default();
            e.0 += t.traced;
            e.1 += 1;
        }
        let max = agg.values().map(|(f, _)| f.0).max().unwrap_or(1).max(1) as f64;
        for ((s, d), (f, n)) in agg {
            let (s, d) = (dot_escape(s), dot_escape(d));
            let width = 1.0 + 5.0 * (f.0 as f64 / max);
            out.push_str(&format!(
                "  \"{s}\" -> \"{d}\" [label=\"{f}{}\", penwidth={width:.1}];\n",
                if n > 1 { format!(" ({n})") } else { String::new() }
            ));
        }
        out.push_str("}\n");
        out
    }
}

/// Text for inside a DOT double-quoted string. Account ids come from bank data: a `"` would end the
/// string and let the rest become Graphviz attributes (an SVG `href`), a backslash would start one of
/// Graphviz's label escapes, a newline would end the statement.
pub fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Report for TraceReport {
    fn sections(&self) -> Vec<Section> {
        let t = &self.totals;
        let mut summary = Section::fields(
            format!("Trace ({} rule, {} hops, as of {})", self.rule, self.hops, self.as_of.as_deref().unwrap_or("now")),
            vec![
                (
                    "seeds",
                    format!(
                        "{} transfer(s) from {} victim(s), {} yuan",
                        self.seeds.len(),
                        self.victims.len(),
                        t.seed_total
                    ),
                ),
                ("held in reached accounts", t.held.to_string()),
                ("reached terminals", t.terminals.to_string()),
                ("returned to victims", t.returned.to_string()),
                ("below the cut-off", t.below_cutoff.to_string()),
                ("beyond the hop limit", t.beyond_hops.to_string()),
                (
                    "conserved",
                    if self.rule == "poison" { "n/a (poison over-counts)".into() } else { t.conserved.to_string() },
                ),
            ],
        );
        summary.headers = vec![String::new(), String::new()];
        let mut accts = Section::new(
            "Accounts reached",
            &["hop", "account", "holder", "kind", "traced in", "traced out", "held", "first arrival", "note"],
        );
        for a in &self.accounts {
            accts.row(vec![
                a.hop.to_string(),
                a.account.clone(),
                a.holder_name.clone(),
                a.terminal.map_or_else(|| a.kind.clone(), |k| format!("[{k}]")),
                a.traced_in.to_string(),
                a.traced_out.to_string(),
                a.held.to_string(),
                a.first_arrival_ms.map(|ms| format_ts(ms, self.tz)).unwrap_or_default(),
                if a.terminal.is_none() && !a.statement_requested {
                    "statement not requested".into()
                } else {
                    String::new()
                },
            ]);
        }
        let mut req = Section::new("Statements to request next (调单)", &["account", "hop", "held"]);
        for r in &self.statements_to_request {
            req.row(vec![r.account.clone(), r.hop.to_string(), r.held.to_string()]);
        }
        vec![summary, accts, req]
    }

    fn csv_section(&self) -> Section {
        let mut s = Section::new(
            "",
            &[
                "account",
                "hop",
                "terminal",
                "traced_in",
                "traced_out",
                "held",
                "first_arrival",
                "statement_requested",
                "evidence",
            ],
        );
        for a in &self.accounts {
            s.row(vec![
                a.account.clone(),
                a.hop.to_string(),
                a.terminal.unwrap_or("").to_string(),
                a.traced_in.to_string(),
                a.traced_out.to_string(),
                a.held.to_string(),
                a.first_arrival.clone().unwrap_or_default(),
                a.statement_requested.to_string(),
                a.evidence.first().map(|c| c.join(">")).unwrap_or_default(),
            ]);
        }
        s
    }
}
