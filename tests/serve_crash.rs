//! `rebound serve` under a burst of concurrent clients killed with SIGKILL, the clients
//! retrying as providers do (until a 2xx): every event ends up stored exactly once. A
//! commit that fails answers 503 and leaves nothing; a request whose body never arrives is
//! cut at the configured timeout.

mod serve_support;

use serde_json::json;
use serve_support::*;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONFIG: &str = "[serve]\ntimeout = 1\n[serve.mailgun]\nenv = \"T_MAILGUN\"\n";
const EVENTS: usize = 240;
const CLIENTS: usize = 4;

fn event(i: usize) -> serde_json::Value {
    json!({
        "id": format!("burst-{i}"), "event": "failed", "severity": "permanent",
        "recipient": format!("u{i}@example.com"), "timestamp": now() as f64,
        "delivery-status": {"code": 550, "message": "5.1.1 user unknown"},
    })
}

fn count(db: &std::path::Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_kill_during_a_burst_then_retries_leave_every_event_stored_once() {
    let dir = workdir("crash");
    let db = dir.join("rebound.db");
    let emails: Vec<String> = (0..EVENTS).map(|i| format!("u{i}@example.com")).collect();
    seed(&db, &emails.iter().map(String::as_str).collect::<Vec<_>>());
    let env = [("T_MAILGUN", MAILGUN_KEY)];
    let first = start(&dir, CONFIG, &env);
    let addr = Arc::new(Mutex::new(first.addr.clone()));
    let retries = Arc::new(Mutex::new(0usize));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (addr, retries) = (addr.clone(), retries.clone());
            std::thread::spawn(move || {
                for i in (c..EVENTS).step_by(CLIENTS) {
                    let deadline = Instant::now() + Duration::from_secs(60);
                    loop {
                        // Each retry is signed afresh, as Mailgun does.
                        let body = mailgun_body(MAILGUN_KEY, now(), event(i));
                        let at = addr.lock().unwrap().clone();
                        match try_http(&at, "POST", "/webhooks/mailgun", &[], &body) {
                            Some(r) if r.status == 200 => break,
                            _ => {
                                *retries.lock().unwrap() += 1;
                                assert!(Instant::now() < deadline, "event {i} never acknowledged");
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // Kill once part of the burst is in.
    let t = Instant::now();
    while count(&db, "SELECT count(*) FROM facts") < (EVENTS / 4) as i64 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the burst never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut first = first;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let before_restart = count(&db, "SELECT count(*) FROM facts");
    assert!(
        before_restart < EVENTS as i64,
        "the kill came after the burst"
    );
    let second = start(&dir, CONFIG, &env);
    *addr.lock().unwrap() = second.addr.clone();
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(count(&db, "SELECT count(*) FROM facts"), EVENTS as i64);
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT message_id) FROM messages WHERE account = 'mailgun'"
        ),
        EVENTS as i64
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM suppressions"),
        EVENTS as i64
    );
    assert!(*retries.lock().unwrap() > 0, "no client had to retry");
    drop(second);
}

#[test]
fn a_body_that_never_arrives_is_cut_at_the_timeout() {
    let dir = workdir("timeout");
    let server = start(&dir, CONFIG, &[("T_MAILGUN", MAILGUN_KEY)]);
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"POST /webhooks/mailgun HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"sig")
        .unwrap();
    let t = Instant::now();
    let mut raw = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(
        count(&dir.join("rebound.db"), "SELECT count(*) FROM messages"),
        0
    );
}

#[test]
fn a_failed_commit_answers_503_stores_nothing_and_the_retry_is_stored() {
    let dir = workdir("commitfail");
    let db = dir.join("rebound.db");
    seed(&db, &["a@example.com"]);
    let server = start(&dir, CONFIG, &[("T_MAILGUN", MAILGUN_KEY)]);
    // The store refuses every new fact, as a full disk or a broken file would.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON facts BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let mut e = event(0);
    e["recipient"] = json!("a@example.com");
    let body = mailgun_body(MAILGUN_KEY, now(), e.clone());
    let r = http(&server.addr, "POST", "/webhooks/mailgun", &[], &body);
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("disk full"), "{}", r.body);
    // Nothing of the event stayed: not its message row, so the retry is not a "replay".
    assert_eq!(count(&db, "SELECT count(*) FROM messages"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM suppressions"), 0);
    c.execute_batch("DROP TRIGGER refuse;").unwrap();
    let body = mailgun_body(MAILGUN_KEY, now(), e);
    let r = http(&server.addr, "POST", "/webhooks/mailgun", &[], &body);
    assert_eq!(
        (r.status, r.json()["stored"].as_u64()),
        (200, Some(1)),
        "{}",
        r.body
    );
    assert_eq!(count(&db, "SELECT count(*) FROM facts"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM suppressions"), 1);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let dir = workdir("slowloris");
    let server = start(&dir, CONFIG, &[("T_MAILGUN", MAILGUN_KEY)]);
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"POST /webhooks/mailgun HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let t = Instant::now();
    let mut raw = Vec::new();
    // The server closes the connection: the read ends (EOF or reset), not our timeout.
    let ended = s.read_to_end(&mut raw);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "still connected after {waited:?}: {ended:?}"
    );
    // timeout = 1 s, so quiet connections end after 1 + 5 s.
    assert!(waited >= Duration::from_secs(5), "closed early: {waited:?}");
    // The server still serves.
    let r = http(&server.addr, "GET", "/healthz", &[], b"");
    assert_eq!(r.status, 200);
}
