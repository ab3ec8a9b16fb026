//! The report as a terminal table and as CSV.

use super::{Line, Report};
use std::io::Write;

fn clean(s: &str) -> String {
    // diagnostic text comes from strangers: no control characters on a terminal
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A readable summary (and the listing, when the report has lines).
pub fn table(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let f = &r.funnel;
    writeln!(out, "Report: {}", clean(&r.title))?;
    if f.recipients > 0 {
        writeln!(out, "\n  recipients            {:>7}", f.recipients)?;
        writeln!(out, "  skipped (suppressed)  {:>7}", f.skipped_suppressed)?;
        writeln!(out, "  rejected at SMTP time {:>7}", f.rejected_at_smtp)?;
        writeln!(out, "  deferred              {:>7}", f.deferred)?;
        writeln!(out, "  uncertain             {:>7}", f.uncertain)?;
        writeln!(out, "  pending               {:>7}", f.pending)?;
        writeln!(
            out,
            "  accepted              {:>7}  ({} with a receipt ID)",
            f.accepted, f.accepted_with_receipt
        )?;
    }
    writeln!(out, "  bounced, hard         {:>7}", f.bounced_hard)?;
    writeln!(out, "  bounced, soft         {:>7}", f.bounced_soft)?;
    writeln!(out, "  blocked (sender/list) {:>7}", f.blocked)?;
    writeln!(out, "  delayed               {:>7}", f.delayed)?;
    writeln!(out, "  delivered (DSN)       {:>7}", f.delivered)?;
    writeln!(out, "  complained            {:>7}", f.complained)?;
    writeln!(out, "  auto-replied          {:>7}", f.auto_replied)?;
    writeln!(out, "  unsubscribed          {:>7}", f.unsubscribed)?;
    if f.recipients > 0 {
        writeln!(out, "  no news since         {:>7}", f.no_news)?;
    }
    let rt = &r.rates;
    writeln!(
        out,
        "\n  rates per answered message ({}): bounce {:.2} %, hard {:.2} %, soft {:.2} %, complaint {:.2} %",
        rt.answered, rt.bounce_rate, rt.hard_rate, rt.soft_rate, rt.complaint_rate
    )?;
    let section =
        |out: &mut dyn Write, title: &str, rows: Vec<(String, usize)>| -> std::io::Result<()> {
            if rows.is_empty() {
                return Ok(());
            }
            writeln!(out, "\n{title}")?;
            for (k, n) in rows.into_iter().take(20) {
                writeln!(out, "  {:<40} {:>7}", clean(&k), n)?;
            }
            Ok(())
        };
    section(
        out,
        "By reason",
        r.by_reason
            .iter()
            .map(|c| (c.name.clone(), c.count))
            .collect(),
    )?;
    section(
        out,
        "By recipient domain (bounced hard / soft / blocked)",
        r.by_domain
            .iter()
            .filter(|d| d.bounced_hard + d.bounced_soft + d.blocked + d.rejected_at_smtp > 0)
            .map(|d| {
                (
                    format!(
                        "{} ({}/{}/{})",
                        d.domain, d.bounced_hard, d.bounced_soft, d.blocked
                    ),
                    d.recipients,
                )
            })
            .collect(),
    )?;
    section(
        out,
        "Blocklists naming us (list, listed IP)",
        r.by_blocklist
            .iter()
            .map(|b| (format!("{} {}", b.list, b.listed_ip), b.count))
            .collect(),
    )?;
    watch(r, out)?;
    section(
        out,
        "Tied to sends by",
        r.matched_by
            .iter()
            .map(|c| (c.name.clone(), c.count))
            .collect(),
    )?;
    if !r.by_day.is_empty() {
        writeln!(out, "\nBy day (hard / soft / blocked / delayed / other)")?;
        for d in &r.by_day {
            writeln!(
                out,
                "  {}  {} / {} / {} / {} / {}",
                d.day, d.hard, d.soft, d.blocked, d.delayed, d.other
            )?;
        }
    }
    if !r.lines.is_empty() {
        writeln!(
            out,
            "\n{:<36} {:<10} {:<18} {:<14} {:<7} {:<10} DIAGNOSTIC",
            "RECIPIENT", "SENT", "OUTCOME", "REASON", "STATUS", "KEY"
        )?;
        for l in &r.lines {
            let diag: String = clean(&l.diagnostic).chars().take(70).collect();
            writeln!(
                out,
                "{:<36} {:<10} {:<18} {:<14} {:<7} {:<10} {}",
                clean(&l.email),
                l.send_state,
                l.outcome,
                l.reason,
                clean(&l.status),
                l.matched_by,
                diag
            )?;
        }
    }
    Ok(())
}

/// Silent domains and blocklist changes: the part of the report that no bounce tells.
fn watch(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if !r.silent_domains.is_empty() {
        writeln!(
            out,
            "\nSilent domains (accepted, then no news; against the domain's earlier campaigns)"
        )?;
        for d in &r.silent_domains {
            writeln!(
                out,
                "  {} in {}: {:.1} % silent of {} accepted, was {:.1} % of {} over {} campaign(s)",
                clean(&d.domain),
                clean(&d.campaign),
                d.silent_pct,
                d.accepted,
                d.history_silent_pct,
                d.history_accepted,
                d.history_campaigns
            )?;
            for c in &d.blocklist_changes {
                writeln!(
                    out,
                    "    blocklist in the same window: {} {} on {} at {}",
                    clean(&c.target),
                    c.change,
                    clean(&c.list),
                    c.at
                )?;
            }
        }
    }
    if !r.blocklist_changes.is_empty() {
        writeln!(out, "\nBlocklist changes (recorded by checks)")?;
        for c in &r.blocklist_changes {
            writeln!(
                out,
                "  {}  {:<15} {:<9} {}  {}",
                c.at,
                clean(&c.target),
                c.change,
                clean(&c.list),
                clean(&c.codes)
            )?;
        }
    }
    Ok(())
}

/// CSV: one row per recipient (or fact) when the report has lines, else one row per
/// figure (`section,name,count`).
pub fn csv(r: &Report, out: &mut dyn Write) -> Result<(), csv::Error> {
    let mut w = crate::csvcell::Writer::from_writer(out);
    if !r.lines.is_empty() {
        w.write_record([
            "email",
            "send_state",
            "receipt_id",
            "outcome",
            "reason",
            "status",
            "diagnostic",
            "blocklist",
            "matched_by",
            "evidence",
            "when",
        ])?;
        for l in &r.lines {
            let Line {
                email,
                send_state,
                receipt_id,
                outcome,
                reason,
                status,
                diagnostic,
                blocklist,
                matched_by,
                evidence,
                when,
            } = l;
            w.write_record([
                email, send_state, receipt_id, outcome, reason, status, diagnostic, blocklist,
                matched_by, evidence, when,
            ])?;
        }
        return w.flush().map_err(csv::Error::from);
    }
    w.write_record(["section", "name", "count"])?;
    let f = serde_json::to_value(&r.funnel).unwrap_or_default();
    if let Some(obj) = f.as_object() {
        for (k, v) in obj {
            w.write_record(["funnel", k, &v.to_string()])?;
        }
    }
    let rates = serde_json::to_value(&r.rates).unwrap_or_default();
    if let Some(obj) = rates.as_object() {
        for (k, v) in obj {
            w.write_record(["rates", k, &v.to_string()])?;
        }
    }
    for c in &r.by_reason {
        w.write_record(["reason", &c.name, &c.count.to_string()])?;
    }
    for d in &r.by_domain {
        w.write_record(["domain", &d.domain, &d.recipients.to_string()])?;
    }
    for b in &r.by_blocklist {
        w.write_record([
            "blocklist",
            &format!("{} {}", b.list, b.listed_ip),
            &b.count.to_string(),
        ])?;
    }
    for c in &r.by_remote_mta {
        w.write_record(["remote_mta", &c.name, &c.count.to_string()])?;
    }
    for c in &r.matched_by {
        w.write_record(["matched_by", &c.name, &c.count.to_string()])?;
    }
    for d in &r.silent_domains {
        w.write_record([
            "silent_domain",
            &format!("{} {}", d.campaign, d.domain),
            &d.no_news.to_string(),
        ])?;
    }
    for c in &r.blocklist_changes {
        w.write_record([
            "blocklist_change",
            &format!("{} {} {} {}", c.at, c.target, c.change, c.list),
            "1",
        ])?;
    }
    w.flush().map_err(csv::Error::from)
}
