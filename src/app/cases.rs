//! The case registry: cases registered with their seeds, their traces and freezes by id, and linking
//! cases that share accounts (串并).

use std::path::Path;

use chrono_tz::Tz;
use serde::Serialize;

use super::trace::TraceQuery;
use super::{AppError, AppResult, Desk};
use crate::cases::CaseSpec;
use crate::ingest::lists::read_cases;
use crate::link::LinkReport;
use crate::model::CaseRecord;
use crate::store::{RequestKey, StoreView, Written};
use crate::timefmt::format_rfc3339;
use crate::trace::{resolve_seeds, Rule, SeedSpec, TraceParams};

/// A registered case, for people and case systems.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseEntry {
    pub case_id: String,
    pub seed_txn_ids: Vec<String>,
    pub victims: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub report_time: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub note: String,
}

impl CaseEntry {
    pub fn of(c: CaseRecord, tz: Tz) -> CaseEntry {
        let t = |ms: Option<i64>| ms.map(|ms| format_rfc3339(ms, tz));
        CaseEntry {
            case_id: c.case_id,
            seed_txn_ids: c.seed_txn_ids,
            victims: c.victims,
            from: t(c.from_ms),
            to: t(c.to_ms),
            report_time: t(c.report_time_ms),
            created_at: format_rfc3339(c.created_at_ms, tz),
            created_by: c.created_by,
            note: c.note,
        }
    }
}

/// A case to register: its seeds (transfer ids, or victims with a window) and when it was reported.
#[derive(Clone, Debug, Default)]
pub struct NewCase {
    pub case_id: String,
    pub seeds: SeedSpec,
    /// Whether the window ends were given (a window of victims is stored as given).
    pub has_from: bool,
    pub has_to: bool,
    pub report_time_ms: Option<i64>,
    pub note: String,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// `POST /v1/cases` (and each row of `case import`): refused when the id is taken, or when its seeds do
/// not resolve now, since a case that cannot be traced is better refused than stored.
/// A `request` key seen before answers the case that request registered (see [`RequestKey`]). After a new
/// registration the payments already in the store into the accounts the case reached (since each one's
/// first fraud inflow) are checked for warnings: whoever paid them may be paying still.
pub fn register(desk: &Desk, new: NewCase, request: Option<&RequestKey>) -> AppResult<Written<CaseRecord>> {
    let case_id = new.case_id.trim().to_string();
    if case_id.is_empty() {
        return Err(AppError::bad_input("case_id", "a case needs an id"));
    }
    resolve_seeds(&desk.view()?, &new.seeds, new.report_time_ms.unwrap_or(i64::MAX))?;
    let record = CaseRecord {
        case_id,
        from_ms: new.has_from.then_some(new.seeds.from_ms),
        to_ms: new.has_to.then_some(new.seeds.to_ms),
        report_time_ms: new.report_time_ms,
        seed_txn_ids: new.seeds.txn_ids,
        victims: new.seeds.victims,
        created_at_ms: new.created_at_ms,
        created_by: new.created_by,
        note: new.note,
    };
    Ok(desk.write(|tx| tx.put_case(&record, request))?.0)
}

/// What `case import` did.
#[derive(Debug, Serialize)]
pub struct ImportSummary {
    pub registered: usize,
    /// Cases whose id was registered before: left as they were.
    pub already_registered: usize,
}

/// `case import --file`: registers every case of a cases file (case_id, seed_txn_ids, report_time) the way
/// `POST /v1/cases` does; cases already registered are left as they were.
pub fn import(desk: &Desk, file: &Path) -> AppResult<ImportSummary> {
    let cases = read_cases(file, desk.tz())?;
    let now_ms = desk.now_ms();
    // The file's name, not its path: the API shows `created_by` to clients.
    let created_by = format!(
        "import {}",
        file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into())
    );
    let mut summary = ImportSummary { registered: 0, already_registered: 0 };
    for c in cases {
        if desk.view()?.case(&c.case_id)?.is_some() {
            summary.already_registered += 1;
            continue;
        }
        let case_id = c.case_id.clone();
        let new = NewCase {
            case_id: c.case_id,
            seeds: SeedSpec { txn_ids: c.seed_txn_ids, ..SeedSpec::default() },
            report_time_ms: c.as_of_ms,
            created_by: created_by.clone(),
            created_at_ms: now_ms,
            ..NewCase::default()
        };
        register(desk, new, None).map_err(|e| match e {
            AppError::Unprocessable { field, message } => {
                AppError::Unprocessable { field, message: format!("{}: case {case_id}: {message}", file.display()) }
            }
            other => other,
        })?;
        summary.registered += 1;
    }
    Ok(summary)
}

/// A registered case by id.
pub fn get(desk: &Desk, case_id: &str) -> AppResult<CaseRecord> {
    find(&desk.view()?, case_id)
}

fn find(view: &StoreView<'_>, case_id: &str) -> AppResult<CaseRecord> {
    view.case(case_id)?.ok_or_else(|| AppError::NotFound(format!("no case '{case_id}'")))
}

/// `GET /v1/cases`: every registered case.
pub fn list(desk: &Desk) -> AppResult<Vec<CaseEntry>> {
    Ok(desk.view()?.all_cases()?.into_iter().map(|c| CaseEntry::of(c, desk.tz())).collect())
}

/// `trace --case ID`, `freeze --case ID`, `GET /v1/cases/{id}/trace|freeze`: the trace query of a
/// registered case (its seeds, as of its report time unless `options` say otherwise).
pub fn query_of(desk: &Desk, case_id: &str, options: &CaseRuleOptions) -> AppResult<(CaseRecord, TraceQuery)> {
    let case = get(desk, case_id)?;
    let query = case_query(&case, options)?;
    Ok((case, query))
}

