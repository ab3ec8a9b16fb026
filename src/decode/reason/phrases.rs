//! Phrase tables: diagnostic text → reason. Matching is case-insensitive on text with
//! white space squeezed, in one pass over the text for this table and `sourced::SOURCED`
//! together. This table decides no precedence: which reason wins when phrases of several
//! occur is `decide.rs`'s order (its `order_is_locked` test pins it). Inside one scan, a
//! phrase covered by a longer phrase of another reason does not count, and of several
//! phrases of one reason the longest is kept as the evidence.

use super::Reason;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use std::sync::LazyLock;

/// (reason, phrases). Phrases are lower case. The order only groups them.
pub(crate) static TABLE: &[(Reason, &[&str])] = &[
    (
        Reason::Expired,
        &[
            "connection timed out",
            "did not accept our requests to connect",
            "server did not respond",
            "delivery time expired",
            "retry time not reached for any host after a long failure period",
            "retry timeout exceeded",
            "message expired",
            "queue time expired",
            "message timed out",
            "has been delayed for too long",
            "could not be delivered within",
            "was not delivered within",
            "maximum delivery time exceeded",
            "too many retries",
            "message has been in the queue too long",
            "delivery attempts will continue to be made for",
            "expired after",
            "retry period exceeded",
            "giving up on",
            "i'm not going to try again; this message has been in the queue too long",
            "unable to deliver message after multiple retries",
            "message could not be delivered for too long",
            "queue lifetime",
        ],
    ),
    (
        Reason::VirusDetected,
        &[
            "virus detected",
            "virus found",
            "infected with",
            "contains a virus",
            "message was infected",
            "the message contained a virus",
            "virus or spam detected",
            "your message was infected with a virus",
            "it has a potentially executable attachment",
            "banned attachment",
        ],
    ),
    (
        Reason::AuthFailure,
        &[
            "bad spf record",
            "has an spf record",
            "per it's spf",
            "dmarc policy",
            "bad spf records",
            "dmarc validation",
            "fails dmarc",
            "failed dmarc",
            "dkim signature",
            "dkim verification",
            "unauthenticated email",
            "spf check failed",
            "spf validation",
            "spf policy",
            "spf fail",
            "spf: fail",
            "sender policy framework",
            "is not allowed to send mail from",
            "not designated as permitted sender",
            "does not designate",
            "designates neither",
            "5.7.26",
            "5.7.23",
            "authentication failure",
            "does not pass authentication",
            "message failed authentication",
            "unauthenticated mail is prohibited",
            "sender id",
        ],
    ),
    (
        Reason::RequirePtr,
        &[
            "mismatches client ip",
            "no ptr record",
            "ptr record",
            "reverse dns",
            "reverse lookup",
            "reverse mapping",
            "rdns",
            "cannot find your reverse hostname",
            "cannot find your hostname",
            "client host rejected: cannot find your",
            "no reverse dns",
            "does not have a reverse",
            "ip name lookup failed",
            "unresolvable ip",
            "not resolve your ip",
            "does not resolve to",
            "hostname does not match",
            "5.7.25",
            "without a valid ptr",
            "the ip address sending this message does not have a ptr record",
        ],
    ),
    (
        Reason::HasMoved,
        &[
            "address has moved",
            "has been moved",
            "mailbox has moved",
            "user has moved",
            "recipient has moved",
            "account has moved",
        ],
    ),
    (
        Reason::Suspend,
        &[
            "mailbox disabled",
            "account disabled",
            "account is disabled",
            "account has been disabled",
            "has been disabled",
            "mailbox is disabled",
            "is disabled",
            "account suspended",
            "account has been suspended",
            "is suspended",
            "mailbox unavailable: suspended",
            "recipient suspended",
            "account is locked",
            "account has been locked",
            "mailbox is frozen",
            "account is frozen",
            "is inactive",
            "inactive account",
            "mailbox is inactive",
            "account is not active",
            "recipient is inactive",
            "mailbox currently suspended",
            "user account is expired",
            "account expired",
            "temporarily disabled",
            "this account has been temporarily suspended",
            "the email account that you tried to reach is disabled",
            "user suspended",
            "boite du destinataire archivee",
            "account inactive",
            "unable to deliver to this mailbox: account suspended",
            "mailbox not active",
        ],
    ),
    (
        Reason::MailboxFull,
        &[
            "mailbox full",
            "mailbox is full",
            "mailbox quota",
            "mailbox size limit exceeded",
            "mail quota exceeded",
            "quota exceeded",
            "over quota",
            "overquota",
            "exceeded storage allocation",
            "exceeds quota",
            "quota exceed",
            "disk quota",
            "user has exceeded",
            "user is over quota",
            "user over quota",
            "mailbox exceeds allowed size",
            "mailbox has exceeded",
            "mailbox is over quota",
            "is over the allowed quota",
            "not enough storage space",
            "recipient's mailbox is full",
            "would exceed mailbox quota",
            "insufficient disk space",
            "account is full",
            "mailfolder is full",
            "the email account that you tried to reach is over quota",
            "exceeded its quota",
            "the user's mailbox is full",
            "user mailbox full",
            "mail box full",
            "boite du destinataire pleine",
            "boîte du destinataire pleine",
            "mailbox over quota",
            "maildir over quota",
            "no space left",
            "exceeds size limit of mailbox",
            "full mailbox",
            "full quota",
            "mailbox size exceeded",
            "storage quota",
            "quota violation",
        ],
    ),
    (
        Reason::MesgTooBig,
        &[
            "message too large",
            "message too big",
            "message is too big",
            "message is too large",
            "message size exceeds",
            "message exceeds maximum",
            "exceeds maximum message size",
            "exceeds the maximum size",
            "exceeded maximum message size",
            "exceeds size limit",
            "size limit exceeded",
            "mail size limit",
            "message length exceeds",
            "message file too big",
            "message larger than",
            "the message you sent was too large",
            "message size limit",
            "size of message exceeds",
            "total message size is larger than",
            "message exceeds the fixed maximum message size",
            "exceeded the size limit",
            "message too long",
            "size exceeds",
        ],
    ),
    (
        Reason::ExceedLimit,
        &["message header size exceeds limit", "recipients exceeded"],
    ),
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "unknown host",
            "domain not found",
            "domain does not exist",
            "no such domain",
            "unknown domain",
            "domain is not exist",
            "domain name not found",
            "name or service not known",
            "host or domain name not found",
            "unrouteable address",
            "unroutable address",
            "no mx record",
            "recipient domain not found",
            "unrouteable mail domain",
            "domain must exist",
            "recipient address rejected: unknown domain",
            "recipient address rejected: domain not found",
            "no route to host found for",
            "illegal host/domain name found",
            "host name lookup failure",
            "the domain name does not exist",
            "domain of recipient address does not exist",
            "no valid mx",
            "all relevant mx records point to non-existent hosts",
            "the recipient domain does not exist",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "user not found",
            "user doesn't exist",
            "user does not exist",
            "user doesn't have a",
            "unknown recipient",
            "recipient unknown",
            "no such recipient",
            "recipient not found",
            "recipient does not exist",
            "recipient address rejected: user unknown",
            "recipient address rejected: undeliverable address",
            "recipient address rejected: unknown user",
            "recipient address rejected: access denied",
            "invalid recipient",
            "invalid mailbox",
            "mailbox not found",
            "mailbox unavailable",
            "mailbox does not exist",
            "no mailbox here",
            "no such mailbox",
            "mailbox is unavailable",
            "unknown mailbox",
            "unknown address",
            "address unknown",
            "address not found",
            "address does not exist",
            "bad address",
            "bad destination mailbox address",
            "invalid address",
            "no such account",
            "account does not exist",
            "unknown account",
            "account not found",
            "not a valid mailbox",
            "not a valid recipient",
            "is not a valid",
            "mailbox unknown",
            "the email account that you tried to reach does not exist",
            "said: 550 sorry, no mailbox here by that name",
            "sorry, no mailbox here by that name",
            "no mailbox by that name",
            "this user doesn't have a",
            "this address no longer accepts mail",
            "this recipient is not in my validrcptto list",
            "recipient is not local",
            "recipient not ok",
            "user not exist",
            "destination address does not exist",
            "email address could not be found",
            "address couldn't be found",
            "wasn't found at",
            "mailbox name not allowed",
            "requested action not taken: mailbox unavailable",
            "unknown local part",
            "is not a known user",
            "not our customer",
            "user missing home directory",
            "user reject",
            "no such person",
            "unknown or illegal alias",
            "does not have an account here",
            "delivery error: dd this user doesn't have",
            "dd this user doesn't have",
            "invalid user",
            "user invalid",
            "no account by that name",
            "mailbox does not exist",
            "recipient rejected",
            "undeliverable address",
            "non-existent",
            "nonexistent",
            "not listed in domino directory",
            "no longer available",
            "user doesn't exist",
            "adresse d au moins un destinataire invalide",
            "destinataire inconnu",
            "ce compte n'existe pas",
            "utilisateur inconnu",
        ],
    ),
    (
        Reason::Suppressed,
        &[
            "address is on the suppression list",
            "suppression list",
            "suppressed",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "not configured to relay",
            "relay access denied",
            "relaying denied",
            "relay denied",
            "relay not permitted",
            "relaying not permitted",
            "not permitted to relay",
            "unable to relay",
            "relay not allowed",
            "relaying mail to",
            "we do not relay",
            "no relaying",
            "not allowed to relay",
            "relay prohibited",
            "relaying is prohibited",
            "is not a gateway",
            "not a relay",
        ],
    ),
    (
        Reason::Blocked,
        &[
            "not accepting connections",
            "(bl)",
            "blocked using",
            "please use the smtp server of your isp",
            "blacklisted",
            "black listed",
            "blocklisted",
            "listed in",
            "listed on",
            "is listed at",
            "rbl",
            "dnsbl",
            "spamhaus",
            "spamcop",
            "barracuda",
            "uceprotect",
            "sorbs",
            "client host rejected",
            "client host blocked",
            "your ip",
            "ip address blocked",
            "ip blocked",
            "connection rejected",
            "host blocked",
            "access denied",
            "access denied ip",
            "your access to this mail system has been rejected",
            "has been blocked",
            "blocked by",
            "banned",
            "is blocked",
            "bad reputation",
            "sending ip",
            "poor reputation",
            "helo command rejected",
            "rejected by the remote server",
            "refused to talk to me",
            "you are not allowed to connect",
            "your network is temporarily blocked",
            "mail from your ip",
            "dynamic ip",
            "residential ip",
            "dial-up",
            "dialup",
            "dynamically assigned",
            "rejected: 554",
            "s3150",
            "s3140",
            "because of the network you",
            "part of their network is on our block list",
            "esmtp not accepting messages",
            "connection refused by",
        ],
    ),
    (
        Reason::BadReputation,
        &[
            "low reputation",
            "ip reputation",
            "domain reputation",
            "sender reputation",
            "has a poor reputation",
            "the ip you're using to send mail is not authorized",
            "likely unsolicited mail",
            "our system has detected that this message is likely unsolicited",
        ],
    ),
    (
        Reason::SpamDetected,
        &[
            "message content rejected",
            "spam detected",
            "spam content",
            "message is spam",
            "classified as spam",
            "considered spam",
            "identified as spam",
            "looks like spam",
            "detected as spam",
            "spam score",
            "spam message",
            "spam rejected",
            "spamassassin",
            "message rejected as spam",
            "this message was classified as spam",
            "bulk mail",
            "junk mail",
            "content filter rejection",
            "suspected spam",
            "high probability of being spam",
            "unsolicited",
            "rejected due to spam",
            "may be spam",
        ],
    ),
    (
        Reason::TooManyConn,
        &[
            "too many recipients",
            "too many connections",
            "too many concurrent",
            "too many simultaneous",
            "connection limit",
            "too many smtp sessions",
            "too many sessions",
            "exceeded the maximum number of connections",
        ],
    ),
    (
        Reason::Speeding,
        &[
            "rate limit",
            "too many messages",
            "sending rate",
            "too fast",
            "throttl",
            "receiving mail at a rate",
            "exceeded the rate",
            "mail rate",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender address rejected",
            "address that has been blacklisted",
            "sender rejected",
            "domain of sender address",
            "sender domain",
            "sender verify failed",
            "sender verification",
            "sender unknown",
            "unknown sender",
            "invalid sender",
            "sender not allowed",
            "sender is not allowed",
            "sender denied",
            "sender blocked",
            "bad sender",
            "from address rejected",
            "mail from rejected",
            "envelope sender",
            "address verification failed",
            "return path",
            "null sender",
            "empty envelope senders",
            "you are not allowed to send mail",
            "does not accept mail from",
            "rejected sender",
            "your email address has been blocked",
            "sender address is blocked",
            "is not a registered gateway user",
        ],
    ),
    (
        Reason::SystemFull,
        &[
            "mail system full",
            "system full",
            "insufficient system storage",
            "insufficient system resources",
            "out of disk space",
            "disk full",
            "not enough disk space",
            "requested mail action aborted: exceeded storage allocation on server",
        ],
    ),
    (
        Reason::NotAccept,
        &[
            "does not accept mail",
            "null mx",
            "not accepting mail",
            "not accepting any mail",
            "accepts no mail",
            "this domain does not accept email",
            "mail receiving disabled",
            "service not available",
        ],
    ),
    (
        Reason::FailedStartTls,
        &[
            "starttls",
            "tls required",
            "must issue a starttls",
            "requires tls",
            "encryption required",
            "tls negotiation failed",
        ],
    ),
    (
        Reason::SecurityError,
        &[
            "unauthenticated senders not allowed",
            "turn on smtp authentication",
            "authentication required",
            "authentication failed",
            "auth required",
            "authentication credentials invalid",
            "sender address spoofing",
            "insecure",
            "impersonat",
            "submission without authentication",
            "must be authenticated",
            "encryption",
            "certificate",
            "virus scanner",
        ],
    ),
    (
        Reason::ContentError,
        &[
            "content error",
            "improper use of 8-bit data",
            "illegal attachment",
            "attachment not allowed",
            "contains invalid content",
            "message header",
            "invalid header",
            "bad content",
            "content rejected",
            "character set",
            "mime",
        ],
    ),
    (
        Reason::NotCompliantRfc,
        &[
            "not rfc 5322 compliant",
            "rfc 5322",
            "rfc5322",
            "rfc 2822",
            "rfc2822",
            "duplicate header",
            "multiple addresses in from",
            "message is not rfc",
            "there are multiple",
        ],
    ),
    (
        Reason::PolicyViolation,
        &[
            "protocol violation",
            "content presents a potential security issue",
            "blocked because its content presents a potential",
            "policy violation",
            "policy rejection",
            "violates our policy",
            "violation of our policy",
            "rejected by policy",
            "prohibited by policy",
            "message rejected due to local policy",
            "local policy",
            "content policy",
            "acceptable use policy",
            "our policy",
            "policy reasons",
            "email policy",
            "administrative prohibition",
            "denied by policy",
        ],
    ),
    (
        Reason::Filtered,
        &[
            "filtered",
            "content filter",
            "rejected by the recipient",
            "recipient refuses",
            "refused by recipient",
            "user refuses",
            "delivery not authorized",
            "not authorized to send",
            "header filter",
            "rejected by recipient",
            "mail is not accepted",
        ],
    ),
    (
        Reason::SyntaxError,
        &[
            "syntax error",
            "command unrecognized",
            "command not recognized",
            "unrecognized command",
            "command not implemented",
            "bad sequence of commands",
            "line too long",
            "invalid command",
            "parameter not implemented",
            "syntax",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "name service error",
            "malformed or unexpected name server reply",
            "dns query failed",
            "host name lookup failure",
            "responded with code nxdomain",
            "no route to host",
            "network error",
            "network is unreachable",
            "no route to host",
            "connection reset",
            "lost connection",
            "conversation timed out",
            "could not connect",
            "unable to connect",
            "can't connect",
            "cannot connect",
            "host is unreachable",
            "host unreachable",
            "mail loop",
            "loop detected",
            "loops back to myself",
            "too many hops",
            "hop count exceeded",
            "routing loop",
            "malformed or unexpected name server reply",
            "dns failure",
            "name server timeout",
            "unable to resolve",
            "temporary failure in name resolution",
            "connection dropped",
        ],
    ),
    (
        Reason::MailerError,
        &[
            "mailer error",
            "x-unix",
            "command died with status",
            "command output:",
            "procmail",
            "pipe to",
            "exit code",
            "program error",
            "local delivery failed",
            "unable to deliver to",
            "error in processing",
        ],
    ),
    (
        Reason::SystemError,
        &[
            "transaction failed",
            "could not load drd",
            "service currently unavailable",
            "queue file write error",
            "unable to contact ldap",
            "system error",
            "internal error",
            "server error",
            "local error",
            "resources temporarily",
            "service unavailable",
            "server configuration error",
            "system config error",
            "unable to process",
            "problem with the server",
            "database error",
            "ldap",
        ],
    ),
];

