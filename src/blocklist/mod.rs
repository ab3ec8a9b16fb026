//! DNS blocklist checks of the sending IPs and domains: the lists as data (`lists`), the
//! query names and the decoding of answers (`query`), the resolver and parallel queries
//! (`resolve`), and where the addresses to check come from (`targets`).
//!
//! A list answers an A record in 127.0.0.0/8 for a listed name and NXDOMAIN otherwise;
//! some answers mean "I will not answer you" (Spamhaus' 127.255.255.x, SURBL's and
//! URIBL's 127.0.0.1): those are a resolver problem, never a listing.

pub mod config;
pub mod lists;
pub mod query;
pub mod resolve;
pub mod targets;

use serde::Serialize;
use std::net::IpAddr;

/// What a list is queried with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Sending IP addresses (IPv4 reversed by octet, IPv6 by nibble).
    Ip,
    /// Domains (the sending domain, link domains).
    Domain,
}

/// What a documented return code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The name is on the list.
    Listed,
    /// The list would not answer this resolver: a resolver problem, not a listing.
    Refused,
    /// The query itself was wrong (e.g. an IP on a domain list).
    Error,
}

/// One documented return address.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub addr: [u8; 4],
    pub meaning: Meaning,
    pub text: &'static str,
}

/// One blocklist: a row of `lists::LISTS`.
#[derive(Debug)]
pub struct ListDef {
    /// Short name for configuration and `--list` (`zen`, `dbl`).
    pub name: &'static str,
    /// The DNS zone queried.
    pub zone: &'static str,
    pub kind: Kind,
    /// Return addresses with their documented meaning.
    pub codes: &'static [Code],
    /// For bitmask lists (SURBL, URIBL): bits of the last octet of 127.0.0.x and their
    /// sub-lists; empty for lists with one meaning per address.
    pub bits: &'static [(u8, &'static str)],
    /// Where a listed sender asks for removal.
    pub removal: &'static str,
}

/// A list as queried: its row, and the zone asked (the row's own, or one configured in
/// `[blocklist.zones]`: a Spamhaus DQS zone with its key, a mirror).
#[derive(Debug, Clone)]
pub struct Selected {
    pub def: &'static ListDef,
    pub zone: String,
}

impl Selected {
    pub fn new(def: &'static ListDef) -> Selected {
        Selected {
            def,
            zone: def.zone.to_string(),
        }
    }
}

/// Something to check: an IP address or a domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Ip(IpAddr),
    Domain(String),
}

impl Target {
    /// Reads an IP address or a domain; the error names the text.
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Target::Ip(ip));
        }
        query::normalise_domain(t)
            .map(Target::Domain)
            .ok_or_else(|| format!("'{text}' is neither an IP address nor a domain name"))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Target::Ip(_) => Kind::Ip,
            Target::Domain(_) => Kind::Domain,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Ip(ip) => write!(f, "{ip}"),
            Target::Domain(d) => f.write_str(d),
        }
    }
}

/// The answer of one list for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Listed,
    NotListed,
    /// The list refused this resolver (public resolver, rate limit): unknown, not listed.
    Refused,
    /// No answer within the timeout.
    Timeout,
    /// The resolver answered SERVFAIL.
    Servfail,
    /// Any other failure (REFUSED by the resolver, an undocumented answer outside
    /// 127.0.0.0/8, an IP queried on a domain list).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Listed => "listed",
            Status::NotListed => "not listed",
            Status::Refused => "refused",
            Status::Timeout => "timeout",
            Status::Servfail => "servfail",
            Status::Error => "error",
        }
    }

    /// Whether the answer says something about the target (listed or not).
    pub fn is_answer(self) -> bool {
        matches!(self, Status::Listed | Status::NotListed)
    }
}

/// One return address and what its list documents for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoded {
    pub code: String,
    pub meaning: String,
}

/// The result of one query.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub target: String,
    pub list: &'static str,
    pub zone: &'static str,
    /// The name queried (`2.0.0.192.zen.spamhaus.org`).
    pub query: String,
    pub status: Status,
    /// The return codes, decoded.
    pub codes: Vec<Decoded>,
    /// The list's TXT record(s) for the name: its own words on the listing.
    pub txt: Vec<String>,
    /// The removal page, when listed.
    pub removal: Option<&'static str>,
    /// Why the query failed, for timeouts, SERVFAIL, refusals and errors.
    pub detail: Option<String>,
}

impl Check {
    /// The codes as one short text: "127.0.0.2 SBL: ...; 127.0.0.4 XBL: ...".
    pub fn codes_text(&self) -> String {
        self.codes
            .iter()
            .map(|c| format!("{} {}", c.code, c.meaning))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The definite answers among `checks`, as the store records them (a timeout or a
/// refusal says nothing about the listing and changes nothing).
pub fn observations(checks: &[Check]) -> Vec<crate::store::Observation> {
    checks
        .iter()
        .filter(|c| c.status.is_answer())
        .map(|c| crate::store::Observation {
            target: c.target.clone(),
            list: c.zone.to_string(),
            listed: c.status == Status::Listed,
            codes: c.codes_text(),
            txt: c.txt.join(" | "),
        })
        .collect()
}

/// The (target, list) pairs to query: IPs on IP lists, domains on domain lists.
pub fn pairs<'a>(targets: &'a [Target], lists: &'a [Selected]) -> Vec<(&'a Target, &'a Selected)> {
    let mut out = Vec::new();
    for t in targets {
        for l in lists {
            if l.def.kind == t.kind() {
                out.push((t, l));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_ips_domains_and_refuse_junk() {
        assert_eq!(
            Target::parse("192.0.2.1"),
            Ok(Target::Ip("192.0.2.1".parse().unwrap()))
        );
        assert_eq!(
            Target::parse("[2001:db8::1]"),
            Ok(Target::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            Target::parse("News.Example.COM."),
            Ok(Target::Domain("news.example.com".into()))
        );
        assert_eq!(
            Target::parse("bücher.example"),
            Ok(Target::Domain("xn--bcher-kva.example".into()))
        );
        let err = Target::parse("not a domain!").unwrap_err();
        assert!(err.contains("'not a domain!'"), "{err}");
        assert!(Target::parse("").is_err());
    }

    #[test]
    fn pairs_match_kinds() {
        let t = vec![
            Target::parse("192.0.2.1").unwrap(),
            Target::parse("example.com").unwrap(),
        ];
        let lists: Vec<Selected> = lists::LISTS.iter().map(Selected::new).collect();
        let p = pairs(&t, &lists);
        assert!(p.iter().all(|(t, l)| t.kind() == l.def.kind));
        let ip_lists = lists.iter().filter(|l| l.def.kind == Kind::Ip).count();
        assert_eq!(p.len(), lists.len());
        assert_eq!(
            p.iter().filter(|(t, _)| t.kind() == Kind::Ip).count(),
            ip_lists
        );
    }
}
