//! SMTP AUTH (RFC 4954) on an open connection: PLAIN, else LOGIN, as the server offers.
//! lettre's `Auth` command writes the base64 responses.

use super::conn::{Conn, ConnError};
use super::reply::Reply;
use super::smtp::{session_err, setup_err, ServerConfig, SmtpError};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::commands::Auth;

/// AUTH PLAIN, else LOGIN, as the server offers (RFC 4954).
pub fn authenticate(
    conn: &mut Conn,
    ehlo: &Reply,
    cfg: &ServerConfig,
    user: &str,
    pass: &str,
) -> Result<(), SmtpError> {
    let offered = ehlo.params("AUTH").unwrap_or_default();
    let has = |m: &str| offered.iter().any(|o| o.eq_ignore_ascii_case(m));
    let creds = Credentials::new(user.to_string(), pass.to_string());
    let fail = |e: ConnError| setup_err(cfg, format!("authentication: {e}"));
    let lettre_err = |e| session_err(cfg, "authentication", e);
    let auth_line = |a: Auth| a.to_string().trim_end().to_string();
    let last = if has("PLAIN") {
        let a = Auth::new(Mechanism::Plain, creds, None).map_err(lettre_err)?;
        conn.command(&auth_line(a), "AUTH").map_err(fail)?
    } else if has("LOGIN") {
        let r = conn.command("AUTH LOGIN", "AUTH").map_err(fail)?;
        let mut last = r;
        // RFC-less but universal: the challenges are "Username:" then "Password:"
        for challenge in ["Username:", "Password:"] {
            if last.code != 334 {
                break;
            }
            let a = Auth::new(Mechanism::Login, creds.clone(), Some(challenge.into()))
                .map_err(lettre_err)?;
            last = conn.command(&auth_line(a), "AUTH").map_err(fail)?;
        }
        last
    } else {
        return Err(setup_err(
            cfg,
            format!(
                "authentication: the server offers no mechanism we speak (PLAIN, LOGIN); it offers: {}",
                offered.join(" ")
            ),
        ));
    };
    if last.code != 235 {
        return Err(setup_err(
            cfg,
            format!("authentication refused: {}", last.text()),
        ));
    }
    Ok(())
}

/// AUTH XOAUTH2 with an OAuth2 access token (Gmail, Microsoft 365). A refused token gets
/// a 334 challenge carrying the error, which the client answers with an empty line
/// before the final refusal.
pub fn authenticate_xoauth2(
    conn: &mut Conn,
    ehlo: &Reply,
    cfg: &ServerConfig,
    user: &str,
    token: &str,
) -> Result<(), SmtpError> {
    let offered = ehlo.params("AUTH").unwrap_or_default();
    if !offered.iter().any(|o| o.eq_ignore_ascii_case("XOAUTH2")) {
        return Err(setup_err(
            cfg,
            format!(
                "XOAUTH2 authentication: the server does not offer XOAUTH2; it offers: {}",
                offered.join(" ")
            ),
        ));
    }
    let fail = |e: ConnError| setup_err(cfg, format!("XOAUTH2 authentication: {e}"));
    let creds = Credentials::new(user.to_string(), token.to_string());
    let a = Auth::new(Mechanism::Xoauth2, creds, None)
        .map_err(|e| session_err(cfg, "XOAUTH2 authentication", e))?;
    let mut last = conn
        .command(a.to_string().trim_end(), "AUTH")
        .map_err(fail)?;
    if last.code == 334 {
        last = conn.command("", "AUTH").map_err(fail)?;
    }
    if last.code != 235 {
        return Err(setup_err(
            cfg,
            format!("XOAUTH2 authentication refused: {}", last.text()),
        ));
    }
    Ok(())
}
