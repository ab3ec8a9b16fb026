//! The MIME view of a message that the decoders work on: top headers, the decoded text of
//! each part in document order, and the headers of the returned original message.

use mail_parser::{HeaderName, Message, MessageParser, PartType};
use std::cell::OnceCell;
use std::sync::LazyLock;

/// The parser: MIME headers and Subject decoded, every other header skipped (the
/// decoders read raw values from the header's offsets in `header_list`, so mail-parser
/// parsing Received or address headers, or even copying them, would be wasted work).
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .header_text(HeaderName::Subject)
        .default_header_ignore()
});

/// One leaf part, decoded to text.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// `type/subtype`, lower case (`text/plain` when absent).
    pub ctype: String,
    pub text: String,
}

/// A message as the decoders see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mail {
    /// Top-level headers: lower-case name, unfolded value, in order.
    pub headers: Vec<(String, String)>,
    /// The decoded Subject (RFC 2047 words decoded).
    pub subject: String,
    /// The leaf parts of the report itself, not of the returned message.
    pub parts: Vec<Part>,
    /// Headers of the returned message (`message/rfc822` or `text/rfc822-headers`).
    pub original: Vec<(String, String)>,
    /// The delivery-status part inside the returned message, when that message is itself a
    /// delivery report (a bounce forwarded inside another notice).
    pub original_status: String,
    /// All text parts (and the delivery-status part) joined, the view family parsers scan.
    pub text: String,
    /// `text` in ASCII lower case, made on first use (several decoders look into it).
    text_lower: OnceCell<String>,
    /// The SMTP command `text` names (`draft::command_in`), found on first use.
    text_command: OnceCell<Option<String>>,
    /// Whether a delivery-status part carries Postfix's `X-Postfix-Queue-ID`, found on
    /// first use: asked once per record, scanning the part each time was quadratic.
    postfix_report: OnceCell<bool>,
    /// The recipients of the records being finished (set by `decode_one`), for
    /// `cause_index`.
    pub record_recipients: Vec<String>,
    /// Where those recipients stand in the report's text, made on first use.
    cause_index: OnceCell<super::cause::CauseIndex>,
}

/// Messages larger than this are cut before parsing: a bounce's facts are in its first
/// part, and a returned attachment must not cost time.
pub const MAX_PARSE: usize = 4 << 20;

impl Mail {
    /// Parses a message. `None` when the bytes have no header block at all.
    pub fn parse(raw: &[u8]) -> Option<Mail> {
        let raw = &raw[..raw.len().min(MAX_PARSE)];
        let msg = PARSER.parse(raw)?;
        let mut mail = Mail {
            headers: header_list(&msg),
            subject: msg.subject().unwrap_or_default().to_string(),
            ..Mail::default()
        };
        collect(&msg, &mut mail, 0);
        if mail.parts.iter().all(|p| p.ctype == "text/html") {
            for p in &mut mail.parts {
                p.text = html_to_text(&p.text);
            }
        }
        let mut text = String::new();
        for p in &mail.parts {
            if p.ctype == "text/html" && mail.parts.iter().any(|q| q.ctype == "text/plain") {
                continue;
            }
            text.push_str(&p.text);
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        mail.text = text;
        Some(mail)
    }

    /// `text` in ASCII lower case (byte offsets are those of `text`).
    pub fn text_lower(&self) -> &str {
        self.text_lower
            .get_or_init(|| self.text.to_ascii_lowercase())
    }

    /// The SMTP command the whole text says the failure answered, if any.
    pub fn text_command(&self) -> Option<String> {
        self.text_command
            .get_or_init(|| super::draft::command_in(&self.text))
            .clone()
    }

    /// Where each record's recipient stands in the text's report part, for the causes
    /// read next to it (`cause::cause_near` for every record at once).
    pub fn cause_index(&self) -> &super::cause::CauseIndex {
        self.cause_index
            .get_or_init(|| super::cause::CauseIndex::new(&self.text, &self.record_recipients))
    }

    /// A DSN made by Postfix (its per-message `X-Postfix-Queue-ID` field).
    pub fn postfix_report(&self) -> bool {
        *self.postfix_report.get_or_init(|| {
            self.parts.iter().any(|p| {
                p.ctype.ends_with("delivery-status") && p.text.contains("X-Postfix-Queue-ID")
            })
        })
    }

    /// The first top-level header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// All top-level headers of that name.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first header of that name in the returned message.
    pub fn original_header(&self, name: &str) -> Option<&str> {
        find(&self.original, name)
    }

    /// The `From:` header, empty when missing.
    pub fn from(&self) -> &str {
        self.header("from").unwrap_or("")
    }

    /// The first part of this content type.
    pub fn part(&self, ctype: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.ctype == ctype)
    }
}

