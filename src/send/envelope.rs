//! The envelope and content as they go on the wire: the addresses a MAIL/RCPT path can
//! carry, the DSN parameters' encodings (RFC 3461 xtext, RFC 6533 for UTF-8), and the
//! dot-stuffed content after DATA.

/// Envelope and DSN parameters of one transaction.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub return_path: &'a str,
    pub recipient: &'a str,
    pub envelope_id: &'a str,
}

impl Envelope<'_> {
    /// Whether an address of the envelope can only be sent with SMTPUTF8 (RFC 6531
    /// section 3.4: a non-ASCII mailbox; domains are already A-labels where possible).
    pub fn needs_smtputf8(&self) -> bool {
        !self.return_path.is_ascii() || !self.recipient.is_ascii()
    }
}

/// `xtext` (RFC 3461 section 4): `+`, `=` and characters outside `!`..`~` as `+HH`.
pub fn xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// `utf-8-addr-xtext` (RFC 6533 section 3): like xtext, but a non-ASCII character, and
/// `+`, `=`, `\`, as `\x{HEX}` of its code point. Valid with or without SMTPUTF8.
pub fn utf8_xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if ('!'..='~').contains(&c) && !matches!(c, '+' | '=' | '\\') {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{{{:X}}}", c as u32));
        }
    }
    out
}

/// The ORCPT value of a recipient (RFC 3461 section 4.2; RFC 6533 for UTF-8 addresses).
pub fn orcpt(recipient: &str) -> String {
    if recipient.is_ascii() {
        format!("rfc822;{}", xtext(recipient))
    } else {
        format!("utf-8;{}", utf8_xtext(recipient))
    }
}

/// The message content as sent after DATA (RFC 5321 section 4.5.2): CRLF line ends, a
/// leading dot doubled, and the terminating `.` line.
pub fn dot_stuff(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 64);
    for line in content.split_inclusive(|&b| b == b'\n') {
        let mut body = line.strip_suffix(b"\n").unwrap_or(line);
        body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// An address as a MAIL/RCPT path can carry it: no spaces, angle brackets or controls.
pub fn path_ok(addr: &str) -> bool {
    addr.contains('@')
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_dot_stuffed_and_terminated() {
        assert_eq!(dot_stuff(b"a\n.b\r\n..c"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(utf8_xtext("m\u{fc}ller+x@b"), "m\\x{FC}ller\\x{2B}x@b");
        assert_eq!(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
    }
}
