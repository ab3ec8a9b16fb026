//! One SMTP session with the relay: connect with TLS as configured (lettre's network
//! stream), authenticate, and run one transaction per recipient with RFC 3461 DSN
//! parameters when the server offers DSN and `SMTPUTF8` (RFC 6531) when an address needs
//! it. Replies are read by [`super::reply`] (lossy, capped) and kept as read; a silent
//! server is named with the command it did not answer.

use super::auth::{authenticate, authenticate_xoauth2};
use super::conn::{Conn, ConnError, TlsSetup};
pub use super::envelope::Envelope;
use super::envelope::{dot_stuff, orcpt, path_ok, xtext};
use super::reply::Reply;
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
    /// How long to wait for the connection and for each reply.
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
        /// The server stayed silent (no connection or no reply in time).
        timed_out: bool,
    },
}

impl SmtpError {
    /// The server stayed silent: trying again at once would wait as long again.
    pub fn timed_out(&self) -> bool {
        matches!(
            self,
            SmtpError::Setup {
                timed_out: true,
                ..
            }
        )
    }
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
    /// The connection failed at some stage (no reply). `timeout`: the server stayed
    /// silent (trying again at once would only wait as long again).
    Broken {
        stage: Stage,
        error: String,
        timeout: bool,
    },
    /// Not sent, decided here before any command: e.g. an address that needs SMTPUTF8 on a
    /// server that does not offer it. Not a bounce of the address.
    NotSent { reason: String },
}

/// An open session.
pub struct Session {
    conn: Conn,
    /// The server advertised DSN (RFC 3461) in its EHLO reply.
    pub dsn: bool,
    /// The EHLO reply's extension lines after authentication, upper-cased, e.g.
    /// `PIPELINING`, `SIZE 10240000`, `SMTPUTF8` (for `rebound doctor`).
    pub extensions: Vec<String>,
    /// The server advertised PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write.
    pipelining: bool,
    /// The server advertised SMTPUTF8 (RFC 6531): UTF-8 addresses can be sent.
    pub smtputf8: bool,
    /// The session is in a state we cannot trust (e.g. DATA accepted after a refusal).
    broken: bool,
    /// The envelope (return path, recipient, ENVID) whose MAIL, RCPT and DATA went out
    /// behind the previous message's content; their replies are still to be read.
    primed: Option<[String; 3]>,
    host: String,
    port: u16,
}

