//! The decoder never panics and stays fast on hostile input: mutated real messages
//! (fixtures, and the development corpus when it is beside the project), binary junk,
//! truncated MIME, and a message with a 15 MB attachment.

use std::path::{Path, PathBuf};

/// A small deterministic PRNG (xorshift64*), so failures are reproducible by seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn eml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            eml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

fn samples() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    eml_files(&root.join("fixtures"), &mut files);
    let corpus = root.join("../shared/corpus/dev");
    if corpus.is_dir() {
        eml_files(&corpus, &mut files);
    } else if std::env::var_os("CI").is_some() {
        panic!("CI must have ../shared/corpus/dev beside the project");
    }
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// One random edit: flip, insert or delete bytes, splice a MIME-ish token, truncate.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    const TOKENS: &[&[u8]] = &[
        b"\r\n\r\n",
        b"--",
        b"Content-Type: multipart/report; boundary=\"x\"\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"=?utf-8?B?",
        b"Final-Recipient: rfc822; ",
        b"Status: 5.",
        b"\xff\xfe\xc3",
        b"<@>",
        b":;",
    ];
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len().max(1);
        match rng.below(6) {
            0 => {
                let i = rng.below(len);
                if let Some(b) = v.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(len);
                let n = rng.below(16);
                let end = (i + n).min(v.len());
                if i < end {
                    v.drain(i..end);
                }
            }
            2 => {
                let i = rng.below(len).min(v.len());
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(i..i, t.iter().copied());
            }
            3 => {
                let cut = rng.below(len);
                v.truncate(cut);
            }
            4 => {
                let i = rng.below(len).min(v.len());
                let b = (rng.next() & 0xff) as u8;
                v.insert(i, b);
            }
            _ => {
                // duplicate a slice: repeated headers and parts
                let i = rng.below(len).min(v.len());
                let end = (i + rng.below(200)).min(v.len());
                let dup = v[i..end].to_vec();
                v.splice(i..i, dup);
            }
        }
    }
    v
}

#[test]
fn mutated_messages_never_panic() {
    let samples = samples();
    assert!(samples.len() >= 7, "too few samples: {}", samples.len());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let rounds = 20_000;
    let mut decoded_some = 0;
    for _ in 0..rounds {
        let base = &samples[rng.below(samples.len())];
        let m = mutate(&mut rng, base);
        let r = std::panic::catch_unwind(|| rebound::decode(&m));
        match r {
            Ok(report) => decoded_some += usize::from(!report.bounces.is_empty()),
            Err(_) => {
                let path = std::env::temp_dir().join("rebound-panic.eml");
                let _ = std::fs::write(&path, &m);
                panic!("decoder panicked; input saved to {}", path.display());
            }
        }
    }
    // Most mutations keep the message a bounce: the loop exercised the decoders.
    assert!(
        decoded_some > rounds / 4,
        "only {decoded_some} mutated inputs decoded to facts"
    );
}

#[test]
fn junk_and_edge_inputs_give_empty_reports() {
    let mut rng = Rng(42);
    let junk: Vec<u8> = (0..100_000).map(|_| (rng.next() & 0xff) as u8).collect();
    for input in [
        &b""[..],
        b"\n\n\n",
        b"From: a\n",
        b"Content-Type: multipart/report; boundary=\"\"\n\n--\n--\n",
        &junk,
    ] {
        assert!(rebound::decode(input).bounces.is_empty());
    }
}

/// Found by `scripts/fuzz` (minimized): nested `message/rfc822` parts inside a multipart
/// whose boundary is `-` send mail-parser 0.11 into its "Invalid part ID, could not find
/// multipart" state, a `debug_assert!` in its source. Release and test builds compile that
/// check out (see Cargo.toml) and mail-parser recovers; the decoder must then still answer
/// calmly, and the same way each time.
#[test]
fn nested_messages_under_a_dash_boundary_decode_calmly() {
    let input: &[u8] = b"Content-Type:Multipart/\n boundary=-\n\n---Content-Type:message/rfc822\n\nContent-Type:message/rfc822\n\n\n-----";
    let first = rebound::decode(input);
    assert_eq!(first, rebound::decode(input));
    assert!(first.bounces.is_empty());
}

