//! Splitting what a file holds into messages while reading it: an mbox (RFC 4155) at its
//! `From ` lines, anything else as one message, never more than one message of at most
//! the limit + 1 bytes in memory.

use super::RawMessage;
use std::io::{BufRead, BufReader, Read};

/// Appends one line (through its `\n`) to `buf`, keeping at most `max` bytes of it, and
/// returns the line's whole length (0 at the end of the input).
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(total);
        }
        let (n, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let keep = n.min(max.saturating_sub(total));
        buf.extend_from_slice(&avail[..keep]);
        r.consume(n);
        total += n;
        if done {
            return Ok(total);
        }
    }
}

/// Splits `input` into messages (an mbox at its `From ` lines, else one message) without
/// holding more than one message of at most `limit` + 1 bytes; a plain message is read
/// no further than `limit` + 1 bytes.
pub(super) fn read_messages(
    mut input: impl Read,
    name: &str,
    limit: usize,
    each: &mut dyn FnMut(RawMessage),
) -> std::io::Result<()> {
    // The first two lines tell an mbox (within the first 64 KiB).
    let mut head = Vec::new();
    (&mut input)
        .take((limit + 1).min(1 << 16) as u64)
        .read_to_end(&mut head)?;
    if !is_mbox(&head) {
        let room = (limit + 1).saturating_sub(head.len());
        input.take(room as u64).read_to_end(&mut head)?;
        let truncated = head.len() > limit;
        head.truncate(limit);
        each(RawMessage {
            name: name.to_string(),
            bytes: head,
            truncated,
        });
        return Ok(());
    }
    // An mbox (RFC 4155): its first line, and then each line the decoder's one rule
    // (`decode::mbox_separator`) calls a separator, start the next message; `>From `
    // quoting is undone. The rule looks one line ahead.
    let mut r = BufReader::with_capacity(1 << 16, std::io::Cursor::new(head).chain(input));
    let mut split = MboxSplit {
        name,
        limit,
        cur: Vec::new(),
        truncated: false,
        count: 0,
        each,
    };
    let (mut prev, mut line, mut next) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = read_line(&mut r, &mut line, limit + 1)?;
    let mut first = true;
    while n > 0 {
        next.clear();
        let next_n = read_line(&mut r, &mut next, limit + 1)?;
        if first || crate::decode::mbox_separator(&prev, &line, &next) {
            split.emit();
        } else {
            let body = if line.starts_with(b">From ") {
                &line[1..]
            } else {
                &line[..]
            };
            split.push(body);
            // a line longer than a whole message was cut by `read_line`
            split.truncated |= n > line.len();
        }
        first = false;
        // prev <- line <- next (the old prev's buffer is reused for the next read)
        std::mem::swap(&mut prev, &mut line);
        std::mem::swap(&mut line, &mut next);
        n = next_n;
    }
    split.emit();
    Ok(())
}

/// The message an mbox reader is filling.
struct MboxSplit<'a> {
    name: &'a str,
    limit: usize,
    cur: Vec<u8>,
    truncated: bool,
    count: usize,
    each: &'a mut dyn FnMut(RawMessage),
}

impl MboxSplit<'_> {
    fn push(&mut self, line: &[u8]) {
        let room = self.limit.saturating_sub(self.cur.len());
        if line.len() > room {
            self.truncated = true;
        }
        self.cur.extend_from_slice(&line[..line.len().min(room)]);
    }

    fn emit(&mut self) {
        let bytes = std::mem::take(&mut self.cur);
        let truncated = std::mem::take(&mut self.truncated);
        if bytes.is_empty() {
            return;
        }
        self.count += 1;
        (self.each)(RawMessage {
            name: format!("{}#{}", self.name, self.count),
            bytes,
            truncated,
        });
    }
}

