//! `rebound send`'s settings: `[send]` of rebound.toml under the flags (the command line
//! wins), the password or OAuth2 token source, and the server `send` and `doctor` use.

use super::Args;
use anyhow::{bail, Context, Result};
use rebound::send::smtp::{ServerConfig, TlsMode};
use rebound::send::SendConfig;
use std::path::PathBuf;
use std::time::Duration;

/// The `[send]` section of rebound.toml.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::cli) struct FileConfig {
    recipients: Option<PathBuf>,
    message: Option<PathBuf>,
    pub(in crate::cli) from: Option<String>,
    pub(in crate::cli) server: Option<String>,
    port: Option<u16>,
    tls: Option<TlsMode>,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    token_command: Option<String>,
    token_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    concurrency: Option<usize>,
    rate: Option<f64>,
    retries: Option<u32>,
    retry_delay: Option<f64>,
    hello: Option<String>,
    timeout: Option<f64>,
    unsubscribe_url: Option<String>,
}

fn load_config(path: &std::path::Path, explicit: bool) -> Result<super::super::config::ConfigFile> {
    super::super::config::load(path, explicit)
}

/// The SMTP password and where it was looked for. The command line wins over the file
/// (a password file over an environment variable at the same level).
fn read_password(args: &Args, f: &FileConfig) -> Result<(Option<String>, String)> {
    let from_file = |p: &PathBuf| -> Result<(Option<String>, String)> {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading password file '{}'", p.display()))?;
        let first = text.lines().next().filter(|l| !l.is_empty());
        if first.is_none() {
            bail!("password file '{}' is empty", p.display());
        }
        Ok((first.map(str::to_string), format!("'{}'", p.display())))
    };
    let from_env = |var: &str| (std::env::var(var).ok(), format!("${var}"));
    if let Some(p) = &args.password_file {
        return from_file(p);
    }
    if let Some(var) = &args.password_env {
        return Ok(from_env(var));
    }
    if let Some(p) = &f.password_file {
        return from_file(p);
    }
    Ok(from_env(
        f.password_env.as_deref().unwrap_or("REBOUND_SMTP_PASSWORD"),
    ))
}

/// Turns arguments and the config file into a validated configuration.
pub(super) fn config(args: &Args) -> Result<SendConfig> {
    let explicit = args.config.as_os_str() != "rebound.toml";
    let file = load_config(&args.config, explicit)?;
    let policy_path = args.policy.clone().or(file.poll.policy.clone());
    let policy = std::sync::Arc::new(rebound::hygiene::Policy::load(policy_path.as_deref())?);
    let f = file.send;
    let need = |v: Option<PathBuf>, name: &str| -> Result<PathBuf> {
        v.with_context(|| format!("--{name} is required (or `{name}` in [send] of rebound.toml)"))
    };
    let recipients = need(
        args.recipients.clone().or(f.recipients.clone()),
        "recipients",
    )?;
    let message = need(args.message.clone().or(f.message.clone()), "message")?;
    let (from, server) = server_config(args, &f)?;
    let concurrency = args.concurrency.or(f.concurrency).unwrap_or(4);
    if concurrency == 0 || concurrency > 100 {
        bail!("--concurrency must be between 1 and 100");
    }
    let rate = args.rate.or(f.rate);
    if rate.is_some_and(|r| r <= 0.0 || !r.is_finite()) {
        bail!("--rate must be a positive number of messages per second");
    }
    let retry_delay = args.retry_delay.or(f.retry_delay).unwrap_or(1.0);
    if !(0.0..=3600.0).contains(&retry_delay) {
        bail!("--retry-delay must be between 0 and 3600 seconds");
    }
    let unsubscribe_url = args.unsubscribe_url.clone().or(f.unsubscribe_url.clone());
    if let Some(u) = &unsubscribe_url {
        rebound::send::unsubscribe::check_url(u).map_err(anyhow::Error::msg)?;
    }
    let secret = match &args.verp_secret_env {
        Some(var) => std::env::var(var)
            .with_context(|| format!("--verp-secret-env: ${var} is not set"))?
            .into_bytes(),
        // a dry run or a test copy leaves the store alone: its tokens are examples
        None if args.dry_run || args.test_to.is_some() => b"rebound dry run".to_vec(),
        None => rebound::store::Store::open(&args.db)?.verp_secret()?,
    };
    Ok(SendConfig {
        campaign: args.campaign.clone(),
        recipients,
        message,
        return_path: from,
        server,
        concurrency,
        rate,
        retries: args.retries.or(f.retries).unwrap_or(3),
        retry_delay: Duration::from_secs_f64(retry_delay),
        secret,
        resend_uncertain: args.resend_uncertain,
        retry_deferred: args.retry_deferred,
        add_recipients: args.add_recipients,
        unsubscribe_url,
        db: args.db.clone(),
        policy,
    })
}