struct Matcher {
    ac: AhoCorasick,
    /// For each pattern of `ac`: (rank of its reason in `TABLE`, the phrase, its source
    /// tag when it comes from `sourced::SOURCED`).
    meta: Vec<(usize, &'static str, Option<&'static str>)>,
    /// The length of the longest phrase, in bytes.
    longest: usize,
    /// The patterns of `REGEXES`, compiled, with (rank, the pattern).
    regexes: Vec<(Regex, usize, &'static str)>,
}

/// Phrases that need more than a substring: (reason, pattern). Case-insensitive.
static REGEXES: &[(Reason, &str)] = &[
    (
        Reason::UserUnknown,
        r"user .{1,60} (?:does not|doesn't) exist",
    ),
    (
        Reason::UserUnknown,
        r"recipient .{1,60} (?:does not|doesn't) exist",
    ),
    (
        Reason::UserUnknown,
        r"address .{1,60} (?:does not|doesn't) exist",
    ),
    (
        Reason::UserUnknown,
        r"mailbox .{1,60} (?:does not|doesn't) exist",
    ),
    (Reason::UserUnknown, r"no such (?:local )?user"),
    (Reason::UserUnknown, r"<[^>]+>\.{3} user unknown"),
    (Reason::HostUnknown, r"host .{1,60} not found"),
    (Reason::MailboxFull, r"mailbox .{1,40} (?:is )?full"),
    (
        Reason::Blocked,
        r"\b(?:zen|sbl|xbl|pbl|dbl|bl|b|cbl|dnsbl)\.[a-z0-9.\-]+\.(?:org|net|com)\b",
    ),
];

fn rank_of(r: Reason) -> usize {
    TABLE
        .iter()
        .position(|(x, _)| *x == r)
        .unwrap_or(usize::MAX)
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut patterns = Vec::new();
    let mut meta = Vec::new();
    for (rank, (_, phrases)) in TABLE.iter().enumerate() {
        for p in phrases.iter() {
            patterns.push(*p);
            meta.push((rank, *p, None));
        }
    }
    for e in super::sourced::SOURCED {
        patterns.push(e.phrase);
        meta.push((rank_of(e.reason), e.phrase, Some(e.source)));
    }
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        // a contiguous NFA: for about 1,100 phrases a DFA took ~125 M instructions
        // (~40 ms) to build at every start, to save under 1 % per message (callgrind)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(&patterns)
        .expect("phrase automaton");
    let regexes = REGEXES
        .iter()
        .map(|(r, p)| {
            let re = Regex::new(&format!("(?i){p}")).expect("phrase regex");
            (re, rank_of(*r), *p)
        })
        .collect();
    let longest = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
    Matcher {
        ac,
        meta,
        longest,
        regexes,
    }
});

