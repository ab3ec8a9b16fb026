//! The webhook routes: check the request's signature or credentials, read its events,
//! and commit them in one transaction before answering (2xx only after the commit).

use super::events::{Event, Kind};
use super::{mailgun, now, postmark, sendgrid, Refused, State};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

type Body = Result<Bytes, BytesRejection>;
type Shared = axum::extract::State<Arc<State>>;

fn answer(
    st: &State,
    provider: &'static str,
    result: &'static str,
    code: StatusCode,
    text: String,
) -> Response {
    st.metrics.count(provider, result);
    if code.is_server_error() {
        tracing::error!("{provider} webhook: {text}");
    } else if !code.is_success() {
        tracing::warn!("{provider} webhook refused ({result}): {text}");
    }
    (
        code,
        Json(serde_json::json!({ "result": result, "message": text })),
    )
        .into_response()
}

fn read_body(st: &State, provider: &'static str, body: Body) -> Result<Bytes, Box<Response>> {
    body.map_err(|r| {
        let result = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        Box::new(answer(st, provider, result, r.status(), r.body_text()))
    })
}

fn refused(st: &State, provider: &'static str, r: Refused) -> Response {
    let text = match r {
        Refused::Unsigned => "no signature or credentials",
        Refused::Forged => "the signature or credentials do not match",
        Refused::Stale => "the signed timestamp is too old",
    };
    answer(
        st,
        provider,
        r.as_str(),
        StatusCode::UNAUTHORIZED,
        text.to_string(),
    )
}

fn not_configured(st: &State, provider: &'static str) -> Response {
    answer(
        st,
        provider,
        "not_configured",
        StatusCode::NOT_FOUND,
        format!("no [serve.{provider}] section in the configuration"),
    )
}

fn bad_request(st: &State, provider: &'static str, e: String) -> Response {
    answer(st, provider, "bad_request", StatusCode::BAD_REQUEST, e)
}

fn json(body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))
}

/// POST /webhooks/mailgun
pub async fn mailgun(axum::extract::State(st): Shared, body: Body) -> Response {
    const P: &str = "mailgun";
    let body = match read_body(&st, P, body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(key) = st.settings.mailgun.clone() else {
        return not_configured(&st, P);
    };
    let v = match json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&st, P, e),
    };
    if let Err(r) = mailgun::verify(&v, &key, now(), st.settings.max_age) {
        return refused(&st, P, r);
    }
    match mailgun::event(&v) {
        Ok(e) => {
            let ignored = usize::from(e.is_none());
            commit(st, P, e.into_iter().collect(), ignored).await
        }
        Err(e) => bad_request(&st, P, e),
    }
}

/// POST /webhooks/postmark
pub async fn postmark(
    axum::extract::State(st): Shared,
    headers: HeaderMap,
    body: Body,
) -> Response {
    const P: &str = "postmark";
    let body = match read_body(&st, P, body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(auth) = st.settings.postmark.clone() else {
        return not_configured(&st, P);
    };
    if let Err(r) = postmark::verify(&headers, &auth) {
        return refused(&st, P, r);
    }
    match json(&body).and_then(|v| postmark::event(&v)) {
        Ok(e) => {
            let ignored = usize::from(e.is_none());
            commit(st, P, e.into_iter().collect(), ignored).await
        }
        Err(e) => bad_request(&st, P, e),
    }
}

/// POST /webhooks/sendgrid
pub async fn sendgrid(
    axum::extract::State(st): Shared,
    headers: HeaderMap,
    body: Body,
) -> Response {
    const P: &str = "sendgrid";
    let body = match read_body(&st, P, body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(point) = st.settings.sendgrid.clone() else {
        return not_configured(&st, P);
    };
    if let Err(r) = sendgrid::verify(&headers, &body, &point, now(), st.settings.max_age) {
        return refused(&st, P, r);
    }
    let v = match json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&st, P, e),
    };
    let total = v.as_array().map_or(0, Vec::len);
    match sendgrid::events(&v) {
        Ok(list) => {
            let ignored = total - list.len();
            commit(st, P, list, ignored).await
        }
        Err(e) => bad_request(&st, P, e),
    }
}

/// Commits the events of one request in one transaction, off the runtime's thread.
async fn commit(
    st: Arc<State>,
    provider: &'static str,
    events: Vec<Event>,
    ignored: usize,
) -> Response {
    let st2 = st.clone();
    let done = tokio::task::spawn_blocking(move || {
        // A panic while the lock was held dropped (rolled back) its transaction.
        let mut store = st2.store.lock().unwrap_or_else(|p| p.into_inner());
        let tx = store.begin()?;
        let (mut stored, mut replayed, mut suppressed) = (0usize, 0usize, 0usize);
        for e in &events {
            let p =
                st2.pipeline
                    .commit_as(&tx, e.decoded(), provider, "webhook", None, provider)?;
            if p.already_seen {
                replayed += 1;
                continue;
            }
            stored += 1;
            suppressed += p.suppressed.len();
            if e.kind == Kind::Unsubscribe {
                unsubscribe(&st2, &tx, e)?;
            }
        }
        tx.commit()?;
        Ok::<_, crate::store::StoreError>((stored, replayed, suppressed))
    })
    .await;
    match done {
        Ok(Ok((stored, replayed, suppressed))) => {
            let result = match (stored, replayed) {
                (0, 0) => "ignored",
                (0, _) => "replay",
                _ => "stored",
            };
            st.metrics.count(provider, result);
            let body = serde_json::json!({
                "result": result, "stored": stored, "replayed": replayed,
                "ignored": ignored, "suppressed": suppressed,
            });
            (StatusCode::OK, Json(body)).into_response()
        }
        Ok(Err(e)) => answer(
            &st,
            provider,
            "error",
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not stored: {e}"),
        ),
        Err(e) => answer(
            &st,
            provider,
            "error",
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("not stored: {e}"),
        ),
    }
}

/// A person's unsubscribe, tied to a send: recorded as `poll` records a List-Unsubscribe
/// request (counted in the campaign's report, the suppression's reason `unsubscribed`).
fn unsubscribe(
    st: &State,
    tx: &crate::store::Tx,
    e: &Event,
) -> Result<(), crate::store::StoreError> {
    let b = e.to_bounce();
    let m = st.pipeline.correlator.correlate(tx, &b)?;
    if let Some(send) = m.send {
        let evidence = format!("{}: {}", b.evidence.module, b.evidence.rule);
        tx.unsubscribe(send.campaign_id, send.recipient_id, None, &evidence)?;
    }
    Ok(())
}
