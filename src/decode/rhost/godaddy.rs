//! GoDaddy (`smtp.secureserver.net`): the `IBnnn` codes of its bounce help page.

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "godaddy",
    hosts: &["smtp.secureserver.net", "mailstore1.secureserver.net"],
    codes: Some(Codes {
        pattern: r"\b(IB[0-9]{3})\b",
        table: &[
            ("IB401", Reason::SecurityError),
            ("IB501", Reason::NotCompliantRfc),
            ("IB502", Reason::NotCompliantRfc),
            ("IB506", Reason::Rejected),
            ("IB508", Reason::AuthFailure),
            ("IB108", Reason::RequirePtr),
            ("IB212", Reason::SpamDetected),
            ("IB705", Reason::VirusDetected),
            ("IB605", Reason::TooManyConn),
            ("IB007", Reason::TooManyConn),
            ("IB101", Reason::Speeding),
            ("IB110", Reason::Blocked),
            ("IB111", Reason::Blocked),
            ("IB112", Reason::Blocked),
            ("IB113", Reason::Blocked),
            ("IB504", Reason::Speeding),
            ("IB510", Reason::Speeding),
            ("IB607", Reason::Speeding),
            ("IB103", Reason::BadReputation),
            ("IB104", Reason::Blocked),
            ("IB105", Reason::Blocked),
            ("IB106", Reason::Blocked),
        ],
    }),
    rules: &[
        ("", "rbl reject", Reason::Blocked),
        ("", "www.spamhaus.org/query/bl?ip=", Reason::Blocked),
        ("", "has been in the queue too long", Reason::Expired),
        ("", "delivery timeout", Reason::Expired),
        ("", "account storage limit", Reason::MailboxFull),
        (
            "",
            "message rejected for spam or virus content",
            Reason::SpamDetected,
        ),
        ("", "account disabled", Reason::Suspend),
        ("", "message is looping", Reason::SystemError),
        ("", "recipient not found", Reason::UserUnknown),
        ("", "account does not exist", Reason::UserUnknown),
    ],
};
