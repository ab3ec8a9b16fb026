//! Apple iCloud Mail (`*.mail.icloud.com`, `*.apple.com`, `*.me.com`): the wording of its
//! postmaster page.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "apple",
    hosts: &[".mail.icloud.com", ".apple.com", ".me.com"],
    codes: None,
    rules: &[
        ("", "s dmarc policy", Reason::AuthFailure),
        (
            "",
            "blocked for failing both spf and dkim",
            Reason::AuthFailure,
        ),
        (
            "",
            "rejected due to having a domain present in the spamhaus",
            Reason::Blocked,
        ),
        ("", "rejected due to listing in spamhaus", Reason::Blocked),
        (
            "",
            "blocked - see https://support.proofpoint.com/dnsbl-lookup",
            Reason::Blocked,
        ),
        ("", "not accepting connections", Reason::Blocked),
        ("", "recipient no longer on server", Reason::HasMoved),
        ("", "user is over quota", Reason::MailboxFull),
        ("", "relay access denied", Reason::NoRelaying),
        ("", "host/domain does not accept mail", Reason::NotAccept),
        ("", "due to local policy", Reason::PolicyViolation),
        ("", "sender address rejected", Reason::Rejected),
        ("", "due to excessive volume", Reason::Speeding),
        ("", "inactive email address", Reason::UserUnknown),
        ("", "user does not exist", Reason::UserUnknown),
        ("", "unknown or illegal alias", Reason::UserUnknown),
    ],
};
