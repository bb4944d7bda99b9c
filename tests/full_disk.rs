//! Running out of space: an ingest, and an upload to a running server, under a file-size limit (the shell's
//! `ulimit -f`, with SIGXFSZ ignored so that a write past it fails with EFBIG as on a full disk instead of
//! killing the process). Each ends with a clear error, the store as it was, and the server still reading.

use std::path::Path;
use std::process::{Command, Stdio};

use moneytrail::store::TransferStore;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_moneytrail")
}

/// `moneytrail ARGS` in a shell whose processes may write files of at most `kib` KiB.
fn limited(kib: u64, args: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("trap '' XFSZ; ulimit -f {}; exec {} {args}", kib * 2, bin()));
    c
}

fn transfers(path: &Path, from: usize, n: usize) {
    let mut text = String::from("txn_id,ts,src,dst,amount,memo\n");
    for i in from..from + n {
        text.push_str(&format!(
            "FD{i:08},2026-04-{:02} {:02}:{:02}:00,S{},D{},{}.00,{}\n",
            1 + i % 28,
            i % 24,
            i % 60,
            i % 50_000,
            (i * 7) % 50_000,
            1 + i % 9000,
            "x".repeat(40)
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// A store of 2,000 transfers under `dir`: its path, the base file, its digest and its account count.
fn base_store(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, u64, u32) {
    let (db, base) = (dir.join("db"), dir.join("base.csv"));
    transfers(&base, 0, 2_000);
    ingest(&db, &base);
    let store = TransferStore::open(&db).unwrap();
    let accounts = store.view().unwrap().watermark().next_account;
    let digest = store.digest().unwrap();
    (db, base, digest, accounts)
}

fn ingest(db: &Path, csv: &Path) {
    let out = Command::new(bin()).args(["ingest", "--db"]).arg(db).arg("--transfers").arg(csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_ingest_that_runs_out_of_space_fails_clearly_and_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (db, base, before, base_accounts) = base_store(dir.path());
    // 400,000 rows need far more than 8 MiB of table files: the limit is hit inside the ingest.
    let big = dir.path().join("big.csv");
    transfers(&big, 2_000, 400_000);
    let out =
        limited(8 * 1024, &format!("ingest --db {} --transfers {}", db.display(), big.display())).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the ingest should have failed: {err}");
    assert!(out.status.code().is_some(), "ended by a signal, not an error: {:?}", out.status);
    assert!(err.contains("File too large") || err.contains("No space"), "the error says why: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // Readers see the store as it was: nothing of the failed ingest is committed.
    let seen = TransferStore::open_read_only(&db).unwrap().view().unwrap().watermark();
    assert_eq!((seen.next_seq, seen.next_account), (2_000, base_accounts), "{err}");
    // What it wrote above the watermark could not be removed on a full disk (the deletions need log space
    // too); the next ingest removes it first. With room again, re-ingesting the base adds nothing and
    // leaves exactly the store as it was.
    ingest(&db, &base);
    assert_eq!(TransferStore::open(&db).unwrap().digest().unwrap(), before, "{err}");
    // And the big ingest now completes.
    ingest(&db, &big);
    assert_eq!(TransferStore::open_read_only(&db).unwrap().view().unwrap().watermark().next_seq, 402_000);
}

#[test]
fn an_upload_that_runs_out_of_space_is_refused_and_the_server_keeps_reading() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (db, _, before, _) = base_store(dir.path());
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "[[tokens]]\ntoken = \"full-disk-token-0123456789\"\nname = \"op\"\nrole = \"admin\"\n")
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = limited(
        8 * 1024,
        &format!("serve --db {} --config {} --addr 127.0.0.1:{port}", db.display(), config.display()),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let call = |method: &str, path: &str, body: &[u8]| -> Option<(u16, String)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer full-disk-token-0123456789\r\n\
             Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).ok()?;
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8_lossy(&raw).to_string();
        Some((text.split_whitespace().nth(1)?.parse().ok()?, text.split_once("\r\n\r\n")?.1.to_string()))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while call("GET", "/v1/health", b"").is_none() {
        assert!(std::time::Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let big = dir.path().join("big.csv");
    transfers(&big, 2_000, 400_000);
    let (status, body) = call("POST", "/v1/ingest/transfers", &std::fs::read(&big).unwrap()).expect("an answer");
    assert_eq!(status, 507, "{body}");
    assert!(body.contains("\"code\":\"insufficient_storage\""), "a JSON error that says why: {body}");
    // Reads go on.
    let (status, stats) = call("GET", "/v1/stats", b"").expect("the server still answers");
    assert_eq!(status, 200, "{stats}");
    assert!(stats.contains("\"transfers\":2000"), "{stats}");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(TransferStore::open(&db).unwrap().digest().unwrap(), before);
}
