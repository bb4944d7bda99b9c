//! Mule-card rings for 断卡 crackdowns: account features, detectors, rings with evidence, evaluation.

pub mod detect;
pub mod features;
pub mod scorer;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;
use serde::Serialize;

use crate::graph::{GraphResult, TransferGraph};
use crate::money::Fen;
use crate::output::{Report, Section};
pub use detect::{DetectParams, Known, Ring, Role};
use features::{all_features, AttrTable};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberEntry {
    pub account: String,
    pub role: &'static str,
    pub holder_name: String,
    pub holder_id: String,
    pub bank: String,
    pub money_in: Fen,
    pub money_out: Fen,
    pub evidence: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SharedEntry {
    pub attribute: &'static str,
    pub value: String,
    pub accounts: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SenderEntry {
    pub account: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RingEntry {
    pub ring_id: String,
    pub score: f64,
    pub members: Vec<MemberEntry>,
    pub shared_attributes: Vec<SharedEntry>,
    /// Money that entered the ring's cards from outside it.
    pub money_in: Fen,
    /// Outside senders (likely victims), largest first (at most 20).
    pub senders: Vec<SenderEntry>,
    pub sender_count: usize,
    /// Laundering patterns among the ring's transfers.
    pub patterns: Vec<String>,
}

/// The id of the ring at `rank` (0-based) in a ranked list: `R0001` is the strongest. Ids are ranks, so
/// they name a ring within one detection; a later detection may rank it differently.
pub fn ring_id(rank: usize) -> String {
    format!("R{:04}", rank + 1)
}

/// Money moved between two members of a ring, over all time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FlowEntry {
    pub src: String,
    pub dst: String,
    pub amount: Fen,
    pub transfers: usize,
}

/// One ring with the flows among its members (for its diagram).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RingDetail {
    #[serde(flatten)]
    pub ring: RingEntry,
    /// Transfers between members, summed per ordered pair, largest first.
    pub flows: Vec<FlowEntry>,
}

/// The rings around an account, each with the flows among its members (few rings, so flows are cheap).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RingsAround {
    pub rings: Vec<RingDetail>,
}

