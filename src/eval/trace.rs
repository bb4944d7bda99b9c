//! Freeze proposals against where a world's truth says each case's money sat at its report time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::truth;
use crate::app::{AppError, AppResult, Desk};
use crate::cases::{trace_case, CaseError};
use crate::freeze::{propose_freezes, FreezeParams};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::trace::report::TraceReport;
use crate::trace::TraceParams;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseScore {
    pub case_id: String,
    /// Stolen money that truth says sits in non-terminal accounts at the report time.
    pub truth_held: Fen,
    /// The part of it in accounts the proposals name.
    pub covered: Fen,
    /// covered / truth_held (absent when nothing was held).
    pub coverage: Option<f64>,
    pub proposed: usize,
    /// Proposed accounts holding none of this case's money.
    pub false_proposals: usize,
    /// Proposed accounts that are not mule cards at all (truth's mule list): innocent people stopped.
    pub innocents: usize,
}

/// One reading's scores over all cases.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReadingScore {
    /// `fifo`, `lifo`, `proportional` (each alone) or `protective` (the largest of the three, capped).
    pub reading: String,
    pub covered: Fen,
    /// Σ covered / Σ truth_held over all cases.
    pub coverage: f64,
    pub proposed: usize,
    pub false_proposals: usize,
    pub innocents: usize,
    pub innocents_per_case: f64,
    /// Per case (kept for the protective reading only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<CaseScore>,
}

/// `moneytrail eval trace`: freeze proposals scored against a generated world's truth, for each rule alone
/// and for the protective reading.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TraceEval {
    pub hops: u32,
    pub threshold: Fen,
    pub cases: usize,
    pub truth_held: Fen,
    pub readings: Vec<ReadingScore>,
}

/// `eval trace --world DIR`: every reported case of the world traced as of its report time under each
/// conserving rule, proposals made for each rule alone and for the protective reading, and scored against
/// where the truth says the case's money sat.
pub fn score(desk: &Desk, world: &Path, base: &TraceParams, freeze: &FreezeParams) -> AppResult<TraceEval> {
    use crate::freeze::{Reading, RuleReading, PROTECTIVE_RULES};
    crate::app::trace::check_freeze_params(freeze)?;
    let (view, tz) = (&desk.view()?, desk.tz());
    let g = view;
    let cases = truth::cases(world, tz)?;
    let holdings = truth::holdings(world)?;
    let mules = truth::mules(world)?;
    let empty = BTreeMap::new();
    let names: Vec<String> =
        PROTECTIVE_RULES.iter().map(|r| r.as_str().to_string()).chain(["protective".to_string()]).collect();
    let mut per_reading: Vec<Vec<CaseScore>> = vec![Vec::new(); names.len()];
    for case in &cases {
        let wrap = |source| -> AppError { CaseError::Trace { case: case.case_id.clone(), source }.into() };
        let mut traces = Vec::new();
        for rule in PROTECTIVE_RULES {
            let t = trace_case(g, case, &TraceParams { rule, ..base.clone() })?;
            let report = TraceReport::build_summary(g, &t, tz).map_err(wrap)?;
            traces.push((rule, t, report));
        }
        let truth = holdings.get(&case.case_id).unwrap_or(&empty);
        let truth_held: i64 = truth.values().sum();
        for (k, per) in per_reading.iter_mut().enumerate() {
            let chosen: Vec<RuleReading<'_>> = if k < PROTECTIVE_RULES.len() {
                vec![RuleReading { rule: traces[k].0, trace: &traces[k].1, report: &traces[k].2 }]
            } else {
                traces.iter().map(|(rule, trace, report)| RuleReading { rule: *rule, trace, report }).collect()
            };
            let fp = FreezeParams {
                reading: if k < PROTECTIVE_RULES.len() { Reading::Rule } else { Reading::Protective },
                ..freeze.clone()
            };
            let proposals = propose_freezes(g, &chosen, &[], &fp, tz).map_err(wrap)?;
            let proposed: BTreeSet<&str> = proposals.proposals.iter().map(|p| p.account.as_str()).collect();
            let covered: i64 = truth.iter().filter(|(a, _)| proposed.contains(a.as_str())).map(|(_, v)| *v).sum();
            per.push(CaseScore {
                case_id: case.case_id.clone(),
                truth_held: Fen(truth_held),
                covered: Fen(covered),
                coverage: (truth_held > 0).then(|| covered as f64 / truth_held as f64),
                proposed: proposed.len(),
                false_proposals: proposed.iter().filter(|a| truth.get(**a).is_none_or(|v| *v == 0)).count(),
                innocents: proposed.iter().filter(|a| !mules.contains_key(**a)).count(),
            });
        }
    }
    let truth_held: Fen = per_reading.first().map_or(Fen(0), |p| p.iter().map(|s| s.truth_held).sum());
    let readings = names
        .into_iter()
        .zip(per_reading)
        .map(|(reading, scores)| {
            let covered: Fen = scores.iter().map(|s| s.covered).sum();
            let innocents: usize = scores.iter().map(|s| s.innocents).sum();
            ReadingScore {
                coverage: if truth_held.0 > 0 { covered.0 as f64 / truth_held.0 as f64 } else { 1.0 },
                covered,
                proposed: scores.iter().map(|s| s.proposed).sum(),
                false_proposals: scores.iter().map(|s| s.false_proposals).sum(),
                innocents,
                innocents_per_case: innocents as f64 / scores.len().max(1) as f64,
                cases: if reading == "protective" { scores } else { Vec::new() },
                reading,
            }
        })
        .collect();
    Ok(TraceEval { hops: base.hops, threshold: Fen(freeze.threshold_fen), cases: cases.len(), truth_held, readings })
}

impl Report for TraceEval {
    fn sections(&self) -> Vec<Section> {
        let mut r = Section::new(
            format!(
                "Freeze proposals against ground truth ({} cases, {} hops, threshold {}; stolen money held in non-terminal accounts: {})",
                self.cases, self.hops, self.threshold, self.truth_held
            ),
            &["reading", "covered", "coverage", "proposed", "holding none of the case's money", "innocent accounts", "innocents per case"],
        );
        for x in &self.readings {
            r.row(vec![
                x.reading.clone(),
                x.covered.to_string(),
                format!("{:.1}%", 100.0 * x.coverage),
                x.proposed.to_string(),
                x.false_proposals.to_string(),
                x.innocents.to_string(),
                format!("{:.2}", x.innocents_per_case),
            ]);
        }
        let mut c = Section::new(
            "Per case (protective reading)",
            &["case", "truth held", "covered", "coverage", "proposed", "false", "innocent"],
        );
        for s in self.readings.iter().filter(|x| x.reading == "protective").flat_map(|x| &x.cases) {
            c.row(vec![
                s.case_id.clone(),
                s.truth_held.to_string(),
                s.covered.to_string(),
                s.coverage.map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x)),
                s.proposed.to_string(),
                s.false_proposals.to_string(),
                s.innocents.to_string(),
            ]);
        }
        vec![r, c]
    }

    fn csv_section(&self) -> Section {
        self.sections().into_iter().next().unwrap_or_default()
    }
}
