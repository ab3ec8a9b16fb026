//! Silent drops: a receiving domain that accepts the mail and then says nothing. Per
//! domain, the share of accepted messages with no news (the campaign funnel's `no_news`:
//! no DSN, complaint, auto-reply or delivery report tied to the recipient) is compared
//! with the same domain's share over its earlier campaigns; a jump is flagged, next to
//! the blocklist changes recorded in the campaign's window.

use super::{campaign, Report, ReportError, Scope};
use crate::store::{ListingChange, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The rule, `[silence]` in rebound.toml. A domain is flagged in a campaign when all hold:
/// 1. it had at least `min_accepted` accepted messages in the campaign;
/// 2. its earlier campaigns (the last `history_campaigns` that mailed it) had at least
///    `min_history` accepted messages together;
/// 3. its silent share rose by at least `min_rise` percentage points over the history's
///    pooled share (no news / accepted over those campaigns);
/// 4. its share *with* news fell to at most `max_news_ratio` of the history's (0.5: news
///    halved or worse), so a domain whose normal news rate is 2 % is not flagged for a
///    dip that is mostly noise, and one at 40 % is not flagged for losing a quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SilenceRule {
    pub min_accepted: usize,
    pub min_history: usize,
    pub history_campaigns: usize,
    pub min_rise: f64,
    pub max_news_ratio: f64,
    /// Blocklist changes from this many days before a campaign's start up to the next
    /// campaign's start are shown beside its flags.
    pub window_days_before: u32,
}

impl Default for SilenceRule {
    fn default() -> Self {
        SilenceRule {
            min_accepted: 20,
            min_history: 50,
            history_campaigns: 10,
            min_rise: 5.0,
            max_news_ratio: 0.5,
            window_days_before: 1,
        }
    }
}

/// A domain whose silence jumped in one campaign.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SilentDomain {
    pub campaign: String,
    pub domain: String,
    pub accepted: usize,
    pub no_news: usize,
    /// Percent of accepted messages with no news, this campaign.
    pub silent_pct: f64,
    /// How many earlier campaigns mailed the domain (within `history_campaigns`).
    pub history_campaigns: usize,
    pub history_accepted: usize,
    pub history_silent_pct: f64,
    /// Blocklist changes recorded in the campaign's window.
    pub blocklist_changes: Vec<ListingChange>,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        (n as f64 * 10_000.0 / d as f64).round() / 100.0
    }
}

/// Whether the rule flags `now` (accepted, no news) against `history` (the same, pooled).
pub fn jumps(rule: &SilenceRule, now: (usize, usize), history: (usize, usize)) -> bool {
    let (acc, silent) = now;
    let (h_acc, h_silent) = history;
    if acc < rule.min_accepted.max(1) || h_acc < rule.min_history.max(1) {
        return false;
    }
    let share = silent as f64 / acc as f64;
    let h_share = h_silent as f64 / h_acc as f64;
    let rise = (share - h_share) * 100.0;
    let news = 1.0 - share;
    let h_news = 1.0 - h_share;
    rise >= rule.min_rise && h_news > 0.0 && news <= rule.max_news_ratio * h_news
}

/// Per domain of one campaign: (accepted, no news), by the campaign report's funnel.
fn domain_counts(
    store: &Store,
    name: &str,
) -> Result<BTreeMap<String, (usize, usize)>, ReportError> {
    let r = campaign(store, name, false)?;
    Ok(r.by_domain
        .into_iter()
        .filter(|d| d.accepted > 0)
        .map(|d| (d.domain, (d.accepted, d.no_news)))
        .collect())
}

