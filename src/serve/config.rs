//! The `[serve]` section of rebound.toml and the settings `rebound serve` runs with.
//! Secrets (the API token, each provider's key) come from an environment variable or a
//! file, never from the TOML itself.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `[serve]` in rebound.toml.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// `IP:PORT` to listen on (default 127.0.0.1:8025: loopback, behind a proxy).
    pub listen: Option<String>,
    /// Environment variable holding the bearer token of the read API.
    pub token_env: Option<String>,
    /// File holding the bearer token (first line).
    pub token_file: Option<PathBuf>,
    /// Largest request body in bytes (default 1 MiB); larger ones get 413.
    pub max_body: Option<usize>,
    /// Seconds a request may take, body included (default 30); then 408.
    pub timeout: Option<u64>,
    /// Seconds a signed timestamp stays valid (default 900); older requests get 401.
    pub max_age: Option<u64>,
    pub mailgun: Option<SecretRef>,
    pub sendgrid: Option<SecretRef>,
    pub postmark: Option<PostmarkConfig>,
}

/// Where one secret is kept: `env = "VAR"` or `file = "path"`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

/// `[serve.postmark]`: Postmark posts behind basic auth (user:password in the webhook URL)
/// or with a custom header; either (or both) must match.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmarkConfig {
    /// Basic-auth user name (the password is `password_env`/`password_file`).
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// A header name Postmark sends with a secret value (`header_env`/`header_file`).
    pub header: Option<String>,
    pub header_env: Option<String>,
    pub header_file: Option<PathBuf>,
}

/// Reads a secret from the environment or the first line of a file; `what` names it in errors.
pub fn read_secret(
    env: Option<&str>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<Option<String>, String> {
    if let Some(p) = file {
        let text = std::fs::read_to_string(p)
            .map_err(|e| format!("{what}: file '{}': {e}", p.display()))?;
        let first = text.lines().next().unwrap_or("").trim().to_string();
        if first.is_empty() {
            return Err(format!("{what}: file '{}' is empty", p.display()));
        }
        return Ok(Some(first));
    }
    if let Some(var) = env {
        let v = std::env::var(var).map_err(|_| format!("{what}: ${var} is not set"))?;
        if v.trim().is_empty() {
            return Err(format!("{what}: ${var} is empty"));
        }
        return Ok(Some(v.trim().to_string()));
    }
    Ok(None)
}

/// Postmark's accepted credentials.
#[derive(Debug, Clone, Default)]
pub struct PostmarkAuth {
    /// `user:password` for basic auth.
    pub basic: Option<String>,
    /// (header name, secret value).
    pub header: Option<(String, String)>,
}

/// Everything `serve` needs, validated, secrets loaded.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub max_body: usize,
    pub timeout: Duration,
    pub max_age: u64,
    /// Mailgun's webhook signing key.
    pub mailgun: Option<String>,
    /// SendGrid's verification key (base64 DER SubjectPublicKeyInfo).
    pub sendgrid: Option<Vec<u8>>,
    pub postmark: Option<PostmarkAuth>,
}

impl Settings {
    /// From the file's section; `listen` from the command line wins.
    pub fn new(cfg: &ServeConfig, listen: Option<&str>) -> Result<Settings, String> {
        let text = listen.or(cfg.listen.as_deref()).unwrap_or("127.0.0.1:8025");
        let listen = text
            .parse::<SocketAddr>()
            .map_err(|_| format!("listen '{text}': expected IP:PORT, like 127.0.0.1:8025"))?;
        let token = read_secret(
            cfg.token_env.as_deref(),
            cfg.token_file.as_deref(),
            "[serve] token",
        )?;
        let secret = |s: &Option<SecretRef>, what: &str| match s {
            Some(s) => read_secret(s.env.as_deref(), s.file.as_deref(), what)?
                .map(Some)
                .ok_or_else(|| format!("{what}: give env = \"VAR\" or file = \"path\"")),
            None => Ok(None),
        };
        let mailgun = secret(&cfg.mailgun, "[serve.mailgun]")?;
        let sendgrid = secret(&cfg.sendgrid, "[serve.sendgrid]")?
            .map(|k| super::sendgrid::decode_key(&k))
            .transpose()
            .map_err(|e| format!("[serve.sendgrid]: {e}"))?;
        let postmark = cfg.postmark.as_ref().map(postmark_auth).transpose()?;
        Ok(Settings {
            listen,
            token,
            max_body: cfg.max_body.unwrap_or(1 << 20).max(1024),
            timeout: Duration::from_secs(cfg.timeout.unwrap_or(30).max(1)),
            max_age: cfg.max_age.unwrap_or(900).max(1),
            mailgun,
            sendgrid,
            postmark,
        })
    }
}

