//! Sessions of the web pages as signed cookies, so the gateway keeps no
//! session table: the cookie `efa_sitzung` carries the SHA-256 of the API
//! token the person logged in with and the expiry (8 hours after login),
//! signed with HMAC-SHA256 under the gateway's session key. On every
//! request the hash is looked up in the token table again, so a revoked
//! token ends its sessions when the gateway reloads the table. The hash
//! grants nothing by itself: the API only accepts the token.

use super::crypto::SessionKey;

/// The name of the session cookie.
pub const COOKIE: &str = "efa_sitzung";
/// How long a session lasts after login: 8 hours.
pub const LIFETIME_SECONDS: u64 = 8 * 60 * 60;

/// What a valid session cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// SHA-256 of the token, 64 lowercase hex digits.
    pub token_hash: String,
    /// Unix seconds after which the session is over.
    pub expires: u64,
}

fn message(token_hash: &str, expires: u64) -> String {
    format!("efa-sitzung-v1|{token_hash}|{expires}")
}

/// The cookie value for a claim: `hash.expires.mac`.
pub fn encode(key: &SessionKey, claim: &Claim) -> String {
    let mac = key.sign(&message(&claim.token_hash, claim.expires));
    format!("{}.{}.{mac}", claim.token_hash, claim.expires)
}

/// The claim of a cookie value, if it is well-formed, signed with `key`
/// and not expired at `now` (unix seconds).
pub fn decode(key: &SessionKey, value: &str, now: u64) -> Option<Claim> {
    let mut parts = value.split('.');
    let (hash, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || hash.len() != 64 || !is_lower_hex(hash) {
        return None;
    }
    if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expires: u64 = expires.parse().ok()?;
    if !key.verify(&message(hash, expires), mac) || expires <= now {
        return None;
    }
    Some(Claim {
        token_hash: hash.to_owned(),
        expires,
    })
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> Claim {
        Claim {
            token_hash: "ab".repeat(32),
            expires: 1_000,
        }
    }

    #[test]
    fn a_signed_cookie_round_trips_until_it_expires() {
        let key = SessionKey::random();
        let value = encode(&key, &claim());
        assert_eq!(decode(&key, &value, 999), Some(claim()));
        assert_eq!(decode(&key, &value, 1_000), None);
        assert_eq!(decode(&SessionKey::random(), &value, 0), None);
    }

    #[test]
    fn tampered_or_malformed_cookies_are_refused() {
        let key = SessionKey::random();
        let value = encode(&key, &claim());
        let longer = value.replacen(".1000.", ".99999.", 1);
        assert_eq!(decode(&key, &longer, 0), None, "a changed expiry");
        let other_hash = format!("{}{}", "cd".repeat(32), &value[64..]);
        assert_eq!(decode(&key, &other_hash, 0), None, "a changed hash");
        for bad in [
            "",
            "...",
            "abc.1.mac",
            &format!("{value}.x"),
            &value.to_uppercase(),
            &value.replacen(".1000.", ".-1.", 1),
            &value.replacen(".1000.", "..", 1),
        ] {
            assert_eq!(decode(&key, bad, 0), None, "{bad}");
        }
    }
}
