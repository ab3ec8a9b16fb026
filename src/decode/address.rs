//! Email addresses as bounces write them: `rfc822;<a@b>`, quoted, in angle brackets.

use regex::Regex;
use std::sync::LazyLock;

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?|@\[[0-9.]+\]"#)
        .expect("address regex")
});

/// Cleans one address field: drops an address-type prefix (`rfc822;`), angle brackets,
/// quotes and trailing punctuation. `None` when nothing address-like is left.
pub(crate) fn clean(s: &str) -> Option<String> {
    let mut s = s.trim();
    if let Some((kind, rest)) = s.split_once(';') {
        if !kind.contains('@') && kind.len() < 20 {
            s = rest.trim();
        }
    }
    if let Some(start) = s.find('<') {
        if let Some(end) = s[start..].find('>') {
            let inner = s[start + 1..start + end].trim();
            if !inner.is_empty() {
                s = inner;
            }
        }
    }
    // A source route (`@relay1,@relay2:user@domain`, RFC 5321 section 4.1.2) names the
    // mailbox after its last colon.
    if s.starts_with('@') {
        if let Some((_, mailbox)) = s.rsplit_once(':') {
            if mailbox.contains('@') {
                s = mailbox.trim();
            }
        }
    }
    // A quoted local part (`"a..b"@example.org`) keeps its quotes; quotes around the
    // whole address go.
    let quoted_local = s.starts_with('"') && s.contains("\"@");
    let s = if quoted_local {
        s.trim_matches(|c: char| c == '\'' || c.is_whitespace() || c == '<' || c == '>')
    } else {
        s.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace() || c == '<' || c == '>')
    }
    .trim_end_matches(['.', ',', ';', ':', ')']);
    if quoted_local {
        return Some(s.to_string());
    }
    if s.is_empty() || s.contains(char::is_whitespace) {
        if let Some(m) = ADDRESS.find(s) {
            return Some(m.as_str().trim_end_matches('.').to_string());
        }
        return None;
    }
    Some(s.to_string())
}

/// The text with every email address replaced by `<>` (borrowed when there is none).
pub(crate) fn blank_addresses(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    ADDRESS.replace_all(text, "<>")
}

/// Every email address in free text, in order, without repeats (case-insensitive).
pub(crate) fn all_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Seen addresses in lower case: a set, since a list compared with every address
    // found was quadratic (40,000 addresses in a report's text: 114 s).
    let mut seen = std::collections::HashSet::new();
    for m in ADDRESS.find_iter(text) {
        let a = m.as_str().trim_end_matches(['.', '-']);
        if !a.contains('@') || a.starts_with('@') {
            continue;
        }
        if seen.insert(a.to_ascii_lowercase()) {
            out.push(a.to_string());
        }
    }
    out
}

/// Whether the address looks like a mailer daemon or postmaster (never a recipient).
pub(crate) fn is_mailer_daemon(a: &str) -> bool {
    let l = a.to_ascii_lowercase();
    let local = l.split('@').next().unwrap_or("");
    matches!(
        local,
        "mailer-daemon" | "postmaster" | "mailerdaemon" | "mail-daemon" | "root" | "daemon"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_dsn_fields() {
        assert_eq!(
            clean("rfc822; <kijitora@example.jp>").as_deref(),
            Some("kijitora@example.jp")
        );
        assert_eq!(
            clean("RFC822;neko@example.org.").as_deref(),
            Some("neko@example.org")
        );
        assert_eq!(clean("\"Neko\" <a@b.c>").as_deref(), Some("a@b.c"));
        assert_eq!(clean("   "), None);
        assert_eq!(
            clean("rfc822; \"neko..nyaan..\"@example.org").as_deref(),
            Some("\"neko..nyaan..\"@example.org")
        );
        assert_eq!(
            clean("rfc822;@mx.example.net:neko@server").as_deref(),
            Some("neko@server")
        );
    }

    #[test]
    fn finds_addresses_in_text() {
        let v = all_in("<a@example.jp>: host said 550 unknown user b@example.org. (a@example.jp)");
        assert_eq!(
            v,
            vec!["a@example.jp".to_string(), "b@example.org".to_string()]
        );
    }
}
