//! Symantec/Broadcom Email Security.cloud (MessageLabs, `*.messagelabs.com`): the wording
//! of its documented NDR messages.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "messagelabs",
    hosts: &[".messagelabs.com"],
    codes: None,
    rules: &[
        ("", "domain authentication fail", Reason::AuthFailure),
        ("", "connection rejected by policy", Reason::BadReputation),
        (
            "",
            "mail rejected because your ip is in the pbl",
            Reason::Blocked,
        ),
        ("", "your ip address has been ", Reason::Blocked),
        ("", "stray linefeeds in message", Reason::ContentError),
        ("", "tls/sslv3 connection required", Reason::FailedStartTls),
        ("", " as a relay, ", Reason::NoRelaying),
        (
            "",
            "550 requested action aborted [4]",
            Reason::NotCompliantRfc,
        ),
        (
            "",
            "has detected that this message is not rfc 5322",
            Reason::NotCompliantRfc,
        ),
        (
            "",
            "sender envelope domain not allowed for sender ip address",
            Reason::Rejected,
        ),
        ("", "your domain has been blocked", Reason::Rejected),
        ("", "your email address has been blocked", Reason::Rejected),
        (
            "",
            "your envelope sender is in my badmailfrom list",
            Reason::Rejected,
        ),
        (
            "",
            "your email address has been blacklisted",
            Reason::Rejected,
        ),
        ("", "your domain has been blacklisted", Reason::Rejected),
        (
            "",
            "please turn on smtp authentication in your mail client",
            Reason::SecurityError,
        ),
        ("", "message filtered", Reason::SpamDetected),
        ("", "filtered by outbound scanning", Reason::SpamDetected),
        (
            "",
            "too many recipients received this hour",
            Reason::TooManyConn,
        ),
        ("", "too many messages", Reason::TooManyConn),
        ("", "no such user", Reason::UserUnknown),
        ("", "invalid recipient", Reason::UserUnknown),
        ("", "mailbox is not allowed", Reason::UserUnknown),
    ],
};
