//! Model-based test of the whole hygiene loop through real DSNs (issue 11): a seeded
//! campaign of 300 recipients (case variants, duplicates, invalid rows, already-suppressed
//! entries, unknown users local and remote, a blocklist refusal, a full mailbox, a
//! temporary failure that expires, good addresses) is sent through Postfix, which accepts
//! everything and bounces later. The send is SIGKILLed once at a random point and resumed;
//! the DSNs are polled over IMAP, the poll SIGKILLed once and resumed; then `clean` reads
//! a list of every spelling. A model written from the inputs alone (and, for a recipient
//! left uncertain by the kill, from whether Postfix's log shows its message arrived) says
//! what must be suppressed and each recipient's outcome; the store, `suppress list`,
//! `clean` and `report --format json` must equal it. `REBOUND_MODEL_SEED` replays a seed.

mod common;

use common::model::{self, List};
use common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// local(8) or the fake remote MX: 550 5.1.1, hard.
    Unknown,
    /// 554 5.7.1 blocked using zen.spamhaus.org: reputation, never suppressed.
    Blocked,
    /// 552 5.2.2: one soft bounce, under the policy's count.
    Full,
    /// 451 4.3.0 until the queue gives up: a delay report, then an expiry (soft).
    TempFail,
    /// Delivered; no DSN asked for success.
    Good,
    /// On the suppression list beforehand, under another spelling: skipped.
    PreSuppressed,
}

