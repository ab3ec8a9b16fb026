//! What the human-readable part of a delivery report says about its records: the error
//! text for a record without `Diagnostic-Code`, and the address for a record whose
//! recipient lost its local part.
//!
//! Read once per message and indexed (by recipient, by domain), so a report of many
//! records costs one pass over its text, not one per record: asked per record over the
//! whole text, 4,000 records with 0.8 MB of notes took 15.8 s.

use super::{address, Draft, Mail};
use std::cell::OnceCell;
use std::collections::HashMap;

/// The notes of one report and what has been read from them so far.
pub(crate) struct Notes<'a> {
    text: &'a str,
    mail: &'a Mail,
    /// The session transcript's lines, trimmed ("Transcript of session follows").
    lines: OnceCell<Vec<&'a str>>,
    /// For each `<address>...` in the transcript (lower case): its first line and offset.
    by_recipient: OnceCell<HashMap<String, (usize, usize)>>,
    /// The error text that is not about one recipient (steps 2-4 of `diagnostic`).
    general: OnceCell<Option<String>>,
    /// The addresses the notes name (mailer daemons left out), indexed by domain.
    candidates: OnceCell<Candidates>,
    /// The addresses of the returned message's `To:`.
    to: OnceCell<Vec<String>>,
}

/// Addresses in order of appearance, with the first one for each domain and for each
/// parent domain.
#[derive(Default)]
struct Candidates {
    list: Vec<String>,
    /// Domain (lower case) -> first index.
    exact: HashMap<String, usize>,
    /// A proper parent domain (`b.c` of `a.b.c`) -> first index of an address under it.
    under: HashMap<String, usize>,
}

/// The proper parent domains of `host`: `b.c`, `c` for `a.b.c`.
fn parents(host: &str) -> impl Iterator<Item = &str> {
    host.match_indices('.').map(move |(i, _)| &host[i + 1..])
}

