//! Recipients listed under a heading, the layout most plain-text notices share whatever
//! the MTA: a heading says what happened ("The following recipient(s) could not be
//! reached:", "Delivery to the following recipients failed.", "... has been delayed."),
//! then each address starts its own line (bare, in angle brackets, or after a label such
//! as "Recipient:"), followed by its own words until a blank line or the next address.
//!
//! Only addresses that lead a line under a failure or delay heading are taken: an address
//! in running text, in the returned message's quoted header lines (To, Cc, From, Subject)
//! or in a help line ("write to postmaster@...") is not a listed recipient.

use super::transcript::{rcpt_command, reply_code};
use super::{address, text::find_ci, Action, Draft};

/// Heading wording of a delay section (checked first: "delivery to the following
/// recipients has been delayed" also names "following recipients").
const DELAY_HEADINGS: &[&str] = &[
    "delayed",
    "will be retried",
    "still trying",
    "will continue to try",
    "not yet been delivered",
    "temporarily",
    "verzögert",
    "retardé",
    "retrasad",
];

/// Heading wording of a failure section.
const FAIL_HEADINGS: &[&str] = &[
    "following recipient",
    "following address",
    // Post.Office: "The following destination addresses were unknown"
    "following destination address",
    "following user",
    "could not be reached",
    "could not be delivered to",
    "couldn't be delivered to",
    "was not delivered to",
    "not be delivered to",
    "did not reach",
    "failed to deliver",
    "delivery has failed",
    "delivery failed",
    "has failed to",
    "failed recipient",
    "permanent fatal error",
    "undeliverable to",
    "unable to deliver",
    "not delivered to",
    "failed recipients",
    "failed addresses",
    "did not receive a copy",
    "address failed",
    "addresses failed",
    // localised notices (German, French, Spanish, Italian, Dutch, Portuguese)
    "folgende empfänger",
    "nicht zugestellt",
    "destinataires suivants",
    "n'a pas pu être remis",
    "destinatarios siguientes",
    "no se pudo entregar",
    "seguenti destinatari",
    "non è stato recapitato",
    "volgende ontvanger",
    "kon niet worden bezorgd",
    "destinatários seguintes",
    "não foi entregue",
];

/// Words that, right before an address in a line, say delivery to it failed
/// ("Failed to deliver to '<a@b>'", "Could not deliver to a@b").
const FAILED_BEFORE: &[&str] = &[
    "failed to deliver to",
    "could not deliver to",
    "could not be delivered to",
    "unable to deliver to",
    "undeliverable to",
    "delivery failed to",
];

/// The address named right after failure words in `line`, and the text after it.
fn after_failure_words(line: &str) -> Option<(String, &str)> {
    FAILED_BEFORE.iter().find_map(|w| {
        let at = find_ci(line, w)?;
        leading_address(line.get(at + w.len()..)?.trim_start())
    })
}

/// Labels that name a failed address on their own line, under any heading or none
/// ("Undeliverable Address: a@b", "Failed Recipient: <a@b>").
const FAILED_LABELS: &[&str] = &[
    "failed recipient",
    "failed address",
    "undeliverable address",
    "undeliverable recipient",
    "intended recipient",
    "invalid recipient",
    "unknown recipient",
    "bad recipient",
    "error-for",
    "invalid final delivery userid",
];

/// Labels of quoted header lines and envelope lines that name the sender or the returned
/// message's other addressees, never a failed recipient.
const QUOTED_LABELS: &[&str] = &[
    "to",
    "cc",
    "bcc",
    "from",
    "sent",
    "subject",
    "date",
    "reply-to",
    "sender",
    "return-path",
    "message-id",
    "mail from",
    "envelope-from",
    "original sender",
];

/// The longest label before an address ("Failed recipient:", "Recipient:").
pub(crate) const MAX_LABEL_WORDS: usize = 3;

/// Heading wording of a section of addresses that were delivered (a partial failure
/// lists them too): checked before the others, its addresses are never failed.
const DELIVERED_HEADINGS: &[&str] = &[
    // Sendmail's return receipt (savemail.c): "----- The following addresses had
    // successful delivery notifications -----"
    "successful delivery notifications",
    "successfully delivered",
    "delivered successfully",
    "delivery succeeded",
    "was delivered to",
    "were delivered to",
    "has been delivered to",
];