/// A bounce whose returned message carries an attachment of about `size` bytes.
fn bounce_with_attachment(size: usize) -> String {
    let mut msg = String::from(
        "From: MAILER-DAEMON@relay.example\r\nTo: list@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n\
--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n\
Final-Recipient: rfc822; big@far.example\r\nAction: failed\r\nStatus: 5.2.2\r\n\
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n\
From: list@example.org\r\nTo: big@far.example\r\nSubject: file\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n\
--b2\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    let line = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n";
    while msg.len() < size {
        msg.push_str(line);
    }
    msg.push_str("--b2--\r\n--b1--\r\n");
    msg
}

/// The fastest of three runs of `f`: the least disturbed by the other work on the machine.
fn fastest<T>(mut f: impl FnMut() -> T) -> (std::time::Duration, T) {
    let mut best = None;
    let mut out = None;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let r = f();
        let e = t.elapsed();
        best = Some(best.map_or(e, |b: std::time::Duration| b.min(e)));
        out = Some(r);
    }
    (best.unwrap_or_default(), out.expect("ran three times"))
}

/// Decodes a small and a big message of one shape (the fastest of three runs each) in one
/// run, so the machine's speed cancels out, and fails when the big one costs `limit`
/// times the small one or more; returns both reports for the shape's own checks.
fn decode_both(
    small: &str,
    big: &str,
    limit: u32,
    what: &str,
) -> (rebound::Report, rebound::Report) {
    // A growth that is really too steep fails every round; a machine busy with other
    // work (tests run in parallel) disturbs one round, not three in a row.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (t_small, r_small) = fastest(|| rebound::decode(small.as_bytes()));
        let (t_big, r_big) = fastest(|| rebound::decode(big.as_bytes()));
        if t_big < t_small * limit {
            return (r_small, r_big);
        }
        seen.push((t_big, t_small));
    }
    panic!("{what}: the big one took {limit} times the small one or more in every round (big, small): {seen:?}");
}

#[test]
fn a_bounce_with_a_15_mb_attachment_still_decodes_and_stays_fast() {
    let small = bounce_with_attachment(1_500_000);
    let big = bounce_with_attachment(15 << 20);
    let (r_small, report) = decode_both(&small, &big, 20, "a 15 MB attachment against 1.5 MB");
    assert_eq!(r_small, report, "the attachment's size changed the facts");
    assert_eq!(report.bounces.len(), 1);
    assert_eq!(
        report.bounces[0].recipient.as_deref(),
        Some("big@far.example")
    );
    assert_eq!(report.bounces[0].reason, rebound::Reason::MailboxFull);
    // decode_both measured both in the same run, so the machine's speed cancels out: ten
    // times the bytes may cost under twenty times the time (the parse cap makes it about
    // three).
}

/// A delivery-status part of `n` recipient blocks, each with `Action:` and
/// `Diagnostic-Code:` (the shape that once cost quadratic time: 57,500 blocks, 12.6 s).
fn dsn_with_blocks(n: usize) -> String {
    let mut msg = String::from(
        "From: MAILER-DAEMON@mx.example.com\nTo: sender@example.org\nSubject: Undelivered\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nfailed.\n\n--B\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mx.example.com\n\n",
    );
    for i in 0..n {
        msg.push_str(&format!(
            "Final-Recipient: rfc822; u{i}@example.com\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 user unknown u{i}\n\n"
        ));
    }
    msg.push_str("--B--\n");
    msg
}

/// A report of `n` records without `Diagnostic-Code` (or, with `broken`, with recipients
/// that lost their local part) and a human-readable part that grows with it: each record
/// once looked through the whole part (4,000 records: 15.8 s).
fn dsn_with_notes(n: usize, broken: bool) -> String {
    let mut msg = String::from(
        "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\n",
    );
    for i in 0..n {
        msg.push_str(&format!(
            "The mail system could not deliver message {i} to one of its recipients (reason: \
             the remote server said no more than this) and gave up after several tries.\n"
        ));
    }
    msg.push_str("\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n");
    for i in 0..n {
        if broken {
            msg.push_str(&format!(
                "Final-Recipient: rfc822; @mx{i}.example.com\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 no\n\n"
            ));
        } else {
            msg.push_str(&format!(
                "Final-Recipient: rfc822; u{i}@example.com\nAction: failed\nStatus: 5.1.1\n\n"
            ));
        }
    }
    msg.push_str("--B--\n");
    msg
}

