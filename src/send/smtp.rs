//! One SMTP session with the relay (lettre's low-level connection): connect with TLS as
//! configured, authenticate, and run one transaction per recipient with RFC 3461 DSN
//! parameters when the server offers DSN. Every reply is kept word for word.

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, MailParameter, RcptParameter};
use lettre::Address;
use std::time::Duration;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (refused if the server does not offer it).
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only for a relay on this machine or a trusted network.
    None,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    /// OAuth2: log in with XOAUTH2 and a token from here (fetched for each session)
    /// instead of the password.
    pub token: Option<crate::oauth::TokenSource>,
    /// Extra CA certificate (PEM) to trust, e.g. a private relay's.
    pub ca_file: Option<std::path::PathBuf>,
    /// Skip certificate verification (explicit opt-in only).
    pub insecure: bool,
    /// The name we give in EHLO.
    pub hello: String,
    pub timeout: Duration,
}

/// Why a session could not be opened or went away.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("SMTP server {host}:{port}: {what}: {source}")]
    Session {
        host: String,
        port: u16,
        what: &'static str,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("SMTP server {host}:{port}: {what}")]
    Setup {
        host: String,
        port: u16,
        what: String,
    },
}

/// The stage of a transaction a reply or a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Mail,
    Rcpt,
    Data,
    /// The message content was (being) sent: the server's answer decides its fate.
    Content,
}

impl Stage {
    pub fn command(self) -> &'static str {
        match self {
            Stage::Mail => "MAIL",
            Stage::Rcpt => "RCPT",
            Stage::Data | Stage::Content => "DATA",
        }
    }
}

/// How one transaction ended.
#[derive(Debug, Clone)]
pub enum TxResult {
    /// 2xx after the content: the reply, e.g. `250 2.0.0 Ok: queued as 4F3A2B1C`.
    Accepted { reply: String },
    /// A 4xx or 5xx reply at some stage.
    Refused {
        stage: Stage,
        code: u16,
        reply: String,
    },
    /// The connection failed at some stage (no reply).
    Broken { stage: Stage, error: String },
}

/// Envelope and DSN parameters of one transaction.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub return_path: &'a str,
    pub recipient: &'a str,
    pub envelope_id: &'a str,
}

/// An open session.
pub struct Session {
    conn: SmtpConnection,
    /// The server advertised DSN (RFC 3461) in its EHLO reply.
    pub dsn: bool,
    /// The EHLO reply's extension lines after authentication, upper-cased, e.g.
    /// `PIPELINING`, `SIZE 10240000`, `SMTPUTF8` (for `rebound doctor`).
    pub extensions: Vec<String>,
    /// The server advertised PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write.
    pipelining: bool,
    /// The session is in a state we cannot trust (e.g. DATA accepted after a refusal).
    broken: bool,
    /// The envelope (return path, recipient, ENVID) whose MAIL, RCPT and DATA went out
    /// behind the previous message's content; their replies are still to be read.
    primed: Option<[String; 3]>,
    host: String,
    port: u16,
}

fn session_err(
    cfg: &ServerConfig,
    what: &'static str,
    source: lettre::transport::smtp::Error,
) -> SmtpError {
    SmtpError::Session {
        host: cfg.host.clone(),
        port: cfg.port,
        what,
        source,
    }
}

fn tls_params(cfg: &ServerConfig) -> Result<TlsParameters, SmtpError> {
    let mut b = TlsParameters::builder(cfg.host.clone());
    if let Some(ca) = &cfg.ca_file {
        let pem = std::fs::read(ca).map_err(|e| SmtpError::Setup {
            host: cfg.host.clone(),
            port: cfg.port,
            what: format!("cannot read CA file '{}': {e}", ca.display()),
        })?;
        let cert =
            Certificate::from_pem(&pem).map_err(|e| session_err(cfg, "CA certificate", e))?;
        b = b.add_root_certificate(cert);
    }
    if cfg.insecure {
        b = b
            .dangerous_accept_invalid_certs(true)
            .dangerous_accept_invalid_hostnames(true);
    }
    b.build_rustls()
        .map_err(|e| session_err(cfg, "TLS setup", e))
}

