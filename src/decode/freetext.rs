//! The last resort: a message that looks like a bounce (from a mailer daemon, a failure
//! subject) but that no known format claimed. Recipients and codes are read from its text.
//!
//! Plain-text notices differ in layout from MTA to MTA and from version to version, so this
//! path assumes no layout: the report is the text before the returned copy of the message
//! (only a real copy mark cuts it; the report's own headings, such as Sendmail's "Transcript
//! of session follows", are where the cause is written), the recipient is the first address
//! of the report that is not the sender's nor the daemon's, and the diagnostic is the
//! paragraph that names it, widened to the next paragraphs, then to the whole report, until
//! it carries wording that names a cause or a status code. No status code is required: the
//! reason is read from the wording (`reason::decide`).

use super::{address, family::common, listed, reason, status, text::find_ci, Draft, Mail};

const SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status",
    "delivery report",
    "non-delivery",
    "nondelivery",
    "not be delivered",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery problem",
    "delivery notification",
    "failure notice",
    "failure delivery",
    "returned mail",
    "mail delivery failed",
    "mail delivery failure",
    "could not be delivered",
    "couldn't be delivered",
    "non remis",
    "nondeliverable",
    "non-deliverable",
    "non deliverable",
    "not delivered",
    "message not delivered",
    "rejected",
    "mail system error",
    "warning: could not send message",
    "returned to sender",
    "delivery error",
    "mail failure",
    "warning: delayed mail",
    "mail failed",
    "returned message",
    "failed delivery",
    "could not deliver",
    // Exchange's and others' localised subjects ("Undeliverable"):
    "unzustellbar",
    "nicht zustellbar",
    "non recapitabile",
    "no se puede entregar",
    "onbestelbaar",
    "não entregue",
    "impossible de remettre",
    "niedostarczalne",
    "nedoručitelné",
];

/// Lines that start the returned copy of the message (case-insensitive). Only copy marks:
/// the report's section headings are not among them.
const COPY_MARKS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "------ a copy of the message",
    "----- original message -----",
    "------ original message ------",
    "---- original message ----",
    "--- original message follows",
    "original message follows",
    "----- unsent message follows -----",
    "------ unsent message follows ------",
    "--- message follows ---",
    "message text follows:",
    "here is your returned mail",
    "returned mail follows",
    "------ the message's headers follow",
    "--- the header of the original message is following",
    "---------- forwarded message ----------",
    "content-type: message/rfc822",
    "\nreturn-path: <",
    "\nreceived: from ",
];

/// How far the diagnostic may widen, in paragraphs after the recipient's.
const MAX_EXTRA_PARAGRAPHS: usize = 3;
/// The longest diagnostic taken from the whole report, in bytes.
const MAX_REPORT: usize = 1500;

/// Whether the message presents itself as a bounce (sender or subject).
pub(crate) fn looks_like_bounce(mail: &Mail) -> bool {
    from_daemon(mail)
        || SUBJECTS
            .iter()
            .any(|s| mail.subject.to_ascii_lowercase().contains(s))
}

/// Whether the sender is a mail system (not a person or a shop writing about "delivery").
fn from_daemon(mail: &Mail) -> bool {
    let from = mail.from().to_ascii_lowercase();
    from.contains("mailer-daemon")
        || from.contains("postmaster")
        || from.contains("mail delivery")
        || from.contains("courier mail server")
        || from.contains("mail administrator")
        || from.contains("mail router")
        || from.contains("mail gateway")
        || from.contains("mailer@")
}

/// The report: the text before the first copy mark that is not at its very start.
fn report_text(text: &str) -> &str {
    let cut = COPY_MARKS
        .iter()
        .filter_map(|m| find_ci(text, m))
        .filter(|&i| i > 0)
        .min()
        .unwrap_or(text.len());
    text.get(..cut).unwrap_or(text)
}

/// Whether a text names a cause the reason rules can read: a phrase or a status code.
fn names_a_cause(text: &str) -> bool {
    !reason::scan(text).is_empty() || status::find_status(text).is_some()
}

/// The paragraphs of `text` (split at blank lines), with their byte offsets.
fn paragraphs(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if let Some(p) = text.get(start..at) {
                if !p.trim().is_empty() {
                    out.push((start, p));
                }
            }
            start = at + line.len();
        }
        at += line.len();
    }
    if let Some(p) = text.get(start..) {
        if !p.trim().is_empty() {
            out.push((start, p));
        }
    }
    out
}

/// The words about `rcpt` in a message's human-readable text (before the returned copy):
/// its paragraph, widened to the next ones while it names no cause; `None` when they name
/// none.
pub(crate) fn cause_near(text: &str, rcpt: &str) -> Option<String> {
    let report = report_text(text);
    let paras = paragraphs(report);
    let at = find_ci(report, rcpt)?;
    let i = paras
        .iter()
        .position(|(s, p)| at >= *s && at < s + p.len())?;
    cause_from(paras.iter().skip(i).map(|(_, p)| *p))
}

