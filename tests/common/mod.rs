//! Shared helpers for tests against the real mail stack (Postfix + Dovecot on loopback,
//! started by `scripts/mailstack`, which installs the packages when missing).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Starts the stack if needed (idempotent) and returns its facts (`SMTP_PORT`, ...).
pub fn stack() -> HashMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts/mailstack"))
        .arg("start")
        .output()
        .expect("run scripts/mailstack start");
    assert!(
        out.status.success(),
        "scripts/mailstack start failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A fresh directory for one test.
pub fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create test dir");
    d
}

/// Runs the `rebound` binary in `dir`.
pub fn rebound(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run rebound")
}

/// Text of an output, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Rows of a query on the store, each column as text ('' for NULL).
pub fn query(db: &Path, sql: &str) -> Vec<Vec<String>> {
    try_query(db, sql).expect("query the store")
}

/// Like `query`, but `None` while the store is not there yet (another process is still
/// creating it).
pub fn try_query(db: &Path, sql: &str) -> Option<Vec<Vec<String>>> {
    let conn = rusqlite::Connection::open(db).ok()?;
    // A writer killed mid-transaction leaves its WAL behind; the next reader may have to
    // wait for recovery.
    conn.busy_timeout(std::time::Duration::from_secs(10)).ok()?;
    let mut stmt = conn.prepare(sql).ok()?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    Ok(match v {
                        rusqlite::types::Value::Null => String::new(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(f) => f.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(_) => "<blob>".into(),
                    })
                })
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .ok()?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ok()
}

/// Waits until `f` returns `Some`, up to `secs` seconds.
pub fn wait_for<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The messages in a Maildir (new and cur) whose text contains `needle`.
pub fn maildir_find(maildir: &str, needle: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(rd) = std::fs::read_dir(Path::new(maildir).join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                if String::from_utf8_lossy(&b).contains(needle) {
                    out.push(b);
                }
            }
        }
    }
    out
}

/// A message template with one merge field.
pub const MESSAGE: &str = "From: News <news@rebound.test>\nSubject: Hello {{first_name}}\n\nHi {{first_name}},\nthis is a test.\n.\nA line with a lone dot above.\n";
