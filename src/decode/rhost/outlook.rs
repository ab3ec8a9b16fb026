//! Outlook.com consumer mail (`*.hotmail.com`): its two fixed replies.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "outlook.com",
    hosts: &[".hotmail.com"],
    codes: None,
    rules: &[
        (
            "",
            "the mail could not be delivered to the recipient because the domain is not reachable",
            Reason::HostUnknown,
        ),
        (
            "",
            "requested action not taken: mailbox unavailable",
            Reason::UserUnknown,
        ),
    ],
};
