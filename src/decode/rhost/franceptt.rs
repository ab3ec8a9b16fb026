//! Orange and La Poste (`orange.fr`, `wanadoo.fr`, `laposte.net`): the three-digit code
//! that ends their `OFR...`/`LPN...` error labels (`OFR006_102`, `LPN007_416`, `OFR_999`).

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "orange/laposte",
    hosts: &[".laposte.net", ".orange.fr", ".wanadoo.fr"],
    codes: Some(Codes {
        pattern: r"(?i)\b(?:lpn|ofr|ouk)[a-z]*[0-9]*[_\-]?([0-9]{3})\b",
        table: &[
            ("101", Reason::Blocked),
            ("102", Reason::Blocked),
            ("103", Reason::Blocked),
            ("104", Reason::TooManyConn),
            ("305", Reason::SecurityError),
            ("401", Reason::AuthFailure),
            ("402", Reason::SecurityError),
            ("403", Reason::Rejected),
            ("405", Reason::Rejected),
            ("415", Reason::Rejected),
            ("416", Reason::UserUnknown),
            ("417", Reason::MailboxFull),
            ("420", Reason::Suspend),
            ("421", Reason::Rejected),
            ("426", Reason::Suspend),
            ("505", Reason::SystemError),
            ("506", Reason::SpamDetected),
            ("510", Reason::Blocked),
            ("514", Reason::MesgTooBig),
            ("517", Reason::AuthFailure),
            ("630", Reason::PolicyViolation),
            ("999", Reason::Blocked),
        ],
    }),
    rules: &[("", "spf/dns de votre nom de domaine", Reason::AuthFailure)],
};
