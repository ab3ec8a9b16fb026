//! The decoder: the bytes of one message in, a list of facts out. Pure, synchronous, no I/O,
//! and it never panics, whatever the input.
//!
//! Order of evidence (strongest first): structured reports (RFC 3464/6533 delivery status,
//! RFC 5965 feedback reports), auto-replies (RFC 3834), known MTA formats (`family/`), and
//! free text as the last resort. Each record then gets its reason (`reason/`), its
//! hard/soft verdict, the blocklist it names (`blocklist.rs`) and the correlation keys.

mod address;
mod arf;
mod autoreply;
mod blocklist;
mod cause;
mod draft;
mod dsn;
mod family;
mod freetext;
mod keys;
mod listed;
mod mime;
mod notes;
pub mod reason;
mod receipt;
mod rhost;
mod status;
mod text;
mod transcript;

use serde::{Deserialize, Serialize};

pub use mime::MAX_PARSE;
pub use reason::Reason;

pub(crate) use draft::Draft;
pub(crate) use mime::Mail;

/// What one message says: zero or more facts. Not a bounce = an empty list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub bounces: Vec<Bounce>,
}

/// The DSN action of a record (RFC 3464 section 2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        let s = s.trim().to_ascii_lowercase();
        let word = s.split(|c: char| !c.is_ascii_alphabetic()).next()?;
        Some(match word {
            "failed" | "failure" => Action::Failed,
            "delayed" => Action::Delayed,
            "delivered" | "deliverable" => Action::Delivered,
            "relayed" => Action::Relayed,
            "expanded" => Action::Expanded,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
            Action::Expanded => "expanded",
        }
    }
}

/// A blocklist (DNSBL) that a rejection names, and the listed IP when given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocklist {
    /// The list's zone or name, e.g. `zen.spamhaus.org`, `b.barracudacentral.org`.
    pub list: String,
    /// The sending IP the rejection says is listed.
    pub listed_ip: Option<String>,
}

/// Keys that tie a bounce back to the message and recipient it is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keys {
    /// RFC 3461 ENVID, read back as `Original-Envelope-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// RFC 3461 ORCPT, read back as `Original-Recipient` (address only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_recipient: Option<String>,
    /// Message-ID of the returned original message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_message_id: Option<String>,
    /// Queue IDs seen: `X-Postfix-Queue-ID`, `Final-Log-ID`, the reporting MTA's ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue_ids: Vec<String>,
    /// The VERP local part token when the bounce was sent to `bounces+TOKEN@domain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verp: Option<String>,
    /// `X-Rebound-*` headers of the returned message (name, value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub x_headers: Vec<(String, String)>,
}

/// Which part of the decoder decided, so a person can check the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The module that found the record: `rfc3464`, `arf`, `rfc3834`, `postfix`, ...
    pub module: String,
    /// The rule that set the reason: `status 5.1.1`, `phrase "user unknown"`, ...
    pub rule: String,
}

/// One fact: what happened to one recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bounce {
    pub recipient: Option<String>,
    pub action: Option<Action>,
    /// RFC 3463 enhanced status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// SMTP reply code, e.g. `550`.
    pub replycode: Option<String>,
    pub reason: Reason,
    /// True when the address itself is bad and should leave the list.
    pub hard: bool,
    /// ARF feedback type (`abuse`, `opt-out`, ...) when the reason is `feedback`.
    pub feedback_type: Option<String>,
    pub diagnostic_code: Option<String>,
    pub remote_mta: Option<String>,
    pub reporting_mta: Option<String>,
    /// The SMTP command the failure answered (`RCPT`, `DATA`, ...), when known.
    pub smtp_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocklist: Option<Blocklist>,
    pub keys: Keys,
    pub evidence: Evidence,
    /// When the bounce was made, in UTC (`2026-12-02T07:31:34Z`): the report's
    /// `Arrival-Date`, else the notice's `Date` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Decode one message. Never panics; anything that is not a bounce gives an empty report.
pub fn decode(raw: &[u8]) -> Report {
    let pieces = mbox_pieces(raw);
    if pieces.len() > 1 {
        // Several messages stored one after another (an mbox): each is decoded alone.
        let bounces = pieces.iter().flat_map(|p| decode_one(p).bounces).collect();
        return Report { bounces };
    }
    decode_one(raw)
}

/// The messages of an mbox (RFC 4155): the bytes are cut at each `From ` separator line
/// that follows a blank line or a closing MIME boundary and is followed by a header line.
/// A single message (or anything else) comes back whole.
fn mbox_pieces(raw: &[u8]) -> Vec<&[u8]> {
    if !raw.starts_with(b"From ") {
        return vec![raw];
    }
    let mut starts = vec![0usize];
    let mut prev: &[u8] = b"";
    let mut at = 0usize;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let next = raw.get(at + line.len()..).unwrap_or_default();
        if at > 0 && mbox_separator(prev, line, next) {
            starts.push(at);
        }
        prev = line;
        at += line.len();
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(raw.len());
        if let Some(p) = raw.get(*s..end) {
            out.push(p);
        }
    }
    out
}

/// Whether `line`, between the line `prev` and the text `next`, starts the next message
/// of an mbox (RFC 4155): a `From ` line after a blank line (or a closing MIME boundary)
/// and followed by a header line, so that an unquoted "From " at the start of a body
/// paragraph does not cut a message in two. The one rule for every mbox reader
/// (`decode` itself and `mailfiles`).
pub fn mbox_separator(prev: &[u8], line: &[u8], next: &[u8]) -> bool {
    line.starts_with(b"From ") && separator_context(prev, next)
}

