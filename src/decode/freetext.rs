//! The last resort: a message that looks like a bounce (from a mailer daemon, a failure
//! subject) but that no known format claimed. Recipients and codes are read from its text.

use super::{address, family::common, status, Draft, Mail};

const SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "failure notice",
    "returned mail",
    "mail delivery failed",
    "mail delivery failure",
    "could not be delivered",
    "non remis",
    "nondeliverable",
    "non-deliverable",
    "message not delivered",
    "rejected",
    "mail system error",
    "warning: could not send message",
];

/// Whether the message presents itself as a bounce (sender or subject).
pub(crate) fn looks_like_bounce(mail: &Mail) -> bool {
    let from = mail.from().to_ascii_lowercase();
    let subject = mail.subject.to_ascii_lowercase();
    from.contains("mailer-daemon")
        || from.contains("postmaster")
        || from.contains("mail delivery")
        || SUBJECTS.iter().any(|s| subject.contains(s))
}

/// One record per failed address found in the text, when the message looks like a bounce.
pub(crate) fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !looks_like_bounce(mail) {
        return None;
    }
    let body = common::before_original(&mail.text);
    let own: Vec<String> = ["from", "to", "reply-to", "return-path"]
        .iter()
        .filter_map(|h| mail.header(h).and_then(address::clean))
        .collect();
    let rcpt = address::all_in(body)
        .into_iter()
        .find(|a| !address::is_mailer_daemon(a) && !own.iter().any(|o| o.eq_ignore_ascii_case(a)))
        .or_else(|| mail.original_header("to").and_then(address::clean))?;
    let diag = common::lines_near(body, &rcpt)
        .or_else(|| status::find_status(body).map(|_| common::squeeze_lines(body, 3)))?;
    Some(vec![Draft::new(Some(rcpt), Some(diag))])
}
