//! Working across cases: a case traced as of its report time, the errors of work over many cases (linking
//! them, 串并, is `link.rs`).

use crate::graph::TransferGraph;
use crate::trace::{resolve_seeds, trace_downstream, SeedSpec, TraceError, TraceParams};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case {case}: {source}")]
    Trace { case: String, source: TraceError },
    /// Reading the graph failed outside any one case's trace (sinks, attributes, names).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

pub use crate::model::CaseSpec;

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
