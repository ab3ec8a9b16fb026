//! Google Workspace relays (`googlemail.com` as the reporting MTA): the DNS wording of its
//! delivery reports.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "google workspace",
    hosts: &["googlemail.com"],
    codes: None,
    rules: &[
        ("5.", " responded with code nxdomain", Reason::HostUnknown),
        ("5.", "domain name not found", Reason::HostUnknown),
        ("4.", " had no relevant answers.", Reason::NetworkError),
        ("4.", "responded with code nxdomain", Reason::NetworkError),
        ("4.", "domain name not found", Reason::NetworkError),
        ("", "null mx", Reason::NotAccept),
        (
            "",
            "because the address couldn't be found. check for typos",
            Reason::UserUnknown,
        ),
    ],
};
