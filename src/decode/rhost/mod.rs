//! Remote-host rules: providers whose replies carry their own error codes or wording
//! (Orange's `OFR006_102`, Cox's `AUP#CXBL`, GoDaddy's `IB607`, Microsoft's `5.7.606`...).
//! Each provider is one small table in its own file; this module picks the provider of a
//! record and applies its table before the general phrase rules.
//!
//! The provider is found, in this order, by the recipient's domain, the remote MTA's
//! host name (from `Remote-MTA`, or a `host name[ip]` in the diagnostic) and the
//! reporting MTA's host name. Only that one provider's table is tried.

mod aol;
mod apple;
mod cox;
mod facebook;
mod franceptt;
mod godaddy;
mod google;
mod gsuite;
mod iua;
mod kddi;
mod messagelabs;
mod microsoft;
mod mimecast;
mod nttdocomo;
mod outlook;
mod spectrum;
mod tencent;
mod yahooinc;

use super::Reason;
use regex::Regex;
use std::sync::LazyLock;

/// One rule: (conditions, phrase, reason). Conditions are space-separated and all must
/// hold: a status code (`5.1.10`, exact; `5.7.` a prefix), a reply code (`554`) or an SMTP
/// command (`RCPT`, `DATA`). The phrase is a lower-case substring of the diagnostic
/// (`""` matches any text).
pub(crate) type Rule = (&'static str, &'static str, Reason);

/// Error codes a provider writes into its replies: a pattern whose first group is the
/// code, and (code, reason) pairs; a code `1020-1080` is a numeric range.
pub(crate) struct Codes {
    pub pattern: &'static str,
    pub table: &'static [(&'static str, Reason)],
}

/// One provider.
pub(crate) struct Provider {
    pub name: &'static str,
    /// Host names (or their suffixes, with a leading dot) of the provider's MTAs; a
    /// recipient domain matches when it is one of them or a parent domain of one.
    pub hosts: &'static [&'static str],
    pub codes: Option<Codes>,
    pub rules: &'static [Rule],
}

static PROVIDERS: &[&Provider] = &[
    &aol::PROVIDER,
    &apple::PROVIDER,
    &cox::PROVIDER,
    &facebook::PROVIDER,
    &franceptt::PROVIDER,
    &godaddy::PROVIDER,
    &google::PROVIDER,
    &gsuite::PROVIDER,
    &iua::PROVIDER,
    &kddi::PROVIDER,
    &messagelabs::PROVIDER,
    &outlook::PROVIDER,
    &microsoft::PROVIDER,
    &mimecast::PROVIDER,
    &nttdocomo::PROVIDER,
    &spectrum::PROVIDER,
    &tencent::PROVIDER,
    &yahooinc::PROVIDER,
];

static CODE_PATTERNS: LazyLock<Vec<Option<Regex>>> = LazyLock::new(|| {
    PROVIDERS
        .iter()
        .map(|p| p.codes.as_ref().and_then(|c| Regex::new(c.pattern).ok()))
        .collect()
});

static HOST_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bhost:?\s+([a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+)\.?\s*[\[(]")
        .expect("host regex")
});

/// What the provider rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub remote_mta: Option<&'a str>,
    pub reporting_mta: Option<&'a str>,
    pub recipient: Option<&'a str>,
    pub diag: &'a str,
    /// The human-readable text of the report (its text parts), read after the diagnostic.
    pub text: &'a str,
    /// `text` in ASCII lower case, when the caller has it at hand.
    pub text_lower: Option<&'a str>,
    pub status: Option<&'a str>,
    pub replycode: Option<&'a str>,
    pub command: Option<&'a str>,
}

/// Whether `name` ends with `.` + `suffix` (no copy made).
fn is_subdomain_of(name: &str, suffix: &str) -> bool {
    name.strip_suffix(suffix).is_some_and(|p| p.ends_with('.'))
}

fn host_matches(host: &str, entry: &str) -> bool {
    let bare = entry.trim_start_matches('.');
    host == bare || is_subdomain_of(host, bare)
}

/// The recipient's domain names the provider when it is one of its host names or a parent
/// domain of one (`docomo.ne.jp` for `mfsmax.docomo.ne.jp`).
fn domain_matches(domain: &str, entry: &str) -> bool {
    let bare = entry.trim_start_matches('.');
    !domain.is_empty() && (bare == domain || is_subdomain_of(bare, domain))
}

