//! Picking the reason of one failed record from its status code, its SMTP command and its
//! diagnostic text. This is the one place where a reason's precedence is decided; the
//! order below is the order production runs, and `order_is_locked` pins it.
//!
//! Before this module: a family module or a provider table (`rhost`) may set the reason
//! itself (its own wording); `draft::decide` asks `rhost` first. Then, here:
//!
//! 1. **Pass one** (`FIRST`, SMTP replies only, not `X-Unix` text): reasons that the status
//!    code names or that a phrase names outright, in this order. The address-level ones
//!    are guarded (`claims`): "user unknown" decides `userunknown` only with x.1.1 or in
//!    reply to RCPT, elsewhere it is a filter's verdict (`filtered`); a more specific
//!    wording (relaying, blocklist, full mailbox...) beats x.1.1; a system-level storage
//!    failure (x.3.1) is not a full mailbox; a connection limit is not a rate limit.
//! 2. **The status code's own reason** (`status_table`), unless it is a weak one
//!    (`RETRIED`) or the diagnostic is not an SMTP reply.
//! 3. **Pass two** (`SECOND`): phrases of the softer reasons, in this order.
//! 4. **Queue gave up**: `Action: failed` with a temporary status (Postfix) is `expired`.
//! 5. **Status class**: x.6 is `contenterror`; x.7 reads the words of `X7_WORDS` (a 5.7.x
//!    refusal that says "spam", "policy", "DMARC"...), then `securityerror`.
//! 6. The weak status reason; `mailererror` for `X-Unix`; `syntaxerror` for 500-504;
//!    `expired` for `Action: delayed`; `blocked` at connection/HELO; `onhold` when there
//!    is text; `undefined` when there is nothing.
//!
//! Phrases: `phrases::TABLE` (untagged) and `sourced::SOURCED` (each with its source),
//! scanned once into `Hits`; inside `Hits` a phrase covered by a longer phrase of another
//! reason does not count.

use super::phrases::Hits;
use super::sourced::X7_WORDS;
use super::{reason_for_status, Reason};
use std::fmt;

/// The rule that decided a reason. Its `Display` is the evidence text people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A phrase of the reason occurred; the text is `Hits::cite`'s.
    Phrase(String),
    /// The status code names the reason (`status_table`).
    Status(String),
    /// The SMTP command alone decided (a filter's verdict after DATA...).
    Command(String),
    /// `Action: failed` with a temporary status: the queue gave up.
    QueueGaveUp,
    /// The class of the status code (`x.6`, `x.7`).
    StatusClass(&'static str),
    /// A weak word of an x.7 refusal (`X7_WORDS`).
    X7Word(&'static str),
    /// The local delivery program failed (`X-Unix`).
    XUnix,
    /// A 500-504 reply or syntax wording.
    SyntaxReply,
    /// `Action: delayed`.
    ActionDelayed,
    /// Refused at connection or HELO/EHLO.
    AtConnection,
    /// Text, but no rule named a cause.
    NoRuleMatched,
    /// No text and no code.
    NothingToDecide,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Phrase(p) => f.write_str(p),
            Rule::Status(s) => write!(f, "status {s}"),
            Rule::Command(c) => write!(f, "command {c}"),
            Rule::QueueGaveUp => {
                f.write_str("action failed with a temporary status: the queue gave up")
            }
            Rule::StatusClass(c) => write!(f, "status class {c}"),
            Rule::X7Word(w) => write!(f, "x.7 refusal naming \"{w}\""),
            Rule::XUnix => f.write_str("diagnostic type X-Unix"),
            Rule::SyntaxReply => f.write_str("syntax error reply"),
            Rule::ActionDelayed => f.write_str("action delayed"),
            Rule::AtConnection => f.write_str("rejected at connection or HELO"),
            Rule::NoRuleMatched => f.write_str("no rule matched"),
            Rule::NothingToDecide => f.write_str("nothing to decide on"),
        }
    }
}

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
    Reason::TooManyConn,
    Reason::Speeding,
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
    Reason::MailerError,
    Reason::Expired,
    Reason::FailedStartTls,
    Reason::SecurityError,
    Reason::Suppressed,
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
        Reason::MailboxFull => {
            // x.3.1 is the system's storage; a mailbox phrase must name the mailbox.
            if named == Some(Reason::SystemFull) && hits.has(Reason::SystemFull) {
                false
            } else {
                named == Some(r) || hits.has(r)
            }
        }
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
            } else if f.status.is_some_and(|s| s.ends_with(".4.1")) && !temporary(f) {
                // Microsoft's directory-based edge blocking answers an address its
                // directory lacks with 5.4.1 "Recipient address rejected: Access denied"
                // (ms365-ndr 5.4.1), always at RCPT.
                hits.has(r)
            } else if named == Some(Reason::NotAccept)
                && f.status.is_some_and(|s| s.ends_with(".1.10"))
            {
                // x.1.10 is RFC 7505's null MX, and Microsoft's "recipient not found by
                // SMTP address lookup": the wording tells which.
                hits.has(r)
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
            } else if hits.has(Reason::SpamDetected) && !hits.has(Reason::UserUnknown) {
                // A content filter that says it found spam: the cause is named.
                false
            } else if named == Some(Reason::Filtered)
                || (named.is_none_or(|n| {
                    // a weak status (x.3.0 "other mail system problem"...) does not name
                    // the cause; an address-level one does, and is judged above
                    RETRIED.contains(&n) && !matches!(n, Reason::UserUnknown | Reason::HostUnknown)
                }) && !command_is(f, &["RCPT", "MAIL"]))
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