/// The cause read from the paragraph at the address and up to `MAX_EXTRA_PARAGRAPHS` after.
fn cause_from<'a>(paras: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut diag = String::new();
    for p in paras.take(1 + MAX_EXTRA_PARAGRAPHS) {
        if !diag.is_empty() {
            diag.push(' ');
        }
        diag.push_str(clip(p, MAX_REPORT));
        if names_a_cause(&diag) {
            return Some(super::draft::squeeze(&diag));
        }
    }
    None
}

/// [`cause_near`] for many recipients of one message: the report's paragraphs found once
/// and the first place of every recipient found in one pass (Aho-Corasick), so a report
/// of 4,000 records without a diagnostic costs one read of its text, not 4,000 (89 s).
#[derive(Debug, Clone, Default)]
pub(crate) struct CauseIndex {
    /// The paragraphs of the report part: byte offset and length, in order.
    paras: Vec<(usize, usize)>,
    /// Each recipient (ASCII lower case) and where it first appears in the report.
    first_at: std::collections::HashMap<String, Option<usize>>,
}

impl CauseIndex {
    pub(crate) fn new(text: &str, recipients: &[String]) -> CauseIndex {
        let report = report_text(text);
        let paras = paragraphs(report)
            .into_iter()
            .map(|(s, p)| (s, p.len()))
            .collect();
        let mut first_at: std::collections::HashMap<String, Option<usize>> = recipients
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| (r.to_ascii_lowercase(), None))
            .collect();
        let keys: Vec<String> = first_at.keys().cloned().collect();
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&keys);
        if let Ok(ac) = automaton {
            for m in ac.find_overlapping_iter(report) {
                if let Some(slot) = first_at.get_mut(&keys[m.pattern().as_usize()]) {
                    if slot.is_none_or(|at| m.start() < at) {
                        *slot = Some(m.start());
                    }
                }
            }
        } else {
            // an automaton too large to build: search for each as `cause_near` does
            for (k, slot) in first_at.iter_mut() {
                *slot = find_ci(report, k);
            }
        }
        CauseIndex { paras, first_at }
    }

    /// What [`cause_near`] gives for `rcpt` in `text` (the text this index was made of).
    pub(crate) fn cause_near(&self, text: &str, rcpt: &str) -> Option<String> {
        let at = match self.first_at.get(&rcpt.to_ascii_lowercase()) {
            Some(found) => (*found)?,
            None => return cause_near(text, rcpt),
        };
        // the last paragraph starting at or before `at`, if `at` is inside it
        let i = self
            .paras
            .partition_point(|&(s, _)| s <= at)
            .checked_sub(1)?;
        let (s, len) = self.paras[i];
        if at >= s + len {
            return None;
        }
        cause_from(
            self.paras[i..]
                .iter()
                .filter_map(|&(s, len)| text.get(s..s + len)),
        )
    }
}

/// The diagnostic for `rcpt`: its paragraph, widened while it names no cause; else the
/// report's start when that names one; else the paragraph alone.
fn diagnostic(report: &str, rcpt: &str) -> Option<String> {
    if let Some(d) = cause_near(report, rcpt) {
        return Some(d);
    }
    // The cause may stand before the address ("... does not exist: a@b"), or anywhere.
    let whole = super::draft::squeeze(clip(report, MAX_REPORT));
    if names_a_cause(&whole) {
        return Some(whole);
    }
    let at = find_ci(report, rcpt)?;
    paragraphs(report)
        .into_iter()
        .find(|(s, p)| at >= *s && at < s + p.len())
        .map(|(_, p)| super::draft::squeeze(clip(p, MAX_REPORT)))
}

