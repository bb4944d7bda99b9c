//! Working across cases: reading case files, linking cases that pass through the same accounts (串并),
//! and scoring freeze proposals against a generated world's ground truth.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Serialize;

use crate::freeze::{propose_freezes, FreezeParams};
use crate::graph::TransferGraph;
use crate::money::{parse_yuan, Fen};
use crate::output::{Report, Section};
use crate::timefmt::parse_ts;
use crate::trace::report::TraceReport;
use crate::trace::{resolve_seeds, trace_downstream, SeedSpec, TraceError, TraceParams};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{path}: missing column '{column}'")]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("{path}:{line}: field {field} = {value:?}: {reason}")]
    BadField { path: PathBuf, line: u64, field: &'static str, value: String, reason: String },
    #[error("case {case}: {source}")]
    Trace { case: String, source: TraceError },
    /// Reading the graph failed outside any one case's trace (sinks, attributes, names).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

/// One case: its seeds and when it was reported.
#[derive(Clone, Debug)]
pub struct CaseSpec {
    pub case_id: String,
    pub seed_txn_ids: Vec<String>,
    /// The report time (the trace's as_of), if given.
    pub as_of_ms: Option<i64>,
}

/// Reads a cases file: CSV with `case_id`, `seed_txn_ids` (`;`-separated) and optionally `report_time`
/// (or `as_of`). The ground truth's `truth/cases.csv` has this shape.
pub fn read_cases(path: &Path, tz: Tz) -> Result<Vec<CaseSpec>, CaseError> {
    let csv_err = |source| CaseError::Csv { path: path.into(), source };
    let mut rdr = csv::Reader::from_path(path).map_err(csv_err)?;
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &'static str| headers.iter().position(|h| h.trim() == name);
    let id_col = col("case_id").ok_or(CaseError::MissingColumn { path: path.into(), column: "case_id" })?;
    let seeds_col =
        col("seed_txn_ids").ok_or(CaseError::MissingColumn { path: path.into(), column: "seed_txn_ids" })?;
    let time_col = col("report_time").or_else(|| col("as_of"));
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let as_of_ms = match time_col.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => Some(parse_ts(t, tz).map_err(|e| CaseError::BadField {
                path: path.into(),
                line,
                field: "report_time",
                value: t.into(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        out.push(CaseSpec {
            case_id: rec.get(id_col).unwrap_or("").trim().to_string(),
            seed_txn_ids: rec
                .get(seeds_col)
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            as_of_ms,
        });
    }
    Ok(out)
}

/// A case's trace as of its report time (or the base's as-of when it has none).
pub fn trace_case<G: TransferGraph>(
    g: &G,
    case: &CaseSpec,
    base: &TraceParams,
) -> Result<crate::trace::Trace, CaseError> {
    let wrap = |source| CaseError::Trace { case: case.case_id.clone(), source };
    let as_of_ms = case.as_of_ms.unwrap_or(base.as_of_ms);
    let spec = SeedSpec { txn_ids: case.seed_txn_ids.clone(), ..Default::default() };
    let seeds = resolve_seeds(g, &spec, as_of_ms).map_err(wrap)?;
    trace_downstream(g, &seeds, &TraceParams { as_of_ms, ..base.clone() }).map_err(wrap)
}

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

/// Reads `truth/holdings.csv` (`case_id,account,amount`).
fn read_holdings(path: &Path) -> Result<BTreeMap<String, BTreeMap<String, i64>>, CaseError> {
    let csv_err = |source| CaseError::Csv { path: path.into(), source };
    let mut rdr = csv::Reader::from_path(path).map_err(csv_err)?;
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let amount = rec.get(2).unwrap_or("");
        let fen = parse_yuan(amount).map_err(|e| CaseError::BadField {
            path: path.into(),
            line,
            field: "amount",
            value: amount.into(),
            reason: e.to_string(),
        })?;
        *out.entry(rec.get(0).unwrap_or("").to_string())
            .or_default()
            .entry(rec.get(1).unwrap_or("").to_string())
            .or_default() += fen;
    }
    Ok(out)
}

/// Reads the accounts of `truth/mules.csv`.
fn read_mules(path: &Path) -> Result<BTreeSet<String>, CaseError> {
    let csv_err = |source| CaseError::Csv { path: path.into(), source };
    let mut rdr = csv::Reader::from_path(path).map_err(csv_err)?;
    let mut out = BTreeSet::new();
    for rec in rdr.records() {
        out.insert(rec.map_err(csv_err)?.get(0).unwrap_or("").to_string());
    }
    Ok(out)
}

pub fn eval_trace<G: TransferGraph>(
    g: &G,
    world: &Path,
    base: &TraceParams,
    freeze: &FreezeParams,
    tz: Tz,
) -> Result<TraceEval, CaseError> {
    use crate::freeze::{Reading, RuleReading, PROTECTIVE_RULES};
    let cases = read_cases(&world.join("truth/cases.csv"), tz)?;
    let holdings = read_holdings(&world.join("truth/holdings.csv"))?;
    let mules = read_mules(&world.join("truth/mules.csv"))?;
    let empty = BTreeMap::new();
    let names: Vec<String> =
        PROTECTIVE_RULES.iter().map(|r| r.as_str().to_string()).chain(["protective".to_string()]).collect();
    let mut per_reading: Vec<Vec<CaseScore>> = vec![Vec::new(); names.len()];
    for case in &cases {
        let wrap = |source| CaseError::Trace { case: case.case_id.clone(), source };
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
                innocents: proposed.iter().filter(|a| !mules.contains(**a)).count(),
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
