//! The HTTP API through its router (no socket): auth and roles, bad input, the same JSON as the CLI,
//! stops, audit lines.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use moneytrail::app::Desk;
use moneytrail::ingest::{ingest_files, IngestOptions};
use moneytrail::server::{app, AppState, AuditLog, Role, ServerConfig};
use moneytrail::store::TransferStore;
use moneytrail::timefmt::DEFAULT_TZ;

const ANALYST: &str = "analyst-token-1234567890";
const OPERATOR: &str = "operator-token-1234567890";
const ADMIN: &str = "admin-token-1234567890";

fn world() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

fn finbench_snapshot() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/finbench-sf0.01/snapshot")
}

struct Fixture {
    _dir: tempfile::TempDir,
    audit: std::path::PathBuf,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = TransferStore::open(&dir.path().join("db")).unwrap();
    let w = world();
    ingest_files(&store, &[w.join("transfers.csv")], &[w.join("accounts.csv")], &IngestOptions::default(), &|_| {})
        .unwrap();
    let audit = dir.path().join("audit.log");
    let config = ServerConfig::with_tokens(&[
        (ANALYST, "ana", Role::Analyst),
        (OPERATOR, "opa", Role::Operator),
        (ADMIN, "adm", Role::Admin),
    ]);
    let state = AppState {
        finbench: Some(Arc::new(moneytrail::app::finbench::load(&finbench_snapshot()).unwrap())),
        ..AppState::new(Desk::new(Arc::new(store), DEFAULT_TZ), config, AuditLog::open(&audit).unwrap())
    };
    Fixture { _dir: dir, audit, state }
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

/// POSTs an upload body (CSV or NDJSON) as the operator; the status and the JSON answer.
async fn upload(state: &AppState, uri: &str, content_type: &str, body: String) -> (StatusCode, serde_json::Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {OPERATOR}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    (status, serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap())
}

fn case(id: &str) -> (String, String) {
    let mut rdr = csv::Reader::from_path(world().join("truth/cases.csv")).unwrap();
    let r = rdr.records().map(Result::unwrap).find(|r| &r[0] == id).unwrap();
    let seeds: Vec<String> = r[5].split(';').map(|s| format!("\"{s}\"")).collect();
    (seeds.join(","), r[3].to_string())
}

#[tokio::test]
async fn auth_roles_and_errors() {
    let f = fixture();
    let s = &f.state;
    assert_eq!(call(s, "GET", "/v1/health", None, None).await.0, StatusCode::OK);
    let (st, body) = call(s, "GET", "/v1/stats", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(call(s, "GET", "/v1/stats", Some("not-a-token"), None).await.0, StatusCode::UNAUTHORIZED);
    let (st, body) = call(s, "GET", "/v1/stats", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["transfers"], 29438);

    // Bad input names the field; internals never leak.
    let (st, body) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"seed_txn_ids":["T1"],"hops":99}"#)).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("hops")));
    let (st, body) = call(s, "POST", "/v1/trace", Some(ANALYST), Some("{not json")).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("body")));
    let (st, _) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"seed_txn_ids":["T1"],"surprise":1}"#)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // Well-formed but not actionable: 422, naming the field.
    let (st, body) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"seed_txn_ids":["NOPE"]}"#)).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seed_txn_ids")));
    let (st, body) =
        call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"victims":["V"],"from":"2026-01-01T00:00:00Z"}"#)).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
    // Bare numbers are not API times (the CLI takes them from bank exports; here they are a client bug).
    let (st, body) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"seed_txn_ids":["T1"],"as_of":"0"}"#)).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("as_of")));
    // Whole numbers written as floats are whole numbers.
    let (st, body) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"seed_txn_ids":["NOPE"],"hops":3.0}"#)).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seed_txn_ids")));
    let (st, body) = call(s, "GET", "/v1/accounts/unknown-account", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains("rocksdb"));
    let (st, body) = call(s, "GET", "/v1/accounts/6214832951950679?limit=5000", Some(ANALYST), None).await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));
    assert_eq!(call(s, "GET", "/v1/nowhere", Some(ANALYST), None).await.0, StatusCode::NOT_FOUND);
}

/// A request from `peer` (as the server sees it behind `into_make_service_with_connect_info`).
async fn call_from(peer: &str, state: &AppState, token: &str) -> StatusCode {
    let mut req = Request::builder()
        .uri("/v1/stats")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
    app(state.clone()).oneshot(req).await.unwrap().status()
}

