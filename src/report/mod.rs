//! Post-campaign bounce reports: the path from the recipient list to the last bounce, with
//! breakdowns by reason, recipient domain, blocklist and day, and a per-recipient listing.
//! Built from the store; rendered as a table, CSV, JSON or one self-contained HTML file.

pub mod html;
pub mod silence;
pub mod text;

use crate::store::{
    FactDetail, ListingChange, MatchKey, SendState, SentRow, Store, StoreError, Verdict,
};
use serde::Serialize;
pub use silence::{SilenceRule, SilentDomain};
use std::collections::BTreeMap;

/// What a report is about.
#[derive(Debug, Clone)]
pub enum Scope {
    Campaign(String),
    /// Facts of the last N days, across campaigns.
    Since(u32),
    /// Facts tied to no send (and forged VERP tokens).
    Unmatched,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no campaign named '{name}' in the store (campaigns: {known})")]
    NoCampaign { name: String, known: String },
}

/// From the list to the outcome. Every recipient is counted once, at the furthest point
/// its mail reached.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Funnel {
    pub recipients: usize,
    pub skipped_suppressed: usize,
    pub pending: usize,
    pub rejected_at_smtp: usize,
    pub deferred: usize,
    pub uncertain: usize,
    pub accepted: usize,
    pub accepted_with_receipt: usize,
    pub bounced_hard: usize,
    pub bounced_soft: usize,
    /// Refused for the sender's reputation or a blocklist: "we are blocked", not a bad address.
    pub blocked: usize,
    pub delayed: usize,
    pub delivered: usize,
    pub complained: usize,
    pub auto_replied: usize,
    /// Accepted and nothing heard since.
    pub no_news: usize,
    /// Recipients who asked to be unsubscribed (the signed List-Unsubscribe mailto read by
    /// `poll`). Not a stage of the path above: an unsubscribed recipient is also counted
    /// where its mail got to.
    pub unsubscribed: usize,
}

/// Rates per message the receiving servers answered (`accepted` + `rejected_at_smtp`):
/// a refusal at submission is a bounce like a DSN, so it counts on both sides of the
/// fraction. Percentages; 0 when nothing was answered.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Rates {
    /// The denominator: messages accepted or refused by the servers.
    pub answered: usize,
    pub bounce_rate: f64,
    pub hard_rate: f64,
    pub soft_rate: f64,
    pub complaint_rate: f64,
}

impl Rates {
    fn of(f: &Funnel, answered: usize) -> Rates {
        let pct = |n: usize| {
            if answered == 0 {
                0.0
            } else {
                (n as f64 * 10_000.0 / answered as f64).round() / 100.0
            }
        };
        Rates {
            answered,
            bounce_rate: pct(f.bounced_hard + f.bounced_soft),
            hard_rate: pct(f.bounced_hard),
            soft_rate: pct(f.bounced_soft),
            complaint_rate: pct(f.complained),
        }
    }
}

/// A named count.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Count {
    pub name: String,
    pub count: usize,
}

/// Outcomes for one recipient domain.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DomainRow {
    pub domain: String,
    pub recipients: usize,
    pub rejected_at_smtp: usize,
    pub bounced_hard: usize,
    pub bounced_soft: usize,
    pub blocked: usize,
    pub complained: usize,
    /// Accepted by the receiving server (campaign reports only).
    pub accepted: usize,
    /// Accepted and nothing heard since: the funnel's `no_news`, per domain.
    pub no_news: usize,
}

/// A blocklist named by rejections, and the listed sending IP.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BlocklistRow {
    pub list: String,
    pub listed_ip: String,
    pub count: usize,
}

/// Facts recorded on one day, by category.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DayRow {
    pub day: String,
    pub hard: usize,
    pub soft: usize,
    pub blocked: usize,
    pub delayed: usize,
    pub other: usize,
}

/// One recipient, or one fact for the window and unmatched reports.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Line {
    pub email: String,
    pub send_state: String,
    pub receipt_id: String,
    pub outcome: String,
    pub reason: String,
    pub status: String,
    pub diagnostic: String,
    pub blocklist: String,
    pub matched_by: String,
    pub evidence: String,
    pub when: String,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub funnel: Funnel,
    pub rates: Rates,
    pub by_reason: Vec<Count>,
    pub by_domain: Vec<DomainRow>,
    pub by_blocklist: Vec<BlocklistRow>,
    /// Facts by the remote host that gave the answer.
    pub by_remote_mta: Vec<Count>,
    pub by_day: Vec<DayRow>,
    pub matched_by: Vec<Count>,
    pub lines: Vec<Line>,
    /// Receiving domains whose silence jumped against their own history (`silence`).
    pub silent_domains: Vec<SilentDomain>,
    /// Blocklist listings and delistings recorded in the report's window.
    pub blocklist_changes: Vec<ListingChange>,
}

