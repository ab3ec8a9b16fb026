//! The read API (bearer token): suppression lookups and export, campaign reports as
//! `rebound report --format json` gives them; and `/healthz`, `/metrics` without a token.

use super::State;
use crate::address::Address;
use crate::report::{self, ReportError, Scope};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::fmt::Write;
use std::sync::Arc;

type Shared = axum::extract::State<Arc<State>>;

fn error(code: StatusCode, message: String) -> Response {
    (code, Json(serde_json::json!({ "error": message }))).into_response()
}

/// `Authorization: Bearer TOKEN`, compared in constant time; no token configured means
/// the API is closed.
fn refusal(st: &State, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &st.settings.token else {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "the read API is closed: set [serve] token_env or token_file".into(),
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if super::same(given.trim().as_bytes(), token.as_bytes()) {
        None
    } else {
        Some(error(
            StatusCode::UNAUTHORIZED,
            "a valid bearer token is required".into(),
        ))
    }
}

/// Runs a read on the store off the runtime's thread.
async fn read<T: Send + 'static>(
    st: &Arc<State>,
    f: impl FnOnce(&crate::store::Store) -> T + Send + 'static,
) -> Result<T, Response> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        let store = st.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&store)
    })
    .await
    .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// GET /api/suppressions/{address}: 200 with the entry, 404 when not suppressed.
pub async fn suppression(
    axum::extract::State(st): Shared,
    headers: HeaderMap,
    Path(address): Path<String>,
) -> Response {
    if let Some(r) = refusal(&st, &headers) {
        return r;
    }
    let a = match Address::parse(&address) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("address '{address}': {e}")),
    };
    match read(&st, move |s| s.suppression(&a)).await {
        Ok(Ok(Some(entry))) => Json(entry).into_response(),
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            format!("'{address}' is not suppressed"),
        ),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(r) => r,
    }
}

/// GET /api/suppressions: the whole list, as JSON (the fields of `suppress export`).
pub async fn suppressions(axum::extract::State(st): Shared, headers: HeaderMap) -> Response {
    if let Some(r) = refusal(&st, &headers) {
        return r;
    }
    match read(&st, |s| s.suppressions()).await {
        Ok(Ok(list)) => Json(list).into_response(),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(r) => r,
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ReportQuery {
    /// Also list every recipient, as `report --recipients`.
    #[serde(default)]
    recipients: bool,
}

/// GET /api/campaigns/{name}/report: the JSON of `rebound report --campaign NAME --format json`.
pub async fn campaign_report(
    axum::extract::State(st): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    if let Some(r) = refusal(&st, &headers) {
        return r;
    }
    let silence = st.silence.clone();
    let scope = Scope::Campaign(name);
    match read(&st, move |s| {
        report::build_with(s, &scope, q.recipients, &silence)
    })
    .await
    {
        Ok(Ok(r)) => Json(r).into_response(),
        Ok(Err(e @ ReportError::NoCampaign { .. })) => error(StatusCode::NOT_FOUND, e.to_string()),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(r) => r,
    }
}

/// GET /campaigns/{name}/report.html: the HTML report of `rebound report --format html`,
/// as a page (everything from a bounce is escaped by the renderer).
pub async fn campaign_page(
    axum::extract::State(st): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Some(r) = refusal(&st, &headers) {
        return r;
    }
    let silence = st.silence.clone();
    let scope = Scope::Campaign(name);
    match read(&st, move |s| report::build_with(s, &scope, true, &silence)).await {
        Ok(Ok(r)) => (
            [("content-type", "text/html; charset=utf-8")],
            report::html::render(&r),
        )
            .into_response(),
        Ok(Err(e @ ReportError::NoCampaign { .. })) => error(StatusCode::NOT_FOUND, e.to_string()),
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(r) => r,
    }
}

/// GET /healthz: 200 while the store answers.
pub async fn healthz(axum::extract::State(st): Shared) -> Response {
    match read(&st, |s| s.metric_counts().map(|_| ())).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
        Err(r) => r,
    }
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// GET /metrics: Prometheus text format.
pub async fn metrics(axum::extract::State(st): Shared) -> Response {
    let counts = match read(&st, |s| s.metric_counts()).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            return (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response()
        }
        Err(r) => return r,
    };
    let mut out = String::new();
    out.push_str("# HELP rebound_webhook_requests_total Webhook requests since start, by provider and result.\n");
    out.push_str("# TYPE rebound_webhook_requests_total counter\n");
    let requests = st
        .metrics
        .requests
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default();
    for ((provider, result), n) in &requests {
        let _ = writeln!(
            out,
            "rebound_webhook_requests_total{{provider=\"{provider}\",result=\"{result}\"}} {n}"
        );
    }
    out.push_str("# HELP rebound_facts Facts in the store, by reason and source (decoder module or provider).\n");
    out.push_str("# TYPE rebound_facts gauge\n");
    for (reason, source, n) in &counts.facts {
        let _ = writeln!(
            out,
            "rebound_facts{{reason=\"{}\",source=\"{}\"}} {n}",
            label(reason),
            label(source)
        );
    }
    out.push_str(
        "# HELP rebound_messages Messages and webhook events read, by source and outcome.\n",
    );
    out.push_str("# TYPE rebound_messages gauge\n");
    for (source, outcome, n) in &counts.messages {
        let _ = writeln!(
            out,
            "rebound_messages{{source=\"{}\",outcome=\"{}\"}} {n}",
            label(source),
            label(outcome)
        );
    }
    out.push_str("# HELP rebound_send_outcomes Campaign recipients by send state.\n");
    out.push_str("# TYPE rebound_send_outcomes gauge\n");
    for (state, n) in &counts.sends {
        let _ = writeln!(
            out,
            "rebound_send_outcomes{{state=\"{}\"}} {n}",
            label(state)
        );
    }
    out.push_str("# HELP rebound_suppressions Addresses on the suppression list.\n");
    out.push_str("# TYPE rebound_suppressions gauge\n");
    let _ = writeln!(out, "rebound_suppressions {}", counts.suppressions);
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}
