//! Webhooks: each warning the moment it is raised, POSTed as JSON (the warning as `GET /v1/warnings`
//! lists it) to every URL in the config whose grades include it, retried with growing pauses, and an
//! audit line per delivery saying how it went. Plain HTTP only (a case system on the internal network,
//! or a relay beside it): the binary carries no TLS, as for serving (docs/operations.md, "TLS").

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{AppState, AuditLog};
use crate::model::Grade;
use crate::warnings::WarningEntry;

/// Tries per warning before it is given up (and audited as not delivered).
pub const ATTEMPTS: u32 = 5;
/// The pause before the first retry; it doubles each time (1, 2, 4, 8 s).
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `[[webhooks]]` entry of the config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// `http://host:port/path`.
    pub url: String,
    /// The grades to send (`purple`, `red`, `yellow`, `blue`); none given: all.
    #[serde(default)]
    pub grades: Vec<Grade>,
}

impl Webhook {
    /// Refuses what cannot be delivered to, at start rather than at the first warning.
    pub fn check(&self) -> Result<(), String> {
        let uri: axum::http::Uri = self.url.parse().map_err(|e| format!("webhook url {:?}: {e}", self.url))?;
        match (uri.scheme_str(), uri.authority()) {
            (Some("http"), Some(_)) => Ok(()),
            (Some("https"), _) => Err(format!(
                "webhook url {:?}: https is not supported (no TLS in the binary); send to a relay over http on the internal network",
                self.url
            )),
            _ => Err(format!("webhook url {:?}: give http://host:port/path", self.url)),
        }
    }

    fn wants(&self, grade: Grade) -> bool {
        self.grades.is_empty() || self.grades.contains(&grade)
    }
}

/// Starts one delivery task per configured webhook, each following the warnings' feed. Call within the
/// server's runtime (`serve` does).
pub fn start(state: &AppState) {
    for hook in state.config.webhooks.clone() {
        let mut feed = state.warning_feed.subscribe();
        let audit = state.audit.clone();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            loop {
                match feed.recv().await {
                    Ok(w) if hook.wants(w.grade) => deliver(&client, &hook, &w, &audit).await,
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        let mut line = Map::new();
                        line.insert("at".into(), chrono::Utc::now().to_rfc3339().into());
                        line.insert("webhook".into(), hook.url.clone().into());
                        line.insert("missed_warnings".into(), missed.into());
                        audit.append(line);
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// One warning to one webhook: tried until a 2xx answer or [`ATTEMPTS`] tries, then audited.
async fn deliver(client: &HttpClient, hook: &Webhook, w: &Arc<WarningEntry>, audit: &AuditLog) {
    let body = match serde_json::to_vec(&**w) {
        Ok(b) => Bytes::from(b),
        Err(e) => return tracing::error!(error = %e, "a warning could not be written for a webhook"),
    };
    let mut outcome;
    let mut attempts = 0;
    let mut pause = FIRST_RETRY;
    let delivered = loop {
        attempts += 1;
        let request = axum::http::Request::post(&hook.url)
            .header("content-type", "application/json")
            .header("x-moneytrail-warning", w.id.to_string())
            .body(Full::new(body.clone()));
        let sent = match request {
            Ok(r) => tokio::time::timeout(ATTEMPT_TIMEOUT, client.request(r)).await,
            Err(e) => {
                outcome = format!("request: {e}");
                break false;
            }
        };
        match sent {
            Ok(Ok(resp)) if resp.status().is_success() => {
                outcome = resp.status().as_u16().to_string();
                break true;
            }
            Ok(Ok(resp)) => outcome = resp.status().as_u16().to_string(),
            Ok(Err(e)) => outcome = format!("error: {e}"),
            Err(_) => outcome = format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs()),
        }
        if attempts >= ATTEMPTS {
            break false;
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    };
    let mut line: Map<String, Value> = Map::new();
    line.insert("at".into(), chrono::Utc::now().to_rfc3339().into());
    line.insert("webhook".into(), hook.url.clone().into());
    line.insert("warning".into(), w.id.into());
    line.insert("attempts".into(), attempts.into());
    line.insert("outcome".into(), outcome.into());
    line.insert("delivered".into(), delivered.into());
    audit.append(line);
}
