//! The byte stream to the relay (TCP with a connect timeout, TLS with rustls) under our
//! own command writer and reply reader ([`super::reply`]), so a reply that is not UTF-8,
//! endless, or never comes is handled here and named.

use super::reply::{self, ReadError, Reply};
use std::io::{BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::{self, pki_types::ServerName, ClientConnection, StreamOwned};

/// What TLS needs: the client configuration and the name the certificate must carry.
#[derive(Clone)]
pub struct TlsSetup {
    pub config: Arc<rustls::ClientConfig>,
    pub name: String,
}

/// Plain TCP or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Only while the plain stream is being wrapped.
    Gone,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

/// Wraps a TCP stream in TLS and completes the handshake (so its errors show here).
fn wrap(tcp: TcpStream, tls: &TlsSetup, timeout: Duration) -> Result<Stream, ConnError> {
    let fail = |why: String| ConnError::NoConnection {
        why,
        timed_out: false,
    };
    let name = ServerName::try_from(tls.name.clone())
        .map_err(|e| fail(format!("server name '{}': {e}", tls.name)))?;
    let mut conn =
        ClientConnection::new(tls.config.clone(), name).map_err(|e| fail(format!("TLS: {e}")))?;
    let mut tcp = tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                ConnError::NoConnection {
                    why: format!("no TLS handshake reply in {}", seconds(timeout)),
                    timed_out: true,
                }
            }
            _ => fail(format!("TLS handshake: {e}")),
        })?;
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}

/// Why a command got no usable reply.
#[derive(Debug)]
pub enum ConnError {
    /// No reply to `what` within the timeout.
    Timeout { what: String, after: Duration },
    /// The connection failed while writing `what` or reading its reply.
    Lost { what: String, why: String },
    /// The server took none of `what` within the timeout (it stopped reading).
    WriteTimeout { what: String, after: Duration },
    /// No connection could be made; `timed_out`: the server never answered the attempt.
    NoConnection { why: String, timed_out: bool },
}

impl ConnError {
    /// The server stayed silent (as opposed to refusing or closing).
    pub fn timed_out(&self) -> bool {
        matches!(
            self,
            ConnError::Timeout { .. }
                | ConnError::NoConnection {
                    timed_out: true,
                    ..
                }
        )
    }
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnError::Timeout { what, after } => {
                write!(f, "no reply to {what} in {}", seconds(*after))
            }
            ConnError::Lost { what, why } => write!(f, "{what}: {why}"),
            ConnError::WriteTimeout { what, after } => {
                write!(
                    f,
                    "the server took nothing of {what} for {}",
                    seconds(*after)
                )
            }
            ConnError::NoConnection { why, .. } => f.write_str(why),
        }
    }
}

/// `60 s`, `0.5 s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// An open connection.
pub struct Conn {
    stream: BufReader<Stream>,
    timeout: Duration,
    /// A read or write failed: the connection is out of step and must not be reused.
    pub broken: bool,
}

impl Conn {
    /// Connects (TLS from the first byte with `tls`), with `timeout` for the connection
    /// and for every read and write after it.
    pub fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&TlsSetup>,
    ) -> Result<Conn, ConnError> {
        let no = |why: String, timed_out: bool| ConnError::NoConnection { why, timed_out };
        let addrs = (host, port)
            .to_socket_addrs()
            .map_err(|e| no(format!("cannot resolve '{host}': {e}"), false))?;
        let mut last = no(format!("'{host}' resolves to no address"), false);
        let mut tcp = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    last = no(
                        format!("no connection to {a} in {}", seconds(timeout)),
                        true,
                    );
                }
                Err(e) => last = no(format!("connecting to {a}: {e}"), false),
            }
        }
        let tcp = tcp.ok_or(last)?;
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_read_timeout(Some(timeout));
        let _ = tcp.set_write_timeout(Some(timeout));
        let stream = match tls {
            Some(t) => wrap(tcp, t, timeout)?,
            None => Stream::Plain(tcp),
        };
        Ok(Conn {
            stream: BufReader::new(stream),
            timeout,
            broken: false,
        })
    }

    /// Turns the plain connection into TLS (after `STARTTLS` was accepted).
    pub fn upgrade(&mut self, tls: &TlsSetup) -> Result<(), ConnError> {
        let fail = |why: &str| ConnError::NoConnection {
            why: why.to_string(),
            timed_out: false,
        };
        if !self.stream.buffer().is_empty() {
            // bytes the server sent before TLS must not be read as if protected
            return Err(fail("the server sent data before the TLS handshake"));
        }
        match std::mem::replace(self.stream.get_mut(), Stream::Gone) {
            Stream::Plain(tcp) => {
                *self.stream.get_mut() = wrap(tcp, tls, self.timeout)?;
                Ok(())
            }
            other => {
                *self.stream.get_mut() = other;
                Err(fail("the connection is already protected"))
            }
        }
    }

    /// Writes bytes in one piece; `what` names them in an error.
    pub fn write(&mut self, bytes: &[u8], what: &str) -> Result<(), ConnError> {
        let s = self.stream.get_mut();
        let r = s.write_all(bytes).and_then(|_| s.flush());
        r.map_err(|e| {
            self.broken = true;
            let timed_out = matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            );
            if timed_out {
                ConnError::WriteTimeout {
                    what: what.to_string(),
                    after: self.timeout,
                }
            } else {
                ConnError::Lost {
                    what: format!("sending {what}"),
                    why: e.to_string(),
                }
            }
        })
    }

    /// Reads the reply to `what` (a command name such as `DATA`, or `the greeting`).
    pub fn read(&mut self, what: &str) -> Result<Reply, ConnError> {
        reply::read_reply(&mut self.stream).map_err(|e| {
            self.broken = true;
            match e {
                ReadError::Timeout => ConnError::Timeout {
                    what: what.to_string(),
                    after: self.timeout,
                },
                other => ConnError::Lost {
                    what: format!("reply to {what}"),
                    why: other.to_string(),
                },
            }
        })
    }

    /// Writes one command line (CRLF added) and reads its reply.
    pub fn command(&mut self, line: &str, what: &str) -> Result<Reply, ConnError> {
        self.write(format!("{line}\r\n").as_bytes(), what)?;
        self.read(what)
    }
}
