//! Unsubscribe requests in the bounce mailbox: mail sent to the signed `List-Unsubscribe`
//! mailto of a copy (`bounces+unsub.<campaign>.<recipient>.<mac>@domain`), as mail
//! clients send it for a one-click mailto. The address is read from the headers the
//! delivery added or the client wrote (`Delivered-To`, `X-Original-To`, `Envelope-To`,
//! `To`, `Cc`); the token is checked like a VERP token, under its own label.

use super::process::{Outcome, Pipeline, Processed};
use crate::store::{StoreError, Tx};
use crate::verp::UNSUBSCRIBE_PREFIX;

/// Headers that name where the message was delivered, strongest first.
const HEADERS: &[&str] = &["delivered-to", "x-original-to", "envelope-to", "to", "cc"];

/// The unsubscribe token the message was addressed to, if any: the part after the `+`
/// of a local part that starts with `unsub.`. Only the message's own header is read (a
/// returned message inside a bounce carries our List-Unsubscribe in its body part).
pub fn token_in(raw: &[u8]) -> Option<String> {
    let head_end = memchr::memmem::find(raw, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let head = &raw[..head_end];
    // a bounce (nearly every message polled) has no `+unsub.` in its header: one scan
    // of the bytes for `+` says so before anything is parsed
    let prefix = UNSUBSCRIBE_PREFIX.as_bytes();
    let marked = memchr::memchr_iter(b'+', head).any(|at| {
        head.get(at + 1..at + 1 + prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    });
    if !marked {
        return None;
    }
    let head = String::from_utf8_lossy(head);
    // unfold (RFC 5322 section 2.2.3), then take the fields by name
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    for wanted in HEADERS {
        for (_, value) in fields.iter().filter(|(n, _)| n == wanted) {
            if let Some(t) = token_in_value(value) {
                return Some(t);
            }
        }
    }
    None
}

fn token_in_value(value: &str) -> Option<String> {
    value
        .split(|c: char| c.is_whitespace() || "<>,;\"()".contains(c))
        .filter_map(|word| word.rsplit_once('@').map(|(local, _)| local))
        .filter_map(|local| local.split_once('+').map(|(_, t)| t))
        .find(|t| {
            t.get(..UNSUBSCRIBE_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(UNSUBSCRIBE_PREFIX))
        })
        .map(str::to_string)
}

/// The note kept with a message whose unsubscribe token does not verify.
pub const FORGED: &str =
    "unsubscribe request whose token does not verify (forged or altered): nobody was unsubscribed";

/// The note kept with a message whose token is right but names no stored recipient.
pub const UNKNOWN_RECIPIENT: &str =
    "unsubscribe request for a recipient this store does not hold (campaign deleted?): nobody was unsubscribed";

impl Pipeline {
    /// An unsubscribe request: a verified token suppresses its recipient (reason
    /// `unsubscribed`) and the message goes to the Unsubscribes folder; a forged or
    /// altered one changes nothing and the message is left for a person (NotBounces).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn unsubscribe(
        &self,
        tx: &Tx,
        token: &str,
        mid: &str,
        sha: &str,
        account: &str,
        folder: &str,
        uid: Option<u32>,
    ) -> Result<Processed, StoreError> {
        let ids = crate::verp::verify_unsubscribe(&self.correlator.secret, token);
        let Some((campaign, recipient)) = ids else {
            tx.insert_message(mid, sha, account, folder, uid, "not_bounces", Some(FORGED))?;
            return Ok(Processed {
                outcome: Some(Outcome::NotBounces),
                error: Some(FORGED.into()),
                ..Processed::default()
            });
        };
        let outcome = Outcome::Unsubscribes;
        let row = tx.insert_message(mid, sha, account, folder, uid, outcome.as_str(), None)?;
        let evidence = format!("List-Unsubscribe mailto request, message <{mid}>");
        match tx.unsubscribe(campaign, recipient, Some(row), &evidence)? {
            Some(u) => Ok(Processed {
                outcome: Some(outcome),
                suppressed: if u.newly_suppressed {
                    vec![crate::address::key_of(&u.email)]
                } else {
                    Vec::new()
                },
                ..Processed::default()
            }),
            None => {
                tx.set_message_outcome(row, "not_bounces", UNKNOWN_RECIPIENT)?;
                Ok(Processed {
                    outcome: Some(Outcome::NotBounces),
                    error: Some(UNKNOWN_RECIPIENT.into()),
                    ..Processed::default()
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_delivery_headers_not_the_body() {
        let m = b"From: Ann <ann@x.test>\r\nTo: <bounces+unsub.3.7.abcdef@list.example>\r\nSubject: unsubscribe\r\n\r\nTo: bounces+unsub.9.9.ff@list.example\r\n";
        assert_eq!(token_in(m).as_deref(), Some("unsub.3.7.abcdef"));
        let folded = "Delivered-To:\n bounces+UNSUB.1.2.ab@list.example\nTo: someone@else\n\n";
        assert_eq!(token_in(folded.as_bytes()).as_deref(), Some("UNSUB.1.2.ab"));
        let cc = "To: a@b.test, \"List\" <news@list.example>\nCc: x@y.test,\n  bounces+unsub.4.5.cd@list.example\n\n";
        assert_eq!(token_in(cc.as_bytes()).as_deref(), Some("unsub.4.5.cd"));
        // a bounce to a VERP address, its returned copy carrying our header in the body
        let bounce = "To: bounces+3.7.abc@list.example\nSubject: failed\n\nList-Unsubscribe: <mailto:bounces+unsub.3.7.abc@list.example>\n";
        assert_eq!(token_in(bounce.as_bytes()), None);
        assert_eq!(token_in(b""), None);
        assert_eq!(token_in(b"To: unsub.1.2@x\n\n"), None);
    }
}
