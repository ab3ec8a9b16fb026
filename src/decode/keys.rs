//! Correlation keys a bounce carries back: the original Message-ID, queue IDs, the VERP
//! token of the address it was returned to, and our own `X-Rebound-*` headers.

use super::{address, Keys, Mail};
use regex::Regex;
use std::sync::LazyLock;

static RECEIVED_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bid\s+<?([A-Za-z0-9][A-Za-z0-9.\-_]{5,60})>?").expect("received id regex")
});

/// Keys that hold for every record of the message.
pub(crate) fn message_keys(mail: &Mail) -> Keys {
    let mut keys = Keys {
        original_message_id: mail
            .original_header("message-id")
            .map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|v| !v.is_empty()),
        ..Keys::default()
    };
    for (name, value) in &mail.original {
        if name.starts_with("x-rebound-") {
            keys.x_headers.push((name.clone(), value.clone()));
        }
    }
    // The queue ID our relay gave the message: the `id` of the newest Received line of
    // the returned message (RFC 5321 section 4.4 "id" clause).
    if let Some(rcv) = mail.original_header("received") {
        if let Some(c) = RECEIVED_ID.captures(rcv) {
            keys.queue_ids.push(c[1].to_string());
        }
    }
    // VERP (the bounce was sent to bounces+TOKEN@domain): the token after the first '+'.
    for name in ["x-original-to", "delivered-to", "to", "envelope-to"] {
        if let Some(v) = mail.header(name).and_then(address::clean) {
            let local = v.split('@').next().unwrap_or("");
            if let Some((_, token)) = local.split_once('+') {
                if !token.is_empty() {
                    keys.verp = Some(token.to_string());
                    break;
                }
            }
        }
    }
    keys
}
