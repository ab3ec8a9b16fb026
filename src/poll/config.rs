//! What `rebound poll` reads from `rebound.toml`: the `[poll]` section with its
//! `[[poll.account]]` list and the `[poll.folders]` names.

use super::process::Outcome;
use std::path::{Path, PathBuf};

/// How an account's connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Implicit TLS (IMAPS, port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS (port 143).
    Starttls,
    /// No TLS at all (loopback tests only).
    None,
}

/// One mailbox to poll.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// A name for checkpoints and messages (default: user@host).
    pub name: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub user: String,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// File holding the password (first line).
    pub password_file: Option<PathBuf>,
    /// `password` (default), or OAuth2: `xoauth2` (Gmail, Microsoft 365) or `oauthbearer`.
    #[serde(default = "password_auth")]
    pub auth: crate::oauth::Mechanism,
    /// OAuth2: a command that prints an access token (run at each login).
    pub token_command: Option<String>,
    /// OAuth2: a file holding an access token that something else keeps fresh.
    pub token_file: Option<PathBuf>,
    /// The folder the bounces arrive in.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Extra CA certificate (PEM) to trust, besides the public roots.
    pub ca_file: Option<PathBuf>,
    /// The name to check the certificate against (default: host).
    pub server_name: Option<String>,
    /// Set false to move with COPY + \Deleted + UID EXPUNGE even when MOVE is offered.
    #[serde(default = "yes")]
    pub use_move: bool,
}

fn password_auth() -> crate::oauth::Mechanism {
    crate::oauth::Mechanism::Password
}

fn default_tls() -> Tls {
    Tls::Tls
}
fn default_folder() -> String {
    "INBOX".into()
}
fn yes() -> bool {
    true
}

impl Account {
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}@{}", self.user, self.host))
    }
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Tls => 993,
            _ => 143,
        })
    }
    /// Settings that contradict each other, found before any connection.
    pub fn check(&self) -> Result<(), String> {
        use crate::oauth::Mechanism;
        let token = self.token_command.is_some() || self.token_file.is_some();
        let password = self.password_env.is_some() || self.password_file.is_some();
        match self.auth {
            Mechanism::Password if token => Err(
                "token_command/token_file are set but auth is not xoauth2 or oauthbearer".into(),
            ),
            Mechanism::Password => Ok(()),
            _ if password => Err(format!(
                "auth = \"{}\" logs in with a token: drop password_env/password_file",
                if self.auth == Mechanism::Xoauth2 {
                    "xoauth2"
                } else {
                    "oauthbearer"
                }
            )),
            _ => self.token_source().map(|_| ()),
        }
    }

    /// Where an OAuth2 account's token comes from.
    pub fn token_source(&self) -> Result<crate::oauth::TokenSource, String> {
        crate::oauth::TokenSource::from_config(
            self.token_command.as_deref(),
            self.token_file.as_deref(),
        )
    }

    /// The password, from the file or the environment variable (never from the TOML).
    pub fn password(&self) -> Result<String, String> {
        if let Some(p) = &self.password_file {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("password file '{}': {e}", p.display()))?;
            let first = text.lines().next().unwrap_or("");
            if first.is_empty() {
                return Err(format!(
                    "password file '{}' is empty (its first line is the password)",
                    p.display()
                ));
            }
            return Ok(first.to_string());
        }
        let var = self
            .password_env
            .clone()
            .unwrap_or_else(|| "REBOUND_IMAP_PASSWORD".into());
        match std::env::var(&var) {
            Ok(p) if !p.is_empty() => Ok(p),
            Ok(_) => Err(format!("${var} is empty (set it to the IMAP password)")),
            Err(_) => Err(format!("no password (set ${var} or password_file)")),
        }
    }
}

/// Folder names by outcome.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Folders {
    pub processed: String,
    pub complaints: String,
    pub auto_replies: String,
    pub unmatched: String,
    pub not_bounces: String,
    pub unsubscribes: String,
}

impl Default for Folders {
    fn default() -> Folders {
        Folders {
            processed: "Processed".into(),
            complaints: "Complaints".into(),
            auto_replies: "AutoReplies".into(),
            unmatched: "Unmatched".into(),
            not_bounces: "NotBounces".into(),
            unsubscribes: "Unsubscribes".into(),
        }
    }
}

impl Folders {
    pub fn for_outcome(&self, o: Outcome) -> &str {
        match o {
            Outcome::Processed => &self.processed,
            Outcome::Complaints => &self.complaints,
            Outcome::AutoReplies => &self.auto_replies,
            Outcome::Unmatched => &self.unmatched,
            Outcome::NotBounces => &self.not_bounces,
            Outcome::Unsubscribes => &self.unsubscribes,
        }
    }
}

/// The `[poll]` section.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSection {
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub folders: Folders,
    /// Messages fetched per UID FETCH.
    pub batch: Option<usize>,
    /// Committed messages moved per MOVE round (default 1000).
    pub move_every: Option<usize>,
    /// Hygiene policy file (default: the built-in policy).
    pub policy: Option<PathBuf>,
    /// Seconds to wait for the server at any step (default 120).
    pub timeout: Option<u64>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConfigFile {
    #[serde(default)]
    poll: PollSection,
}

/// Reads the `[poll]` section of a configuration file.
pub fn load(path: &Path) -> Result<PollSection, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("configuration '{}': {e}", path.display()))?;
    let f: ConfigFile = crate::configfile::parse(&text, path)?;
    f.poll.check(path)?;
    Ok(f.poll)
}

impl PollSection {
    /// Settings of its accounts that contradict each other, named with the file.
    pub fn check(&self, path: &Path) -> Result<(), String> {
        for a in &self.accounts {
            a.check().map_err(|why| {
                format!(
                    "configuration '{}': account '{}': {why}",
                    path.display(),
                    a.label()
                )
            })?;
        }
        Ok(())
    }
}
