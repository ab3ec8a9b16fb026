//! The report as one self-contained HTML file: inline CSS and SVG, no fetch from anywhere.
//! Everything that came from a bounce is escaped: diagnostic text is written by strangers.

use super::Report;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}
h1{font-size:1.6em}h2{font-size:1.15em;margin-top:2em}
.tiles{display:flex;flex-wrap:wrap;gap:.8em}.tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.7em 1em;min-width:8em}
.tile b{display:block;font-size:1.6em}.tile span{color:#666;font-size:.85em}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eee;cursor:pointer;user-select:none}td.n{text-align:right}td.d{font-family:monospace;font-size:.85em;word-break:break-word}
svg text{font:12px system-ui,sans-serif}";

/// A sortable-table script of ours (the only script in the page).
const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0],r=Array.from(b.rows),asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';r.sort(function(x,y){var a=x.cells[i].textContent,c=y.cells[i].textContent,na=parseFloat(a),nc=parseFloat(c);var v=(!isNaN(na)&&!isNaN(nc))?na-nc:a.localeCompare(c);return asc?v:-v;});r.forEach(function(e){b.appendChild(e);});});});";

fn tile(label: &str, n: usize, id: &str) -> String {
    format!(
        "<div class=\"tile\" id=\"tile-{id}\"><b>{n}</b><span>{}</span></div>",
        esc(label)
    )
}

/// Horizontal bars: (label, count), as an SVG.
fn bars(id: &str, rows: &[(String, usize)], color: &str) -> String {
    if rows.is_empty() {
        return "<p>None.</p>".into();
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let h = 22;
    let mut s = format!(
        "<svg id=\"{id}\" width=\"720\" height=\"{}\" role=\"img\">",
        rows.len() * h + 4
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = i * h + 2;
        let w = (*n as f64 / max * 430.0).max(1.0);
        s.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"220\" y=\"{y}\" width=\"{w:.0}\" height=\"16\" fill=\"{color}\"/><text x=\"{:.0}\" y=\"{}\">{n}</text>",
            y + 13,
            esc(&label.chars().take(32).collect::<String>()),
            226.0 + w,
            y + 13
        ));
    }
    s.push_str("</svg>");
    s
}

/// Renders the report page.
/// Silent domains and blocklist changes (the section is left out when both are empty).
fn watch(r: &Report) -> String {
    let mut h = String::new();
    if !r.silent_domains.is_empty() {
        h.push_str("<h2>Silent domains</h2><p>Accepted, then no news, far more than in the domain's earlier campaigns: mail may be dropped or filed as spam without a bounce.</p>");
        h.push_str("<table id=\"silent-domains\"><thead><tr><th>domain</th><th>campaign</th><th>accepted</th><th>silent</th><th>before</th><th>blocklist changes in the window</th></tr></thead><tbody>");
        for d in &r.silent_domains {
            let changes: Vec<String> = d
                .blocklist_changes
                .iter()
                .map(|c| {
                    format!(
                        "{} {} on {} at {}",
                        esc(&c.target),
                        esc(&c.change),
                        esc(&c.list),
                        esc(&c.at)
                    )
                })
                .collect();
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1} %</td><td class=\"n\">{:.1} % of {} ({} campaigns)</td><td>{}</td></tr>",
                esc(&d.domain),
                esc(&d.campaign),
                d.accepted,
                d.silent_pct,
                d.history_silent_pct,
                d.history_accepted,
                d.history_campaigns,
                if changes.is_empty() { "none".to_string() } else { changes.join("<br>") }
            ));
        }
        h.push_str("</tbody></table>");
    }
    if !r.blocklist_changes.is_empty() {
        h.push_str("<h2>Blocklist changes</h2><table id=\"blocklist-changes\"><thead><tr><th>when</th><th>target</th><th>change</th><th>list</th><th>codes</th></tr></thead><tbody>");
        for c in &r.blocklist_changes {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.at),
                esc(&c.target),
                esc(&c.change),
                esc(&c.list),
                esc(&c.codes)
            ));
        }
        h.push_str("</tbody></table>");
    }
    h
}

