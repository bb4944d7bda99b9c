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