/// The context half of `mbox_separator`.
fn separator_context(prev: &[u8], next: &[u8]) -> bool {
    let p = prev.trim_ascii();
    let closing_boundary =
        p.starts_with(b"--") && p.ends_with(b"--") && p.iter().any(|&b| b != b'-');
    if !(p.is_empty() || closing_boundary) {
        return false;
    }
    let first = next.split(|&b| b == b'\n').next().unwrap_or_default();
    let name_end = first.iter().position(|&b| b == b':');
    name_end.is_some_and(|i| {
        i > 0
            && first[..i]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    })
}

fn decode_one(raw: &[u8]) -> Report {
    let mut mail = match Mail::parse(raw) {
        Some(m) => m,
        None => return Report::default(),
    };
    let (module, drafts) = find_drafts(&mail);
    mail.record_recipients = drafts.iter().filter_map(|d| d.recipient.clone()).collect();
    let keys = keys::message_keys(&mail);
    let date = bounce_date(&mail);
    let bounces = drafts
        .into_iter()
        .map(|d| draft::finish(d, module, &mail, &keys))
        .map(|b| Bounce {
            date: date.clone(),
            ..b
        })
        .collect();
    Report { bounces }
}

/// The bounce's own date in UTC: the delivery report's `Arrival-Date`, else `Date`.
fn bounce_date(mail: &Mail) -> Option<String> {
    let arrival = mail
        .part("message/delivery-status")
        .or_else(|| mail.part("message/global-delivery-status"))
        .and_then(|p| {
            p.text.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("arrival-date")
                    .then(|| value.trim())
            })
        });
    [arrival, mail.header("date")]
        .into_iter()
        .flatten()
        .find_map(|text| {
            let d = mail_parser::DateTime::parse_rfc822(text).filter(|d| d.is_valid())?;
            Some(mail_parser::DateTime::from_timestamp(d.to_timestamp()).to_rfc3339())
        })
}

/// Classifies one SMTP reply as the decoder would a diagnostic text: the reason, and
/// whether the address itself is bad. For replies refused during an SMTP transaction
/// (synchronous bounces); `command` is the command it answered (`RCPT`, `DATA`, ...).
pub fn classify_reply(reply: &str, command: Option<&str>) -> (Reason, bool) {
    let r = reply_facts(reply, command);
    (r.reason, r.hard)
}

/// What an SMTP reply says, read by the same rules as a bounce's diagnostic: a refusal
/// at submission is a fact like a decoded bounce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyFacts {
    pub reason: Reason,
    pub hard: bool,
    /// The RFC 3463 status code the reply carries, e.g. `5.1.1`.
    pub status: Option<String>,
    /// The reply code, e.g. `550`.
    pub replycode: Option<String>,
    /// The blocklist (and listed IP) the reply names.
    pub blocklist: Option<Blocklist>,
    /// The rule that set the reason.
    pub rule: String,
}

/// Reads one SMTP reply (`550 5.1.1 <a@b>: Recipient address rejected ...`), answering
/// `command` (`RCPT`, `DATA`, ...) when known.
pub fn reply_facts(reply: &str, command: Option<&str>) -> ReplyFacts {
    let code = status::find_status(reply);
    let replycode = status::find_replycode(reply);
    let facts = reason::Facts {
        diag: reply,
        status: code.as_deref(),
        replycode: replycode.as_deref(),
        command,
        diagnostic_type: Some("smtp"),
        delayed: false,
        gave_up: false,
    };
    let (r, rule) = reason::decide_rule(&facts, &reason::scan(reply));
    let permanent = replycode
        .as_deref()
        .or(code.as_deref())
        .and_then(status::class)
        == Some('5');
    ReplyFacts {
        reason: r,
        hard: r.is_hard(permanent),
        blocklist: blocklist::find(reply),
        status: code,
        replycode,
        rule: rule.to_string(),
    }
}

/// Runs the decoders in order of evidence; the first that yields records wins.
fn find_drafts(mail: &Mail) -> (&'static str, Vec<Draft>) {
    if let Some(drafts) = arf::parse(mail) {
        return ("arf", drafts);
    }
    if let Some((name, drafts)) = family::parse_before_dsn(mail) {
        return (name, drafts);
    }
    if let Some(drafts) = dsn::parse(mail) {
        return ("rfc3464", drafts);
    }
    if let Some(drafts) = autoreply::parse(mail) {
        return ("rfc3834", drafts);
    }
    if let Some((name, drafts)) = family::parse(mail) {
        return (name, drafts);
    }
    if let Some(drafts) = freetext::parse(mail) {
        return ("freetext", drafts);
    }
    ("none", Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_refused_at_submission_keep_their_verdicts() {
        // Postfix's replies as the project's mail stack gives them (send's synchronous
        // bounces): hard only for the unknown address.
        let cases = [
            ("550 5.1.1 User unknown", Reason::UserUnknown, true),
            (
                "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1",
                Reason::Blocked,
                false,
            ),
            ("554 5.7.1 <a@remote.test>: Relay access denied", Reason::NoRelaying, false),
            ("452 4.2.2 <a@remote.test>: Mailbox full", Reason::MailboxFull, false),
            ("552 5.3.4 Message size exceeds fixed limit", Reason::MesgTooBig, false),
        ];
        for (reply, want, hard) in cases {
            assert_eq!(classify_reply(reply, Some("RCPT")), (want, hard), "{reply}");
        }
    }
}