/// Which reasons' phrases occur in a text, with the first phrase seen for each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hits {
    /// (reason, phrase, source tag of a sourced phrase), first phrase seen per reason.
    found: Vec<(Reason, &'static str, Option<&'static str>)>,
}

impl Hits {
    /// Whether a phrase of this reason occurs.
    pub fn has(&self, r: Reason) -> bool {
        self.found.iter().any(|(x, _, _)| *x == r)
    }
    /// Records a phrase; of several phrases of one reason the longest is kept (the most
    /// specific wording is the best evidence).
    fn add(&mut self, r: Reason, phrase: &'static str, source: Option<&'static str>) {
        match self.found.iter_mut().find(|(x, _, _)| *x == r) {
            Some(e) if e.1.len() < phrase.len() => *e = (r, phrase, source),
            Some(_) => {}
            None => self.found.push((r, phrase, source)),
        }
    }
    /// The evidence text for this reason's phrase: `phrase "..."`, with the source tag of a
    /// sourced phrase (`phrase "..." (gmail-catalog)`).
    pub fn cite(&self, r: Reason) -> Option<String> {
        self.found
            .iter()
            .find(|(x, _, _)| *x == r)
            .map(|(_, p, s)| match s {
                Some(s) => format!("phrase \"{p}\" ({s})"),
                None => format!("phrase \"{p}\""),
            })
    }
    /// Whether no phrase of any reason occurred.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
    /// The phrase of this reason that occurred.
    #[cfg(test)]
    pub fn phrase(&self, r: Reason) -> Option<&'static str> {
        self.found
            .iter()
            .find(|(x, _, _)| *x == r)
            .map(|(_, p, _)| *p)
    }
}

