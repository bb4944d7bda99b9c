//! 串并 against the world's truth of which ring ran each case: pairwise precision and recall of the links
//! and the groups, the adjusted Rand index, the wrong links with what misled them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::truth;
use crate::app::{AppResult, Desk};
use crate::cases::{CaseError, CaseSpec};
use crate::graph::TransferGraph;
use crate::link::link;
use crate::model::AccountId;
use crate::output::{Report, Section};
use crate::policy;
use crate::trace::TraceParams;

/// Pairwise precision and recall of the links at one strength threshold.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PairScore {
    pub min_strength: f64,
    pub pairs: usize,
    pub precision: f64,
    pub recall: f64,
}

/// A wrong link, for reading what misled the weights.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WrongLink {
    pub case_a: String,
    pub ring_a: String,
    pub case_b: String,
    pub ring_b: String,
    pub strength: f64,
    pub strongest_clue: String,
}

/// `eval link --world DIR`: links and groups against the world's truth of which ring ran each case.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LinkEval {
    pub cases: usize,
    /// Rings that ran two or more of the cases.
    pub rings: usize,
    /// Case pairs one ring ran.
    pub true_pairs: usize,
    /// The links the report lists (strength ≥ `policy::LINK_MIN_STRENGTH`).
    pub links: PairScore,
    /// The same at other thresholds, to show the trade-off.
    pub curve: Vec<PairScore>,
    /// Pairs of cases put in one group.
    pub grouped: PairScore,
    pub groups: usize,
    pub alone: usize,
    /// Adjusted Rand index of the groups (alone cases as groups of one) against the rings.
    pub adjusted_rand_index: f64,
    pub sinks: usize,
    /// Sinks that are ring cards (a wrongly recognised sink hides a gang's account).
    pub sinks_that_are_mules: usize,
    pub wrong_links: Vec<WrongLink>,
}

/// The ring that ran each case: the ring of the mule cards its seed payments reached, by amount (a case
/// whose seeds reached no mule card has none).
pub fn case_rings<G: TransferGraph>(
    g: &G,
    cases: &[CaseSpec],
    mules: &BTreeMap<String, String>,
) -> Result<Vec<Option<String>>, CaseError> {
    let mut out = Vec::with_capacity(cases.len());
    for c in cases {
        let wrap = |e: crate::graph::GraphError| CaseError::Trace { case: c.case_id.clone(), source: e.into() };
        let mut by_ring: BTreeMap<&str, i64> = BTreeMap::new();
        for id in &c.seed_txn_ids {
            if let Some((_, t)) = g.transfer_by_txn_id(id).map_err(wrap)? {
                let dst = g.account_external(t.dst).map_err(wrap)?;
                if let Some(ring) = mules.get(&dst) {
                    *by_ring.entry(ring).or_default() += t.amount_fen;
                }
            }
        }
        out.push(by_ring.into_iter().max_by_key(|(r, fen)| (*fen, std::cmp::Reverse(*r))).map(|(r, _)| r.to_string()));
    }
    Ok(out)
}

/// Adjusted Rand index (Hubert & Arabie) of two labellings of the same items.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut table: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut cols: HashMap<usize, u64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let index: f64 = table.values().map(|&n| pairs(n) as f64).sum();
    let sum_a: f64 = rows.values().map(|&n| pairs(n) as f64).sum();
    let sum_b: f64 = cols.values().map(|&n| pairs(n) as f64).sum();
    let total = pairs(a.len() as u64) as f64;
    if total == 0.0 {
        return 1.0;
    }
    let expected = sum_a * sum_b / total;
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0; // both labellings trivial (all singletons or one block): they agree
    }
    (index - expected) / (max - expected)
}

fn pair_score(min_strength: f64, predicted: &BTreeSet<(usize, usize)>, truth: &BTreeSet<(usize, usize)>) -> PairScore {
    let hit = predicted.intersection(truth).count();
    PairScore {
        min_strength,
        pairs: predicted.len(),
        precision: if predicted.is_empty() { 1.0 } else { hit as f64 / predicted.len() as f64 },
        recall: if truth.is_empty() { 1.0 } else { hit as f64 / truth.len() as f64 },
    }
}

/// `eval link --world DIR`: `link` scored on a generated world: its reported cases (`truth/cases.csv`) linked as of their report
/// times, against the rings that ran them (`truth/mules.csv`).
pub fn score(desk: &Desk, world: &Path, base: &TraceParams) -> AppResult<LinkEval> {
    let cases = truth::cases(world, desk.tz())?;
    let mules = truth::mules(world)?;
    score_cases(&desk.view()?, &cases, &mules, base)
}