/// The flags for the campaigns named in `scope` (ids), each judged against the campaigns
/// created before it.
pub fn silent_domains(
    store: &Store,
    scope: &[i64],
    rule: &SilenceRule,
) -> Result<Vec<SilentDomain>, ReportError> {
    let all = store.campaign_times()?;
    let mut cache: HashMap<i64, BTreeMap<String, (usize, usize)>> = HashMap::new();
    let mut counts =
        |id: i64, name: &str| -> Result<BTreeMap<String, (usize, usize)>, ReportError> {
            if let Some(c) = cache.get(&id) {
                return Ok(c.clone());
            }
            let c = domain_counts(store, name)?;
            cache.insert(id, c.clone());
            Ok(c)
        };
    let mut out = Vec::new();
    for (i, (id, name, _)) in all.iter().enumerate() {
        if !scope.contains(id) {
            continue;
        }
        let now = counts(*id, name)?;
        let earlier: Vec<BTreeMap<String, (usize, usize)>> = all[..i]
            .iter()
            .rev()
            .map(|(eid, ename, _)| counts(*eid, ename))
            .collect::<Result<_, _>>()?;
        let mut flagged = Vec::new();
        for (domain, &(acc, silent)) in &now {
            let (mut h_acc, mut h_silent, mut h_n) = (0, 0, 0);
            for e in earlier.iter().filter_map(|e| e.get(domain)) {
                if h_n == rule.history_campaigns {
                    break;
                }
                h_acc += e.0;
                h_silent += e.1;
                h_n += 1;
            }
            if jumps(rule, (acc, silent), (h_acc, h_silent)) {
                flagged.push(SilentDomain {
                    campaign: name.clone(),
                    domain: domain.clone(),
                    accepted: acc,
                    no_news: silent,
                    silent_pct: pct(silent, acc),
                    history_campaigns: h_n,
                    history_accepted: h_acc,
                    history_silent_pct: pct(h_silent, h_acc),
                    blocklist_changes: Vec::new(),
                });
            }
        }
        if !flagged.is_empty() {
            let changes = campaign_changes(store, &all, i, rule)?;
            for f in &mut flagged {
                f.blocklist_changes = changes.clone();
            }
            out.extend(flagged);
        }
    }
    Ok(out)
}

/// The blocklist changes in the window of campaign `i` of `times` (oldest first).
fn campaign_changes(
    store: &Store,
    times: &[(i64, String, String)],
    i: usize,
    rule: &SilenceRule,
) -> Result<Vec<ListingChange>, ReportError> {
    let from = store.time_shifted(&times[i].2, -i64::from(rule.window_days_before))?;
    let to = times.get(i + 1).map(|(_, _, c)| c.as_str());
    Ok(store.listing_changes_between(&from, to)?)
}

/// Adds to a report the silent domains of the campaigns in its scope and the blocklist
/// changes of its window: a campaign's runs from `window_days_before` days before it
/// started to the next campaign's start (or now); a `--since` report's is its days.
pub(super) fn watch(
    store: &Store,
    scope: &Scope,
    rule: &SilenceRule,
    r: &mut Report,
) -> Result<(), ReportError> {
    let times = store.campaign_times()?;
    match scope {
        Scope::Campaign(name) => {
            if let Some(i) = times.iter().position(|(_, n, _)| n == name) {
                r.silent_domains = silent_domains(store, &[times[i].0], rule)?;
                r.blocklist_changes = campaign_changes(store, &times, i, rule)?;
            }
        }
        Scope::Since(days) => {
            let from = store.days_ago(*days)?;
            let ids: Vec<i64> = times
                .iter()
                .filter(|(_, _, created)| *created >= from)
                .map(|(id, _, _)| *id)
                .collect();
            r.silent_domains = silent_domains(store, &ids, rule)?;
            r.blocklist_changes = store.listing_changes_between(&from, None)?;
        }
        Scope::Unmatched => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_needs_volume_a_rise_and_news_halved() {
        let r = SilenceRule::default();
        // 95 % silent before, 100 % now: +5 points, news 5 % -> 0 %
        assert!(jumps(&r, (100, 100), (500, 475)));
        // too few accepted now, or too little history
        assert!(!jumps(&r, (19, 19), (500, 475)));
        assert!(!jumps(&r, (100, 100), (49, 40)));
        // a rise of 3 points is noise at the default
        assert!(!jumps(&r, (100, 98), (500, 475)));
        // with delivery reports: 60 % silent before; 70 % is news down to 0.75: not flagged
        assert!(!jumps(&r, (100, 70), (500, 300)));
        // 85 %: news 15 % of 40 % = 0.375: flagged
        assert!(jumps(&r, (100, 85), (500, 300)));
        // a domain that never gave news cannot go quieter
        assert!(!jumps(&r, (100, 100), (500, 500)));
        let strict = SilenceRule {
            min_rise: 1.0,
            max_news_ratio: 0.9,
            ..SilenceRule::default()
        };
        assert!(jumps(&strict, (100, 98), (500, 475)));
    }
}