/// Scans the text once for every phrase of every reason. Email addresses are blanked
/// first: a mailbox named `blocked@` or `spam@` says nothing about why mail failed.
pub(crate) fn scan(text: &str) -> Hits {
    let mut hits = Hits::default();
    if text.is_empty() {
        return hits;
    }
    let blanked = crate::decode::address::blank_addresses(text);
    let text = blanked.as_ref();
    let m = &*MATCHER;
    // A phrase inside a longer phrase of another reason at the same place is part of that
    // wording, not a witness of its own: "access denied" (blocked) inside "recipient
    // address rejected: access denied" (userunknown). A match is dropped when a longer
    // match of another reason covers its span. Spans are sorted by end, and a cover ends
    // at most `m.longest` bytes after the covered match: the check looks only there, so
    // a long text full of phrases stays linear.
    let mut spans: Vec<(usize, usize, usize)> =
        m.ac.find_overlapping_iter(text)
            .map(|h| (h.start(), h.end(), h.pattern().as_usize()))
            .collect();
    spans.sort_unstable_by_key(|&(s, e, _)| (e, s));
    for &(start, end, pat) in &spans {
        let (rank, phrase, source) = m.meta[pat];
        let from = spans.partition_point(|&(_, e, _)| e < end);
        let covered = spans[from..]
            .iter()
            .take_while(|&&(_, e, _)| e <= end + m.longest)
            .any(|&(s, e, p)| s <= start && end <= e && e - s > end - start && m.meta[p].0 != rank);
        if !covered {
            if let Some((r, _)) = TABLE.get(rank) {
                hits.add(*r, phrase, source);
            }
        }
    }
    for (re, rank, pattern) in &m.regexes {
        let r = TABLE[*rank].0;
        if !hits.has(r) && re.is_match(text) {
            hits.add(r, pattern, None);
        }
    }
    hits
}

/// The reason whose phrase occurs in the text, by table order; with the phrase. For tests
/// of the phrases alone (production decides in `decide.rs`).
#[cfg(test)]
pub(crate) fn match_phrases(text: &str) -> Option<(Reason, &'static str)> {
    let hits = scan(text);
    TABLE
        .iter()
        .find_map(|(r, _)| hits.phrase(*r).map(|p| (*r, p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_pick_reasons() {
        let cases = [
            ("550 5.1.1 <a@b>... User Unknown", Reason::UserUnknown),
            ("552 5.2.2 Mailbox full", Reason::MailboxFull),
            ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", Reason::Blocked),
            ("Host or domain name not found. Name service error", Reason::HostUnknown),
            ("550 Relay access denied", Reason::NoRelaying),
        ];
        for (text, want) in cases {
            assert_eq!(match_phrases(text).map(|m| m.0), Some(want), "{text}");
        }
        assert_eq!(match_phrases("hello there"), None);
    }
}
