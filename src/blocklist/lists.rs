//! The blocklists rebound knows, as data: zone, what is queried (IP or domain), the return
//! codes each list documents, the codes that mean "the list refused to answer", and the
//! removal page. A table, not code: a new list is a new row.

use super::{Code, Kind, ListDef, Meaning};

const fn listed(addr: [u8; 4], text: &'static str) -> Code {
    Code {
        addr,
        meaning: Meaning::Listed,
        text,
    }
}

const fn refused(addr: [u8; 4], text: &'static str) -> Code {
    Code {
        addr,
        meaning: Meaning::Refused,
        text,
    }
}

const fn error(addr: [u8; 4], text: &'static str) -> Code {
    Code {
        addr,
        meaning: Meaning::Error,
        text,
    }
}

/// Spamhaus answers these to every query it will not serve, on every zone (its "return
/// codes" table: https://docs.spamhaus.com, "Available Zones"): the resolver's problem,
/// never a listing.
const SPAMHAUS_REFUSED: [Code; 3] = [
    refused(
        [127, 255, 255, 252],
        "query refused: typing error in the DNSBL name (or an invalid DQS key)",
    ),
    refused(
        [127, 255, 255, 254],
        "query refused: sent through a public or open resolver (use your own resolver or DQS)",
    ),
    refused(
        [127, 255, 255, 255],
        "query refused: too many queries from this resolver",
    ),
];

/// Spamhaus ZEN = SBL + XBL + PBL (and BCL).
const ZEN: &[Code] = &[
    listed(
        [127, 0, 0, 2],
        "SBL: a spam source or spam operation (Spamhaus Block List)",
    ),
    listed(
        [127, 0, 0, 3],
        "SBL CSS: snowshoe or low-reputation sending (automated)",
    ),
    listed([127, 0, 0, 4], "XBL: exploited or infected host (CBL data)"),
    listed([127, 0, 0, 5], "XBL (code documented as unused)"),
    listed([127, 0, 0, 6], "XBL (code documented as unused)"),
    listed([127, 0, 0, 7], "XBL (code documented as unused)"),
    listed(
        [127, 0, 0, 9],
        "SBL DROP: hijacked or criminal network (always with SBL)",
    ),
    listed(
        [127, 0, 0, 10],
        "PBL: the ISP says this range should not send mail directly",
    ),
    listed(
        [127, 0, 0, 11],
        "PBL: Spamhaus says this range should not send mail directly",
    ),
    listed([127, 0, 0, 30], "BCL: a botnet controller"),
    SPAMHAUS_REFUSED[0],
    SPAMHAUS_REFUSED[1],
    SPAMHAUS_REFUSED[2],
];

/// Spamhaus DBL (domains).
const DBL: &[Code] = &[
    listed([127, 0, 1, 2], "low-reputation (spam) domain"),
    listed([127, 0, 1, 4], "phishing domain"),
    listed([127, 0, 1, 5], "malware domain"),
    listed([127, 0, 1, 6], "botnet command-and-control domain"),
    listed([127, 0, 1, 102], "abused legitimate domain (spam)"),
    listed(
        [127, 0, 1, 103],
        "abused legitimate redirector or URL shortener",
    ),
    listed([127, 0, 1, 104], "abused legitimate domain (phishing)"),
    listed([127, 0, 1, 105], "abused legitimate domain (malware)"),
    listed([127, 0, 1, 106], "abused legitimate domain (botnet C&C)"),
    error(
        [127, 0, 1, 255],
        "error: an IP address was queried on a domain list",
    ),
    SPAMHAUS_REFUSED[0],
    SPAMHAUS_REFUSED[1],
    SPAMHAUS_REFUSED[2],
];

/// Lists whose only documented listing code is 127.0.0.2.
const PLAIN: &[Code] = &[listed([127, 0, 0, 2], "listed")];

/// SURBL and URIBL answer 127.0.0.1 to a query they refuse (bit 1 is never a listing).
const BIT_REFUSED: &[Code] = &[refused(
    [127, 0, 0, 1],
    "query refused: this resolver is blocked (public resolver or too many queries)",
)];

/// multi.surbl.org: the last octet is a bitmask of the sub-lists.
const SURBL_BITS: &[(u8, &str)] = &[
    (8, "PH: phishing sites"),
    (16, "MW: malware sites"),
    (64, "ABUSE: spam and abuse sites"),
    (128, "CR: cracked (compromised) sites"),
];

/// multi.uribl.com: the last octet is a bitmask of the sub-lists.
const URIBL_BITS: &[(u8, &str)] = &[
    (2, "black: domains used by spammers"),
    (4, "grey: domains in bulk mail that may honour opt-out"),
    (
        8,
        "red: young or privacy-protected domains seen in mail flow",
    ),
];

/// Every list, in the order results are shown.
pub static LISTS: &[ListDef] = &[
    ListDef {
        name: "zen",
        zone: "zen.spamhaus.org",
        kind: Kind::Ip,
        codes: ZEN,
        bits: &[],
        removal: "https://check.spamhaus.org/",
    },
    ListDef {
        name: "spamcop",
        zone: "bl.spamcop.net",
        kind: Kind::Ip,
        codes: PLAIN,
        bits: &[],
        removal: "https://www.spamcop.net/bl.shtml",
    },
    ListDef {
        name: "barracuda",
        zone: "b.barracudacentral.org",
        kind: Kind::Ip,
        codes: PLAIN,
        bits: &[],
        removal: "https://www.barracudacentral.org/rbl/removal-request",
    },
    ListDef {
        name: "uceprotect",
        zone: "dnsbl-1.uceprotect.net",
        kind: Kind::Ip,
        codes: PLAIN,
        bits: &[],
        removal: "https://www.uceprotect.net/en/rblcheck.php",
    },
    ListDef {
        name: "psbl",
        zone: "psbl.surriel.com",
        kind: Kind::Ip,
        codes: PLAIN,
        bits: &[],
        removal: "https://psbl.org/remove",
    },
    ListDef {
        name: "dbl",
        zone: "dbl.spamhaus.org",
        kind: Kind::Domain,
        codes: DBL,
        bits: &[],
        removal: "https://check.spamhaus.org/",
    },
    ListDef {
        name: "surbl",
        zone: "multi.surbl.org",
        kind: Kind::Domain,
        codes: BIT_REFUSED,
        bits: SURBL_BITS,
        removal: "https://www.surbl.org/surbl-analysis",
    },
    ListDef {
        name: "uribl",
        zone: "multi.uribl.com",
        kind: Kind::Domain,
        codes: BIT_REFUSED,
        bits: URIBL_BITS,
        removal: "https://admin.uribl.com/",
    },
];

/// The list with this short name or zone.
pub fn find(name: &str) -> Option<&'static ListDef> {
    let name = name.trim().trim_end_matches('.');
    LISTS
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name) || l.zone.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_zones_are_unique_and_found() {
        for (i, l) in LISTS.iter().enumerate() {
            assert!(LISTS[..i]
                .iter()
                .all(|o| o.name != l.name && o.zone != l.zone));
            assert_eq!(find(l.name).map(|f| f.zone), Some(l.zone));
            assert_eq!(find(&l.zone.to_uppercase()).map(|f| f.name), Some(l.name));
            assert!(l.removal.starts_with("https://"), "{}", l.name);
        }
        assert!(find("nosuchlist").is_none());
    }

    #[test]
    fn bitmask_lists_never_use_the_refusal_bit() {
        for l in LISTS {
            assert!(l.bits.iter().all(|(b, _)| b.count_ones() == 1 && *b != 1));
        }
    }
}