/// The rule options a request may set on a registered case's trace; the rest comes from the case.
#[derive(Clone, Debug, Default)]
pub struct CaseRuleOptions {
    pub rule: Option<Rule>,
    pub hops: Option<u32>,
    pub min_amount_fen: Option<i64>,
    /// Default: the case's report time.
    pub as_of_ms: Option<i64>,
}

/// The trace query of a registered case: its seeds, as of its report time unless told otherwise.
pub fn case_query(case: &CaseRecord, o: &CaseRuleOptions) -> AppResult<TraceQuery> {
    let seeds = SeedSpec {
        txn_ids: case.seed_txn_ids.clone(),
        victims: case.victims.clone(),
        from_ms: case.from_ms.unwrap_or(i64::MIN),
        to_ms: case.to_ms.unwrap_or(i64::MAX),
    };
    let hops = o.hops.unwrap_or(crate::trace::DEFAULT_HOPS);
    if hops == 0 || hops > crate::trace::MAX_HOPS {
        return Err(AppError::bad_input("hops", format!("must be 1..={}, got {hops}", crate::trace::MAX_HOPS)));
    }
    let params = TraceParams {
        rule: o.rule.unwrap_or_default(),
        hops,
        min_amount_fen: o.min_amount_fen.unwrap_or(0),
        as_of_ms: o.as_of_ms.or(case.report_time_ms).unwrap_or_else(super::now_ms),
        frozen: Default::default(),
        scope: None,
    };
    Ok(TraceQuery { seeds, params })
}

/// `trace --case ID`, `GET /v1/cases/{id}/trace`: a registered case's trace (as of its report time unless
/// `options` say otherwise).
pub fn trace(desk: &Desk, case_id: &str, options: &CaseRuleOptions) -> AppResult<crate::trace::report::TraceReport> {
    let (_, query) = query_of(desk, case_id, options)?;
    super::trace::trace(desk, &query)
}

/// `freeze --case ID`, `GET /v1/cases/{id}/freeze`: a registered case's extended-freeze proposals.
pub fn freeze(
    desk: &Desk,
    case_id: &str,
    options: &CaseRuleOptions,
    fp: &crate::freeze::FreezeParams,
) -> AppResult<crate::freeze::FreezeReport> {
    let (_, query) = query_of(desk, case_id, options)?;
    super::trace::freeze(desk, &query, fp)
}

/// `link --cases FILE`: which cases of a cases file one gang ran (串并), with the links' evidence, the groups
/// and the shared sinks.
pub fn link_file(desk: &Desk, file: &Path, base: &TraceParams) -> AppResult<LinkReport> {
    let cases = read_cases(file, desk.tz())?;
    let view = &desk.view()?;
    let linked = crate::link::link(view, &cases, base)?;
    Ok(LinkReport::build(view, &cases, &linked, None)?)
}

/// The registered cases that can be linked: those with seed transfers (victim-and-window cases have no
/// seed ids to link by yet), each traced as of its own report time.
fn linkable(view: &StoreView<'_>) -> AppResult<Vec<CaseSpec>> {
    Ok(view
        .all_cases()?
        .into_iter()
        .filter(|c| c.victims.is_empty())
        .map(|c| CaseSpec { case_id: c.case_id, seed_txn_ids: c.seed_txn_ids, as_of_ms: c.report_time_ms })
        .collect())
}

/// The registry's cases and how they link.
type RegistryLinks = std::sync::Arc<(Vec<CaseSpec>, crate::link::Linked)>;
/// What a linking of the registry saw: the store, the registry, the rule options.
type LinksKey = (crate::store::Watermark, u64, crate::trace::Rule, u32, i64);

/// The last linking of the whole registry (seconds at thousands of cases: every case traced, sinks judged),
/// reused by `GET /v1/links` and every case page's `GET /v1/cases/{id}/links` until an ingest or a
/// registration changes what it saw, or other rule options are asked for.
#[derive(Default)]
pub struct LinksCache {
    last: std::sync::Mutex<Option<(LinksKey, RegistryLinks)>>,
}

impl LinksCache {
    /// Forgets the last linking: account attributes changed (shared holders, phones and devices are clues)
    /// without moving the watermark.
    pub fn invalidate(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn get(&self, view: &StoreView<'_>, base: &TraceParams) -> AppResult<RegistryLinks> {
        let key = (view.watermark(), view.registry_digest()?, base.rule, base.hops, base.min_amount_fen);
        // Held while linking: two requests never link the same registry twice.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, v)) = last.as_ref().filter(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let specs = linkable(view)?;
        let linked = crate::link::link(view, &specs, base)?;
        let value = std::sync::Arc::new((specs, linked));
        *last = Some((key, value.clone()));
        Ok(value)
    }
}

/// `GET /v1/links`: 串并 over every registered case.
pub fn link_registry(desk: &Desk, base: &TraceParams) -> AppResult<LinkReport> {
    let view = &desk.view()?;
    let linked = desk.links().get(view, base)?;
    Ok(LinkReport::build(view, &linked.0, &linked.1, None)?)
}

/// `GET /v1/cases/{id}/links`: the registered cases linked to this one, its group and the sinks its money
/// reached.
pub fn links(desk: &Desk, case_id: &str, base: &TraceParams) -> AppResult<LinkReport> {
    let view = &desk.view()?;
    find(view, case_id)?;
    let linked = desk.links().get(view, base)?;
    let Some(me) = linked.0.iter().position(|c| c.case_id == case_id) else {
        return Err(AppError::unprocessable("id", format!("case {case_id} has no seed transfers to link by")));
    };
    Ok(LinkReport::build(view, &linked.0, &linked.1, Some(me))?)
}
