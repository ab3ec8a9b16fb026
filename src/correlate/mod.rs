//! Ties a decoded fact to the send it is about, by the strongest key it carries
//! (DESIGN.md "Correlation keys"): signed VERP token, ENVID, relay queue ID, original
//! Message-ID, our X-Rebound headers, and last the recipient address within a window.

use crate::decode::Bounce;
use crate::store::{SendRef, StoreError, Tx};

pub use crate::store::MatchKey;

/// The result of correlating one fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub key: MatchKey,
    pub send: Option<SendRef>,
}

/// How to correlate.
#[derive(Debug, Clone)]
pub struct Correlator {
    /// The VERP secret of the store.
    pub secret: Vec<u8>,
    /// The address-only key only looks at campaigns begun within this many days.
    pub window_days: u32,
}

fn same_address(send: &SendRef, recipient: Option<&str>) -> bool {
    // A per-message key names the message; in a multi-recipient report the fact must
    // also be about the address that message went to.
    recipient.is_none_or(|r| crate::address::key_of(r) == crate::address::key_of(&send.email))
}

impl Correlator {
    /// Finds the send a fact belongs to.
    pub fn correlate(&self, tx: &Tx, b: &Bounce) -> Result<Match, StoreError> {
        let recipient = b.recipient.as_deref();
        let found = |key, send: Option<SendRef>| Match { key, send };
        // 1. The VERP token: a token that fails its MAC marks the whole fact suspect,
        //    whatever else it carries (a forger can copy an ENVID or a Message-ID).
        if let Some(token) = &b.keys.verp {
            if looks_like_ours(token) {
                match crate::verp::verify(&self.secret, token) {
                    Some((c, r)) => {
                        if let Some(s) = tx.send_by_ids(c, r)? {
                            return Ok(found(MatchKey::Verp, Some(s)));
                        }
                    }
                    None => return Ok(found(MatchKey::Suspect, None)),
                }
            }
        }
        // 2. ENVID (RFC 3461 section 4.4), read back as Original-Envelope-Id.
        if let Some(envid) = &b.keys.envelope_id {
            if let Some(s) = tx.send_by_envelope_id(envid.trim())? {
                if same_address(&s, recipient) || b.keys.original_recipient.is_some() {
                    return Ok(found(MatchKey::Envid, Some(s)));
                }
            }
        }
        // 3. The relay's queue ID from the 250 reply.
        for q in &b.keys.queue_ids {
            if let Some(s) = tx.send_by_receipt(q.trim())? {
                if same_address(&s, recipient) {
                    return Ok(found(MatchKey::QueueId, Some(s)));
                }
            }
        }
        // 4. The original Message-ID.
        if let Some(mid) = &b.keys.original_message_id {
            let mid = mid.trim().trim_start_matches('<').trim_end_matches('>');
            if let Some(s) = tx.send_by_message_id(mid)? {
                if same_address(&s, recipient) {
                    return Ok(found(MatchKey::MessageId, Some(s)));
                }
            }
        }
        // 5. X-Rebound-Recipient (and -Campaign when present).
        let header = |name: &str| {
            b.keys
                .x_headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        };
        if let Some(id) = header("x-rebound-recipient").and_then(|v| v.parse::<i64>().ok()) {
            let campaign = header("x-rebound-campaign");
            if let Some(s) = tx.send_by_header(campaign.as_deref(), id)? {
                if same_address(&s, recipient) {
                    return Ok(found(MatchKey::XHeader, Some(s)));
                }
            }
        }
        // 6. The address alone, within the campaign window.
        if let Some(r) = recipient {
            if let Some(s) = tx.send_by_address(r, self.window_days)? {
                return Ok(found(MatchKey::Address, Some(s)));
            }
        }
        Ok(found(MatchKey::Unmatched, None))
    }
}

/// Our tokens are `<campaign>.<recipient>.<mac>`; other `+` extensions (a person's
/// `bounces+lists@...`) are not ours to judge.
fn looks_like_ours(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts[0].bytes().all(|b| b.is_ascii_digit())
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && !parts[0].is_empty()
        && !parts[1].is_empty()
}

#[cfg(test)]
mod tests;
