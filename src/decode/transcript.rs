//! Lines of an SMTP transcript quoted in a plain-text notice: the `RCPT TO:` command that
//! names an address, and the reply that answered it (Sendmail's `<<< 550`, MDaemon's
//! time-stamped `<-- 550`, hMailServer's `Remote server replied: 550`).

use super::{address, family::common, listed::MAX_LABEL_WORDS, text::find_ci};

/// The address of an SMTP `RCPT TO:` command quoted in a transcript line.
pub(crate) fn rcpt_command(line: &str) -> Option<String> {
    let at = find_ci(line, "rcpt to:")?;
    let rest = line.get(at + "rcpt to:".len()..)?;
    address::all_in(rest).into_iter().next()
}

/// The reply code a transcript line quotes (`<<< 550 ...`, `Remote server replied: 550`,
/// MDaemon's session log `Mon 2024-01-01 09:00:00: <-- 550 ...` after a time stamp).
pub(crate) fn reply_code(line: &str) -> Option<String> {
    let t = match line.find("<-- ") {
        Some(at) => line.get(at + "<-- ".len()..).unwrap_or(""),
        None => line.trim_start_matches('<'),
    }
    .trim_start();
    common::leading_reply(t).or_else(|| {
        let (label, rest) = t.split_once(':')?;
        (label.split_whitespace().count() <= MAX_LABEL_WORDS && !label.contains('@'))
            .then(|| common::leading_reply(rest))
            .flatten()
    })
}
