//! Yahoo Inc. (`*.yahoodns.net`: Yahoo, AOL, ...): the wording of its SMTP error code page.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "yahoo",
    hosts: &[".yahoodns.net"],
    codes: None,
    rules: &[
        (
            "",
            "yahoo requires all senders to authenticate with either spf or dkim",
            Reason::AuthFailure,
        ),
        (
            "",
            " because the ip is in spamhaus's list;",
            Reason::Blocked,
        ),
        (
            "",
            "not accepted from ip addresses on spamhaus xbl",
            Reason::Blocked,
        ),
        ("", "relaying denied for ", Reason::NoRelaying),
        ("", "headers are not rfc compliant", Reason::NotCompliantRfc),
        (
            "",
            "not accepted for policy reasons",
            Reason::PolicyViolation,
        ),
        (
            "",
            "temporarily deferred due to unexpected volume or user complaints",
            Reason::Rejected,
        ),
        ("", "due to unresolvable rfc.5321", Reason::Rejected),
        ("", " will be permanently deferred", Reason::Rejected),
        ("", "user is receiving mail too quickly", Reason::Speeding),
        ("", " is no longer valid.", Reason::Suspend),
        ("", "this mailbox is disabled", Reason::Suspend),
        (
            "",
            "syntax error in parameters or arguments",
            Reason::SyntaxError,
        ),
        (
            "",
            "max message per connection reached",
            Reason::TooManyConn,
        ),
        ("", "dd this user doesn't have a ", Reason::UserUnknown),
        ("", "mailbox not found", Reason::UserUnknown),
    ],
};
