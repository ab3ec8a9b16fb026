//! Model-based test of the hygiene loop on the synchronous path (issue 11): a seeded
//! generator builds a list of at least 300 recipients in more rows, mixing case variants
//! of one address, UTF-8 local parts, IDN domains, repeats, invalid rows, already-
//! suppressed entries and every refusal the real Postfix reject listener gives (unknown
//! user, blocklist, mailbox full, temporary failure, relaying denied) beside accepted
//! addresses. A small model, written from the inputs and the listener's documented rules
//! alone, says what must be suppressed, each recipient's state and the report's funnel;
//! the store, `suppress list`, `clean` and `report --format json` must equal it exactly.
//! `REBOUND_MODEL_SEED` replays a seed; the second test takes a fresh one and prints it.

mod common;

use common::model::{self, List};
use common::*;
use std::collections::{BTreeMap, BTreeSet};

/// What the reject listener does with an address (scripts/mailstack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An unknown user: 550 5.1.1, hard, suppressed at once.
    Unknown,
    /// 554 5.7.1 blocked using zen.spamhaus.org: the sender's reputation, never suppressed.
    Blocked,
    /// 552 5.2.2 mailbox full: one soft bounce, below the policy's count of 3.
    Full,
    /// 451 4.3.0: retried, then deferred.
    TempFail,
    /// Not a domain the listener serves: 554 relay access denied, recorded only.
    Outside,
    /// Accepted.
    Good,
    /// Put on the suppression list (under another spelling) before sending: skipped.
    PreSuppressed,
}

fn pick(rng: &mut Rng, i: usize, good: &str, local: &str) -> (String, Kind) {
    match rng.below(11) {
        0 | 1 => (format!("u{i}@{local}"), Kind::Unknown),
        2 => ("blocked@remote.test".into(), Kind::Blocked),
        3 => ("full@remote.test".into(), Kind::Full),
        4 => ("tempfail@remote.test".into(), Kind::TempFail),
        5 => (format!("x{i}@example.invalid"), Kind::Outside),
        6 => (format!("p{i}@{local}"), Kind::PreSuppressed),
        7 => ("unknown@remote.test".into(), Kind::Unknown),
        // a UTF-8 local part (RFC 6531) unknown in the virtual domain: 550 5.1.1
        8 => (format!("ü{i}@rebound.test"), Kind::Unknown),
        // an IDN domain, sent as its A-labels: relaying denied
        9 => (format!("x{i}@bücher.example"), Kind::Outside),
        _ => (good.to_string(), Kind::Good),
    }
}

fn run_model(seed: u64) {
    let env = stack();
    let dir = workdir(&format!("model-{seed}"));
    let good = env["RCPT_GOOD"].to_lowercase();
    let local = env["LOCAL_DOMAIN"].to_lowercase();
    let mut rng = Rng::new(seed);
    let list: List<Kind> = model::generate(&mut rng, 300, |r, i| pick(r, i, &good, &local));
    list.write(&dir, "list.csv");
    model::pre_suppress(&dir, &list.of(Kind::PreSuppressed));
    let quick = ["--retries", "1", "--retry-delay", "0", "--concurrency", "4"];
    let out = send_list(
        &dir,
        &env,
        "model",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &quick,
    );
    assert!(out.status.success(), "seed {seed}: {}", text(&out));

    // The model.
    let state = |k: Kind| match k {
        Kind::Unknown | Kind::Blocked | Kind::Full | Kind::Outside => "rejected",
        Kind::TempFail => "deferred",
        Kind::Good => "accepted",
        Kind::PreSuppressed => "skipped",
    };
    let kinds = &list.kinds;
    let want_states: BTreeMap<String, &str> =
        kinds.iter().map(|(c, k)| (c.clone(), state(*k))).collect();
    let want_suppressed: BTreeSet<String> = kinds
        .iter()
        .filter(|(_, k)| matches!(k, Kind::Unknown | Kind::PreSuppressed))
        .map(|(c, _)| c.clone())
        .collect();
    let count = |f: &dyn Fn(Kind) -> bool| kinds.values().filter(|k| f(**k)).count();

    // The store.
    let got: BTreeMap<String, String> = query(
        &dir.join("rebound.db"),
        "SELECT email, state FROM recipients",
    )
    .into_iter()
    .map(|r| (r[0].to_lowercase(), r[1].clone()))
    .collect();
    let got: BTreeMap<String, &str> = got.iter().map(|(k, v)| (k.clone(), v.as_str())).collect();
    assert_eq!(got, want_states, "seed {seed}: recipient states");
    assert_eq!(
        model::suppression_list(&dir),
        want_suppressed,
        "seed {seed}: suppression list"
    );

    // `clean` of every spelling; IDN and quoted spellings of a suppressed address.
    let out = rebound(
        &dir,
        &[
            "suppress",
            "add",
            "üser@bücher.example",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut input = std::fs::read_to_string(dir.join("list.csv")).unwrap();
    let mut want = list.kept(&want_suppressed);
    for (e, kept) in [
        ("ÜSER@xn--bcher-kva.example", false),
        ("üser@BÜCHER.example", false),
        ("\"\"\"üser\"\"@bücher.example\"", false),
        ("user@bücher.example", true),
        ("\"\"\"q\"\"@example.com\"", true), // `"q"@example.com` as CSV writes it
    ] {
        input.push_str(&format!("{e},extra\n"));
        if kept {
            want.push_str(&format!("{e},extra\n"));
        }
    }
    std::fs::write(dir.join("all.csv"), input).unwrap();
    assert_eq!(
        model::clean_output(&dir, "all.csv"),
        want,
        "seed {seed}: clean's output"
    );

    // `report --format json`.
    let r = model::report_json(&dir, "model");
    let f = &r["funnel"];
    for (key, n) in [
        ("recipients", kinds.len()),
        ("skipped_suppressed", count(&|k| k == Kind::PreSuppressed)),
        ("rejected_at_smtp", count(&|k| state(k) == "rejected")),
        ("deferred", count(&|k| k == Kind::TempFail)),
        ("accepted", count(&|k| k == Kind::Good)),
        ("bounced_hard", count(&|k| k == Kind::Unknown)),
        (
            "bounced_soft",
            count(&|k| matches!(k, Kind::Full | Kind::Outside)),
        ),
        ("blocked", count(&|k| k == Kind::Blocked)),
        ("no_news", count(&|k| k == Kind::Good)),
        ("pending", 0),
        ("uncertain", 0),
    ] {
        assert_eq!(f[key], n, "seed {seed}: funnel {key}: {f}");
    }
    assert!(
        list.rows.len() >= 300 && list.invalid > 0,
        "seed {seed}: a hostile enough list"
    );
    eprintln!(
        "seed {seed}: {} rows, {} recipients, {} suppressed, {} invalid",
        list.rows.len(),
        kinds.len(),
        want_suppressed.len(),
        list.invalid
    );
}

#[test]
fn the_store_suppressions_clean_and_report_equal_the_model_fixed_seed() {
    run_model(model::fixed_seed(0x11_2026));
}

#[test]
fn the_store_suppressions_clean_and_report_equal_the_model_fresh_seed() {
    run_model(model::fresh_seed());
}
