//! Exim (and the Exim-based Mail.Ru relay): "This message was created automatically by mail
//! delivery software", each failed address on a line indented by two spaces and its error
//! indented deeper below it; the multipart form adds an RFC 3464 part that often lacks the
//! error text, so this family goes before the generic DSN parser.

use super::Family;
use crate::decode::text::{contains_ci, find_ci};
use crate::decode::{address, draft, dsn, reason, status, Action, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "exim",
    parse,
};

/// Mail.Ru relays run Exim and write its report after a Russian preface.
pub(crate) static MAILRU: Family = Family {
    name: "mailru",
    parse: parse_mailru,
};

/// Subjects Exim gives its reports (deliver.c, moan.c).
const SUBJECTS: &[&str] = &[
    "mail delivery failed",
    "mail failure",
    "message frozen",
    "warning: message ",
    "error(s) in forwarding or filtering",
    "delivery status notification",
];

/// First lines of Exim's reports (deliver.c, moan.c).
const START: &[&str] = &[
    "this message was created automatically by mail delivery software",
    "a message that you sent was rejected by the local scanning code",
    "a message that you sent was rejected by the local scannning code",
    "a message that you sent contained one or more recipient addresses",
    "a message that you sent could not be delivered to all of its recipients",
    " has been frozen",
    " was frozen on arrival",
    " router encountered the following error(s)",
];

/// Exim's own wording of its failures (route.c, dnslookup.c, appendfile.c, parser.c, deliver.c,
/// smtp.c) that settle the reason, first match wins.
const RULES: &[(&str, Reason)] = &[
    ("mailbox is full", Reason::MailboxFull),
    ("error: quota exceed", Reason::MailboxFull),
    (
        "all host address lookups failed permanently",
        Reason::HostUnknown,
    ),
    (
        "all relevant mx records point to non-existent hosts",
        Reason::HostUnknown,
    ),
    ("unrouteable address", Reason::HostUnknown),
    ("the account or domain may not exist", Reason::HostUnknown),
    (
        "an mx or srv record indicated no smtp service",
        Reason::NotAccept,
    ),
    (
        "no host found for existing smtp connection",
        Reason::NotAccept,
    ),
    ("angle-brackets nested too deep", Reason::SyntaxError),
    ("expected word or \"<\"", Reason::SyntaxError),
    (
        "domain missing in source-routed address",
        Reason::SyntaxError,
    ),
    ("malformed address:", Reason::SyntaxError),
    ("too many \"received\" headers", Reason::ContentError),
];

/// Exim's wording that names a reason only when the remote's own text (if any) names none:
/// an LMTP or local delivery failure may carry a sharper answer (smtp.c, deliver.c).
const FALLBACK: &[(&str, Reason)] = &[
    (
        "all host address lookups failed permanently",
        Reason::HostUnknown,
    ),
    (
        "all relevant mx records point to non-existent hosts",
        Reason::HostUnknown,
    ),
    ("delivery to file forbidden", Reason::SystemError),
    ("delivery to pipe forbidden", Reason::SystemError),
    ("local delivery failed", Reason::SystemError),
    ("lmtp error after ", Reason::SystemError),
    ("user not found", Reason::UserUnknown),
];

/// Exim's wording of a delivery that is late or given up on (retry.c, deliver.c, smtp.c).
const DELAYED: &[&str] = &[
    "retry timeout exceeded",
    "no action is required on your part",
    "retry time not reached for any host after a long failure period",
    "all hosts have been failing for a long time and were last tried",
    "delay reason: ",
    "has been frozen",
    "was frozen on arrival by ",
];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !looks_like_exim(mail) {
        return None;
    }
    // the report text and where the report starts, found once for the test and the read
    let text = report_text(mail);
    let start = start_of(&text)?;
    read_text(mail, &text, Some(start))
}

fn parse_mailru(mail: &Mail) -> Option<Vec<Draft>> {
    let from = mail.from().to_ascii_lowercase();
    if !from.contains("mail.ru") || !is_exim_id(mail.header("message-id").unwrap_or("")) {
        return None;
    }
    read(mail)
}

