//! The message template: an RFC 5322 file whose `{{field}}` placeholders are filled from
//! the recipient's CSV row, and the headers every sent copy carries (Message-ID, Date,
//! MIME headers when the template has none, our X-headers for correlation). The header
//! block is checked when the template is loaded (see [`super::checks`]), before anything
//! is sent; non-ASCII header text is RFC 2047 encoded in each copy.

use super::checks;
use std::path::Path;

/// A loaded template.
#[derive(Debug, Clone)]
pub struct Template {
    /// Header lines (unfolded groups kept as written), without the ones we set ourselves.
    headers: Vec<String>,
    body: String,
    /// The template has no MIME headers: each copy gets MIME-Version and a text/plain
    /// UTF-8 Content-Type, its body quoted-printable when it is not 7-bit-safe.
    add_mime: bool,
    /// The From address (its first mailbox), for the DMARC alignment warning.
    pub from: Option<String>,
    /// Placeholder names used anywhere in the message.
    pub fields: Vec<String>,
    /// SHA-256 of the file, hex: a campaign is tied to one message.
    pub sha256: String,
}

/// Why a template cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read message '{path}': {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("message '{path}' is not an RFC 5322 message: {why}")]
    Invalid { path: String, why: String },
}

/// Headers the sender sets per copy; a template's own are dropped.
const OURS: &[&str] = &[
    "message-id",
    "date",
    "to",
    "x-rebound-campaign",
    "x-rebound-recipient",
];

