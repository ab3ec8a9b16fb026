//! What to check, from a test copy of a campaign message (one received by a seed mailbox
//! and saved as a file): the client addresses of its `Received` trail, the domain of its
//! `From`, and the domains its links point to.

use super::{query, Target};
use std::net::IpAddr;
use std::sync::LazyLock;

/// Targets found in one message, in the order they appear, without repeats.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FromMessage {
    /// Public client addresses of the `Received` trail (RFC 5321 section 4.4 TCP-info).
    pub ips: Vec<Target>,
    /// The `From` domain, then link domains.
    pub domains: Vec<Target>,
}

/// Addresses a blocklist never lists: loopback, private (RFC 1918), shared (RFC 6598),
/// link-local, unique-local IPv6, unspecified. Documentation ranges are kept: tests and
/// examples use them.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(&IpAddr::V4(v4));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

static BRACKETED: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]").expect("static regex"));

static LINK: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(?i)\bhttps?://([^/\s"'<>?#:]+)"#).expect("static regex")
});

/// The client addresses of one `Received` field: the bracketed addresses of its `from`
/// clause (before `by`), as Postfix, Exim, Sendmail and most MTAs write them.
fn received_ips(value: &str) -> Vec<IpAddr> {
    let lower = value.to_ascii_lowercase();
    let from_part = match lower.find(" by ").or_else(|| lower.find("\tby ")) {
        Some(i) => &value[..i],
        None => value,
    };
    BRACKETED
        .captures_iter(from_part)
        .filter_map(|c| c[1].parse::<IpAddr>().ok())
        .collect()
}

/// Reads the targets of one message. A message without any is not an error here: the
/// caller says so with the file's name.
pub fn from_message(bytes: &[u8]) -> FromMessage {
    let mut out = FromMessage::default();
    let Some(msg) = mail_parser::MessageParser::default().parse(bytes) else {
        return out;
    };
    let push = |list: &mut Vec<Target>, t: Target| {
        if !list.contains(&t) {
            list.push(t);
        }
    };
    for (name, value) in msg.headers_raw() {
        if name.eq_ignore_ascii_case("Received") {
            for ip in received_ips(value) {
                if is_public(&ip) {
                    push(&mut out.ips, Target::Ip(ip));
                }
            }
        }
    }
    let from_domain = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(|a| a.rsplit_once('@'))
        .and_then(|(_, d)| query::normalise_domain(d));
    if let Some(d) = from_domain {
        push(&mut out.domains, Target::Domain(d));
    }
    let bodies = msg
        .text_bodies()
        .chain(msg.html_bodies())
        .filter_map(|p| p.text_contents().map(str::to_string))
        .collect::<Vec<_>>();
    for body in &bodies {
        for c in LINK.captures_iter(body) {
            if let Some(d) = query::normalise_domain(&c[1]) {
                if d.parse::<IpAddr>().is_err() {
                    push(&mut out.domains, Target::Domain(d));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_trail_gives_public_client_addresses_only() {
        let msg = b"Received: from mx.example.net (mx.example.net [203.0.113.7])\r\n\
            \tby mx.receiver.test (Postfix) with ESMTPS id 4F3A\r\n\
            \tfor <seed@receiver.test>; Wed, 2 Dec 2026 06:00:00 +0000\r\n\
            Received: from relay.example.net (relay [10.0.0.5])\r\n\
            \tby mx.example.net [198.51.100.1] with ESMTP id X; Wed, 2 Dec 2026 05:59:59 +0000\r\n\
            Received: from client (unknown [IPv6:2001:db8::25])\r\n\
            \tby relay.example.net with ESMTPSA; Wed, 2 Dec 2026 05:59:58 +0000\r\n\
            Received: from localhost ([127.0.0.1]) by relay.example.net; Wed, 2 Dec 2026 05:59:57 +0000\r\n\
            From: News <news@News.Example.com>\r\n\
            To: seed@receiver.test\r\n\
            Subject: hi\r\n\
            Content-Type: text/html\r\n\r\n\
            <a href=\"https://links.example.org/c/1?x=2\">x</a> http://203.0.113.9/p \
            <a href='HTTPS://Links.Example.org/c/2'>y</a> https://shop.example.net:8443/\r\n";
        let t = from_message(msg);
        let ips: Vec<String> = t.ips.iter().map(|t| t.to_string()).collect();
        // 10.0.0.5 and 127.0.0.1 are private; 198.51.100.1 is in the `by` clause
        assert_eq!(ips, ["203.0.113.7", "2001:db8::25"]);
        let domains: Vec<String> = t.domains.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            domains,
            ["news.example.com", "links.example.org", "shop.example.net"]
        );
    }

    #[test]
    fn not_a_message_gives_nothing() {
        assert_eq!(from_message(b""), FromMessage::default());
        assert_eq!(from_message(b"\xff\xfe garbage"), FromMessage::default());
    }

    #[test]
    fn public_means_routable() {
        for (a, public) in [
            ("192.0.2.1", true),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("192.168.1.1", false),
            ("100.64.0.1", false),
            ("169.254.1.1", false),
            ("::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("::ffff:10.0.0.1", false),
            ("2001:db8::1", true),
        ] {
            assert_eq!(is_public(&a.parse().unwrap()), public, "{a}");
        }
    }
}