/// `xtext` (RFC 3461 section 4): `+`, `=` and characters outside `!`..`~` as `+HH`.
pub fn xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// The message content as sent after DATA (RFC 5321 section 4.5.2): CRLF line ends, a
/// leading dot doubled, and the terminating `.` line.
fn dot_stuff(content: &[u8]) -> String {
    let text = String::from_utf8_lossy(content);
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if body.starts_with('.') {
            out.push('.');
        }
        out.push_str(body);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// Content already in wire form, written in one piece by `SmtpConnection::command`.
struct DataBody(String);

impl std::fmt::Display for DataBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code and text of a negative reply carried by a lettre error.
fn reply_of(e: &lettre::transport::smtp::Error) -> Option<(u16, String)> {
    let code = e.status()?;
    let code_num: u16 = code.to_string().parse().ok()?;
    let text = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    Some((code_num, format!("{code_num} {text}").trim().to_string()))
}

fn joined(r: &lettre::transport::smtp::response::Response) -> String {
    let code = r.code().to_string();
    let text: Vec<&str> = r.message().collect();
    format!("{code} {}", text.join(" ")).trim().to_string()
}

impl Session {
    /// Connects, secures and authenticates as configured.
    pub fn open(cfg: &ServerConfig) -> Result<Session, SmtpError> {
        let id = ClientId::Domain(cfg.hello.clone());
        let addr = (cfg.host.as_str(), cfg.port);
        let mut conn = match cfg.tls {
            TlsMode::Tls => {
                let p = tls_params(cfg)?;
                SmtpConnection::connect(addr, Some(cfg.timeout), &id, Some(&p), None)
                    .map_err(|e| session_err(cfg, "connect (TLS)", e))?
            }
            TlsMode::Starttls | TlsMode::None => {
                SmtpConnection::connect(addr, Some(cfg.timeout), &id, None, None)
                    .map_err(|e| session_err(cfg, "connect", e))?
            }
        };
        if cfg.tls == TlsMode::Starttls {
            if !conn.can_starttls() {
                return Err(SmtpError::Setup {
                    host: cfg.host.clone(),
                    port: cfg.port,
                    what: "the server does not offer STARTTLS (use --tls none only for a trusted relay)"
                        .into(),
                });
            }
            let p = tls_params(cfg)?;
            conn.starttls(&p, &id)
                .map_err(|e| session_err(cfg, "STARTTLS", e))?;
        }
        if let (Some(user), Some(source)) = (&cfg.user, &cfg.token) {
            let token = source.token().map_err(|why| SmtpError::Setup {
                host: cfg.host.clone(),
                port: cfg.port,
                what: format!("OAuth2 token: {why}"),
            })?;
            let creds = Credentials::new(user.clone(), token);
            conn.auth(&[Mechanism::Xoauth2], &creds)
                .map_err(|e| session_err(cfg, "XOAUTH2 authentication", e))?;
        } else if let (Some(user), Some(pass)) = (&cfg.user, &cfg.password) {
            let creds = Credentials::new(user.clone(), pass.clone());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .map_err(|e| session_err(cfg, "authentication", e))?;
        }
        // lettre keeps only the extensions it knows; ask again to see DSN (RFC 3461).
        let ehlo = conn
            .command(Ehlo::new(id))
            .map_err(|e| session_err(cfg, "EHLO", e))?;
        let offers = |ext: &str| {
            ehlo.message().any(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case(ext))
            })
        };
        let (dsn, pipelining) = (offers("DSN"), offers("PIPELINING"));
        let extensions = ehlo
            .message()
            .skip(1)
            .map(|l| l.trim().to_ascii_uppercase())
            .collect();
        Ok(Session {
            conn,
            dsn,
            extensions,
            pipelining,
            broken: false,
            primed: None,
            host: cfg.host.clone(),
            port: cfg.port,
        })
    }

    /// The server this session talks to, for messages.
    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// MAIL, RCPT and (with DSN) their parameters, then DATA, as one pipelined group; a
    /// refusal when an address cannot be used.
    fn envelope_commands(&self, env: &Envelope) -> Result<String, TxResult> {
        let from: Address = env.return_path.parse().map_err(|e| TxResult::Refused {
            stage: Stage::Mail,
            code: 501,
            reply: format!("501 invalid return path '{}': {e}", env.return_path),
        })?;
        let to: Address = env.recipient.parse().map_err(|e| TxResult::Refused {
            stage: Stage::Rcpt,
            code: 501,
            reply: format!("501 invalid recipient '{}': {e}", env.recipient),
        })?;
        let (mail_params, rcpt_params) = if self.dsn {
            (
                vec![
                    MailParameter::Other {
                        keyword: "RET".into(),
                        value: Some("HDRS".into()),
                    },
                    MailParameter::Other {
                        keyword: "ENVID".into(),
                        value: Some(xtext(env.envelope_id)),
                    },
                ],
                vec![
                    RcptParameter::Other {
                        keyword: "NOTIFY".into(),
                        value: Some("FAILURE,DELAY".into()),
                    },
                    RcptParameter::Other {
                        keyword: "ORCPT".into(),
                        value: Some(format!("rfc822;{}", xtext(env.recipient))),
                    },
                ],
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let mail = Mail::new(Some(from), mail_params);
        let rcpt = Rcpt::new(to, rcpt_params);
        Ok(format!("{mail}{rcpt}{Data}"))
    }

    /// Whether some envelope's commands went out behind the last message.
    pub fn is_primed(&self) -> bool {
        self.primed.is_some()
    }

    /// Whether `env`'s commands already went out behind the last message.
    pub fn primed_for(&self, env: &Envelope) -> bool {
        self.primed.as_ref().is_some_and(|[r, t, e]| {
            r == env.return_path && t == env.recipient && e == env.envelope_id
        })
    }

    /// Runs one transaction. `before_content` is called after DATA was accepted and
    /// before the content leaves (the sender records "sending" there); if it fails, no
    /// content is sent and the session is given up. With `next` (and PIPELINING), the
    /// next transaction's MAIL, RCPT and DATA follow the content in the same write
    /// (RFC 2920 section 3.1 lets a group start with message content): one round trip
    /// per message instead of two. Its replies are read by the next call, which must be
    /// for that envelope; a session primed for another one is not usable.
    pub fn transaction<E: std::fmt::Display>(
        &mut self,
        env: &Envelope,
        content: &[u8],
        before_content: impl FnOnce() -> Result<(), E>,
        next: Option<&Envelope>,
    ) -> TxResult {
        let primed = self.primed.is_some();
        if primed && !self.primed_for(env) {
            // after a 354 everything is content: this session cannot start another
            self.broken = true;
            return TxResult::Broken {
                stage: Stage::Mail,
                error: "the session was prepared for another recipient".into(),
            };
        }
        self.primed = None;
        if self.pipelining {
            let first = if primed {
                self.conn.read_response()
            } else {
                let commands = match self.envelope_commands(env) {
                    Ok(c) => c,
                    Err(refused) => return refused,
                };
                // One write, then the three replies in order (RFC 2920 section 3.1).
                self.conn.command(DataBody(commands))
            };
            if let Err(e) = &first {
                if e.status().is_none() {
                    return self.failed(Stage::Mail, e);
                }
            }
            let second = self.conn.read_response();
            let third = self.conn.read_response();
            let refused = first.is_err() || second.is_err();
            if refused && third.is_ok() {
                // DATA accepted although nothing valid preceded it: drop this session.
                self.broken = true;
            }
            for (stage, r) in [
                (Stage::Mail, first),
                (Stage::Rcpt, second),
                (Stage::Data, third),
            ] {
                if let Err(e) = r {
                    return self.failed(stage, &e);
                }
            }
        } else {
            let commands = match self.envelope_commands(env) {
                Ok(c) => c,
                Err(refused) => return refused,
            };
            let mut lines = commands.split_inclusive("\r\n");
            for stage in [Stage::Mail, Stage::Rcpt, Stage::Data] {
                let line = lines.next().unwrap_or_default().to_string();
                if let Err(e) = self.conn.command(DataBody(line)) {
                    return self.failed(stage, &e);
                }
            }
        }
        if let Err(e) = before_content() {
            // Abandon: after 354 everything is content, so neither RSET nor an empty
            // DATA will do; the session is dropped and the server discards the
            // unfinished message when the connection closes.
            self.broken = true;
            return TxResult::Broken {
                stage: Stage::Data,
                error: format!("not sent: {e}"),
            };
        }
        // One write for the content and its end mark: two small writes in a row wait on
        // the peer's delayed ACK (Nagle), about 40 ms per message on a local relay.
        let mut wire = dot_stuff(content);
        if let Some(n) = next.filter(|_| self.pipelining) {
            if let Ok(commands) = self.envelope_commands(n) {
                wire.push_str(&commands);
                self.primed = Some([
                    n.return_path.to_string(),
                    n.recipient.to_string(),
                    n.envelope_id.to_string(),
                ]);
            }
        }
        match self.conn.command(DataBody(wire)) {
            Ok(r) => TxResult::Accepted { reply: joined(&r) },
            Err(e) => self.failed(Stage::Content, &e),
        }
    }

    fn failed(&mut self, stage: Stage, e: &lettre::transport::smtp::Error) -> TxResult {
        match reply_of(e) {
            Some((code, reply)) => {
                if stage != Stage::Content {
                    // Reset the transaction so the session can go on (RFC 5321 4.1.1.5).
                    let _ = self.conn.command(Rset);
                }
                TxResult::Refused { stage, code, reply }
            }
            None => TxResult::Broken {
                stage,
                error: e.to_string(),
            },
        }
    }

    /// Whether the session can take another transaction.
    pub fn usable(&self) -> bool {
        !self.broken && !self.conn.has_broken()
    }

    /// Ends the session politely; a primed one (waiting for content) is just closed,
    /// which makes the server drop the unfinished message.
    pub fn quit(mut self) {
        if self.primed.is_none() {
            let _ = self.conn.quit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_dot_stuffed_and_terminated() {
        assert_eq!(dot_stuff(b"a\n.b\r\n..c"), "a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
    }
}
