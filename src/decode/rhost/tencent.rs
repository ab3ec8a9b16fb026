//! Tencent QQ Mail (`*.qq.com`): the wording of its help-centre error list.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "tencent",
    hosts: &[".qq.com"],
    codes: None,
    rules: &[
        ("", "spf check failed", Reason::AuthFailure),
        ("", "dmarc check failed", Reason::AuthFailure),
        ("", "suspected bounce attacks", Reason::Blocked),
        ("", "suspected spam ip", Reason::Blocked),
        ("", "connection denied", Reason::Blocked),
        ("", "message too large", Reason::MesgTooBig),
        ("", "mail is rejected by recipients", Reason::Rejected),
        ("", "spam is embedded in the email", Reason::SpamDetected),
        ("", "mail content denied", Reason::SpamDetected),
        ("", "suspected spam", Reason::Rejected),
        (
            "",
            "mailbox unavailable or access denined",
            Reason::Speeding,
        ),
        (
            "",
            "frequency of receiving messages is limited",
            Reason::Speeding,
        ),
        ("", "is a deactivated mailbox", Reason::Suspend),
        ("", "bad address syntax", Reason::SyntaxError),
        ("", "ip frequency limited", Reason::TooManyConn),
        ("", "domain frequency limited", Reason::TooManyConn),
        ("", "sender frequency limited", Reason::TooManyConn),
        ("", "connection frequency limited", Reason::TooManyConn),
        ("", "mailbox not found", Reason::UserUnknown),
    ],
};
