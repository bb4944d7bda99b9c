//! The server killed (SIGKILL, by pid) while it takes uploads: after each restart every acknowledged upload
//! is there exactly once, and repeating the upload whose answer never came ends in the store an
//! uninterrupted run makes (same digest). `make test` kills it a few times; `make chaos` runs the long
//! form (MONEYTRAIL_CHAOS_KILLS, default 20).

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
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()))
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