pub fn render(r: &Report) -> String {
    let f = &r.funnel;
    let mut h = String::with_capacity(16 * 1024);
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
    h.push_str(&format!(
        "<title>rebound report: {}</title><style>{STYLE}</style></head><body>",
        esc(&r.title)
    ));
    h.push_str(&format!(
        "<h1 id=\"title\">Bounce report: {}</h1>",
        esc(&r.title)
    ));
    h.push_str("<div class=\"tiles\">");
    if f.recipients > 0 {
        h.push_str(&tile("recipients", f.recipients, "recipients"));
        h.push_str(&tile("accepted", f.accepted, "accepted"));
        h.push_str(&tile("rejected at SMTP", f.rejected_at_smtp, "rejected"));
    }
    h.push_str(&tile("bounced hard", f.bounced_hard, "hard"));
    h.push_str(&tile("bounced soft", f.bounced_soft, "soft"));
    h.push_str(&tile("blocked (sender)", f.blocked, "blocked"));
    h.push_str(&tile("complaints", f.complained, "complained"));
    h.push_str(&tile("auto-replies", f.auto_replied, "auto"));
    h.push_str(&tile("unsubscribed", f.unsubscribed, "unsubscribed"));
    h.push_str("</div>");
    let rt = &r.rates;
    h.push_str(&format!(
        "<p id=\"rates\">Per answered message ({}): bounce rate {:.2} %, hard {:.2} %, soft {:.2} %, complaints {:.2} %</p>",
        rt.answered, rt.bounce_rate, rt.hard_rate, rt.soft_rate, rt.complaint_rate
    ));

    if f.recipients > 0 {
        h.push_str("<h2>From list to outcome</h2>");
        let funnel = [
            ("recipients", f.recipients),
            ("skipped (suppressed)", f.skipped_suppressed),
            ("rejected at SMTP", f.rejected_at_smtp),
            ("deferred", f.deferred),
            ("uncertain", f.uncertain),
            ("accepted", f.accepted),
            ("bounced hard", f.bounced_hard),
            ("bounced soft", f.bounced_soft),
            ("blocked (sender)", f.blocked),
            ("delayed", f.delayed),
            ("delivered (DSN)", f.delivered),
            ("no news", f.no_news),
        ];
        let rows: Vec<(String, usize)> = funnel.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        h.push_str(&bars("funnel", &rows, "#4a7bd0"));
    }
    h.push_str("<h2>Reasons</h2>");
    let reasons: Vec<(String, usize)> = r
        .by_reason
        .iter()
        .map(|c| (c.name.clone(), c.count))
        .collect();
    h.push_str(&bars("reasons", &reasons, "#d0704a"));
    h.push_str("<h2>Recipient domains (recipients)</h2>");
    let doms: Vec<(String, usize)> = r
        .by_domain
        .iter()
        .take(15)
        .map(|d| (d.domain.clone(), d.recipients))
        .collect();
    h.push_str(&bars("domains", &doms, "#6a9f58"));
    h.push_str("<h2>Remote MTAs (answers)</h2>");
    let hosts: Vec<(String, usize)> = r
        .by_remote_mta
        .iter()
        .take(15)
        .map(|c| (c.name.clone(), c.count))
        .collect();
    h.push_str(&bars("remote-mtas", &hosts, "#c0a030"));
    h.push_str("<h2>Blocklists naming the sender</h2>");
    if r.by_blocklist.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str("<table id=\"blocklists\"><thead><tr><th>list</th><th>listed IP</th><th>rejections</th></tr></thead><tbody>");
        for b in &r.by_blocklist {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(&b.list),
                esc(&b.listed_ip),
                b.count
            ));
        }
        h.push_str("</tbody></table>");
    }
    h.push_str(&watch(r));
    h.push_str("<h2>Over time</h2>");
    let days: Vec<(String, usize)> = r
        .by_day
        .iter()
        .map(|d| {
            (
                d.day.clone(),
                d.hard + d.soft + d.blocked + d.delayed + d.other,
            )
        })
        .collect();
    h.push_str(&bars("timeline", &days, "#8a63b8"));
    if !r.lines.is_empty() {
        h.push_str("<h2>Recipients</h2><table class=\"sortable\" id=\"recipients\"><thead><tr>");
        for c in [
            "recipient",
            "sent",
            "receipt",
            "outcome",
            "reason",
            "status",
            "diagnostic",
            "key",
        ] {
            h.push_str(&format!("<th>{c}</th>"));
        }
        h.push_str("</tr></thead><tbody>");
        for l in &r.lines {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"d\">{}</td><td>{}</td></tr>",
                esc(&l.email),
                esc(&l.send_state),
                esc(&l.receipt_id),
                esc(&l.outcome),
                esc(&l.reason),
                esc(&l.status),
                esc(&l.diagnostic),
                esc(&l.matched_by)
            ));
        }
        h.push_str("</tbody></table>");
    }
    h.push_str(&format!("<script>{SCRIPT}</script></body></html>\n"));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{7}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot; "
        );
    }
}