/// At most `n` bytes of `s`, cut at a character boundary: a report without blank lines
/// can be megabytes long, a diagnostic is read from its start.
fn clip(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// One record per failed address found in the text, when the message looks like a bounce.
pub(crate) fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !looks_like_bounce(mail) {
        return None;
    }
    let body = report_text(&mail.text);
    let own: Vec<String> = ["from", "to", "reply-to", "return-path", "sender"]
        .iter()
        .filter_map(|h| mail.header(h).and_then(address::clean))
        .chain(mail.original_header("from").and_then(address::clean))
        .collect();
    let foreign =
        |a: &str| !address::is_mailer_daemon(a) && !own.iter().any(|o| o.eq_ignore_ascii_case(a));
    // Addresses listed under a failure or delay heading: one record each, a delayed one
    // marked so; the failed ones' own words, else the words near them.
    let listed = listed::recipients(body, &foreign);
    if !listed.is_empty() {
        // no delay heading, but the notice is a warning: every address is delayed
        let all_delayed = is_warning(body) && listed.iter().all(|d| d.action.is_none());
        let drafts: Vec<Draft> = listed
            .into_iter()
            .map(|d| mark(d, all_delayed))
            .map(|mut d| {
                let own = d.diagnostic.take().filter(|t| names_a_cause(t));
                let rcpt = d.recipient.clone().unwrap_or_default();
                d.diagnostic = own
                    .map(|t| super::draft::squeeze(clip(&t, MAX_REPORT)))
                    .or_else(|| diagnostic(body, &rcpt));
                d
            })
            .collect();
        let caused = drafts
            .iter()
            .any(|d| d.diagnostic.as_deref().is_some_and(names_a_cause));
        if from_daemon(mail) || caused {
            return Some(drafts);
        }
    }
    // Several failed addresses, each leading its own block ("<a@b>:" and its text, the
    // layout of qmail, Exim, Courier and many others): one record each, when every block
    // names a cause.
    let blocks = merge_same_recipient(common::address_blocks(body));
    let delayed = is_warning(body);
    if blocks.len() >= 2
        && blocks.iter().all(|d| {
            d.recipient.as_deref().is_some_and(foreign)
                && d.diagnostic.as_deref().is_some_and(names_a_cause)
        })
    {
        return Some(blocks.into_iter().map(|d| mark(d, delayed)).collect());
    }
    let rcpt = pick_recipient(mail, body, &foreign)
        .or_else(|| mail.original_header("to").and_then(address::clean))
        .or_else(|| {
            address::all_in(&mail.subject)
                .into_iter()
                .find(|a| foreign(a))
        })?;
    let diag = diagnostic(body, &rcpt)?;
    // Detected by its subject alone, a message must also name a cause: "delivery status
    // of your order" from a shop is not a bounce.
    if !from_daemon(mail) && !names_a_cause(&diag) {
        return None;
    }
    Some(vec![mark(Draft::new(Some(rcpt), Some(diag)), delayed)])
}

/// Local parts of role addresses a report names for help ("contact hostmaster@..."):
/// taken as the recipient only when nothing else is named.
const ROLE_LOCAL_PARTS: &[&str] = &[
    "abuse",
    "hostmaster",
    "webmaster",
    "support",
    "help",
    "helpdesk",
    "noreply",
    "no-reply",
    "admin",
    "administrator",
    "security",
    "spam",
];

/// The failed recipient among the report's addresses: one the returned message was
/// addressed to (its To/Cc) first, then any address that is not a role address, then a
/// role address; the first in the text at equal rank.
fn pick_recipient(mail: &Mail, body: &str, foreign: &dyn Fn(&str) -> bool) -> Option<String> {
    let addressed: Vec<String> = ["to", "cc"]
        .iter()
        .filter_map(|h| mail.original_header(h))
        .flat_map(address::all_in)
        .collect();
    let rank = |a: &str| {
        let local = a.split('@').next().unwrap_or("").to_ascii_lowercase();
        if addressed.iter().any(|o| o.eq_ignore_ascii_case(a)) {
            0
        } else if ROLE_LOCAL_PARTS.contains(&local.as_str()) {
            2
        } else {
            1
        }
    };
    address::all_in(body)
        .into_iter()
        .filter(|a| foreign(a))
        .enumerate()
        .min_by_key(|(i, a)| (rank(a), *i))
        .map(|(_, a)| a)
}

/// Wording of a delay warning: the MTA still retries, nothing has failed yet.
const WARNING_MARKS: &[&str] = &[
    "this is a warning only",
    "warning only",
    "warning message only",
    "will keep trying",
    "still undelivered",
    "still being retried",
    "will be retried until",
    "will continue to try",
    "delivery attempts will continue",
    "has been delayed",
    "delivery delayed",
    "delayed mail",
];

fn is_warning(report: &str) -> bool {
    WARNING_MARKS.iter().any(|m| find_ci(report, m).is_some())
}

fn mark(mut d: Draft, delayed: bool) -> Draft {
    if delayed {
        d.action = Some(super::Action::Delayed);
    }
    d
}

/// One draft per recipient: a diagnostic wrapped onto a line that starts with the address
/// again (Postfix writes `<a@b>: host ... said: 550 <a@b>: ...` over two lines) is the
/// same failure, not a second one.
fn merge_same_recipient(blocks: Vec<Draft>) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    for b in blocks {
        let same = out.iter_mut().find(|o| {
            o.recipient
                .as_deref()
                .zip(b.recipient.as_deref())
                .is_some_and(|(x, y)| x.eq_ignore_ascii_case(y))
        });
        match same {
            Some(o) => {
                let more = b.diagnostic.unwrap_or_default();
                let d = o.diagnostic.get_or_insert_with(String::new);
                if !more.is_empty() {
                    if !d.is_empty() {
                        d.push(' ');
                    }
                    d.push_str(&more);
                }
            }
            None => out.push(b),
        }
    }
    out
}

#[cfg(test)]
#[path = "freetext_tests.rs"]
mod tests;
