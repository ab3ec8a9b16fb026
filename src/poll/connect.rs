//! Opening an IMAP session: TCP, then implicit TLS, STARTTLS or nothing, then LOGIN.
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
    let password = account.password().map_err(err)?;
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
    let mut client = Client::new(stream);
    if account.tls != Tls::Starttls {
        greeting(&mut client).await.map_err(err)?;
    }
    client
        .login(&account.user, &password)
        .await
        .map_err(|(e, _)| err(format!("LOGIN as '{}': {e}", account.user)))
}

async fn greeting<T: Io>(client: &mut Client<T>) -> Result<(), String> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the server closed the connection before its greeting".into()),
        Err(e) => Err(format!("reading the greeting: {e}")),
    }
}
