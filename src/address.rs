//! Email addresses as the hygiene loop knows them: parsed once (RFC 5321 section 4.1.2
//! `Mailbox`, RFC 5322 section 3.4.1 `addr-spec`, RFC 6531 section 3.3 UTF-8 local parts),
//! normalised once, and compared by one key everywhere (send, facts, suppressions, import,
//! check, clean, reports).
//!
//! The key: the local part with quotes removed when they quote nothing (RFC 5321 section
//! 4.1.2: `"q"` and `q` are the same mailbox) and lower-cased by Unicode's rules (every
//! large provider treats local parts case-insensitively), `@`, and the domain in its
//! IDNA (UTS #46) Unicode form, lower case: `Üser@XN--BCHER-KVA.example` and
//! `üser@Bücher.EXAMPLE` share the key `üser@bücher.example`. The spelling as written is
//! kept for display and for sending.
//!
//! Imports nothing from the rest of the crate.

use std::fmt;

/// RFC 5321 section 4.5.3.1.1: 64 octets of local part.
const MAX_LOCAL: usize = 64;
/// RFC 5321 section 4.5.3.1.2: 255 octets of domain.
const MAX_DOMAIN: usize = 255;
/// RFC 5321 section 4.5.3.1.3: a path of 256 octets, less its angle brackets.
const MAX_ADDRESS: usize = 254;

/// Why a string is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("empty")]
    Empty,
    #[error("contains a control character (U+{0:04X})")]
    Control(u32),
    #[error("written in angle brackets: give the bare address")]
    AngleBrackets,
    #[error("has no '@'")]
    NoAt,
    #[error("has more than one '@' outside quotes")]
    TwoAts,
    #[error("the part before '@' is empty")]
    EmptyLocal,
    #[error("the part after '@' is empty")]
    EmptyDomain,
    #[error("{what} is {len} bytes long (at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the part before '@' has {0}")]
    BadLocal(&'static str),
    #[error("the domain '{domain}' is not valid: {why}")]
    BadDomain { domain: String, why: String },
}

/// A parsed address: its spelling as written and its comparison key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    written: String,
    key: String,
    /// Byte offset of the '@' in `key`.
    at: usize,
}

impl Address {
    /// Parses one address (surrounding white space ignored); anything else is refused with
    /// the reason.
    pub fn parse(input: &str) -> Result<Address, AddressError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(AddressError::Control(c as u32));
        }
        if s.starts_with('<') && s.ends_with('>') {
            return Err(AddressError::AngleBrackets);
        }
        if s.len() > MAX_ADDRESS {
            return Err(AddressError::TooLong {
                what: "the address",
                len: s.len(),
                max: MAX_ADDRESS,
            });
        }
        let at = split_at(s)?;
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() {
            return Err(AddressError::EmptyLocal);
        }
        if domain.is_empty() {
            return Err(AddressError::EmptyDomain);
        }
        if local.len() > MAX_LOCAL {
            return Err(AddressError::TooLong {
                what: "the part before '@'",
                len: local.len(),
                max: MAX_LOCAL,
            });
        }
        if domain.len() > MAX_DOMAIN {
            return Err(AddressError::TooLong {
                what: "the domain",
                len: domain.len(),
                max: MAX_DOMAIN,
            });
        }
        let local_key = local_key(local)?;
        let domain_key = domain_key(domain)?;
        let key = format!("{local_key}@{domain_key}");
        Ok(Address {
            written: s.to_string(),
            at: local_key.len(),
            key,
        })
    }

    /// The spelling as written (trimmed): what is shown and what is sent.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The comparison key (see the module documentation).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The domain part of the key (Unicode form, lower case).
    pub fn domain(&self) -> &str {
        &self.key[self.at + 1..]
    }

    /// The domain in its ASCII (A-label) form, as SMTP needs without SMTPUTF8.
    pub fn ascii_domain(&self) -> String {
        let d = self.domain();
        if d.starts_with('[') {
            return d.to_string();
        }
        idna::domain_to_ascii(d).unwrap_or_else(|_| d.to_string())
    }

    /// The address as an SMTP client without SMTPUTF8 must write it: the local part as
    /// written and an internationalised domain as its A-labels (RFC 5890 section 2.3.2.1:
    /// `user@bücher.example` goes out as `user@xn--bcher-kva.example`). An address whose
    /// local part is not ASCII is returned as written: only SMTPUTF8 can carry it.
    pub fn smtp_form(&self) -> String {
        match self.written.rsplit_once('@') {
            Some((local, domain)) if local.is_ascii() && !domain.is_ascii() => {
                format!("{local}@{}", self.ascii_domain())
            }
            _ => self.written.clone(),
        }
    }

    /// Whether the local part needs SMTPUTF8 (RFC 6531) to be sent.
    pub fn local_is_ascii(&self) -> bool {
        self.key[..self.at].is_ascii()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// The key of an address, or, for a string that is not one (a bounce naming a domain-less
/// recipient), the string trimmed and lower-cased: such strings still compare
/// case-insensitively with themselves.
pub fn key_of(s: &str) -> String {
    match Address::parse(s) {
        Ok(a) => a.key,
        Err(_) => s.trim().to_lowercase(),
    }
}

/// The byte offset of the '@' that ends the local part (quotes and quoted pairs skipped).
fn split_at(s: &str) -> Result<usize, AddressError> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut found = None;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '@' if !in_quotes => {
                if found.is_some() {
                    return Err(AddressError::TwoAts);
                }
                found = Some(i);
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(AddressError::BadLocal("an unclosed quote"));
    }
    found.ok_or(AddressError::NoAt)
}