/// The bounce address and the SMTP server settings, flags over `[send]`: what `send`
/// connects with, and what `doctor` checks.
fn server_config(args: &Args, f: &FileConfig) -> Result<(String, ServerConfig)> {
    let from = args
        .from
        .clone()
        .or(f.from.clone())
        .context("--from is required: the bounce address base, e.g. bounces@list.example")?;
    if let Err(why) = rebound::address::Address::parse(&from) {
        bail!("--from '{from}' is not a valid address: {why}");
    }
    let tls = args.tls.or(f.tls).unwrap_or(TlsMode::Starttls);
    let port = args.port.or(f.port).unwrap_or(match tls {
        TlsMode::Starttls => 587,
        TlsMode::Tls => 465,
        TlsMode::None => 25,
    });
    let user = args.user.clone().or(f.user.clone());
    // A token on the command line wins over the file's, as a password does.
    let token = if args.token_command.is_some() || args.token_file.is_some() {
        Some((args.token_command.clone(), args.token_file.clone()))
    } else if f.token_command.is_some() || f.token_file.is_some() {
        Some((f.token_command.clone(), f.token_file.clone()))
    } else {
        None
    };
    let token = token
        .map(|(c, p)| rebound::oauth::TokenSource::from_config(c.as_deref(), p.as_deref()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let password = if token.is_some() {
        if user.is_none() {
            bail!("OAuth2 needs --user (the mailbox the token was issued for)");
        }
        None
    } else {
        let (password, looked_in) = read_password(args, f)?;
        if user.is_some() && password.is_none() {
            bail!("--user is set but no password: {looked_in} is not set (or use --password-file)");
        }
        password
    };
    let domain = from
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d)
        .to_string();
    let timeout = args.timeout.or(f.timeout).unwrap_or(60.0);
    if !(0.01..=3600.0).contains(&timeout) {
        bail!("--timeout must be between 0.01 and 3600 seconds");
    }
    let server = ServerConfig {
        host: args
            .server
            .clone()
            .or(f.server.clone())
            .unwrap_or_else(|| "localhost".into()),
        port,
        tls,
        user,
        password,
        token,
        ca_file: args.ca_file.clone().or(f.ca_file.clone()),
        insecure: args.insecure,
        hello: args.hello.clone().or(f.hello.clone()).unwrap_or(domain),
        timeout: Duration::from_secs_f64(timeout),
    };
    Ok((from, server))
}

/// What `doctor` checks: the bounce address and server of `config`'s `[send]`, as `send`
/// with no flags would use them. `None` when the file has no `[send]` server or address.
pub(in crate::cli) fn server_from_file(
    config: &std::path::Path,
    insecure: bool,
) -> Result<Option<(String, ServerConfig)>> {
    let file = load_config(config, true)?;
    let f = file.send;
    if f.from.is_none() && f.server.is_none() {
        return Ok(None);
    }
    let args = Args {
        config: config.to_path_buf(),
        insecure,
        ..Args::default()
    };
    server_config(&args, &f).map(Some)
}