/// Two of Exim's marks in the headers (the report's first line is checked after).
fn looks_like_exim(mail: &Mail) -> bool {
    let mut score = 0;
    if mail
        .from()
        .to_ascii_lowercase()
        .contains("mail delivery system")
    {
        score += 1;
    }
    let subject = mail.subject.to_ascii_lowercase();
    if SUBJECTS.iter().any(|s| subject.contains(s)) {
        score += 1;
    }
    if is_exim_id(mail.header("message-id").unwrap_or("")) {
        score += 1;
    }
    if mail.header("x-failed-recipients").is_some() {
        // Exim's own header (deliver.c), kept by its derivatives
        score += 1;
    }
    score >= 2
}

/// Exim's message ids: `E1X58pT-0004bZ-Co` (6+6+2 base-62) or, since 4.97, 6+11+4.
fn is_exim_id(id: &str) -> bool {
    let id = id.trim().trim_start_matches('<');
    let Some((local, _)) = id.split_once('@') else {
        return false;
    };
    let parts: Vec<&str> = local.split('-').collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return false;
    }
    let lens = (parts[0].len(), parts[1].len(), parts[2].len());
    matches!(lens, (6..=7, 6, 2) | (6, 11, 4))
}

/// The human-readable report: the first text part (the whole text when there is none),
/// cut before the returned message.
fn report_text(mail: &Mail) -> String {
    let text = mail
        .part("text/plain")
        .map(|p| p.text.as_str())
        .unwrap_or(mail.text.as_str());
    let mut out = String::new();
    for line in text.lines() {
        let l = line.trim_start();
        if l.starts_with("-----")
            && (contains_ci(l, "this is a copy of") || contains_ci(l, "the header of the original"))
        {
            break;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Byte offset of the first line that starts a report.
fn start_of(text: &str) -> Option<usize> {
    // START is lower case (a test keeps it so): the same as finding in a lowered copy
    START.iter().filter_map(|s| find_ci(text, s)).min()
}

/// One failed address as the text lists it.
#[derive(Default)]
struct Block {
    recipient: Option<String>,
    alias: Option<String>,
    lines: Vec<String>,
}

fn read(mail: &Mail) -> Option<Vec<Draft>> {
    let text = report_text(mail);
    let start = start_of(&text);
    read_text(mail, &text, start)
}

/// `read` on the report text already made, `start` being `start_of(text)`.
fn read_text(mail: &Mail, text: &str, start: Option<usize>) -> Option<Vec<Draft>> {
    let body = start.and_then(|i| text.get(i..)).unwrap_or(text);
    let mut blocks: Vec<Block> = Vec::new();
    // The recipients so far: a set, since a look through `blocks` for each address was
    // quadratic (32,000 addresses: 14.7 s).
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut open = false;
    for line in body.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            open = false;
            continue;
        }
        let two = line.starts_with("  ") && !line.starts_with("   ");
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if two {
            if let Some((addr, rest)) = address_line(t) {
                if !seen.insert(addr.clone()) {
                    // the same address again (Mail.Ru repeats the list): keep the first
                    open = false;
                    continue;
                }
                let mut b = Block {
                    recipient: Some(addr),
                    ..Block::default()
                };
                if !rest.is_empty() {
                    b.lines.push(rest);
                }
                blocks.push(b);
                open = true;
                continue;
            }
            let program = lower.starts_with("pipe to ")
                || lower.starts_with("save to ")
                || lower.starts_with("an undisclosed address");
            let fresh = !open || blocks.last().is_some_and(|b| !b.lines.is_empty());
            if program || (fresh && !t.contains('@')) {
                let lines = if lower.starts_with("pipe to ") {
                    vec![t.to_string()]
                } else {
                    Vec::new()
                };
                blocks.push(Block {
                    lines,
                    ..Block::default()
                });
                open = true;
                continue;
            }
        }
        if !open {
            continue;
        }
        let Some(b) = blocks.last_mut() else { continue };
        if lower.starts_with("(generated from ") || lower.starts_with("generated by ") {
            if b.alias.is_none() {
                b.alias = t
                    .split_whitespace()
                    .find_map(|w| w.contains('@').then(|| address::clean(w)).flatten());
            }
            continue;
        }
        if lower.starts_with("(ultimately generated from ") {
            continue;
        }
        b.lines.push(t.to_string());
    }

    // Addresses the text does not give (a pipe, a file, a bare local part) come from the
    // alias or, in order, from X-Failed-Recipients.
    let mut failed = failed_recipients(mail).into_iter();
    let known: std::collections::HashSet<String> = blocks
        .iter()
        .filter_map(|b| b.recipient.as_deref().map(str::to_ascii_lowercase))
        .collect();
    for b in &mut blocks {
        if b.recipient.is_none() {
            b.recipient = b.alias.clone().or_else(|| {
                failed
                    .by_ref()
                    .find(|f| !known.contains(&f.to_ascii_lowercase()))
            });
        }
    }
    blocks.retain(|b| b.recipient.is_some());
    if blocks.is_empty() {
        blocks = failed_recipients(mail)
            .into_iter()
            .map(|r| Block {
                recipient: Some(r),
                ..Block::default()
            })
            .collect();
    }
    if blocks.is_empty() {
        return None;
    }

    let fields = mail
        .parts
        .iter()
        .find(|p| p.ctype == "message/delivery-status")
        .map(|p| dsn::parse_fields(&p.text))
        .unwrap_or_default();
    let delayed = {
        let lower = body.to_ascii_lowercase();
        lower.contains("has not yet been delivered")
            || lower.contains("no action is required on your part")
    };
    let single_field = fields.len() == 1;
    // The first delivery-status record of each recipient (lower case), found by lookup,
    // not by a search of all records for each block.
    let mut field_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        if let Some(r) = &f.recipient {
            field_of.entry(r.to_ascii_lowercase()).or_insert(i);
        }
    }
    let out = blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let recipient = b.recipient.unwrap_or_default();
            let field = field_of
                .get(&recipient.to_ascii_lowercase())
                .and_then(|&j| fields.get(j))
                .or_else(|| {
                    if single_field {
                        fields.first()
                    } else {
                        fields.get(i)
                    }
                });
            let mut diag = draft::squeeze(&b.lines.join(" "));
            if diag.is_empty() {
                diag = field.and_then(|f| f.diagnostic.clone()).unwrap_or_default();
            }
            let mut d = Draft::new(
                Some(recipient),
                Some(diag.clone()).filter(|s| !s.is_empty()),
            );
            if let Some(f) = field {
                d.status = f.status.clone();
                d.remote_mta = f.remote_mta.clone();
                d.reporting_mta = f.reporting_mta.clone();
            }
            d.action = Some(if delayed {
                Action::Delayed
            } else {
                Action::Failed
            });
            d.command = draft::command_in(&diag);
            decide(&mut d, &diag);
            d
        })
        .collect();
    Some(out)
}