#[derive(Clone, Copy, PartialEq)]
enum Section {
    /// No heading yet, or a section whose addresses are not about a failure.
    None,
    Failed,
    Delayed,
}

/// The section a heading line opens, if it is one: no address, and heading wording.
fn heading(line: &str) -> Option<Section> {
    if line.contains('@') {
        return None;
    }
    if DELIVERED_HEADINGS
        .iter()
        .any(|h| find_ci(line, h).is_some())
    {
        return Some(Section::None);
    }
    let final_words = [
        "failed",
        "permanent",
        "gave up",
        "giving up",
        "expired",
        "undeliverable",
    ];
    if DELAY_HEADINGS.iter().any(|h| find_ci(line, h).is_some()) {
        // "delayed too long and failed" ends the retries: a failure
        let ended = final_words.iter().any(|w| find_ci(line, w).is_some());
        return Some(if ended {
            Section::Failed
        } else {
            Section::Delayed
        });
    }
    if FAIL_HEADINGS.iter().any(|h| find_ci(line, h).is_some()) {
        return Some(Section::Failed);
    }
    None
}

/// The address that leads `line` (after an optional short label), and the text after it.
/// Whether `line` is a header line of a quoted message (`From: ...`, `Subject: ...`).
fn quoted_header(line: &str) -> bool {
    line.split_once(':').is_some_and(|(label, _)| {
        QUOTED_LABELS
            .iter()
            .any(|q| label.trim().eq_ignore_ascii_case(q))
    })
}

pub(crate) fn leading_address(line: &str) -> Option<(String, &str)> {
    let mut t = strip_address_type(strip_bullet(line.trim()));
    if let Some((label, rest)) = t.split_once(':') {
        let label = label.trim();
        let is_label = !label.is_empty()
            && !label.contains(['@', '<'])
            && label.split_whitespace().count() <= MAX_LABEL_WORDS;
        if is_label {
            if QUOTED_LABELS.iter().any(|q| label.eq_ignore_ascii_case(q)) {
                return None;
            }
            t = rest.trim_start();
        }
    }
    let end = t
        .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .unwrap_or(t.len());
    let (token, rest) = t.split_at(end);
    // `<a@b>:` and `a@b:` lead a line too; the colon belongs to the layout
    let token = token.trim_end_matches(':');
    if !token.contains('@') || token.contains('(') {
        return None;
    }
    let addr = address::clean(token)?;
    if !addr.contains('@') || addr.starts_with('@') {
        return None;
    }
    Some((addr, rest.trim_start_matches([':', '-']).trim()))
}

/// A line without the address type that gateways write before an address
/// (`SMTP <a@b>`, `RFC822 <a@b>`: Post.Office, Exchange's and X.400 gateways' listings).
fn strip_address_type(t: &str) -> &str {
    for kind in ["smtp", "rfc822", "internet"] {
        let rest = t
            .get(..kind.len())
            .filter(|head| head.eq_ignore_ascii_case(kind))
            .and_then(|_| t.get(kind.len()..));
        if let Some(rest) = rest.filter(|r| r.starts_with([' ', '\t'])) {
            let rest = rest.trim_start();
            if rest.starts_with('<') {
                return rest;
            }
        }
    }
    t
}

/// A line without its list mark: `*`, `-`, `•`, `o`, `1.`, `1)`.
fn strip_bullet(t: &str) -> &str {
    for mark in ["* ", "- ", "• ", "o ", "+ "] {
        if let Some(rest) = t.strip_prefix(mark) {
            return rest.trim_start();
        }
    }
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits) {
        if let Some(rest) = t[digits..]
            .strip_prefix(". ")
            .or_else(|| t[digits..].strip_prefix(") "))
        {
            return rest.trim_start();
        }
    }
    t
}

