//! Picking the reason of one failed record from its status code, its SMTP command and its
//! diagnostic text. Two ordered passes, as data:
//!
//! 1. `FIRST`: reasons that the status code or a phrase can claim outright, with the
//!    address-level ones guarded (a "user unknown" after DATA is a content filter).
//! 2. The status code's own reason, unless it is a weak one (`RETRIED`), in which case the
//!    phrases of `SECOND` are tried first, then the class of the code.

use super::phrases::Hits;
use super::{reason_for_status, Reason};

/// What the decision looks at.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub diag: &'a str,
    pub status: Option<&'a str>,
    pub replycode: Option<&'a str>,
    /// The SMTP command the failure answered (`RCPT`, `MAIL`, `DATA`, `HELO`...).
    pub command: Option<&'a str>,
    /// The `Diagnostic-Code` type, lower case (`smtp`, `x-unix`, ...).
    pub diagnostic_type: Option<&'a str>,
    pub delayed: bool,
    /// `Action: failed` from an MTA that writes it with a temporary status only when its
    /// queue gave up (Postfix: `bounce_queue_lifetime`).
    pub gave_up: bool,
}

/// Pass one, in order.
const FIRST: &[Reason] = &[
    Reason::MailboxFull,
    Reason::MesgTooBig,
    Reason::ExceedLimit,
    Reason::Suspend,
    Reason::HasMoved,
    Reason::NoRelaying,
    Reason::AuthFailure,
    Reason::UserUnknown,
    Reason::Filtered,
    Reason::RequirePtr,
    Reason::NotCompliantRfc,
    Reason::BadReputation,
    Reason::Rejected,
    Reason::HostUnknown,
    Reason::SpamDetected,
    Reason::Speeding,
    Reason::TooManyConn,
    Reason::Blocked,
];

/// Pass two's phrase order.
const SECOND: &[Reason] = &[
    Reason::MailboxFull,
    Reason::AuthFailure,
    Reason::BadReputation,
    Reason::Speeding,
    Reason::SpamDetected,
    Reason::VirusDetected,
    Reason::PolicyViolation,
    Reason::NoRelaying,
    Reason::SystemError,
    Reason::NetworkError,
    Reason::Suspend,
    Reason::ContentError,
    Reason::SystemFull,
    Reason::NotAccept,
    Reason::Expired,
    Reason::FailedStartTls,
    Reason::SecurityError,
    Reason::Suppressed,
    Reason::MailerError,
];

/// Reasons a status code names only weakly: the text is read before they are taken.
const RETRIED: &[Reason] = &[
    Reason::Undefined,
    Reason::OnHold,
    Reason::SystemError,
    Reason::SecurityError,
    Reason::Expired,
    Reason::Suspend,
    Reason::NetworkError,
    Reason::HostUnknown,
    Reason::UserUnknown,
];

/// Words that say "rejected" only when they answer `MAIL FROM` (the sender was refused).
const REJECTED_AT_MAIL: &[&str] = &["access denied"];

fn lower_has(text: &str, phrase: &str) -> bool {
    text.to_ascii_lowercase().contains(phrase)
}

fn command_is(f: &Facts, names: &[&str]) -> bool {
    f.command
        .map(|c| c.to_ascii_uppercase())
        .is_some_and(|c| names.iter().any(|n| c.starts_with(n)))
}

fn temporary(f: &Facts) -> bool {
    f.status
        .map_or(f.replycode.is_some_and(|c| c.starts_with('4')), |s| {
            s.starts_with('4')
        })
}