/// The category of one fact, most serious first in `RANK`.
fn category(f: &FactDetail) -> &'static str {
    match f.reason.as_str() {
        "feedback" => "complained",
        "vacation" => "auto_replied",
        "delivered" => "delivered",
        _ if f.action.as_deref() == Some("delayed") => "delayed",
        _ if f.verdict == Verdict::Reputation || f.blocklist.is_some() => "blocked",
        _ if f.hard => "bounced_hard",
        _ => "bounced_soft",
    }
}

const RANK: &[&str] = &[
    "complained",
    "bounced_hard",
    "bounced_soft",
    "blocked",
    "delayed",
    "delivered",
    "auto_replied",
];

fn rank(c: &str) -> usize {
    RANK.iter().position(|r| *r == c).unwrap_or(RANK.len())
}

fn domain_of(email: &str) -> String {
    let key = crate::address::key_of(email);
    key.rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "(none)".into())
}

fn counts(map: BTreeMap<String, usize>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    v
}

fn line_of(f: &FactDetail) -> Line {
    Line {
        email: f.email.clone().unwrap_or_default(),
        outcome: category(f).to_string(),
        reason: f.reason.to_string(),
        status: f.status.clone().unwrap_or_default(),
        diagnostic: f.diagnostic.clone().unwrap_or_default(),
        blocklist: match (&f.blocklist, &f.listed_ip) {
            (Some(l), Some(ip)) => format!("{l} ({ip})"),
            (Some(l), None) => l.clone(),
            _ => String::new(),
        },
        matched_by: f.matched_by.to_string(),
        evidence: f.evidence.clone(),
        when: f.created_at.clone(),
        ..Line::default()
    }
}

/// Facts by the remote host that answered (those that name one).
fn by_remote_mta(facts: &[FactDetail]) -> Vec<Count> {
    let mut hosts = BTreeMap::new();
    for f in facts {
        if let Some(h) = f.remote_mta.as_deref().filter(|h| !h.is_empty()) {
            *hosts.entry(h.to_ascii_lowercase()).or_insert(0) += 1;
        }
    }
    counts(hosts)
}

/// Breakdowns shared by every scope, over a set of facts.
fn breakdowns(facts: &[FactDetail]) -> (Vec<Count>, Vec<BlocklistRow>, Vec<DayRow>, Vec<Count>) {
    let mut reasons = BTreeMap::new();
    let mut lists: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut days: BTreeMap<String, DayRow> = BTreeMap::new();
    let mut keys = BTreeMap::new();
    for f in facts {
        *reasons.entry(f.reason.to_string()).or_insert(0) += 1;
        *keys.entry(f.matched_by.to_string()).or_insert(0) += 1;
        if let Some(l) = &f.blocklist {
            *lists
                .entry((l.clone(), f.listed_ip.clone().unwrap_or_default()))
                .or_insert(0) += 1;
        }
        let day = f.created_at.get(..10).unwrap_or(&f.created_at).to_string();
        let d = days.entry(day.clone()).or_insert_with(|| DayRow {
            day,
            ..DayRow::default()
        });
        match category(f) {
            "bounced_hard" => d.hard += 1,
            "bounced_soft" => d.soft += 1,
            "blocked" => d.blocked += 1,
            "delayed" => d.delayed += 1,
            _ => d.other += 1,
        }
    }
    let mut lists: Vec<BlocklistRow> = lists
        .into_iter()
        .map(|((list, listed_ip), count)| BlocklistRow {
            list,
            listed_ip,
            count,
        })
        .collect();
    lists.sort_by(|a, b| b.count.cmp(&a.count).then(a.list.cmp(&b.list)));
    (
        counts(reasons),
        lists,
        days.into_values().collect(),
        counts(keys),
    )
}

/// Builds the report for a scope. `lines` asks for the per-recipient (or per-fact) listing.
pub fn build(store: &Store, scope: &Scope, lines: bool) -> Result<Report, ReportError> {
    build_with(store, scope, lines, &SilenceRule::default())
}