/// The recipients listed under failure and delay headings in `report`, each with the text
/// that follows it, and those an SMTP transcript shows refused (`RCPT TO:<a@b>` answered
/// by a 4xx or 5xx reply; an accepted one is not a failure); empty when there are none
/// (so callers keep their own reading).
pub(crate) fn recipients(report: &str, foreign: &dyn Fn(&str) -> bool) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    let mut section = Section::None;
    let mut open: Option<usize> = None;
    let mut pending: Option<String> = None;
    for line in report.lines() {
        let t = line.trim();
        if !t.chars().any(char::is_alphanumeric) {
            // a blank or a rule line ends an address's words
            open = None;
            continue;
        }
        if let Some(s) = heading(t) {
            if open.is_none() {
                section = s;
                continue;
            }
        }
        if is_quoted(t) {
            // a line of a message quoted with "> " (a reply's layout) names no failed
            // address; after the list it starts the quoted message
            if !out.is_empty() {
                section = Section::None;
                open = None;
            }
            continue;
        }
        if !out.is_empty() && quoted_header(t) {
            // a quoted message starts after the list: its addresses are not listed
            section = Section::None;
            open = None;
            continue;
        }
        if let Some(a) = rcpt_command(t) {
            // a command names the address it tries, not one that failed
            pending = Some(a);
            if let Some(i) = open {
                append(&mut out[i], t);
            }
            continue;
        } else if let Some(code) = reply_code(t) {
            let refused = pending
                .take()
                .filter(|a| code.starts_with(['4', '5']) && foreign(a))
                .filter(|a| open.is_none_or(|i| !is(&out[i], a)));
            if let Some(a) = refused {
                let i = slot(&mut out, a, section);
                append(&mut out[i], t);
                continue;
            }
        }
        let listed = (section != Section::None || sendmail_style(t) || failed_label(t))
            .then(|| leading_address(t))
            .flatten()
            .or_else(|| after_failure_words(t))
            .filter(|(a, _)| foreign(a));
        if let Some((addr, rest)) = listed {
            let i = slot(&mut out, addr, section);
            append(&mut out[i], rest);
            open = Some(i);
        } else if let Some(i) = open {
            append(&mut out[i], t);
        }
    }
    out
}

/// A line quoted with `>` (not a transcript's `>>>` command line).
fn is_quoted(line: &str) -> bool {
    line.starts_with('>') && !line.starts_with(">>>")
}

fn is(d: &Draft, addr: &str) -> bool {
    d.recipient
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(addr))
}

/// The index of the draft for `addr`, made (delayed in a delay section) when it is new.
fn slot(out: &mut Vec<Draft>, addr: String, section: Section) -> usize {
    if let Some(i) = out.iter().position(|d| is(d, &addr)) {
        return i;
    }
    let mut d = Draft::new(Some(addr), Some(String::new()));
    if section == Section::Delayed {
        d.action = Some(Action::Delayed);
    }
    out.push(d);
    out.len() - 1
}

/// Whether `line` starts with a label that names a failed address.
fn failed_label(line: &str) -> bool {
    strip_bullet(line)
        .split_once(':')
        .is_some_and(|(label, _)| {
            let label = label.trim().to_ascii_lowercase();
            FAILED_LABELS.iter().any(|f| label.ends_with(f))
        })
}

/// `a@b... User unknown`: Sendmail's way of naming a failed address with its cause,
/// which many MTAs copy; a failure line under any heading or none.
/// Not a failure line: Sendmail's verbose transcript and receipts say so of an address it
/// delivered ("a@b... Sent (Ok: queued as ...)", "a@b... relayed; expect no further
/// notifications", "a@b... Successfully delivered").
fn sendmail_style(line: &str) -> bool {
    let t = strip_bullet(line);
    let token = t.split_whitespace().next().unwrap_or("");
    let rest = t
        .get(token.len()..)
        .unwrap_or("")
        .trim_start()
        .to_ascii_lowercase();
    let success = ["sent", "relayed", "successfully delivered", "delivered"]
        .iter()
        .any(|w| rest.starts_with(w));
    token.contains('@') && token.ends_with("...") && !rest.is_empty() && !success
}

fn append(d: &mut Draft, words: &str) {
    if words.is_empty() {
        return;
    }
    let diag = d.diagnostic.get_or_insert_with(String::new);
    if !diag.is_empty() {
        diag.push(' ');
    }
    diag.push_str(words);
}

#[cfg(test)]
#[path = "listed_tests.rs"]
mod tests;
