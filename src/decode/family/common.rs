//! Helpers the family modules share: cutting off the returned message, finding the
//! paragraph about a recipient, splitting "<address>: text" blocks.

use crate::decode::reason::{reason_for_status, Reason};
use crate::decode::text::find_ci;
use crate::decode::{address, status, Draft, Mail};

/// Lines that start the returned copy of the message in text-only bounces.
const ORIGINAL_MARKS: &[&str] = &[
    "--- below this line is a copy of the message",
    "------ this is a copy of the message",
    "----- original message -----",
    "------ original message ------",
    "--- original message follows",
    "original message follows",
    "----- transcript of session follows",
    "content-type: message/rfc822",
    "------ the message's headers follow",
    "--- the header of the original message is following",
    "----- the following addresses had permanent fatal errors -----",
    "------ a copy of the message",
    "the original message was received at",
    "----- unsent message follows -----",
    "------ unsent message follows ------",
    "--- message follows ---",
    "---- original message ----",
    "---------- forwarded message ----------",
];

static ORIGINAL_AC: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            // a DFA: built once, then about one step per byte of text
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(ORIGINAL_MARKS)
            .expect("original-message marks automaton")
    });

/// The text before the returned message starts (all of it when no mark is found).
pub(crate) fn before_original(text: &str) -> &str {
    // a mark at the very start says nothing about where the report ends
    let cut = ORIGINAL_AC
        .find_iter(text)
        .map(|m| m.start())
        .find(|&i| i > 0)
        .unwrap_or(text.len());
    text.get(..cut).unwrap_or(text)
}

/// The text after the first of the given marks (case-insensitive), or `None`.
pub(crate) fn after_mark<'a>(text: &'a str, marks: &[&str]) -> Option<&'a str> {
    marks
        .iter()
        .filter_map(|m| find_ci(text, m).map(|i| (i, m.len())))
        .min()
        .and_then(|(i, len)| text.get(i + len..))
}

/// The first `n` non-empty lines, squeezed to one line.
pub(crate) fn squeeze_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect();
    crate::decode::draft::squeeze(&lines.join(" "))
}

/// Splits text into blocks that each begin with a line holding `<address>` (or a bare
/// address) followed by a colon, as qmail, Exim and others write them; the block's text is
/// what follows up to the next such line or a blank line after text.
pub(crate) fn address_blocks(text: &str) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(addr) = block_head(t) {
            if let Some((a, d)) = cur.take() {
                out.push(Draft::new(Some(a), Some(d)));
            }
            let rest = t.split_once(">:").map(|(_, r)| r).unwrap_or("");
            cur = Some((addr, rest.trim().to_string()));
            continue;
        }
        if let Some((_, d)) = cur.as_mut() {
            if t.is_empty() {
                if !d.is_empty() {
                    let (a, d) = cur.take().unwrap_or_default();
                    out.push(Draft::new(Some(a), Some(d)));
                }
                continue;
            }
            if !d.is_empty() {
                d.push(' ');
            }
            d.push_str(t);
        }
    }
    if let Some((a, d)) = cur.take() {
        out.push(Draft::new(Some(a), Some(d)));
    }
    out
}

/// Lines of the form `address: text` (OpenSMTPD, DragonFly and others write one failed
/// address per line so); the address may be in angle brackets.
pub(crate) fn address_colon_lines(text: &str) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let Some((head, rest)) = t.split_once(": ") else {
            continue;
        };
        let head = head.trim();
        if !head.contains('@') || head.contains(' ') {
            continue;
        }
        if let Some(addr) = address::clean(head) {
            out.push(Draft::new(Some(addr), Some(rest.trim().to_string())));
        }
    }
    out
}

/// A three-digit SMTP reply code (class 2, 4 or 5) at the start of the text, however it is
/// followed (`550:`, `550 `); `None` otherwise.
pub(crate) fn leading_reply(text: &str) -> Option<String> {
    let t = text.trim_start();
    let code = t.get(..3)?;
    let next = t.get(3..4).unwrap_or(" ");
    let ok = code.starts_with(['2', '4', '5'])
        && code.chars().all(|c| c.is_ascii_digit())
        && !next.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
    ok.then(|| code.to_string())
}