fn find<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The headers of a message as (lower-case name, unfolded raw value).
fn header_list(msg: &Message) -> Vec<(String, String)> {
    let raw = msg.raw_message.as_ref();
    let mut out = Vec::with_capacity(msg.parts.first().map_or(0, |p| p.headers.len()));
    let Some(root) = msg.parts.first() else {
        return out;
    };
    for h in &root.headers {
        let start = h.offset_start as usize;
        let end = h.offset_end as usize;
        let value = raw.get(start..end).unwrap_or_default();
        // Most values are valid UTF-8: check (fast) before the lossy copy.
        let value = match std::str::from_utf8(value) {
            Ok(v) => unfold(v),
            Err(_) => unfold(&String::from_utf8_lossy(value)),
        };
        out.push((h.name.as_str().to_ascii_lowercase(), value));
    }
    out
}

/// Joins folded header lines and trims the value: the lines (as `str::lines` splits them)
/// joined by one space, each but the first without its leading white space, the whole
/// trimmed. One pass over the bytes, one allocation.
pub(crate) fn unfold(v: &str) -> String {
    let bytes = v.as_bytes();
    if memchr::memchr(b'\n', bytes).is_none() {
        return v.trim().to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut start = 0usize;
    let mut first = true;
    while start < bytes.len() {
        let (end, next) = match memchr::memchr(b'\n', bytes.get(start..).unwrap_or_default()) {
            Some(i) => {
                let nl = start + i;
                // "\r\n" ends a line as "\n" does
                let end = if nl > start && bytes.get(nl - 1) == Some(&b'\r') {
                    nl - 1
                } else {
                    nl
                };
                (end, nl + 1)
            }
            None => (bytes.len(), bytes.len()),
        };
        // both ends sit next to ASCII bytes (or the ends of `v`): char boundaries
        let line = v.get(start..end).unwrap_or_default();
        if first {
            out.push_str(line);
            first = false;
        } else {
            out.push(' ');
            out.push_str(line.trim_start());
        }
        start = next;
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Parses a bare header block (e.g. `text/rfc822-headers`) into (name, value) pairs.
pub(crate) fn parse_header_block(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if out.is_empty() {
                continue;
            }
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                out.push((name.to_ascii_lowercase(), value.trim().to_string()));
            }
        }
    }
    out
}

fn ctype_of(part: &mail_parser::MessagePart) -> String {
    use mail_parser::MimeHeaders;
    match part.content_type() {
        Some(ct) => {
            let sub = ct.c_subtype.as_deref().unwrap_or("");
            format!("{}/{}", ct.c_type, sub).to_ascii_lowercase()
        }
        None => "text/plain".to_string(),
    }
}

/// Walks the parts of `msg` in order, filling `mail`. Nested messages other than the first
/// returned message are flattened as text (a forwarded bounce keeps its words).
fn collect(msg: &Message, mail: &mut Mail, depth: usize) {
    for (i, part) in msg.parts.iter().enumerate() {
        if i == 0 && msg.parts.len() > 1 {
            continue; // the root multipart container
        }
        let ctype = ctype_of(part);
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Message(inner) => {
                if ctype.contains("delivery-status") || ctype.contains("feedback-report") {
                    let text = String::from_utf8_lossy(inner.raw_message()).into_owned();
                    mail.parts.push(Part { ctype, text });
                } else if mail.original.is_empty() && depth == 0 {
                    mail.original = header_list(inner);
                    for p in inner.parts.iter() {
                        if !ctype_of(p).contains("delivery-status") {
                            continue;
                        }
                        match &p.body {
                            PartType::Text(t) => mail.original_status.push_str(t),
                            PartType::Message(m) => {
                                mail.original_status
                                    .push_str(&String::from_utf8_lossy(m.raw_message()));
                            }
                            PartType::Binary(b) | PartType::InlineBinary(b) => {
                                mail.original_status.push_str(&String::from_utf8_lossy(b));
                            }
                            PartType::Html(_) | PartType::Multipart(_) => {}
                        }
                    }
                } else if depth < 3 {
                    collect(inner, mail, depth + 1);
                }
            }
            PartType::Text(t) | PartType::Html(t) => {
                if is_returned_headers(&ctype) {
                    if mail.original.is_empty() {
                        mail.original = parse_header_block(t);
                    }
                    continue;
                }
                let ctype = if matches!(part.body, PartType::Html(_)) {
                    "text/html".to_string()
                } else if ctype.starts_with("text/") || ctype.starts_with("message/") {
                    ctype
                } else {
                    "text/plain".to_string()
                };
                mail.parts.push(Part {
                    ctype,
                    text: t.to_string(),
                });
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                let keep = ctype.starts_with("message/")
                    || ctype.contains("delivery-status")
                    || ctype == "text/plain";
                if is_returned_headers(&ctype) {
                    if mail.original.is_empty() {
                        mail.original = parse_header_block(&String::from_utf8_lossy(b));
                    }
                } else if keep {
                    mail.parts.push(Part {
                        ctype,
                        text: String::from_utf8_lossy(b).into_owned(),
                    });
                }
            }
        }
    }
}

