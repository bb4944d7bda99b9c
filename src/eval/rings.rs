//! Ring detection against a world's mule labels: card precision and recall, ring purity and completeness,
//! look-alikes and hubs flagged; with a share of the mule cards given as confirmed cards, the scorer too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::truth;
use crate::app::rings::Freshness;
use crate::app::{AppError, AppResult, Desk};
use crate::graph::TransferGraph;
use crate::model::ListedCard;
use crate::output::{Report, Section};

/// `eval rings --confirmed-share F`: a share of the world's mule cards (chosen by a hash of the account,
/// so the same every run) is given as the confirmed list; detection with the scorer is scored on the rest.
pub fn score_with_confirmed(desk: &Desk, world: &Path, share: f64) -> AppResult<RingEval> {
    if !(0.0..1.0).contains(&share) || share == 0.0 {
        return Err(AppError::bad_input("confirmed_share", "the confirmed share must be above 0 and below 1"));
    }
    let mules = truth::mules(world)?;
    let listed: Vec<ListedCard> = mules
        .keys()
        .filter(|a| ((xxhash_rust::xxh3::xxh3_64(a.as_bytes()) % 10_000) as f64) < share * 10_000.0)
        .enumerate()
        .map(|(i, a)| ListedCard { account: a.clone(), line: i + 1 })
        .collect();
    let confirmed: BTreeSet<String> = listed.iter().map(|c| c.account.clone()).collect();
    let found = crate::app::rings::with_confirmed(desk, &listed, "truth sample", 0.0, None)?;
    let view = &desk.view()?;
    let mut flagged = BTreeMap::new();
    for (i, r) in found.report.rings.iter().enumerate() {
        for m in &r.members {
            flagged.insert(m.account.clone(), i);
        }
    }
    let mut eval = score_flagged(view, flagged, world, &confirmed)?;
    eval.scorer = found.report.scorer;
    Ok(eval)
}

/// `eval rings --world DIR`: the ranked rings of the store as it stands (detected as `rings` detects them,
/// from the registries unless the desk says otherwise) against the world's mule labels.
pub fn score(desk: &Desk, world: &Path) -> AppResult<RingEval> {
    let report = crate::app::rings::ranked(desk, 0.0, None, Freshness::Current)?;
    let mut flagged = BTreeMap::new();
    for (i, r) in report.rings.iter().enumerate() {
        for m in &r.members {
            flagged.insert(m.account.clone(), i);
        }
    }
    score_flagged(&desk.view()?, flagged, world, &BTreeSet::new())
}

/// `moneytrail eval rings`: card- and ring-level scores against a generated world's truth.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RingEval {
    pub mule_cards: usize,
    pub flagged: usize,
    pub true_positives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Average over detected rings of the share of members from its majority true ring.
    pub ring_purity: f64,
    /// Average over true rings of the largest share of its cards found in one detected ring.
    pub ring_completeness: f64,
    pub lookalikes_flagged: BTreeMap<String, usize>,
    pub lookalikes: usize,
    /// Flagged accounts that are hubs (`policy::is_hub`: terminals, or 100+ counterparties): never right.
    pub hubs_flagged: usize,
    /// The scorer, when part of the truth was given as confirmed cards (scored on the rest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scorer: Option<crate::rings::scorer::ScorerReport>,
}

