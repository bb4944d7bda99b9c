//! Tracing a case's money and proposing extended freezes (延伸止付).

use chrono_tz::Tz;

use super::{AppResult, Desk};
use crate::freeze::{propose_freezes, FreezeParams, FreezeReport, Reading, RuleReading, PROTECTIVE_RULES};
use crate::store::StoreView;
use crate::trace::report::TraceReport;
use crate::trace::{resolve_seeds, trace_downstream, Rule, SeedSpec, Trace, TraceParams};

/// What to trace and how: the seeds (victims' payments) and the rule options.
#[derive(Clone, Debug)]
pub struct TraceQuery {
    pub seeds: SeedSpec,
    pub params: TraceParams,
}

/// Runs the trace as the registry stood at as-of: accounts stopped then are terminals (their money is safe).
fn run(view: &StoreView<'_>, q: &TraceQuery) -> AppResult<Trace> {
    let mut params = q.params.clone();
    params.frozen = view.stopped_at(params.as_of_ms)?;
    let seeds = resolve_seeds(view, &q.seeds, params.as_of_ms)?;
    Ok(trace_downstream(view, &seeds, &params)?)
}

/// `trace`, `POST /v1/trace`, `GET /v1/cases/{id}/trace`: where the money went, hop by hop.
pub fn trace(desk: &Desk, q: &TraceQuery) -> AppResult<TraceReport> {
    let view = &desk.view()?;
    let t = run(view, q)?;
    Ok(TraceReport::build(view, &t, desk.tz())?)
}

/// Largest hub cut a request may set: a million distinct counterparties is more than any account has.
pub const MAX_HUB_COUNTERPARTIES: usize = 1_000_000;

/// Checks freeze options a user set: the hub cut must be 1..=[`MAX_HUB_COUNTERPARTIES`], the threshold
/// not negative.
pub fn check_freeze_params(fp: &FreezeParams) -> AppResult<()> {
    if fp.hub_counterparties == 0 || fp.hub_counterparties > MAX_HUB_COUNTERPARTIES {
        return Err(super::AppError::bad_input(
            "hub_counterparties",
            format!("must be 1..={MAX_HUB_COUNTERPARTIES}, got {}", fp.hub_counterparties),
        ));
    }
    if fp.threshold_fen < 0 {
        return Err(super::AppError::bad_input("threshold", "must not be negative"));
    }
    Ok(())
}

/// `freeze`, `POST /v1/freeze`, `GET /v1/cases/{id}/freeze`: which accounts to stop, how much, on what
/// evidence, how urgently.
pub fn freeze(desk: &Desk, q: &TraceQuery, fp: &FreezeParams) -> AppResult<FreezeReport> {
    check_freeze_params(fp)?;
    let (view, tz) = (&desk.view()?, desk.tz());
    let rules = reading_rules(q.params.rule, fp.reading);
    let mut traces = Vec::with_capacity(rules.len());
    for &rule in &rules {
        let mut rq = q.clone();
        rq.params.rule = rule;
        let t = run(view, &rq)?;
        let report = TraceReport::build_summary(view, &t, tz)?;
        traces.push((rule, t, report));
    }
    let readings: Vec<RuleReading<'_>> =
        traces.iter().map(|(rule, trace, report)| RuleReading { rule: *rule, trace, report }).collect();
    let stops = view.all_stops()?;
    Ok(propose_freezes(view, &readings, &stops, fp, tz)?)
}

/// The rules a freeze reads the case under: the trace's own rule alone, or (protective) the conserving
/// rules with the trace's own first when it is one of them.
pub fn reading_rules(rule: Rule, reading: Reading) -> Vec<Rule> {
    match reading {
        Reading::Rule => vec![rule],
        Reading::Protective => {
            let mut rules: Vec<Rule> = PROTECTIVE_RULES.iter().copied().filter(|r| *r == rule).collect();
            rules.extend(PROTECTIVE_RULES.iter().copied().filter(|r| *r != rule));
            rules
        }
    }
}

/// What to trace upstream: the card, the window of its inflows and the rule options.
#[derive(Clone, Debug)]
pub struct UpstreamQuery {
    pub account: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Default: `to_ms`.
    pub as_of_ms: Option<i64>,
    pub hops: u32,
    pub rule: Rule,
    /// Follow every sender back (not only those that pass money on).
    pub follow_all: bool,
}

impl UpstreamQuery {
    /// From the text form the CLI and the API share: times parsed in `tz` (`to` defaults to `as_of`, then
    /// now; `from` to the beginning), `hops` checked like a downstream trace's.
    #[allow(clippy::too_many_arguments)] // the request's own fields, named at every call
    pub fn from_text(
        account: &str,
        from: Option<&str>,
        to: Option<&str>,
        as_of: Option<&str>,
        hops: Option<u32>,
        rule: Rule,
        follow_all: bool,
        tz: Tz,
    ) -> Result<UpstreamQuery, crate::trace::OptionError> {
        use crate::trace::{option_error, option_time, DEFAULT_HOPS, MAX_HOPS};
        let hops = hops.unwrap_or(DEFAULT_HOPS);
        if hops == 0 || hops > MAX_HOPS {
            return Err(option_error("hops", format!("must be 1..={MAX_HOPS}, got {hops}")));
        }
        let as_of_ms = as_of.map(|t| option_time("as_of", Some(t), 0, tz)).transpose()?;
        Ok(UpstreamQuery {
            account: account.to_string(),
            from_ms: option_time("from", from, i64::MIN / 4, tz)?,
            to_ms: option_time("to", to, as_of_ms.unwrap_or_else(super::now_ms), tz)?,
            as_of_ms,
            hops,
            rule,
            follow_all,
        })
    }
}

