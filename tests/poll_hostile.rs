//! `poll` against servers that misbehave (tests/common/fakeimap.rs): nothing is lost, no
//! step hangs, memory stays bounded, and errors say what happened without echoing what
//! the server sent.

mod common;

use common::fakeimap::{self, Fault, SECRET};
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn poll(dir: &Path, port: u16) -> (i32, String, Duration) {
    std::fs::write(dir.join("pw"), "secret-password").unwrap();
    std::fs::write(
        dir.join("rebound.toml"),
        format!(
            "[poll]\ntimeout = 2\n\n[[poll.account]]\nname = \"fake\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword_file = \"pw\"\nfolder = \"INBOX\"\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = rebound(dir, &["poll", "--db", "rebound.db"]);
    (
        out.status.code().unwrap_or(-1),
        text(&out),
        started.elapsed(),
    )
}

fn checkpoint(dir: &Path) -> Option<u32> {
    let store = rebound::store::Store::open(&dir.join("rebound.db")).expect("store");
    store
        .checkpoint("fake", "INBOX")
        .expect("checkpoint")
        .map(|c| c.last_uid)
}

fn moved(server: &fakeimap::FakeImap) -> Vec<String> {
    server
        .commands
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.contains("UID MOVE") || c.contains("UID COPY"))
        .cloned()
        .collect()
}

#[test]
fn a_uid_left_out_of_fetch_stays_and_holds_the_checkpoint() {
    let dir = workdir("hostile-missing");
    let server = fakeimap::start(Fault::MissingUid);
    let (code, out, _) = poll(&dir, server.port);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UID 2 left in the folder: the server sent no message"),
        "{out}"
    );
    assert_eq!(
        checkpoint(&dir),
        Some(1),
        "the checkpoint stops before UID 2"
    );
    assert!(
        moved(&server)
            .iter()
            .all(|m| !m.contains(" 2 ") && !m.contains("1:3")),
        "{:?}",
        moved(&server)
    );
    // A well-behaved server later: UID 2 is read, and the checkpoint reaches 3.
    let good = fakeimap::start(Fault::None);
    let (code, out, _) = poll(&dir, good.port);
    assert_eq!(code, 0, "{out}");
    assert_eq!(checkpoint(&dir), Some(3));
}

#[test]
fn an_unasked_for_uid_is_ignored() {
    let dir = workdir("hostile-unasked");
    let server = fakeimap::start(Fault::UnaskedUid);
    let (code, out, _) = poll(&dir, server.port);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("messages read: 3"), "{out}");
    assert_eq!(checkpoint(&dir), Some(3), "not 4000000000");
}

#[test]
fn no_step_waits_for_ever() {
    for (fault, want, code) in [
        (Fault::Drip, "no message from the server in 2 s", 1),
        (
            Fault::SilentList,
            "LIST: no answer from the server in 2 s",
            1,
        ),
        (Fault::SilentLogout, "messages read: 3", 0),
    ] {
        let dir = workdir(&format!("hostile-{fault:?}"));
        let server = fakeimap::start(fault);
        let (got, out, took) = poll(&dir, server.port);
        assert_eq!(got, code, "{fault:?}: {out}");
        assert!(out.contains(want), "{fault:?}: want {want:?} in {out}");
        assert!(took < Duration::from_secs(20), "{fault:?} took {took:?}");
    }
}

#[test]
fn a_huge_literal_is_refused_before_it_is_reserved() {
    let dir = workdir("hostile-literal");
    let server = fakeimap::start(Fault::HugeLiteral);
    let (code, out, took) = poll(&dir, server.port);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("530000000-byte literal"), "{out}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(checkpoint(&dir), None);
}

#[test]
fn a_refused_store_fails_the_run_and_keeps_the_checkpoint() {
    let dir = workdir("hostile-store");
    let server = fakeimap::start(Fault::StoreRefused);
    let (code, out, _) = poll(&dir, server.port);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("flagged 0 of 3"), "{out}");
    assert_eq!(checkpoint(&dir), None, "nothing counts as moved");
}

#[test]
fn what_the_server_sent_is_never_echoed() {
    let dir = workdir("hostile-garbage");
    let server = fakeimap::start(Fault::Garbage);
    let (code, out, _) = poll(&dir, server.port);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not IMAP"), "{out}");
    assert!(!out.contains(SECRET), "{out}");
    assert!(out.len() < 2000, "{} bytes of output", out.len());

    let server = fakeimap::start(Fault::NotImap);
    let (code, out, _) = poll(&dir, server.port);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not an IMAP server (wrong port or TLS mode?"),
        "{out}"
    );
    assert!(!out.contains("secret-password"), "{out}");
}
