//! `rebound serve` over real HTTP on loopback: signed provider events become facts and
//! suppressions; replays count once; unsigned, forged, stale and oversized requests change
//! nothing; the read API wants its token; SIGTERM stops the server with exit 0.

mod serve_support;

use serde_json::json;
use serve_support::*;

const CONFIG: &str = r#"
[serve]
token_env = "T_TOKEN"
max_body = 4096

[serve.mailgun]
env = "T_MAILGUN"

[serve.sendgrid]
env = "T_SENDGRID"

[serve.postmark]
user = "postmark"
password_env = "T_POSTMARK_PW"
header = "X-Webhook-Secret"
header_env = "T_POSTMARK_HEADER"
"#;

struct Setup {
    dir: std::path::PathBuf,
    server: Server,
    ids: Vec<i64>,
    sendgrid: SendgridKey,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let dir = workdir(name);
        let ids = seed(
            &dir.join("rebound.db"),
            &[
                "a@example.com",
                "b@example.com",
                "c@example.com",
                "d@example.com",
            ],
        );
        let sendgrid = SendgridKey::new();
        let key = sendgrid.public_base64();
        let server = start(
            &dir,
            CONFIG,
            &[
                ("T_TOKEN", TOKEN),
                ("T_MAILGUN", MAILGUN_KEY),
                ("T_SENDGRID", &key),
                ("T_POSTMARK_PW", "pm-secret"),
                ("T_POSTMARK_HEADER", "hdr-secret"),
            ],
        );
        Setup {
            dir,
            server,
            ids,
            sendgrid,
        }
    }
    fn db(&self) -> std::path::PathBuf {
        self.dir.join("rebound.db")
    }
    fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        http(&self.server.addr, "POST", path, &h, body)
    }
    fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let h: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        http(&self.server.addr, "GET", path, &h, b"")
    }
}

