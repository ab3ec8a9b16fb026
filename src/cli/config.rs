//! rebound.toml, read once and whole by every command: each section has its type, and an
//! unknown section or key (`[sned]`, `batchsize`) is refused with its line and column
//! whichever command reads the file, before anything is done. Errors never echo a line
//! (a password could be on it). The command line wins over every key.

use anyhow::{Context, Result};
use std::path::Path;

/// Every section of rebound.toml.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `rebound send` (and the sending host `blocklist` and `doctor` check).
    #[serde(default)]
    pub send: super::send::FileConfig,
    /// `rebound poll`: the bounce mailboxes, outcome folders, policy.
    #[serde(default)]
    pub poll: rebound::poll::config::PollSection,
    /// `rebound run`: what a scheduled cycle does besides polling.
    #[serde(default)]
    pub run: super::run::RunSection,
    /// `rebound blocklist check`: resolver, lists, targets.
    #[serde(default)]
    pub blocklist: rebound::blocklist::config::BlocklistConfig,
    /// The silent-drop rule of reports.
    #[serde(default)]
    pub silence: rebound::report::SilenceRule,
    /// `rebound serve`: listen address, API token, provider webhook secrets.
    #[serde(default)]
    pub serve: rebound::serve::ServeConfig,
}

/// Reads `path` whole. A missing file is an empty configuration unless `required`.
pub fn load(path: &Path, required: bool) -> Result<ConfigFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(ConfigFile::default())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!(
                "no configuration at '{}' (write one with `rebound init`, or pass --config FILE)",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("reading '{}'", path.display())),
    };
    let cfg: ConfigFile = rebound::configfile::parse(&text, path).map_err(anyhow::Error::msg)?;
    cfg.poll.check(path).map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

impl ConfigFile {
    /// The `[send]` keys a blocklist check falls back on.
    pub fn send_hints(&self) -> rebound::blocklist::config::SendHints {
        rebound::blocklist::config::SendHints {
            server: self.send.server.clone(),
            from: self.send.from.clone(),
        }
    }
}
