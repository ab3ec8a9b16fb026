//! Cox Communications (`cox.net`): `AUP#CXxxxx` codes of its postmaster error table, and
//! its fixed wording.

use super::{Codes, Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "cox",
    hosts: &["cox.net"],
    codes: Some(Codes {
        pattern: r"AUP#([A-Za-z0-9]+)",
        table: &[
            ("CXBL", Reason::Blocked),
            ("CDRBL", Reason::Blocked),
            ("CXDNS", Reason::RequirePtr),
            ("CXSNDR", Reason::AuthFailure),
            ("CXSMTP", Reason::Rejected),
            ("CXCNCT", Reason::TooManyConn),
            ("CXMXRT", Reason::TooManyConn),
            ("CXTHRT", Reason::SecurityError),
            ("CXMJ", Reason::SecurityError),
            ("IPBL0001", Reason::Blocked),
            ("IPBL0010", Reason::Blocked),
            ("IPBL0011", Reason::Blocked),
            ("IPBL0100", Reason::Blocked),
            ("IPBL0101", Reason::Blocked),
            ("IPBL0110", Reason::Blocked),
            ("IPBL0111", Reason::Blocked),
            ("IPBL1000", Reason::Blocked),
            ("IPBL1001", Reason::Blocked),
            ("IPBL1010", Reason::Blocked),
            ("IPBL1011", Reason::Blocked),
            ("IPBL1100", Reason::Blocked),
            ("IPBL1101", Reason::Blocked),
            ("IPBL1110", Reason::Blocked),
            ("IPBL1111", Reason::Blocked),
            ("IPBL00001", Reason::Blocked),
            ("URLBL011", Reason::SpamDetected),
            ("URLBL101", Reason::SpamDetected),
            ("URLBL110", Reason::SpamDetected),
            ("URLBL1001", Reason::SpamDetected),
        ],
    }),
    rules: &[
        ("", "too many bad commands from", Reason::Blocked),
        ("", "too many invalid recipients", Reason::Blocked),
        (
            "",
            "dns check failure - try again later",
            Reason::RequirePtr,
        ),
        ("", "rejected - no rdns", Reason::RequirePtr),
        ("", "esmtp no data before greeting", Reason::PolicyViolation),
        (
            "",
            "attachment extension is forbidden",
            Reason::PolicyViolation,
        ),
        (
            "",
            "esmtp server temporarily not available",
            Reason::SystemError,
        ),
        ("", "too many sessions from", Reason::TooManyConn),
        (
            "",
            "requested action aborted: try again later",
            Reason::TooManyConn,
        ),
        ("", "message threshold exceeded", Reason::TooManyConn),
        ("", "sender rejected", Reason::Rejected),
        ("", "recipient rejected", Reason::UserUnknown),
    ],
};
