//! The policy's precedence and the soft count.

use super::*;

fn view(key: MatchKey, reason: Reason) -> FactView<'static> {
    FactView {
        key,
        reason,
        action: Some("failed"),
        blocklist: false,
        duplicate: false,
    }
}

fn fact(id: i64, reason: &str, verdict: &str, at: &str) -> FactRow {
    FactRow {
        id,
        email: Some("a@x.test".into()),
        matched_by: MatchKey::Verp,
        action: Some("failed".into()),
        reason: reason.parse().expect("a reason"),
        verdict: Verdict::parse(verdict).expect("a verdict"),
        evidence: "test".into(),
        blocklist: None,
        created_at: at.into(),
        recent: true,
    }
}

#[test]
fn default_policy_precedence() {
    let p = Policy::default();
    assert_eq!(
        p.classify(view(MatchKey::Verp, Reason::UserUnknown)),
        Verdict::Suppress
    );
    assert_eq!(
        p.classify(view(MatchKey::Address, Reason::UserUnknown)),
        Verdict::Suppress
    );
    assert_eq!(
        p.classify(view(MatchKey::Suspect, Reason::UserUnknown)),
        Verdict::Suspect
    );
    assert_eq!(
        p.classify(view(MatchKey::Unmatched, Reason::UserUnknown)),
        Verdict::Unmatched
    );
    assert_eq!(
        p.classify(view(MatchKey::Verp, Reason::MailboxFull)),
        Verdict::Soft
    );
    assert_eq!(
        p.classify(view(MatchKey::Verp, Reason::Blocked)),
        Verdict::Reputation
    );
    assert_eq!(
        p.classify(view(MatchKey::Verp, Reason::Vacation)),
        Verdict::Ignore
    );
    let mut v = view(MatchKey::Verp, Reason::UserUnknown);
    v.blocklist = true;
    assert_eq!(p.classify(v), Verdict::Reputation);
    v = view(MatchKey::Verp, Reason::Expired);
    v.action = Some("delayed");
    assert_eq!(p.classify(v), Verdict::Delayed);
    v.action = Some("relayed");
    assert_eq!(p.classify(v), Verdict::Success);
    v = view(MatchKey::Envid, Reason::UserUnknown);
    v.duplicate = true;
    assert_eq!(p.classify(v), Verdict::Duplicate);
    let strict = Policy {
        weakest_key: MatchKey::Envid,
        ..Policy::default()
    };
    assert_eq!(
        strict.classify(view(MatchKey::Address, Reason::UserUnknown)),
        Verdict::Weak
    );
    assert_eq!(
        strict.classify(view(MatchKey::Envid, Reason::UserUnknown)),
        Verdict::Suppress
    );
}

#[test]
fn soft_bounces_count_until_a_success() {
    let p = Policy::default();
    let v = |f: &FactRow| f.verdict;
    let mut facts = vec![
        fact(1, "mailboxfull", "soft", "2026-01-01T00:00:00.000Z"),
        fact(2, "mailboxfull", "soft", "2026-01-02T00:00:00.000Z"),
    ];
    assert_eq!(p.decide(&facts, None, v), None);
    facts.push(fact(3, "expired", "soft", "2026-01-03T00:00:00.000Z"));
    let (reason, evidence) = p.decide(&facts, None, v).unwrap();
    assert_eq!(reason, Reason::Expired);
    assert!(evidence.contains("facts 1, 2, 3"), "{evidence}");
    // an accepted send after the first one restarts the count
    assert_eq!(p.decide(&facts, Some("2026-01-01T12:00:00.000Z"), v), None);
    facts.insert(
        1,
        fact(9, "delivered", "success", "2026-01-01T06:00:00.000Z"),
    );
    assert_eq!(p.decide(&facts, None, v), None);
    // too old to count
    let mut old = facts.clone();
    for f in &mut old {
        f.recent = false;
    }
    assert_eq!(p.decide(&old, None, v), None);
    // The same second: a send recorded to the second (12:00:00.000Z, truncated) was
    // before a bounce recorded at 12:00:00.000Z, so that bounce counts.
    let same_second = vec![
        fact(20, "mailboxfull", "soft", "2026-01-05T12:00:00.000Z"),
        fact(21, "mailboxfull", "soft", "2026-01-05T12:00:00.400Z"),
        fact(22, "mailboxfull", "soft", "2026-01-05T12:00:01.000Z"),
    ];
    let (reason, evidence) = p
        .decide(&same_second, Some("2026-01-05T12:00:00.000Z"), v)
        .expect("three soft bounces after the send");
    assert_eq!(reason, Reason::MailboxFull);
    assert!(evidence.contains("facts 20, 21, 22"), "{evidence}");
    // one second later the first of them was before the send
    assert_eq!(
        p.decide(&same_second, Some("2026-01-05T12:00:00.001Z"), v),
        None
    );
}

#[test]
fn the_default_policy_text_parses_and_bad_reasons_are_named() {
    let p = Policy::default();
    assert_eq!(p.soft_count, 3);
    let err = Policy::parse(
        &DEFAULT_POLICY.replace("\"hasmoved\"", "\"hasmovd\""),
        "p.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("p.toml") && err.contains("hasmovd"), "{err}");
}
