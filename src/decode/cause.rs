//! Where a plain-text notice writes the cause of one recipient's failure: the report is
//! the text before the returned copy of the message (only a real copy mark cuts it; the
//! report's own headings, such as Sendmail's "Transcript of session follows", are where
//! the cause is written), and the cause is the paragraph that names the recipient, widened
//! to the next paragraphs, then to the whole report, until it carries wording that names
//! a cause or a status code.

use super::{reason, status, text::find_ci};

/// Lines that start the returned copy of the message (case-insensitive). Only copy marks:
/// the report's section headings are not among them.
const COPY_MARKS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "------ a copy of the message",
    "----- original message -----",
    "------ original message ------",
    "---- original message ----",
    "--- original message follows",
    "original message follows",
    // Sendmail's copy of the headers only (RET=HDRS, or a body too large to return)
    "----- message header follows",
    "----- unsent message follows -----",
    "------ unsent message follows ------",
    "--- message follows ---",
    "message text follows:",
    "here is your returned mail",
    "returned mail follows",
    "------ the message's headers follow",
    "--- the header of the original message is following",
    "---------- forwarded message ----------",
    "content-type: message/rfc822",
    "\nreturn-path: <",
    "\nreceived: from ",
];

/// How far the diagnostic may widen, in paragraphs after the recipient's.
const MAX_EXTRA_PARAGRAPHS: usize = 3;
/// The longest diagnostic taken from the whole report, in bytes.
pub(crate) const MAX_REPORT: usize = 1500;

/// The report: the text before the first copy mark that is not at its very start.
pub(crate) fn report_text(text: &str) -> &str {
    let cut = COPY_MARKS
        .iter()
        .filter_map(|m| find_ci(text, m))
        .filter(|&i| i > 0)
        .min()
        .unwrap_or(text.len());
    text.get(..cut).unwrap_or(text)
}

/// Whether a text names a cause the reason rules can read: a phrase or a status code.
pub(crate) fn names_a_cause(text: &str) -> bool {
    !reason::scan(text).is_empty() || status::find_status(text).is_some()
}

/// The paragraphs of `text` (split at blank lines), with their byte offsets.
pub(crate) fn paragraphs(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if let Some(p) = text.get(start..at) {
                if !p.trim().is_empty() {
                    out.push((start, p));
                }
            }
            start = at + line.len();
        }
        at += line.len();
    }
    if let Some(p) = text.get(start..) {
        if !p.trim().is_empty() {
            out.push((start, p));
        }
    }
    out
}

/// The words about `rcpt` in a message's human-readable text (before the returned copy):
/// its paragraph, widened to the next ones while it names no cause; `None` when they name
/// none.
pub(crate) fn cause_near(text: &str, rcpt: &str) -> Option<String> {
    let report = report_text(text);
    let paras = paragraphs(report);
    let at = find_ci(report, rcpt)?;
    let i = paras
        .iter()
        .position(|(s, p)| at >= *s && at < s + p.len())?;
    cause_from(paras.iter().skip(i).map(|(_, p)| *p))
}

/// The cause read from the paragraph at the address and up to `MAX_EXTRA_PARAGRAPHS` after.
fn cause_from<'a>(paras: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut diag = String::new();
    for p in paras.take(1 + MAX_EXTRA_PARAGRAPHS) {
        if !diag.is_empty() {
            diag.push(' ');
        }
        diag.push_str(clip(p, MAX_REPORT));
        if names_a_cause(&diag) {
            return Some(super::draft::squeeze(&diag));
        }
    }
    None
}

/// [`cause_near`] for many recipients of one message: the report's paragraphs found once
/// and the first place of every recipient found in one pass (Aho-Corasick), so a report
/// of 4,000 records without a diagnostic costs one read of its text, not 4,000 (89 s).
#[derive(Debug, Clone, Default)]
pub(crate) struct CauseIndex {
    /// The paragraphs of the report part: byte offset and length, in order.
    paras: Vec<(usize, usize)>,
    /// Each recipient (ASCII lower case) and where it first appears in the report.
    first_at: std::collections::HashMap<String, Option<usize>>,
}

impl CauseIndex {
    pub(crate) fn new(text: &str, recipients: &[String]) -> CauseIndex {
        let report = report_text(text);
        let paras = paragraphs(report)
            .into_iter()
            .map(|(s, p)| (s, p.len()))
            .collect();
        let mut first_at: std::collections::HashMap<String, Option<usize>> = recipients
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| (r.to_ascii_lowercase(), None))
            .collect();
        let keys: Vec<String> = first_at.keys().cloned().collect();
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&keys);
        if let Ok(ac) = automaton {
            for m in ac.find_overlapping_iter(report) {
                if let Some(slot) = first_at.get_mut(&keys[m.pattern().as_usize()]) {
                    if slot.is_none_or(|at| m.start() < at) {
                        *slot = Some(m.start());
                    }
                }
            }
        } else {
            // an automaton too large to build: search for each as `cause_near` does
            for (k, slot) in first_at.iter_mut() {
                *slot = find_ci(report, k);
            }
        }
        CauseIndex { paras, first_at }
    }

    /// What [`cause_near`] gives for `rcpt` in `text` (the text this index was made of).
    pub(crate) fn cause_near(&self, text: &str, rcpt: &str) -> Option<String> {
        let at = match self.first_at.get(&rcpt.to_ascii_lowercase()) {
            Some(found) => (*found)?,
            None => return cause_near(text, rcpt),
        };
        // the last paragraph starting at or before `at`, if `at` is inside it
        let i = self
            .paras
            .partition_point(|&(s, _)| s <= at)
            .checked_sub(1)?;
        let (s, len) = self.paras[i];
        if at >= s + len {
            return None;
        }
        cause_from(
            self.paras[i..]
                .iter()
                .filter_map(|&(s, len)| text.get(s..s + len)),
        )
    }
}

/// The diagnostic for `rcpt`: its paragraph, widened while it names no cause; else the
/// report's start when that names one; else the paragraph alone.
pub(crate) fn diagnostic(report: &str, rcpt: &str) -> Option<String> {
    if let Some(d) = cause_near(report, rcpt) {
        return Some(d);
    }
    // The cause may stand before the address ("... does not exist: a@b"), or anywhere.
    let whole = super::draft::squeeze(clip(report, MAX_REPORT));
    if names_a_cause(&whole) {
        return Some(whole);
    }
    let at = find_ci(report, rcpt)?;
    paragraphs(report)
        .into_iter()
        .find(|(s, p)| at >= *s && at < s + p.len())
        .map(|(_, p)| super::draft::squeeze(clip(p, MAX_REPORT)))
}

/// At most `n` bytes of `s`, cut at a character boundary: a report without blank lines
/// can be megabytes long, a diagnostic is read from its start.
pub(crate) fn clip(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}