fn score_cases<G: TransferGraph + Sync>(
    g: &G,
    cases: &[CaseSpec],
    mules: &BTreeMap<String, String>,
    base: &TraceParams,
) -> AppResult<LinkEval> {
    let rings = case_rings(g, cases, mules)?;
    let linked = link(g, cases, base)?;
    let n = cases.len();
    let mut truth = BTreeSet::new();
    for a in 0..n {
        for b in a + 1..n {
            if rings[a].is_some() && rings[a] == rings[b] {
                truth.insert((a, b));
            }
        }
    }
    let strengths: Vec<((usize, usize), f64)> =
        linked.pairs.keys().map(|&(a, b)| ((a, b), linked.strength(a, b))).collect();
    let above = |t: f64| -> BTreeSet<(usize, usize)> { strengths.iter().filter(|s| s.1 >= t).map(|s| s.0).collect() };
    let curve =
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].iter().map(|&t| pair_score(t, &above(t), &truth)).collect();
    let mut grouped = BTreeSet::new();
    for a in 0..n {
        for b in a + 1..n {
            if linked.community[a].is_some() && linked.community[a] == linked.community[b] {
                grouped.insert((a, b));
            }
        }
    }
    // Labels for the index: communities, and a fresh label per alone case (and per ring-less case).
    let predicted: Vec<usize> = (0..n).map(|i| linked.community[i].map_or(n + i, |c| c)).collect();
    let ring_ids: BTreeMap<&str, usize> = rings
        .iter()
        .flatten()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, i))
        .collect();
    let actual: Vec<usize> = (0..n).map(|i| rings[i].as_deref().map_or(n + i, |r| ring_ids[r])).collect();
    let ring_sizes = actual.iter().fold(HashMap::<usize, usize>::new(), |mut m, &r| {
        *m.entry(r).or_default() += 1;
        m
    });
    let mut wrong: Vec<WrongLink> = strengths
        .iter()
        .filter(|(p, s)| *s >= policy::LINK_MIN_STRENGTH && !truth.contains(p))
        .map(|&((a, b), s)| -> AppResult<WrongLink> {
            let clue = &linked.pairs[&(a, b)][0];
            let account = g.account_external(clue.account)?;
            let other = match &clue.other {
                Some((o, k, v)) => Some((k.as_str(), g.account_external(*o)?, v.clone())),
                None => None,
            };
            let strongest_clue = match other {
                Some((k, o, v)) => format!("{account} and {o} share {k} {v} (weight {:.2})", clue.weight),
                None => format!(
                    "{account} at levels {} and {}, {} cases reach it (weight {:.2})",
                    clue.reach_a.hop, clue.reach_b.hop, clue.cases_sharing, clue.weight
                ),
            };
            Ok(WrongLink {
                case_a: cases[a].case_id.clone(),
                ring_a: rings[a].clone().unwrap_or_default(),
                case_b: cases[b].case_id.clone(),
                ring_b: rings[b].clone().unwrap_or_default(),
                strength: (s * 1000.0).round() / 1000.0,
                strongest_clue,
            })
        })
        .collect::<Result<_, _>>()?;
    wrong.sort_by(|x, y| y.strength.total_cmp(&x.strength));
    wrong.truncate(20);
    let mule_ids: BTreeSet<AccountId> = linked
        .sinks
        .keys()
        .copied()
        .filter(|&id| g.account_external(id).is_ok_and(|e| mules.contains_key(&e)))
        .collect();
    Ok(LinkEval {
        cases: n,
        rings: ring_sizes.iter().filter(|(&r, &k)| r < n && k >= 2).count(),
        true_pairs: truth.len(),
        links: pair_score(policy::LINK_MIN_STRENGTH, &above(policy::LINK_MIN_STRENGTH), &truth),
        curve,
        grouped: pair_score(policy::LINK_GROUP_MIN_STRENGTH, &grouped, &truth),
        groups: linked.community.iter().flatten().collect::<BTreeSet<_>>().len(),
        alone: linked.community.iter().filter(|c| c.is_none()).count(),
        adjusted_rand_index: (adjusted_rand_index(&predicted, &actual) * 1000.0).round() / 1000.0,
        sinks: linked.sinks.len(),
        sinks_that_are_mules: mule_ids.len(),
        wrong_links: wrong,
    })
}

impl Report for LinkEval {
    fn sections(&self) -> Vec<Section> {
        let mut s = Section::new(
            format!(
                "串并 vs. truth: {} cases, {} rings ran two or more, {} same-ring pairs",
                self.cases, self.rings, self.true_pairs
            ),
            &["measure", "value"],
        );
        let f = |x: f64| format!("{x:.3}");
        s.row(vec!["links listed".into(), self.links.pairs.to_string()]);
        s.row(vec!["link precision".into(), f(self.links.precision)]);
        s.row(vec!["link recall".into(), f(self.links.recall)]);
        s.row(vec!["groups / alone".into(), format!("{} / {}", self.groups, self.alone)]);
        s.row(vec!["grouped-pair precision".into(), f(self.grouped.precision)]);
        s.row(vec!["grouped-pair recall".into(), f(self.grouped.recall)]);
        s.row(vec!["adjusted Rand index".into(), f(self.adjusted_rand_index)]);
        s.row(vec![
            "sinks recognised (of them ring cards)".into(),
            format!("{} ({})", self.sinks, self.sinks_that_are_mules),
        ]);
        let mut c = Section::new("Links by strength threshold", &["min strength", "pairs", "precision", "recall"]);
        for p in &self.curve {
            c.row(vec![format!("{:.1}", p.min_strength), p.pairs.to_string(), f(p.precision), f(p.recall)]);
        }
        let mut w = Section::new(
            "Wrong links, strongest first",
            &["case a", "ring a", "case b", "ring b", "strength", "strongest clue"],
        );
        for x in &self.wrong_links {
            w.row(vec![
                x.case_a.clone(),
                x.ring_a.clone(),
                x.case_b.clone(),
                x.ring_b.clone(),
                format!("{:.2}", x.strength),
                x.strongest_clue.clone(),
            ]);
        }
        vec![s, c, w]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjusted_rand_index_by_hand() {
        // Contingency of [0,0,1,1] vs [0,0,1,2]: Σ C(n_ij,2) = 1, rows 2, columns 1, C(4,2) = 6; expected
        // 2·1/6 = 1/3, maximum 1.5: (1 − 1/3) / (1.5 − 1/3) = 4/7 (scikit-learn gives the same).
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]), 1.0, "labels' names do not matter");
        // Everything in one group against the truth of two: no better than chance.
        assert!(adjusted_rand_index(&[0, 0, 0, 0], &[0, 0, 1, 1]).abs() < 1e-12);
    }
}