/// `kijitora@example.jp`, `kijitora@example.jp: forced freeze`,
/// `mike@example.jp <neko@example.org>: malformed address: ...` → (address, rest).
fn address_line(t: &str) -> Option<(String, String)> {
    if t.starts_with('<') || t.to_ascii_lowercase().starts_with("pipe to ") {
        return None;
    }
    if let Some(open) = t.find('<') {
        if let Some(close) = t.get(open..).and_then(|s| s.find(">:")).map(|c| open + c) {
            let addr = t.get(open + 1..close)?;
            if addr.contains('@') && !addr.contains(' ') {
                let rest = t.get(close + 2..).unwrap_or("").trim().to_string();
                return address::clean(addr).map(|a| (a, rest));
            }
        }
    }
    let (head, rest) = match t.rfind(": ") {
        Some(i) => (t.get(..i)?, t.get(i + 2..).unwrap_or("")),
        None => (t.trim_end_matches(':'), ""),
    };
    let head = head.trim();
    if !head.contains('@') || head.contains(' ') || !head.contains('.') {
        return None;
    }
    address::clean(head).map(|a| (a, rest.trim().to_string()))
}

fn failed_recipients(mail: &Mail) -> Vec<String> {
    mail.header("x-failed-recipients")
        .unwrap_or("")
        .split(',')
        .filter_map(address::clean)
        .filter(|a| a.contains('@'))
        .collect()
}

