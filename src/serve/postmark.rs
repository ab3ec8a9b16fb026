//! Postmark webhooks: one JSON record per request, by `RecordType` (Bounce, SpamComplaint,
//! SubscriptionChange, Delivery). Postmark signs nothing; it posts with basic auth (the
//! credentials in the webhook URL) or custom headers, checked here in constant time.

use super::config::PostmarkAuth;
use super::events::{read_metadata, text, Event, Kind};
use super::Refused;
use crate::decode::Reason;
use axum::http::HeaderMap;
use base64::Engine;
use serde_json::Value;

/// Checks basic auth or the secret header; either configured one that matches admits.
pub fn verify(headers: &HeaderMap, auth: &PostmarkAuth) -> Result<(), Refused> {
    let mut offered = false;
    if let Some(expected) = &auth.basic {
        if let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
            offered = true;
            let given = v
                .strip_prefix("Basic ")
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
                .unwrap_or_default();
            if super::same(&given, expected.as_bytes()) {
                return Ok(());
            }
        }
    }
    if let Some((name, expected)) = &auth.header {
        if let Some(v) = headers.get(name.as_str()) {
            offered = true;
            if super::same(v.as_bytes(), expected.as_bytes()) {
                return Ok(());
            }
        }
    }
    Err(if offered {
        Refused::Forged
    } else {
        Refused::Unsigned
    })
}

/// The bounce type codes Postmark documents, as (kind, reason when the details say none).
fn bounce_kind(code: i64) -> Option<(Kind, Option<Reason>)> {
    Some(match code {
        1 => (Kind::Permanent, Some(Reason::UserUnknown)), // HardBounce
        2 => (Kind::Temporary, None),                      // Transient
        16 => (Kind::Unsubscribe, None),                   // Unsubscribe
        128 => (Kind::Permanent, Some(Reason::HasMoved)),  // AddressChange
        256 => (Kind::Temporary, Some(Reason::HostUnknown)), // DnsError
        512 => (Kind::Blocked, Some(Reason::SpamDetected)), // SpamNotification
        2048 | 4096 => (Kind::Soft, None),                 // Unknown, SoftBounce
        8192 => (Kind::Soft, Some(Reason::VirusDetected)), // VirusNotification
        100000 => (Kind::Permanent, Some(Reason::SyntaxError)), // BadEmailAddress
        100001 => (Kind::Complaint, None),                 // SpamComplaint
        100002 => (Kind::Dropped, None),                   // ManuallyDeactivated
        100006 => (Kind::Blocked, None),                   // Blocked
        100009 => (Kind::Permanent, Some(Reason::PolicyViolation)), // DMARCPolicy
        // Subscribe, AutoResponder, OpenRelayTest, ChallengeVerification, Unconfirmed,
        // SMTPApiError, InboundError, TemplateRenderingFailed: nothing about the address.
        _ => return None,
    })
}

/// The event, or None for records that are no delivery outcome (Open, Click, ...).
pub fn event(r: &Value) -> Result<Option<Event>, String> {
    let record = text(r, "RecordType").ok_or("no \"RecordType\"")?;
    let message = text(r, "MessageID");
    let mut e = match record.as_str() {
        "Bounce" | "SpamComplaint" => {
            let code =
                r.get("TypeCode")
                    .and_then(Value::as_i64)
                    .unwrap_or(if record == "SpamComplaint" {
                        100001
                    } else {
                        2048
                    });
            let Some((kind, fallback)) = bounce_kind(code) else {
                return Ok(None);
            };
            let id = text(r, "ID").ok_or("bounce has no \"ID\"")?;
            let email = text(r, "Email").ok_or("bounce has no \"Email\"")?;
            let name = format!(
                "{record} {}",
                text(r, "Type").unwrap_or_else(|| code.to_string())
            );
            let mut e = Event::new("postmark", format!("bounce:{id}"), kind, &name, email);
            e.fallback = fallback;
            e.diagnostic = text(r, "Details").or_else(|| text(r, "Description"));
            e.date = text(r, "BouncedAt");
            e
        }
        "SubscriptionChange" => {
            if r.get("SuppressSending").and_then(Value::as_bool) != Some(true) {
                return Ok(None); // reactivated: nothing to add
            }
            let email = text(r, "Recipient").ok_or("subscription change has no \"Recipient\"")?;
            let why = text(r, "SuppressionReason").unwrap_or_default();
            let kind = if why == "ManualSuppression" {
                Kind::Unsubscribe
            } else {
                Kind::Dropped
            };
            let at = text(r, "ChangedAt").unwrap_or_default();
            let id = format!(
                "subscription:{}:{email}:{at}",
                message.clone().unwrap_or_default()
            );
            let mut e = Event::new(
                "postmark",
                id,
                kind,
                &format!("SubscriptionChange {why}"),
                email,
            );
            e.date = Some(at).filter(|a| !a.is_empty());
            e
        }
        "Delivery" => {
            let email = text(r, "Recipient").ok_or("delivery has no \"Recipient\"")?;
            let m = message.clone().ok_or("delivery has no \"MessageID\"")?;
            let mut e = Event::new(
                "postmark",
                format!("delivery:{m}:{email}"),
                Kind::Delivered,
                "Delivery",
                email,
            );
            e.diagnostic = text(r, "Details");
            e.date = text(r, "DeliveredAt");
            e
        }
        _ => return Ok(None),
    };
    e.provider_message_id = message;
    read_metadata(&mut e, r.get("Metadata"));
    Ok(Some(e))
}
