//! VERP return paths with a signed token: `bounces+<recipient id>-<mac>@domain`. The MAC
//! (HMAC-SHA256 over campaign and recipient ids, 80 bits, hex) proves the bounce came back
//! to an address we made: a forged one cannot unsubscribe anyone. The same secret signs
//! the `List-Unsubscribe` mailto tokens (`bounces+unsub.<ids>.<mac>@domain`) and keys the
//! hashes that stand for erased addresses, each under its own label.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Hex characters of the MAC kept in the token (80 bits).
const MAC_HEX: usize = 20;

fn mac(secret: &[u8], campaign_id: i64, recipient_id: i64) -> String {
    mac_for("rebound-verp", secret, campaign_id, recipient_id)
}

/// The MAC of one purpose: the label keeps the purposes apart (domain separation), so a
/// bounce token never verifies as an unsubscribe token, nor the other way round.
fn mac_for(purpose: &str, secret: &[u8], campaign_id: i64, recipient_id: i64) -> String {
    // An HMAC key may be of any length; new_from_slice only fails for fixed-size MACs.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(format!("{purpose}:{campaign_id}:{recipient_id}").as_bytes());
    let bytes = m.finalize().into_bytes();
    let mut hex = String::with_capacity(MAC_HEX);
    for b in bytes.iter().take(MAC_HEX / 2) {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// A short tag that makes this database's identifiers unique across databases: two
/// stores both have a campaign 1, but not the same tag (8 hex characters of an HMAC).
pub fn campaign_tag(secret: &[u8], campaign_id: i64) -> String {
    let m = mac(secret, campaign_id, -1);
    m.get(..8).unwrap_or(&m).to_string()
}

/// The token for one recipient of one campaign: `<campaign>.<recipient>.<mac>`.
pub fn token(secret: &[u8], campaign_id: i64, recipient_id: i64) -> String {
    format!(
        "{campaign_id}.{recipient_id}.{}",
        mac(secret, campaign_id, recipient_id)
    )
}

/// The return path for a token, from a base address `local@domain`.
pub fn return_path(base: &str, token: &str) -> String {
    match base.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{token}@{domain}"),
        None => format!("{base}+{token}"),
    }
}

/// The ids a token names, when its MAC is right; `None` for a forged or damaged token.
pub fn verify(secret: &[u8], token: &str) -> Option<(i64, i64)> {
    let mut parts = token.split('.');
    let campaign: i64 = parts.next()?.parse().ok()?;
    let recipient: i64 = parts.next()?.parse().ok()?;
    let given = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let want = mac(secret, campaign, recipient);
    same_mac(given, &want).then_some((campaign, recipient))
}

/// Constant-time comparison of a MAC as given (any case) with the one computed.
fn same_mac(given: &str, want: &str) -> bool {
    given.len() == want.len()
        && given
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b))
            == 0
}

/// What starts an unsubscribe token, after the `+` of the bounce address.
pub const UNSUBSCRIBE_PREFIX: &str = "unsub.";

/// The unsubscribe token of one recipient of one campaign: `unsub.<campaign>.<recipient>.<mac>`,
/// its MAC made under another label than the VERP token's.
pub fn unsubscribe_token(secret: &[u8], campaign_id: i64, recipient_id: i64) -> String {
    format!(
        "{UNSUBSCRIBE_PREFIX}{campaign_id}.{recipient_id}.{}",
        mac_for("rebound-unsubscribe", secret, campaign_id, recipient_id)
    )
}

/// The ids an unsubscribe token names, when its MAC is right; `None` for a forged or
/// altered token, and for a VERP (bounce) token.
pub fn verify_unsubscribe(secret: &[u8], token: &str) -> Option<(i64, i64)> {
    let rest = token.get(..UNSUBSCRIBE_PREFIX.len()).and_then(|p| {
        p.eq_ignore_ascii_case(UNSUBSCRIBE_PREFIX)
            .then(|| &token[UNSUBSCRIBE_PREFIX.len()..])
    })?;
    let mut parts = rest.split('.');
    let campaign: i64 = parts.next()?.parse().ok()?;
    let recipient: i64 = parts.next()?.parse().ok()?;
    let given = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let want = mac_for("rebound-unsubscribe", secret, campaign, recipient);
    same_mac(given, &want).then_some((campaign, recipient))
}

