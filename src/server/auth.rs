//! Bearer tokens with roles, from a config file; and the audit trail of who read what.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;

use super::error::ApiError;
use super::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads: traces, freeze proposals, rings, accounts, warnings.
    Analyst,
    /// Also ingests transfers and records stops.
    Operator,
    /// Everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

/// Who made a request (put in request extensions by [`authenticate`]).
#[derive(Clone, Debug)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

impl Principal {
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(role.as_str()))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    /// Hex SHA-256 of the token (what `moneytrail token new` prints). The token itself is never stored.
    sha256: Option<String>,
    /// The token in clear: still read, with a warning at start, so older configs keep working.
    token: Option<String>,
    name: String,
    role: Role,
}

/// No `Debug`: it holds tokens as written in the file.
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    tokens: Vec<TokenEntry>,
    /// Where audit lines go (default: <store>/audit.log).
    audit_log: Option<PathBuf>,
    /// Longest a request may take before it is answered 408 (default 60).
    request_timeout_seconds: Option<u64>,
    /// Where `POST /v1/admin/backup` writes (default: `<store>.backups` beside the store).
    backup_dir: Option<PathBuf>,
    /// Failed authentications per source address and minute before 429 (default 20; 0: no limit, for a
    /// server behind a proxy, where every request comes from the proxy's address).
    max_auth_failures_per_minute: Option<u32>,
    /// Where warnings are POSTed as they are raised (`[[webhooks]] url, grades`).
    #[serde(default)]
    webhooks: Vec<super::webhooks::Webhook>,
}

/// A token as the server keeps it: its SHA-256 digest, never the token. Tokens are long random strings
/// (`token new` makes 256-bit ones), so a fast hash is enough: there is no password to guess.
struct TokenDigest {
    digest: [u8; 32],
    principal: Principal,
}

/// The server's configuration: tokens (as digests), the audit log, the request time limit, the limit on
/// failed authentications (the counts themselves are runtime state: [`FailedAuth`] in `AppState`).
pub struct ServerConfig {
    tokens: Vec<TokenDigest>,
    pub audit_log: Option<PathBuf>,
    pub request_timeout: std::time::Duration,
    pub backup_dir: Option<PathBuf>,
    /// Tokens given in clear in the config file (names only), for the warning at start.
    pub clear_tokens: Vec<String>,
    /// Failed authentications a source may make per [`FAILURE_WINDOW`] (0: unlimited).
    pub max_failures: u32,
    /// Where warnings are POSTed as they are raised.
    pub webhooks: Vec<super::webhooks::Webhook>,
}

/// Failed authentications per source address in the current window, which the server rate-limits.
#[derive(Debug, Default)]
pub struct FailedAuth {
    windows: Mutex<HashMap<IpAddr, FailureWindow>>,
}

/// Deliberately not derived: a derived `Debug` would print every token (issue 17).
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("tokens", &self.tokens.iter().map(|t| (&t.principal.name, t.principal.role)).collect::<Vec<_>>())
            .field("audit_log", &self.audit_log)
            .field("request_timeout", &self.request_timeout)
            .field("webhooks", &self.webhooks.iter().map(|w| &w.url).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            tokens: Vec::new(),
            audit_log: None,
            request_timeout: super::REQUEST_TIMEOUT,
            backup_dir: None,
            clear_tokens: Vec::new(),
            max_failures: MAX_FAILURES,
            webhooks: Vec::new(),
        }
    }
}

/// Failed authentications a source may make per [`FAILURE_WINDOW`] by default before it is refused (429)
/// until the window ends. Tokens have 256 bits, so this is not what protects them; it keeps a guesser from filling
/// the audit log and the CPU, and makes one visible.
pub const MAX_FAILURES: u32 = 20;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
struct FailureWindow {
    started: Instant,
    count: u32,
}

impl FailedAuth {
    /// Whether `source` has used up its `max` failed attempts in the current window (0: no limit).
    fn blocked(&self, source: IpAddr, now: Instant, max: u32) -> bool {
        let windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        max > 0
            && windows.get(&source).is_some_and(|w| now.duration_since(w.started) < FAILURE_WINDOW && w.count >= max)
    }