/// Scores flagged accounts (account → ring index) against a world's truth, leaving out the accounts in
/// `exclude` from both sides (confirmed cards given to the scorer are no finding).
fn score_flagged<G: TransferGraph>(
    g: &G,
    mut flagged: BTreeMap<String, usize>,
    world: &Path,
    exclude: &BTreeSet<String>,
) -> AppResult<RingEval> {
    let mut truth = truth::mules(world)?;
    truth.retain(|a, _| !exclude.contains(a));
    flagged.retain(|a, _| !exclude.contains(a));
    let looks = truth::lookalikes(world)?;
    let mut hubs_flagged = 0;
    for name in flagged.keys() {
        let Some(id) = g.account_id(name)? else { continue };
        let kind = g.account_attrs(id)?.kind;
        let mut counterparties = BTreeSet::new();
        for dir in [crate::graph::Direction::In, crate::graph::Direction::Out] {
            g.for_each_edge(id, dir, i64::MIN, i64::MAX, &mut |e| {
                counterparties.insert(e.counterparty);
                true
            })?;
        }
        if crate::policy::is_hub(&kind, counterparties.len(), crate::policy::HUB_COUNTERPARTIES) {
            hubs_flagged += 1;
        }
    }
    let rings_count = flagged.values().max().map_or(0, |m| m + 1);
    let tp = flagged.keys().filter(|a| truth.contains_key(*a)).count();
    let precision = if flagged.is_empty() { 1.0 } else { tp as f64 / flagged.len() as f64 };
    let recall = if truth.is_empty() { 1.0 } else { tp as f64 / truth.len() as f64 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    let mut purity = Vec::new();
    for i in 0..rings_count {
        let members: Vec<&String> = flagged.iter().filter(|(_, r)| **r == i).map(|(a, _)| a).collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &members {
            *counts.entry(truth.get(*a).map_or("none", String::as_str)).or_default() += 1;
        }
        let best = counts.iter().filter(|(k, _)| **k != "none").map(|(_, v)| *v).max().unwrap_or(0);
        if !members.is_empty() {
            purity.push(best as f64 / members.len() as f64);
        }
    }
    let true_rings: BTreeSet<&String> = truth.values().collect();
    let mut completeness = Vec::new();
    for tr in &true_rings {
        let cards: Vec<&String> = truth.iter().filter(|(_, r)| r == tr).map(|(a, _)| a).collect();
        let mut per_ring: BTreeMap<usize, usize> = BTreeMap::new();
        for c in &cards {
            if let Some(r) = flagged.get(*c) {
                *per_ring.entry(*r).or_default() += 1;
            }
        }
        completeness.push(per_ring.values().max().copied().unwrap_or(0) as f64 / cards.len() as f64);
    }
    let mut lookalikes_flagged: BTreeMap<String, usize> = BTreeMap::new();
    for (a, kind) in &looks {
        if flagged.contains_key(a) {
            *lookalikes_flagged.entry(kind.clone()).or_default() += 1;
        }
    }
    let avg = |v: &[f64]| if v.is_empty() { 1.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    Ok(RingEval {
        mule_cards: truth.len(),
        flagged: flagged.len(),
        true_positives: tp,
        precision,
        recall,
        f1,
        ring_purity: avg(&purity),
        ring_completeness: avg(&completeness),
        lookalikes_flagged,
        lookalikes: looks.len(),
        hubs_flagged,
        scorer: None,
    })
}

impl Report for RingEval {
    fn sections(&self) -> Vec<Section> {
        let mut s = Section::fields(
            "Ring detection against ground truth",
            vec![
                ("mule cards (truth)", self.mule_cards.to_string()),
                ("cards flagged", self.flagged.to_string()),
                ("precision", format!("{:.3}", self.precision)),
                ("recall", format!("{:.3}", self.recall)),
                ("F1", format!("{:.3}", self.f1)),
                ("ring purity", format!("{:.3}", self.ring_purity)),
                ("ring completeness", format!("{:.3}", self.ring_completeness)),
                ("hubs flagged", self.hubs_flagged.to_string()),
                (
                    "scorer (cross-validated on the confirmed cards)",
                    self.scorer.as_ref().map_or_else(
                        || "not used".to_string(),
                        |s| {
                            format!(
                                "{} confirmed, precision ≥ {:.3}, recall {:.3}, {} new flags",
                                s.confirmed, s.cv_precision, s.cv_recall, s.flagged
                            )
                        },
                    ),
                ),
                (
                    "look-alikes flagged",
                    format!(
                        "{} of {} {:?}",
                        self.lookalikes_flagged.values().sum::<usize>(),
                        self.lookalikes,
                        self.lookalikes_flagged
                    ),
                ),
            ],
        );
        s.headers = vec![String::new(), String::new()];
        vec![s]
    }
}
