//! Every line of the report's funnel against a campaign built to produce each (issue 11):
//! skipped, refused (hard, soft, blocked), deferred, accepted then delivered, delayed,
//! complained about, auto-replied to, and no news; the window view agrees with the
//! campaign view; and the address-only key acts only within the policy's `window_days`.

mod common;

use common::*;

#[test]
fn every_funnel_line_counts_what_the_campaign_produced() {
    let env = stack();
    let dir = workdir("funnel");
    let tag = format!("funnel{}", std::process::id());
    let local = &env["LOCAL_DOMAIN"];
    let rcpt = |name: &str| format!("{name}-{tag}@remote.test");
    let (delivered, delayed, complained, replied, quiet, by_addr, old_addr) = (
        rcpt("delivered"),
        rcpt("delayed"),
        rcpt("complained"),
        rcpt("replied"),
        rcpt("quiet"),
        rcpt("byaddress"),
        rcpt("old"),
    );
    let skipped = format!("p-{tag}@{local}");
    let list = [
        delivered.as_str(),
        delayed.as_str(),
        complained.as_str(),
        replied.as_str(),
        quiet.as_str(),
        by_addr.as_str(),
        "tempfail@remote.test",
        "full@remote.test",
        "blocked@remote.test",
        &format!("u-{tag}@{local}"),
        &skipped,
    ];
    write_recipients(&dir, "list.csv", &list);
    let out = rebound(&dir, &["suppress", "add", &skipped.to_uppercase()]);
    assert!(out.status.success(), "{}", text(&out));
    let send = |campaign: &str, file: &str| {
        let quick = ["--retries", "1", "--retry-delay", "0"];
        let out = send_list(&dir, &env, campaign, file, &env["SMTP_REJECT_PORT"], &quick);
        assert!(out.status.success(), "{}", text(&out));
    };
    send(&tag, "list.csv");
    // A second campaign, made to look 40 days old: beyond the address key's window.
    std::fs::write(
        dir.join("old.csv"),
        format!("email,first_name\n{old_addr},X\n"),
    )
    .unwrap();
    send(&format!("{tag}-old"), "old.csv");
    let db = dir.join("rebound.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE campaigns SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ','now','-40 days') WHERE name = ?1",
        [format!("{tag}-old")],
    )
    .unwrap();
    let ids = |email: &str| -> (String, String, String) {
        conn.query_row(
            "SELECT envelope_id, message_id, verp_token FROM recipients WHERE email = ?1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|e| panic!("{email}: {e}"))
    };

    // What comes back: a success DSN, a delay report, a complaint, an auto-reply, and
    // two DSNs carrying nothing but the address (one for the 40-day-old campaign).
    let sender = &env["SENDER"];
    let folder = format!("{tag}-in");
    let save = |m: &str| save_message(&env, &folder, m);
    save(&dsn_message(
        sender,
        &format!("d1-{tag}"),
        Some(&ids(&delivered).0),
        &delivered,
        "delivered",
        "2.0.0",
    ));
    save(&dsn_message(
        sender,
        &format!("d2-{tag}"),
        Some(&ids(&delayed).0),
        &delayed,
        "delayed",
        "4.4.1",
    ));
    save(&format!(
        "From: fbl@isp.example\nTo: {sender}\nSubject: complaint\nMessage-ID: <arf-{tag}@isp.example>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\n\n--f\nContent-Type: text/plain\n\nA complaint.\n\n--f\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: test/1.0\nVersion: 1\n\n--f\nContent-Type: text/rfc822-headers\n\nFrom: news@rebound.test\nTo: {complained}\nMessage-ID: <{}>\nSubject: Hello\n\n--f--\n",
        ids(&complained).1
    ));
    save(&format!(
        "From: {replied}\nTo: {}\nSubject: Out of office: Hello X\nMessage-ID: <ooo-{tag}@remote.test>\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n",
        rebound::verp::return_path(sender, &ids(&replied).2)
    ));
    save(&dsn_message(
        sender,
        &format!("d3-{tag}"),
        None,
        &by_addr,
        "failed",
        "5.1.1",
    ));
    save(&dsn_message(
        sender,
        &format!("d4-{tag}"),
        None,
        &old_addr,
        "failed",
        "5.1.1",
    ));

    std::fs::write(
        dir.join("rebound.toml"),
        poll_config(&env, &dir, &tag, &folder, true),
    )
    .unwrap();
    let out = rebound(&dir, &["poll"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = rebound(
        &dir,
        &[
            "report",
            "--campaign",
            &tag,
            "--format",
            "json",
            "--recipients",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &r["funnel"];
    for (key, n) in [
        ("recipients", 11),
        ("skipped_suppressed", 1),
        ("rejected_at_smtp", 3),
        ("deferred", 1),
        ("uncertain", 0),
        ("pending", 0),
        ("accepted", 6),
        ("accepted_with_receipt", 6),
        ("bounced_hard", 2), // the unknown user (refused) and the address-only DSN
        ("bounced_soft", 1), // full, refused
        ("blocked", 1),
        ("delayed", 1),
        ("delivered", 1),
        ("complained", 1),
        ("auto_replied", 1),
        ("no_news", 1),
    ] {
        assert_eq!(f[key], n, "funnel {key}: {f}");
    }
    // 2 hard, 1 soft, 1 complaint of 9 answered (6 accepted + 3 refused)
    assert_eq!(r["rates"]["answered"], 9, "{}", r["rates"]);
    assert_eq!(r["rates"]["hard_rate"], 22.22, "{}", r["rates"]);
    assert_eq!(r["rates"]["complaint_rate"], 11.11, "{}", r["rates"]);
    let line = |email: &str| {
        r["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["email"] == email)
            .cloned()
            .expect(email)
    };
    assert_eq!(line(&by_addr)["matched_by"], "address");
    assert_eq!(line(&complained)["matched_by"], "message_id");
    assert_eq!(line(&replied)["matched_by"], "verp");

    // The window view counts the same lines (it also sees the old campaign's sends).
    let out = rebound(&dir, &["report", "--since", "7d", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let w: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "rejected_at_smtp",
        "bounced_soft",
        "blocked",
        "delayed",
        "delivered",
        "complained",
        "auto_replied",
    ] {
        assert_eq!(
            w["funnel"][key], f[key],
            "{key}: window {} vs campaign {f}",
            w["funnel"]
        );
    }

    // The address key acted within the window and not beyond it.
    let suppressed = |email: &str| rebound(&dir, &["suppress", "check", email]).status.code();
    assert_eq!(
        suppressed(&by_addr),
        Some(0),
        "matched by address within 30 days"
    );
    assert_eq!(
        suppressed(&old_addr),
        Some(1),
        "a 40-day-old campaign is outside the window"
    );
    let old: Vec<Vec<String>> = query(
        &db,
        &format!("SELECT matched_by FROM facts WHERE email = '{old_addr}'"),
    );
    assert_eq!(old, [["unmatched"]]);
    // the complaint suppresses (default policy), the blocked and full addresses do not
    assert_eq!(suppressed(&complained), Some(0));
    assert_eq!(suppressed("blocked@remote.test"), Some(1));
    assert_eq!(suppressed("full@remote.test"), Some(1));
}