    /// Counts a failed authentication from `source`; returns the count in the current window.
    fn failed(&self, source: IpAddr, now: Instant) -> u32 {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget finished windows now and then, so a scan from many addresses does not grow the map forever.
        if windows.len() > 10_000 {
            windows.retain(|_, w| now.duration_since(w.started) < FAILURE_WINDOW);
        }
        let w = windows.entry(source).or_insert(FailureWindow { started: now, count: 0 });
        if now.duration_since(w.started) >= FAILURE_WINDOW {
            *w = FailureWindow { started: now, count: 0 };
        }
        w.count += 1;
        w.count
    }
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A new token (256 bits from the operating system, hex) and the config lines that admit it; the token
/// is shown once and only its digest is kept.
pub fn new_token(name: &str, role: Role) -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let token = format!("mt_{token}");
    let entry = format!(
        "[[tokens]]\nsha256 = \"{}\"\nname = {}\nrole = \"{}\"\n",
        sha256_hex(&token),
        toml::Value::String(name.to_string()),
        role.as_str()
    );
    Ok((token, entry))
}

impl ServerConfig {
    /// Reads a TOML file with `[[tokens]] token = "…", name = "…", role = "analyst|operator|admin"`.
    pub fn load(path: &Path) -> Result<ServerConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut tokens = Vec::new();
        let mut clear_tokens = Vec::new();
        for t in file.tokens {
            let where_ = || format!("{}: token of {}", path.display(), t.name);
            let digest = match (&t.sha256, &t.token) {
                (Some(hex), None) => parse_digest(hex)
                    .ok_or_else(|| format!("{}: sha256 must be 64 hex digits (moneytrail token new)", where_()))?,
                (None, Some(clear)) => {
                    if clear.len() < 16 {
                        return Err(format!("{} is shorter than 16 characters", where_()));
                    }
                    clear_tokens.push(t.name.clone());
                    Sha256::digest(clear.as_bytes()).into()
                }
                _ => return Err(format!("{}: give exactly one of sha256 (preferred) or token", where_())),
            };
            if tokens.iter().any(|e: &TokenDigest| e.digest == digest) {
                return Err(format!("{}: the same token is listed twice", where_()));
            }
            tokens.push(TokenDigest { digest, principal: Principal { name: t.name, role: t.role } });
        }
        let request_timeout = match file.request_timeout_seconds {
            None => super::REQUEST_TIMEOUT,
            Some(0) => return Err(format!("{}: request_timeout_seconds must be at least 1", path.display())),
            Some(s) => std::time::Duration::from_secs(s),
        };
        for hook in &file.webhooks {
            hook.check().map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(ServerConfig {
            tokens,
            audit_log: file.audit_log,
            request_timeout,
            backup_dir: file.backup_dir,
            clear_tokens,
            max_failures: file.max_auth_failures_per_minute.unwrap_or(MAX_FAILURES),
            webhooks: file.webhooks,
        })
    }

    /// The principal a presented token stands for. Every entry is compared, in constant time, so the
    /// answer's timing says nothing about how close a guess came or which entry matched.
    fn principal_for(&self, token: &str) -> Option<&Principal> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for entry in &self.tokens {
            if bool::from(entry.digest.ct_eq(&digest)) {
                found = Some(&entry.principal);
            }
        }
        found
    }

    /// A configuration from (token, name, role) triples (tests and embedding).
    pub fn with_tokens(tokens: &[(&str, &str, Role)]) -> ServerConfig {
        ServerConfig {
            tokens: tokens
                .iter()
                .map(|(t, n, r)| TokenDigest {
                    digest: Sha256::digest(t.as_bytes()).into(),
                    principal: Principal { name: n.to_string(), role: *r },
                })
                .collect(),
            ..ServerConfig::default()
        }
    }
}

