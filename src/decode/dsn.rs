//! RFC 3464 delivery status notifications, and their RFC 6533 `global` form: the
//! per-message block and one block per recipient of the `message/delivery-status` part.

use super::notes::Notes;
use super::{address, mime, Action, Draft, Mail};

/// Per-message fields (RFC 3464 section 2.2).
#[derive(Debug, Default, Clone)]
pub(crate) struct PerMessage {
    pub reporting_mta: Option<String>,
    pub envelope_id: Option<String>,
    pub queue_id: Option<String>,
}

/// Records of the delivery-status part, or `None` when the message has none.
pub(crate) fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let part = mail.parts.iter().find(|p| {
        p.ctype == "message/delivery-status" || p.ctype == "message/global-delivery-status"
    });
    let (mut drafts, notes) = match part {
        Some(p) => {
            let notes: Vec<&str> = mail
                .parts
                .iter()
                .filter(|q| q.ctype == "text/plain")
                .map(|q| q.text.as_str())
                .collect();
            (parse_fields(&p.text), notes.join("\n"))
        }
        // A report whose MIME structure was lost (no Content-Type, no boundaries, or
        // forwarded inline as text) still has its delivery-status fields in the text.
        None => {
            let block = embedded_fields(&mail.text)?;
            let at = mail.text.find(block).unwrap_or(0);
            let notes = mail.text.get(..at).unwrap_or("").to_string();
            (parse_fields(block), notes)
        }
    };
    let notes = Notes::new(&notes, mail);
    for d in &mut drafts {
        notes.repair_recipient(d);
        if d.diagnostic.is_none() {
            d.diagnostic = notes.diagnostic(d.recipient.as_deref());
        }
    }
    if drafts.is_empty() {
        None
    } else {
        Some(drafts)
    }
}

/// Parses delivery-status fields from text: blocks separated by blank lines, or by a new
/// `Final-Recipient` / `Original-Recipient` where a report leaves the blank lines out.
pub(crate) fn parse_fields(text: &str) -> Vec<Draft> {
    let fields = mime::parse_header_lines(text);
    let mut per_message = PerMessage::default();
    let mut out: Vec<Draft> = Vec::new();
    let mut cur: Option<Draft> = None;
    let mut cur_has_final = false;
    for (name, value) in fields {
        let value = value.trim().to_string();
        match name.as_str() {
            "" => {
                // a blank line: the record (if any) ends
                if let Some(d) = cur.take() {
                    out.push(d);
                }
                cur_has_final = false;
            }
            "reporting-mta" => per_message.reporting_mta = Some(mta_name(&value)),
            "original-envelope-id" => per_message.envelope_id = Some(value),
            "x-postfix-queue-id" => per_message.queue_id = Some(value),
            "final-recipient" | "original-recipient" | "x-actual-recipient" => {
                let value = utf8_addr(&value);
                let is_final = name == "final-recipient";
                if is_final && cur_has_final {
                    if let Some(d) = cur.take() {
                        out.push(d);
                    }
                    cur_has_final = false;
                }
                let d = cur.get_or_insert_with(Draft::default);
                match name.as_str() {
                    "final-recipient" => {
                        let routed = is_source_route(&value);
                        let clean = address::clean(&value);
                        if routed && d.original_recipient.is_some() {
                            // A source-routed final address names a relay hop; the
                            // original recipient is the address the sender used.
                            d.recipient = d.original_recipient.clone();
                        } else {
                            d.recipient = clean.or(d.recipient.take());
                        }
                        d.routed = routed;
                        cur_has_final = true;
                    }
                    "original-recipient" => {
                        d.original_recipient = address::clean(&value);
                        if d.recipient.is_none() || d.routed {
                            d.recipient = d.original_recipient.clone();
                        }
                    }
                    _ => {
                        if d.recipient.is_none() {
                            d.recipient = address::clean(&value);
                        }
                    }
                }
            }
            _ => {
                let Some(d) = cur.as_mut() else {
                    // Fields of a recipient block seen before any recipient: start one.
                    if matches!(name.as_str(), "action" | "status" | "diagnostic-code") {
                        let mut d = Draft::default();
                        apply(&mut d, &name, &value);
                        cur = Some(d);
                    }
                    continue;
                };
                apply(d, &name, &value);
            }
        }
    }
    if let Some(d) = cur.take() {
        out.push(d);
    }
    out.retain(|d| d.recipient.is_some() || d.status.is_some() || d.diagnostic.is_some());
    for d in &mut out {
        if d.reporting_mta.is_none() {
            d.reporting_mta = per_message.reporting_mta.clone();
        }
        if d.envelope_id.is_none() {
            d.envelope_id = per_message.envelope_id.clone();
        }
        if let Some(q) = &per_message.queue_id {
            d.queue_ids.push(q.clone());
        }
    }
    out
}

