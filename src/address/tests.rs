use super::*;

fn key(s: &str) -> String {
    Address::parse(s)
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .key()
        .to_string()
}

#[test]
fn case_variants_share_one_key() {
    assert_eq!(key("Unknown@Remote.TEST"), "unknown@remote.test");
    assert_eq!(key("USER@BÜCHER.EXAMPLE"), "user@bücher.example");
    assert_eq!(key("ÜSER@example.com"), "üser@example.com");
    assert_eq!(key("  a@b.example \t"), "a@b.example");
}

#[test]
fn an_idn_domain_matches_its_ascii_form() {
    assert_eq!(
        key("user@bücher.example"),
        key("user@xn--bcher-kva.example")
    );
    assert_eq!(key("user@XN--BCHER-KVA.EXAMPLE"), "user@bücher.example");
    let a = Address::parse("üser@bücher.example").unwrap();
    assert_eq!(a.ascii_domain(), "xn--bcher-kva.example");
    assert!(!a.local_is_ascii());
    assert_eq!(a.domain(), "bücher.example");
}

#[test]
fn the_smtp_form_uses_a_labels_for_an_ascii_local_part() {
    let smtp = |s: &str| Address::parse(s).unwrap().smtp_form();
    assert_eq!(smtp("User@Bücher.example"), "User@xn--bcher-kva.example");
    assert_eq!(smtp("user@example.com"), "user@example.com");
    assert_eq!(smtp("üser@bücher.example"), "üser@bücher.example");
}

#[test]
fn quotes_that_quote_nothing_are_dropped() {
    assert_eq!(key("\"q\"@example.com"), "q@example.com");
    assert_eq!(key("\"Q.R\"@example.com"), "q.r@example.com");
    assert_eq!(key("\"a b\"@example.com"), "\"a b\"@example.com");
    assert_eq!(key("\"a\\\"b\"@example.com"), "\"a\\\"b\"@example.com");
    assert_eq!(key("\"a@b\"@example.com"), "\"a@b\"@example.com");
}

#[test]
fn the_written_spelling_is_kept() {
    let a = Address::parse(" Unknown@Remote.TEST ").unwrap();
    assert_eq!(a.as_str(), "Unknown@Remote.TEST");
    assert_eq!(a.to_string(), "Unknown@Remote.TEST");
}

#[test]
fn literals_are_normalised() {
    assert_eq!(key("a@[192.0.2.1]"), "a@[192.0.2.1]");
    assert_eq!(key("a@[IPv6:2001:DB8::1]"), "a@[ipv6:2001:db8::1]");
    assert!(Address::parse("a@[300.1.1.1]").is_err());
}

#[test]
fn invalid_input_is_refused_with_its_reason() {
    let long = format!("{}@example.com", "a".repeat(100_000));
    let cases: &[(&str, AddressError)] = &[
        ("", AddressError::Empty),
        ("   ", AddressError::Empty),
        ("@example.com", AddressError::EmptyLocal),
        ("a@", AddressError::EmptyDomain),
        ("a@@b.com", AddressError::TwoAts),
        ("a@b@c.com", AddressError::TwoAts),
        ("plain", AddressError::NoAt),
        ("a@b.com\0", AddressError::Control(0)),
        ("a\u{1b}@b.com", AddressError::Control(0x1b)),
        ("<angle@example.com>", AddressError::AngleBrackets),
    ];
    for (input, want) in cases {
        assert_eq!(Address::parse(input).as_ref(), Err(want), "{input:?}");
    }
    assert!(matches!(
        Address::parse(&long),
        Err(AddressError::TooLong { .. })
    ));
    let local65 = format!("{}@example.com", "a".repeat(65));
    assert!(matches!(
        Address::parse(&local65),
        Err(AddressError::TooLong { max: 64, .. })
    ));
    for bad in [
        ".a@b.com",
        "a.@b.com",
        "a..b@b.com",
        "a b@b.com",
        "a(b)@b.com",
        "\"unclosed@b.com",
        "a@b..com",
        "a@.b.com",
        "a@b.com.",
        "a@-b.com",
        "a@b_c.com",
        "a@b c.com",
        "a@xn--zz.example",
        "a@localhost",
    ] {
        assert!(Address::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn key_of_falls_back_to_lower_case() {
    assert_eq!(key_of("Unknown@Remote.TEST"), "unknown@remote.test");
    assert_eq!(key_of(" NoDomain "), "nodomain");
}

/// A small seeded generator (xorshift), so a failing case can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Flips the case of some characters (Unicode-aware).
fn scramble_case(s: &str, rng: &mut Rng) -> String {
    s.chars()
        .map(|c| {
            if rng.next().is_multiple_of(2) {
                c.to_uppercase().collect::<String>()
            } else {
                c.to_lowercase().collect::<String>()
            }
        })
        .collect()
}

#[test]
fn generated_addresses_keep_one_key_through_case_and_idna() {
    let locals = [
        "user",
        "first.last",
        "a+tag",
        "o'brien",
        "üser",
        "ünïcödé.nämé",
        "x_y-z",
        "sigma",
        "\"quoted\"",
        "\"with space\"",
        "1234",
    ];
    let domains = [
        ("example.com", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("sub.domain.test", "sub.domain.test"),
    ];
    let seed = 0x5eed_1234_u64;
    let mut rng = Rng(seed);
    let mut checked = 0;
    for _ in 0..2_000 {
        let local = rng.pick(&locals);
        let (uni, ascii) = domains[(rng.next() % domains.len() as u64) as usize];
        let base = Address::parse(&format!("{local}@{uni}")).unwrap();
        // quoted locals keep their case inside quotes only through lower-casing too
        let variant_local = scramble_case(local, &mut rng);
        let domain = if rng.next().is_multiple_of(2) {
            uni
        } else {
            ascii
        };
        let variant = format!("{variant_local}@{}", scramble_case(domain, &mut rng));
        let v =
            Address::parse(&variant).unwrap_or_else(|e| panic!("{variant:?} (seed {seed}): {e}"));
        assert_eq!(v.key(), base.key(), "{variant:?} (seed {seed})");
        // the key is itself an address with the same key (idempotent)
        assert_eq!(Address::parse(v.key()).unwrap().key(), v.key());
        checked += 1;
    }
    assert_eq!(checked, 2_000);
}

#[test]
fn arbitrary_strings_never_panic_and_keys_are_stable() {
    let mut rng = Rng(0xdead_beef);
    let alphabet: Vec<char> = "aZ.@\"\\ <>[]()üÜß\u{0}\t-_+1xn--".chars().collect();
    for _ in 0..20_000 {
        let len = (rng.next() % 24) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        if let Ok(a) = Address::parse(&s) {
            let again =
                Address::parse(a.key()).unwrap_or_else(|e| panic!("{s:?} -> {}: {e}", a.key()));
            assert_eq!(again.key(), a.key(), "{s:?}");
        }
    }
}