fn mailgun_failed(
    id: &str,
    to: &str,
    severity: &str,
    code: u16,
    message: &str,
    vars: serde_json::Value,
) -> serde_json::Value {
    json!({
        "id": id, "event": "failed", "severity": severity, "reason": "bounce",
        "recipient": to, "timestamp": now() as f64,
        "delivery-status": {"code": code, "message": message},
        "user-variables": vars,
        "message": {"headers": {"message-id": "<x@news.example.com>"}},
    })
}

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
        (r.status, r.json()["result"].as_str()),
        (200, Some("ignored"))
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
fn sendgrid_batches_are_verified_with_ecdsa_and_stored_once() {
    let s = Setup::new("sendgrid");
    let events = json!([
        {"email": "a@example.com", "event": "bounce", "type": "bounce", "sg_event_id": "sg-1",
         "sg_message_id": "q1.filter", "reason": "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
         "status": "5.1.1", "timestamp": now(), "rebound_campaign": "nov", "rebound_recipient": s.ids[0]},
        {"email": "b@example.com", "event": "deferred", "sg_event_id": "sg-2",
         "response": "421 4.7.0 try again later", "timestamp": now()},
        {"email": "c@example.com", "event": "delivered", "sg_event_id": "sg-3", "response": "250 OK", "timestamp": now()},
        {"email": "d@example.com", "event": "bounce", "type": "blocked", "sg_event_id": "sg-4",
         "reason": "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "timestamp": now()},
        {"email": "d@example.com", "event": "open", "sg_event_id": "sg-5", "timestamp": now()},
    ]);
    let body = serde_json::to_vec(&events).unwrap();
    let (sig, ts) = s.sendgrid.sign(now(), &body);
    let h = [
        ("X-Twilio-Email-Event-Webhook-Signature", sig.as_str()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", ts.as_str()),
    ];
    let r = s.post("/webhooks/sendgrid", &h, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["stored"].as_u64(), r.json()["ignored"].as_u64()),
        (Some(4), Some(1))
    );
    let f = facts(&s.db());
    let by = |e: &str| f.iter().find(|x| x.0 == e).unwrap().clone();
    assert_eq!(
        (
            by("a@example.com").1.as_str(),
            by("a@example.com").2.as_str()
        ),
        ("x_header", "userunknown")
    );
    assert_eq!(by("b@example.com").3, "delayed");
    assert_eq!(by("c@example.com").3, "success");
    // A blocklist refusal is the sender's problem: never suppresses the recipient.
    assert_eq!(by("d@example.com").3, "reputation");
    assert!(by("d@example.com")
        .4
        .starts_with("sendgrid: event bounce/blocked"));
    assert_eq!(
        suppressions(&s.db()),
        vec![("a@example.com".to_string(), "sendgrid".to_string())]
    );

    // The same batch again: nothing new.
    let (sig2, ts2) = s.sendgrid.sign(now(), &body);
    let r = s.post(
        "/webhooks/sendgrid",
        &[
            ("X-Twilio-Email-Event-Webhook-Signature", &sig2),
            ("X-Twilio-Email-Event-Webhook-Timestamp", &ts2),
        ],
        &body,
    );
    assert_eq!((r.status, r.json()["replayed"].as_u64()), (200, Some(4)));
    assert_eq!(facts(&s.db()).len(), 4);

    let other = serde_json::to_vec(&json!([{"email": "c@example.com", "event": "spamreport", "sg_event_id": "sg-9", "timestamp": now()}])).unwrap();
    // Tampered: the signature of another body.
    let r = s.post("/webhooks/sendgrid", &h, &other);
    assert_eq!(
        (r.status, r.json()["result"].as_str()),
        (401, Some("forged"))
    );
    // Signed by another key.
    let (bad, bts) = SendgridKey::new().sign(now(), &other);
    assert_eq!(
        s.post(
            "/webhooks/sendgrid",
            &[
                ("X-Twilio-Email-Event-Webhook-Signature", &bad),
                ("X-Twilio-Email-Event-Webhook-Timestamp", &bts)
            ],
            &other
        )
        .status,
        401
    );
    // Unsigned.
    assert_eq!(s.post("/webhooks/sendgrid", &[], &other).status, 401);
    // Stale.
    let (old, ots) = s.sendgrid.sign(now() - 3600, &other);
    let r = s.post(
        "/webhooks/sendgrid",
        &[
            ("X-Twilio-Email-Event-Webhook-Signature", &old),
            ("X-Twilio-Email-Event-Webhook-Timestamp", &ots),
        ],
        &other,
    );
    assert_eq!(
        (r.status, r.json()["result"].as_str()),
        (401, Some("stale"))
    );
    assert_eq!(facts(&s.db()).len(), 4);
    assert_eq!(suppressions(&s.db()).len(), 1);
}

#[test]
fn postmark_needs_its_credentials_and_maps_bounce_types() {
    let s = Setup::new("postmark");
    let bounce = serde_json::to_vec(&json!({
        "RecordType": "Bounce", "ID": 4323372036854775807u64, "Type": "HardBounce", "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Details": "Test bounce details",
        "Email": "a@example.com", "BouncedAt": "2026-12-01T13:28:10Z",
        "Metadata": {"rebound-campaign": "nov", "rebound-recipient": s.ids[0].to_string()},
    }))
    .unwrap();
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("postmark:pm-secret")
    );
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("postmark:guess")
    );
    assert_eq!(s.post("/webhooks/postmark", &[], &bounce).status, 401);
    assert_eq!(
        s.post("/webhooks/postmark", &[("Authorization", &wrong)], &bounce)
            .status,
        401
    );
    assert_eq!(
        s.post(
            "/webhooks/postmark",
            &[("X-Webhook-Secret", "nope")],
            &bounce
        )
        .status,
        401
    );
    assert!(facts(&s.db()).is_empty());
    let r = s.post("/webhooks/postmark", &[("Authorization", &basic)], &bounce);
    assert_eq!(r.status, 200, "{}", r.body);
    let f = facts(&s.db());
    // "Test bounce details" names no reason: the HardBounce type does.
    assert_eq!(
        (f[0].1.as_str(), f[0].2.as_str(), f[0].3.as_str()),
        ("x_header", "userunknown", "suppress")
    );
    assert!(f[0].4.contains("provider type"), "{}", f[0].4);
    assert_eq!(
        s.post("/webhooks/postmark", &[("Authorization", &basic)], &bounce)
            .json()["result"],
        "replay"
    );
    let delivery = serde_json::to_vec(
        &json!({"RecordType": "Delivery", "MessageID": "m-2", "Recipient": "b@example.com",
        "DeliveredAt": "2026-12-01T13:28:10Z", "Details": "Test delivery webhook details"}),
    )
    .unwrap();
    assert_eq!(
        s.post(
            "/webhooks/postmark",
            &[("X-Webhook-Secret", "hdr-secret")],
            &delivery
        )
        .status,
        200
    );
    let unsub = serde_json::to_vec(&json!({"RecordType": "SubscriptionChange", "MessageID": "m-3", "Recipient": "c@example.com",
        "ChangedAt": "2026-12-01T13:28:10Z", "SuppressSending": true, "SuppressionReason": "ManualSuppression"})).unwrap();
    assert_eq!(
        s.post(
            "/webhooks/postmark",
            &[("X-Webhook-Secret", "hdr-secret")],
            &unsub
        )
        .status,
        200
    );
    let f = facts(&s.db());
    assert_eq!(f.len(), 3);
    assert_eq!(f[1].3, "success");
    assert_eq!(
        suppressions(&s.db())
            .iter()
            .map(|x| x.0.as_str())
            .collect::<Vec<_>>(),
        ["a@example.com", "c@example.com"]
    );
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

    let h = s.get("/healthz", None);
    assert_eq!((h.status, h.body.as_str()), (200, "ok\n"));
    let m = s.get("/metrics", None);
    assert_eq!(m.status, 200);
    for line in [
        "rebound_webhook_requests_total{provider=\"mailgun\",result=\"stored\"} 1",
        "rebound_webhook_requests_total{provider=\"mailgun\",result=\"unsigned\"} 1",
        "rebound_facts{reason=\"userunknown\",source=\"mailgun\"} 1",
        "rebound_suppressions 1",
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
