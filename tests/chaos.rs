//! The server killed (SIGKILL, by pid) while it takes uploads, and while it places, renews and releases
//! stops, registers cases and acknowledges warnings: after each restart every acknowledged write is there
//! exactly once, and repeating the request whose answer never came (registry writes with their
//! `Idempotency-Key`) ends in the store an uninterrupted run makes. `make test` kills it a few times;
//! `make chaos` runs the long form (MONEYTRAIL_CHAOS_KILLS, default 20).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use moneytrail::store::TransferStore;

const TOKEN: &str = "chaos-operator-token-0123456789";
/// New transfers per upload, and transfers repeated from the upload before.
const NEW: usize = 20_000;
const REPEAT: usize = 2_000;

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("server.toml");
    std::fs::write(&path, format!("[[tokens]]\ntoken = \"{TOKEN}\"\nname = \"chaos\"\nrole = \"admin\"\n")).unwrap();
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request; `None` when the connection breaks (the server died under it).
fn request(addr: SocketAddr, method: &str, path: &str, content_type: &str, body: &[u8]) -> Option<(u16, String)> {
    request_keyed(addr, method, path, None, content_type, body).map(|(status, _, body)| (status, body))
}

/// A request with an optional `Idempotency-Key`: status, head (lower-cased) and body.
fn request_keyed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    let key = key.map(|k| format!("Idempotency-Key: {k}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n{key}\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((status, head.to_ascii_lowercase(), body.to_string()))
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

fn start(db: &Path, config: &Path) -> Server {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["serve", "--db"])
        .arg(db)
        .arg("--config")
        .arg(config)
        .arg("--addr")
        .arg(addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while request(addr, "GET", "/v1/health", "text/plain", b"").is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { child, addr }
}

/// Upload batches: NEW new transfers each, plus REPEAT repeated from the batch before (dedupe at work).
fn batches(n: usize) -> Vec<String> {
    (0..n)
        .map(|b| {
            let mut csv = String::from("txn_id,ts,src,dst,amount\n");
            let rows = (b * NEW..(b + 1) * NEW).chain(b.saturating_sub(1) * NEW..b.saturating_sub(1) * NEW + REPEAT);
            for i in rows {
                csv.push_str(&format!(
                    "CH{i:07},2026-03-{:02} {:02}:{:02}:00,P{},Q{},{}.{:02}\n",
                    1 + i % 28,
                    i % 24,
                    i % 60,
                    i % 977,
                    i % 613,
                    1 + i % 5000,
                    i % 100
                ));
            }
            csv
        })
        .collect()
}

fn kills() -> usize {
    std::env::var("MONEYTRAIL_CHAOS_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(4)
}

#[test]
fn killed_while_uploading_the_store_keeps_every_acknowledged_upload_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let uploads = batches(kills() * 3 + 6);
    let db = dir.path().join("db");
    let mut server = start(&db, &config);
    let mut acknowledged = 0usize;
    let mut killed = 0usize;
    let mut unanswered = 0usize;
    // Kill moments spread over an upload's life (no clock-seeded randomness: a failure must replay): a
    // fraction of how long the slowest undisturbed upload so far took.
    let mut upload_ms = 0u64;
    let fractions = [0.15, 0.5, 0.85, 0.3, 0.7, 0.95, 0.05, 0.6, 0.4, 0.8];
    let mut next = 0usize;
    while next < uploads.len() {
        let addr = server.addr;
        let body = uploads[next].clone();
        let t0 = Instant::now();
        let sender =
            std::thread::spawn(move || request(addr, "POST", "/v1/ingest/transfers", "text/csv", body.as_bytes()));
        if killed < kills() && next % 3 == 1 {
            // Kill somewhere in the upload: while the body arrives, during the ingest or its commit, or
            // after the answer is on its way.
            let f = fractions[killed % fractions.len()];
            std::thread::sleep(Duration::from_millis((upload_ms as f64 * f) as u64));
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            killed += 1;
            let answered = matches!(sender.join(), Ok(Some((200, _))));
            server = start(&db, &config);
            // The client never heard (or heard): an unacknowledged upload is repeated, as a client would.
            if !answered {
                unanswered += 1;
                let (st, body) =
                    request(server.addr, "POST", "/v1/ingest/transfers", "text/csv", uploads[next].as_bytes())
                        .expect("the restarted server answers");
                assert_eq!(st, 200, "{body}");
            }
        } else {
            let (st, body) = sender.join().unwrap().expect("an undisturbed upload is answered");
            assert_eq!(st, 200, "{body}");
            upload_ms = upload_ms.max(t0.elapsed().as_millis() as u64);
        }
        acknowledged += 1;
        next += 1;
        // After every restart the committed uploads are all there, each once.
        let (st, stats) = request(server.addr, "GET", "/v1/stats", "text/plain", b"").unwrap();
        assert_eq!(st, 200);
        let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
        assert_eq!(stats["transfers"].as_u64(), Some((acknowledged * NEW) as u64), "after upload {next}: {stats}");
    }
    assert_eq!(killed, kills());
    eprintln!("{killed} kills, {unanswered} of them before the upload was answered");
    // The kills must land inside uploads, or this test shows nothing.
    assert!(unanswered * 2 >= killed, "only {unanswered} of {killed} kills hit an upload in flight");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // The same uploads, uninterrupted, make the same store.
    let calm_db = dir.path().join("calm");
    let calm = start(&calm_db, &config);
    for body in &uploads {
        let (st, answer) = request(calm.addr, "POST", "/v1/ingest/transfers", "text/csv", body.as_bytes()).unwrap();
        assert_eq!(st, 200, "{answer}");
    }
    let mut calm = calm;
    calm.child.kill().unwrap();
    calm.child.wait().unwrap();
    let digest = |p: &Path| TransferStore::open(p).unwrap().digest().unwrap();
    assert_eq!(digest(&db), digest(&calm_db), "killed and repeated vs uninterrupted");
}

/// One registry write of the scripted run, with the key a client would give it.
struct RegistryWrite {
    key: String,
    path: String,
    body: String,
}

/// The registry writes, in order: per account a stop placed, its case registered, the stop renewed, and
/// every other stop released; then a warning scan and each warning acknowledged (added once the scan has
/// told their ids). Times are given, so an uninterrupted run writes the same records.
fn registry_writes(accounts: usize) -> Vec<RegistryWrite> {
    let w = |key: String, path: String, body: String| RegistryWrite { key, path, body };
    let mut out = Vec::new();
    for i in 0..accounts {
        out.push(w(
            format!("place-{i}"),
            "/v1/stops".into(),
            format!(
                r#"{{"account":"A{i:03}","amount":"5000","placed_at":"2026-03-02T10:00:00+08:00","case_id":"C{i:03}"}}"#
            ),
        ));
        out.push(w(
            format!("case-{i}"),
            "/v1/cases".into(),
            format!(r#"{{"case_id":"C{i:03}","seed_txn_ids":["V{i:03}"],"report_time":"2026-03-02T09:00:00+08:00"}}"#),
        ));
        out.push(w(
            format!("renew-{i}"),
            format!("/v1/stops/{}/renew", i + 1),
            r#"{"at":"2026-03-03T09:00:00+08:00"}"#.into(),
        ));
        if i % 2 == 1 {
            out.push(w(
                format!("release-{i}"),
                format!("/v1/stops/{}/release", i + 1),
                r#"{"at":"2026-03-04T09:00:00+08:00"}"#.into(),
            ));
        }
    }
    out.push(w(
        "scan".into(),
        "/v1/warnings/scan".into(),
        r#"{"since":"2026-03-02T00:00:00+08:00","until":"2026-03-02T23:00:00+08:00"}"#.into(),
    ));
    out
}

/// Victims pay accounts A000…; after the stops, new payers send more (the warnings).
fn registry_world(accounts: usize) -> String {
    let mut csv = String::from("txn_id,ts,src,dst,amount\n");
    for i in 0..accounts {
        csv.push_str(&format!("V{i:03},2026-03-01 08:{:02}:00,VICTIM{i:03},A{i:03},5000.00\n", i % 60));
        csv.push_str(&format!("W{i:03},2026-03-02 13:{:02}:00,PAYER{i:03},A{i:03},800.00\n", i % 60));
    }
    csv
}

/// What the registries hold, without the times the server takes from its clock (case creation, warning
/// creation, deadline and acknowledgement).
fn registries(
    db: &Path,
) -> (Vec<moneytrail::model::StopRecord>, Vec<moneytrail::model::CaseRecord>, Vec<moneytrail::model::WarningRecord>) {
    let store = TransferStore::open(db).unwrap();
    let view = store.view().unwrap();
    let cases = view.all_cases().unwrap().into_iter().map(|c| moneytrail::model::CaseRecord { created_at_ms: 0, ..c });
    let warnings = view.all_warnings().unwrap().into_iter().map(|w| moneytrail::model::WarningRecord {
        created_at_ms: 0,
        deadline_ms: 0,
        acked_at_ms: w.acked_at_ms.map(|_| 0),
        ..w
    });
    (view.all_stops().unwrap(), cases.collect(), warnings.collect())
}

/// The stops, cases and warnings as the acknowledged writes left them, read through the API.
fn check_registries(addr: SocketAddr, done: &[&RegistryWrite], after: usize) {
    let get = |path: &str| -> serde_json::Value {
        let (st, body) = request(addr, "GET", path, "text/plain", b"").unwrap();
        assert_eq!(st, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let stops = get("/v1/stops");
    let stops = stops["stops"].as_array().unwrap();
    let count = |prefix: &str| done.iter().filter(|w| w.key.starts_with(prefix)).count();
    assert_eq!(stops.len(), count("place-"), "after write {after}: stops {stops:?}");
    for s in stops {
        let i = s["id"].as_u64().unwrap() - 1;
        let renewed = done.iter().any(|w| w.key == format!("renew-{i}"));
        let released = done.iter().any(|w| w.key == format!("release-{i}"));
        assert_eq!(s["renewals"].as_u64(), Some(u64::from(renewed)), "after write {after}: stop {s}");
        assert_eq!(!s["released_at"].is_null(), released, "after write {after}: stop {s}");
    }
    assert_eq!(get("/v1/cases").as_array().unwrap().len(), count("case-"), "after write {after}");
    let acked = get("/v1/warnings?status=all");
    let acked = acked.as_array().unwrap().iter().filter(|w| !w["acknowledged_at"].is_null()).count();
    assert_eq!(acked, count("ack-"), "after write {after}");
}

#[test]
fn killed_while_placing_stops_and_registering_cases_every_acknowledged_write_is_there_once() {
    // Writes take milliseconds and a restart a fraction of a second: three times the uploads' kills. About
    // one kill in three writes, and each account makes three or four.
    let kills = 3 * kills();
    let accounts = kills + 4;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let world = registry_world(accounts);
    let db = dir.path().join("db");
    let mut server = start(&db, &config);
    let (st, body) = request(server.addr, "POST", "/v1/ingest/transfers", "text/csv", world.as_bytes()).unwrap();
    assert_eq!(st, 200, "{body}");
    let mut writes = registry_writes(accounts);
    let (mut killed, mut unanswered, mut replayed) = (0usize, 0usize, 0usize);
    // Undisturbed writes' times (µs); kills land at fractions of their median.
    let mut write_us: Vec<u64> = vec![1000];
    let fractions = [0.5, 0.2, 0.7, 0.35, 0.6, 0.1, 0.8, 0.45, 0.25, 0.65];
    let mut next = 0;
    while next < writes.len() {
        let (addr, w) = (server.addr, &writes[next]);
        let (key, path, body) = (w.key.clone(), w.path.clone(), w.body.clone());
        let t0 = Instant::now();
        let sender = std::thread::spawn(move || {
            request_keyed(addr, "POST", &path, Some(&key), "application/json", body.as_bytes())
        });
        let answer = if killed < kills && next % 3 == 1 {
            let f = fractions[killed % fractions.len()];
            write_us.sort_unstable();
            std::thread::sleep(Duration::from_micros((write_us[write_us.len() / 2] as f64 * f) as u64));
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            killed += 1;
            let answered = sender.join().unwrap().filter(|(st, _, _)| *st == 200);
            server = start(&db, &config);
            match answered {
                Some(a) => a,
                None => {
                    // Never heard: repeated with the same key, as a client would.
                    unanswered += 1;
                    let w = &writes[next];
                    let again = request_keyed(
                        server.addr,
                        "POST",
                        &w.path,
                        Some(&w.key),
                        "application/json",
                        w.body.as_bytes(),
                    )
                    .expect("the restarted server answers");
                    replayed += usize::from(again.1.contains("idempotent-replayed: true"));
                    again
                }
            }
        } else {
            let a = sender.join().unwrap().expect("an undisturbed write is answered");
            write_us.push(t0.elapsed().as_micros() as u64);
            a
        };
        assert_eq!(answer.0, 200, "{}: {}", writes[next].key, answer.2);
        if writes[next].key == "scan" {
            // The scan told the warnings: acknowledge each (keyless: an acknowledgement repeats safely).
            let found: serde_json::Value = serde_json::from_str(&answer.2).unwrap();
            let ids: Vec<u64> =
                found["warnings"].as_array().unwrap().iter().map(|w| w["id"].as_u64().unwrap()).collect();
            assert!(ids.len() >= accounts / 2, "the scan found too few warnings to acknowledge: {found}");
            for id in ids {
                writes.push(RegistryWrite {
                    key: format!("ack-{id}"),
                    path: format!("/v1/warnings/{id}/ack"),
                    body: String::new(),
                });
            }
        }
        next += 1;
        check_registries(server.addr, &writes[..next].iter().collect::<Vec<_>>(), next);
    }
    assert_eq!(killed, kills);
    eprintln!(
        "{killed} kills, {unanswered} before the answer, {replayed} of those committed already (answered from the key)"
    );
    // The kills must land inside writes, or this test shows nothing (a write takes a few milliseconds).
    assert!(unanswered * 3 >= killed, "only {unanswered} of {killed} kills hit a write in flight");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // The same writes, uninterrupted, leave the same registries.
    let calm_db = dir.path().join("calm");
    let mut calm = start(&calm_db, &config);
    let (st, body) = request(calm.addr, "POST", "/v1/ingest/transfers", "text/csv", world.as_bytes()).unwrap();
    assert_eq!(st, 200, "{body}");
    for w in &writes {
        let (st, _, body) =
            request_keyed(calm.addr, "POST", &w.path, Some(&w.key), "application/json", w.body.as_bytes()).unwrap();
        assert_eq!(st, 200, "{}: {body}", w.key);
    }
    calm.child.kill().unwrap();
    calm.child.wait().unwrap();
    assert_eq!(registries(&db), registries(&calm_db), "killed and repeated vs uninterrupted");
}