/// The first family rule whose phrase the text holds (phrases lower case).
pub(crate) fn rule_for<R: Copy>(
    text: &str,
    rules: &[(&'static str, R)],
) -> Option<(&'static str, R)> {
    let lower = text.to_ascii_lowercase();
    rules.iter().find(|(p, _)| lower.contains(p)).copied()
}

/// `<a@b>:` or `<a@b>: text` or `a@b:` at the start of a line gives the address.
fn block_head(t: &str) -> Option<String> {
    if let Some(rest) = t.strip_prefix('<') {
        let (addr, tail) = rest.split_once('>')?;
        if tail.starts_with(':') && addr.contains('@') && !addr.contains(' ') {
            return address::clean(addr);
        }
        return None;
    }
    let addr = t.strip_suffix(':')?;
    if addr.contains('@') && !addr.contains(' ') {
        return address::clean(addr);
    }
    None
}

/// Sets the reason of each draft that has none from a family's own (phrase, reason) table,
/// matched case-insensitively on the diagnostic; `family` names the rule in the evidence.
pub(crate) fn apply_rules(drafts: &mut [Draft], rules: &[(&str, Reason)], family: &str) {
    for d in drafts.iter_mut() {
        if d.reason.is_some() {
            continue;
        }
        let diag = d.diagnostic.as_deref().unwrap_or("").to_ascii_lowercase();
        if let Some((phrase, reason)) = rules.iter().find(|(p, _)| diag.contains(p)) {
            d.reason = Some(*reason);
            d.rule = Some(format!("{family} \"{phrase}\""));
        }
    }
}

/// The reason a specific status code in the text names (`5.2.2` → mailboxfull); `None` for
/// vague codes (`x.0.0`, detail 0) and codes the table does not know.
pub(crate) fn specific_status_reason(text: &str) -> Option<(String, Reason)> {
    let code = status::find_status(text)?;
    if code.ends_with(".0") {
        return None;
    }
    reason_for_status(&code).map(|r| (code, r))
}

/// The records of the message's delivery-status part with a family's own rules applied;
/// `None` when there is no such part.
pub(crate) fn dsn_with_rules(
    mail: &Mail,
    rules: &[(&str, Reason)],
    family: &str,
) -> Option<Vec<Draft>> {
    let mut drafts = crate::decode::dsn::parse(mail)?;
    apply_rules(&mut drafts, rules, family);
    Some(drafts)
}

/// The status code of the last reply quoted in angle brackets at the end of a diagnostic,
/// as Amazon writes it: `554 4.4.7 Message expired: unable to deliver in 840 minutes.<421
/// 4.4.2 Connection timed out>` gives `4.4.2`, the code of the remote's last answer.
pub(crate) fn last_quoted_status(diag: &str) -> Option<String> {
    let open = diag.rfind('<')?;
    let inner = diag.get(open + 1..)?.trim_end().strip_suffix('>')?;
    if inner.contains('@') {
        return None;
    }
    status::find_status(inner)
}

/// Whether any top-level header of that name contains the (lower-case) needle.
pub(crate) fn header_has(mail: &Mail, name: &str, needle: &str) -> bool {
    mail.headers_named(name)
        .any(|v| v.to_ascii_lowercase().contains(needle))
}

/// Whether any header of the message (name, lower case) starts with the prefix.
pub(crate) fn has_header_prefix(mail: &Mail, prefix: &str) -> bool {
    mail.headers.iter().any(|(n, _)| n.starts_with(prefix))
}

/// Builds one draft per address from lines of the text: `pick` returns the address a line
/// names (when it starts a record); the other non-empty lines until the next address line
/// are joined as the diagnostic.
pub(crate) fn line_records(text: &str, pick: impl Fn(&str) -> Option<String>) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    for line in text.lines() {
        if let Some(a) = pick(line) {
            out.push(Draft::new(Some(a), Some(String::new())));
            continue;
        }
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(d) = out.last_mut() {
            let diag = d.diagnostic.get_or_insert_with(String::new);
            if !diag.is_empty() {
                diag.push(' ');
            }
            diag.push_str(t);
        }
    }
    out
}

/// The first address in a line, cleaned.
pub(crate) fn address_in(line: &str) -> Option<String> {
    address::all_in(line).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_address_blocks() {
        let text =
            "intro\n\n<a@example.jp>:\n550 unknown user\n. (#5.5.0)\n\n<b@example.jp>: 552 full\n";
        let d = address_blocks(text);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].recipient.as_deref(), Some("a@example.jp"));
        assert_eq!(
            d[0].diagnostic.as_deref(),
            Some("550 unknown user . (#5.5.0)")
        );
        assert_eq!(d[1].diagnostic.as_deref(), Some("552 full"));
    }

    #[test]
    fn cuts_the_original() {
        let t = "report\n--- Below this line is a copy of the message.\nTo: x";
        assert_eq!(before_original(t), "report\n");
    }
}