/// `build` with a silent-drop rule of the user's (`[silence]` in rebound.toml).
pub fn build_with(
    store: &Store,
    scope: &Scope,
    lines: bool,
    rule: &SilenceRule,
) -> Result<Report, ReportError> {
    let mut r = build_plain(store, scope, lines)?;
    silence::watch(store, scope, rule, &mut r)?;
    Ok(r)
}

fn build_plain(store: &Store, scope: &Scope, lines: bool) -> Result<Report, ReportError> {
    match scope {
        Scope::Campaign(name) => campaign(store, name, lines),
        Scope::Since(days) => {
            let facts = store.facts_since(*days)?;
            let mut r = from_facts(format!("the last {days} days"), &facts, lines);
            let (accepted, rejected) = store.answered_since(*days)?;
            r.funnel.accepted = accepted;
            r.funnel.unsubscribed = store.unsubscribes_since(*days)?;
            r.rates = Rates::of(&r.funnel, accepted + rejected);
            Ok(r)
        }
        Scope::Unmatched => {
            let facts = store.unmatched_facts()?;
            Ok(from_facts("bounces tied to no send".into(), &facts, true))
        }
    }
}

fn from_facts(title: String, facts: &[FactDetail], lines: bool) -> Report {
    let (by_reason, by_blocklist, by_day, matched_by) = breakdowns(facts);
    let mut funnel = Funnel::default();
    let mut domains: BTreeMap<String, DomainRow> = BTreeMap::new();
    for f in facts {
        // a DSN for a recipient refused at submission is the same bounce again
        if f.verdict == Verdict::Duplicate {
            continue;
        }
        if f.matched_by == MatchKey::Sync {
            funnel.rejected_at_smtp += 1;
        }
        bump(&mut funnel, category(f));
        let email = f.email.clone().unwrap_or_default();
        let d = domains
            .entry(domain_of(&email))
            .or_insert_with(|| DomainRow {
                domain: domain_of(&email),
                ..DomainRow::default()
            });
        d.recipients += 1;
        if f.matched_by == MatchKey::Sync {
            d.rejected_at_smtp += 1;
        }
        bump_domain(d, category(f));
    }
    let rates = Rates::of(&funnel, funnel.accepted + funnel.rejected_at_smtp);
    Report {
        title,
        funnel,
        rates,
        by_reason,
        by_domain: sorted_domains(domains),
        by_blocklist,
        by_remote_mta: by_remote_mta(facts),
        by_day,
        matched_by,
        lines: if lines {
            facts.iter().map(line_of).collect()
        } else {
            Vec::new()
        },
        silent_domains: Vec::new(),
        blocklist_changes: Vec::new(),
    }
}

fn bump(funnel: &mut Funnel, cat: &str) {
    match cat {
        "complained" => funnel.complained += 1,
        "bounced_hard" => funnel.bounced_hard += 1,
        "bounced_soft" => funnel.bounced_soft += 1,
        "blocked" => funnel.blocked += 1,
        "delayed" => funnel.delayed += 1,
        "delivered" => funnel.delivered += 1,
        "auto_replied" => funnel.auto_replied += 1,
        _ => {}
    }
}

fn bump_domain(d: &mut DomainRow, cat: &str) {
    match cat {
        "complained" => d.complained += 1,
        "bounced_hard" => d.bounced_hard += 1,
        "bounced_soft" => d.bounced_soft += 1,
        "blocked" => d.blocked += 1,
        "rejected_at_smtp" => d.rejected_at_smtp += 1,
        _ => {}
    }
}

fn sorted_domains(map: BTreeMap<String, DomainRow>) -> Vec<DomainRow> {
    let mut v: Vec<DomainRow> = map.into_values().collect();
    v.sort_by(|a, b| {
        b.recipients
            .cmp(&a.recipients)
            .then(a.domain.cmp(&b.domain))
    });
    v
}

