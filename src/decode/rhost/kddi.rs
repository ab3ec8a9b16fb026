//! au by KDDI (`ezweb.ne.jp`, `msmx.au.com`): "550 : User unknown" is its reception filter,
//! "550 <address>: User unknown" a missing mailbox.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "kddi",
    hosts: &[".ezweb.ne.jp", "ezweb.ne.jp", "msmx.au.com"],
    codes: None,
    rules: &[
        ("", "550 : user unknown", Reason::Filtered),
        ("", ">: user unknown", Reason::UserUnknown),
    ],
};
