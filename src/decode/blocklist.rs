//! Blocklist (DNSBL) rejections: which list a rejection names, and the listed IP. A blocked
//! sender is not a bad address: these never make a record hard.

use super::Blocklist;
use regex::Regex;
use std::sync::LazyLock;

/// Known lists: (substring to look for, lower case; the list's name as reported).
static KNOWN: &[(&str, &str)] = &[
    ("zen.spamhaus.org", "zen.spamhaus.org"),
    ("sbl-xbl.spamhaus.org", "sbl-xbl.spamhaus.org"),
    ("sbl.spamhaus.org", "sbl.spamhaus.org"),
    ("xbl.spamhaus.org", "xbl.spamhaus.org"),
    ("pbl.spamhaus.org", "pbl.spamhaus.org"),
    ("dbl.spamhaus.org", "dbl.spamhaus.org"),
    ("spamhaus.org/query/bl?ip=", "zen.spamhaus.org"),
    ("spamhaus.org/query/ip/", "zen.spamhaus.org"),
    ("b.barracudacentral.org", "b.barracudacentral.org"),
    ("barracudacentral.org", "b.barracudacentral.org"),
    ("barracuda reputation", "b.barracudacentral.org"),
    ("bl.spamcop.net", "bl.spamcop.net"),
    ("spamcop.net", "bl.spamcop.net"),
    ("dnsbl-1.uceprotect.net", "dnsbl-1.uceprotect.net"),
    ("dnsbl-2.uceprotect.net", "dnsbl-2.uceprotect.net"),
    ("dnsbl-3.uceprotect.net", "dnsbl-3.uceprotect.net"),
    ("uceprotect", "uceprotect.net"),
    ("cbl.abuseat.org", "cbl.abuseat.org"),
    ("dnsbl.sorbs.net", "dnsbl.sorbs.net"),
    ("sorbs.net", "dnsbl.sorbs.net"),
    ("psbl.surriel.com", "psbl.surriel.com"),
    ("bl.mailspike.net", "bl.mailspike.net"),
    ("truncate.gbudb.net", "truncate.gbudb.net"),
    ("dnsbl.invaluement.com", "dnsbl.invaluement.com"),
    ("spamrats.com", "spamrats.com"),
    ("(s3150)", "Microsoft S3150"),
    ("(s3140)", "Microsoft S3140"),
    ("rtr:bl", "AOL RTR:BL"),
];

static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:blocked using|listed (?:in|on|at|by)|rejected by|found in) ([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+\.[a-z]{2,})")
        .expect("blocklist regex")
});

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9.])((?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3})(?:[^0-9.]|$)")
        .expect("ipv4 regex")
});

/// The list a diagnostic text names, if any.
pub(crate) fn find(diag: &str) -> Option<Blocklist> {
    if diag.is_empty() {
        return None;
    }
    let lower = diag.to_ascii_lowercase();
    let list = KNOWN
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, name)| name.to_string())
        .or_else(|| {
            let c = GENERIC.captures(diag)?;
            let zone = c[1].to_ascii_lowercase();
            // A host that rejected is not a list: a list zone names a DNSBL service.
            let listy = ["bl.", "rbl", "dnsbl", "spam", "block", "black"];
            listy.iter().any(|w| zone.contains(w)).then_some(zone)
        })?;
    let listed_ip = IPV4.captures(diag).map(|c| c[1].to_string());
    Some(Blocklist { list, listed_ip })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lists() {
        let b = find("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1").unwrap();
        assert_eq!(b.list, "zen.spamhaus.org");
        assert_eq!(b.listed_ip.as_deref(), Some("192.0.2.1"));
        let b = find("550 5.7.1 Service unavailable, Client host [198.51.100.7] blocked using dnsbl.example-rbl.net").unwrap();
        assert_eq!(b.list, "dnsbl.example-rbl.net");
        assert!(find("550 5.1.1 user unknown").is_none());
    }
}