pub(super) fn session_err(
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

pub(super) fn setup_err(cfg: &ServerConfig, what: String) -> SmtpError {
    SmtpError::Setup {
        host: cfg.host.clone(),
        port: cfg.port,
        what,
        timed_out: false,
    }
}

/// A connection failure, silent or not.
fn conn_err(cfg: &ServerConfig, e: ConnError) -> SmtpError {
    SmtpError::Setup {
        host: cfg.host.clone(),
        port: cfg.port,
        timed_out: e.timed_out(),
        what: e.to_string(),
    }
}

fn tls_params(cfg: &ServerConfig) -> Result<TlsSetup, SmtpError> {
    let config = crate::tlsconfig::client_config(cfg.ca_file.as_deref(), cfg.insecure)
        .map_err(|e| setup_err(cfg, e))?;
    Ok(TlsSetup {
        config: std::sync::Arc::new(config),
        name: cfg.host.clone(),
    })
}

impl Session {
    /// Connects, secures and authenticates as configured.
    pub fn open(cfg: &ServerConfig) -> Result<Session, SmtpError> {
        let tls = match cfg.tls {
            TlsMode::Tls => Some(tls_params(cfg)?),
            TlsMode::Starttls | TlsMode::None => None,
        };
        let fail = |e: ConnError| conn_err(cfg, e);
        let mut conn =
            Conn::connect(&cfg.host, cfg.port, cfg.timeout, tls.as_ref()).map_err(fail)?;
        let refused =
            |what: &str, r: &Reply| setup_err(cfg, format!("{what} refused: {}", r.text()));
        let greeting = conn.read("the greeting").map_err(fail)?;
        if greeting.code != 220 {
            return Err(refused("the session", &greeting));
        }
        let hello = format!("EHLO {}", cfg.hello);
        let mut ehlo = conn.command(&hello, "EHLO").map_err(fail)?;
        if !ehlo.is_positive() {
            return Err(refused("EHLO", &ehlo));
        }
        if cfg.tls == TlsMode::Starttls {
            if !ehlo.offers("STARTTLS") {
                return Err(setup_err(
                    cfg,
                    "the server does not offer STARTTLS (use --tls none only for a trusted relay)"
                        .into(),
                ));
            }
            let r = conn.command("STARTTLS", "STARTTLS").map_err(fail)?;
            if r.code != 220 {
                return Err(refused("STARTTLS", &r));
            }
            let p = tls_params(cfg)?;
            conn.upgrade(&p).map_err(fail)?;
            ehlo = conn.command(&hello, "EHLO").map_err(fail)?;
            if !ehlo.is_positive() {
                return Err(refused("EHLO", &ehlo));
            }
        }
        if let (Some(user), Some(source)) = (&cfg.user, &cfg.token) {
            let token = source
                .token()
                .map_err(|why| setup_err(cfg, format!("OAuth2 token: {why}")))?;
            authenticate_xoauth2(&mut conn, &ehlo, cfg, user, &token)?;
        } else if let (Some(user), Some(pass)) = (&cfg.user, &cfg.password) {
            authenticate(&mut conn, &ehlo, cfg, user, pass)?;
        }
        Ok(Session {
            conn,
            dsn: ehlo.offers("DSN"),
            extensions: ehlo
                .lines
                .iter()
                .skip(1)
                .map(|l| l.trim().to_ascii_uppercase())
                .collect(),
            pipelining: ehlo.offers("PIPELINING"),
            smtputf8: ehlo.offers("SMTPUTF8"),
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
        if !path_ok(env.return_path) {
            return Err(TxResult::Refused {
                stage: Stage::Mail,
                code: 501,
                reply: format!("501 invalid return path '{}'", env.return_path),
            });
        }
        if !path_ok(env.recipient) {
            return Err(TxResult::Refused {
                stage: Stage::Rcpt,
                code: 501,
                reply: format!("501 invalid recipient '{}'", env.recipient),
            });
        }
        if env.needs_smtputf8() && !self.smtputf8 {
            return Err(TxResult::NotSent {
                reason: format!(
                    "not sent: the address needs SMTPUTF8 (RFC 6531) and {} does not offer it",
                    self.server()
                ),
            });
        }
        let mut mail = format!("MAIL FROM:<{}>", env.return_path);
        let mut rcpt = format!("RCPT TO:<{}>", env.recipient);
        if env.needs_smtputf8() {
            mail.push_str(" SMTPUTF8");
        }
        if self.dsn {
            mail.push_str(&format!(" RET=HDRS ENVID={}", xtext(env.envelope_id)));
            rcpt.push_str(&format!(
                " NOTIFY=FAILURE,DELAY ORCPT={}",
                orcpt(env.recipient)
            ));
        }
        Ok(format!("{mail}\r\n{rcpt}\r\nDATA\r\n"))
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
                timeout: false,
            };
        }
        self.primed = None;
        let stages = [Stage::Mail, Stage::Rcpt, Stage::Data];
        let mut replies: Vec<Reply> = Vec::with_capacity(3);
        if self.pipelining {
            if !primed {
                let commands = match self.envelope_commands(env) {
                    Ok(c) => c,
                    Err(refused) => return refused,
                };
                // One write, then the three replies in order (RFC 2920 section 3.1).
                if let Err(e) = self.conn.write(commands.as_bytes(), "MAIL") {
                    return self.lost(Stage::Mail, e);
                }
            }
            for stage in stages {
                match self.conn.read(stage.command()) {
                    Ok(r) => replies.push(r),
                    Err(e) => {
                        // a refusal read before the connection went is still the answer
                        let earlier = stages
                            .into_iter()
                            .zip(&replies)
                            .find(|(_, r)| !r.is_positive());
                        if let Some((st, r)) = earlier {
                            let r = r.clone();
                            self.broken = true;
                            return self.refused(st, &r);
                        }
                        return self.lost(stage, e);
                    }
                }
            }
            let refused = replies[..2].iter().any(|r| !r.is_positive());
            if refused && replies[2].is_positive() {
                // DATA accepted although nothing valid preceded it: drop this session.
                self.broken = true;
            }
        } else {
            let commands = match self.envelope_commands(env) {
                Ok(c) => c,
                Err(refused) => return refused,
            };
            for (stage, line) in stages.into_iter().zip(commands.split_inclusive("\r\n")) {
                let r = self
                    .conn
                    .write(line.as_bytes(), stage.command())
                    .and_then(|_| self.conn.read(stage.command()));
                match r {
                    Ok(r) => {
                        let stop = !r.is_positive();
                        replies.push(r);
                        if stop {
                            break;
                        }
                    }
                    Err(e) => return self.lost(stage, e),
                }
            }
        }
        for (stage, r) in stages.into_iter().zip(&replies) {
            if !r.is_positive() || (stage == Stage::Data && r.code != 354) {
                return self.refused(stage, r);
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
                timeout: false,
            };
        }
        // One write for the content and its end mark: two small writes in a row wait on
        // the peer's delayed ACK (Nagle), about 40 ms per message on a local relay.
        let mut wire = dot_stuff(content);
        if let Some(n) = next.filter(|_| self.pipelining) {
            if let Ok(commands) = self.envelope_commands(n) {
                wire.extend_from_slice(commands.as_bytes());
                self.primed = Some([
                    n.return_path.to_string(),
                    n.recipient.to_string(),
                    n.envelope_id.to_string(),
                ]);
            }
        }
        const CONTENT: &str = "the message content (after DATA)";
        let r = self
            .conn
            .write(&wire, CONTENT)
            .and_then(|_| self.conn.read(CONTENT));
        match r {
            Ok(r) if r.code / 100 == 2 => TxResult::Accepted { reply: r.text() },
            Ok(r) => self.refused(Stage::Content, &r),
            Err(e) => self.lost(Stage::Content, e),
        }
    }

    fn refused(&mut self, stage: Stage, r: &Reply) -> TxResult {
        if stage != Stage::Content && !self.broken {
            // Reset the transaction so the session can go on (RFC 5321 4.1.1.5).
            if !matches!(self.conn.command("RSET", "RSET"), Ok(r) if r.is_positive()) {
                self.broken = true;
            }
        }
        if r.code == 421 {
            self.broken = true;
        }
        TxResult::Refused {
            stage,
            code: r.code,
            reply: r.text(),
        }
    }

    fn lost(&mut self, stage: Stage, e: ConnError) -> TxResult {
        self.broken = true;
        TxResult::Broken {
            stage,
            timeout: matches!(e, ConnError::Timeout { .. }),
            error: e.to_string(),
        }
    }

    /// Whether the session can take another transaction.
    pub fn usable(&self) -> bool {
        !self.broken && !self.conn.broken
    }

    /// Ends the session politely; a primed one (waiting for content) is just closed,
    /// which makes the server drop the unfinished message.
    pub fn quit(mut self) {
        if self.primed.is_none() && self.usable() {
            let _ = self.conn.command("QUIT", "QUIT");
        }
    }
}
