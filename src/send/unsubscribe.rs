//! The `List-Unsubscribe` headers of each copy (RFC 2369 section 3.2, RFC 8058): a signed
//! `mailto:` on the bounce domain, which `poll` reads back from the bounce mailbox, and an
//! https URL carrying the same token when one is configured, then with
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.

use crate::verp;

/// Where unsubscribe requests go for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// `bounces+unsub.<campaign>.<recipient>.<mac>@domain`.
    pub mailto: String,
    /// The configured URL with the token in it, when one is configured.
    pub url: Option<String>,
}

/// The placeholder of `[send] unsubscribe_url` that the token replaces.
pub const TOKEN_PLACEHOLDER: &str = "{token}";

/// Checks a configured unsubscribe URL: https only (RFC 8058 section 3.1 requires it for
/// one-click), and no characters that would break the header.
pub fn check_url(url: &str) -> Result<(), String> {
    if !url.to_ascii_lowercase().starts_with("https://") || url.len() <= "https://".len() {
        return Err(format!(
            "unsubscribe URL '{url}' must be an https:// URL (RFC 8058 one-click needs https)"
        ));
    }
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>' || c == '"')
    {
        return Err(format!(
            "unsubscribe URL '{url}' holds a space, a control character, '<', '>' or '\"'"
        ));
    }
    Ok(())
}

/// The links of one recipient: the token is signed with `secret` (the VERP secret) under
/// the unsubscribe label, so a bounce token cannot stand for it.
pub fn links(
    secret: &[u8],
    bounce_base: &str,
    url: Option<&str>,
    campaign_id: i64,
    recipient_id: i64,
) -> Links {
    let token = verp::unsubscribe_token(secret, campaign_id, recipient_id);
    let url = url.map(|u| {
        if u.contains(TOKEN_PLACEHOLDER) {
            u.replace(TOKEN_PLACEHOLDER, &token)
        } else if u.contains('?') {
            format!("{u}&token={token}")
        } else {
            format!("{u}?token={token}")
        }
    });
    Links {
        mailto: verp::return_path(bounce_base, &token),
        url,
    }
}

impl Links {
    /// The header lines, CRLF-terminated and folded between the two URIs.
    pub fn header_lines(&self) -> String {
        let mailto = format!("<mailto:{}?subject=unsubscribe>", self.mailto);
        match &self.url {
            Some(url) => format!(
                "List-Unsubscribe: {mailto},\r\n <{url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            ),
            None => format!("List-Unsubscribe: {mailto}\r\n"),
        }
    }

    /// The copy with these header lines put in front of its header (a rendered copy,
    /// CRLF line ends).
    pub fn add_to(&self, content: Vec<u8>) -> Vec<u8> {
        let lines = self.header_lines();
        let mut out = Vec::with_capacity(lines.len() + content.len());
        out.extend_from_slice(lines.as_bytes());
        out.extend_from_slice(&content);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_only_without_a_url_and_one_click_with_one() {
        let l = links(b"s", "bounces@list.example", None, 3, 7);
        let t = verp::unsubscribe_token(b"s", 3, 7);
        assert_eq!(l.mailto, format!("bounces+{t}@list.example"));
        assert_eq!(
            l.header_lines(),
            format!("List-Unsubscribe: <mailto:bounces+{t}@list.example?subject=unsubscribe>\r\n")
        );
        let l = links(
            b"s",
            "bounces@list.example",
            Some("https://list.example/u/{token}"),
            3,
            7,
        );
        let h = l.header_lines();
        assert!(
            h.contains(&format!(",\r\n <https://list.example/u/{t}>\r\n")),
            "{h}"
        );
        assert!(h.ends_with("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        let q = links(b"s", "b@x.test", Some("https://x.test/u?list=n"), 3, 7);
        assert_eq!(q.url.unwrap(), format!("https://x.test/u?list=n&token={t}"));
        let body = l.add_to(b"Message-ID: <m@x>\r\n\r\nhi\r\n".to_vec());
        assert!(body.starts_with(b"List-Unsubscribe: <mailto:"));
        assert!(body.ends_with(b"Message-ID: <m@x>\r\n\r\nhi\r\n"));
    }

    #[test]
    fn only_https_urls_without_header_breaking_characters() {
        assert!(check_url("https://list.example/u?t={token}").is_ok());
        for bad in [
            "http://list.example/u",
            "mailto:x@y",
            "https://",
            "https://a b",
            "https://x/\r\nBcc: y",
            "https://x/<y>",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
