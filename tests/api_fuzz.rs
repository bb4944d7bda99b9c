//! Fuzzing of the API's JSON request bodies, in process: every POST that takes JSON gets bodies made from
//! a valid one — a field replaced by any JSON value (wrong types, huge and negative numbers, odd
//! strings, deep nesting), fields dropped or added, the bytes cut or flipped — and random JSON. Whatever
//! arrives, the answer is an answer: never a 5xx, never a panic, and every refusal is the documented error
//! body naming its code. `make test` runs MONEYTRAIL_API_FUZZ_CASES (default 600) bodies; `make fuzz`
//! 20,000. (Coverage-guided fuzzing of these handlers would mean building RocksDB again under the fuzzer's
//! flags; the body parsers below the handlers — rows, statements, NDJSON, amounts, times, on-disk
//! records — have cargo-fuzz targets in `fuzz/`.)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use moneytrail::app::Desk;
use moneytrail::ingest::{ingest_files, IngestOptions};
use moneytrail::server::{app, AppState, AuditLog, Role, ServerConfig};
use moneytrail::store::TransferStore;
use moneytrail::timefmt::DEFAULT_TZ;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use tower::ServiceExt;

const ADMIN: &str = "fuzz-admin-token-0123456789";

fn world() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

/// Each JSON endpoint with a body it accepts.
fn endpoints(seed: &str, account: &str, mules: &[String]) -> Vec<(&'static str, Value)> {
    let trace = json!({"seed_txn_ids": [seed], "as_of": "2026-01-20T00:00:00+08:00", "hops": 4, "rule": "fifo",
        "min_amount": "10", "threshold": "100", "hub_counterparties": 100, "reading": "protective"});
    vec![
        ("/v1/trace", trace.clone()),
        ("/v1/freeze", trace),
        (
            "/v1/trace",
            json!({"upstream": account, "from": "2026-01-01T00:00:00+08:00", "to": "2026-01-20T00:00:00+08:00", "follow": "behaviour"}),
        ),
        ("/v1/paths", json!({"from": account, "to": account, "max_hops": 3, "start": "2026-01-01T00:00:00+08:00"})),
        (
            "/v1/stops",
            json!({"account": account, "amount": "100.50", "placed_at": "2026-01-10T15:00:00+08:00", "case_id": "C", "basis_txn": seed, "note": "n"}),
        ),
        ("/v1/stops/1/renew", json!({"at": "2026-01-11T15:00:00+08:00"})),
        ("/v1/stops/1/release", json!({"at": "2026-01-12T15:00:00+08:00"})),
        (
            "/v1/cases",
            json!({"case_id": "FZ", "seed_txn_ids": [seed], "report_time": "2026-01-10T14:30:41+08:00", "note": "n"}),
        ),
        (
            "/v1/cases",
            json!({"case_id": "FZV", "victims": [account], "from": "2026-01-01T00:00:00+08:00", "to": "2026-01-10T00:00:00+08:00"}),
        ),
        ("/v1/warnings/scan", json!({"since": "2026-01-01T00:00:00+08:00", "until": "2026-01-02T00:00:00+08:00"})),
        ("/v1/rings/confirmed", json!({"accounts": mules, "source": "op", "min_score": 10, "limit": 5})),
    ]
}

