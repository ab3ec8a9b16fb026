//! The hygiene policy: a small TOML file mapping reasons to what happens to an address.
//! `Policy::default()` is the documented default (README "Hygiene policy").

use crate::correlate::MatchKey;
use crate::decode::Reason;
use std::path::Path;

/// The default policy, as a file a person can copy and edit.
pub const DEFAULT_POLICY: &str = r#"# rebound hygiene policy: what a bounce does to the address it is about.

# Suppress the address at the first such bounce.
[suppress]
reasons = ["userunknown", "hostunknown", "hasmoved", "feedback"]

# Suppress after `count` such bounces within `days` days. A later successful delivery
# (an accepted send or a success DSN) starts the count again. Delay reports
# (Action: delayed) never count.
[soft]
reasons = ["mailboxfull", "expired", "systemfull", "exceedlimit", "suspend", "mesgtoobig",
           "networkerror", "systemerror", "mailererror", "toomanyconn", "notaccept"]
count = 3
days = 7

# Recorded, never acted on.
[ignore]
reasons = ["vacation", "delivered"]

# The sender's problem, not the address's: never suppress; counted per sending
# domain and per blocklist/listed IP instead. Any rejection naming a blocklist counts here.
[reputation]
reasons = ["blocked", "badreputation", "spamdetected", "requireptr"]

[match]
# The weakest correlation key allowed to suppress anyone:
# verp, envid, queue_id, message_id, x_header or address.
weakest_key = "address"
# The address-only key looks at campaigns begun within this many days.
window_days = 30
"#;

/// Errors reading a policy file, naming it.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("policy '{path}': {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    suppress: Reasons,
    soft: Soft,
    ignore: Reasons,
    reputation: Reasons,
    #[serde(rename = "match")]
    matching: Matching,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Reasons {
    reasons: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Soft {
    reasons: Vec<String>,
    count: u32,
    days: u32,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Matching {
    weakest_key: String,
    window_days: u32,
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub suppress: Vec<Reason>,
    pub soft: Vec<Reason>,
    pub soft_count: u32,
    pub soft_days: u32,
    pub ignore: Vec<Reason>,
    pub reputation: Vec<Reason>,
    pub weakest_key: MatchKey,
    pub window_days: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::parse(DEFAULT_POLICY, "(default)").expect("the default policy parses")
    }
}

impl Policy {
    /// Parses policy text; `name` is used in errors.
    pub fn parse(text: &str, name: &str) -> Result<Policy, PolicyError> {
        let bad = |message: String| PolicyError::Invalid {
            path: name.to_string(),
            message,
        };
        let f: File = crate::configfile::parse_text(text).map_err(bad)?;
        let reasons = |list: &[String], section: &str| -> Result<Vec<Reason>, PolicyError> {
            list.iter()
                .map(|r| {
                    r.parse::<Reason>()
                        .map_err(|_| bad(format!("[{section}] unknown reason '{r}'")))
                })
                .collect()
        };
        let weakest_key = MatchKey::parse(&f.matching.weakest_key)
            .filter(|k| k.matched() && *k != MatchKey::Sync)
            .ok_or_else(|| {
                bad(format!(
                    "[match] weakest_key '{}' is not one of verp, envid, queue_id, message_id, x_header, address",
                    f.matching.weakest_key
                ))
            })?;
        if f.soft.count == 0 {
            return Err(bad("[soft] count must be at least 1".into()));
        }
        Ok(Policy {
            suppress: reasons(&f.suppress.reasons, "suppress")?,
            soft: reasons(&f.soft.reasons, "soft")?,
            soft_count: f.soft.count,
            soft_days: f.soft.days,
            ignore: reasons(&f.ignore.reasons, "ignore")?,
            reputation: reasons(&f.reputation.reasons, "reputation")?,
            weakest_key,
            window_days: f.matching.window_days,
        })
    }

    /// Reads a policy file; `None` gives the default.
    pub fn load(path: Option<&Path>) -> Result<Policy, PolicyError> {
        match path {
            None => Ok(Policy::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| PolicyError::Invalid {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?;
                Policy::parse(&text, &p.display().to_string())
            }
        }
    }
}