/// The flows among a ring's members: each member's outgoing transfers to other members, summed per pair.
/// Reads each member's out-edges once, so it is meant for one ring, not for a whole ranked list.
pub fn ring_flows<G: TransferGraph>(g: &G, ring: &Ring) -> GraphResult<Vec<FlowEntry>> {
    let members: BTreeSet<crate::model::AccountId> = ring.members.iter().map(|m| m.id).collect();
    let mut sums: BTreeMap<(crate::model::AccountId, crate::model::AccountId), (i64, usize)> = BTreeMap::new();
    for &m in &members {
        for e in g.edges(m, crate::graph::Direction::Out, i64::MIN, i64::MAX)? {
            if e.counterparty != m && members.contains(&e.counterparty) {
                let x = sums.entry((m, e.counterparty)).or_default();
                x.0 += e.amount_fen;
                x.1 += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(sums.len());
    for ((src, dst), (fen, n)) in sums {
        out.push(FlowEntry {
            src: g.account_external(src)?,
            dst: g.account_external(dst)?,
            amount: Fen(fen),
            transfers: n,
        });
    }
    out.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| (&a.src, &a.dst).cmp(&(&b.src, &b.dst))));
    Ok(out)
}

/// `moneytrail rings`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RingsReport {
    pub accounts_scanned: u32,
    pub rings: Vec<RingEntry>,
    /// The scorer learnt from confirmed cards, when a list was given (`--confirmed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scorer: Option<scorer::ScorerReport>,
    /// Present (true) when the list comes from the last detection, made before the store's latest change;
    /// a new detection is running in the background (ask with `fresh=true` to wait for it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// The values a batch job (`jobs/spark/`) computing features and suspects needs, by their names here: the
/// export writes them into its manifest, so the thresholds have one home (`policy.rs` and `features.rs`).
pub fn batch_policy() -> BTreeMap<String, serde_json::Value> {
    use crate::model::AccountKind;
    use crate::policy as p;
    use serde_json::json;
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("PASS_WINDOW_MS", json!(p::RING_PASS_WINDOW_MS)),
        ("DAY_MS", json!(p::RING_PASS_DAY_WINDOW_MS)),
        ("ROUND_LIMITS_YUAN", json!(p::RING_ROUND_LIMITS_YUAN)),
        ("UNDER_LIMIT_FEN", json!(p::RING_UNDER_LIMIT_FEN)),
        ("RING_PHONE_RUN_GAP", json!(p::RING_PHONE_RUN_GAP)),
        ("RING_COHORT_DAYS", json!(p::RING_COHORT_DAYS)),
        ("RING_SHARED_HOLDERS", json!(p::RING_SHARED_HOLDERS)),
        ("RING_PASS_THROUGH", json!(p::RING_PASS_THROUGH)),
        ("RING_PASS_THROUGH_WEAK", json!(p::RING_PASS_THROUGH_WEAK)),
        ("RING_BALANCE_LEFT_MAX", json!(p::RING_BALANCE_LEFT_MAX)),
        ("RING_MIN_FLOW_FEN", json!(p::RING_MIN_FLOW_FEN)),
        ("RING_CASHOUT_SHARE", json!(p::RING_CASHOUT_SHARE)),
        ("RING_CASHOUT_MIN_OUT", json!(p::RING_CASHOUT_MIN_OUT)),
        ("RING_SALARY_SHARE_MAX", json!(p::RING_SALARY_SHARE_MAX)),
        ("RING_OUT_IN_MAX", json!(p::RING_OUT_IN_MAX)),
        ("RING_MIN_SENDERS", json!(p::RING_MIN_SENDERS)),
        ("RING_ONE_OFF_SENDERS", json!(p::RING_ONE_OFF_SENDERS)),
        ("RING_MEDIAN_DWELL_MAX_MIN", json!(p::RING_MEDIAN_DWELL_MAX_MIN)),
        ("HUB_COUNTERPARTIES", json!(p::HUB_COUNTERPARTIES)),
        ("PAYROLL_SALARY_OUT_SHARE", json!(p::PAYROLL_SALARY_OUT_SHARE)),
        ("FOLLOWED_KINDS", json!([AccountKind::Payment.as_str()])),
        (
            "TERMINAL_KINDS",
            json!([AccountKind::Atm, AccountKind::Otc, AccountKind::Merchant, AccountKind::ThirdParty]
                .iter()
                .filter(|k| p::is_terminal_kind(k))
                .map(|k| k.as_str())
                .collect::<Vec<_>>()),
        ),
    ] {
        m.insert(k.to_string(), v);
    }
    m
}

/// Whole-graph ring detection: features of every account (parallel), then rings. `known` accounts
/// (mules known from traces or freezes) anchor rings even when their own signals are weak.
pub fn detect_rings<G: TransferGraph + Sync>(
    g: &G,
    params: &DetectParams,
    known: &[detect::Known],
    tz: Tz,
) -> GraphResult<(Vec<Ring>, Vec<features::AccountFeatures>, AttrTable)> {
    let table = AttrTable::load(g)?;
    let feats = all_features(g, &table, tz)?;
    let rings = detect::rings(g, &feats, &table, params, known)?;
    Ok((rings, feats, table))
}

impl RingsReport {
    pub fn build<G: TransferGraph>(
        g: &G,
        rings: &[Ring],
        table: &AttrTable,
        min_score: f64,
    ) -> GraphResult<RingsReport> {
        let mut out = Vec::new();
        for (i, r) in rings.iter().enumerate().filter(|(_, r)| r.score >= min_score) {
            let mut members = Vec::new();
            for m in &r.members {
                let a = table.get(m.id);
                members.push(MemberEntry {
                    account: g.account_external(m.id)?,
                    role: m.role.as_str(),
                    holder_name: a.holder_name.clone(),
                    holder_id: a.holder_id.clone(),
                    bank: a.bank.clone(),
                    money_in: Fen(m.in_fen),
                    money_out: Fen(m.out_fen),
                    evidence: m.reasons.clone(),
                });
            }
            let mut shared = Vec::new();
            for (k, v, ids) in &r.shared {
                shared.push(SharedEntry {
                    attribute: k.as_str(),
                    value: v.clone(),
                    accounts: ids.iter().map(|&id| g.account_external(id)).collect::<GraphResult<_>>()?,
                });
            }
            let senders = r
                .senders
                .iter()
                .take(20)
                .map(|&(s, a)| Ok(SenderEntry { account: g.account_external(s)?, amount: Fen(a) }))
                .collect::<GraphResult<_>>()?;
            out.push(RingEntry {
                ring_id: ring_id(i),
                score: (r.score * 10.0).round() / 10.0,
                members,
                shared_attributes: shared,
                money_in: Fen(r.money_in_fen),
                senders,
                sender_count: r.senders.len(),
                patterns: r.patterns.clone(),
            });
        }
        Ok(RingsReport { accounts_scanned: table.len() as u32, rings: out, scorer: None, stale: false })
    }
}