/// An mbox starts with a `From ` separator line (RFC 4155) followed by a header line: a
/// mailbox, not a message beginning with an odd first line.
fn is_mbox(head: &[u8]) -> bool {
    let mut lines = head.split_inclusive(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let second = lines.next().unwrap_or_default();
    first.starts_with(b"From ")
        && first.ends_with(b"\n")
        && second
            .iter()
            .take_while(|&&b| b != b'\n')
            .any(|&b| b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(input: &[u8], limit: usize) -> Vec<RawMessage> {
        let mut out = Vec::new();
        read_messages(input, "box", limit, &mut |m| out.push(m)).unwrap();
        out
    }

    #[test]
    fn a_body_paragraph_starting_with_from_does_not_split() {
        let mbox = b"From a@b Sat Jan  1 00:00:00 2000\nSubject: one\n\nFrom the desk of Ann: hello\nbye\n\nFrom c@d Sat Jan  1 00:00:00 2000\nSubject: two\n\nx\n";
        let m = messages(mbox, 1000);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(
            m[0].bytes,
            b"Subject: one\n\nFrom the desk of Ann: hello\nbye\n\n".to_vec()
        );
        // the rule both readers use
        assert!(!crate::decode::mbox_separator(
            b"\n",
            b"From the desk of Ann: hello\n",
            b"bye\n"
        ));
        assert!(crate::decode::mbox_separator(
            b"\n",
            b"From c@d Sat Jan  1 00:00:00 2000\n",
            b"Subject: two\n"
        ));
    }

    #[test]
    fn splits_mbox() {
        let mbox = b"From a@b Sat Jan  1 00:00:00 2000\nSubject: one\n\nbody\n>From here\n\nFrom c@d Sat Jan  1 00:00:00 2000\nSubject: two\n\nx\n";
        let m = messages(mbox, 1 << 20);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "box#1");
        assert_eq!(m[0].bytes, b"Subject: one\n\nbody\nFrom here\n\n");
        assert_eq!(m[1].bytes, b"Subject: two\n\nx\n");
        assert!(!m[0].truncated && !m[1].truncated);
    }

    #[test]
    fn a_message_is_not_an_mbox() {
        let m = messages(b"Subject: x\n\nFrom here", 100);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].name, "box");
        assert_eq!(m[0].bytes, b"Subject: x\n\nFrom here");
        let m = messages(b"From the desk of Ann\nno header here\n", 100);
        assert_eq!(m.len(), 1, "an odd first line is not an mbox");
    }

    /// A reader that counts what was taken from it, to prove the cap on reading.
    struct Counted<R>(R, std::rc::Rc<std::cell::Cell<usize>>);
    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }

    /// Over-long messages, with and without line ends, in a file and in an mbox: each is
    /// cut at the limit and marked, the others are whole, and a plain file is read no
    /// further than the limit + 1 byte.
    #[test]
    fn long_messages_are_cut_marked_and_not_read_whole() {
        for limit in [10usize, 100, 1000] {
            for body in [vec![b'x'; limit * 50], b"line\n".repeat(limit * 10)] {
                let taken = std::rc::Rc::new(std::cell::Cell::new(0));
                let mut input = b"Subject: big\n\n".to_vec();
                input.extend_from_slice(&body);
                let mut out = Vec::new();
                read_messages(Counted(&input[..], taken.clone()), "f", limit, &mut |m| {
                    out.push(m)
                })
                .unwrap();
                assert_eq!(out.len(), 1);
                assert!(out[0].truncated);
                assert_eq!(out[0].bytes, input[..limit]);
                assert!(taken.get() <= limit + 1, "read {}", taken.get());

                let mut mbox =
                    b"From a Sat Jan  1 00:00:00 2000\nSubject: small\n\nok\n\n".to_vec();
                mbox.extend_from_slice(b"From b Sat Jan  1 00:00:00 2000\n");
                mbox.extend_from_slice(&input);
                mbox.extend_from_slice(b"\n\nFrom c Sat Jan  1 00:00:00 2000\nSubject: after\n\n");
                let m = messages(&mbox, limit.max(200));
                assert_eq!(m.len(), 3, "limit {limit}");
                assert!(!m[0].truncated && m[1].truncated && !m[2].truncated);
                assert_eq!(m[1].bytes.len(), limit.max(200));
                assert_eq!(m[2].bytes, b"Subject: after\n\n");
            }
        }
    }

    #[test]
    fn a_message_of_exactly_the_limit_is_whole() {
        let m = messages(b"Subject: x\n\n12345", 17);
        assert_eq!(m[0].bytes.len(), 17);
        assert!(!m[0].truncated);
    }
}
