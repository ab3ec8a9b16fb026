//! Spectrum / Charter (`charter.net`): the four-digit `AUP#Innnn` / `AUP#Onnnn` codes of its
//! email error code page, most of them ranges.

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "spectrum",
    hosts: &["charter.net"],
    codes: Some(Codes {
        pattern: r"AUP#[A-Za-z\-]*([0-9]{4})",
        table: &[
            ("1000", Reason::Blocked),
            ("1010", Reason::Rejected),
            ("1020-1080", Reason::Rejected),
            ("1090", Reason::SystemError),
            ("1100-1150", Reason::RequirePtr),
            ("1160-1190", Reason::PolicyViolation),
            ("1200-1210", Reason::Blocked),
            ("1220-1250", Reason::Blocked),
            ("1260", Reason::NetworkError),
            ("1300-1340", Reason::TooManyConn),
            ("1350-1490", Reason::Speeding),
            ("1500", Reason::Rejected),
            ("1520", Reason::Rejected),
            ("1530", Reason::MesgTooBig),
            ("1540", Reason::Speeding),
            ("1550", Reason::Speeding),
            ("1560", Reason::PolicyViolation),
            ("1580", Reason::Speeding),
        ],
    }),
    rules: &[],
};
