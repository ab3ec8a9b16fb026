//! Query names (RFC 5782 section 2.1: IPv4 octets reversed; section 2.4: IPv6 nibbles
//! reversed; section 3.1: domains as they are) and the decoding of a list's A records
//! into a status and documented meanings.

use super::{Decoded, ListDef, Meaning, Status, Target};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// A domain in its lower-case ASCII (IDNA) form without a trailing dot, or `None` when
/// it is not a host name (RFC 1123 labels; `_` allowed, as some senders' names have it).
pub fn normalise_domain(text: &str) -> Option<String> {
    let t = text.trim().trim_end_matches('.');
    if t.is_empty() || !t.contains('.') {
        return None;
    }
    let ascii = idna::domain_to_ascii(t).ok()?.to_ascii_lowercase();
    let ok_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (ascii.len() <= 253 && ascii.split('.').all(ok_label)).then_some(ascii)
}

/// The name to query for `target` in `zone`, fully qualified (a trailing dot, so no
/// search domain of the resolver is ever appended).
pub fn name(target: &Target, zone: &str) -> String {
    let mut q = String::with_capacity(80);
    match target {
        Target::Ip(IpAddr::V4(v4)) => {
            let o = v4.octets();
            let _ = write!(q, "{}.{}.{}.{}", o[3], o[2], o[1], o[0]);
        }
        Target::Ip(IpAddr::V6(v6)) => {
            for byte in v6.octets().iter().rev() {
                let _ = write!(q, "{:x}.{:x}.", byte & 0xf, byte >> 4);
            }
            q.pop();
        }
        Target::Domain(d) => q.push_str(d),
    }
    q.push('.');
    q.push_str(zone);
    q.push('.');
    q
}

