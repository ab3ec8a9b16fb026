//! AOL Mail (`*.mx.aol.com`): its outbound relay's own DNS wording.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "aol",
    hosts: &[".mail.aol.com", ".mx.aol.com"],
    codes: None,
    rules: &[
        ("", "host or domain name not found", Reason::HostUnknown),
        // The destination's MX lookup gave a malformed answer: it takes no mail.
        (
            "",
            "type=mx: malformed or unexpected name server reply",
            Reason::NotAccept,
        ),
    ],
};