/// RFC 5322 `atext`, widened by RFC 6531 to every non-ASCII character.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Whether `s` is a dot-atom: atext runs separated by single dots.
fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|run| !run.is_empty() && run.chars().all(is_atext))
}

fn local_key(local: &str) -> Result<String, AddressError> {
    if let Some(inner) = local.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return Err(AddressError::BadLocal("text outside its quotes"));
        };
        // RFC 5322 section 3.2.4: qtext (printable ASCII but '"' and '\', and any UTF-8 by
        // RFC 6531), space, or a quoted pair.
        let mut content = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(q) => content.push(q),
                    None => return Err(AddressError::BadLocal("a '\\' that quotes nothing")),
                },
                '"' => return Err(AddressError::BadLocal("a '\"' inside its quotes")),
                _ => content.push(c),
            }
        }
        if content.is_empty() {
            return Err(AddressError::EmptyLocal);
        }
        let lowered = content.to_lowercase();
        // quotes that quote nothing are not part of the mailbox's name
        if is_dot_atom(&content) {
            return Ok(lowered);
        }
        let mut quoted = String::with_capacity(lowered.len() + 2);
        quoted.push('"');
        for c in lowered.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        return Ok(quoted);
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(AddressError::BadLocal("a dot at its start or end"));
    }
    if local.contains("..") {
        return Err(AddressError::BadLocal("two dots in a row"));
    }
    if local.contains(char::is_whitespace) {
        return Err(AddressError::BadLocal("white space outside quotes"));
    }
    if !is_dot_atom(local) {
        return Err(AddressError::BadLocal(
            "a character that needs quotes ( ) < > [ ] : ; , \\ \"",
        ));
    }
    Ok(local.to_lowercase())
}

fn domain_key(domain: &str) -> Result<String, AddressError> {
    let bad = |why: &str| AddressError::BadDomain {
        domain: domain.to_string(),
        why: why.to_string(),
    };
    // RFC 5321 section 4.1.3: an address literal
    if let Some(inner) = domain.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(|| bad("unclosed '['"))?;
        if let Some(v6) = inner.strip_prefix("IPv6:").or(inner.strip_prefix("ipv6:")) {
            let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| bad("not an IPv6 address"))?;
            return Ok(format!("[ipv6:{ip}]"));
        }
        let ip: std::net::Ipv4Addr = inner.parse().map_err(|_| bad("not an IPv4 address"))?;
        return Ok(format!("[{ip}]"));
    }
    if domain.contains(char::is_whitespace) {
        return Err(bad("white space"));
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad("an empty label"));
    }
    if !domain.contains('.') {
        return Err(bad("a single label (no dot): not a domain mail can reach"));
    }
    // The common case needs no IDNA mapping: ASCII letters, digits, '-' and '.', no A-label.
    let plain = domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if plain && !domain.to_ascii_lowercase().contains("xn--") {
        check_labels(domain).map_err(&bad)?;
        return Ok(domain.to_ascii_lowercase());
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| {
        bad("not a host name (letters, digits and '-' per label, or an internationalised name)")
    })?;
    check_labels(&ascii).map_err(&bad)?;
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    result.map_err(|_| bad("an A-label that does not decode"))?;
    Ok(unicode)
}

/// RFC 1035 section 2.3.1 / RFC 5890: LDH labels of 1 to 63 characters, 253 in all.
fn check_labels(ascii: &str) -> Result<(), &'static str> {
    if ascii.len() > 253 {
        return Err("longer than 253 characters");
    }
    for label in ascii.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("a label of 0 or more than 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label that starts or ends with '-'");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("a character not allowed in a host name");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
