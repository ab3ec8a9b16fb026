//! Golden fixtures: every `fixtures/<suite>/expected.jsonl` is decoded and must match in
//! full (recipient, reason, hard), with LF and with CRLF line endings. On a mismatch the
//! actual output is written beside the fixture as `expected.actual.jsonl`; with
//! `REBOUND_BLESS=1` it replaces `expected.jsonl` (review the diff before committing).

use rebound::eval;
use std::path::{Path, PathBuf};

fn suites() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.jsonl").is_file())
        .collect();
    out.sort();
    out
}

/// Writes what the decoder says now, in the corpus format, for review or blessing.
fn write_actual(dir: &Path, bless: bool) {
    let expected = eval::load_expected(dir).expect("expected.jsonl parses");
    let mut lines = String::new();
    for exp in expected {
        let raw = std::fs::read(dir.join(&exp.file)).expect("fixture readable");
        let report = rebound::decode(&raw);
        let bounces: Vec<serde_json::Value> = report
            .bounces
            .iter()
            .map(|b| {
                serde_json::json!({
                    "recipient": b.recipient, "status": b.status, "replycode": b.replycode,
                    "reason": b.reason, "hard": b.hard, "action": b.action,
                    "feedback_type": b.feedback_type, "diagnostic_code": b.diagnostic_code,
                    "smtp_agent": b.evidence.module,
                })
            })
            .collect();
        let line = serde_json::json!({"file": exp.file, "family": exp.family, "bounces": bounces});
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let name = if bless {
        "expected.jsonl"
    } else {
        "expected.actual.jsonl"
    };
    std::fs::write(dir.join(name), lines).expect("write actual output");
}

fn check(dir: &Path) -> Result<usize, String> {
    let report = eval::run(dir).map_err(|e| e.to_string())?;
    let t = &report.total;
    if t.files == 0 {
        return Err(format!("{}: no fixtures listed", dir.display()));
    }
    if t.full != t.records || t.detected != t.files || t.extra != 0 || t.file_errors != 0 {
        let misses: Vec<String> = report
            .misses
            .iter()
            .map(|m| serde_json::to_string(m).unwrap_or_default())
            .collect();
        return Err(format!(
            "{}: full {}/{} detected {}/{} extra {} errors {}\n{}",
            dir.display(),
            t.full,
            t.records,
            t.detected,
            t.files,
            t.extra,
            t.file_errors,
            misses.join("\n")
        ));
    }
    Ok(t.files)
}

#[test]
fn every_fixture_suite_decodes_as_expected() {
    let bless = std::env::var_os("REBOUND_BLESS").is_some();
    let suites = suites();
    assert!(!suites.is_empty(), "no fixture suites found");
    let mut files = 0;
    let mut failures = Vec::new();
    for dir in &suites {
        match check(dir) {
            Ok(n) => files += n,
            Err(e) => {
                write_actual(dir, bless);
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // every message in a suite is listed in its expected.jsonl (none left unchecked)
    let on_disk: usize = suites
        .iter()
        .map(|d| {
            std::fs::read_dir(d)
                .expect("suite readable")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
                })
                .count()
        })
        .sum();
    assert_eq!(
        files, on_disk,
        "fixture messages not listed in an expected.jsonl"
    );
    assert!(files >= 70, "only {files} fixture files were checked");
}

#[test]
fn fixtures_decode_the_same_with_crlf_line_endings() {
    let tmp = std::env::temp_dir().join(format!("rebound-crlf-{}", std::process::id()));
    let mut checked = 0;
    for dir in suites() {
        let out = tmp.join(dir.file_name().expect("suite name"));
        std::fs::create_dir_all(&out).expect("temp dir");
        for entry in std::fs::read_dir(&dir).expect("suite readable") {
            let p = entry.expect("entry").path();
            let bytes = std::fs::read(&p).expect("fixture readable");
            let name = p.file_name().expect("file name");
            if p.extension().is_some_and(|e| e == "eml") {
                let mut crlf = Vec::with_capacity(bytes.len() + bytes.len() / 20);
                let mut prev = 0u8;
                for &b in &bytes {
                    if b == b'\n' && prev != b'\r' {
                        crlf.push(b'\r');
                    }
                    crlf.push(b);
                    prev = b;
                }
                std::fs::write(out.join(name), crlf).expect("write crlf copy");
            } else if p.file_name().is_some_and(|n| n == "expected.jsonl") {
                std::fs::write(out.join(name), bytes).expect("copy expected");
            }
        }
        checked += check(&out).unwrap_or_else(|e| panic!("CRLF copy: {e}"));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(checked >= 70, "only {checked} fixture files were checked");
}
