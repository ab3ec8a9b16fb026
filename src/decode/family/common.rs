//! Helpers the family modules share: cutting off the returned message, finding the
//! paragraph about a recipient, splitting "<address>: text" blocks.

use crate::decode::{address, Draft};

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

/// The text before the returned message starts (all of it when no mark is found).
pub(crate) fn before_original(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    let mut cut = text.len();
    for m in ORIGINAL_MARKS {
        if let Some(i) = lower.find(m) {
            // a mark at the very start says nothing about where the report ends
            if i > 0 && i < cut {
                cut = i;
            }
        }
    }
    text.get(..cut).unwrap_or(text)
}

/// The text after the first of the given marks (case-insensitive), or `None`.
pub(crate) fn after_mark<'a>(text: &'a str, marks: &[&str]) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    marks
        .iter()
        .filter_map(|m| lower.find(&m.to_ascii_lowercase()).map(|i| (i, m.len())))
        .min()
        .and_then(|(i, len)| text.get(i + len..))
}

/// The paragraph (up to a blank line) that contains `needle`, squeezed to one line.
pub(crate) fn lines_near(text: &str, needle: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(&needle.to_ascii_lowercase())?;
    let start = text[..at].rfind("\n\n").map(|i| i + 2).unwrap_or(0);
    let end = text[at..]
        .find("\n\n")
        .map(|i| at + i)
        .unwrap_or(text.len());
    Some(crate::decode::draft::squeeze(&text[start..end]))
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