impl Report for RingsAround {
    /// The rings as the ranked list shows them, then the money among each ring's cards.
    fn sections(&self) -> Vec<Section> {
        let list = RingsReport {
            accounts_scanned: 0,
            rings: self.rings.iter().map(|r| r.ring.clone()).collect(),
            scorer: None,
            stale: false,
        };
        let mut sections = ring_sections(&list, "Mule-card rings around the accounts".into());
        let mut f = Section::new("Money among the ring's cards", &["ring", "from", "to", "amount", "transfers"]);
        for r in &self.rings {
            for x in &r.flows {
                f.row(vec![
                    r.ring.ring_id.clone(),
                    x.src.clone(),
                    x.dst.clone(),
                    x.amount.to_string(),
                    x.transfers.to_string(),
                ]);
            }
        }
        // CSV carries the members (the last section); the flows go before them.
        sections.insert(sections.len() - 1, f);
        sections
    }
}

impl Report for RingsReport {
    fn sections(&self) -> Vec<Section> {
        let mut sections = ring_sections(self, format!("Mule-card rings ({} accounts scanned)", self.accounts_scanned));
        if let Some(s) = &self.scorer {
            let mut f = Section::fields(
                "Scorer learnt from the confirmed cards (cross-validated against the list)",
                vec![
                    ("confirmed cards in the store", s.confirmed.to_string()),
                    ("listed but not in the store", s.confirmed_not_in_store.len().to_string()),
                    ("trained on (accounts)", s.trained_on.to_string()),
                    ("precision (lower bound)", format!("{:.3}", s.cv_precision)),
                    ("recall of confirmed cards", format!("{:.3}", s.cv_recall)),
                    ("threshold", format!("{:.2}", s.threshold)),
                    ("new accounts flagged", s.flagged.to_string()),
                    ("weighs most", s.importance.iter().take(5).map(|w| w.feature).collect::<Vec<_>>().join(", ")),
                ],
            );
            f.headers = vec![String::new(), String::new()];
            // CSV carries the members (the last section); the scorer goes before them.
            sections.insert(0, f);
        }
        sections
    }
}

/// The ranked-list table, patterns and members (the last section, which CSV carries).
fn ring_sections(list: &RingsReport, title: String) -> Vec<Section> {
    let mut s = Section::new(
        title,
        &["ring", "score", "cards", "collectors", "relays", "cash-out", "money in", "senders", "shared"],
    );
    for r in &list.rings {
        let count = |role: &str| r.members.iter().filter(|m| m.role == role).count().to_string();
        s.row(vec![
            r.ring_id.clone(),
            format!("{:.1}", r.score),
            r.members.len().to_string(),
            count("collector"),
            count("relay"),
            count("cashout"),
            r.money_in.to_string(),
            r.sender_count.to_string(),
            r.shared_attributes
                .iter()
                .map(|x| format!("{} {} ({} cards)", x.attribute, x.value, x.accounts.len()))
                .collect::<Vec<_>>()
                .join("; "),
        ]);
    }
    let mut p = Section::new("Patterns", &["ring", "pattern"]);
    for r in &list.rings {
        for x in &r.patterns {
            p.row(vec![r.ring_id.clone(), x.clone()]);
        }
    }
    let mut m = Section::new("Members", &["ring", "account", "role", "holder", "bank", "money in", "evidence"]);
    for r in &list.rings {
        for x in &r.members {
            m.row(vec![
                r.ring_id.clone(),
                x.account.clone(),
                x.role.to_string(),
                x.holder_name.clone(),
                x.bank.clone(),
                x.money_in.to_string(),
                x.evidence.join("; "),
            ]);
        }
    }
    vec![s, p, m]
}
