//! Remote-host rules: providers whose error texts or codes mean something specific
//! (a Google code, a Microsoft `S3150`, Orange's `OFR_...`), keyed by the remote MTA name.
//! Checked before the general phrase table.

use super::Reason;

/// One provider: host name fragments that identify it, and (phrase, reason) pairs that are
/// matched case-insensitively against the diagnostic text.
struct Provider {
    name: &'static str,
    hosts: &'static [&'static str],
    rules: &'static [(&'static str, Reason)],
}

static PROVIDERS: &[Provider] = &[Provider {
    name: "microsoft",
    hosts: &[
        "outlook.com",
        "hotmail.com",
        "protection.outlook.com",
        "msn.com",
        "live.com",
    ],
    rules: &[
        ("(s3150)", Reason::Blocked),
        ("(s3140)", Reason::Blocked),
        ("(as(201806281)", Reason::UserUnknown),
        (
            "recipient address rejected: access denied",
            Reason::UserUnknown,
        ),
    ],
}];

/// A reason from a provider rule, with the rule's description.
pub(crate) fn reason(
    remote_mta: Option<&str>,
    recipient: Option<&str>,
    diag: &str,
    _code: Option<&str>,
) -> Option<(Reason, String)> {
    let host = remote_mta.unwrap_or("").to_ascii_lowercase();
    let rdomain = recipient
        .and_then(|r| r.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default();
    if host.is_empty() && rdomain.is_empty() {
        return None;
    }
    let lower = diag.to_ascii_lowercase();
    for p in PROVIDERS {
        let ours = p
            .hosts
            .iter()
            .any(|h| host.ends_with(h) || rdomain.ends_with(h));
        if !ours {
            continue;
        }
        for (phrase, reason) in p.rules {
            if lower.contains(phrase) {
                return Some((*reason, format!("{} rule \"{phrase}\"", p.name)));
            }
        }
    }
    None
}
