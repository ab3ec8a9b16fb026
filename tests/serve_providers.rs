//! `rebound serve` over real HTTP on loopback, SendGrid and Postmark: signed (or
//! authenticated) events become facts and suppressions; replays count once; forged,
//! unsigned and stale requests change nothing.

mod serve_support;

use serde_json::json;
use serve_support::setup::*;
use serve_support::*;

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
    // The unsubscribe is recorded as a person's request, as a List-Unsubscribe mail is.
    let c = rusqlite::Connection::open(s.db()).unwrap();
    let (reason, n): (String, i64) = c
        .query_row(
            "SELECT reason, (SELECT count(*) FROM unsubscribes) FROM suppressions WHERE email = 'c@example.com'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((reason.as_str(), n), ("unsubscribed", 1));
}