impl Template {
    /// Loads and checks a template: a header block (with a Subject), a blank line, a body.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| TemplateError::Read {
            path: shown.clone(),
            source,
        })?;
        let invalid = |why: &str| TemplateError::Invalid {
            path: shown.clone(),
            why: why.to_string(),
        };
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| invalid("not UTF-8 text (encode 8-bit content with MIME first)"))?;
        let text = text.replace("\r\n", "\n");
        let (head, body) = text
            .split_once("\n\n")
            .ok_or_else(|| invalid("no blank line between the headers and the body"))?;
        let mut headers: Vec<String> = Vec::new();
        for (i, line) in head.lines().enumerate() {
            if line.starts_with([' ', '\t']) {
                match headers.last_mut() {
                    Some(h) => {
                        h.push('\n');
                        h.push_str(line);
                    }
                    None => return Err(invalid("the first line is a continuation line")),
                }
                continue;
            }
            let Some((name, _)) = line.split_once(':') else {
                return Err(invalid(&format!(
                    "header line {} has no colon: '{line}'",
                    i + 1
                )));
            };
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(invalid(&format!(
                    "header line {} has no valid name: '{line}'",
                    i + 1
                )));
            }
            headers.push(line.to_string());
        }
        let has = |n: &str| {
            headers.iter().any(|h| {
                h.split(':')
                    .next()
                    .is_some_and(|x| x.eq_ignore_ascii_case(n))
            })
        };
        checks::check_headers(&headers).map_err(|why| invalid(&why))?;
        if !has("subject") {
            return Err(invalid("no Subject header"));
        }
        let add_mime = !["mime-version", "content-type", "content-transfer-encoding"]
            .iter()
            .any(|n| has(n));
        if !add_mime {
            // the template's own MIME structure is sent as it is: its lines must fit
            if let Some((i, l)) = body
                .lines()
                .enumerate()
                .find(|(_, l)| l.len() > checks::MAX_LINE)
            {
                return Err(invalid(&format!(
                    "body line {} has {} octets (RFC 5322 section 2.1.1 allows {}; without MIME headers of its own the body would be quoted-printable encoded)",
                    i + 1,
                    l.len(),
                    checks::MAX_LINE
                )));
            }
        }
        let from = headers.iter().find_map(|h| {
            let (name, value) = h.split_once(':')?;
            name.eq_ignore_ascii_case("from")
                .then(|| checks::from_address(value))?
        });
        headers.retain(|h| {
            let name = h.split(':').next().unwrap_or("").to_ascii_lowercase();
            !OURS.contains(&name.as_str())
        });
        let mut fields = Vec::new();
        for part in text.split("{{").skip(1) {
            if let Some((name, _)) = part.split_once("}}") {
                let name = name.trim().to_string();
                if !fields.contains(&name) {
                    fields.push(name);
                }
            }
        }
        Ok(Template {
            headers,
            body: body.to_string(),
            add_mime,
            from,
            fields,
            sha256: sha256_hex(&bytes),
        })
    }

    /// The copy for one recipient, CRLF line endings, ready for DATA.
    pub fn render(
        &self,
        fields: &serde_json::Map<String, serde_json::Value>,
        to: &str,
        message_id: &str,
        campaign: &str,
        recipient_id: i64,
        date: &str,
    ) -> Vec<u8> {
        let value = |name: &str, in_header: bool| -> String {
            let v = fields
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            if in_header {
                // a value must not open a new header line (header injection)
                v.replace(['\r', '\n'], " ")
            } else {
                v.replace("\r\n", "\n")
            }
        };
        let fill = |text: &str, in_header: bool| -> String {
            let mut out = String::with_capacity(text.len());
            let mut rest = text;
            while let Some(start) = rest.find("{{") {
                out.push_str(&rest[..start]);
                match rest[start + 2..].find("}}") {
                    Some(end) => {
                        let name = rest[start + 2..start + 2 + end].trim();
                        out.push_str(&value(name, in_header));
                        rest = &rest[start + 2 + end + 2..];
                    }
                    None => {
                        out.push_str(&rest[start..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
            out
        };
        let filled: Vec<String> = self.headers.iter().map(|h| fill(h, true)).collect();
        let mut body = fill(&self.body, false);
        if !body.ends_with('\n') {
            body.push('\n');
        }
        let mut mime = Vec::new();
        if self.add_mime {
            let plain = body.is_ascii() && body.lines().all(|l| l.len() <= checks::MAX_LINE);
            mime.push("MIME-Version: 1.0".to_string());
            mime.push("Content-Type: text/plain; charset=utf-8".to_string());
            if plain {
                mime.push("Content-Transfer-Encoding: 7bit".to_string());
            } else {
                mime.push("Content-Transfer-Encoding: quoted-printable".to_string());
                body = checks::quoted_printable(&body);
            }
        }
        let copy = CopyHeaders {
            message_id,
            date,
            to,
            campaign,
            recipient_id,
        };
        let mut msg = header_block(&copy, &filled, &mime);
        msg.push('\n');
        msg.push_str(&body);
        msg.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
    }
}

/// What differs from copy to copy in the header block.
pub struct CopyHeaders<'a> {
    pub message_id: &'a str,
    pub date: &'a str,
    /// The recipient as written on the wire.
    pub to: &'a str,
    pub campaign: &'a str,
    pub recipient_id: i64,
}

/// The header block of one copy (LF line ends, no blank line): ours first (Message-ID,
/// Date, To), then the template's fields with their placeholders filled (`template`),
/// then the MIME fields (`mime`, when the template had none), then our X-headers. Every
/// field is RFC 2047 encoded where it carries non-ASCII text. A header every copy
/// should carry is added here.
pub fn header_block(c: &CopyHeaders, template: &[String], mime: &[String]) -> String {
    let mut fields: Vec<String> = vec![
        format!("Message-ID: <{}>", c.message_id),
        format!("Date: {}", c.date),
        // the address as it goes on the wire (UTF-8 only when sent with SMTPUTF8)
        format!("To: {}", c.to),
    ];
    fields.extend(template.iter().cloned());
    fields.extend(mime.iter().cloned());
    fields.push(format!(
        "X-Rebound-Campaign: {}",
        c.campaign.replace(['\r', '\n'], " ")
    ));
    fields.push(format!("X-Rebound-Recipient: {}", c.recipient_id));
    let mut out = String::with_capacity(fields.iter().map(|f| f.len() + 2).sum());
    for f in &fields {
        if f.starts_with("To: ") {
            out.push_str(f); // an address: raw UTF-8 is right with SMTPUTF8 (RFC 6532)
        } else {
            out.push_str(&checks::encode_field(f));
        }
        out.push('\n');
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RFC 5322 date for `now` in UTC, e.g. `Sat, 28 Nov 2026 12:00:00 +0000`.
pub fn rfc5322_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc5322_date(secs)
}

/// An RFC 5322 date for a Unix time, in UTC.
pub fn rfc5322_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // civil date from days since 1970-01-01 (H. Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let wd = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d} {} {y} {h:02}:{m:02}:{s:02} +0000",
        DAYS[wd as usize],
        MONTHS[(mo - 1) as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_795_867_200),
            "Sat, 28 Nov 2026 12:00:00 +0000"
        );
    }

    #[test]
    fn renders_fields_and_our_headers() {
        let dir = std::env::temp_dir().join(format!("rebound-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("m.eml");
        std::fs::write(&p, "From: News <news@list.example>\nTo: old@x\nSubject: Hi {{first_name}}\nMessage-ID: <old@x>\n\nDear {{first_name}},\n.\nbye\n").unwrap();
        let t = Template::load(&p).unwrap();
        assert_eq!(t.fields, vec!["first_name".to_string()]);
        let mut f = serde_json::Map::new();
        f.insert("first_name".into(), "Ann\r\nBcc: evil@x".into());
        let out =
            String::from_utf8(t.render(&f, "ann@example.org", "id1@list.example", "nov", 7, "D"))
                .unwrap();
        assert!(
            out.starts_with("Message-ID: <id1@list.example>\r\nDate: D\r\nTo: ann@example.org\r\n")
        );
        assert!(out.contains("Subject: Hi Ann  Bcc: evil@x\r\n"), "{out}");
        assert!(out.contains("X-Rebound-Recipient: 7\r\n"));
        assert!(out.contains("Dear Ann\r\nBcc: evil@x,\r\n"));
        assert!(!out.contains("old@x"));
        std::fs::write(&p, "just some text without headers").unwrap();
        assert!(Template::load(&p).is_err());
    }

    fn load(name: &str, text: &str) -> Result<Template, TemplateError> {
        let dir = std::env::temp_dir().join(format!("rebound-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        Template::load(&p)
    }

    fn render(t: &Template) -> String {
        let f = serde_json::Map::new();
        String::from_utf8(t.render(&f, "a@x.example", "id@x", "c", 1, "D")).unwrap()
    }

    #[test]
    fn mime_headers_are_added_only_when_the_template_has_none() {
        let t = load(
            "plain.eml",
            "From: a@list.example\nSubject: caf\u{e9}\n\nna\u{ef}ve\n",
        )
        .unwrap();
        assert_eq!(t.from.as_deref(), Some("a@list.example"));
        let out = render(&t);
        assert!(out.contains("Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"), "{out}");
        assert!(out.contains("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"), "{out}");
        assert!(out.ends_with("\r\n\r\nna=C3=AFve\r\n"), "{out}");
        let ascii = render(&load("ascii.eml", "From: a@l.example\nSubject: s\n\nplain\n").unwrap());
        assert!(
            ascii.contains("Content-Transfer-Encoding: 7bit\r\n"),
            "{ascii}"
        );

        let own = "From: a@l.example\nSubject: s\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>caf\u{e9}</p>\n";
        let out = render(&load("own.eml", own).unwrap());
        assert_eq!(out.matches("MIME-Version").count(), 1, "{out}");
        assert!(out.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(out.ends_with("\r\n\r\n<p>caf\u{e9}</p>\r\n"), "{out}");

        let long = format!("{own}{}\n", "x".repeat(1200));
        let e = load("long.eml", &long).unwrap_err().to_string();
        assert!(e.contains("body line 2 has 1200 octets"), "{e}");
        // without MIME headers of its own the same line is sent quoted-printable
        let long = format!("From: a@l.example\nSubject: s\n\n{}\n", "x".repeat(1200));
        let out = render(&load("long2.eml", &long).unwrap());
        assert!(out.split("\r\n").all(|l| l.len() <= 998));
        assert!(out.contains("quoted-printable"));
    }
}
