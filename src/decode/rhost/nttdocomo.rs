//! NTT DOCOMO (`mfsmax.docomo.ne.jp`): its replies say little, so the status code and the
//! SMTP command decide (5.2.0 and "Unknown user" after DATA are its reception filter).

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "nttdocomo",
    hosts: &["mfsmax.docomo.ne.jp"],
    codes: None,
    rules: &[
        ("5.1.1", "", Reason::UserUnknown),
        ("5.2.0", "", Reason::Filtered),
        ("", "552 too much mail data", Reason::MailboxFull),
        ("", "503 bad sequence of commands", Reason::SyntaxError),
        (
            "",
            "504 command parameter not implemented",
            Reason::SyntaxError,
        ),
        ("", "552 too many recipients", Reason::TooManyConn),
        ("5.0.0 RCPT", "", Reason::UserUnknown),
        ("5.0.0 DATA", "", Reason::Rejected),
        ("", "550 unknown user", Reason::UserUnknown),
    ],
};