/// The keyed hash that stands for an erased address (`suppress forget`): HMAC-SHA256 of
/// the address's key (`crate::address::key_of`) under the store's secret, with its own
/// label. Without the secret it cannot be reversed or checked against a guess. Keyed
/// once, it hashes many keys (list cleaning hashes every row when erased entries exist).
#[derive(Clone)]
pub struct ForgetHasher(Option<HmacSha256>);

impl ForgetHasher {
    pub fn new(secret: &[u8]) -> ForgetHasher {
        let keyed = HmacSha256::new_from_slice(secret).ok().map(|mut m| {
            m.update(b"rebound-forget:");
            m
        });
        ForgetHasher(keyed)
    }

    /// The 32 bytes of the hash of one address key.
    pub fn hash(&self, address_key: &str) -> [u8; 32] {
        let Some(m) = &self.0 else {
            return [0; 32];
        };
        let mut m = m.clone();
        m.update(address_key.as_bytes());
        m.finalize().into_bytes().into()
    }
}

/// The hash as stored: 64 lower-case hex digits.
pub fn hash_hex(hash: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in hash {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// Hex digits back into a hash; `None` unless exactly 64 of them.
pub fn hash_from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        let digits = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(out)
}

/// `ForgetHasher::hash` as stored (hex), for one key.
pub fn forgotten_hash(secret: &[u8], address_key: &str) -> String {
    hash_hex(&ForgetHasher::new(secret).hash(address_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_forgeries_do_not() {
        let t = token(b"secret", 3, 42);
        assert_eq!(verify(b"secret", &t), Some((3, 42)));
        assert_eq!(verify(b"other", &t), None);
        let forged = t.replacen("3.42", "3.43", 1);
        assert_eq!(verify(b"secret", &forged), None);
        assert_eq!(verify(b"secret", "3.42"), None);
        assert_eq!(
            return_path("bounces@list.example", "1.2.ab"),
            "bounces+1.2.ab@list.example"
        );
    }

    #[test]
    fn unsubscribe_and_bounce_tokens_never_stand_for_each_other() {
        let u = unsubscribe_token(b"secret", 3, 42);
        assert!(u.starts_with("unsub.3.42."), "{u}");
        assert_eq!(verify_unsubscribe(b"secret", &u), Some((3, 42)));
        assert_eq!(
            verify_unsubscribe(b"secret", &u.to_uppercase()),
            Some((3, 42))
        );
        assert_eq!(verify_unsubscribe(b"other", &u), None);
        // altered ids or MAC
        assert_eq!(
            verify_unsubscribe(b"secret", &u.replacen(".42.", ".43.", 1)),
            None
        );
        let mut flipped = u.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == '0' { '1' } else { '0' });
        assert_eq!(verify_unsubscribe(b"secret", &flipped), None);
        // a bounce token, with or without the prefix, is not an unsubscribe token ...
        let b = token(b"secret", 3, 42);
        assert_eq!(verify_unsubscribe(b"secret", &b), None);
        assert_eq!(verify_unsubscribe(b"secret", &format!("unsub.{b}")), None);
        // ... and the unsubscribe MAC does not verify as a bounce token
        let bare = u.trim_start_matches(UNSUBSCRIBE_PREFIX);
        assert_eq!(verify(b"secret", bare), None);
        assert_eq!(verify(b"secret", &u), None);
    }

    #[test]
    fn forgotten_hashes_are_keyed_and_labelled() {
        let h = forgotten_hash(b"secret", "ann@x.test");
        assert_eq!(h.len(), 64);
        assert_eq!(h, forgotten_hash(b"secret", "ann@x.test"));
        assert_ne!(h, forgotten_hash(b"other", "ann@x.test"));
        assert_ne!(h, forgotten_hash(b"secret", "bob@x.test"));
        assert!(!h.contains("ann"));
        assert_eq!(hash_from_hex(&h).map(|b| hash_hex(&b)), Some(h));
        assert_eq!(hash_from_hex("ab"), None);
        assert_eq!(hash_from_hex(&"zz".repeat(32)), None);
    }
}
