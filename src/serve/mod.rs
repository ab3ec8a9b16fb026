//! `rebound serve`: provider webhooks (Mailgun, Postmark, SendGrid) into the same facts,
//! correlation, policy and store as polled bounces, and a small read API with metrics.
//!
//! Shape (mini-redis): `run(listener, state, shutdown)`; the store is synchronous and
//! used from `spawn_blocking`, one transaction per request, answered 2xx only after
//! the commit (a 5xx makes the provider retry; the event ID makes the retry a no-op).

pub mod api;
pub mod config;
pub mod events;
pub mod idle;
pub mod intake;
pub mod mailgun;
pub mod postmark;
pub mod sendgrid;

use crate::poll::process::Pipeline;
use crate::report::SilenceRule;
use crate::store::Store;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

pub use config::{ServeConfig, Settings};

/// Why a webhook request was refused (401, nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No signature or credentials at all.
    Unsigned,
    /// A signature or credentials that do not match.
    Forged,
    /// A valid signature on a timestamp older than `max_age`.
    Stale,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Unsigned => "unsigned",
            Refused::Forged => "forged",
            Refused::Stale => "stale",
        }
    }
}

/// Requests counted by (provider, result) since start, for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl Metrics {
    pub fn count(&self, provider: &'static str, result: &'static str) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((provider, result)).or_default() += 1;
        }
    }
}

/// What every handler shares.
pub struct State {
    pub settings: Settings,
    /// One connection; SQLite writes are serial anyway, reads are short.
    pub store: Mutex<Store>,
    pub pipeline: Pipeline,
    /// The silent-drop rule of `[silence]`, for campaign reports.
    pub silence: SilenceRule,
    pub metrics: Metrics,
}

/// The routes.
pub fn router(state: Arc<State>) -> Router {
    let max_body = state.settings.max_body;
    let timeout = state.settings.timeout;
    Router::new()
        .route("/webhooks/mailgun", post(intake::mailgun))
        .route("/webhooks/postmark", post(intake::postmark))
        .route("/webhooks/sendgrid", post(intake::sendgrid))
        .route("/api/suppressions", get(api::suppressions))
        .route("/api/suppressions/{address}", get(api::suppression))
        .route("/api/campaigns/{name}/report", get(api::campaign_report))
        .route("/campaigns/{name}/report.html", get(api::campaign_page))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(r) => r,
                    Err(_) => (
                        axum::http::StatusCode::REQUEST_TIMEOUT,
                        "request timed out\n",
                    )
                        .into_response(),
                }
            },
        ))
        .with_state(state)
}

use axum::response::IntoResponse;

/// Serves until `shutdown` completes; requests under way are finished first.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Quiet connections end a little after the request timeout, so a request under way is
    // answered (408 at worst) before its connection is cut.
    let idle = state.settings.timeout + std::time::Duration::from_secs(5);
    let listener = idle::IdleListener {
        inner: listener,
        idle,
    };
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Lowercase or uppercase hex to bytes.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Constant-time equality (the lengths are not secret).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    mail_parser::DateTime::from_timestamp(secs as i64).to_rfc3339()
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_and_constant_time_equality() {
        assert_eq!(super::hex_decode("00ffA0"), Some(vec![0, 255, 160]));
        assert_eq!(super::hex_decode("0"), None);
        assert_eq!(super::hex_decode("zz"), None);
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"ab"));
    }
}
