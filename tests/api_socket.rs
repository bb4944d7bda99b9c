//! The API over a real socket on loopback: what a case system sees, including the limits' JSON errors.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use moneytrail::app::Desk;
use moneytrail::server::{app, AppState, AuditLog, Role, ServerConfig};
use moneytrail::store::TransferStore;
use moneytrail::timefmt::DEFAULT_TZ;

const TOKEN: &str = "socket-test-token-123456";

/// Sends one HTTP/1.1 request and returns (status, body).
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    // The server may answer (413) before reading the whole body; a failed write is fine then.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// A server on an empty store under `dir` with the given request limit; its address and its store.
async fn server(dir: &std::path::Path, limit: std::time::Duration) -> (std::net::SocketAddr, Arc<TransferStore>) {
    let mut config = ServerConfig::with_tokens(&[(TOKEN, "case-system", Role::Admin)]);
    config.request_timeout = limit;
    let store = Arc::new(TransferStore::open(&dir.join("db")).unwrap());
    let audit = AuditLog::open(&dir.join("audit.log")).unwrap();
    let state = AppState::new(Desk::new(store.clone(), DEFAULT_TZ), config, audit);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
    (addr, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_real_socket_every_error_is_json() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = server(dir.path(), moneytrail::server::REQUEST_TIMEOUT).await;
    let auth = format!("Bearer {TOKEN}");
    let json = ("Content-Type", "application/json");

    let (st, body) = http(addr, "GET", "/v1/health", &[], b"").await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = http(addr, "GET", "/v1/stats", &[], b"").await;
    assert_eq!(st, 401);
    assert!(body.contains(r#""code":"unauthorized""#), "{body}");
    let (st, body) = http(addr, "GET", "/v1/stats", &[("Authorization", &auth)], b"").await;
    assert_eq!(st, 200);
    assert!(body.contains(r#""transfers":0"#), "{body}");

    let big = vec![b' '; 2 << 20];
    let (st, body) = http(addr, "POST", "/v1/trace", &[("Authorization", &auth), json], &big).await;
    assert_eq!(st, 413, "{body}");
    assert!(body.contains(r#""field":"body""#), "{body}");
    let (st, body) = http(addr, "DELETE", "/v1/stats", &[("Authorization", &auth)], b"").await;
    assert_eq!(st, 405);
    assert!(body.contains(r#""code":"method_not_allowed""#), "{body}");
    // JSON without saying so: the media type is what is wrong (415), not the body.
    let (st, body) = http(addr, "POST", "/v1/trace", &[("Authorization", &auth)], br#"{"seed_txn_ids":["x"]}"#).await;
    assert_eq!(st, 415, "{body}");
    assert!(body.contains(r#""code":"unsupported_media_type""#) && body.contains(r#""field":"body""#), "{body}");
}

/// A request that takes longer than the server's limit is answered 408 with a JSON error, over a real
/// socket: here a client that announces a body and stops sending it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_slower_than_the_limit_gets_a_json_408() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = server(dir.path(), std::time::Duration::from_secs(1)).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/trace HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"seed_txn_ids\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""code":"timeout""#), "{text}");
    let waited = started.elapsed();
    assert!(waited >= std::time::Duration::from_millis(900), "answered after {waited:?}, before the limit");
}

/// Starts an upload of `body` and sends it in `pieces`, `pause` apart; returns the raw answer.
async fn slow_upload(
    addr: std::net::SocketAddr,
    body: &str,
    pieces: usize,
    pause: std::time::Duration,
    stop_after: Option<usize>,
) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/ingest/transfers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let size = body.len().div_ceil(pieces);
    for (i, piece) in body.as_bytes().chunks(size).enumerate() {
        if stop_after == Some(i) {
            break;
        }
        tokio::time::sleep(pause).await;
        if stream.write_all(piece).await.is_err() {
            break;
        }
    }
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut raw)).await;
    String::from_utf8_lossy(&raw).to_string()
}

fn transfers_csv(n: usize) -> String {
    let mut text = String::from("txn_id,ts,src,dst,amount\n");
    for i in 0..n {
        text.push_str(&format!("SLOW{i},2026-02-01 10:{:02}:00,A{i},B{i},1.00\n", i % 60));
    }
    text
}

fn leftovers(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("db/incoming")).map_or(Vec::new(), |d| d.map(|e| e.unwrap().path()).collect())
}

/// An upload that takes longer than the request limit to arrive is not cut off: it is ingested and
/// answered (the limit drops only requests that have changed nothing), and its spooled file is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_slower_than_the_limit_is_finished_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, store) = server(dir.path(), std::time::Duration::from_secs(1)).await;
    let answer = slow_upload(addr, &transfers_csv(50), 5, std::time::Duration::from_millis(600), None).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""transfers_added":50"#), "{answer}");
    assert_eq!(store.view().unwrap().watermark().next_seq, 50);
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

/// An upload that stalls is answered 408 after the idle limit, with nothing ingested and no file left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_is_refused_with_nothing_done_and_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, store) = server(dir.path(), std::time::Duration::from_secs(1)).await;
    let answer = slow_upload(addr, &transfers_csv(50), 5, std::time::Duration::from_millis(50), Some(2)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("the upload stalled"), "{answer}");
    assert_eq!(store.view().unwrap().watermark().next_seq, 0);
    // The spooled file goes when the request is dropped; give the drop a moment.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

/// The warnings' event stream over a real socket: a board connected before the payment is told of its
/// warning the moment the upload that brought it lands, and the stream outlives the request time limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_board_hears_of_a_warning_as_the_upload_lands() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = server(dir.path(), std::time::Duration::from_secs(1)).await;
    let auth = format!("Bearer {TOKEN}");
    let csv = ("Content-Type", "text/csv");
    // A card that took a victim's money, stopped the next morning.
    let before = "txn_id,ts,src,dst,amount\nS1,2026-03-01 20:00:00,VICTIM-1,CARD,50000\n";
    let (st, body) =
        http(addr, "POST", "/v1/ingest/transfers", &[("Authorization", &auth), csv], before.as_bytes()).await;
    assert_eq!(st, 200, "{body}");
    let stop = r#"{"account":"CARD","amount":"50000","placed_at":"2026-03-02T09:00:00+08:00"}"#;
    let (st, body) = http(
        addr,
        "POST",
        "/v1/stops",
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        stop.as_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{body}");

    let mut board = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET /v1/warnings/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    board.write_all(head.as_bytes()).await.unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    // The answer's head, then nothing until something happens: past the 1 s request limit.
    while !seen.contains("\r\n\r\n") {
        let n = board.read(&mut buf).await.unwrap();
        assert!(n > 0, "the stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.starts_with("HTTP/1.1 200") && seen.contains("text/event-stream"), "{seen}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // Another person pays the stopped card: the upload raises a warning and the board hears of it.
    let payment = "txn_id,ts,src,dst,amount\nS2,2026-03-02 10:30:00,VICTIM-2,CARD,8000\n";
    let (st, body) =
        http(addr, "POST", "/v1/ingest/transfers", &[("Authorization", &auth), csv], payment.as_bytes()).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(r#""warnings_raised":1"#), "{body}");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("\"txn_id\":\"S2\"") {
        let n = tokio::time::timeout_at(deadline, board.read(&mut buf)).await.expect("no warning event").unwrap();
        assert!(n > 0, "the stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("event: warning") && seen.contains("\"payer\":\"VICTIM-2\""), "{seen}");
    assert!(!seen.contains("VICTIM-1\",\"payer_name"), "the stopped payment before the stop is no warning");
}

/// A local receiver for webhooks: answers 503 to its first `fail_first` calls, then 200; keeps each body.
async fn receiver(fail_first: usize) -> (String, Arc<std::sync::Mutex<Vec<(u16, String)>>>) {
    let calls: Arc<std::sync::Mutex<Vec<(u16, String)>>> = Arc::default();
    let seen = calls.clone();
    let hook = axum::routing::post(move |body: String| {
        let seen = seen.clone();
        async move {
            let mut calls = seen.lock().unwrap();
            let status = if calls.len() < fail_first { 503 } else { 200 };
            calls.push((status, body));
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/hook", hook)).await.unwrap() });
    (url, calls)
}

/// Webhooks: a warning is POSTed to each configured receiver whose grades include it, retried after a
/// failure, and each delivery leaves an audit line; a receiver for other grades gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_reach_webhooks_with_retries_and_an_audit_line_per_delivery() {
    use moneytrail::server::webhooks::Webhook;
    let dir = tempfile::tempdir().unwrap();
    let (flaky_url, flaky) = receiver(1).await;
    let (purple_url, purple_only) = receiver(0).await;
    let mut config = ServerConfig::with_tokens(&[(TOKEN, "case-system", Role::Admin)]);
    config.webhooks = vec![
        Webhook { url: flaky_url.clone(), grades: vec![] },
        Webhook { url: purple_url, grades: vec![moneytrail::model::Grade::Purple] },
    ];
    assert!(Webhook { url: "https://example.org/hook".into(), grades: vec![] }.check().is_err(), "no TLS here");
    let store = Arc::new(TransferStore::open(&dir.path().join("db")).unwrap());
    let audit_path = dir.path().join("audit.log");
    let state = AppState::new(Desk::new(store, DEFAULT_TZ), config, AuditLog::open(&audit_path).unwrap());
    moneytrail::server::webhooks::start(&state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });

    let auth = format!("Bearer {TOKEN}");
    let csv = ("Content-Type", "text/csv");
    let first = "txn_id,ts,src,dst,amount\nW1,2026-03-01 20:00:00,VICTIM-1,CARD,50000\n";
    assert_eq!(
        http(addr, "POST", "/v1/ingest/transfers", &[("Authorization", &auth), csv], first.as_bytes()).await.0,
        200
    );
    let stop = r#"{"account":"CARD","amount":"50000","placed_at":"2026-03-02T09:00:00+08:00","basis_txn":"W1"}"#;
    let json = ("Content-Type", "application/json");
    assert_eq!(http(addr, "POST", "/v1/stops", &[("Authorization", &auth), json], stop.as_bytes()).await.0, 200);
    // Another person pays the stopped card 8,000 yuan: a yellow warning.
    let payment = "txn_id,ts,src,dst,amount\nW2,2026-03-02 10:30:00,VICTIM-2,CARD,8000\n";
    let (st, body) =
        http(addr, "POST", "/v1/ingest/transfers", &[("Authorization", &auth), csv], payment.as_bytes()).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(r#""warnings_raised":1"#), "{body}");

    // The flaky receiver fails the first try and gets the warning on the retry (a second later).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while flaky.lock().unwrap().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no retry: {:?}", flaky.lock().unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let calls = flaky.lock().unwrap().clone();
    assert_eq!(calls.iter().map(|c| c.0).collect::<Vec<_>>(), vec![503, 200]);
    let w: serde_json::Value = serde_json::from_str(&calls[1].1).unwrap();
    assert_eq!(
        (w["txn_id"].as_str(), w["payer"].as_str(), w["grade"].as_str()),
        (Some("W2"), Some("VICTIM-2"), Some("yellow"))
    );
    assert!(purple_only.lock().unwrap().is_empty(), "a yellow warning went to a purple-only receiver");
    // One audit line for the delivery: two attempts, delivered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let log = std::fs::read_to_string(&audit_path).unwrap();
        let lines: Vec<serde_json::Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|l: &serde_json::Value| l.get("webhook").is_some())
            .collect();
        if let Some(l) = lines.first() {
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert_eq!(
                (l["webhook"].as_str(), l["attempts"].as_u64(), l["delivered"].as_bool()),
                (Some(flaky_url.as_str()), Some(2), Some(true))
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no audit line for the delivery: {log}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
