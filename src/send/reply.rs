//! The one place SMTP replies are read (RFC 5321 section 4.2): a multi-line reply of
//! `CODE-text` lines ended by `CODE text`, read byte by byte with limits, so a hostile or
//! broken server cannot make a reply unreadable. Text that is not UTF-8 is read as
//! Latin-1 (every byte is a character, so nothing is lost), control characters become
//! spaces, and only the first [`KEEP`] bytes of a reply are kept: the rest is read off
//! the connection and dropped, with a mark saying how much.

use std::io::{BufRead, ErrorKind};

/// Bytes of reply text kept (code included); the rest is dropped with a mark.
pub const KEEP: usize = 4096;
/// Bytes read for one reply before the server is given up on (a reply that never ends).
pub const MAX_READ: usize = 64 << 20;

/// A complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Each line's text after the code and separator, decoded, within the kept bytes.
    pub lines: Vec<String>,
    /// Bytes read and not kept.
    pub dropped: usize,
}

impl Reply {
    /// 2xx and 3xx.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// The reply on one line as stored: `250 2.0.0 Ok: queued as 4F3A2B1C`, with
    /// `[... N bytes dropped]` when it was cut.
    pub fn text(&self) -> String {
        let mut out = format!("{} {}", self.code, self.lines.join(" "))
            .trim()
            .to_string();
        if self.dropped > 0 {
            out.push_str(&format!(" [... {} bytes dropped]", self.dropped));
        }
        out
    }

    /// Whether any line starts with `keyword` (an EHLO extension such as `DSN`).
    pub fn offers(&self, keyword: &str) -> bool {
        self.params(keyword).is_some()
    }

    /// The words after an EHLO keyword (`AUTH PLAIN LOGIN` gives `["PLAIN", "LOGIN"]`).
    pub fn params(&self, keyword: &str) -> Option<Vec<String>> {
        self.lines.iter().find_map(|l| {
            let mut words = l.split_whitespace();
            words
                .next()
                .filter(|w| w.eq_ignore_ascii_case(keyword))
                .map(|_| words.map(str::to_string).collect())
        })
    }
}

/// Why no reply could be read.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing arrived within the socket's read timeout.
    Timeout,
    /// The server closed the connection.
    Closed,
    /// A line that does not start with a three-digit code.
    Malformed(String),
    /// More than [`MAX_READ`] bytes without the end of the reply.
    TooLong,
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Timeout => f.write_str("no reply in time"),
            ReadError::Closed => f.write_str("the server closed the connection"),
            ReadError::Malformed(l) => write!(f, "not an SMTP reply: '{l}'"),
            ReadError::TooLong => write!(f, "a reply longer than {} MB", MAX_READ >> 20),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

fn io_err(e: std::io::Error) -> ReadError {
    match e.kind() {
        // a socket read timeout shows as WouldBlock (EAGAIN) on Unix, TimedOut elsewhere
        ErrorKind::WouldBlock | ErrorKind::TimedOut => ReadError::Timeout,
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
            ReadError::Closed
        }
        _ => ReadError::Io(e),
    }
}

/// Reads one line: up to `keep` bytes of it are returned (without the line end), the
/// rest is consumed and counted as dropped. `total` counts every byte read for the reply.
fn read_line<R: BufRead>(
    r: &mut R,
    keep: usize,
    total: &mut usize,
) -> Result<(Vec<u8>, usize), ReadError> {
    let mut kept = Vec::new();
    let mut len = 0usize; // bytes of the line so far, line end included
    let mut last = None; // the last byte seen, to tell CRLF from a bare LF
    loop {
        let buf = loop {
            match r.fill_buf() {
                Ok(b) => break b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(e)),
            }
        };
        if buf.is_empty() {
            return Err(ReadError::Closed);
        }
        let end = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..end.map_or(buf.len(), |i| i + 1)];
        let n = chunk.len();
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
        let before_lf = match end {
            Some(i) if i > 0 => Some(chunk[i - 1]),
            Some(_) => last,
            None => None,
        };
        last = chunk.last().copied();
        r.consume(n);
        len += n;
        *total += n;
        if end.is_some() {
            let content = len - 1 - usize::from(before_lf == Some(b'\r'));
            kept.truncate(content);
            return Ok((kept.clone(), content - kept.len()));
        }
        if *total > MAX_READ {
            return Err(ReadError::TooLong);
        }
    }
}