fn postmark_auth(p: &PostmarkConfig) -> Result<PostmarkAuth, String> {
    let what = "[serve.postmark]";
    let password = read_secret(
        p.password_env.as_deref(),
        p.password_file.as_deref(),
        "[serve.postmark] password",
    )?;
    let basic = match (&p.user, password) {
        (Some(u), Some(pw)) => Some(format!("{u}:{pw}")),
        (None, None) => None,
        _ => {
            return Err(format!(
                "{what}: basic auth needs both user and password_env/password_file"
            ))
        }
    };
    let value = read_secret(
        p.header_env.as_deref(),
        p.header_file.as_deref(),
        "[serve.postmark] header secret",
    )?;
    let header = match (&p.header, value) {
        (Some(h), Some(v)) => Some((h.to_ascii_lowercase(), v)),
        (None, None) => None,
        _ => {
            return Err(format!(
                "{what}: a secret header needs both header and header_env/header_file"
            ))
        }
    };
    if basic.is_none() && header.is_none() {
        return Err(format!(
            "{what}: set user + password_env (basic auth) or header + header_env; an open endpoint is refused"
        ));
    }
    Ok(PostmarkAuth { basic, header })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ServeConfig {
        crate::configfile::parse_text(text).unwrap()
    }

    #[test]
    fn defaults_listen_on_loopback_with_no_provider_and_a_closed_api() {
        let s = Settings::new(&ServeConfig::default(), None).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8025");
        assert!(s.token.is_none() && s.mailgun.is_none() && s.postmark.is_none());
        assert_eq!(s.max_body, 1 << 20);
    }

    #[test]
    fn secrets_never_sit_in_the_file_and_missing_ones_are_named() {
        let err = crate::configfile::parse_text::<ServeConfig>("[mailgun]\nkey = \"s3cret\"\n")
            .unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        let cfg = parse("[mailgun]\nenv = \"REBOUND_TEST_UNSET_VAR_9\"\n");
        let err = Settings::new(&cfg, None).unwrap_err();
        assert!(err.contains("$REBOUND_TEST_UNSET_VAR_9"), "{err}");
        let err = Settings::new(&parse("[mailgun]\n"), None).unwrap_err();
        assert!(err.contains("[serve.mailgun]"), "{err}");
    }

    #[test]
    fn postmark_without_credentials_is_refused() {
        let err = Settings::new(&parse("[postmark]\n"), None).unwrap_err();
        assert!(err.contains("open endpoint"), "{err}");
        let err = Settings::new(&parse("[postmark]\nuser = \"pm\"\n"), None).unwrap_err();
        assert!(err.contains("both user and password"), "{err}");
    }

    #[test]
    fn a_bad_listen_address_is_named() {
        let err = Settings::new(&ServeConfig::default(), Some("localhost")).unwrap_err();
        assert!(err.starts_with("listen 'localhost'"), "{err}");
    }

    #[test]
    fn a_sendgrid_key_that_is_no_p256_key_is_refused() {
        assert!(super::super::sendgrid::decode_key("bm90IGEga2V5").is_err());
        assert!(super::super::sendgrid::decode_key("%%%").is_err());
    }
}
