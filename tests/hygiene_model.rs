//! Model-based test of the hygiene loop on the synchronous path (issue 11): a seeded
//! generator builds a list of at least 300 rows mixing case variants of one address,
//! duplicates, invalid rows, already-suppressed entries and every refusal the real
//! Postfix reject listener gives (unknown user, blocklist, mailbox full, temporary
//! failure, relaying denied) beside accepted addresses. A small model, written from the
//! inputs and the listener's documented rules alone, says what must be suppressed, each
//! recipient's state and the report's funnel; the store, `suppress list`, `clean` and
//! `report --format json` must equal it exactly. `REBOUND_MODEL_SEED` replays a seed; a
//! second run with a fresh seed prints it.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};

/// What the reject listener does with an address (scripts/mailstack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An unknown local user: 550 5.1.1, hard, suppressed at once.
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

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Upper-cases some characters, by Unicode's rules (`ü` becomes `Ü`).
    fn case(&mut self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if self.next().is_multiple_of(3) {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_string()
                }
            })
            .collect()
    }
}

/// One generated address: its canonical (lower-case) form and kind.
fn address(rng: &mut Rng, i: usize, good: &str, local: &str) -> (String, Kind) {
    match rng.below(11) {
        // a UTF-8 local part (RFC 6531) unknown in the virtual domain: 550 5.1.1
        9 => (format!("ü{i}@rebound.test"), Kind::Unknown),
        // an IDN domain, sent as its A-labels: relaying denied
        10 => (format!("x{i}@bücher.example"), Kind::Outside),
        0 | 1 => (format!("u{i}@{local}"), Kind::Unknown),
        2 => ("blocked@remote.test".into(), Kind::Blocked),
        3 => ("full@remote.test".into(), Kind::Full),
        4 => ("tempfail@remote.test".into(), Kind::TempFail),
        5 => (format!("x{i}@example.invalid"), Kind::Outside),
        6 => (format!("p{i}@{local}"), Kind::PreSuppressed),
        7 => ("unknown@remote.test".into(), Kind::Unknown),
        _ => (good.to_string(), Kind::Good),
    }
}