/// Text of reply bytes: UTF-8 when valid, else Latin-1; control characters as spaces.
pub fn decode_text(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Reads one complete reply.
pub fn read_reply<R: BufRead>(r: &mut R) -> Result<Reply, ReadError> {
    let mut total = 0usize;
    let mut reply: Option<Reply> = None;
    let mut kept = 0usize;
    loop {
        let (line, dropped) = read_line(r, KEEP.saturating_sub(kept).max(4), &mut total)?;
        let code = line
            .get(..3)
            .filter(|c| c.iter().all(u8::is_ascii_digit))
            .and_then(|c| std::str::from_utf8(c).ok()?.parse::<u16>().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(|| ReadError::Malformed(decode_text(&line[..line.len().min(80)])))?;
        let sep = line.get(3).copied();
        if !matches!(sep, None | Some(b' ') | Some(b'-')) {
            return Err(ReadError::Malformed(decode_text(
                &line[..line.len().min(80)],
            )));
        }
        let text = decode_text(line.get(4..).unwrap_or_default());
        kept += line.len() + 1;
        let r_ = reply.get_or_insert(Reply {
            code,
            lines: Vec::new(),
            dropped: 0,
        });
        r_.dropped += dropped;
        if kept <= KEEP || r_.lines.is_empty() {
            r_.lines.push(text);
        } else {
            r_.dropped += line.len().saturating_sub(4);
        }
        if sep != Some(b'-') {
            return Ok(reply.unwrap_or(Reply {
                code,
                lines: Vec::new(),
                dropped: 0,
            }));
        }
        if total > MAX_READ {
            return Err(ReadError::TooLong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Reply, ReadError> {
        read_reply(&mut std::io::BufReader::with_capacity(16, bytes))
    }

    #[test]
    fn single_and_multi_line_replies() {
        let r = read(b"250 2.0.0 Ok: queued as 4F3A\r\n").unwrap();
        assert_eq!(r.code, 250);
        assert_eq!(r.text(), "250 2.0.0 Ok: queued as 4F3A");
        let r = read(b"250-mx.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 DSN\r\n")
            .unwrap();
        assert!(r.offers("dsn") && r.offers("PIPELINING") && !r.offers("SMTPUTF8"));
        assert_eq!(r.params("AUTH").unwrap(), vec!["PLAIN", "LOGIN"]);
        assert_eq!(read(b"354\r\n").unwrap().text(), "354");
    }

    #[test]
    fn latin1_text_is_kept_readable() {
        let r = read(b"550 5.1.1 Benutzer unbekannt: m\xfcller\r\n").unwrap();
        assert_eq!(r.code, 550);
        assert_eq!(r.text(), "550 5.1.1 Benutzer unbekannt: m\u{fc}ller");
        assert_eq!(decode_text(b"a\x00b\x1bc"), "a b c");
    }

    #[test]
    fn an_endless_line_is_cut_and_the_next_reply_still_reads() {
        let mut wire = b"550 5.1.1 ".to_vec();
        wire.extend(std::iter::repeat_n(b'x', 10 << 20));
        wire.extend_from_slice(b"\r\n250 next\r\n");
        let mut r = std::io::BufReader::new(&wire[..]);
        let first = read_reply(&mut r).unwrap();
        assert_eq!(first.code, 550);
        let t = first.text();
        assert!(t.len() < KEEP + 64, "{}", t.len());
        assert!(
            t.ends_with(&format!("[... {} bytes dropped]", 10 + (10 << 20) - KEEP)),
            "{}",
            &t[t.len() - 60..]
        );
        assert_eq!(read_reply(&mut r).unwrap().text(), "250 next");
    }

    #[test]
    fn many_continuation_lines_are_capped() {
        let mut wire = Vec::new();
        for _ in 0..10_000 {
            wire.extend_from_slice(b"451-4.3.0 busy busy busy\r\n");
        }
        wire.extend_from_slice(b"451 4.3.0 try later\r\n");
        let r = read(&wire).unwrap();
        assert_eq!(r.code, 451);
        assert!(r.text().len() < KEEP + 64);
        assert!(r.dropped > 0);
    }

    #[test]
    fn broken_replies_are_errors_not_panics() {
        assert!(matches!(read(b""), Err(ReadError::Closed)));
        assert!(matches!(read(b"250-more"), Err(ReadError::Closed)));
        assert!(matches!(read(b"hello\r\n"), Err(ReadError::Malformed(_))));
        assert!(matches!(read(b"25\r\n"), Err(ReadError::Malformed(_))));
        assert!(matches!(read(b"250x\r\n"), Err(ReadError::Malformed(_))));
        assert!(matches!(
            read(b"\xff\xfe\r\n"),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn random_bytes_never_panic_and_stay_capped() {
        let mut x: u64 = 0x5eed_5a7e;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const PIECES: &[&[u8]] = &[
            b"250", b"550", b"-", b" ", b"\r\n", b"\n", b"\r", b"\xff", b"\xc3", b"x", b"12",
            b"999", b"\x00",
        ];
        for _ in 0..20_000 {
            let n = (next() % 40) as usize;
            let mut wire = Vec::new();
            for _ in 0..n {
                wire.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let mut r = std::io::BufReader::with_capacity(7, &wire[..]);
            while let Ok(reply) = read_reply(&mut r) {
                assert!((200..600).contains(&reply.code));
                assert!(reply.text().len() <= 2 * KEEP + 64);
            }
        }
    }
}