/// Middleware: 401 without a known bearer token; the principal goes into the request's extensions.
/// Every authenticated request leaves an audit line (who, what, when, outcome): these are people's
/// financial records. A failed authentication leaves one too, with the peer's address, and a source that
/// fails [`MAX_FAILURES`] times in [`FAILURE_WINDOW`] is answered 429 until the window ends.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let source = peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let now = Instant::now();
    if state.failed_auth.blocked(source, now, state.config.max_failures) {
        return Err(ApiError::too_many_attempts(FAILURE_WINDOW.as_secs()));
    }
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let request_id = req.extensions().get::<super::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let peer_text = peer.map_or_else(|| "unknown".to_string(), |p| p.to_string());
    let mut line = serde_json::Map::new();
    line.insert("at".into(), chrono::Utc::now().to_rfc3339().into());
    line.insert("request_id".into(), request_id.into());
    line.insert("peer".into(), peer_text.into());
    line.insert("method".into(), method.into());
    line.insert("uri".into(), uri.into());
    let Some(principal) = token.and_then(|t| state.config.principal_for(t)).cloned() else {
        // Only guesses count towards the limit: a request without a token is a client's bug, not an attack.
        let count = if token.is_some() { state.failed_auth.failed(source, now) } else { 0 };
        line.insert("who".into(), serde_json::Value::Null);
        line.insert("status".into(), 401.into());
        line.insert("auth".into(), if token.is_some() { "unknown token" } else { "no token" }.into());
        line.insert("failures_in_window".into(), count.into());
        state.audit.append(line);
        return Err(ApiError::unauthorized());
    };
    // Who asked for what is on disk before anything is read or changed; if it cannot be, nothing is
    // done (fail closed). The outcome follows in the same chain.
    line.insert("who".into(), principal.name.clone().into());
    line.insert("role".into(), principal.role.as_str().into());
    line.insert("phase".into(), "request".into());
    if let Err(e) = state.audit.write(line.clone()).await {
        tracing::error!(error = %e, "audit line not written: request refused");
        return Err(ApiError::audit_unavailable());
    }
    req.extensions_mut().insert(principal);
    let response = next.run(req).await;
    line.insert("at".into(), chrono::Utc::now().to_rfc3339().into());
    line.insert("phase".into(), "answer".into());
    line.insert("status".into(), response.status().as_u16().into());
    state.audit.append(line);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ServerConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, text).unwrap();
        ServerConfig::load(&path)
    }

    #[test]
    fn a_new_token_is_admitted_by_its_config_lines_and_only_its_digest_is_kept() {
        let (token, entry) = new_token("张警官", Role::Operator).unwrap();
        assert!(token.starts_with("mt_") && token.len() == 67, "{token}");
        assert!(!entry.contains(&token), "the config lines must not hold the token");
        let config = load(&entry).unwrap();
        let p = config.principal_for(&token).expect("admitted");
        assert_eq!((p.name.as_str(), p.role), ("张警官", Role::Operator));
        assert!(config.principal_for(&token[..66]).is_none());
        assert!(config.principal_for("").is_none());
        let (other, _) = new_token("x", Role::Admin).unwrap();
        assert_ne!(other, token, "tokens are random");
        // Nothing that prints the config prints a token or its digest.
        let shown = format!("{config:?}");
        assert!(!shown.contains(&token) && !shown.contains(&sha256_hex(&token)), "{shown}");
        assert!(shown.contains("张警官"), "{shown}");
    }

    #[test]
    fn clear_tokens_still_work_with_a_warning_and_bad_entries_are_refused() {
        let config = load("[[tokens]]\ntoken = \"0123456789abcdef\"\nname = \"old\"\nrole = \"analyst\"\n").unwrap();
        assert_eq!(config.clear_tokens, ["old"]);
        assert!(config.principal_for("0123456789abcdef").is_some());
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
        for (text, says) in [
            ("[[tokens]]\nsha256 = \"abc\"\nname = \"a\"\nrole = \"analyst\"\n", "64 hex digits"),
            ("[[tokens]]\nname = \"a\"\nrole = \"analyst\"\n", "exactly one of"),
            ("[[tokens]]\ntoken = \"short\"\nname = \"a\"\nrole = \"analyst\"\n", "shorter than 16"),
            (
                "[[tokens]]\ntoken = \"0123456789abcdef\"\nname = \"a\"\nrole = \"analyst\"\n\
                 [[tokens]]\nsha256 = \"9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f\"\nname = \"b\"\nrole = \"admin\"\n",
                "listed twice",
            ),
        ] {
            let e = load(text).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
