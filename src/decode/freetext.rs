//! The last resort: a message that looks like a bounce (from a mailer daemon, a failure
//! subject) but that no known format claimed. Recipients and codes are read from its text.
//!
//! Plain-text notices differ in layout from MTA to MTA and from version to version, so this
//! path assumes no layout: the recipients are those listed under a failure heading
//! (`listed`), else the addresses leading their own blocks, else the first address of the
//! report that is not the sender's nor the daemon's; the diagnostic is found by `cause`.
//! No status code is required: the reason is read from the wording (`reason::decide`).

use super::cause::{clip, diagnostic, names_a_cause, report_text, MAX_REPORT};
use super::{address, family::common, listed, receipt, text::find_ci, Draft, Mail};

const SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status",
    "delivery report",
    "non-delivery",
    "non delivery",
    "bounced mail",
    "mail returned",
    "not deliverable",
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
    // A return receipt (its transcript's "a@b... relayed" lines are no failures).
    let receipts = receipt::receipts(body, &foreign);
    if !receipts.is_empty() && from_daemon(mail) {
        return Some(receipts);
    }
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
