//! Checks a message template's header block against RFC 5322 before anything is sent,
//! and the RFC 2047 encoding that lets non-ASCII header values (a `Zoë` subject, a
//! display name) travel as 7-bit text. Also the DMARC alignment of From with the
//! envelope, which is warned about, not refused.

/// Fields that may appear at most once (RFC 5322 section 3.6, the table's "1" maxima).
const SINGLETONS: &[&str] = &[
    "date",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "message-id",
    "in-reply-to",
    "references",
    "subject",
];

/// Fields holding addresses: non-ASCII is encodable only in their display names.
const ADDRESS_FIELDS: &[&str] = &["from", "sender", "reply-to", "to", "cc", "bcc"];

/// Fields whose body is free text (RFC 5322 `unstructured`), where encoded-words may
/// stand for any text (RFC 2047 section 5 (1)). Extension fields (`X-...`) count as
/// unstructured too.
const UNSTRUCTURED: &[&str] = &["subject", "comments", "keywords"];

/// The longest line RFC 5322 section 2.1.1 allows, CRLF excluded.
pub const MAX_LINE: usize = 998;

/// How RFC 2047 can carry a field's non-ASCII text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Unstructured,
    Addresses,
    /// Structured in another way (Content-Type, Message-ID, List-Id ...): ASCII only.
    Other,
}

/// The kind of a field by its name.
pub fn kind_of(name: &str) -> FieldKind {
    let n = name.to_ascii_lowercase();
    if UNSTRUCTURED.contains(&n.as_str()) || n.starts_with("x-") {
        FieldKind::Unstructured
    } else if ADDRESS_FIELDS.contains(&n.as_str()) {
        FieldKind::Addresses
    } else {
        FieldKind::Other
    }
}

/// A field name as RFC 5322 section 3.6.8 allows: printable ASCII except the colon.
fn name_ok(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// Checks the header fields of a template (each `Name: value`, continuation lines joined
/// with `\n`). The reason names the field; `Ok` means every field can be sent once its
/// non-ASCII text is encoded by [`encode_field`].
pub fn check_headers(fields: &[String]) -> Result<(), String> {
    let mut seen: Vec<String> = Vec::new();
    for f in fields {
        let (name, value) = f.split_once(':').unwrap_or((f, ""));
        if !name_ok(name) {
            return Err(format!(
                "'{}' is not a valid header field name (RFC 5322 section 3.6.8: printable ASCII, no spaces)",
                name.escape_debug()
            ));
        }
        for line in f.split('\n') {
            if line.len() > MAX_LINE {
                return Err(format!(
                    "header {name} has a line of {} octets (RFC 5322 section 2.1.1 allows {MAX_LINE})",
                    line.len()
                ));
            }
        }
        if let Some(c) = value
            .chars()
            .find(|c| c.is_control() && *c != '\t' && *c != '\n')
        {
            return Err(format!(
                "header {name} contains the control character {:?}",
                c
            ));
        }
        let lower = name.to_ascii_lowercase();
        if SINGLETONS.contains(&lower.as_str()) {
            if seen.contains(&lower) {
                return Err(format!(
                    "header {name} appears twice (RFC 5322 section 3.6 allows it once)"
                ));
            }
            seen.push(lower.clone());
        }
        if !value.is_ascii() {
            match kind_of(name) {
                FieldKind::Unstructured => {}
                FieldKind::Addresses => {
                    for m in split_addresses(value) {
                        let (_, addr) = split_mailbox(m);
                        if !addr.is_ascii() {
                            return Err(format!(
                                "header {name}: the address '{}' is not ASCII; RFC 2047 can encode only the display name",
                                addr.trim()
                            ));
                        }
                    }
                }
                FieldKind::Other => {
                    return Err(format!(
                        "header {name} has non-ASCII text that RFC 2047 cannot encode in this field (only Subject, Comments, X- fields and display names)"
                    ));
                }
            }
        }
    }
    if !seen.iter().any(|s| s == "from") {
        return Err("no From header (RFC 5322 section 3.6 requires one)".into());
    }
    Ok(())
}

/// Splits an address list on commas outside quotes, comments and angle brackets.
fn split_addresses(value: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut depth, mut angle) = (Vec::new(), 0, false, 0, false);
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            '<' if !quoted && depth == 0 => angle = true,
            '>' if !quoted && depth == 0 => angle = false,
            ',' if !quoted && depth == 0 && !angle => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// `(display name, address)` of one mailbox: `Zoë <z@x>` gives `("Zoë ", "<z@x>")`; a
/// bare address has an empty display name.
fn split_mailbox(m: &str) -> (&str, &str) {
    match m.rfind('<') {
        Some(i) if m[i..].contains('>') => (&m[..i], &m[i..]),
        _ => ("", m),
    }
}

/// Characters that stand for themselves in a Q-encoded word that may sit in a phrase
/// (RFC 2047 section 5 (3)); all else is `=HH`, a space `_`.
fn q_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/')
}

