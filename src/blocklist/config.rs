//! The `[blocklist]` section of rebound.toml and the settings a check runs with: which
//! lists, which resolver, which targets (given, configured, or the sending host's).

use super::resolve::{Checker, Options};
use super::{lists, Check, ListDef, Selected, Target};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// `[blocklist]` in rebound.toml.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistConfig {
    /// `IP:PORT` (or `IP`, port 53) of the resolver to ask; default the system's.
    pub resolver: Option<String>,
    /// Seconds per query (default 3).
    pub timeout: Option<f64>,
    /// Queries in flight at once (default 16).
    pub concurrency: Option<usize>,
    /// Short names or zones of the lists to query (default: every known list).
    pub lists: Option<Vec<String>>,
    /// Another zone to ask for a list, by short name: a Spamhaus DQS zone with its key
    /// (`zen = "KEY.zen.dq.spamhaus.net"`), a mirror. The list's codes still apply.
    #[serde(default)]
    pub zones: BTreeMap<String, String>,
    /// Sending IP addresses to check (default: the addresses of `[send] server`).
    #[serde(default)]
    pub ips: Vec<String>,
    /// Sending and link domains to check (default: the domain of `[send] from`).
    #[serde(default)]
    pub domains: Vec<String>,
}

/// The `[send]` keys a check may fall back on; the rest of `[send]` is send's.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct SendHints {
    pub server: Option<String>,
    pub from: Option<String>,
}

/// Reads `IP:PORT`, `[IPv6]:PORT` or a bare IP (port 53).
pub fn parse_resolver(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Ok(sa);
    }
    if let Ok(ip) = t.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "resolver '{text}': expected IP:PORT (127.0.0.1:53, [::1]:53) or an IP address"
    ))
}

/// Resolves list names; the error names the unknown one and the known ones.
pub fn select_lists(names: Option<&[String]>) -> Result<Vec<&'static ListDef>, String> {
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        return Ok(lists::LISTS.iter().collect());
    };
    let mut out: Vec<&'static ListDef> = Vec::new();
    for n in names {
        let l = lists::find(n).ok_or_else(|| {
            let known: Vec<&str> = lists::LISTS.iter().map(|l| l.name).collect();
            format!("unknown blocklist '{n}' (known: {})", known.join(", "))
        })?;
        if !out.iter().any(|o| std::ptr::eq(*o, l)) {
            out.push(l);
        }
    }
    Ok(out)
}

/// Everything a check needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub options: Options,
    pub lists: Vec<Selected>,
}

impl Settings {
    /// From the file's section, with command-line values laid over it.
    pub fn new(
        cfg: &BlocklistConfig,
        resolver: Option<&str>,
        timeout: Option<f64>,
        lists: &[String],
    ) -> Result<Settings, String> {
        let resolver = resolver
            .or(cfg.resolver.as_deref())
            .map(parse_resolver)
            .transpose()?;
        let secs = timeout.or(cfg.timeout).unwrap_or(3.0);
        if !(secs.is_finite() && secs > 0.0 && secs <= 60.0) {
            return Err(format!(
                "timeout {secs}: give seconds between 0 and 60 per query"
            ));
        }
        let defs = if lists.is_empty() {
            select_lists(cfg.lists.as_deref())?
        } else {
            select_lists(Some(lists))?
        };
        let mut lists: Vec<Selected> = defs.into_iter().map(Selected::new).collect();
        for (name, zone) in &cfg.zones {
            let def = self::lists::find(name)
                .ok_or_else(|| format!("[blocklist.zones]: unknown blocklist '{name}'"))?;
            // the key is not echoed: the zone may carry one
            let zone = super::query::normalise_domain(zone)
                .ok_or_else(|| format!("[blocklist.zones] {name}: not a DNS zone"))?;
            for l in lists.iter_mut().filter(|l| std::ptr::eq(l.def, def)) {
                l.zone = zone.clone();
            }
        }
        Ok(Settings {
            options: Options {
                resolver,
                timeout: Duration::from_secs_f64(secs),
                concurrency: cfg.concurrency.unwrap_or(16).clamp(1, 256),
            },
            lists,
        })
    }
}