/// What a list's A records say: the status, each code's documented meaning, and a note
/// when the answer is not a listing (a refusal, an error code, an address outside
/// 127.0.0.0/8). An empty answer is "not listed".
pub fn decode(list: &ListDef, answers: &[Ipv4Addr]) -> (Status, Vec<Decoded>, Option<String>) {
    if answers.is_empty() {
        return (Status::NotListed, Vec::new(), None);
    }
    // one order whatever the resolver's: lowest code first
    let mut answers = answers.to_vec();
    answers.sort();
    answers.dedup();
    let mut codes = Vec::new();
    let mut refused = None;
    let mut error = None;
    let mut listed = false;
    for a in &answers {
        let o = a.octets();
        let mut push = |meaning: String| {
            codes.push(Decoded {
                code: a.to_string(),
                meaning,
            })
        };
        if let Some(c) = list.codes.iter().find(|c| c.addr == o) {
            push(c.text.to_string());
            match c.meaning {
                Meaning::Listed => listed = true,
                Meaning::Refused => refused = Some(c.text.to_string()),
                Meaning::Error => error = Some(c.text.to_string()),
            }
        } else if o[0] != 127 {
            // RFC 5782 section 2.1: listings are in 127.0.0.0/8; anything else is a
            // wildcard of a lapsed or hijacked zone, not a listing.
            push("not a blocklist answer (outside 127.0.0.0/8)".into());
            error = Some(format!(
                "{a} is outside 127.0.0.0/8: {} may no longer be a working list",
                list.zone
            ));
        } else if !list.bits.is_empty() && o[..3] == [127, 0, 0] {
            let names: Vec<String> = (0..8)
                .map(|i| 1u8 << i)
                .filter(|bit| o[3] & bit != 0)
                .map(|bit| {
                    list.bits
                        .iter()
                        .find(|(b, _)| *b == bit)
                        .map_or(format!("undocumented bit {bit}"), |(_, n)| n.to_string())
                })
                .collect();
            push(names.join(" + "));
            listed = true;
        } else {
            push("listed (return code not documented by the list)".into());
            listed = true;
        }
    }
    let status = if refused.is_some() {
        Status::Refused
    } else if error.is_some() {
        Status::Error
    } else if listed {
        Status::Listed
    } else {
        Status::NotListed
    };
    (status, codes, refused.or(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocklist::lists::find;

    fn ip(s: &str) -> Target {
        Target::Ip(s.parse().unwrap())
    }

    #[test]
    fn names_reverse_ipv4_octets_and_ipv6_nibbles() {
        let zen = find("zen").unwrap().zone;
        assert_eq!(name(&ip("192.0.2.99"), zen), "99.2.0.192.zen.spamhaus.org.");
        // RFC 5782 section 2.4's example layout: 32 nibbles, least significant first
        assert_eq!(
            name(&ip("2001:db8:1:2:3:4:567:89ab"), zen),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org."
        );
        let dbl = find("dbl").unwrap().zone;
        assert_eq!(
            name(&Target::Domain("example.com".into()), dbl),
            "example.com.dbl.spamhaus.org."
        );
    }

    fn v4(s: &[&str]) -> Vec<Ipv4Addr> {
        s.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn zen_codes_decode_to_their_sublists() {
        let zen = find("zen").unwrap();
        let (st, codes, note) = decode(zen, &v4(&["127.0.0.2", "127.0.0.4"]));
        assert_eq!(st, Status::Listed);
        assert!(codes[0].meaning.starts_with("SBL"), "{codes:?}");
        assert!(codes[1].meaning.starts_with("XBL"), "{codes:?}");
        assert_eq!(note, None);
        let (st, codes, _) = decode(zen, &v4(&["127.0.0.11"]));
        assert_eq!(st, Status::Listed);
        assert!(codes[0].meaning.starts_with("PBL"));
        assert_eq!(decode(zen, &[]).0, Status::NotListed);
    }

    #[test]
    fn refusal_codes_are_never_listings() {
        let zen = find("zen").unwrap();
        for a in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            let (st, _, note) = decode(zen, &v4(&[a]));
            assert_eq!(st, Status::Refused, "{a}");
            assert!(note.unwrap().starts_with("query refused"));
        }
        let uribl = find("uribl").unwrap();
        assert_eq!(decode(uribl, &v4(&["127.0.0.1"])).0, Status::Refused);
        let surbl = find("surbl").unwrap();
        assert_eq!(decode(surbl, &v4(&["127.0.0.1"])).0, Status::Refused);
        let dbl = find("dbl").unwrap();
        assert_eq!(decode(dbl, &v4(&["127.255.255.254"])).0, Status::Refused);
        assert_eq!(decode(dbl, &v4(&["127.0.1.255"])).0, Status::Error);
    }

    #[test]
    fn bitmask_lists_name_each_bit() {
        let surbl = find("surbl").unwrap();
        let (st, codes, _) = decode(surbl, &v4(&["127.0.0.80"]));
        assert_eq!(st, Status::Listed);
        assert_eq!(
            codes[0].meaning,
            "MW: malware sites + ABUSE: spam and abuse sites"
        );
        let uribl = find("uribl").unwrap();
        let (_, codes, _) = decode(uribl, &v4(&["127.0.0.6"]));
        assert!(codes[0].meaning.starts_with("black"), "{codes:?}");
        assert!(codes[0].meaning.contains("grey"), "{codes:?}");
        let (st, codes, _) = decode(uribl, &v4(&["127.0.0.32"]));
        assert_eq!(st, Status::Listed);
        assert_eq!(codes[0].meaning, "undocumented bit 32");
    }

    #[test]
    fn answers_outside_loopback_are_errors() {
        let spamcop = find("spamcop").unwrap();
        let (st, _, note) = decode(spamcop, &v4(&["203.0.113.5"]));
        assert_eq!(st, Status::Error);
        assert!(note.unwrap().contains("bl.spamcop.net"));
        let (st, codes, _) = decode(spamcop, &v4(&["127.0.0.9"]));
        assert_eq!(st, Status::Listed);
        assert!(codes[0].meaning.contains("not documented"));
    }

    #[test]
    fn domains_normalise_or_are_refused() {
        assert_eq!(normalise_domain("A.Example."), Some("a.example".into()));
        assert_eq!(normalise_domain("localhost"), None);
        assert_eq!(normalise_domain("a..example"), None);
        assert_eq!(normalise_domain("-a.example"), None);
        assert_eq!(normalise_domain("a b.example"), None);
        assert_eq!(
            normalise_domain(&format!("{}.example", "a".repeat(64))),
            None
        );
    }
}