/// Message-IDs the main smtpd received since `from` (a byte offset of Postfix's log).
fn received_ids(env: &HashMap<String, String>, from: usize) -> BTreeSet<String> {
    let log = std::fs::read(&env["POSTFIX_LOG"]).expect("postfix log");
    let log = String::from_utf8_lossy(&log[from.min(log.len())..]);
    let mut main_qids: HashMap<String, bool> = HashMap::new();
    let mut ids = BTreeSet::new();
    for l in log.lines() {
        let Some(qid) = l.split(": ").nth(1) else {
            continue;
        };
        if l.contains(": client=") {
            main_qids.insert(qid.to_string(), l.contains(" postfix/smtpd["));
        } else if let Some(id) = l
            .split("message-id=<")
            .nth(1)
            .and_then(|r| r.split('>').next())
        {
            if main_qids.get(qid) == Some(&true) {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

fn spawn_and_kill(dir: &Path, args: &[&str], until: impl Fn() -> bool, max: Duration) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn rebound");
    let end = Instant::now() + max;
    while !until() && Instant::now() < end {
        if child.try_wait().ok().flatten().is_some() {
            return; // finished before the kill point: the resume has nothing to do
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_hygiene_loop_through_real_dsns_equals_the_model_fixed_seed() {
    run_model(model::fixed_seed(0x0d5e_2026));
}

#[test]
fn the_hygiene_loop_through_real_dsns_equals_the_model_fresh_seed() {
    run_model(model::fresh_seed());
}

fn pick(rng: &mut Rng, i: usize, good: &str, local: &str) -> (String, Kind) {
    match rng.below(12) {
        0..=3 => (format!("u{i}@{local}"), Kind::Unknown),
        // a plus-address beside the fake MX's unknown@: accepted
        4 => (format!("unknown+{i}@remote.test"), Kind::Good),
        5 => ("unknown@remote.test".into(), Kind::Unknown),
        6 => ("blocked@remote.test".into(), Kind::Blocked),
        7 => ("full@remote.test".into(), Kind::Full),
        8 => ("tempfail@remote.test".into(), Kind::TempFail),
        9 => (format!("p{i}@{local}"), Kind::PreSuppressed),
        10 => (format!("g{i}@remote.test"), Kind::Good),
        _ => (good.to_string(), Kind::Good),
    }
}

fn run_model(seed: u64) {
    let env = stack();
    let dir = workdir(&format!("model-dsn-{seed}"));
    let mut rng = Rng::new(seed);
    let local = env["LOCAL_DOMAIN"].to_lowercase();
    let good = env["RCPT_GOOD"].to_lowercase();
    let campaign = format!("dsnmodel{}x{seed}", std::process::id());
    let list: List<Kind> = model::generate(&mut rng, 300, |r, i| pick(r, i, &good, &local));
    list.write(&dir, "list.csv");
    let pre = list.of(Kind::PreSuppressed);
    model::pre_suppress(&dir, &pre);
    let (rows, kinds) = (&list.rows, &list.kinds);

    // Send, killed once at a random point, then resumed.
    let db = dir.join("rebound.db");
    let log_start = std::fs::metadata(&env["POSTFIX_LOG"]).map_or(0, |m| m.len() as usize);
    let send = send_argv(&env, &campaign, "list.csv", &env["SMTP_PORT"]);
    let send: Vec<&str> = send
        .iter()
        .map(String::as_str)
        .chain(["--concurrency", "4"])
        .collect();
    let kill_at = 20 + rng.below(200);
    let accepted = || {
        try_query(
            &db,
            "SELECT count(*) FROM recipients WHERE state = 'accepted'",
        )
        .and_then(|r| r[0][0].parse::<usize>().ok())
        .unwrap_or(0)
    };
    spawn_and_kill(
        &dir,
        &send,
        || accepted() >= kill_at,
        Duration::from_secs(60),
    );
    let out = rebound(&dir, &send);
    assert!(out.status.success(), "{}", text(&out));

    // What reached Postfix: an uncertain recipient's message may or may not have.
    std::thread::sleep(Duration::from_millis(500));
    let arrived = received_ids(&env, log_start);
    let stored = query(&db, "SELECT email, state, message_id FROM recipients");
    let sent: BTreeMap<String, (String, bool)> = stored
        .iter()
        .map(|r| (r[0].to_lowercase(), (r[1].clone(), arrived.contains(&r[2]))))
        .collect();
    for (email, (state, got)) in &sent {
        if state == "accepted" {
            assert!(got, "{email}: accepted but not in Postfix's log");
        }
    }
    let reached = |c: &str| sent.get(c).is_some_and(|(_, got)| *got);

    // The DSNs this campaign causes, moved into its own folder.
    let expected_dsns: usize = kinds
        .iter()
        .filter(|(c, _)| reached(c))
        .map(|(_, k)| match k {
            Kind::Unknown | Kind::Blocked | Kind::Full => 1,
            Kind::TempFail => 2,
            _ => 0,
        })
        .sum();
    let folder = format!("{campaign}-in");
    let count = || move_matching(&env, &folder, &campaign);
    let lifetime: u64 = env["QUEUE_LIFETIME_SECONDS"].parse().unwrap_or(30);
    let got = wait_for(lifetime + 60, || (count() >= expected_dsns).then_some(()));
    assert!(
        got.is_some(),
        "seed {seed}: {} of {expected_dsns} DSNs arrived",
        count()
    );

    // Poll, killed once, then resumed.
    // small batches and move rounds, so that the kill can fall between them
    let config = poll_config(&env, &dir, &campaign, &folder, true).replace(
        "[poll.folders]",
        "[poll]\nbatch = 7\nmove_every = 20\n[poll.folders]",
    );
    std::fs::write(dir.join("rebound.toml"), config).unwrap();
    let read = || {
        try_query(&db, "SELECT count(*) FROM messages")
            .and_then(|r| r[0][0].parse::<usize>().ok())
            .unwrap_or(0)
    };
    let poll_kill_at = 1 + rng.below(expected_dsns.max(2) - 1);
    spawn_and_kill(
        &dir,
        &["poll", "--db", "rebound.db"],
        || read() >= poll_kill_at,
        Duration::from_secs(60),
    );
    let out = rebound(&dir, &["poll", "--db", "rebound.db"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(), expected_dsns, "seed {seed}: each DSN stored once");

    // The model.
    let want_suppressed: BTreeSet<String> = kinds
        .iter()
        .filter(|(c, k)| **k == Kind::PreSuppressed || (**k == Kind::Unknown && reached(c)))
        .map(|(c, _)| c.clone())
        .collect();
    assert_eq!(
        model::suppression_list(&dir),
        want_suppressed,
        "seed {seed}: suppression list"
    );

    let states: BTreeMap<&str, &str> = sent
        .iter()
        .map(|(c, (s, _))| (c.as_str(), s.as_str()))
        .collect();
    for (c, k) in kinds {
        let want = if *k == Kind::PreSuppressed {
            "skipped"
        } else {
            "accepted"
        };
        let got = states.get(c.as_str()).copied().unwrap_or("missing");
        assert!(
            got == want || (got == "uncertain" && want == "accepted"),
            "seed {seed}: {c} is {got}"
        );
    }
    let live = |k: Kind| {
        kinds
            .iter()
            .filter(|(c, kk)| **kk == k && states.get(c.as_str()) == Some(&"accepted"))
            .count()
    };
    let r = model::report_json(&dir, &campaign);
    let f = &r["funnel"];
    let uncertain = states.values().filter(|s| **s == "uncertain").count();
    for (key, n) in [
        ("recipients", kinds.len()),
        ("skipped_suppressed", pre.len()),
        ("uncertain", uncertain),
        ("rejected_at_smtp", 0),
        ("bounced_hard", live(Kind::Unknown)),
        ("blocked", live(Kind::Blocked)),
        ("bounced_soft", live(Kind::Full) + live(Kind::TempFail)),
        ("no_news", live(Kind::Good)),
    ] {
        assert_eq!(f[key], n, "seed {seed}: funnel {key}: {f}");
    }

    // clean: every spelling of a suppressed address goes, every other valid row stays.
    assert_eq!(
        model::clean_output(&dir, "list.csv"),
        list.kept(&want_suppressed),
        "seed {seed}: clean's output"
    );
    eprintln!(
        "seed {seed}: {} rows, {} recipients, {uncertain} uncertain after the kill, {expected_dsns} DSNs, {} suppressed",
        rows.len(),
        kinds.len(),
        want_suppressed.len()
    );
}
