//! A limit on what a server may make the client hold: IMAP announces each literal's size
//! (`{530000000}`) before its bytes, and the IMAP library reserves that much memory at
//! once. This stream filter reads the announcements as they pass and ends the connection
//! when one is over the limit, before anything is reserved.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest literal accepted. FETCH asks for at most the decoder's 4 MiB (+1 byte) of
/// each message, so a well-behaved server never comes near it.
pub const MAX_LITERAL: u64 = 16 << 20;

/// Where the scanner is in the server's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a response line; `brace` holds the digits read since a `{`, `closed` says a
    /// `}` followed them, `cr` that a CR followed that.
    Line {
        brace: Option<u64>,
        closed: bool,
        cr: bool,
    },
    /// Inside a literal: this many bytes of content to pass unread.
    Literal(u64),
}

const LINE: State = State::Line {
    brace: None,
    closed: false,
    cr: false,
};

/// A stream whose incoming literals are checked against a size limit.
#[derive(Debug)]
pub struct LiteralGuard<S> {
    inner: S,
    state: State,
    limit: u64,
}

impl<S> LiteralGuard<S> {
    pub fn new(inner: S, limit: u64) -> LiteralGuard<S> {
        LiteralGuard {
            inner,
            state: LINE,
            limit,
        }
    }

    /// Follows `bytes` through lines and literals; an error for a literal over the limit.
    fn scan(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.state {
                State::Literal(n) => {
                    let skip = usize::try_from(n).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[skip..];
                    let left = n - skip as u64;
                    self.state = if left == 0 {
                        LINE
                    } else {
                        State::Literal(left)
                    };
                }
                State::Line { brace, closed, cr } => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    self.state = match (b, brace, closed, cr) {
                        (b'{', _, _, _) => State::Line {
                            brace: Some(0),
                            closed: false,
                            cr: false,
                        },
                        (b'0'..=b'9', Some(n), false, _) => State::Line {
                            brace: Some(n.saturating_mul(10).saturating_add(u64::from(b - b'0'))),
                            closed: false,
                            cr: false,
                        },
                        (b'}', Some(n), false, _) => State::Line {
                            brace: Some(n),
                            closed: true,
                            cr: false,
                        },
                        (b'\r', Some(n), true, false) => State::Line {
                            brace: Some(n),
                            closed: true,
                            cr: true,
                        },
                        (b'\n', Some(n), true, true) => {
                            if n > self.limit {
                                return Err(io::Error::new(
                                    io::ErrorKind::InvalidData,
                                    format!(
                                        "the server announced a {n}-byte literal, over the \
                                         {} MiB limit; connection closed",
                                        self.limit >> 20
                                    ),
                                ));
                            }
                            if n == 0 {
                                LINE
                            } else {
                                State::Literal(n)
                            }
                        }
                        _ => LINE,
                    };
                }
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for LiteralGuard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let fresh = &buf.filled()[before..];
        this.scan(fresh)?;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LiteralGuard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]], limit: u64) -> io::Result<State> {
        let mut g = LiteralGuard::new((), limit);
        for c in chunks {
            g.scan(c)?;
        }
        Ok(g.state)
    }

    #[test]
    fn literals_within_the_limit_pass_and_their_content_is_not_read() {
        // The content holds what looks like an announcement; it is skipped as content.
        let resp = b"* 1 FETCH (UID 7 BODY[]<0> {12}\r\nx {99999}\r\n\r\n)\r\nA1 OK done\r\n";
        assert_eq!(scan(&[resp], 100).unwrap(), LINE);
        // Split anywhere, the same.
        for i in 0..resp.len() {
            assert_eq!(
                scan(&[&resp[..i], &resp[i..]], 100).unwrap(),
                LINE,
                "split at {i}"
            );
        }
    }

    #[test]
    fn an_oversized_announcement_fails_before_its_bytes() {
        let e = scan(
            &[b"* 1 FETCH (UID 1 BODY[]<0> {530000000}\r\n"],
            MAX_LITERAL,
        )
        .unwrap_err();
        assert!(e.to_string().contains("530000000-byte literal"), "{e}");
        // Not a literal: braces inside a line, or not at its end.
        assert!(scan(&[b"* OK {530000000} is just text\r\n"], 10).is_ok());
        assert!(scan(&[b"* OK {99999999999999999999999}x\r\n"], 10).is_ok());
    }
}
