//! Sessions of the web pages. The cookie `efa_sitzung`, signed through
//! axum-extra's signed cookie jar, carries a random session id, the
//! SHA-256 of the API token the person logged in with and the time of the
//! login; a session lasts 8 hours. On every request the hash is looked up
//! in the token table again, so a revoked token ends its sessions when the
//! gateway reloads the table. The hash grants nothing by itself: the API
//! only accepts the token.
//!
//! Logging out ends the session on the server too (`crate::logouts`).

/// The name of the session cookie.
pub const COOKIE: &str = "efa_sitzung";
pub use crate::logouts::SESSION_LIFETIME_SECONDS as LIFETIME_SECONDS;

/// What a session cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Random, 32 hex digits: what the forms' CSRF tokens are bound to.
    pub id: String,
    /// SHA-256 of the token, 64 lowercase hex digits.
    pub token_hash: String,
    /// Unix milliseconds of the login.
    pub issued_ms: u64,
}

impl Claim {
    /// A new session for the token with this hash, begun now.
    pub fn new(token_hash: String) -> Self {
        Self {
            id: crate::crypto::random_hex(),
            token_hash,
            issued_ms: now_ms(),
        }
    }

    /// The cookie's value (signed by the jar): `id.hash.issued`.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.id, self.token_hash, self.issued_ms)
    }

    /// The claim of a (verified) cookie value, if well-formed and not
    /// expired at `now_ms`.
    pub fn decode(value: &str, now_ms: u64) -> Option<Self> {
        let mut parts = value.split('.');
        let (id, hash, issued) = (parts.next()?, parts.next()?, parts.next()?);
        let well_formed = parts.next().is_none()
            && id.len() == 32
            && hash.len() == 64
            && is_lower_hex(id)
            && is_lower_hex(hash)
            && !issued.is_empty()
            && issued.bytes().all(|b| b.is_ascii_digit());
        let issued_ms: u64 = issued.parse().ok().filter(|_| well_formed)?;
        (now_ms < issued_ms.saturating_add(LIFETIME_SECONDS * 1000)).then(|| Self {
            id: id.to_owned(),
            token_hash: hash.to_owned(),
            issued_ms,
        })
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> Claim {
        Claim {
            id: "0f".repeat(16),
            token_hash: "ab".repeat(32),
            issued_ms: 1_000,
        }
    }

    #[test]
    fn a_claim_round_trips_until_it_expires() {
        let value = claim().encode();
        let end = 1_000 + LIFETIME_SECONDS * 1000;
        assert_eq!(Claim::decode(&value, end - 1), Some(claim()));
        assert_eq!(Claim::decode(&value, end), None);
    }

    #[test]
    fn malformed_claims_are_refused() {
        let value = claim().encode();
        for bad in [
            "",
            "...",
            "abc.def.1",
            &format!("{value}.x"),
            &value.to_uppercase(),
            &value.replacen(".1000", ".-1", 1),
            &value.replacen(".1000", ".", 1),
        ] {
            assert_eq!(Claim::decode(bad, 0), None, "{bad}");
        }
    }
}
