//! Tests of the header checks and encoders, with seeded property tests: what a MIME
//! parser decodes from our encoding is the text we encoded, within the line limits.

use super::*;

fn fields(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn refuses_what_rfc_5322_does_not_allow() {
    let ok = fields(&[
        "From: Zo\u{eb} <z@list.example>",
        "Subject: Zo\u{eb}",
        "X-Tag: \u{e9}t\u{e9}",
    ]);
    assert_eq!(check_headers(&ok), Ok(()));
    let why = |l: &[&str]| check_headers(&fields(l)).unwrap_err();
    assert!(why(&["Subject: hi"]).contains("no From header"));
    assert!(why(&["From: a@b", "Subject: a", "subject: b"]).contains("subject appears twice"));
    assert!(why(&["From: a@b", "From: c@d"]).contains("From appears twice"));
    assert!(why(&["From: a@b", "Bad Name: x"]).contains("not a valid header field name"));
    assert!(why(&["From: a@b", "B\u{e4}d: x"]).contains("not a valid header field name"));
    let long = format!("From: a@b\nX-Long: {}", "x".repeat(1000));
    assert!(check_headers(&[long])
        .unwrap_err()
        .contains("RFC 5322 section 2.1.1"));
    assert!(why(&["From: z\u{eb}@b"]).contains("is not ASCII"));
    assert!(why(&["From: a@b", "Content-Type: text/plain; name=\u{eb}"]).contains("cannot encode"));
    assert!(why(&["From: a@b", "Subject: a\u{0}b"]).contains("control character"));
    // folded fields are fine as long as each line is short
    let folded = format!(
        "From: a@b\nX-Long: {}\n {}",
        "x".repeat(900),
        "y".repeat(900)
    );
    assert_eq!(check_headers(&[folded]), Ok(()));
}

/// What mail-parser makes of a header line we wrote.
fn decoded(field: &str) -> String {
    let msg = format!("{field}\r\n\r\nbody\r\n");
    let m = mail_parser::MessageParser::default()
        .parse(msg.as_bytes())
        .expect("parse");
    m.subject().unwrap_or_default().to_string()
}

#[test]
fn non_ascii_subjects_are_encoded_and_decode_back() {
    let f = encode_field("Subject: Hello Zo\u{eb}");
    assert_eq!(f, "Subject: =?UTF-8?Q?Hello_Zo=C3=AB?=");
    assert_eq!(decoded(&f), "Hello Zo\u{eb}");
    assert_eq!(encode_field("Subject: plain"), "Subject: plain");
}

#[test]
fn display_names_are_encoded_addresses_kept() {
    let f = encode_field("From: \"Zo\u{eb} \\\"Z\\\"\" <z@list.example>, b@x");
    assert_eq!(
        f,
        "From: =?UTF-8?Q?Zo=C3=AB_=22Z=22?= <z@list.example>,\r\n b@x"
    );
    let msg = format!("{f}\r\n\r\nb\r\n");
    let m = mail_parser::MessageParser::default()
        .parse(msg.as_bytes())
        .unwrap();
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Zo\u{eb} \"Z\""));
    assert_eq!(from.address(), Some("z@list.example"));
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const ALPHABET: &[char] = &[
    'a',
    'Z',
    ' ',
    ' ',
    '=',
    '?',
    '_',
    '"',
    '(',
    ',',
    '.',
    '\u{eb}',
    '\u{df}',
    '\u{4e2d}',
    '\u{1f600}',
    '\u{301}',
    '\t',
    '-',
    '!',
    '\\',
];

#[test]
fn property_encoded_subjects_decode_back_within_limits() {
    let mut rng = Rng(0x5eed_2047);
    for case in 0..2000 {
        let len = (rng.next() % 120) as usize;
        let mut s: String = (0..len)
            .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
            .collect();
        s.push('\u{eb}'); // at least one non-ASCII character
        let s = s.trim().replace('\t', " ");
        let f = encode_field(&format!("Subject: {s}"));
        for line in f.split("\r\n") {
            assert!(
                line.len() <= 76,
                "case {case}: line of {} in {f:?}",
                line.len()
            );
        }
        assert!(f.is_ascii(), "case {case}");
        assert_eq!(decoded(&f), s, "case {case}: {f:?}");
    }
}

#[test]
fn property_quoted_printable_decodes_back_within_limits() {
    let mut rng = Rng(0x9e37_79b9);
    for case in 0..500 {
        let len = (rng.next() % 400) as usize;
        let body: String = (0..len)
            .map(|_| match rng.next() % 12 {
                0 => '\n',
                _ => ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize],
            })
            .collect();
        let qp = quoted_printable(&body);
        for line in qp.split('\n') {
            assert!(line.len() <= 76, "case {case}: {line:?}");
        }
        let msg = format!(
            "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            qp.replace('\n', "\r\n")
        );
        let m = mail_parser::MessageParser::default()
            .parse(msg.as_bytes())
            .unwrap();
        let got = m.body_text(0).unwrap_or_default().replace("\r\n", "\n");
        assert_eq!(got, body, "case {case}: {qp:?}");
    }
}

#[test]
fn dmarc_alignment_by_organisational_domain() {
    assert_eq!(org_domain("mail.News.Example.com."), "example.com");
    assert!(dmarc_warning("news@news.example.com", "bounces@bounce.example.com").is_none());
    let w = dmarc_warning("news@example.org", "bounces@mailer.example.com").unwrap();
    assert!(
        w.contains("'example.org'") && w.contains("not aligned for DMARC"),
        "{w}"
    );
    assert_eq!(
        from_address(" \"Zo\u{eb}, Z\" <news@example.org>"),
        Some("news@example.org".into())
    );
    assert_eq!(
        from_address("news@example.org (News)"),
        Some("news@example.org".into())
    );
}

#[test]
fn property_encoded_display_names_decode_back_within_limits() {
    let mut rng = Rng(0xd15b_1a7e);
    for case in 0..1000 {
        let len = 1 + (rng.next() % 60) as usize;
        let name: String = (0..len)
            .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
            .collect();
        // a display name as a person writes it: single spaces, quoted when it has specials
        let name = format!("{}\u{eb}", name.replace(['\t', '"', '\\'], " "));
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let f = encode_field(&format!("From: \"{name}\" <news@list.example>"));
        assert!(f.is_ascii(), "case {case}");
        for line in f.split("\r\n") {
            assert!(line.len() <= 76, "case {case}: {line:?}");
        }
        let msg = format!("{f}\r\n\r\nb\r\n");
        let m = mail_parser::MessageParser::default()
            .parse(msg.as_bytes())
            .unwrap();
        let a = m.from().and_then(|f| f.first()).expect("a mailbox");
        assert_eq!(a.name(), Some(name.as_str()), "case {case}: {f:?}");
        assert_eq!(a.address(), Some("news@list.example"), "case {case}");
    }
}