/// The reason, and the rule that gave it. The order is the module doc's.
pub(crate) fn decide_rule(f: &Facts, hits: &Hits) -> (Reason, Rule) {
    let named = f.status.and_then(reason_for_status);
    let status = || f.status.unwrap_or("").to_string();
    // Pass one reads SMTP replies; the text of a local delivery program (X-Unix) goes to
    // pass two.
    let smtp = f.diagnostic_type != Some("x-unix");
    for r in FIRST.iter().filter(|_| smtp) {
        if claims(*r, f, named, hits) {
            // A filter's verdict is often worded as "user unknown" (see `claims`).
            let phrase = hits.cite(*r).or_else(|| {
                (*r == Reason::Filtered)
                    .then(|| hits.cite(Reason::UserUnknown))
                    .flatten()
            });
            let rule = match phrase {
                Some(p) => Rule::Phrase(p),
                None if named == Some(*r) => Rule::Status(status()),
                None => Rule::Command(f.command.unwrap_or("").to_string()),
            };
            return (*r, rule);
        }
    }
    let retry = named.is_none_or(|n| RETRIED.contains(&n))
        || f.diagnostic_type.is_some_and(|t| t != "smtp");
    if !retry {
        if let Some(n) = named {
            return (n, Rule::Status(status()));
        }
    }
    for r in SECOND {
        if let Some(p) = hits.cite(*r) {
            return (*r, Rule::Phrase(p));
        }
    }
    if f.gave_up && temporary(f) {
        return (Reason::Expired, Rule::QueueGaveUp);
    }
    let sub = f.status.map(|s| s.get(..3).unwrap_or(""));
    match sub {
        Some("5.6" | "4.6") => return (Reason::ContentError, Rule::StatusClass("x.6")),
        Some("5.7" | "4.7") => {
            let lower = f.diag.to_ascii_lowercase();
            if let Some((w, r)) = X7_WORDS.iter().find(|(w, _)| lower.contains(w)) {
                return (*r, Rule::X7Word(w));
            }
            return (Reason::SecurityError, Rule::StatusClass("x.7"));
        }
        _ => {}
    }
    if let Some(n) = named {
        return (n, Rule::Status(status()));
    }
    // The local delivery program failed (RFC 3464 diagnostic type X-Unix).
    if f.diagnostic_type == Some("x-unix") {
        return (Reason::MailerError, Rule::XUnix);
    }
    if hits.has(Reason::SyntaxError)
        || f.replycode
            .is_some_and(|c| matches!(c, "500" | "501" | "502" | "503" | "504"))
    {
        return (Reason::SyntaxError, Rule::SyntaxReply);
    }
    if f.delayed {
        return (Reason::Expired, Rule::ActionDelayed);
    }
    if command_is(f, &["HELO", "EHLO", "CONN"]) {
        return (Reason::Blocked, Rule::AtConnection);
    }
    if !f.diag.is_empty() || f.status.is_some() {
        return (Reason::OnHold, Rule::NoRuleMatched);
    }
    (Reason::Undefined, Rule::NothingToDecide)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Reason]) -> String {
        list.iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn order_is_locked() {
        // The precedence production uses: a reorder must be a deliberate act.
        assert_eq!(
            names(FIRST),
            "mailboxfull,mesgtoobig,exceedlimit,suspend,hasmoved,norelaying,authfailure,\
userunknown,filtered,requireptr,notcompliantrfc,badreputation,rejected,hostunknown,\
spamdetected,toomanyconn,speeding,blocked"
        );
        assert_eq!(
            names(SECOND),
            "mailboxfull,authfailure,badreputation,speeding,spamdetected,virusdetected,\
policyviolation,norelaying,systemerror,networkerror,suspend,contenterror,systemfull,\
notaccept,mailererror,expired,failedstarttls,securityerror,suppressed"
        );
        assert_eq!(
            names(RETRIED),
            "undefined,onhold,systemerror,securityerror,expired,suspend,networkerror,\
hostunknown,userunknown"
        );
        let x7: Vec<&str> = X7_WORDS.iter().map(|(w, _)| *w).collect();
        assert_eq!(
            x7.join(","),
            "dmarc,dkim,spf,virus,spam,rfc 5322,rfc5322,rfc 822,reputation,ptr,blacklist,\
listed,relay,suspended,disabled,sender,policy"
        );
    }
}
