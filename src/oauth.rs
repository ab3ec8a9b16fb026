//! OAuth2 access tokens for IMAP and SMTP (XOAUTH2, OAUTHBEARER), as Gmail and
//! Microsoft 365 require. rebound does not run the authorization flow itself: a token
//! comes from a command (run each time a session opens, like other mail tools' password
//! commands: `oauth2l fetch`, `gcloud auth print-access-token`, a refresh script) or from
//! a file that something else keeps fresh.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which SASL mechanism carries the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// The user name and password (PLAIN or LOGIN; IMAP LOGIN).
    Password,
    /// Google's and Microsoft's XOAUTH2.
    Xoauth2,
    /// RFC 7628 OAUTHBEARER (IMAP only here: the SMTP client offers XOAUTH2).
    Oauthbearer,
}

/// Where an access token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A shell command whose standard output's first line is the token.
    Command(String),
    /// A file whose first line is the token.
    File(PathBuf),
}

/// How long a token command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

impl TokenSource {
    /// From a configuration's `token_command` and `token_file` (exactly one).
    pub fn from_config(
        command: Option<&str>,
        file: Option<&std::path::Path>,
    ) -> Result<TokenSource, String> {
        match (command, file) {
            (Some(c), None) if !c.trim().is_empty() => Ok(TokenSource::Command(c.to_string())),
            (None, Some(f)) => Ok(TokenSource::File(f.to_path_buf())),
            (Some(_), Some(_)) => Err("set token_command or token_file, not both".into()),
            _ => Err(
                "OAuth2 needs token_command (a command that prints an access token) \
                      or token_file"
                    .into(),
            ),
        }
    }

    /// Fetches a token now. Errors say where it was looked for, never a token.
    pub fn token(&self) -> Result<String, String> {
        let text = match self {
            TokenSource::File(p) => std::fs::read_to_string(p)
                .map_err(|e| format!("token file '{}': {e}", p.display()))?,
            TokenSource::Command(cmd) => run_command(cmd)?,
        };
        let first = text.lines().next().unwrap_or("").trim();
        if first.is_empty() {
            return Err(match self {
                TokenSource::File(p) => format!("token file '{}' is empty", p.display()),
                TokenSource::Command(c) => format!("token command '{c}' printed nothing"),
            });
        }
        if first.chars().any(|c| c.is_control() || c == ' ') {
            return Err("the access token holds spaces or control characters".into());
        }
        Ok(first.to_string())
    }
}

/// Runs `sh -c CMD` with a time limit; its standard output, or why it failed (with the
/// first line of its standard error, which names the problem in tools like oauth2l).
fn run_command(cmd: &str) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("token command '{cmd}': {e}"))?;
    // Both pipes are drained while the command runs, so a chatty one cannot block.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut out);
            }
            out
        })
    };
    let reader = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let errors = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "token command '{cmd}' gave no token in {} s",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("token command '{cmd}': {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let err = errors.join().unwrap_or_default();
        let why: String = err.lines().next().unwrap_or("").chars().take(200).collect();
        return Err(format!("token command '{cmd}' failed ({status}): {why}"));
    }
    Ok(out)
}

/// The XOAUTH2 initial client response (before base64).
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// The RFC 7628 OAUTHBEARER initial client response (before base64).
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    // The gs2 header's authzid escapes ',' and '=' (RFC 5801 section 5).
    let authzid = user.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_commands_and_files() {
        let t = TokenSource::Command("printf 'abc.123\\nsecond line\\n'".into());
        assert_eq!(t.token().unwrap(), "abc.123");
        let e = TokenSource::Command("echo 'no refresh token' >&2; exit 3".into())
            .token()
            .unwrap_err();
        assert!(
            e.contains("no refresh token") && e.contains("failed"),
            "{e}"
        );
        let e = TokenSource::Command("true".into()).token().unwrap_err();
        assert!(e.contains("printed nothing"), "{e}");
        let e = TokenSource::File("/nonexistent/token".into())
            .token()
            .unwrap_err();
        assert!(e.contains("/nonexistent/token"), "{e}");
        assert!(TokenSource::from_config(None, None).is_err());
        assert!(TokenSource::from_config(Some("x"), Some("f".as_ref())).is_err());
    }

    #[test]
    fn responses_have_the_documented_shape() {
        assert_eq!(
            xoauth2("a@b.example", "T"),
            "user=a@b.example\u{1}auth=Bearer T\u{1}\u{1}"
        );
        assert_eq!(
            oauthbearer("a,=b@c.example", "imap.c.example", 993, "T"),
            "n,a=a=2C=3Db@c.example,\u{1}host=imap.c.example\u{1}port=993\u{1}auth=Bearer T\u{1}\u{1}"
        );
    }
}