fn provider_for(f: &Facts) -> Option<usize> {
    let domain = f
        .recipient
        .and_then(|r| r.rsplit_once('@'))
        .map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(i) = PROVIDERS
        .iter()
        .position(|p| p.hosts.iter().any(|h| domain_matches(&domain, h)))
    {
        return Some(i);
    }
    let in_text = HOST_IN_TEXT.captures(f.diag).map(|c| c[1].to_string());
    let hosts = [
        f.remote_mta.map(str::to_string),
        in_text,
        f.reporting_mta.map(str::to_string),
    ];
    for host in hosts.iter().flatten() {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            continue;
        }
        if let Some(i) = PROVIDERS
            .iter()
            .position(|p| p.hosts.iter().any(|h| host_matches(&host, h)))
        {
            return Some(i);
        }
    }
    None
}

fn condition_holds(cond: &str, f: &Facts) -> bool {
    if cond.chars().all(|c| c.is_ascii_uppercase()) {
        return f.command.is_some_and(|c| c.eq_ignore_ascii_case(cond));
    }
    if cond.contains('.') {
        let status = f.status.unwrap_or("");
        return if cond.ends_with('.') {
            status.starts_with(cond)
        } else {
            status == cond
        };
    }
    f.replycode == Some(cond)
}

fn code_matches(entry: &str, code: &str) -> bool {
    match entry.split_once('-') {
        Some((lo, hi)) if lo.chars().all(|c| c.is_ascii_digit()) => {
            match (lo.parse::<u32>(), hi.parse::<u32>(), code.parse::<u32>()) {
                (Ok(lo), Ok(hi), Ok(n)) => lo <= n && n <= hi,
                _ => false,
            }
        }
        _ => entry.eq_ignore_ascii_case(code),
    }
}

/// A reason from the provider's table, with the rule's description.
pub(crate) fn reason(f: &Facts) -> Option<(Reason, String)> {
    let i = provider_for(f)?;
    let p = PROVIDERS.get(i)?;
    if let (Some(codes), Some(Some(re))) = (&p.codes, CODE_PATTERNS.get(i)) {
        for c in re.captures_iter(f.diag) {
            let Some(code) = c.get(1).map(|m| m.as_str()) else {
                continue;
            };
            if let Some((_, r)) = codes.table.iter().find(|(e, _)| code_matches(e, code)) {
                return Some((*r, format!("{} code {code}", p.name)));
            }
        }
    }
    // The provider's wording in the diagnostic, else in the report's own text (some
    // providers explain the failure there and quote only a terse reply).
    let diag_lower = f.diag.to_ascii_lowercase();
    let mut text_lower = None;
    for (i, text) in [f.diag, f.text].into_iter().enumerate() {
        let lower: &str = if i == 0 {
            &diag_lower
        } else {
            match f.text_lower {
                Some(l) => l,
                None => text_lower.get_or_insert_with(|| text.to_ascii_lowercase()),
            }
        };
        for (conds, phrase, r) in p.rules {
            if phrase.is_empty() && text != f.diag {
                continue;
            }
            if conds.split_whitespace().all(|c| condition_holds(c, f)) && lower.contains(phrase) {
                let what = if phrase.is_empty() { conds } else { phrase };
                return Some((*r, format!("{} rule \"{what}\"", p.name)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(remote: &'a str, rcpt: &'a str, diag: &'a str) -> Facts<'a> {
        Facts {
            remote_mta: Some(remote),
            recipient: Some(rcpt),
            diag,
            ..Facts::default()
        }
    }

    #[test]
    fn codes_and_phrases() {
        let f = facts(
            "smtp-in.orange.fr",
            "a@example.fr",
            "550 Mail rejected. OFR004_506 [506]",
        );
        assert_eq!(reason(&f).map(|r| r.0), Some(Reason::SpamDetected));
        let f = facts(
            "mx.example.net",
            "a@charter.net",
            "550 5.1.0 sender rejected. AUP#I1310",
        );
        assert_eq!(reason(&f).map(|r| r.0), Some(Reason::TooManyConn));
        let f = facts("mx1.qq.com", "a@example.cn", "550 Domain frequency limited");
        assert_eq!(reason(&f).map(|r| r.0), Some(Reason::TooManyConn));
        let f = facts(
            "mx.example.org",
            "a@example.org",
            "550 Mail rejected. OFR004_506",
        );
        assert_eq!(reason(&f), None);
    }

    #[test]
    fn host_named_in_the_text() {
        let f = Facts {
            recipient: Some("a@example.com"),
            diag: "SMTP error from remote server for RCPT TO command, host: smtp.secureserver.net (192.0.2.1) reason: 550 IB504",
            ..Facts::default()
        };
        assert_eq!(reason(&f).map(|r| r.0), Some(Reason::Speeding));
    }
}