/// Encodes `text` as Q encoded-words of at most `first` characters for the first word
/// and 75 for the others (RFC 2047 section 2), never splitting a character; the words
/// are joined by CRLF SP (folding), which a decoder drops between encoded-words.
pub fn encoded_words(text: &str, first: usize) -> String {
    const OPEN: &str = "=?UTF-8?Q?";
    const CLOSE: &str = "?=";
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let budget = |n: usize| {
        let max = if n == 0 { first.clamp(20, 75) } else { 75 };
        max - OPEN.len() - CLOSE.len()
    };
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let piece: String = c
            .encode_utf8(&mut buf)
            .bytes()
            .map(|b| match b {
                b' ' => "_".to_string(),
                b if q_literal(b) => (b as char).to_string(),
                b => format!("={b:02X}"),
            })
            .collect();
        if cur.len() + piece.len() > budget(words.len()) && !cur.is_empty() {
            words.push(format!("{OPEN}{cur}{CLOSE}"));
            cur.clear();
        }
        cur.push_str(&piece);
    }
    if !cur.is_empty() || words.is_empty() {
        words.push(format!("{OPEN}{cur}{CLOSE}"));
    }
    words.join("\r\n ")
}

/// A header field (`Name: value`, continuation lines joined with `\n`) ready for the
/// wire: ASCII as it is; non-ASCII text as encoded-words where RFC 2047 allows them.
/// What cannot be encoded (a non-ASCII address, a structured field) is left as it is:
/// [`check_headers`] refused such templates, so only merged values can reach here.
pub fn encode_field(field: &str) -> String {
    if field.is_ascii() {
        return field.to_string();
    }
    let (name, value) = field.split_once(':').unwrap_or((field, ""));
    // unfold: the encoded form is folded again between its words
    let value = value.replace(['\r', '\n'], "");
    let value = value.trim();
    let first = 76 - (name.len() + 2).min(56);
    match kind_of(name) {
        FieldKind::Unstructured => format!("{name}: {}", encoded_words(value, first)),
        FieldKind::Addresses => {
            let parts: Vec<String> = split_addresses(value)
                .into_iter()
                .map(|m| {
                    let (display, addr) = split_mailbox(m.trim());
                    let display = display.trim();
                    if display.is_ascii() {
                        return m.trim().to_string();
                    }
                    let words = encoded_words(&unquote(display), first);
                    // a line with encoded-words stays within 76 characters (RFC 2047
                    // section 2): the address goes on a line of its own when needed
                    let mut last = words.rsplit("\r\n").next().unwrap_or("").len();
                    if !words.contains('\n') {
                        last += name.len() + 2; // on the field's first line
                    }
                    let sep = if last + 1 + addr.trim().len() > 76 {
                        "\r\n "
                    } else {
                        " "
                    };
                    format!("{words}{sep}{}", addr.trim())
                })
                .collect();
            format!("{name}: {}", parts.join(",\r\n "))
        }
        FieldKind::Other => format!("{name}: {value}"),
    }
}

/// A display name without its surrounding quotes and quoted-pair backslashes.
fn unquote(s: &str) -> String {
    let s = s.trim();
    let Some(inner) = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut esc = false;
    for c in inner.chars() {
        if esc || c != '\\' {
            out.push(c);
            esc = false;
        } else {
            esc = true;
        }
    }
    out
}

/// The organisational domain by the last-two-labels rule (`mail.news.example.com` gives
/// `example.com`). Without the Public Suffix List this misjudges domains under
/// multi-label suffixes (`a.example.co.uk` and `b.example.co.uk` count as aligned, both
/// being `co.uk`), erring towards no warning.
pub fn org_domain(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}

/// The address of a From field's (first) mailbox.
pub fn from_address(field_value: &str) -> Option<String> {
    let first = split_addresses(field_value).into_iter().next()?;
    let (_, addr) = split_mailbox(first.trim());
    addr.split_whitespace()
        .map(|w| w.trim_start_matches('<').trim_end_matches('>'))
        .find(|w| w.contains('@'))
        .map(str::to_string)
}

/// A warning when the From domain and the envelope (return-path) domain are not aligned
/// for DMARC in relaxed mode (RFC 7489 section 3.1.1): SPF then passes for the envelope
/// domain only, and DMARC needs DKIM alignment instead.
pub fn dmarc_warning(from: &str, return_path: &str) -> Option<String> {
    let fd = from.rsplit_once('@')?.1;
    let ed = return_path.rsplit_once('@')?.1;
    (org_domain(fd) != org_domain(ed)).then(|| {
        format!(
            "the message's From domain '{fd}' and the envelope domain '{ed}' (--from) are not aligned for DMARC (organisational domains {} and {}): SPF cannot pass DMARC for these copies, so they need a DKIM signature aligned with '{fd}'",
            org_domain(fd),
            org_domain(ed)
        )
    })
}

/// Quoted-printable (RFC 2045 section 6.7) of a body with LF or CRLF line ends, lines cut
/// with soft breaks at 76 characters, never inside an `=HH` triple. Returns LF line ends.
pub fn quoted_printable(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 8);
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut col = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let piece = match b {
                // trailing white space must be encoded (rule 3)
                b' ' | b'\t' if last => format!("={b:02X}"),
                b'=' => "=3D".to_string(),
                33..=126 | b' ' | b'\t' => (b as char).to_string(),
                _ => format!("={b:02X}"),
            };
            if col + piece.len() > 75 {
                out.push_str("=\n");
                col = 0;
            }
            out.push_str(&piece);
            col += piece.len();
        }
        out.push('\n');
    }
    out.pop(); // the split added one line end too many
    out
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
