//! SendGrid's Event Webhook: a JSON array of events per request, signed with ECDSA
//! (P-256, SHA-256) over the `X-Twilio-Email-Event-Webhook-Timestamp` value followed by
//! the raw body; the base64 DER signature is in `X-Twilio-Email-Event-Webhook-Signature`
//! (SendGrid, "Getting Started with the Event Webhook Security Features").

use super::events::{read_metadata, text, Event, Kind};
use super::Refused;
use axum::http::HeaderMap;
use base64::Engine;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use serde_json::Value;

pub const SIGNATURE: &str = "x-twilio-email-event-webhook-signature";
pub const TIMESTAMP: &str = "x-twilio-email-event-webhook-timestamp";

/// The verification key as SendGrid shows it (base64 DER SubjectPublicKeyInfo, with or
/// without PEM lines) to the uncompressed P-256 point: the key's last 65 bytes.
pub fn decode_key(text: &str) -> Result<Vec<u8>, String> {
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .split_whitespace()
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .map_err(|e| format!("the verification key is not base64: {e}"))?;
    // A P-256 SubjectPublicKeyInfo is 91 bytes and ends in the 65-byte point (0x04 || X || Y).
    if der.len() < 65 || der[der.len() - 65] != 4 {
        return Err(format!(
            "the verification key ({} bytes) is not a P-256 public key",
            der.len()
        ));
    }
    Ok(der[der.len() - 65..].to_vec())
}

/// Checks the signature and the timestamp's age; `now` in Unix seconds.
pub fn verify(
    headers: &HeaderMap,
    body: &[u8],
    point: &[u8],
    now: u64,
    max_age: u64,
) -> Result<(), Refused> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    let (Some(sig), Some(ts)) = (header(SIGNATURE), header(TIMESTAMP)) else {
        return Err(Refused::Unsigned);
    };
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .map_err(|_| Refused::Forged)?;
    let mut signed = Vec::with_capacity(ts.len() + body.len());
    signed.extend_from_slice(ts.as_bytes());
    signed.extend_from_slice(body);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
        .verify(&signed, &sig)
        .map_err(|_| Refused::Forged)?;
    let ts: u64 = ts.parse().map_err(|_| Refused::Forged)?;
    if now.abs_diff(ts) > max_age {
        return Err(Refused::Stale);
    }
    Ok(())
}

/// The events of one request; events that are no delivery outcome (processed, open,
/// click...) are left out.
pub fn events(body: &Value) -> Result<Vec<Event>, String> {
    let list = body.as_array().ok_or("expected a JSON array of events")?;
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        if let Some(e) = event(r).map_err(|e| format!("event {}: {e}", i + 1))? {
            out.push(e);
        }
    }
    Ok(out)
}

fn event(r: &Value) -> Result<Option<Event>, String> {
    let name = text(r, "event").ok_or("no \"event\"")?;
    let bounce_type = text(r, "type").unwrap_or_default();
    let kind = match name.as_str() {
        "bounce" if bounce_type == "blocked" => Kind::Blocked,
        "bounce" => Kind::Permanent,
        "dropped" => Kind::Dropped,
        "deferred" => Kind::Temporary,
        "spamreport" => Kind::Complaint,
        "unsubscribe" | "group_unsubscribe" => Kind::Unsubscribe,
        "delivered" => Kind::Delivered,
        _ => return Ok(None),
    };
    let id = text(r, "sg_event_id").ok_or("no \"sg_event_id\"")?;
    let email = text(r, "email").ok_or("no \"email\"")?;
    let label = if bounce_type.is_empty() {
        name.clone()
    } else {
        format!("{name}/{bounce_type}")
    };
    let mut e = Event::new("sendgrid", id, kind, &label, email);
    e.diagnostic = text(r, "reason").or_else(|| text(r, "response"));
    e.status = text(r, "status").filter(|s| s.matches('.').count() == 2);
    // sg_message_id is the X-Message-Id of the 250 reply, then `.filter...`.
    e.provider_message_id =
        text(r, "sg_message_id").map(|m| m.split('.').next().unwrap_or("").to_string());
    e.message_id = text(r, "smtp-id").map(|m| m.trim_matches(['<', '>']).to_string());
    e.date = r
        .get("timestamp")
        .and_then(Value::as_u64)
        .map(super::rfc3339);
    // Custom arguments (unique args) arrive as top-level fields of each event.
    read_metadata(&mut e, Some(r));
    Ok(Some(e))
}
