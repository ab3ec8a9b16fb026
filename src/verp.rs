//! VERP return paths with a signed token: `bounces+<recipient id>-<mac>@domain`. The MAC
//! (HMAC-SHA256 over campaign and recipient ids, 80 bits, hex) proves the bounce came back
//! to an address we made: a forged one cannot unsubscribe anyone.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Hex characters of the MAC kept in the token (80 bits).
const MAC_HEX: usize = 20;

fn mac(secret: &[u8], campaign_id: i64, recipient_id: i64) -> String {
    // An HMAC key may be of any length; new_from_slice only fails for fixed-size MACs.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(format!("rebound-verp:{campaign_id}:{recipient_id}").as_bytes());
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
    // constant-time comparison
    let same = given.len() == want.len()
        && given
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()))
            == 0;
    same.then_some((campaign, recipient))
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
}
