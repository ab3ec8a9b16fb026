//! I.UA (`*.email.ua`): the error number of its `https://mail.i.ua/err/N/` links.

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "i.ua",
    hosts: &[".email.ua"],
    codes: Some(Codes {
        pattern: r"(?i)\.i\.ua/err/([0-9]{1,2})/",
        table: &[
            ("1", Reason::NoRelaying),
            ("2", Reason::UserUnknown),
            ("3", Reason::Suspend),
            ("4", Reason::MailboxFull),
            ("5", Reason::TooManyConn),
            ("6", Reason::NoRelaying),
            ("7", Reason::Blocked),
            ("8", Reason::Rejected),
            ("9", Reason::Blocked),
            ("10", Reason::Filtered),
        ],
    }),
    rules: &[],
};