/// Pass one's test for one reason.
fn claims(r: Reason, f: &Facts, named: Option<Reason>, hits: &Hits) -> bool {
    match r {
        Reason::MesgTooBig => {
            named != Some(Reason::ExceedLimit) && (named == Some(r) || hits.has(r))
        }
        Reason::UserUnknown => {
            // Even with x.1.1, a text that says why (relaying, a blocklist, a full
            // mailbox, ...) is the better witness.
            let others = [
                Reason::NoRelaying,
                Reason::Blocked,
                Reason::MailboxFull,
                Reason::HasMoved,
                Reason::Rejected,
                Reason::NotAccept,
            ];
            if others.iter().any(|o| hits.has(*o)) {
                false
            } else if named == Some(Reason::UserUnknown) {
                true
            } else if named == Some(Reason::Suspend) || temporary(f) {
                false
            } else if command_is(f, &["RCPT"]) {
                hits.has(r)
            } else {
                // Without a status code naming it, "user unknown" is an address-level
                // verdict only in reply to RCPT; elsewhere (after DATA, or when the command
                // is unknown) it is a filter's verdict (below).
                false
            }
        }
        Reason::Filtered => {
            if named == Some(Reason::Suspend) {
                false
            } else if named == Some(Reason::Filtered)
                || (named.is_none() && !command_is(f, &["RCPT", "MAIL"]))
            {
                hits.has(Reason::UserUnknown) || hits.has(r)
            } else {
                false
            }
        }
        Reason::HostUnknown => {
            // A name-server failure under a 5.4.4-style code is a DNS problem, not a
            // missing domain.
            !temporary(f)
                && if named == Some(r) {
                    !hits.has(Reason::NetworkError) || hits.has(r)
                } else {
                    hits.has(r)
                }
        }
        Reason::Rejected => {
            named == Some(r)
                || (command_is(f, &["MAIL"])
                    && REJECTED_AT_MAIL.iter().any(|p| lower_has(f.diag, p)))
                || (hits.has(r)
                    && (command_is(f, &["MAIL"])
                        || (command_is(f, &["DATA"]) && named != Some(Reason::UserUnknown))
                        || named.is_none_or(|n| {
                            matches!(n, Reason::SecurityError | Reason::SystemError)
                        })))
        }
        _ => named == Some(r) || hits.has(r),
    }
}

/// The reason, and the rule that gave it.
pub(crate) fn decide(f: &Facts, hits: &Hits) -> (Reason, String) {
    let named = f.status.and_then(reason_for_status);
    // Pass one reads SMTP replies; the text of a local delivery program (X-Unix) goes to
    // pass two.
    let smtp = f.diagnostic_type != Some("x-unix");
    for r in FIRST.iter().filter(|_| smtp) {
        if claims(*r, f, named, hits) {
            // A filter's verdict is often worded as "user unknown" (see `claims`).
            let phrase = hits.phrase(*r).or_else(|| {
                (*r == Reason::Filtered)
                    .then(|| hits.phrase(Reason::UserUnknown))
                    .flatten()
            });
            let rule = match phrase {
                Some(p) => format!("phrase \"{p}\""),
                None if named == Some(*r) => format!("status {}", f.status.unwrap_or("")),
                None => format!("command {}", f.command.unwrap_or("")),
            };
            return (*r, rule);
        }
    }
    let retry = named.is_none_or(|n| RETRIED.contains(&n))
        || f.diagnostic_type.is_some_and(|t| t != "smtp");
    if !retry {
        if let Some(n) = named {
            return (n, format!("status {}", f.status.unwrap_or("")));
        }
    }
    for r in SECOND {
        if let Some(p) = hits.phrase(*r) {
            return (*r, format!("phrase \"{p}\""));
        }
    }
    if f.gave_up && temporary(f) {
        return (
            Reason::Expired,
            "action failed with a temporary status: the queue gave up".into(),
        );
    }
    let sub = f.status.map(|s| s.get(..3).unwrap_or(""));
    match sub {
        Some("5.6" | "4.6") => return (Reason::ContentError, "status class x.6".into()),
        Some("5.7" | "4.7") => return (Reason::SecurityError, "status class x.7".into()),
        _ => {}
    }
    if let Some(n) = named {
        return (n, format!("status {}", f.status.unwrap_or("")));
    }
    // The local delivery program failed (RFC 3464 diagnostic type X-Unix).
    if f.diagnostic_type == Some("x-unix") {
        return (Reason::MailerError, "diagnostic type X-Unix".into());
    }
    if hits.has(Reason::SyntaxError)
        || f.replycode
            .is_some_and(|c| matches!(c, "500" | "501" | "502" | "503" | "504"))
    {
        return (Reason::SyntaxError, "syntax error reply".into());
    }
    if f.delayed {
        return (Reason::Expired, "action delayed".into());
    }
    if command_is(f, &["HELO", "EHLO", "CONN"]) {
        return (Reason::Blocked, "rejected at connection or HELO".into());
    }
    if !f.diag.is_empty() || f.status.is_some() {
        return (Reason::OnHold, "no rule matched".into());
    }
    (Reason::Undefined, "nothing to decide on".into())
}
