//! Facebook (`*.facebook.com`): the `XXX-Pn` / `XXX-Tn` codes of its postmaster response
//! code list.

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "facebook",
    hosts: &[".facebook.com", "facebook.com"],
    codes: Some(Codes {
        pattern: r"\b([A-Z]{3}-[PT][0-9])\b",
        table: &[
            ("POL-P1", Reason::Blocked),
            ("POL-P2", Reason::Blocked),
            ("POL-P3", Reason::Blocked),
            ("POL-P4", Reason::Blocked),
            ("POL-T1", Reason::Blocked),
            ("POL-T2", Reason::Blocked),
            ("POL-T3", Reason::Blocked),
            ("POL-P5", Reason::VirusDetected),
            ("POL-P6", Reason::SpamDetected),
            ("POL-P7", Reason::AuthFailure),
            ("MSG-P1", Reason::MesgTooBig),
            ("INT-P2", Reason::MesgTooBig),
            ("MSG-P2", Reason::ContentError),
            ("MSG-P3", Reason::NotCompliantRfc),
            ("MSG-T1", Reason::TooManyConn),
            ("RCP-P1", Reason::UserUnknown),
            ("INT-P1", Reason::UserUnknown),
            ("INT-P3", Reason::UserUnknown),
            ("INT-P4", Reason::UserUnknown),
            ("RCP-P2", Reason::Filtered),
            ("RCP-P3", Reason::Filtered),
            ("RCP-T1", Reason::SystemError),
            ("RCP-T4", Reason::Suspend),
            ("DNS-P1", Reason::Rejected),
            ("DNS-P2", Reason::Rejected),
            ("DNS-T1", Reason::Rejected),
            ("DNS-P3", Reason::RequirePtr),
            ("DNS-T2", Reason::RequirePtr),
            ("CON-T1", Reason::TooManyConn),
            ("CON-T2", Reason::TooManyConn),
            ("CON-T3", Reason::TooManyConn),
            ("CON-T4", Reason::TooManyConn),
        ],
    }),
    rules: &[],
};