/// A part that holds only the returned message's header: `text/rfc822-headers` (RFC 6522),
/// or its UTF-8 form `message/global-headers` (RFC 6533 section 6.3) that reports about
/// SMTPUTF8 mail carry.
fn is_returned_headers(ctype: &str) -> bool {
    ctype.contains("rfc822-headers") || ctype == "message/global-headers"
}

/// A rough text rendering of HTML: tags dropped, block ends become line breaks, the
/// common entities decoded.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        if in_tag {
            if c == '>' {
                in_tag = false;
                let t = tag.trim_start_matches('/').to_ascii_lowercase();
                let name: String = t
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if matches!(
                    name.as_str(),
                    "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table" | "pre"
                ) {
                    out.push('\n');
                } else if matches!(name.as_str(), "td" | "th") {
                    out.push(' ');
                }
                tag.clear();
            } else {
                tag.push(c);
            }
        } else if c == '<' {
            in_tag = true;
        } else {
            out.push(c);
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Header-style lines of a text (e.g. a delivery-status part) as (lower-case name, value),
/// folded lines joined; a blank line is given as an entry with an empty name so callers
/// can see block ends.
pub(crate) fn parse_header_lines(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut last_blank = true;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !last_blank {
                out.push((String::new(), String::new()));
            }
            last_blank = true;
            continue;
        }
        if line.starts_with([' ', '\t']) && !last_blank {
            if let Some(last) = out.last_mut() {
                if !last.0.is_empty() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                    continue;
                }
            }
        }
        last_blank = false;
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') && name.len() < 40 {
                out.push((name.to_ascii_lowercase(), value.trim().to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{unfold, Mail};

    /// A report about SMTPUTF8 mail (RFC 6533) with the returned part given.
    fn global_report(returned: &str) -> Vec<u8> {
        format!(
            "From: MAILER-DAEMON@mx.example\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\
\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfailed\r\n\
--b\r\nContent-Type: message/global-delivery-status\r\n\r\n\
Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: utf-8; \u{fc}ser@example.org\r\n\
Action: failed\r\nStatus: 5.1.1\r\n\r\n\
--b\r\n{returned}\r\n--b--\r\n"
        )
        .into_bytes()
    }

    fn original_message_id(raw: &[u8]) -> Option<String> {
        let mail = Mail::parse(raw).expect("parses");
        mail.original
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("message-id"))
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn global_headers_part_gives_the_returned_header() {
        // RFC 6533 section 6.3: message/global-headers is text/rfc822-headers in UTF-8
        let raw = global_report(
            "Content-Type: message/global-headers\r\n\r\n\
To: <\u{fc}ser@example.org>\r\nMessage-ID: <m1@example.net>\r\nSubject: x\r\n",
        );
        assert_eq!(
            original_message_id(&raw).as_deref(),
            Some("<m1@example.net>")
        );
    }

    #[test]
    fn global_message_part_gives_the_returned_header() {
        // RFC 6533 section 3: the whole returned message as message/global
        let raw = global_report(
            "Content-Type: message/global\r\n\r\n\
To: <\u{fc}ser@example.org>\r\nMessage-ID: <m2@example.net>\r\nSubject: x\r\n\r\nbody\r\n",
        );
        assert_eq!(
            original_message_id(&raw).as_deref(),
            Some("<m2@example.net>")
        );
    }

    /// The plain definition `unfold` must agree with.
    fn unfold_reference(v: &str) -> String {
        let mut out = String::new();
        for (i, line) in v.lines().enumerate() {
            if i > 0 {
                out.push(' ');
                out.push_str(line.trim_start());
            } else {
                out.push_str(line);
            }
        }
        out.trim().to_string()
    }

    #[test]
    fn unfold_agrees_with_its_definition() {
        let cases = [
            "",
            "\n",
            "\r\n",
            "\n\n",
            "a",
            " a \t",
            "a\n",
            "a\r\n",
            "a\r",
            "a\rb\n c",
            "a\n\n",
            "from x\r\n\tby y\r\n  id z\r\n",
            "  lead\n\u{a0}nbsp\n\u{2003}em \u{3000}\n",
            "ä\nö\r\nü\r",
            "\r\n\r\n x",
            "x\n \n y",
        ];
        for c in cases {
            assert_eq!(unfold(c), unfold_reference(c), "{c:?}");
        }
    }
}