impl<'a> Notes<'a> {
    pub fn new(text: &'a str, mail: &'a Mail) -> Notes<'a> {
        Notes {
            text,
            mail,
            lines: OnceCell::new(),
            by_recipient: OnceCell::new(),
            general: OnceCell::new(),
            candidates: OnceCell::new(),
            to: OnceCell::new(),
        }
    }

    fn lines(&self) -> &[&'a str] {
        self.lines.get_or_init(|| {
            let text = self.text;
            let transcript = find_ascii_ci(text, "transcript of session follows")
                .and_then(|i| text.get(i..))
                .map(|t| t.split_once('\n').map_or("", |(_, rest)| rest))
                .unwrap_or("");
            transcript.lines().map(str::trim).collect()
        })
    }

    fn by_recipient(&self) -> &HashMap<String, (usize, usize)> {
        self.by_recipient.get_or_init(|| {
            let mut index = HashMap::new();
            for (n, line) in self.lines().iter().enumerate() {
                let bytes = line.as_bytes();
                // the next '>' at or after each position, found in one backward pass
                let mut next_close = vec![usize::MAX; bytes.len() + 1];
                for i in (0..bytes.len()).rev() {
                    next_close[i] = if bytes[i] == b'>' {
                        i
                    } else {
                        next_close[i + 1]
                    };
                }
                for (at, _) in line.match_indices('<') {
                    let close = next_close[at + 1];
                    if close == usize::MAX || !line[close + 1..].starts_with("...") {
                        continue;
                    }
                    let key = line[at + 1..close].to_ascii_lowercase();
                    index.entry(key).or_insert((n, at));
                }
            }
            index
        })
    }

    /// The error text the notes give for `recipient` (a record without `Diagnostic-Code`):
    /// Sendmail's transcript, a `(reason: ...)` line, the first reply line of the session.
    pub fn diagnostic(&self, recipient: Option<&str>) -> Option<String> {
        // 1. "<rcpt>... text" (or "550 5.1.2 <rcpt>... text") and its continuation lines.
        if let Some(r) = recipient.map(str::to_ascii_lowercase) {
            if let Some(&(i, at)) = self.by_recipient().get(&r) {
                let lines = self.lines();
                let line = lines[i];
                let head = if at == 0 {
                    line.get(r.len() + "<>...".len()..).unwrap_or("").trim()
                } else {
                    line
                };
                let mut out = head.to_string();
                for next in lines.iter().skip(i + 1) {
                    if next.is_empty()
                        || next.starts_with(['<', '>', '-'])
                        || next.starts_with("...")
                    {
                        break;
                    }
                    out.push(' ');
                    out.push_str(next);
                }
                return Some(out);
            }
        }
        self.general
            .get_or_init(|| self.general_diagnostic())
            .clone()
    }

    fn general_diagnostic(&self) -> Option<String> {
        // 2. "(reason: 550 ...)" under the address in the list of failed recipients.
        if let Some(i) = find_ascii_ci(self.text, "(reason:") {
            let rest = self.text.get(i + "(reason:".len()..).unwrap_or("");
            let text = rest
                .split(['\n'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches(')');
            if !text.is_empty() {
                return Some(text.to_string());
            }
        }
        let lines = self.lines();
        // 3. The remote server's first error reply in the transcript ("<<< 552-5.7.0 ...").
        let replies: Vec<&str> = lines
            .iter()
            .skip_while(|l| {
                !is_error_reply(l.trim_start_matches("<<<").trim()) || !l.starts_with("<<<")
            })
            .take_while(|l| l.starts_with("<<<"))
            .map(|l| l.trim_start_matches("<<<").trim())
            .collect();
        if !replies.is_empty() {
            return Some(replies.join(" "));
        }
        // 4. The first error reply line of the transcript.
        lines
            .iter()
            .find(|l| is_error_reply(l))
            .map(|l| l.to_string())
    }

    fn candidates(&self) -> &Candidates {
        self.candidates.get_or_init(|| {
            let mut c = Candidates::default();
            for a in address::all_in(self.text) {
                if address::is_mailer_daemon(&a) {
                    continue;
                }
                let i = c.list.len();
                let dom = a
                    .rsplit_once('@')
                    .map(|(_, x)| x.to_ascii_lowercase())
                    .unwrap_or_default();
                for p in parents(&dom) {
                    c.under.entry(p.to_string()).or_insert(i);
                }
                c.exact.entry(dom).or_insert(i);
                c.list.push(a);
            }
            c
        })
    }

    /// Replaces a recipient without a local part by the address the notes or the
    /// returned message name: the first one in the same domain (or a parent or child
    /// domain of it), else the single `To:` address.
    pub fn repair_recipient(&self, d: &mut Draft) {
        if !is_broken(d.recipient.as_deref()) {
            return;
        }
        if !is_broken(d.original_recipient.as_deref()) {
            d.recipient = d.original_recipient.clone();
            return;
        }
        let host = d
            .recipient
            .as_deref()
            .and_then(|r| r.rsplit_once('@'))
            .map(|(_, h)| h.to_ascii_lowercase())
            .unwrap_or_default();
        if !host.is_empty() {
            let c = self.candidates();
            let first = parents(&host)
                .chain([host.as_str()])
                .filter_map(|d| c.exact.get(d))
                .chain(c.under.get(&host))
                .min();
            if let Some(&i) = first {
                d.recipient = Some(c.list[i].clone());
                return;
            }
        }
        let to = self.to.get_or_init(|| {
            self.mail
                .original_header("to")
                .map(address::all_in)
                .unwrap_or_default()
        });
        if to.len() == 1 {
            d.recipient = to.first().cloned();
        }
    }
}

/// Whether a recipient field gave something that is not a mailbox (`@mx.example.org`).
fn is_broken(recipient: Option<&str>) -> bool {
    match recipient.and_then(|r| r.rsplit_once('@')) {
        Some((local, domain)) => local.is_empty() || domain.is_empty(),
        None => true,
    }
}

/// The byte offset of the first ASCII case-insensitive match of `needle` (lower case).
fn find_ascii_ci(text: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    let first = n.first()?;
    memchr::memchr2_iter(*first, first.to_ascii_uppercase(), text.as_bytes()).find(|&i| {
        text.as_bytes()
            .get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

/// `550 ...`, `451-4.3.0 ...`: a 4xx/5xx SMTP reply line.
fn is_error_reply(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 4
        && matches!(b[0], b'4' | b'5')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && matches!(b[3], b' ' | b'-')
}