/// Eight times the records (and eight times the notes) must cost less than sixteen times
/// the time (quadratic work: 64), for each shape that once was quadratic.
#[test]
fn records_with_long_notes_decode_in_linear_time() {
    for broken in [false, true] {
        let (n, m) = (500, 4_000);
        let small = dsn_with_notes(n, broken);
        let big = dsn_with_notes(m, broken);
        let what = format!("broken {broken}: {n} and {m} records");
        let (r_small, r_big) = decode_both(&small, &big, 16, &what);
        assert_eq!(r_small.bounces.len(), n);
        assert_eq!(r_big.bounces.len(), m);
        if !broken {
            assert_eq!(
                r_big.bounces[0].diagnostic_code.as_deref(),
                Some("the remote server said no more than this) and gave up after several tries.")
            );
        }
    }
}

/// A report whose text names `n` different addresses and whose one record lost its local
/// part, so the decoder looks through them all (they were deduplicated pairwise: 40,000
/// addresses, 114 s).
fn dsn_naming_addresses(n: usize) -> String {
    let mut msg = String::from(
        "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\n",
    );
    for i in 0..n {
        msg.push_str(&format!(
            "<user{i}@host{i}.example.com>: mailbox unavailable\n"
        ));
    }
    msg.push_str(&format!(
        "<last@host{n}.example.com>: mailbox unavailable\n\n--B\n\
Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n\
Final-Recipient: rfc822; @host{n}.example.com\nAction: failed\nStatus: 5.1.1\n\n--B--\n"
    ));
    msg
}

#[test]
fn many_addresses_in_the_text_cost_linear_time() {
    let (n, m) = (2_500, 20_000);
    let small = dsn_naming_addresses(n);
    let big = dsn_naming_addresses(m);
    let (r_small, r_big) = decode_both(&small, &big, 16, &format!("{n} and {m} addresses"));
    // the record is repaired with the one address in its domain
    assert_eq!(
        r_small.bounces[0].recipient.as_deref(),
        Some(format!("last@host{n}.example.com").as_str())
    );
    assert_eq!(
        r_big.bounces[0].recipient.as_deref(),
        Some(format!("last@host{m}.example.com").as_str())
    );
}

/// An Exim report listing `n` failed addresses (each was compared with all before it:
/// 32,000 addresses, 14.7 s).
fn exim_with_addresses(n: usize) -> String {
    let mut msg = String::from(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n\
Subject: Mail delivery failed: returning message to sender\n\n\
This message was created automatically by mail delivery software.\n\n\
A message that you sent could not be delivered to one or more of its\n\
recipients. This is a permanent error. The following address(es) failed:\n\n",
    );
    for i in 0..n {
        msg.push_str(&format!(
            "  u{i}@b{i}.example\n    SMTP error from remote mail server after RCPT TO:<u{i}@b{i}.example>:\n    550 5.1.1 user unknown\n"
        ));
    }
    msg
}

#[test]
fn a_long_exim_report_decodes_in_linear_time() {
    let (n, m) = (2_000, 16_000);
    let small = exim_with_addresses(n);
    let big = exim_with_addresses(m);
    let what = format!("Exim, {n} and {m} addresses");
    let (r_small, r_big) = decode_both(&small, &big, 16, &what);
    assert_eq!(r_small.bounces.len(), n);
    assert_eq!(r_big.bounces.len(), m);
    assert_eq!(r_big.bounces[m - 1].evidence.module, "exim");
}

#[test]
fn recipient_blocks_decode_in_linear_time() {
    let (n, m) = (2_500, 10_000);
    let small = dsn_with_blocks(n);
    let big = dsn_with_blocks(m);
    // Four times the blocks: linear work costs about four times the time, quadratic work
    // sixteen. The bound leaves room for a noisy machine, not for a quadratic step.
    let (r_small, r_big) = decode_both(&small, &big, 8, &format!("{n} and {m} blocks"));
    assert_eq!(r_small.bounces.len(), n);
    assert_eq!(r_big.bounces.len(), m);
    assert_eq!(
        r_big.bounces[m - 1].recipient.as_deref(),
        Some(format!("u{}@example.com", m - 1).as_str())
    );
}
