//! Mailgun webhooks: one JSON event per request, `{"signature": {timestamp, token,
//! signature}, "event-data": {...}}`. The signature is HMAC-SHA256, keyed with the webhook
//! signing key, over `timestamp` followed by `token`, in hex (Mailgun, "Securing Webhooks").

use super::events::{read_metadata, text, Event, Kind};
use super::Refused;
use hmac::{Hmac, Mac};
use serde_json::Value;

/// Checks the signature block and its age; `now` in Unix seconds.
pub fn verify(body: &Value, key: &str, now: u64, max_age: u64) -> Result<(), Refused> {
    let sig = body.get("signature").ok_or(Refused::Unsigned)?;
    let (Some(ts), Some(token), Some(hex)) = (
        text(sig, "timestamp"),
        text(sig, "token"),
        text(sig, "signature"),
    ) else {
        return Err(Refused::Unsigned);
    };
    let mac_bytes = super::hex_decode(&hex).ok_or(Refused::Forged)?;
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).map_err(|_| Refused::Forged)?;
    mac.update(ts.as_bytes());
    mac.update(token.as_bytes());
    mac.verify_slice(&mac_bytes).map_err(|_| Refused::Forged)?;
    let ts: u64 = ts.parse().map_err(|_| Refused::Forged)?;
    if now.abs_diff(ts) > max_age {
        return Err(Refused::Stale);
    }
    Ok(())
}

/// The event, or None for events that are no delivery outcome (opened, clicked, accepted).
pub fn event(body: &Value) -> Result<Option<Event>, String> {
    let d = body.get("event-data").ok_or("no \"event-data\" object")?;
    let name = text(d, "event").ok_or("event-data has no \"event\"")?;
    let severity = text(d, "severity").unwrap_or_default();
    let reason = text(d, "reason").unwrap_or_default();
    let kind = match name.as_str() {
        "failed" if reason.starts_with("suppress-") => Kind::Dropped,
        "failed" if severity == "temporary" => Kind::Temporary,
        "failed" => Kind::Permanent,
        "complained" => Kind::Complaint,
        "unsubscribed" => Kind::Unsubscribe,
        "delivered" => Kind::Delivered,
        _ => return Ok(None),
    };
    let id = text(d, "id").ok_or("event-data has no \"id\"")?;
    let recipient = text(d, "recipient").ok_or("event-data has no \"recipient\"")?;
    let label = if severity.is_empty() {
        name.clone()
    } else {
        format!("{name}/{severity}")
    };
    let mut e = Event::new("mailgun", id, kind, &label, recipient);
    if let Some(ds) = d.get("delivery-status") {
        let code = text(ds, "code").filter(|c| c != "0");
        let msg = text(ds, "message").or_else(|| text(ds, "description"));
        e.diagnostic = match (code, msg) {
            (Some(c), Some(m)) if !m.starts_with(&c) => Some(format!("{c} {m}")),
            (_, Some(m)) => Some(m),
            (Some(c), None) => Some(c),
            (None, None) => None,
        };
        e.status = text(ds, "enhanced-code");
    }
    read_metadata(&mut e, d.get("user-variables"));
    e.message_id = d
        .get("message")
        .and_then(|m| m.get("headers"))
        .and_then(|h| text(h, "message-id"))
        .map(|m| m.trim_matches(['<', '>']).to_string());
    e.date = d
        .get("timestamp")
        .and_then(Value::as_f64)
        .map(|t| super::rfc3339(t as u64));
    Ok(Some(e))
}