/// Exim's reason logic: a rejected HELO is a block; a rejected MAIL FROM is judged by the
/// remote's text alone; otherwise Exim's own wording first, then the common decision, with
/// Exim's delay wording as the fallback.
fn decide(d: &mut Draft, diag: &str) {
    let lower = diag.to_ascii_lowercase();
    let command = d.command.clone().unwrap_or_default();
    if matches!(command.as_str(), "HELO" | "EHLO" | "CONN") {
        // refused before any address was given: the client itself was turned away, and
        // only a remote that names the missing PTR record says more than that
        if lower.contains("ptr record") {
            d.reason = Some(Reason::RequirePtr);
            d.rule = Some(format!("exim: rejected at {command}, PTR record required"));
            return;
        }
        d.reason = Some(Reason::Blocked);
        d.rule = Some(format!("exim: rejected at {command}"));
        return;
    }
    if command != "MAIL" {
        if let Some((phrase, r)) = RULES.iter().find(|(p, _)| lower.contains(p)) {
            d.reason = Some(*r);
            d.rule = Some(format!("exim \"{phrase}\""));
            return;
        }
    }
    let code = d
        .status
        .as_deref()
        .and_then(status::normalize)
        .filter(|c| !status::is_vague(c))
        .or_else(|| status::find_status(diag))
        .or_else(|| d.status.as_deref().and_then(status::normalize));
    let reply = status::find_replycode(diag);
    // With no remote in the story (no SMTP error, no host, no reply code), the text is
    // Exim's own verdict on the address: a router's `:fail:` message or a local transport's
    // error. Such a verdict is address-level, as a reply to RCPT is; "Unknown user" there is
    // not a content filter's wording.
    let local_verdict = command.is_empty()
        && reply.is_none()
        && d.remote_mta.is_none()
        && !lower.contains("smtp error")
        && !lower.contains("host ");
    let facts = reason::Facts {
        diag,
        status: code.as_deref(),
        replycode: reply.as_deref(),
        command: if local_verdict {
            Some("RCPT")
        } else if command == "MAIL" || command.is_empty() {
            None
        } else {
            Some(command.as_str())
        },
        diagnostic_type: None,
        delayed: d.action == Some(Action::Delayed),
        gave_up: false,
    };
    let (r, rule) = reason::decide_rule(&facts, &reason::scan(diag));
    let weak = matches!(
        r,
        Reason::OnHold | Reason::Undefined | Reason::NetworkError | Reason::Expired
    );
    if weak {
        if let Some((phrase, r)) = FALLBACK.iter().find(|(p, _)| lower.contains(p)) {
            d.reason = Some(*r);
            d.rule = Some(format!("exim \"{phrase}\""));
            return;
        }
        if lower.contains("pipe to |") {
            d.reason = Some(Reason::MailerError);
            d.rule = Some("exim: a pipe failed".into());
            return;
        }
        if let Some(p) = DELAYED.iter().find(|p| lower.contains(*p)) {
            d.reason = Some(Reason::Expired);
            d.rule = Some(format!("exim \"{p}\""));
            d.action = Some(Action::Delayed);
            return;
        }
    }
    if command == "MAIL" {
        // The remote turned the sender down; its text may say why, else it is a rejection.
        let vague =
            weak || matches!(rule, reason::Rule::StatusClass(_)) || r == Reason::SecurityError;
        d.reason = Some(if vague { Reason::Rejected } else { r });
        d.rule = Some(if vague {
            "exim: rejected after MAIL FROM".to_string()
        } else {
            format!("exim: {rule}")
        });
    } else if weak {
        d.reason = Some(r);
        d.rule = Some(format!("exim: {rule}"));
    } else if local_verdict {
        d.reason = Some(r);
        d.rule = Some(format!("exim: local verdict on the address, {rule}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_marks_are_lower_case() {
        assert!(START.iter().all(|s| *s == s.to_ascii_lowercase()));
    }

    #[test]
    fn reads_a_plain_exim_report() {
        let raw = [
            "From: Mail Delivery System <Mailer-Daemon@mx.example.org>",
            "Subject: Mail delivery failed: returning message to sender",
            "Message-Id: <E1abcde-000123-Xy@mx.example.org>",
            "X-Failed-Recipients: neko@example.jp, tora@example.jp",
            "",
            "This message was created automatically by mail delivery software.",
            "",
            "A message that you sent could not be delivered to one or more of its",
            "recipients. This is a permanent error. The following address(es) failed:",
            "",
            "  neko@example.jp",
            "    SMTP error from remote mail server after RCPT TO:<neko@example.jp>:",
            "    host mx.example.jp [192.0.2.1]: 550 5.1.1 <neko@example.jp>... User Unknown",
            "  save to /var/mail/tora",
            "    generated by tora@example.jp",
            "    mailbox is full: retry timeout exceeded",
            "",
            "------ This is a copy of the message, including all the headers. ------",
            "",
            "From: a@example.org",
            "",
            "hello",
        ]
        .join("\r\n");
        let mail = Mail::parse(raw.as_bytes()).expect("parses");
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].recipient.as_deref(), Some("neko@example.jp"));
        assert_eq!(d[0].command.as_deref(), Some("RCPT"));
        assert_eq!(d[1].recipient.as_deref(), Some("tora@example.jp"));
        assert_eq!(d[1].reason, Some(Reason::MailboxFull));
    }

    #[test]
    fn reads_the_multipart_form_and_aliases() {
        let raw = [
            "From: Mail Delivery System <Mailer-Daemon@mx.example.org>",
            "Subject: Mail delivery failed: returning message to sender",
            "X-Failed-Recipients: tora@example.jp",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=B-eximdsn-B",
            "",
            "--B-eximdsn-B",
            "Content-type: text/plain; charset=us-ascii",
            "",
            "This message was created automatically by mail delivery software.",
            "",
            "A message that you sent could not be delivered to one or more of its",
            "recipients. This is a permanent error. The following address(es) failed:",
            "",
            "  an undisclosed address",
            "    (generated from tora@example.jp)",
            "    LMTP error after RCPT TO:<tora@store>: 550 5.1.1 User unknown",
            "",
            "--B-eximdsn-B",
            "Content-type: message/delivery-status",
            "",
            "Reporting-MTA: dns; mx.example.org",
            "",
            "Action: failed",
            "Final-Recipient: rfc822;tora@store",
            "Status: 5.0.0",
            "",
            "--B-eximdsn-B--",
        ]
        .join("\r\n");
        let mail = Mail::parse(raw.as_bytes()).expect("parses");
        assert!(looks_like_exim(&mail) && start_of(&report_text(&mail)).is_some());
        let d = parse(&mail).expect("claimed");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].recipient.as_deref(), Some("tora@example.jp"));
        assert_eq!(d[0].status.as_deref(), Some("5.0.0"));
        // Exim's "LMTP error" gives way to the remote's sharper answer
        let report = crate::decode::decode(raw.as_bytes());
        assert_eq!(report.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(report.bounces[0].status.as_deref(), Some("5.1.1"));
    }

    #[test]
    fn exim_ids() {
        assert!(is_exim_id("<E1X58pT-0004bZ-Co@example.org>"));
        assert!(is_exim_id("<1rAbCd-00000000001-ABCD@example.org>"));
        assert!(!is_exim_id("<20240101.abc@example.org>"));
    }
}