fn run_model(seed: u64) {
    let env = stack();
    let dir = workdir(&format!("model-{seed}"));
    std::fs::write(dir.join("msg.eml"), MESSAGE).unwrap();
    let good = env["RCPT_GOOD"].to_lowercase();
    let local = env["LOCAL_DOMAIN"].to_lowercase();
    let mut rng = Rng(seed | 1);

    // The list: each row a spelling; the first spelling of an address is its recipient.
    let mut rows: Vec<String> = Vec::new();
    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    let mut invalid = 0;
    let mut i = 0;
    while rows.len() < 320 {
        i += 1;
        if rng.below(25) == 0 {
            rows.push(
                [
                    "@nolocal.test",
                    "two@@at.test",
                    "nodomain@",
                    "sp ace@x.test",
                ][rng.below(4)]
                .into(),
            );
            invalid += 1;
            continue;
        }
        let (canon, kind) = if !kinds.is_empty() && rng.below(6) == 0 {
            // a duplicate of an earlier address, spelt differently
            let k: Vec<_> = kinds.iter().collect();
            let (c, kind) = k[rng.below(k.len())];
            (c.clone(), *kind)
        } else {
            address(&mut rng, i, &good, &local)
        };
        kinds.insert(canon.clone(), kind);
        rows.push(rng.case(&canon));
    }
    let mut csv = String::from("email,first_name\n");
    for (n, r) in rows.iter().enumerate() {
        csv.push_str(&format!("{r},N{n}\n"));
    }
    std::fs::write(dir.join("list.csv"), &csv).unwrap();

    // Already suppressed, under an upper-case spelling.
    let pre: Vec<String> = kinds
        .iter()
        .filter(|(_, k)| **k == Kind::PreSuppressed)
        .map(|(c, _)| c.to_uppercase())
        .collect();
    if !pre.is_empty() {
        let mut args = vec![
            "suppress",
            "add",
            "--reason",
            "manual",
            "--db",
            "rebound.db",
        ];
        args.extend(pre.iter().map(String::as_str));
        let out = rebound(&dir, &args);
        assert!(out.status.success(), "seed {seed}: {}", text(&out));
    }

    let out = rebound(
        &dir,
        &[
            "send",
            "--campaign",
            "model",
            "--recipients",
            "list.csv",
            "--message",
            "msg.eml",
            "--from",
            &env["SENDER"],
            "--server",
            "127.0.0.1",
            "--port",
            &env["SMTP_REJECT_PORT"],
            "--tls",
            "none",
            "--retries",
            "1",
            "--retry-delay",
            "0",
            "--concurrency",
            "4",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "seed {seed}: {}", text(&out));

    // The model.
    let state = |k: Kind| match k {
        Kind::Unknown | Kind::Blocked | Kind::Full | Kind::Outside => "rejected",
        Kind::TempFail => "deferred",
        Kind::Good => "accepted",
        Kind::PreSuppressed => "skipped",
    };
    let want_states: BTreeMap<String, &str> =
        kinds.iter().map(|(c, k)| (c.clone(), state(*k))).collect();
    let want_suppressed: BTreeSet<String> = kinds
        .iter()
        .filter(|(_, k)| matches!(k, Kind::Unknown | Kind::PreSuppressed))
        .map(|(c, _)| c.clone())
        .collect();
    let count = |f: &dyn Fn(Kind) -> bool| kinds.values().filter(|k| f(**k)).count();
    let rejected = count(&|k| state(k) == "rejected");
    let hard = count(&|k| k == Kind::Unknown);
    let blocked = count(&|k| k == Kind::Blocked);
    let soft = count(&|k| matches!(k, Kind::Full | Kind::Outside));

    // The store.
    let db = dir.join("rebound.db");
    let got: BTreeMap<String, String> = query(&db, "SELECT email, state FROM recipients")
        .into_iter()
        .map(|r| (r[0].to_lowercase(), r[1].clone()))
        .collect();
    let got_states: BTreeMap<String, &str> =
        got.iter().map(|(k, v)| (k.clone(), v.as_str())).collect();
    assert_eq!(got_states, want_states, "seed {seed}: recipient states");

    // `suppress list`.
    let out = rebound(
        &dir,
        &["suppress", "list", "--format", "json", "--db", "rebound.db"],
    );
    assert!(out.status.success(), "seed {seed}: {}", text(&out));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let listed: BTreeSet<String> = list
        .iter()
        .map(|e| e["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, want_suppressed, "seed {seed}: suppression list");

    // `clean` of every spelling, plus IDN and UTF-8 spellings of suppressed addresses.
    let mut extra = Vec::new();
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
    extra.push(("ÜSER@xn--bcher-kva.example".to_string(), false));
    extra.push(("üser@BÜCHER.example".to_string(), false));
    extra.push(("user@bücher.example".to_string(), true));
    // `"q"@example.com`, written as CSV writes a cell with quotes
    extra.push(("\"\"\"q\"\"@example.com\"".to_string(), true));
    let mut clean_in = String::from("email\n");
    let mut want_kept = String::from("email\n");
    for r in &rows {
        clean_in.push_str(&format!("{r}\n"));
        let c = r.to_lowercase();
        let valid = kinds.contains_key(&c);
        if valid && !want_suppressed.contains(&c) {
            want_kept.push_str(&format!("{r}\n"));
        }
    }
    for (e, kept) in &extra {
        clean_in.push_str(&format!("{e}\n"));
        if *kept {
            want_kept.push_str(&format!("{e}\n"));
        }
    }
    std::fs::write(dir.join("all.csv"), clean_in).unwrap();
    let out = rebound(
        &dir,
        &[
            "clean",
            "--in",
            "all.csv",
            "--out",
            "kept.csv",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "seed {seed}: {}", text(&out));
    let kept = std::fs::read_to_string(dir.join("kept.csv"))
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(kept, want_kept, "seed {seed}: clean's output");

    // `report --format json`.
    let out = rebound(
        &dir,
        &[
            "report",
            "--campaign",
            "model",
            "--format",
            "json",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "seed {seed}: {}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &r["funnel"];
    let want = [
        ("recipients", kinds.len()),
        ("skipped_suppressed", count(&|k| k == Kind::PreSuppressed)),
        ("rejected_at_smtp", rejected),
        ("deferred", count(&|k| k == Kind::TempFail)),
        ("accepted", count(&|k| k == Kind::Good)),
        ("bounced_hard", hard),
        ("bounced_soft", soft),
        ("blocked", blocked),
        ("no_news", count(&|k| k == Kind::Good)),
        ("pending", 0),
        ("uncertain", 0),
    ];
    for (key, n) in want {
        assert_eq!(f[key], n, "seed {seed}: funnel {key}: {f}");
    }
    assert!(
        kinds.len() >= 100 && rows.len() >= 300,
        "seed {seed}: the list is big enough"
    );
    assert!(
        invalid > 0 || rows.len() > kinds.len(),
        "seed {seed}: the list has bad and repeated rows"
    );
    println!(
        "seed {seed}: {} rows, {} recipients, {} suppressed, {invalid} invalid",
        rows.len(),
        kinds.len(),
        want_suppressed.len()
    );
}

#[test]
fn the_store_suppressions_clean_and_report_equal_the_model_fixed_seed() {
    let seed = std::env::var("REBOUND_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x11_2026);
    run_model(seed);
}

#[test]
fn the_store_suppressions_clean_and_report_equal_the_model_fresh_seed() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    eprintln!("model seed {seed} (replay with REBOUND_MODEL_SEED={seed})");
    run_model(seed);
}
