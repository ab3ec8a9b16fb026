//! RFC 3464 delivery status notifications, and their RFC 6533 `global` form: the
//! per-message block and one block per recipient of the `message/delivery-status` part.

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
    for d in &mut drafts {
        repair_recipient(d, &notes, mail);
        if d.diagnostic.is_none() {
            d.diagnostic = diagnostic_in_notes(&notes, d.recipient.as_deref());
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

/// Whether a recipient field gave something that is not a mailbox (`@mx.example.org`).
fn is_broken(recipient: Option<&str>) -> bool {
    match recipient.and_then(|r| r.rsplit_once('@')) {
        Some((local, domain)) => local.is_empty() || domain.is_empty(),
        None => true,
    }
}

/// Replaces a recipient without a local part by the address the human-readable part or
/// the returned message names: one in the same domain, else the single `To:` address.
fn repair_recipient(d: &mut Draft, notes: &str, mail: &Mail) {
    if !is_broken(d.recipient.as_deref()) {
        return;
    }
    if !is_broken(d.original_recipient.as_deref()) {
        d.recipient = d.original_recipient.clone();
        return;
    }
    let host = d
        .recipient
        .as_deref()
        .and_then(|r| r.rsplit_once('@'))
        .map(|(_, h)| h.to_ascii_lowercase())
        .unwrap_or_default();
    let related = |a: &String| {
        let dom = a
            .rsplit_once('@')
            .map(|(_, x)| x.to_ascii_lowercase())
            .unwrap_or_default();
        !host.is_empty()
            && (host.ends_with(&format!(".{dom}"))
                || dom.ends_with(&format!(".{host}"))
                || dom == host)
    };
    let candidates: Vec<String> = address::all_in(notes)
        .into_iter()
        .filter(|a| !address::is_mailer_daemon(a))
        .collect();
    if let Some(a) = candidates.iter().find(|a| related(a)) {
        d.recipient = Some(a.clone());
        return;
    }
    let to: Vec<String> = mail
        .original_header("to")
        .map(address::all_in)
        .unwrap_or_default();
    if to.len() == 1 {
        d.recipient = to.into_iter().next();
    }
}

/// The error text a report gives in its human-readable part for a record whose
/// delivery-status block has no `Diagnostic-Code` (Sendmail's transcript, a
/// `(reason: ...)` line, the first reply line of the session).
fn diagnostic_in_notes(notes: &str, recipient: Option<&str>) -> Option<String> {
    let lower = notes.to_ascii_lowercase();
    let transcript = lower
        .find("transcript of session follows")
        .and_then(|i| notes.get(i..))
        .map(|t| t.split_once('\n').map_or("", |(_, rest)| rest))
        .unwrap_or("");
    let lines: Vec<&str> = transcript.lines().map(str::trim).collect();
    // 1. "<rcpt>... text" (or "550 5.1.2 <rcpt>... text") and its continuation lines.
    if let Some(rcpt) = recipient.map(|r| format!("<{}>...", r.to_ascii_lowercase())) {
        for (i, line) in lines.iter().enumerate() {
            let l = line.to_ascii_lowercase();
            let Some(at) = l.find(&rcpt) else { continue };
            let head = if at == 0 {
                line.get(rcpt.len()..).unwrap_or("").trim()
            } else {
                line
            };
            let mut out = head.to_string();
            for next in lines.iter().skip(i + 1) {
                if next.is_empty() || next.starts_with(['<', '>', '-']) || next.starts_with("...") {
                    break;
                }
                out.push(' ');
                out.push_str(next);
            }
            return Some(out);
        }
    }
    // 2. "(reason: 550 ...)" under the address in the list of failed recipients.
    if let Some(i) = lower.find("(reason:") {
        let rest = notes.get(i + "(reason:".len()..).unwrap_or("");
        let text = rest
            .split(['\n'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches(')');
        if !text.is_empty() {
            return Some(text.to_string());
        }
    }
    // 3. The remote server's first error reply in the transcript ("<<< 552-5.7.0 ...").
    let replies: Vec<&str> = lines
        .iter()
        .skip_while(|l| {
            !is_error_reply(l.trim_start_matches("<<<").trim()) || !l.starts_with("<<<")
        })
        .take_while(|l| l.starts_with("<<<"))
        .map(|l| l.trim_start_matches("<<<").trim())
        .collect();
    if !replies.is_empty() {
        return Some(replies.join(" "));
    }
    // 4. The first error reply line of the transcript.
    lines
        .iter()
        .find(|l| is_error_reply(l))
        .map(|l| l.to_string())
}

/// `550 ...`, `451-4.3.0 ...`: a 4xx/5xx SMTP reply line.
fn is_error_reply(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 4
        && matches!(b[0], b'4' | b'5')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && matches!(b[3], b' ' | b'-')
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
