//! `serve` through the binary: what it refuses before it listens.

use std::process::Command;

/// Plain HTTP on a non-loopback address would carry tokens and bank records in clear: refused unless the
/// operator says --insecure-http; loopback is served as before.
#[test]
fn plain_http_beyond_loopback_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["serve", "--db"])
        .arg(dir.path().join("db"))
        .arg("--config")
        .arg(&config)
        .args(["--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to serve 0.0.0.0:0 over plain HTTP") && err.contains("--insecure-http"), "{err}");
    assert!(!dir.path().join("db").exists(), "nothing is opened before the refusal");
}

/// `token new` prints the token once, first, and config lines holding only its SHA-256.
#[test]
fn token_new_prints_the_token_once_and_its_digest_for_the_config() {
    use sha2::Digest;
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["token", "new", "--name", "值班民警", "--role", "operator"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text.lines().next().unwrap();
    assert!(token.starts_with("mt_") && token.len() == 67, "{text}");
    assert_eq!(text.matches(token).count(), 1, "the token is shown once: {text}");
    let digest: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let config: toml::Value = toml::from_str(&text[token.len()..]).unwrap();
    let entry = &config["tokens"][0];
    assert_eq!(entry["sha256"].as_str(), Some(digest.as_str()));
    assert_eq!((entry["name"].as_str(), entry["role"].as_str()), (Some("值班民警"), Some("operator")));
}

/// A write command on a store a running server holds says so and names what to do instead (the API
/// endpoint, or stopping the server), rather than RocksDB's "While lock file: …/LOCK: Resource
/// temporarily unavailable"; reads go on beside the server.
#[test]
fn a_write_on_a_store_a_server_holds_names_what_to_do_instead() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
    let bin = env!("CARGO_BIN_EXE_moneytrail");
    let ingest = |extra: &[&str]| {
        Command::new(bin)
            .args(["ingest", "--db"])
            .arg(&db)
            .arg("--accounts")
            .arg(sample.join("accounts.csv"))
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(ingest(&[]).status.success());
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "").unwrap();
    let mut server = Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--config")
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The server says where it listens once it holds the store. (A write racing its start could take the
    // store first and make the server give up: wait for it.)
    let mut said = String::new();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    while !said.contains("moneytrail API on") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            panic!("the server stopped before it listened: {said}");
        }
        said.push_str(&line);
    }
    let refused = String::from_utf8_lossy(&ingest(&[]).stderr).into_owned();
    let stop =
        Command::new(bin).args(["stop", "place", "--account", "x", "--amount", "1", "--db"]).arg(&db).output().unwrap();
    let stats = Command::new(bin).args(["stats", "--db"]).arg(&db).output().unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(refused.contains("open for writing in another process"), "{refused}");
    assert!(refused.contains("POST /v1/ingest/transfers"), "names the endpoint to use instead: {refused}");
    assert!(!refused.contains("Resource temporarily unavailable"), "{refused}");
    let stop = String::from_utf8_lossy(&stop.stderr);
    assert!(stop.contains("open for writing in another process") && stop.contains("POST /v1/stops"), "{stop}");
    assert!(stats.status.success(), "reads go on beside the server: {}", String::from_utf8_lossy(&stats.stderr));
}
