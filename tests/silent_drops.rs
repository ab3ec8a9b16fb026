//! Silent drops (issue 17): a campaign history generated through the store's API, five
//! campaigns a day apart; in the last one `quiet.test` accepts everything and says
//! nothing, while it used to answer about one message in ten. The report flags it, next
//! to the blocklist listing recorded in the campaign's window, and leaves alone a steady
//! domain, a domain with too few messages, and the earlier campaigns. The rule's
//! thresholds come from `[silence]` in rebound.toml.

mod common;

use common::*;
use rebound::store::{MatchKey, NewFact, Observation, Outcome, SendState, Store, Verdict};
use rebound::Reason;
use std::path::Path;

/// One campaign: `per_domain` is (domain, accepted, how many of them get news).
fn campaign(store: &mut Store, name: &str, per_domain: &[(&str, usize, usize)]) {
    let c = store.campaign(name, "sha", "news@sender.test").unwrap();
    let mut rows = Vec::new();
    for (domain, n, _) in per_domain {
        for i in 0..*n {
            rows.push((format!("r{i}@{domain}"), "{}".to_string(), rows.len() + 2));
        }
    }
    store.add_recipients(&c, &rows).unwrap();
    let recipients = store.recipients(&c).unwrap();
    for r in &recipients {
        let o = Outcome {
            state: SendState::Accepted,
            reply: Some("250 2.0.0 Ok: queued as X"),
            reply_code: Some(250),
            receipt_id: Some("X"),
            reason: None,
            hard: None,
            command: None,
        };
        store.record(r.id, &o).unwrap();
    }
    let tx = store.begin().unwrap();
    for (domain, _, news) in per_domain {
        // news: an auto-reply for the first `news` recipients of the domain
        for r in recipients
            .iter()
            .filter(|r| r.email.ends_with(&format!("@{domain}")))
            .take(*news)
        {
            let f = NewFact {
                email: Some(r.email.clone()),
                matched_by: MatchKey::Verp,
                campaign_id: Some(c.id),
                recipient_id: Some(r.id),
                action: None,
                reason: Reason::Vacation,
                hard: false,
                status: None,
                diagnostic: None,
                feedback_type: None,
                blocklist: None,
                listed_ip: None,
                evidence: "test".into(),
                verdict: Verdict::Ignore,
                remote_mta: None,
            };
            tx.insert_fact(None, &f).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn history(db: &Path) {
    let mut store = Store::open(db).unwrap();
    for i in 1..=4 {
        campaign(
            &mut store,
            &format!("c{i}"),
            &[
                ("quiet.test", 40, 4),
                ("steady.test", 40, 4),
                ("few.test", 5, 1),
            ],
        );
    }
    campaign(
        &mut store,
        "c5",
        &[
            ("quiet.test", 40, 0),
            ("steady.test", 40, 4),
            ("few.test", 5, 0),
        ],
    );
    let conn = rusqlite::Connection::open(db).unwrap();
    for i in 1..=5 {
        conn.execute(
            "UPDATE campaigns SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now', ?1) WHERE name = ?2",
            [format!("-{} days", 6 - i), format!("c{i}")],
        )
        .unwrap();
    }
    let at = |offset: &str| -> String {
        conn.query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now', ?1)",
            [offset],
            |r| r.get(0),
        )
        .unwrap()
    };
    let listed = |target: &str| Observation {
        target: target.into(),
        list: "zen.spamhaus.org".into(),
        listed: true,
        codes: "127.0.0.2 SBL".into(),
        txt: String::new(),
    };
    // a listing two hours after c5 went out (in its window), one three days before (not)
    store
        .record_listings(&[listed("192.0.2.9")], Some(&at("-4 days")))
        .unwrap();
    store
        .record_listings(&[listed("192.0.2.25")], Some(&at("-22 hours")))
        .unwrap();
}

fn report_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut argv = vec!["report", "--format", "json"];
    argv.extend_from_slice(args);
    let out = rebound(dir, &argv);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_domain_gone_silent_is_flagged_beside_the_blocklist_change() {
    let dir = workdir("silent-drops");
    history(&dir.join("rebound.db"));

    let r = report_json(&dir, &["--campaign", "c5"]);
    let flags = r["silent_domains"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{flags:#?}");
    let f = &flags[0];
    assert_eq!(f["domain"], "quiet.test");
    assert_eq!(f["campaign"], "c5");
    assert_eq!(f["accepted"], 40);
    assert_eq!(f["no_news"], 40);
    assert_eq!(f["silent_pct"], 100.0);
    assert_eq!(f["history_campaigns"], 4);
    assert_eq!(f["history_accepted"], 160);
    assert_eq!(f["history_silent_pct"], 90.0);
    let changes = f["blocklist_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["target"], "192.0.2.25");
    assert_eq!(changes[0]["change"], "listed");
    // the per-domain counts are the funnel's
    let quiet = r["by_domain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == "quiet.test")
        .unwrap();
    assert_eq!(
        (quiet["accepted"].clone(), quiet["no_news"].clone()),
        (40.into(), 40.into())
    );
    assert_eq!(r["funnel"]["no_news"], 40 + 36 + 5);

    // earlier campaigns are steady: nothing flagged
    for c in ["c2", "c3", "c4"] {
        let r = report_json(&dir, &["--campaign", c]);
        assert_eq!(r["silent_domains"].as_array().unwrap().len(), 0, "{c}");
    }

    // the window report shows the flag and both changes
    let r = report_json(&dir, &["--since", "7d"]);
    assert_eq!(r["silent_domains"].as_array().unwrap().len(), 1);
    assert_eq!(r["blocklist_changes"].as_array().unwrap().len(), 2);

    // the table and the HTML page say it in words
    let out = rebound(&dir, &["report", "--campaign", "c5", "--format", "table"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("Silent domains"), "{t}");
    assert!(
        t.contains(
            "quiet.test in c5: 100.0 % silent of 40 accepted, was 90.0 % of 160 over 4 campaign(s)"
        ),
        "{t}"
    );
    assert!(t.contains("192.0.2.25 listed on zen.spamhaus.org"), "{t}");
    let out = rebound(&dir, &["report", "--campaign", "c5", "--format", "html"]);
    let h = String::from_utf8_lossy(&out.stdout);
    assert!(h.contains("id=\"silent-domains\"") && h.contains("quiet.test"));

    // `run` names the silent domain in its summary line (its report is the last 7 days)
    std::fs::write(dir.join("rebound.toml"), "[run]\nreport = \"r.html\"\n").unwrap();
    let out = rebound(&dir, &["run", "--no-poll"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("(silent domains: quiet.test in c5)"),
        "{}",
        text(&out)
    );

    // the rule is configurable: a 20-point rise is asked for, and quiet.test's 10 is not enough
    std::fs::write(dir.join("rebound.toml"), "[silence]\nmin_rise = 20.0\n").unwrap();
    let r = report_json(&dir, &["--campaign", "c5"]);
    assert_eq!(r["silent_domains"].as_array().unwrap().len(), 0);
    // and a lower floor of accepted messages brings in few.test (5 accepted, all silent)
    std::fs::write(
        dir.join("rebound.toml"),
        "[silence]\nmin_accepted = 5\nmin_history = 20\n",
    )
    .unwrap();
    let r = report_json(&dir, &["--campaign", "c5"]);
    let names: Vec<&str> = r["silent_domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["domain"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["few.test", "quiet.test"]);
    // an unknown key is refused, naming it
    std::fs::write(dir.join("rebound.toml"), "[silence]\nmin_rize = 1\n").unwrap();
    let out = rebound(&dir, &["report", "--campaign", "c5"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("min_rize"), "{}", text(&out));
}
