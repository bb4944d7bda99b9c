//! Bearer tokens with roles, from a config file; and the audit trail of who read what.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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

#[derive(Debug, Deserialize)]
struct TokenEntry {
    token: String,
    name: String,
    role: Role,
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    tokens: Vec<TokenEntry>,
    /// Where audit lines go (default: <store>/audit.log).
    audit_log: Option<PathBuf>,
    /// Longest a request may take before it is answered 408 (default 60).
    request_timeout_seconds: Option<u64>,
}

/// The server's configuration: tokens, the audit log, the request time limit.
#[derive(Debug)]
pub struct ServerConfig {
    tokens: HashMap<String, Principal>,
    pub audit_log: Option<PathBuf>,
    pub request_timeout: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { tokens: HashMap::new(), audit_log: None, request_timeout: super::REQUEST_TIMEOUT }
    }
}

impl ServerConfig {
    /// Reads a TOML file with `[[tokens]] token = "…", name = "…", role = "analyst|operator|admin"`.
    pub fn load(path: &Path) -> Result<ServerConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut tokens = HashMap::new();
        for t in file.tokens {
            if t.token.len() < 16 {
                return Err(format!("{}: token of {} is shorter than 16 characters", path.display(), t.name));
            }
            tokens.insert(t.token, Principal { name: t.name, role: t.role });
        }
        let request_timeout = match file.request_timeout_seconds {
            None => super::REQUEST_TIMEOUT,
            Some(0) => return Err(format!("{}: request_timeout_seconds must be at least 1", path.display())),
            Some(s) => std::time::Duration::from_secs(s),
        };
        Ok(ServerConfig { tokens, audit_log: file.audit_log, request_timeout })
    }

    /// A configuration from (token, name, role) triples (tests and embedding).
    pub fn with_tokens(tokens: &[(&str, &str, Role)]) -> ServerConfig {
        ServerConfig {
            tokens: tokens
                .iter()
                .map(|(t, n, r)| (t.to_string(), Principal { name: n.to_string(), role: *r }))
                .collect(),
            ..ServerConfig::default()
        }
    }
}

/// Middleware: 401 without a known bearer token; the principal goes into the request's extensions.
/// Every authenticated request leaves an audit line (who, what, when, outcome): these are people's
/// financial records.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let principal = token.and_then(|t| state.config.tokens.get(t)).cloned().ok_or_else(ApiError::unauthorized)?;
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    req.extensions_mut().insert(principal.clone());
    let response = next.run(req).await;
    state.audit.record(&principal, &method, &uri, response.status().as_u16());
    Ok(response)
}

/// Appends audit lines from a dedicated thread, so request handling never waits on the disk.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: std::sync::mpsc::Sender<String>,
}

impl AuditLog {
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::Builder::new().name("audit-log".into()).spawn(move || {
            for line in rx {
                if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
                    tracing::error!(error = %e, "cannot write the audit log");
                }
            }
        })?;
        Ok(AuditLog { tx })
    }

    fn record(&self, who: &Principal, method: &str, uri: &str, status: u16) {
        let line = serde_json::json!({
            "at": chrono::Utc::now().to_rfc3339(),
            "who": who.name,
            "role": who.role.as_str(),
            "method": method,
            "uri": uri,
            "status": status,
        });
        let _ = self.tx.send(format!("{line}\n"));
    }
}