/// Any JSON value, with the things parsers trip on: big and negative numbers, fractions, empty and odd
/// strings (control characters, RTL marks, digits only, times and amounts slightly wrong), nesting.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        prop_oneof![
            Just(String::new()),
            "\\PC{0,40}",
            "[0-9]{1,30}(\\.[0-9]{0,5})?",
            "-?[0-9]{1,20}\\.[0-9]{1,3}",
            "20[0-9]{2}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)?",
            "[\\x00-\\x1f\\u{202e}\\u{feff}]{1,5}",
            Just("9".repeat(400)),
            Just("fifo".to_string()),
            Just("poison".to_string()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a body is made from a valid one.
#[derive(Clone, Debug)]
enum Mutation {
    /// Field `i % len` replaced by a value.
    Replace(usize, Value),
    /// Field `i % len` dropped.
    Drop(usize),
    /// An unknown field added.
    Add(String, Value),
    /// The valid body's bytes cut at `i % len`.
    Cut(usize),
    /// The byte at `i % len` set to `b`.
    Flip(usize, u8),
    /// Something else entirely.
    Whole(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<usize>().prop_map(Mutation::Drop),
        1 => ("[a-z_]{1,12}", any_json()).prop_map(|(k, v)| Mutation::Add(k, v)),
        1 => any::<usize>().prop_map(Mutation::Cut),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => any_json().prop_map(Mutation::Whole),
    ]
}

fn apply(valid: &Value, m: &Mutation) -> Vec<u8> {
    let obj = valid.as_object().expect("bodies are objects");
    let keys: Vec<&String> = obj.keys().collect();
    let mut v = obj.clone();
    match m {
        Mutation::Replace(i, x) => {
            v.insert(keys[i % keys.len()].clone(), x.clone());
        }
        Mutation::Drop(i) => {
            v.remove(keys[i % keys.len()]);
        }
        Mutation::Add(k, x) => {
            v.insert(k.clone(), x.clone());
        }
        Mutation::Cut(i) => {
            let b = serde_json::to_vec(valid).unwrap();
            return b[..i % (b.len() + 1)].to_vec();
        }
        Mutation::Flip(i, byte) => {
            let mut b = serde_json::to_vec(valid).unwrap();
            let at = i % b.len();
            b[at] = *byte;
            return b;
        }
        Mutation::Whole(x) => return serde_json::to_vec(x).unwrap(),
    }
    serde_json::to_vec(&Value::Object(v)).unwrap()
}

#[test]
fn any_json_body_gets_an_answer_never_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = TransferStore::open(&dir.path().join("db")).unwrap();
    let w = world();
    ingest_files(&store, &[w.join("transfers.csv")], &[w.join("accounts.csv")], &IngestOptions::default(), &|_| {})
        .unwrap();
    let config = ServerConfig::with_tokens(&[(ADMIN, "fuzz", Role::Admin)]);
    let audit = AuditLog::open(&dir.path().join("audit.log")).unwrap();
    let state = AppState::new(Desk::new(Arc::new(store), DEFAULT_TZ), config, audit);
    // A seed of a reported case, and the account it paid.
    let mut cases = csv::Reader::from_path(w.join("truth/cases.csv")).unwrap();
    let case = cases.records().next().unwrap().unwrap();
    let seed = case[5].split(';').next().unwrap().to_string();
    let account = case[1].to_string();
    let mules: Vec<String> = csv::Reader::from_path(w.join("truth/mules.csv"))
        .unwrap()
        .records()
        .take(30)
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let endpoints = endpoints(&seed, &account, &mules);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let call = |path: &str, body: Vec<u8>| -> (StatusCode, Vec<u8>) {
        rt.block_on(async {
            let req = Request::builder()
                .method("POST")
                .uri(path)
                .header("authorization", format!("Bearer {ADMIN}"))
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            let resp = app(state.clone()).oneshot(req).await.unwrap();
            let status = resp.status();
            (status, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
        })
    };
    // The valid bodies are valid: what the mutations start from is accepted.
    for (path, body) in &endpoints {
        let (st, answer) = call(path, serde_json::to_vec(body).unwrap());
        assert!(st.is_success() || st == StatusCode::CONFLICT, "{path}: {st} {}", String::from_utf8_lossy(&answer));
    }
    let cases = std::env::var("MONEYTRAIL_API_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(600);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    runner
        .run(&(0..endpoints.len(), mutation()), |(e, m)| {
            let (path, valid) = &endpoints[e];
            let body = apply(valid, &m);
            let (st, answer) = call(path, body.clone());
            *statuses.borrow_mut().entry(st.as_u16()).or_default() += 1;
            prop_assert!(
                !st.is_server_error(),
                "{path} {} -> {st}: {}",
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&answer)
            );
            if st.is_client_error() {
                let err: Value = serde_json::from_slice(&answer)
                    .map_err(|e| TestCaseError::fail(format!("{path}: {st} not JSON: {e}")))?;
                prop_assert!(err["error"]["code"].is_string(), "{path}: {st} {err}");
            }
            Ok(())
        })
        .unwrap();
    let statuses = statuses.into_inner();
    eprintln!("{cases} bodies, answers by status: {statuses:?}");
    // The mutations reach the handlers, not only the JSON parser.
    assert!(
        statuses.get(&200).copied().unwrap_or(0) > 0 && statuses.keys().filter(|s| **s >= 400).count() >= 3,
        "{statuses:?}"
    );
}