/// An address field of type `utf-8` with its `\x{HEX}` escapes written as characters
/// (RFC 6533 section 3, `EmbeddedUnicodeChar`: how utf-8-addr-xtext carries a non-ASCII
/// character in `message/delivery-status`; the global form may use it too). Other types,
/// and escapes that name no character, are left as they are.
fn utf8_addr(value: &str) -> String {
    let is_utf8 = value
        .split_once(';')
        .is_some_and(|(kind, _)| kind.trim().eq_ignore_ascii_case("utf-8"));
    if !is_utf8 || !value.contains("\\x{") {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("\\x{") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 3..).unwrap_or("");
        let decoded = after.find('}').and_then(|end| {
            let hex = after.get(..end)?;
            let c = (1..=6)
                .contains(&hex.len())
                .then(|| u32::from_str_radix(hex, 16).ok())
                .flatten()
                .and_then(char::from_u32)?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = after.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push_str("\\x{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `rfc822;@relay.example:user@host`: an address with a source route.
fn is_source_route(value: &str) -> bool {
    let v = value.split_once(';').map_or(value, |(_, a)| a).trim();
    let v = v.trim_start_matches('<');
    v.starts_with('@') && v.contains(':')
}

/// Field names of RFC 3464 per-message and per-recipient blocks (and common extensions).
const DSN_FIELDS: &[&str] = &[
    "reporting-mta",
    "received-from-mta",
    "arrival-date",
    "original-envelope-id",
    "dsn-gateway",
    "final-recipient",
    "original-recipient",
    "action",
    "status",
    "remote-mta",
    "diagnostic-code",
    "last-attempt-date",
    "will-retry-until",
    "final-log-id",
];

fn is_dsn_field(line: &str) -> bool {
    let Some((name, _)) = line.split_once(':') else {
        return false;
    };
    let name = name.trim().to_ascii_lowercase();
    DSN_FIELDS.contains(&name.as_str()) || (name.starts_with("x-") && !name.contains(' '))
}

/// The delivery-status fields written inside a text part: from the first `Reporting-MTA`
/// or recipient field to a MIME boundary line or a block that holds no DSN field. `None`
/// unless the block names a recipient and an action or status.
pub(crate) fn embedded_fields(text: &str) -> Option<&str> {
    let mut start = None;
    let mut end = text.len();
    let mut offset = 0usize;
    let mut after_blank = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        let lower = t.to_ascii_lowercase();
        match start {
            None => {
                if lower.starts_with("reporting-mta:")
                    || lower.starts_with("final-recipient:")
                    || lower.starts_with("original-recipient:")
                {
                    start = Some(offset);
                }
            }
            Some(_) => {
                if t.starts_with("--") {
                    end = offset;
                    break;
                }
                if t.trim().is_empty() {
                    after_blank = true;
                } else {
                    if after_blank && !is_dsn_field(t) {
                        end = offset;
                        break;
                    }
                    after_blank = false;
                }
            }
        }
        offset += line.len();
    }
    let block = text.get(start?..end)?;
    let lower = block.to_ascii_lowercase();
    let has_recipient = lower.contains("final-recipient:") || lower.contains("original-recipient:");
    let has_outcome = lower.contains("\naction:") || lower.contains("\nstatus:");
    (has_recipient && has_outcome).then_some(block)
}

fn apply(d: &mut Draft, name: &str, value: &str) {
    match name {
        "action" => d.action = Action::parse(value),
        "status" => d.status = Some(value.to_string()),
        "remote-mta" => d.remote_mta = Some(mta_name(value)),
        "reporting-mta" => d.reporting_mta = Some(mta_name(value)),
        "diagnostic-code" => {
            let (kind, text) = match value.split_once(';') {
                Some((k, t)) if k.len() < 16 && !k.contains(' ') => {
                    (Some(k.trim().to_ascii_lowercase()), t.trim())
                }
                _ => (None, value),
            };
            d.diagnostic_type = kind;
            d.diagnostic = Some(text.to_string());
        }
        "final-log-id" => d.queue_ids.push(value.to_string()),
        "x-postfix-queue-id" => d.queue_ids.push(value.to_string()),
        "x-smtp-command" | "x-failed-command" => d.command = Some(value.to_string()),
        _ => {}
    }
}

/// `dns; mx.example.jp` → `mx.example.jp`; a comment after the name and a trailing dot go
/// (`dns; mx.example.jp. (192.0.2.1, the server for ...)`).
fn mta_name(v: &str) -> String {
    let name = v.split_once(';').map_or(v, |(_, name)| name).trim();
    let name = name.split_whitespace().next().unwrap_or("");
    name.trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks() {
        let text = "Reporting-MTA: dns; mx.example.jp\nX-Postfix-Queue-ID: 4F3A2B1C\nOriginal-Envelope-Id: env-1\n\nFinal-Recipient: rfc822; a@example.org\nOriginal-Recipient: rfc822;A@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.org>:\n  Recipient address rejected\n\nFinal-Recipient: rfc822; b@example.org\nAction: delayed\nStatus: 4.4.1\n";
        let d = parse_fields(text);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].recipient.as_deref(), Some("a@example.org"));
        assert_eq!(d[0].original_recipient.as_deref(), Some("A@example.org"));
        assert_eq!(d[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(d[0].diagnostic_type.as_deref(), Some("smtp"));
        assert_eq!(
            d[0].diagnostic.as_deref(),
            Some("550 5.1.1 <a@example.org>: Recipient address rejected")
        );
        assert_eq!(d[0].envelope_id.as_deref(), Some("env-1"));
        assert_eq!(d[0].queue_ids, vec!["4F3A2B1C".to_string()]);
        assert_eq!(d[1].action, Some(Action::Delayed));
        assert_eq!(d[1].reporting_mta.as_deref(), Some("mx.example.jp"));
    }

    #[test]
    fn utf8_address_escapes_are_decoded() {
        // RFC 6533 section 3: utf-8-addr-xtext writes a non-ASCII character as \x{HEX}
        let text = "Reporting-MTA: dns; mx.example.jp\n\nFinal-Recipient: utf-8; \\x{FC}ser@example.org\nOriginal-Recipient: utf-8;\\x{7528}\\x{6237}@example.org\nAction: failed\nStatus: 5.1.1\n";
        let d = parse_fields(text);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("\u{fc}ser@example.org"));
        assert_eq!(
            d[0].original_recipient.as_deref(),
            Some("\u{7528}\u{6237}@example.org")
        );
        // raw UTF-8 (the global form's unitext) is taken as it is
        assert_eq!(
            utf8_addr("utf-8; \u{fc}ser@example.org"),
            "utf-8; \u{fc}ser@example.org"
        );
        // only the utf-8 type has the escape; a broken escape stays as written
        assert_eq!(utf8_addr("rfc822; a\\x{FC}@b"), "rfc822; a\\x{FC}@b");
        assert_eq!(utf8_addr("utf-8; a\\x{ZZ}@b"), "utf-8; a\\x{ZZ}@b");
        assert_eq!(utf8_addr("utf-8; a\\x{D800}@b"), "utf-8; a\\x{D800}@b");
        assert_eq!(utf8_addr("utf-8; a\\x{"), "utf-8; a\\x{");
    }
}
