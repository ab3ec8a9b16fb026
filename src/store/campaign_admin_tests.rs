//! Tests of `campaign_admin`: the re-run rules and deleting a campaign.

use super::*;
use crate::store::{Outcome, SendState};

fn rows(emails: &[&str]) -> Vec<(String, String, usize)> {
    emails
        .iter()
        .enumerate()
        .map(|(i, e)| (e.to_string(), "{}".to_string(), i + 2))
        .collect()
}

fn plan<'a>(sha: &'a str, rows: &'a [(String, String, usize)], add: bool) -> RunPlan<'a> {
    RunPlan {
        message_sha256: sha,
        message_path: "m.eml",
        from_addr: "b@x.test",
        list_path: "l.csv",
        rows,
        add_recipients: add,
    }
}

fn emails(store: &Store, c: &Campaign) -> Vec<String> {
    store
        .recipients(c)
        .unwrap()
        .into_iter()
        .map(|r| r.email)
        .collect()
}

#[test]
fn message_and_list_are_replaceable_until_the_first_accepted_send() {
    let mut store = Store::in_memory().unwrap();
    let mut c = store.campaign("c", "sha1", "b@x.test").unwrap();
    let first = rows(&["ann@x.test", "bob@x.test"]);
    let a = store
        .adopt_run(&mut c, &plan("sha1", &first, false))
        .unwrap();
    assert_eq!((a.added, a.removed, a.replaced), (2, 0, false));
    // a refusal sent nothing: still replaceable, and the refused row stays
    let bob = store.recipients(&c).unwrap()[1].id;
    let refused = Outcome {
        state: SendState::Rejected,
        reply: Some("550 no"),
        reply_code: Some(550),
        receipt_id: None,
        reason: Some("userunknown"),
        hard: Some(true),
        command: Some("RCPT"),
    };
    store.record(bob, &refused).unwrap();
    let second = rows(&["cat@x.test"]);
    let a = store
        .adopt_run(&mut c, &plan("sha2", &second, false))
        .unwrap();
    assert_eq!((a.added, a.removed, a.replaced), (1, 1, true));
    // in CSV line order (cat is line 2 of its list)
    assert_eq!(emails(&store, &c), ["cat@x.test", "bob@x.test"]);
    assert_eq!(c.message_sha256, "sha2");
    // the first accepted send fixes the message, and new addresses need the flag
    let cat = store.recipients(&c).unwrap()[0].id;
    let accepted = Outcome {
        state: SendState::Accepted,
        reply: Some("250 ok"),
        reply_code: Some(250),
        receipt_id: Some("Q"),
        reason: None,
        hard: None,
        command: None,
    };
    store.record(cat, &accepted).unwrap();
    let err = store
        .adopt_run(&mut c, &plan("sha3", &second, false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs a new campaign name"), "{err}");
    let third = rows(&["cat@x.test", "Dan@X.test"]);
    let err = store
        .adopt_run(&mut c, &plan("sha2", &third, false))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("holds 1 address(es)") && err.contains("Dan@X.test"),
        "{err}"
    );
    // a list the campaign holds already (another spelling) needs nothing
    let same = rows(&["CAT@x.test"]);
    let a = store
        .adopt_run(&mut c, &plan("sha2", &same, false))
        .unwrap();
    assert_eq!(a, Adopted::default());
    let a = store
        .adopt_run(&mut c, &plan("sha2", &third, true))
        .unwrap();
    assert_eq!(a.added, 1);
    assert_eq!(
        emails(&store, &c),
        ["cat@x.test", "bob@x.test", "Dan@X.test"]
    );
    // a shorter list: Dan, unsent, stays the campaign's, and the run says so
    let a = store
        .adopt_run(&mut c, &plan("sha2", &second, false))
        .unwrap();
    assert_eq!(a.unsent_not_listed, 1);
}

#[test]
fn a_campaign_being_sent_is_not_deleted() {
    let dir = std::env::temp_dir().join(format!("rebound-del-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("rebound.db");
    let mut store = Store::open(&db).unwrap();
    let mut c = store.campaign("c", "sha", "b@x.test").unwrap();
    let list = rows(&["ann@x.test"]);
    store.adopt_run(&mut c, &plan("sha", &list, false)).unwrap();
    let journal = Store::open(&db).unwrap().open_journal(c.id, None).unwrap();
    let err = store.delete_campaign("c", false).unwrap_err().to_string();
    assert!(err.contains("is being sent by another process"), "{err}");
    drop(journal);
    assert_eq!(store.delete_campaign("c", false).unwrap(), 1);
    let err = store.delete_campaign("c", false).unwrap_err().to_string();
    assert!(err.contains("no campaign named 'c'"), "{err}");
    // the next campaign does not get the deleted one's id (its tokens name it)
    let next = store.campaign("d", "sha", "b@x.test").unwrap();
    assert_eq!(next.id, c.id + 1);
    let again = Store::open(&db)
        .unwrap()
        .campaign("e", "sha", "b@x.test")
        .unwrap();
    assert_eq!(again.id, c.id + 2);
    let _ = std::fs::remove_dir_all(&dir);
}
