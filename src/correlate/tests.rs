//! Correlation against an in-memory store with one sent campaign.

use super::*;
use crate::decode::{Bounce, Evidence, Keys, Reason};
use crate::store::{Outcome, SendState, Store};

fn bounce(recipient: &str, keys: Keys) -> Bounce {
    Bounce {
        recipient: Some(recipient.into()),
        action: None,
        status: Some("5.1.1".into()),
        replycode: None,
        reason: Reason::UserUnknown,
        hard: true,
        feedback_type: None,
        diagnostic_code: None,
        remote_mta: None,
        reporting_mta: None,
        smtp_command: None,
        blocklist: None,
        keys,
        evidence: Evidence {
            module: "test".into(),
            rule: "test".into(),
        },
        date: None,
    }
}

fn setup() -> (Store, Correlator, i64, i64) {
    let mut store = Store::in_memory().unwrap();
    let secret = store.verp_secret().unwrap();
    let c = store.campaign("c1", "sha", "b@x.test").unwrap();
    store
        .add_recipients(&c, &[("ann@x.test".into(), "{}".into(), 2)])
        .unwrap();
    let r = store.recipients(&c).unwrap()[0].id;
    let token = crate::verp::token(&secret, c.id, r);
    store
        .plant(&[crate::store::Planted {
            id: r,
            message_id: format!("rebound.{}.{r}@x.test", c.id),
            envelope_id: format!("rebound.{}.{r}", c.id),
            verp_token: token,
        }])
        .unwrap();
    store.mark_sending(r).unwrap();
    store
        .record(
            r,
            &Outcome {
                state: SendState::Accepted,
                reply: Some("250 ok"),
                reply_code: Some(250),
                receipt_id: Some("QID123ABC"),
                reason: None,
                hard: None,
                command: None,
            },
        )
        .unwrap();
    let corr = Correlator {
        secret,
        window_days: 30,
    };
    (store, corr, c.id, r)
}

#[test]
fn each_key_in_order_of_strength() {
    let (mut store, corr, c, r) = setup();
    let tx = store.begin().unwrap();
    let token = crate::verp::token(&corr.secret, c, r);
    let cases = [
        (
            Keys {
                verp: Some(token.clone()),
                envelope_id: Some("nope".into()),
                ..Keys::default()
            },
            MatchKey::Verp,
        ),
        (
            Keys {
                envelope_id: Some(format!("rebound.{c}.{r}")),
                ..Keys::default()
            },
            MatchKey::Envid,
        ),
        (
            Keys {
                queue_ids: vec!["ZZZ".into(), "QID123ABC".into()],
                ..Keys::default()
            },
            MatchKey::QueueId,
        ),
        (
            Keys {
                original_message_id: Some(format!("<rebound.{c}.{r}@x.test>")),
                ..Keys::default()
            },
            MatchKey::MessageId,
        ),
        (
            Keys {
                x_headers: vec![
                    ("x-rebound-campaign".into(), "c1".into()),
                    ("x-rebound-recipient".into(), r.to_string()),
                ],
                ..Keys::default()
            },
            MatchKey::XHeader,
        ),
        (Keys::default(), MatchKey::Address),
    ];
    for (keys, want) in cases {
        let m = corr.correlate(&tx, &bounce("ann@x.test", keys)).unwrap();
        assert_eq!(m.key, want);
        assert_eq!(m.send.unwrap().recipient_id, r);
    }
    let m = corr
        .correlate(&tx, &bounce("never@x.test", Keys::default()))
        .unwrap();
    assert_eq!(m.key, MatchKey::Unmatched);
}

#[test]
fn a_bad_signature_is_suspect_even_with_other_keys() {
    let (mut store, corr, c, r) = setup();
    let tx = store.begin().unwrap();
    let keys = Keys {
        verp: Some(format!("{c}.{r}.00000000000000000000")),
        envelope_id: Some(format!("rebound.{c}.{r}")),
        ..Keys::default()
    };
    let m = corr.correlate(&tx, &bounce("ann@x.test", keys)).unwrap();
    assert_eq!(
        m,
        Match {
            key: MatchKey::Suspect,
            send: None
        }
    );
}