/// The registered cases' victims (by the case's victims, and by its seed transfers' payers) and their
/// cases: always origins of an upstream trace, named with their cases.
fn registered_victims(view: &StoreView<'_>) -> AppResult<std::collections::BTreeMap<u32, Vec<String>>> {
    let mut out: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    for c in view.all_cases()? {
        let mut ids = std::collections::BTreeSet::new();
        for v in &c.victims {
            ids.extend(crate::graph::TransferGraph::account_id(view, v)?);
        }
        for t in &c.seed_txn_ids {
            if let Some((_, rec)) = crate::graph::TransferGraph::transfer_by_txn_id(view, t)? {
                ids.insert(rec.src);
            }
        }
        for id in ids {
            out.entry(id).or_default().push(c.case_id.clone());
        }
    }
    Ok(out)
}

/// `trace --upstream`, `POST /v1/trace` with `upstream`: where a card's money came from — victims
/// (registered, with their cases, or likely unreported), salary, platforms, cash — with the chain of each.
pub fn upstream(desk: &Desk, q: &UpstreamQuery) -> AppResult<crate::trace::upstream::UpstreamReport> {
    use crate::trace::upstream::{trace_upstream, Conduits, UpstreamParams, UpstreamReport};
    let (view, tz) = (&desk.view()?, desk.tz());
    let Some(id) = crate::graph::TransferGraph::account_id(view, &q.account)? else {
        return Err(super::AppError::unprocessable("upstream", format!("unknown account '{}'", q.account)));
    };
    if q.from_ms > q.to_ms {
        return Err(super::AppError::unprocessable("from", "must not be after to"));
    }
    let as_of_ms = q.as_of_ms.unwrap_or(q.to_ms);
    if as_of_ms < q.to_ms {
        return Err(super::AppError::unprocessable("as_of", "must not be before to"));
    }
    let mut p = UpstreamParams::new(id, q.from_ms, q.to_ms);
    p.as_of_ms = as_of_ms;
    p.hops = q.hops;
    p.rule = q.rule;
    p.conduits = if q.follow_all { Conduits::All } else { Conduits::ByBehaviour };
    let cases_of = registered_victims(view)?;
    let registered = cases_of.keys().copied().collect();
    let up = trace_upstream(view, &p, &registered)?;
    Ok(UpstreamReport::build(view, &up, &cases_of, tz)?)
}

/// Between which accounts, in which window, how deep, how many paths.
#[derive(Clone, Debug)]
pub struct PathsQuery {
    pub from: String,
    pub to: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub max_hops: u32,
    pub limit: usize,
}

impl PathsQuery {
    /// From the text form the CLI and the API share: the window's ends default to all time; `max_hops`
    /// (default 6) and `limit` (default `policy::PATHS_LIMIT`) are checked.
    pub fn from_text(
        from: &str,
        to: &str,
        start: Option<&str>,
        end: Option<&str>,
        max_hops: Option<u32>,
        limit: Option<usize>,
        tz: Tz,
    ) -> Result<PathsQuery, crate::trace::OptionError> {
        use crate::trace::{option_error, option_time, DEFAULT_HOPS};
        let max_hops = max_hops.unwrap_or(DEFAULT_HOPS);
        if max_hops == 0 || max_hops > crate::policy::PATHS_MAX_HOPS {
            return Err(option_error("max_hops", format!("must be 1..={}", crate::policy::PATHS_MAX_HOPS)));
        }
        let limit = limit.unwrap_or(crate::policy::PATHS_LIMIT);
        if limit == 0 || limit > 10_000 {
            return Err(option_error("limit", "must be 1..=10000"));
        }
        Ok(PathsQuery {
            from: from.to_string(),
            to: to.to_string(),
            start_ms: option_time("start", start, i64::MIN / 4, tz)?,
            end_ms: option_time("end", end, i64::MAX / 4, tz)?,
            max_hops,
            limit,
        })
    }
}

/// `paths`, `POST /v1/paths`: is money from A connected to B in the window, over which chains.
pub fn paths(desk: &Desk, q: &PathsQuery) -> AppResult<crate::trace::paths::PathsReport> {
    use crate::trace::paths::{find_paths, PathsParams, PathsReport};
    let (view, tz) = (&desk.view()?, desk.tz());
    let id = |field: &str, account: &str| -> AppResult<u32> {
        crate::graph::TransferGraph::account_id(view, account)?
            .ok_or_else(|| super::AppError::unprocessable(field, format!("unknown account '{account}'")))
    };
    if q.start_ms > q.end_ms {
        return Err(super::AppError::unprocessable("start", "must not be after end"));
    }
    let p = PathsParams {
        from: id("from", &q.from)?,
        to: id("to", &q.to)?,
        start_ms: q.start_ms,
        end_ms: q.end_ms,
        max_hops: q.max_hops,
        limit: q.limit,
        truncation: crate::policy::PATHS_TRUNCATION,
    };
    let found = find_paths(view, &p)?;
    Ok(PathsReport::build(view, &p, &found, tz)?)
}
