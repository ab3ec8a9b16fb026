//! Opening an IMAP session: TCP, then implicit TLS, STARTTLS or nothing, then LOGIN or
//! an OAuth2 AUTHENTICATE (XOAUTH2, OAUTHBEARER) with a freshly fetched token.
//! Certificates are verified against the public roots plus an account's own CA file;
//! `insecure` (an explicit flag) turns verification off.

use super::config::{Account, Tls};
use async_imap::{Client, Session};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName};
use tokio_rustls::TlsConnector;

/// Any byte stream a session runs over (plain TCP or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

/// An IMAP session over plain TCP or TLS.
pub type ImapSession = Session<Box<dyn Io>>;

/// Errors while connecting, naming the account.
#[derive(Debug, thiserror::Error)]
#[error("account '{account}': {message}")]
pub struct ConnectError {
    pub account: String,
    pub message: String,
}

fn tls_config(account: &Account, insecure: bool) -> Result<rustls::ClientConfig, String> {
    crate::tlsconfig::client_config(account.ca_file.as_deref(), insecure)
}

async fn wrap_tls(
    tcp: TcpStream,
    account: &Account,
    insecure: bool,
) -> Result<Box<dyn Io>, String> {
    let config = tls_config(account, insecure)?;
    let name = account.server_name.clone().unwrap_or(account.host.clone());
    let name =
        ServerName::try_from(name.clone()).map_err(|e| format!("server name '{name}': {e}"))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    Ok(Box::new(tls))
}

/// Connects and logs in.
pub async fn connect(account: &Account, insecure: bool) -> Result<ImapSession, ConnectError> {
    let err = |message: String| ConnectError {
        account: account.label(),
        message,
    };
    use crate::oauth::Mechanism;
    // The secret first: a missing password or a failing token command needs no network.
    let secret = match account.auth {
        Mechanism::Password => account.password().map_err(err)?,
        _ => account
            .token_source()
            .and_then(|s| s.token())
            .map_err(err)?,
    };
    let addr = (account.host.as_str(), account.port());
    let tcp = TcpStream::connect(addr).await.map_err(|e| {
        err(format!(
            "connecting to {}:{}: {e}",
            account.host,
            account.port()
        ))
    })?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = match account.tls {
        Tls::Tls => wrap_tls(tcp, account, insecure).await.map_err(err)?,
        Tls::None => Box::new(tcp),
        Tls::Starttls => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await.map_err(err)?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| err(format!("STARTTLS: {e}")))?;
            let tcp = client.into_inner();
            wrap_tls(tcp, account, insecure).await.map_err(err)?
        }
    };
    let stream: Box<dyn Io> = Box::new(super::guard::LiteralGuard::new(
        stream,
        super::guard::MAX_LITERAL,
    ));
    let mut client = Client::new(stream);
    if account.tls != Tls::Starttls {
        greeting(&mut client).await.map_err(err)?;
    }
    match account.auth {
        Mechanism::Password => client
            .login(&account.user, &secret)
            .await
            .map_err(|(e, _)| err(format!("LOGIN as '{}': {e}", account.user))),
        mechanism => {
            let (name, response) = if mechanism == Mechanism::Xoauth2 {
                ("XOAUTH2", crate::oauth::xoauth2(&account.user, &secret))
            } else {
                let host = account.server_name.as_deref().unwrap_or(&account.host);
                let r = crate::oauth::oauthbearer(&account.user, host, account.port(), &secret);
                ("OAUTHBEARER", r)
            };
            client
                .authenticate(name, SaslOnce(Some(response)))
                .await
                .map_err(|(e, _)| {
                    err(format!(
                        "{name} as '{}': {e} (is the token current and for this user?)",
                        account.user
                    ))
                })
        }
    }
}

/// A one-step SASL exchange: the client's response to the first challenge, then an empty
/// line to any later one (how a client acknowledges an OAuth2 error challenge, after
/// which the server answers NO).
struct SaslOnce(Option<String>);

impl async_imap::Authenticator for SaslOnce {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        self.0.take().unwrap_or_default()
    }
}

/// Reads the server's greeting; anything else says what is likely wrong.
async fn greeting<T: Io>(client: &mut Client<T>) -> Result<(), String> {
    const WRONG: &str = "not an IMAP server (wrong port or TLS mode? IMAPS is 993 with \
                         tls = \"tls\", IMAP 143 with tls = \"starttls\")";
    let read = tokio::time::timeout(super::io_timeout(), client.read_response()).await;
    match read {
        Err(_) => Err(format!(
            "no greeting in {} s: {WRONG}",
            super::io_timeout().as_secs()
        )),
        Ok(Ok(Some(r))) => match r.parsed() {
            async_imap::imap_proto::Response::Data {
                status: async_imap::imap_proto::Status::Ok | async_imap::imap_proto::Status::PreAuth,
                ..
            } => Ok(()),
            async_imap::imap_proto::Response::Data {
                status: async_imap::imap_proto::Status::Bye,
                outcome,
                ..
            } => Err(format!(
                "the server refused the connection: {}",
                super::brief(outcome.information.as_deref().unwrap_or(""))
            )),
            _ => Err(WRONG.into()),
        },
        Ok(Ok(None)) => Err("the server closed the connection before its greeting".into()),
        Ok(Err(_)) => Err(WRONG.into()),
    }
}
