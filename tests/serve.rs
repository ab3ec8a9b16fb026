//! `rebound serve` over real HTTP on loopback: signed provider events become facts and
//! suppressions; replays count once; unsigned, forged, stale and oversized requests change
//! nothing; the read API wants its token; SIGTERM stops the server with exit 0.

mod serve_support;

use serde_json::json;
use serve_support::setup::*;
use serve_support::*;

#[test]
fn mailgun_events_become_facts_replays_count_once_and_bad_requests_change_nothing() {
    let s = Setup::new("mailgun");
    let vars = json!({"rebound-campaign": "nov", "rebound-recipient": s.ids[0].to_string()});
    let hard = mailgun_failed(
        "mg-1",
        "a@example.com",
        "permanent",
        550,
        "5.1.1 The email account that you tried to reach does not exist",
        vars,
    );
    let body = mailgun_body(MAILGUN_KEY, now(), hard.clone());
    let r = s.post("/webhooks/mailgun", &[], &body);
    assert_eq!(
        (r.status, r.json()["stored"].as_u64()),
        (200, Some(1)),
        "{}",
        r.body
    );
    let first = facts(&s.db());
    assert_eq!(first.len(), 1);
    let (email, key, reason, verdict, evidence, action) = &first[0];
    assert_eq!(
        (email.as_str(), key.as_str(), reason.as_str()),
        ("a@example.com", "x_header", "userunknown")
    );
    assert_eq!(
        (verdict.as_str(), action.as_deref()),
        ("suppress", Some("failed"))
    );
    assert!(
        evidence.starts_with("mailgun: event failed/permanent"),
        "{evidence}"
    );
    assert_eq!(
        suppressions(&s.db()),
        vec![("a@example.com".to_string(), "mailgun".to_string())]
    );

    // The same event again (a provider retry, freshly signed): nothing changes.
    let again = mailgun_body(MAILGUN_KEY, now(), hard.clone());
    let r = s.post("/webhooks/mailgun", &[], &again);
    assert_eq!(
        (r.status, r.json()["result"].as_str()),
        (200, Some("replay")),
        "{}",
        r.body
    );
    assert_eq!(facts(&s.db()).len(), 1);

    // A temporary failure is a delay, matched by address alone; no suppression.
    let soft = mailgun_failed(
        "mg-2",
        "b@example.com",
        "temporary",
        452,
        "4.2.2 Mailbox full",
        json!({}),
    );
    let r = s.post(
        "/webhooks/mailgun",
        &[],
        &mailgun_body(MAILGUN_KEY, now(), soft),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let f = facts(&s.db());
    assert_eq!(
        (f[1].0.as_str(), f[1].1.as_str(), f[1].3.as_str()),
        ("b@example.com", "address", "delayed")
    );
    // A complaint suppresses.
    let complaint = json!({"id": "mg-3", "event": "complained", "recipient": "c@example.com", "timestamp": now() as f64});
    assert_eq!(
        s.post(
            "/webhooks/mailgun",
            &[],
            &mailgun_body(MAILGUN_KEY, now(), complaint)
        )
        .status,
        200
    );
    assert_eq!(suppressions(&s.db()).len(), 2);
    // Opened: acknowledged, nothing stored.
    let opened = json!({"id": "mg-4", "event": "opened", "recipient": "d@example.com", "timestamp": now() as f64});
    let r = s.post(
        "/webhooks/mailgun",
        &[],
        &mailgun_body(MAILGUN_KEY, now(), opened),
    );
    assert_eq!(
        (
            r.status,
            r.json()["result"].as_str(),
            r.json()["ignored"].as_u64()
        ),
        (200, Some("ignored"), Some(1))
    );
    let before = (facts(&s.db()).len(), suppressions(&s.db()).len());
    assert_eq!(before, (3, 2));

    let d = mailgun_failed(
        "mg-5",
        "d@example.com",
        "permanent",
        550,
        "5.1.1 no such user",
        json!({}),
    );
    // Forged: signed with another key.
    let r = s.post(
        "/webhooks/mailgun",
        &[],
        &mailgun_body("not-the-key", now(), d.clone()),
    );
    assert_eq!(
        (r.status, r.json()["result"].as_str()),
        (401, Some("forged")),
        "{}",
        r.body
    );
    // Tampered: a valid signature block on changed event data is still valid for Mailgun
    // (the signature covers timestamp + token only), so the event ID is what protects.
    // Unsigned: no signature block.
    let unsigned = serde_json::to_vec(&json!({"event-data": d})).unwrap();
    assert_eq!(s.post("/webhooks/mailgun", &[], &unsigned).status, 401);
    // Stale: correctly signed an hour ago.
    let r = s.post(
        "/webhooks/mailgun",
        &[],
        &mailgun_body(MAILGUN_KEY, now() - 3600, d.clone()),
    );
    assert_eq!(
        (r.status, r.json()["result"].as_str()),
        (401, Some("stale"))
    );
    // Oversized: past max_body (4096).
    let mut big = d.clone();
    big["delivery-status"]["message"] = json!("x".repeat(8000));
    let r = s.post(
        "/webhooks/mailgun",
        &[],
        &mailgun_body(MAILGUN_KEY, now(), big),
    );
    assert_eq!(r.status, 413, "{}", r.body);
    // Not JSON.
    assert_eq!(s.post("/webhooks/mailgun", &[], b"{nope").status, 400);
    assert_eq!((facts(&s.db()).len(), suppressions(&s.db()).len()), before);
    assert!(!suppressions(&s.db())
        .iter()
        .any(|(e, _)| e == "d@example.com"));
}

#[test]
fn read_api_wants_the_token_metrics_count_and_sigterm_stops_cleanly() {
    let mut s = Setup::new("api");
    let hard = mailgun_failed(
        "mg-1",
        "a@example.com",
        "permanent",
        550,
        "5.1.1 user unknown",
        json!({}),
    );
    assert_eq!(
        s.post(
            "/webhooks/mailgun",
            &[],
            &mailgun_body(MAILGUN_KEY, now(), hard)
        )
        .status,
        200
    );
    assert_eq!(
        s.post("/webhooks/mailgun", &[], b"{\"event-data\": {}}")
            .status,
        401
    );

    assert_eq!(s.get("/api/suppressions/a@example.com", None).status, 401);
    assert_eq!(
        s.get("/api/suppressions/a@example.com", Some("wrong"))
            .status,
        401
    );
    let r = s.get("/api/suppressions/A@Example.com", Some(TOKEN));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["email"], "a@example.com");
    assert_eq!(r.json()["source"], "mailgun");
    assert_eq!(
        s.get("/api/suppressions/b@example.com", Some(TOKEN)).status,
        404
    );
    let list = s.get("/api/suppressions", Some(TOKEN));
    assert_eq!(list.json().as_array().map(Vec::len), Some(1));
    assert_eq!(s.get("/api/suppressions", None).status, 401);

    let report = s.get("/api/campaigns/nov/report", Some(TOKEN));
    assert_eq!(report.status, 200, "{}", report.body);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(["report", "--campaign", "nov", "--format", "json", "--db"])
        .arg(s.db())
        .arg("--config")
        .arg(s.dir.join("rebound.toml"))
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(report.json(), cli);
    assert_eq!(s.get("/api/campaigns/nope/report", Some(TOKEN)).status, 404);
    // The recipient lines show where a fact came from.
    let lines = s
        .get("/api/campaigns/nov/report?recipients=true", Some(TOKEN))
        .json();
    let a = lines["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["email"] == "a@example.com"))
        .unwrap_or_else(|| panic!("no line for a@example.com in {lines}"));
    assert!(
        a["evidence"]
            .as_str()
            .unwrap_or("")
            .starts_with("mailgun: "),
        "{a}"
    );

    // The HTML report as a page, behind the token too.
    assert_eq!(s.get("/campaigns/nov/report.html", None).status, 401);
    let page = s.get("/campaigns/nov/report.html", Some(TOKEN));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<html") && page.body.contains("a@example.com"),
        "{}",
        page.body
    );

    let h = s.get("/healthz", None);
    assert_eq!((h.status, h.body.as_str()), (200, "ok\n"));
    let m = s.get("/metrics", None);
    assert_eq!(m.status, 200);
    for line in [
        "rebound_webhook_requests_total{provider=\"mailgun\",result=\"stored\"} 1",
        "rebound_webhook_requests_total{provider=\"mailgun\",result=\"unsigned\"} 1",
        "rebound_facts{reason=\"userunknown\",source=\"mailgun\"} 1",
        "rebound_suppressions 1",
        "rebound_messages{source=\"mailgun\",outcome=\"processed\"} 1",
        "rebound_send_outcomes{state=\"accepted\"} 4",
    ] {
        assert!(
            m.body.lines().any(|l| l == line),
            "{line} missing from:\n{}",
            m.body
        );
    }

    let pid = s.server.child.id() as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = s.server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}