fn campaign(store: &Store, name: &str, want_lines: bool) -> Result<Report, ReportError> {
    let Some(c) = store.find_campaign(name)? else {
        let known: Vec<String> = store
            .campaign_names()?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        return Err(ReportError::NoCampaign {
            name: name.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    };
    let sent: Vec<SentRow> = store.sent_rows(c.id)?;
    let facts = store.campaign_facts(c.id)?;
    let (mut by_reason, by_blocklist, by_day, matched_by) = breakdowns(&facts);
    // Refusals at SMTP time count among the reasons even before poll has seen a DSN.
    let synced: std::collections::HashSet<i64> = facts
        .iter()
        .filter(|f| f.matched_by == MatchKey::Sync)
        .filter_map(|f| f.recipient_id)
        .collect();
    let mut reasons: BTreeMap<String, usize> =
        by_reason.into_iter().map(|c| (c.name, c.count)).collect();
    for s in sent
        .iter()
        .filter(|s| s.state == SendState::Rejected && !synced.contains(&s.recipient_id))
    {
        *reasons
            .entry(s.reason.clone().unwrap_or_else(|| "undefined".into()))
            .or_insert(0) += 1;
    }
    by_reason = counts(reasons);
    let mut by_recipient: BTreeMap<i64, &FactDetail> = BTreeMap::new();
    for f in &facts {
        let Some(rid) = f.recipient_id else { continue };
        // the most serious fact stands for the recipient; among equals, the latest
        let replace = by_recipient
            .get(&rid)
            .is_none_or(|cur| rank(category(f)) <= rank(category(cur)));
        if replace {
            by_recipient.insert(rid, f);
        }
    }
    let mut funnel = Funnel {
        recipients: sent.len(),
        ..Funnel::default()
    };
    let mut domains: BTreeMap<String, DomainRow> = BTreeMap::new();
    let mut lines = Vec::new();
    for s in &sent {
        let dom = domain_of(&s.email);
        let d = domains.entry(dom.clone()).or_insert_with(|| DomainRow {
            domain: dom,
            ..DomainRow::default()
        });
        d.recipients += 1;
        let fact = by_recipient.get(&s.recipient_id).copied();
        let outcome = match s.state.as_str() {
            "skipped" => {
                funnel.skipped_suppressed += 1;
                "skipped_suppressed".to_string()
            }
            "pending" | "sending" => {
                funnel.pending += 1;
                "pending".to_string()
            }
            "rejected" => {
                funnel.rejected_at_smtp += 1;
                d.rejected_at_smtp += 1;
                // the refusal is a bounce: counted in its category as a DSN would be
                let cat = fact.map_or("bounced_soft", category);
                bump(&mut funnel, cat);
                bump_domain(d, cat);
                "rejected_at_smtp".to_string()
            }
            "deferred" => {
                funnel.deferred += 1;
                "deferred".to_string()
            }
            "uncertain" => {
                funnel.uncertain += 1;
                "uncertain".to_string()
            }
            _ => {
                funnel.accepted += 1;
                d.accepted += 1;
                if s.receipt_id.is_some() {
                    funnel.accepted_with_receipt += 1;
                }
                match fact {
                    Some(f) => {
                        let cat = category(f);
                        bump(&mut funnel, cat);
                        bump_domain(d, cat);
                        cat.to_string()
                    }
                    None => {
                        funnel.no_news += 1;
                        d.no_news += 1;
                        "no_news".to_string()
                    }
                }
            }
        };
        if want_lines {
            let mut l = fact.map(line_of).unwrap_or_default();
            l.email = s.email.clone();
            l.send_state = s.state.as_str().to_string();
            l.receipt_id = s.receipt_id.clone().unwrap_or_default();
            l.outcome = outcome;
            if fact.is_none() && s.state != SendState::Accepted {
                // what the server said, for refusals not yet facts and for deferrals
                l.reason = s.reason.clone().unwrap_or_default();
                l.diagnostic = s.reply.clone().unwrap_or_default();
                if s.state == SendState::Rejected {
                    l.matched_by = "sync".into();
                }
                l.when = s.updated_at.clone().unwrap_or_default();
            }
            lines.push(l);
        }
    }
    funnel.unsubscribed = store.campaign_unsubscribes(c.id)?;
    let rates = Rates::of(&funnel, funnel.accepted + funnel.rejected_at_smtp);
    Ok(Report {
        title: format!("campaign {}", c.name),
        funnel,
        rates,
        by_reason,
        by_domain: sorted_domains(domains),
        by_blocklist,
        by_remote_mta: by_remote_mta(&facts),
        by_day,
        matched_by,
        lines,
        silent_domains: Vec::new(),
        blocklist_changes: Vec::new(),
    })
}
