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