/// The configured targets: `[blocklist] ips` and `domains`; without `ips`, the addresses
/// `[send] server` resolves to; without `domains`, the domain of `[send] from`.
pub async fn configured_targets(
    checker: &Checker,
    cfg: &BlocklistConfig,
    send: &SendHints,
) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for t in cfg.ips.iter().chain(&cfg.domains) {
        out.push(Target::parse(t).map_err(|e| format!("[blocklist]: {e}"))?);
    }
    if cfg.ips.is_empty() {
        if let Some(server) = send.server.as_deref().filter(|s| !s.trim().is_empty()) {
            let (public, private): (Vec<_>, Vec<_>) = checker
                .addresses(server.trim())
                .await?
                .into_iter()
                .partition(super::targets::is_public);
            if public.is_empty() {
                // a relay on loopback or a private network: the address receivers see is
                // another one, which only the user knows
                tracing::warn!(
                    server,
                    addresses = ?private,
                    "[send] server has no public address; set [blocklist] ips to check the sending IPs"
                );
            }
            out.extend(public.into_iter().map(Target::Ip));
        }
    }
    if cfg.domains.is_empty() {
        if let Some(d) = send
            .from
            .as_deref()
            .and_then(|f| f.rsplit_once('@'))
            .and_then(|(_, d)| super::query::normalise_domain(d.trim_end_matches('>')))
        {
            out.push(Target::Domain(d));
        }
    }
    Ok(out)
}

/// Runs the queries of `targets` on a runtime of its own (the callers are synchronous).
/// With no targets given, the configured ones are checked.
pub fn run_checks(
    settings: &Settings,
    targets: Vec<Target>,
    cfg: &BlocklistConfig,
    send: &SendHints,
) -> Result<(Vec<Target>, Vec<Check>), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the resolver's runtime: {e}"))?;
    rt.block_on(async {
        let checker = Checker::new(settings.options.clone()).map_err(|e| e.to_string())?;
        let mut targets = if targets.is_empty() {
            configured_targets(&checker, cfg, send).await?
        } else {
            targets
        };
        let mut seen = std::collections::HashSet::new();
        targets.retain(|t| seen.insert(t.clone()));
        let pairs = super::pairs(&targets, &settings.lists);
        let checks = checker.check(&pairs).await;
        Ok((targets, checks))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_parse_with_and_without_port() {
        assert_eq!(parse_resolver("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_resolver("192.0.2.53").unwrap().port(), 53);
        assert_eq!(parse_resolver("[::1]:53").unwrap().port(), 53);
        assert_eq!(parse_resolver("::1").unwrap().port(), 53);
        let e = parse_resolver("dns.example:53").unwrap_err();
        assert!(e.contains("'dns.example:53'"), "{e}");
    }

    #[test]
    fn lists_are_chosen_by_name_or_zone_and_unknown_ones_named() {
        assert_eq!(select_lists(None).unwrap().len(), lists::LISTS.len());
        let l = select_lists(Some(&[
            "zen".into(),
            "multi.uribl.com".into(),
            "ZEN".into(),
        ]))
        .unwrap();
        assert_eq!(
            l.iter().map(|l| l.name).collect::<Vec<_>>(),
            ["zen", "uribl"]
        );
        let e = select_lists(Some(&["spamhouse".into()])).unwrap_err();
        assert!(e.contains("'spamhouse'") && e.contains("zen"), "{e}");
    }

    #[test]
    fn settings_layer_flags_over_the_file() {
        let cfg = BlocklistConfig {
            resolver: Some("127.0.0.1:53".into()),
            timeout: Some(5.0),
            lists: Some(vec!["dbl".into()]),
            ..BlocklistConfig::default()
        };
        let s = Settings::new(&cfg, Some("127.0.0.2:5300"), None, &[]).unwrap();
        assert_eq!(s.options.resolver.unwrap().to_string(), "127.0.0.2:5300");
        assert_eq!(s.options.timeout, Duration::from_secs(5));
        assert_eq!(s.lists[0].def.name, "dbl");
        let s = Settings::new(&cfg, None, Some(0.5), &["zen".into()]).unwrap();
        assert_eq!(s.lists[0].def.name, "zen");
        let dqs = BlocklistConfig {
            zones: [("zen".to_string(), "k3y.zen.dq.spamhaus.net".to_string())].into(),
            ..cfg.clone()
        };
        let d = Settings::new(&dqs, None, None, &["zen".into(), "dbl".into()]).unwrap();
        assert_eq!(d.lists[0].zone, "k3y.zen.dq.spamhaus.net");
        assert_eq!(d.lists[1].zone, "dbl.spamhaus.org");
        let bad = BlocklistConfig {
            zones: [("zen".to_string(), "not a zone k3y".to_string())].into(),
            ..cfg.clone()
        };
        let e = Settings::new(&bad, None, None, &[]).unwrap_err();
        assert!(!e.contains("k3y"), "{e}");
        assert_eq!(s.options.timeout, Duration::from_millis(500));
        assert!(Settings::new(&cfg, None, Some(0.0), &[]).is_err());
    }
}