/// Failed authentications are audited with the peer's address and limited per source: after 20 in a
/// minute the source gets 429 even with a good token, while other sources are served.
#[tokio::test]
async fn failed_authentication_is_audited_and_rate_limited_per_source() {
    let f = fixture();
    let s = &f.state;
    for i in 1..=moneytrail::server::auth::MAX_FAILURES {
        assert_eq!(call_from("10.0.0.1:5000", s, "guess-guess-guess").await, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(call_from("10.0.0.1:5001", s, ANALYST).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(call_from("10.0.0.2:5000", s, ANALYST).await, StatusCode::OK, "another source is not blocked");
    assert_eq!(call_from("10.0.0.2:5000", s, "guess-guess-guess").await, StatusCode::UNAUTHORIZED);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let failures = loop {
        let audit = std::fs::read_to_string(&f.audit).unwrap_or_default();
        let lines: Vec<serde_json::Value> = audit
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|l: &serde_json::Value| l["status"] == 401)
            .collect();
        if lines.len() == 21 || std::time::Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(failures.len(), 21);
    assert_eq!(failures[0]["peer"], "10.0.0.1:5000");
    assert_eq!(failures[0]["auth"], "unknown token");
    assert_eq!(failures[19]["failures_in_window"], 20);
    assert_eq!(
        (failures[20]["peer"].as_str(), failures[20]["failures_in_window"].as_u64()),
        (Some("10.0.0.2:5000"), Some(1))
    );
    assert!(!std::fs::read_to_string(&f.audit).unwrap().contains("guess-guess"), "tokens never reach the audit log");
}

/// A request whose audit line cannot be written is refused before anything is read or changed (fail
/// closed), and the audit log verifies afterwards.
#[tokio::test]
async fn without_an_audit_log_nothing_is_served_or_changed() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let f = fixture();
    let full = AppState { audit: AuditLog::open(std::path::Path::new("/dev/full")).unwrap(), ..f.state.clone() };
    let (st, body) = call(&full, "GET", "/v1/stats", Some(ANALYST), None).await;
    assert_eq!((st, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("audit_unavailable")));
    let csv = "txn_id,ts,src,dst,amount\nAUDIT1,2026-02-01 10:00:00,A,B,1.00\n".to_string();
    let req = Request::builder()
        .method("POST")
        .uri("/v1/ingest/transfers")
        .header("authorization", format!("Bearer {OPERATOR}"))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    assert_eq!(app(full.clone()).oneshot(req).await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    let (_, stats) = call(&f.state, "GET", "/v1/stats", Some(ANALYST), None).await;
    assert_eq!(stats["transfers"], 29438, "the refused upload changed nothing");
    // The working log holds the served request's two lines, chained, with its request id.
    let (_, _) = call(&f.state, "GET", "/v1/stats", Some(ANALYST), None).await;
    // The answer line is queued behind the response: wait for it to be synced.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&f.audit).unwrap().lines().last().is_some_and(|l| l.contains(r#""phase":"answer""#))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let v = moneytrail::server::audit::verify(&f.audit).unwrap();
    assert_eq!((v.unchained, v.broken_at), (0, None));
    let text = std::fs::read_to_string(&f.audit).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 3, "{text}");
    let request = &lines[lines.len() - 2];
    assert_eq!((request["phase"].as_str(), request["who"].as_str()), (Some("request"), Some("ana")), "{text}");
    assert!(request["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{text}");
    assert_eq!(lines[lines.len() - 1]["request_id"], request["request_id"]);
    assert_eq!(lines[lines.len() - 1]["status"], 200);
}

/// An account's features (its whole ledger and every counterparty's attributes) are computed for the
/// page that asks for them — by default the first — not again for every page after it.
#[tokio::test]
async fn account_pages_compute_features_only_when_asked() {
    let f = fixture();
    let s = &f.state;
    let uri = "/v1/accounts/6214832951950679?limit=1";
    let (st, first) = call(s, "GET", uri, Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert!(first["features"].is_object(), "{first}");
    let cursor = first["next_cursor"].as_str().expect("more than one transfer").to_string();
    let (_, second) = call(s, "GET", &format!("{uri}&after={cursor}"), Some(ANALYST), None).await;
    assert!(second["features"].is_null() && second["transfers"].as_array().unwrap().len() == 1, "{second}");
    let (_, asked) = call(s, "GET", &format!("{uri}&after={cursor}&features=true"), Some(ANALYST), None).await;
    assert_eq!(asked["features"], first["features"]);
    let (_, skipped) = call(s, "GET", &format!("{uri}&features=false"), Some(ANALYST), None).await;
    assert!(skipped["features"].is_null());
    assert_eq!(skipped["transfers"], first["transfers"]);
}

/// A backup taken while the server serves is the store as it stood (same digest), later uploads do not
/// reach it, and a store restored from it is the same again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_while_serving_restore_to_the_same_store() {
    let f = fixture();
    let s = &f.state;
    assert_eq!(call(s, "POST", "/v1/admin/backup", Some(OPERATOR), None).await.0, StatusCode::FORBIDDEN);
    let before = s.desk.digest().unwrap();
    let (st, report) = call(s, "POST", "/v1/admin/backup", Some(ADMIN), None).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["transfers"], 29438);
    let backup = std::path::PathBuf::from(report["path"].as_str().unwrap());
    assert!(backup.starts_with(s.desk.path().with_file_name("db.backups")), "{report}");
    let (st, _) = upload(
        s,
        "/v1/ingest/transfers",
        "text/csv",
        "txn_id,ts,src,dst,amount\nBK1,2026-02-01 10:00:00,A,B,1.00\n".into(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_ne!(s.desk.digest().unwrap(), before, "the upload changed the store");
    let copy = TransferStore::open_read_only(&backup).unwrap();
    assert_eq!(copy.digest().unwrap(), before, "the backup is the store as it stood");
    drop(copy);
    let restored_dir = f._dir.path().join("restored");
    let restored = moneytrail::app::backup::restore(&backup, &restored_dir).unwrap();
    assert_eq!(restored.transfers, 29438);
    assert_eq!(TransferStore::open_read_only(&restored_dir).unwrap().digest().unwrap(), before);
    // Restoring over a store is refused; a second backup goes to a directory of its own.
    let again = moneytrail::app::backup::restore(&backup, &restored_dir).unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");
    let (_, second) = call(s, "POST", "/v1/admin/backup", Some(ADMIN), None).await;
    assert_ne!(second["path"], report["path"]);
    assert_eq!(second["transfers"], 29439);
}

/// One request may not take the server's memory: seeds and victims per trace are capped (documented in
/// the schema), and the answer says so before any work is done.
#[tokio::test]
async fn seed_and_victim_lists_are_capped() {
    let f = fixture();
    let s = &f.state;
    let ids = |n: usize| (0..n).map(|i| format!("\"T{i:08}\"")).collect::<Vec<_>>().join(",");
    let body = format!(r#"{{"seed_txn_ids":[{}]}}"#, ids(moneytrail::trace::MAX_SEEDS + 1));
    let (st, answer) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(&body)).await;
    assert_eq!((st, answer["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("seed_txn_ids")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("at most 5000"), "{answer}");
    let body = format!(r#"{{"victims":[{}],"from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z"}}"#, ids(1001));
    let (st, answer) = call(s, "POST", "/v1/freeze", Some(ANALYST), Some(&body)).await;
    assert_eq!((st, answer["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("victims")), "{answer}");
    // At the cap the request is taken (and fails later for its own reason: these ids are unknown).
    let body = format!(r#"{{"seed_txn_ids":[{}]}}"#, ids(moneytrail::trace::MAX_SEEDS));
    let (st, answer) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(&body)).await;
    assert_eq!((st, answer["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seed_txn_ids")));
}

/// Runs the CLI binary on the fixture's store (a read-only open beside the server's) and parses its JSON.
fn cli_json(f: &Fixture, args: &[&str]) -> serde_json::Value {
    let db = f._dir.path().join("db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(args)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn trace_freeze_and_stops_answer_like_the_cli() {
    let f = fixture();
    let s = &f.state;
    let (seeds, reported) = case("CASE-00009");
    let req = format!(r#"{{"seed_txn_ids":[{seeds}],"as_of":"{reported}"}}"#);
    let (st, t) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(&req)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t["totals"]["conserved"], true);
    assert!(t["accounts"].as_array().unwrap().iter().all(|a| a["account"].is_string() && a["hop"].is_u64()));
    let seed_list = seeds.replace('"', "");
    let cli_args = ["--seed-txn", seed_list.as_str(), "--as-of", reported.as_str()];
    let cli_trace = cli_json(&f, &[&["trace"][..], &cli_args].concat());
    assert_eq!(t, cli_trace, "the API's trace is the CLI's, field for field");
    let (st, fr) = call(s, "POST", "/v1/freeze", Some(ANALYST), Some(&req)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(fr, cli_json(&f, &[&["freeze"][..], &cli_args].concat()), "the API's freeze is the CLI's");
    let top = fr["proposals"][0].clone();
    assert!(top["account"].is_string() && top["level"].is_u64() && top["amount"].is_string());

    // Upstream from the case's collector card: the API's answer is the CLI's; the victim's money is there.
    let card = t["accounts"].as_array().unwrap().iter().find(|a| a["hop"] == 1).unwrap()["account"].clone();
    let up = format!(r#"{{"upstream":{card},"to":"{reported}","rule":"lifo"}}"#);
    let (st, u) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(&up)).await;
    assert_eq!(st, StatusCode::OK, "{u}");
    let cli_up = cli_json(&f, &["trace", "--upstream", card.as_str().unwrap(), "--to", &reported, "--rule", "lifo"]);
    assert_eq!(u, cli_up, "the API's upstream trace is the CLI's");
    let victim = t["victims"][0]["victim"].clone();
    assert!(u["origins"].as_array().unwrap().iter().any(|o| o["account"] == victim), "{u}");
    assert_eq!(u["totals"]["conserved"], true);
    // Malformed (400) and well-formed but contradictory (422) upstream requests, naming the field.
    for (bad, status, field) in [
        (r#"{"upstream":"X","to":"1700000000"}"#.to_string(), StatusCode::BAD_REQUEST, "to"),
        (format!(r#"{{"upstream":{card},"seed_txn_ids":[{seeds}]}}"#), StatusCode::UNPROCESSABLE_ENTITY, "upstream"),
        (r#"{"follow":"all","seed_txn_ids":["T1"]}"#.to_string(), StatusCode::UNPROCESSABLE_ENTITY, "follow"),
    ] {
        let (st, err) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(&bad)).await;
        assert_eq!((st, err["error"]["field"].as_str()), (status, Some(field)), "{bad}: {err}");
    }
    let (st, err) = call(s, "POST", "/v1/freeze", Some(ANALYST), Some(&up)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("upstream")), "{err}");
    // Paths from the victim to the card: the API's answer is the CLI's.
    let body = format!(r#"{{"from":{victim},"to":{card},"max_hops":3}}"#);
    let (st, p) = call(s, "POST", "/v1/paths", Some(ANALYST), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["connected"], true);
    assert_eq!(p["fewest_hops"]["hops"], 1, "the victim paid the card: {p}");
    let cli_paths =
        cli_json(&f, &["paths", "--from", victim.as_str().unwrap(), "--to", card.as_str().unwrap(), "--max-hops", "3"]);
    assert_eq!(p, cli_paths, "the API's paths are the CLI's");
    let (st, err) = call(s, "POST", "/v1/paths", Some(ANALYST), Some(r#"{"from":"NO-SUCH","to":"X"}"#)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")), "{err}");
    let (st, err) = call(s, "POST", "/v1/trace", Some(ANALYST), Some(r#"{"upstream":"NO-SUCH"}"#)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("upstream")), "{err}");

    // Stops need the operator role; a second stop on the same account is a conflict.
    let stop = format!(
        r#"{{"account":{},"amount":{},"placed_at":"{reported}","case_id":"CASE-00009"}}"#,
        top["account"], top["amount"]
    );
    assert_eq!(call(s, "POST", "/v1/stops", Some(ANALYST), Some(&stop)).await.0, StatusCode::FORBIDDEN);
    let (st, placed) = call(s, "POST", "/v1/stops", Some(OPERATOR), Some(&stop)).await;
    assert_eq!(st, StatusCode::OK, "{placed}");
    assert_eq!(placed["stops"][0]["placed_by"], "opa");
    assert_eq!(call(s, "POST", "/v1/stops", Some(OPERATOR), Some(&stop)).await.0, StatusCode::CONFLICT);
    let (_, after) = call(s, "POST", "/v1/freeze", Some(ANALYST), Some(&req)).await;
    assert_eq!(after["already_stopped"][0]["account"], top["account"]);
    assert_eq!(after, cli_json(&f, &[&["freeze"][..], &cli_args].concat()), "both see the stop placed");
    let (_, stops) = call(s, "GET", "/v1/stops", Some(ANALYST), None).await;
    assert_eq!(stops, cli_json(&f, &["stop", "list"]), "the registry reads the same from both");
    assert!(after["proposals"].as_array().unwrap().iter().all(|p| p["account"] != top["account"]));
    let (st, _) = call(s, "POST", "/v1/stops/1/release", Some(OPERATOR), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(call(s, "POST", "/v1/stops/99/renew", Some(OPERATOR), None).await.0, StatusCode::NOT_FOUND);

    // Rings, and the ring around a known collector.
    let (st, rings) = call(s, "GET", "/v1/rings?min_score=50", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    let mut cli_rings = cli_json(&f, &["rings", "--min-score", "50"]);
    // The API lists at most 100 rings by default; the CLI all of them.
    cli_rings["rings"].as_array_mut().unwrap().truncate(100);
    assert_eq!(rings, cli_rings, "the ranked list is the CLI's");
    let member = rings["rings"][0]["members"][0]["account"].as_str().unwrap().to_string();
    let (st, around) = call(s, "GET", &format!("/v1/rings/around/{member}"), Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(around["rings"][0]["members"].as_array().unwrap().iter().any(|m| m["account"] == member.as_str()));
    assert_eq!(around, cli_json(&f, &["rings", "--around", &member]), "rings around an account: same from both");

    // Every authenticated request left an audit line naming who did what.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let audit = std::fs::read_to_string(&f.audit).unwrap();
    assert!(audit.lines().count() >= 9, "{audit}");
    assert!(audit.contains(r#""who":"opa""#) && audit.contains(r#""uri":"/v1/stops""#));
}

/// A keyed POST as the operator: status, whether it was answered from the key, and the JSON answer.
async fn keyed(state: &AppState, uri: &str, key: &str, body: &str) -> (StatusCode, bool, serde_json::Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {OPERATOR}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let replayed = resp.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, replayed, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_writes_repeated_with_their_key_happen_once() {
    let f = fixture();
    let s = &f.state;
    let (seeds, reported) = case("CASE-00009");
    let account = {
        let (_, t) =
            call(s, "POST", "/v1/trace", Some(ANALYST), Some(&format!(r#"{{"seed_txn_ids":[{seeds}]}}"#))).await;
        t["accounts"][0]["account"].as_str().unwrap().to_string()
    };
    // A stop placed, repeated with its key (no time given: "now" differs, the request does not).
    let stop = format!(r#"{{"account":"{account}","amount":"100"}}"#);
    let (st, again, first) = keyed(s, "/v1/stops", "stop-1", &stop).await;
    assert_eq!((st, again), (StatusCode::OK, false), "{first}");
    let (st, again, second) = keyed(s, "/v1/stops", "stop-1", &stop).await;
    assert_eq!((st, again), (StatusCode::OK, true), "{second}");
    assert_eq!(first, second, "the repeat answers the stop the first placed");
    // Without the key the repeat is a conflict, as before: the key is what makes repeating safe.
    assert_eq!(call(s, "POST", "/v1/stops", Some(OPERATOR), Some(&stop)).await.0, StatusCode::CONFLICT);
    // A renewal repeated is not a second renewal.
    for _ in 0..2 {
        let (st, _, renewed) = keyed(s, "/v1/stops/1/renew", "renew-1", "{}").await;
        assert_eq!((st, renewed["stops"][0]["renewals"].as_u64()), (StatusCode::OK, Some(1)), "{renewed}");
    }
    // The same key for another request, or a key that is not one: refused, nothing written.
    let (st, _, err) = keyed(s, "/v1/stops/1/release", "renew-1", "{}").await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")));
    let (st, _, err) = keyed(s, "/v1/stops/1/release", &"k".repeat(256), "{}").await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("Idempotency-Key")));
    let (_, stops) = call(s, "GET", "/v1/stops", Some(ANALYST), None).await;
    assert!(stops["stops"][0]["released_at"].is_null(), "{stops}");
    // Keys belong to their client: another client's same key is a new request (here: a conflict).
    let case_body = format!(r#"{{"case_id":"K-1","seed_txn_ids":[{seeds}],"report_time":"{reported}"}}"#);
    let (st, again, first) = keyed(s, "/v1/cases", "case-1", &case_body).await;
    assert_eq!((st, again), (StatusCode::OK, false), "{first}");
    let (st, again, second) = keyed(s, "/v1/cases", "case-1", &case_body).await;
    assert_eq!((st, again, &first), (StatusCode::OK, true, &second));
    let req = Request::builder()
        .method("POST")
        .uri("/v1/cases")
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .header("idempotency-key", "case-1")
        .body(Body::from(case_body))
        .unwrap();
    assert_eq!(app(s.clone()).oneshot(req).await.unwrap().status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_ingest_with_rejects_dedupe_and_reads_keep_answering() {
    let f = fixture();
    let s = &f.state;
    let upload = |token: &str, uri: &str, body: String| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "text/csv")
            .body(Body::from(body))
            .unwrap()
    };
    let run = |req: Request<Body>| {
        let state = s.clone();
        async move {
            let resp = app(state).oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap())
        }
    };
    let csv = "txn_id,ts,src,dst,amount\nU1,2026-02-01 10:00:00,A,B,100\nU2,not a time,A,B,5\n".to_string();
    // Only CSV and NDJSON bodies are read; anything else is refused rather than guessed at.
    let mut png = upload(OPERATOR, "/v1/ingest/transfers", csv.clone());
    png.headers_mut().insert("content-type", "image/png".parse().unwrap());
    let (st, err) = run(png).await;
    assert_eq!(
        (st, err["error"]["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"))
    );
    assert_eq!(run(upload(ANALYST, "/v1/ingest/transfers", csv.clone())).await.0, StatusCode::FORBIDDEN);
    let (st, sum) = run(upload(OPERATOR, "/v1/ingest/transfers", csv.clone())).await;
    assert_eq!(st, StatusCode::OK, "{sum}");
    assert_eq!((sum["transfers_added"].as_u64(), sum["transfer_rows_rejected"].as_u64()), (Some(1), Some(1)));
    let (_, again) = run(upload(OPERATOR, "/v1/ingest/transfers", csv)).await;
    assert_eq!(again["transfers_already_present"], 1);
    let (st, err) = run(upload(OPERATOR, "/v1/ingest/transfers", "txn_id,ts,src\nX,1,A\n".into())).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")));
    assert!(err["error"]["message"].as_str().unwrap().contains("dst"));

    // A large upload while reads go on: every read answers, and sees all of it or none of it.
    let before = call(s, "GET", "/v1/stats", Some(ANALYST), None).await.1["transfers"].as_u64().unwrap();
    let mut big = String::from("txn_id,ts,src,dst,amount\n");
    for i in 0..200_000 {
        big.push_str(&format!("BIG{i},{},S{},D{},{}.00\n", 1_769_900_000 + i, i % 5000, i % 777, i % 9000 + 1));
    }
    let ingest = tokio::spawn(run(upload(OPERATOR, "/v1/ingest/transfers", big)));
    let mut seen = std::collections::BTreeSet::new();
    while !ingest.is_finished() {
        let (st, stats) = call(s, "GET", "/v1/stats", Some(ANALYST), None).await;
        assert_eq!(st, StatusCode::OK);
        seen.insert(stats["transfers"].as_u64().unwrap());
    }
    let (st, sum) = ingest.await.unwrap();
    assert_eq!((st, sum["transfers_added"].as_u64()), (StatusCode::OK, Some(200_000)));
    assert!(seen.iter().all(|n| *n == before || *n == before + 200_000), "{seen:?}");
    assert!(!seen.is_empty());
}

#[tokio::test]
async fn cases_are_registered_traced_frozen_and_linked() {
    let f = fixture();
    let s = &f.state;
    let make = |id: &str| {
        let (seeds, reported) = case(id);
        format!(r#"{{"case_id":"{id}","seed_txn_ids":[{seeds}],"report_time":"{reported}"}}"#)
    };
    assert_eq!(call(s, "POST", "/v1/cases", Some(ANALYST), Some(&make("CASE-00006"))).await.0, StatusCode::FORBIDDEN);
    for id in ["CASE-00006", "CASE-00007"] {
        let (st, c) = call(s, "POST", "/v1/cases", Some(OPERATOR), Some(&make(id))).await;
        assert_eq!(st, StatusCode::OK, "{c}");
        assert_eq!(c["created_by"], "opa");
    }
    assert_eq!(call(s, "POST", "/v1/cases", Some(OPERATOR), Some(&make("CASE-00006"))).await.0, StatusCode::CONFLICT);
    let (st, err) =
        call(s, "POST", "/v1/cases", Some(OPERATOR), Some(r#"{"case_id":"BAD","seed_txn_ids":["NO-SUCH-TXN"]}"#)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("seed_txn_ids")));

    let (st, list) = call(s, "GET", "/v1/cases", Some(ANALYST), None).await;
    assert_eq!((st, list.as_array().unwrap().len()), (StatusCode::OK, 2));
    let (st, t) = call(s, "GET", "/v1/cases/CASE-00006/trace?rule=lifo&hops=5", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (t["rule"].as_str(), t["hops"].as_u64(), t["totals"]["conserved"].as_bool()),
        (Some("lifo"), Some(5), Some(true))
    );
    // The case's report time is the default as-of.
    assert_eq!(t["as_of"].as_str().unwrap(), list[0]["report_time"].as_str().unwrap());
    // The web view's diagram: SVG headed by the case id, with a box for every account the trace reached.
    let (st, svg) =
        call(s, "GET", "/v1/cases/CASE-00006/trace?rule=lifo&hops=5&format=svg&lang=en", Some(ANALYST), None).await;
    let svg = svg.as_str().expect("SVG is not JSON").to_string();
    assert_eq!(st, StatusCode::OK);
    assert!(svg.starts_with("<svg") && svg.contains("CASE-00006 money flow"), "{}", &svg[..200]);
    for a in t["accounts"].as_array().unwrap() {
        assert!(svg.contains(&format!("data-account=\"{}\"", a["account"].as_str().unwrap())), "{a}");
    }
    let (st, html) = call(s, "GET", "/v1/cases/CASE-00006/trace?format=html", Some(ANALYST), None).await;
    assert!(st == StatusCode::OK && html.as_str().unwrap().contains("涉及账户"));
    let (st, err) = call(s, "GET", "/v1/cases/CASE-00006/trace?format=pdf", Some(ANALYST), None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("format")), "{err}");
    // A misspelt parameter is refused, not silently ignored (`hop` would trace the default 6 hops).
    let (st, err) = call(s, "GET", "/v1/cases/CASE-00006/trace?hop=3", Some(ANALYST), None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("hop")), "{err}");
    let (st, err) = call(s, "GET", "/v1/rings?limit=abc", Some(ANALYST), None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")), "{err}");
    let (st, err) = call(s, "POST", "/v1/warnings/abc/ack", Some(OPERATOR), None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("path")), "{err}");
    let (st, fr) = call(s, "GET", "/v1/cases/CASE-00006/freeze?threshold=1000", Some(ANALYST), None).await;
    assert_eq!((st, fr["threshold"].as_str()), (StatusCode::OK, Some("1000.00")));
    // CASE-00006 and CASE-00007 share mule cards in the sample world's truth.
    let (st, links) = call(s, "GET", "/v1/cases/CASE-00006/links", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(links["links"][0]["case_b"], "CASE-00007", "{links}");
    assert!(links["links"][0]["strength"].as_f64().unwrap() >= 0.5, "{links}");
    let weights: Vec<f64> =
        links["links"][0]["evidence"].as_array().unwrap().iter().map(|e| e["weight"].as_f64().unwrap()).collect();
    assert!(!weights.is_empty() && weights.windows(2).all(|w| w[0] >= w[1]), "strongest clue first: {links}");
    assert_eq!(links["groups"][0]["cases"], serde_json::json!(["CASE-00006", "CASE-00007"]), "{links}");
    // 串并 over the whole registry: the same group, with the accounts that define it.
    let (st, all) = call(s, "GET", "/v1/links", Some(ANALYST), None).await;
    assert_eq!((st, all["cases"].as_u64()), (StatusCode::OK, Some(2)), "{all}");
    assert_eq!(all["groups"][0]["group_id"], "G01");
    assert!(!all["groups"][0]["defining_accounts"].as_array().unwrap().is_empty(), "{all}");
    // The linking is reused until the registry changes: a third case registered is in the next answer.
    assert_eq!(call(s, "POST", "/v1/cases", Some(OPERATOR), Some(&make("CASE-00009"))).await.0, StatusCode::OK);
    let (_, again) = call(s, "GET", "/v1/links", Some(ANALYST), None).await;
    assert_eq!(again["cases"].as_u64(), Some(3), "{again}");
    let (st, err) = call(s, "GET", "/v1/links?rule=nope", Some(ANALYST), None).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("rule")), "{err}");
    assert_eq!(call(s, "GET", "/v1/cases/NOPE/trace", Some(ANALYST), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ndjson_uploads_keep_every_bad_line() {
    let f = fixture();
    let s = &f.state;
    let body = concat!(
        r#"{"txn_id":"N1","ts":"2026-02-01 10:00:00","src":"A","dst":"B","amount":"100.50"}"#,
        "\n",
        "{this is not json\n",
        r#"{"txn_id":"N2","ts":1769911200,"src":"B","dst":"C","amount":12}"#,
        "\n",
        r#"{"txn_id":"N3","ts":"2026-02-01 10:02:00","src":"B","dst":"C","amount":"-1"}"#,
    );
    let (st, sum) = upload(s, "/v1/ingest/transfers", "application/x-ndjson", body.to_string()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((sum["transfers_added"].as_u64(), sum["transfer_rows_rejected"].as_u64()), (Some(2), Some(2)), "{sum}");
    // The rejected rows come back in the answer (never a server path), with line, field and reason.
    assert!(sum.get("rejects_file").is_none(), "{sum}");
    let rejects = sum["rejects"].as_array().unwrap();
    assert_eq!((rejects.len(), sum["rejects_truncated"].as_bool()), (2, Some(false)), "{sum}");
    assert!(rejects[0]["reason"].as_str().unwrap().contains("NDJSON line 2: not a JSON object"), "{sum}");
    assert_eq!((rejects[1]["field"].as_str(), rejects[1]["value"].as_str()), (Some("amount"), Some("-1")), "{sum}");
    // Lines are the NDJSON body's, as documented (not the converted CSV's, whose header is a line).
    assert_eq!((rejects[0]["line"].as_u64(), rejects[1]["line"].as_u64()), (Some(2), Some(4)), "{sum}");
    let (_, acct) = call(s, "GET", "/v1/accounts/B", Some(ANALYST), None).await;
    let amounts: Vec<&str> =
        acct["transfers"].as_array().unwrap().iter().map(|t| t["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, vec!["100.50", "12.00"]);
}

#[tokio::test]
async fn victims_still_paying_raise_graded_warnings_that_escalate() {
    let f = fixture();
    let s = &f.state;
    // The first half of the cases (by report time) are registered, as investigators have them.
    let mut cases: Vec<(String, String, Vec<String>)> = csv::Reader::from_path(world().join("truth/cases.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[3].to_string(), r[0].to_string(), r[5].split(';').map(String::from).collect())
        })
        .collect();
    cases.sort();
    let (registered, later) = cases.split_at(cases.len() / 2);
    for (reported, id, seeds) in registered {
        let seeds = seeds.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(",");
        let body = format!(r#"{{"case_id":"{id}","seed_txn_ids":[{seeds}],"report_time":"{reported}"}}"#);
        assert_eq!(call(s, "POST", "/v1/cases", Some(OPERATOR), Some(&body)).await.0, StatusCode::OK);
    }
    let scan = r#"{"since":"2026-01-01 00:00:00","until":"2026-01-22 00:00:00"}"#;
    assert_eq!(call(s, "POST", "/v1/warnings/scan", Some(ANALYST), Some(scan)).await.0, StatusCode::FORBIDDEN);
    let (st, res) = call(s, "POST", "/v1/warnings/scan", Some(OPERATOR), Some(scan)).await;
    assert_eq!(st, StatusCode::OK, "{res}");
    let found: std::collections::BTreeSet<String> =
        res["warnings"].as_array().unwrap().iter().map(|w| w["txn_id"].as_str().unwrap().to_string()).collect();
    // Expected from the world's files alone: the accounts the registered cases' victims paid (their first
    // level) and the first such payment into each; the later victims' payments into them from then on.
    let mut by_txn = std::collections::HashMap::new();
    for r in csv::Reader::from_path(world().join("transfers.csv")).unwrap().records() {
        let r = r.unwrap();
        by_txn.insert(r[0].to_string(), (r[1].to_string(), r[3].to_string()));
    }
    let mut first_level: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (_, _, seeds) in registered {
        for t in seeds {
            let (ts, dst) = by_txn[t].clone();
            let first = first_level.entry(dst).or_insert(ts.clone());
            if ts < *first {
                *first = ts;
            }
        }
    }
    let expected: Vec<&String> = later
        .iter()
        .flat_map(|(_, _, seeds)| seeds)
        .filter(|t| first_level.get(&by_txn[*t].1).is_some_and(|first| by_txn[*t].0 >= *first))
        .collect();
    assert!(!expected.is_empty(), "the sample world's later victims pay cards of earlier cases");
    let caught = expected.iter().filter(|t| found.contains(**t)).count();
    assert!(caught * 10 >= expected.len() * 9, "{caught} of {} later victims' payments warned", expected.len());
    // The registered victims' own payments are their cases, not warnings.
    assert!(registered.iter().flat_map(|(_, _, seeds)| seeds).all(|t| !found.contains(t)), "{found:?}");
    for w in res["warnings"].as_array().unwrap() {
        assert!(["purple", "red", "yellow", "blue"].contains(&w["grade"].as_str().unwrap()));
    }
    // Scanning again adds nothing.
    let (_, again) = call(s, "POST", "/v1/warnings/scan", Some(OPERATOR), Some(scan)).await;
    assert_eq!(again["new_warnings"], 0);
    // Listed most urgent first; escalation grows each unacknowledged hour, up to 3.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(150)).to_rfc3339();
    let (st, open) =
        call(s, "GET", &format!("/v1/warnings?at={}", later.replace('+', "%2B")), Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK, "{open}");
    let first = &open[0];
    assert_eq!(first["escalation"], 2);
    let order: Vec<&str> = open.as_array().unwrap().iter().map(|w| w["grade"].as_str().unwrap()).collect();
    let rank = |g: &str| ["purple", "red", "yellow", "blue"].iter().position(|x| *x == g).unwrap();
    assert!(order.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "{order:?}");
    let id = first["id"].as_u64().unwrap();
    assert_eq!(call(s, "POST", &format!("/v1/warnings/{id}/ack"), Some(ANALYST), None).await.0, StatusCode::FORBIDDEN);
    let (st, acked) = call(s, "POST", &format!("/v1/warnings/{id}/ack"), Some(OPERATOR), None).await;
    assert_eq!((st, acked["acknowledged_by"].as_str()), (StatusCode::OK, Some("opa")));
    let (_, open_after) = call(s, "GET", "/v1/warnings", Some(ANALYST), None).await;
    assert_eq!(open_after.as_array().unwrap().len(), open.as_array().unwrap().len() - 1);
    assert_eq!(call(s, "POST", "/v1/warnings/1/ack", Some(OPERATOR), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ring_results_are_reused_until_an_ingest_changes_the_store() {
    let f = fixture();
    let s = &f.state;
    assert_eq!(s.desk.ring_detections(), 0);
    let (_, before) = call(s, "GET", "/v1/rings", Some(ANALYST), None).await;
    let n = before["rings"].as_array().unwrap().len();
    // The list, a ring and the ring around a member: one whole-graph detection between them.
    let id = before["rings"][0]["ring_id"].as_str().unwrap().to_string();
    let member = before["rings"][0]["members"][0]["account"].as_str().unwrap().to_string();
    assert_eq!(call(s, "GET", &format!("/v1/rings/{id}"), Some(ANALYST), None).await.0, StatusCode::OK);
    assert_eq!(call(s, "GET", &format!("/v1/rings/around/{member}"), Some(ANALYST), None).await.0, StatusCode::OK);
    assert_eq!(call(s, "GET", "/v1/rings?limit=5", Some(ANALYST), None).await.0, StatusCode::OK);
    assert_eq!(s.desk.ring_detections(), 1, "ring results were reused, not detected again");
    // A new dealer: three fresh cards of three holders on one device, moving a victim's money to an ATM.
    let upload = |uri: &str, body: &str| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {OPERATOR}"))
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let accounts = "account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n\
        NEW-1,HN1,甲,1990000001,NEWDEV,ICBC,b,2026-01-10,personal\n\
        NEW-2,HN2,乙,1990000002,NEWDEV,ICBC,b,2026-01-10,personal\n\
        NEW-3,HN3,丙,1990000003,NEWDEV,ICBC,b,2026-01-10,personal\n";
    let transfers = "txn_id,ts,src,dst,amount,channel\n\
        NEWT1,2026-01-15 21:00:00,6217006936735416474,NEW-1,60000,transfer\n\
        NEWT2,2026-01-15 21:05:00,NEW-1,NEW-2,59900,transfer\n\
        NEWT3,2026-01-15 21:09:00,NEW-2,NEW-3,59800,transfer\n\
        NEWT4,2026-01-15 23:30:00,NEW-3,ATM-CMB-0001,19900,atm_withdrawal\n\
        NEWT5,2026-01-15 23:31:00,NEW-3,ATM-CMB-0001,19900,atm_withdrawal\n\
        NEWT6,2026-01-15 23:32:00,NEW-3,ATM-CMB-0001,19900,atm_withdrawal\n";
    for (uri, body) in [("/v1/ingest/accounts", accounts), ("/v1/ingest/transfers", transfers)] {
        let resp = app(s.clone()).oneshot(upload(uri, body)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // Asked at once, the list is the last detection's, marked stale, and a new one starts in the background;
    // `fresh=true` waits for a detection of the store as it stands (the same one: never two at once).
    let (_, stale) = call(s, "GET", "/v1/rings", Some(ANALYST), None).await;
    assert_eq!((stale["stale"].as_bool(), stale["rings"].as_array().unwrap().len()), (Some(true), n));
    let (_, after) = call(s, "GET", "/v1/rings?fresh=true", Some(ANALYST), None).await;
    assert_eq!(s.desk.ring_detections(), 2, "one detection after the ingest moved the watermark");
    assert!(after.get("stale").is_none(), "{}", after["stale"]);
    assert_eq!(after["rings"].as_array().unwrap().len(), n + 1, "the cached rings were refreshed after the ingest");
    let found = after["rings"].as_array().unwrap().iter().any(|r| {
        let m: Vec<&str> = r["members"].as_array().unwrap().iter().map(|m| m["account"].as_str().unwrap()).collect();
        m.contains(&"NEW-1") && m.contains(&"NEW-2") && m.contains(&"NEW-3")
    });
    assert!(found, "the new dealer's three cards form a ring");
    // An upload of accounts alone (a holder renamed) does not move the watermark, yet changes rings.
    let renamed = "account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n\
        NEW-1,HN1,改名,1990000001,NEWDEV,ICBC,b,2026-01-10,personal\n";
    let resp = app(s.clone()).oneshot(upload("/v1/ingest/accounts", renamed)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // This time nobody waits: the stale answer's background detection brings the list up to date.
    assert_eq!(call(s, "GET", "/v1/rings", Some(ANALYST), None).await.1["stale"], true);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let now = loop {
        let (_, now) = call(s, "GET", "/v1/rings", Some(ANALYST), None).await;
        if now.get("stale").is_none() {
            break now;
        }
        assert!(std::time::Instant::now() < deadline, "the background detection never landed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let names: Vec<&str> = now["rings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["members"].as_array().unwrap())
        .filter(|m| m["account"] == "NEW-1")
        .map(|m| m["holder_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["改名"], "the rings were detected again after the accounts upload");
    assert_eq!(s.desk.ring_detections(), 3);
}

/// One ring's detail: its flows equal the transfers among its members summed straight from the sample
/// world's transfers.csv; the ring around a member is that same ring, under the same id.
#[tokio::test]
async fn one_ring_with_its_flows_and_the_ring_around_a_member() {
    let f = fixture();
    let s = &f.state;
    let (st, who) = call(s, "GET", "/v1/whoami", Some(ANALYST), None).await;
    assert_eq!((st, who["role"].as_str()), (StatusCode::OK, Some("analyst")));
    let (_, list) = call(s, "GET", "/v1/rings?limit=3", Some(ANALYST), None).await;
    assert!(list["rings"].as_array().unwrap().len() <= 3);
    let first = &list["rings"][0];
    let id = first["ring_id"].as_str().unwrap();
    let (st, ring) = call(s, "GET", &format!("/v1/rings/{id}"), Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK, "{ring}");
    assert_eq!(ring["members"], first["members"]);
    let members: std::collections::BTreeSet<String> =
        ring["members"].as_array().unwrap().iter().map(|m| m["account"].as_str().unwrap().to_string()).collect();
    let mut want: std::collections::BTreeMap<(String, String), (i64, u64)> = Default::default();
    let mut rdr = csv::Reader::from_path(world().join("transfers.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (src, dst, amount) = (col("src"), col("dst"), col("amount"));
    for r in rdr.records() {
        let r = r.unwrap();
        if r[src] != r[dst] && members.contains(&r[src]) && members.contains(&r[dst]) {
            let (y, f) = r[amount].split_once('.').unwrap_or((&r[amount], "0"));
            let fen = y.parse::<i64>().unwrap() * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap();
            let e = want.entry((r[src].to_string(), r[dst].to_string())).or_default();
            e.0 += fen;
            e.1 += 1;
        }
    }
    let got: std::collections::BTreeMap<(String, String), (i64, u64)> = ring["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let (y, f) = x["amount"].as_str().unwrap().split_once('.').unwrap();
            (
                (x["src"].as_str().unwrap().to_string(), x["dst"].as_str().unwrap().to_string()),
                (y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap(), x["transfers"].as_u64().unwrap()),
            )
        })
        .collect();
    assert!(!want.is_empty(), "a top ring moves money among its cards");
    assert_eq!(got, want, "flows among members vs transfers.csv");
    let member = ring["members"][0]["account"].as_str().unwrap();
    let (_, around) = call(s, "GET", &format!("/v1/rings/around/{member}"), Some(ANALYST), None).await;
    assert_eq!(around["rings"][0]["ring_id"].as_str(), Some(id), "{around}");
    assert_eq!(call(s, "GET", "/v1/rings/R9999", Some(ANALYST), None).await.0, StatusCode::NOT_FOUND);
}

/// A payment pushed in through the API into a stopped account raises its warning as it lands, graded
/// by amount, with when it escalates next; the same upload again raises nothing.
#[tokio::test]
async fn uploads_raise_warnings_as_payments_arrive_into_stopped_accounts() {
    let f = fixture();
    let s = &f.state;
    // A first-level mule card from the truth, stopped an hour before the payment below.
    let mule = csv::Reader::from_path(world().join("truth/mules.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .find(|r| &r[2] == "collector")
        .unwrap()[0]
        .to_string();
    let stop = format!(r#"{{"account":"{mule}","amount":"1000.00","placed_at":"2026-01-20T09:00:00+08:00"}}"#);
    let (st, body) = call(s, "POST", "/v1/stops", Some(OPERATOR), Some(&stop)).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    // An ordinary person (a victim of the world, a personal account) pays it 60,000 yuan: red.
    let payer = "6217006936735416474";
    let csv = format!("txn_id,ts,src,dst,amount,channel\nLIVE-1,2026-01-20 10:00:00,{payer},{mule},60000,transfer\n");
    let send = |body: String| async move { upload(s, "/v1/ingest/transfers", "text/csv", body).await.1 };
    let sum = send(csv.clone()).await;
    assert_eq!((sum["transfers_added"].as_u64(), sum["warnings_raised"].as_u64()), (Some(1), Some(1)), "{sum}");
    let (_, all) = call(s, "GET", "/v1/warnings?status=all", Some(ANALYST), None).await;
    let w = all.as_array().unwrap().iter().find(|w| w["txn_id"] == "LIVE-1").expect("the new payment's warning");
    assert_eq!((w["grade"].as_str(), w["account"].as_str()), (Some("red"), Some(mule.as_str())));
    assert!(w["next_escalation_at"].is_string() && w["created_at"].is_string(), "{w}");
    assert!(w["reasons"].to_string().contains("stop-payment"), "{w}");
    let again = send(csv).await;
    assert_eq!((again["transfers_added"].as_u64(), again["warnings_raised"].as_u64()), (Some(0), Some(0)));
    // Another collector of the stopped card's ring: watched once a detection has named it and the ring is
    // tied to what the registries say (here the stop). Uploads never run whole-graph detection
    // themselves; the server runs it at start and in the background after changes.
    let (_, rings) = call(s, "GET", "/v1/rings?fresh=true", Some(ANALYST), None).await;
    let ring = rings["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["members"].as_array().unwrap().iter().any(|m| m["account"] == mule.as_str()))
        .expect("the stopped card's ring");
    let relay = ring["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "collector" && m["account"] != mule.as_str())
        .expect("another collector in the ring")["account"]
        .as_str()
        .unwrap()
        .to_string();
    let sum =
        send(format!("txn_id,ts,src,dst,amount,channel\nLIVE-2,2026-01-20 11:00:00,{payer},{relay},8000,transfer\n"))
            .await;
    assert_eq!(sum["warnings_raised"].as_u64(), Some(1), "{sum}");
    let (_, all) = call(s, "GET", "/v1/warnings?status=all", Some(ANALYST), None).await;
    let w = all.as_array().unwrap().iter().find(|w| w["txn_id"] == "LIVE-2").expect("the ring card's warning");
    assert!(w["reasons"].to_string().contains("mule ring"), "{w}");
}

/// Every operation in the OpenAPI document is routed, with that method: none falls through to the
/// router's "no such endpoint" or answers 405.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let f = fixture();
    let s = &f.state;
    // The document the server serves, read as a client reads it.
    let (st, served) = call(s, "GET", "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let mut checked = 0;
    for (path, item) in served["paths"].as_object().expect("the document has paths") {
        let uri: String = path
            .split('/')
            .map(|seg| {
                if seg == "{id}" {
                    "1"
                } else if seg.starts_with('{') {
                    "X"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, key) in [("GET", "get"), ("POST", "post")] {
            if item.get(key).is_none() {
                continue;
            }
            let body = (method == "POST" && !uri.starts_with("/v1/ingest/")).then_some("{}");
            if uri == "/v1/warnings/stream" {
                // An event stream never ends: its head is the answer (tests/api_socket.rs reads events).
                let req = Request::builder()
                    .uri(&uri)
                    .header("authorization", format!("Bearer {OPERATOR}"))
                    .body(Body::empty())
                    .unwrap();
                let resp = app(s.clone()).oneshot(req).await.unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                assert_eq!(resp.headers()["content-type"], "text/event-stream");
                checked += 1;
                continue;
            }
            let (st, answer) = call(s, method, &uri, Some(OPERATOR), body).await;
            let fallthrough = st == StatusCode::NOT_FOUND && answer.to_string().contains("no such endpoint");
            assert!(!fallthrough && st != StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}: {st} {answer}");
            checked += 1;
        }
    }
    assert!(checked >= 24, "{checked} operations");
}

/// An upload with more bad rows than the answer lists says so; the counts cover them all.
#[tokio::test]
async fn upload_answers_list_the_first_100_rejects_and_say_there_were_more() {
    let f = fixture();
    let mut csv = String::from("txn_id,ts,src,dst,amount\n");
    for i in 0..150 {
        csv.push_str(&format!("BAD{i},2026-02-01 10:00:00,A,B,-{i}\n"));
    }
    let (_, sum) = upload(&f.state, "/v1/ingest/transfers", "text/csv", csv).await;
    assert_eq!(sum["transfer_rows_rejected"].as_u64(), Some(150), "{sum}");
    assert_eq!((sum["rejects"].as_array().unwrap().len(), sum["rejects_truncated"].as_bool()), (100, Some(true)));
    // Lines count the header as line 1: the first data row is line 2.
    assert_eq!((sum["rejects"][0]["line"].as_u64(), sum["rejects"][0]["field"].as_str()), (Some(2), Some("amount")));
}

/// Statement uploads: one file with its name, or several as multipart; the check answers per account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_are_uploaded_by_name_or_multipart_and_checked() {
    let f = fixture();
    let s = &f.state;
    let a = "查询账号：6299000000000001 户名：张三\n交易时间,交易金额,借贷标志,余额,对手账号,对手户名\n\
             2026-02-01 10:00:00,500.00,贷,1500.00,6299000000000009,李四\n\
             2026-02-01 10:05:00,400.00,借,1100.00,6299000000000002,王五\n";
    let b = "查询账号：6299000000000002\n交易时间,交易金额,收付标志,余额,对方账号\n\
             2026-02-01 10:05:04,400.00,收,400.00,6299000000000001\n\
             2026-02-01 11:00:00,300.00,付,0.00,6299000000000003\n";
    let post = |uri: &str, content_type: &str, body: Vec<u8>, token: &str| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let answer = |resp: axum::response::Response| async move {
        let status = resp.status();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap(),
        )
    };
    // An analyst may not; a body without a name is not actionable.
    let resp =
        app(s.clone()).oneshot(post("/v1/ingest/statements?name=a.csv", "text/csv", a.into(), ANALYST)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (st, body) =
        answer(app(s.clone()).oneshot(post("/v1/ingest/statements", "text/csv", a.into(), OPERATOR)).await.unwrap())
            .await;
    assert_eq!((st, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
    let (st, one) = answer(
        app(s.clone()).oneshot(post("/v1/ingest/statements?name=a.csv", "text/csv", a.into(), OPERATOR)).await.unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!((one["transfers_added"].as_u64(), one["files"][0]["file"].as_str()), (Some(2), Some("a.csv")));
    assert!(one.get("rejects_file").is_none(), "no server path in the answer");
    // The payee's statement and a broken one together, as multipart: merged into what is stored, the bad
    // line listed with its field.
    let bad = "查询账号：6299000000000003\n交易时间,交易金额,借贷标志,余额,对手账号\n2026-02-01 11:00:01,3x0.00,贷,300.00,6299000000000002\n";
    let boundary = "mt-boundary-7";
    let mut mp = Vec::new();
    for (name, text) in [("b.csv", b), ("c.csv", bad)] {
        mp.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").bytes());
        mp.extend(text.bytes());
        mp.extend(b"\r\n");
    }
    mp.extend(format!("--{boundary}--\r\n").bytes());
    let (st, two) = answer(
        app(s.clone())
            .oneshot(post("/v1/ingest/statements", &format!("multipart/form-data; boundary={boundary}"), mp, OPERATOR))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{two}");
    let files: Vec<&str> = two["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, vec!["b.csv", "c.csv"]);
    assert_eq!(two["merged_into_stored"], 1, "{two}");
    assert_eq!(two["transfers_added"], 1);
    assert_eq!(two["rejects"][0]["field"], "amount");
    // The check: per account, the period, balances, no breaks.
    let (st, check) = call(s, "GET", "/v1/statements/check?account=6299000000000001", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(check["accounts"][0]["opening_balance"], "1000.00");
    assert_eq!(check["accounts"][0]["breaks"].as_array().unwrap().len(), 0);
    let (st, _) = call(s, "GET", "/v1/statements/check?account=6214832951950679", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "an account with transfers but no statement");

    // A layout no table knows: the import refuses it naming the file as sent (not where the server spooled
    // it) and carries a proposal; the proposal endpoint gives it with each column's guess.
    let odd = "账号：6299000000000009\n处理时间,收支,发生金额,账面结余,对方账号\n2026-02-02 10:00:00,支,5.00,1.00,6299000000000001\n";
    let (st, refused) = answer(
        app(s.clone())
            .oneshot(post("/v1/ingest/statements?name=odd.csv", "text/csv", odd.into(), OPERATOR))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("odd.csv: no statement layout recognised"), "{message}");
    assert!(!message.contains("incoming"), "no server path: {message}");
    assert!(message.contains("datetime = [\"处理时间\"]  # UNSURE"), "{message}");
    let (st, proposal) = answer(
        app(s.clone())
            .oneshot(post("/v1/statements/layout?name=odd.csv", "text/csv", odd.into(), OPERATOR))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{proposal}");
    assert_eq!(proposal["header_row"], 2);
    assert_eq!(proposal["recognised_as"], serde_json::Value::Null);
    assert_eq!((proposal["sample_rows_read"].as_u64(), proposal["sample_rows"].as_u64()), (Some(1), Some(1)));
    let fields: Vec<(&str, &str)> = proposal["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["header"].as_str().unwrap(), c["field"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("处理时间", "datetime"),
            ("收支", "direction"),
            ("发生金额", "amount"),
            ("账面结余", "balance"),
            ("对方账号", "counterparty")
        ]
    );
}

/// Rings start from the case registry: registering a case re-detects (the registry digest changed though
/// the transfers did not), and the accounts its money reached carry the case in their evidence.
#[tokio::test]
async fn a_registered_case_reshapes_the_rings_and_is_named_in_the_evidence() {
    let f = fixture();
    let s = &f.state;
    call(s, "GET", "/v1/rings", Some(ANALYST), None).await;
    assert_eq!(s.desk.ring_detections(), 1);
    let (seeds, reported) = case("CASE-00009");
    let body = format!(r#"{{"case_id":"CASE-00009","seed_txn_ids":[{seeds}],"report_time":"{reported}"}}"#);
    assert_eq!(call(s, "POST", "/v1/cases", Some(OPERATOR), Some(&body)).await.0, StatusCode::OK);
    let (st, rings) = call(s, "GET", "/v1/rings?fresh=true", Some(ANALYST), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(s.desk.ring_detections(), 2, "a new case is new evidence: detected again");
    let named: Vec<&str> = rings["rings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["members"].as_array().unwrap())
        .filter(|m| m["evidence"].as_array().unwrap().iter().any(|e| e.as_str().unwrap().contains("CASE-00009")))
        .map(|m| m["account"].as_str().unwrap())
        .collect();
    assert!(!named.is_empty(), "members reached by the case's money name it");
    // Independently: every named account is a mule card of the sample world's truth.
    let truth: std::collections::BTreeSet<String> = csv::Reader::from_path(world().join("truth/mules.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    for a in &named {
        assert!(truth.contains(*a), "{a} is named by the case but is no mule card");
    }
    call(s, "GET", "/v1/rings", Some(ANALYST), None).await;
    assert_eq!(s.desk.ring_detections(), 2, "and reused after");
}

/// A 断卡 team's confirmed cards over HTTP: the scorer trains on them and reports how well it finds them
/// again; bad lists are refused with the field at fault.
#[tokio::test]
async fn confirmed_cards_train_a_scorer_over_http() {
    let f = fixture();
    let s = &f.state;
    let mules: Vec<String> = csv::Reader::from_path(world().join("truth/mules.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let half: Vec<String> = mules.iter().step_by(2).map(|a| format!("\"{a}\"")).collect();
    let body = format!(r#"{{"accounts":[{},"NOT-IN-STORE"],"source":"op-2026-01"}}"#, half.join(","));
    let (st, r) = call(s, "POST", "/v1/rings/confirmed", Some(ANALYST), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let scorer = &r["scorer"];
    assert_eq!(scorer["confirmed"].as_u64().unwrap() as usize, half.len());
    assert_eq!(scorer["confirmed_not_in_store"], serde_json::json!(["NOT-IN-STORE"]));
    assert!(scorer["cv_recall"].as_f64().unwrap() >= 0.5, "{scorer}");
    let evidence: Vec<String> = r["rings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["members"].as_array().unwrap())
        .flat_map(|m| m["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()))
        .collect();
    assert!(evidence.iter().any(|e| e.starts_with("confirmed mule card (op-2026-01 line")), "{evidence:?}");
    let few = r#"{"accounts":["6217006936735416474"]}"#;
    let (st, err) = call(s, "POST", "/v1/rings/confirmed", Some(ANALYST), Some(few)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("confirmed")));
    let (st, err) = call(s, "POST", "/v1/rings/confirmed", Some(ANALYST), Some(r#"{"accounts":["a"," "]}"#)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("accounts")));
    assert_eq!(call(s, "POST", "/v1/rings/confirmed", None, Some(few)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn finbench_reads_answer_like_the_cli() {
    let f = fixture();
    let s = &f.state;
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/finbench-sf0.01");
    for (query, file, keys) in [
        ("tcr1", "complex_1_param.csv", &["id", "startTime", "endTime", "truncationLimit", "truncationOrder"][..]),
        ("tcr3", "complex_3_param.csv", &["id1", "id2", "startTime", "endTime"][..]),
        (
            "tcr8",
            "complex_8_param.csv",
            &["id", "threshold", "startTime", "endTime", "truncationLimit", "truncationOrder"][..],
        ),
    ] {
        let params = dataset.join("read_params").join(file);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_moneytrail"))
            .args(["finbench", query, "--data"])
            .arg(dataset.join("snapshot"))
            .arg("--params")
            .arg(&params)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let cli: Vec<serde_json::Value> =
            String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let rows: Vec<String> = std::fs::read_to_string(&params)
            .unwrap()
            .lines()
            .filter(|l| l.split('|').next().unwrap().parse::<i64>().is_ok())
            .map(String::from)
            .collect();
        let mut nonempty = 0;
        for (i, (row, expected)) in rows.iter().zip(&cli).take(40).enumerate() {
            // The JSON body as a case system would send it; keys in another order on odd rows.
            let mut body = serde_json::Map::new();
            let pairs: Vec<(&&str, &str)> = keys.iter().zip(row.split('|')).collect();
            let ordered: Vec<_> = if i % 2 == 1 { pairs.into_iter().rev().collect() } else { pairs };
            for (k, v) in ordered {
                let value = match *k {
                    "truncationOrder" | "threshold" => serde_json::Value::String(v.into()),
                    _ => serde_json::from_str(v).unwrap(),
                };
                body.insert(k.to_string(), value);
            }
            let (st, got) = call(
                s,
                "POST",
                &format!("/v1/finbench/{query}"),
                Some(ANALYST),
                Some(&serde_json::Value::Object(body).to_string()),
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{got}");
            assert_eq!(&got, expected, "{query} {row}");
            nonempty += !got.as_array().unwrap().is_empty() as usize;
        }
        assert!(nonempty > 0, "{query}: some answers have rows");
    }
    let (st, err) = call(s, "POST", "/v1/finbench/tcr2", Some(ANALYST), Some("{}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{err}");
    let (st, err) =
        call(s, "POST", "/v1/finbench/tcr3", Some(ANALYST), Some(r#"{"id1": 1, "startTime": 0, "endTime": 5}"#)).await;
    assert_eq!((st, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id2")), "{err}");
    assert_eq!(call(s, "POST", "/v1/finbench/tcr3", None, Some("{}")).await.0, StatusCode::UNAUTHORIZED);
    let without = AppState { finbench: None, ..s.clone() };
    let (st, err) = call(
        &without,
        "POST",
        "/v1/finbench/tcr3",
        Some(ANALYST),
        Some(r#"{"id1": 1, "id2": 2, "startTime": 0, "endTime": 5}"#),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("--finbench"), "{err}");
}

/// Traces, freezes and ranked rings say where their time went (`Server-Timing`), and every answer carries
/// a request id: the client's when it is a sane token, else one the server made.
#[tokio::test]
async fn answers_carry_server_timing_and_a_request_id() {
    let f = fixture();
    let send = |uri: &str, body: Option<&str>, rid: Option<&str>| {
        let mut req = Request::builder()
            .method(if body.is_some() { "POST" } else { "GET" })
            .uri(uri)
            .header("authorization", format!("Bearer {ANALYST}"));
        if let Some(id) = rid {
            req = req.header("x-request-id", id);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
        app(f.state.clone()).oneshot(req)
    };
    let cases = std::fs::read_to_string(world().join("truth/cases.csv")).unwrap();
    let seed = cases.lines().nth(1).unwrap().split(',').nth(5).unwrap().split(';').next().unwrap().to_string();
    let body = format!(r#"{{"seed_txn_ids":["{seed}"],"as_of":"2026-02-01T00:00:00+08:00"}}"#);
    for (uri, body) in [("/v1/trace", Some(body.as_str())), ("/v1/freeze", Some(body.as_str())), ("/v1/rings", None)] {
        let resp = send(uri, body, Some("case-sys.42")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{uri}");
        assert_eq!(resp.headers()["x-request-id"], "case-sys.42", "{uri}: the client's id comes back");
        let timing = resp.headers()["server-timing"].to_str().unwrap().to_string();
        let parts: Vec<(&str, f64)> = timing
            .split(", ")
            .map(|p| {
                let (name, dur) = p.split_once(";dur=").unwrap();
                (name, dur.parse::<f64>().unwrap())
            })
            .collect();
        assert_eq!(
            parts.iter().map(|p| p.0).collect::<Vec<_>>(),
            ["store", "analysis", "serialize"],
            "{uri}: {timing}"
        );
        assert!(parts.iter().all(|p| p.1 >= 0.0), "{uri}: {timing}");
        assert!(parts[0].1 > 0.0, "{uri}: a trace reads the store: {timing}");
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let _: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    }
    // An id with spaces or too long is not echoed (it would go into logs); errors carry one too.
    let resp = send("/v1/rings/R9999", None, Some("bad id")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let made = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made != "bad id" && !made.is_empty());
    let long = "a".repeat(65);
    let resp = send("/v1/rings/R9999", None, Some(&long)).await.unwrap();
    assert_ne!(resp.headers()["x-request-id"].to_str().unwrap(), long, "65 characters are too long");
    let other = send("/v1/rings/R9999", None, None).await.unwrap();
    assert_ne!(other.headers()["x-request-id"].to_str().unwrap(), made, "ids differ per request");
}
