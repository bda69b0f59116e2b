//! Sessions of the web pages. The cookie `efa_sitzung`, signed through
//! axum-extra's signed cookie jar, carries a random session id, the
//! SHA-256 of the API token the person logged in with and the time of the
//! login; a session lasts 8 hours. On every request the hash is looked up
//! in the token table again, so a revoked token ends its sessions when the
//! gateway reloads the table. The hash grants nothing by itself: the API
//! only accepts the token.
//!
//! Logging out ends the session on the server too: the gateway remembers,
//! per token, when it was last logged out, and refuses every session of
//! that token begun before. The memory is bounded by the token table (one
//! entry per token, dropped once its sessions would have expired anyway).
//! Like the session key, this is memory of one gateway process: gateways
//! side by side learn only of logouts they served.

use std::collections::HashMap;
use std::sync::Mutex;

/// The name of the session cookie.
pub const COOKIE: &str = "efa_sitzung";
/// How long a session lasts after login: 8 hours.
pub const LIFETIME_SECONDS: u64 = 8 * 60 * 60;

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
            id: super::crypto::random_hex(),
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

/// Per token hash, when its sessions were last ended by a logout.
#[derive(Debug, Default)]
pub struct Logouts {
    ended: Mutex<HashMap<String, u64>>,
}

impl Logouts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        // A panic while holding the lock leaves only timestamps behind.
        self.ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends every session of `claim`'s token begun up to now.
    pub fn end(&self, claim: &Claim) {
        let now = now_ms();
        let mut ended = self.lock();
        ended.retain(|_, at| now < at.saturating_add(LIFETIME_SECONDS * 1000));
        ended.insert(claim.token_hash.clone(), now);
    }

    /// Whether a logout has ended this session.
    pub fn has_ended(&self, claim: &Claim) -> bool {
        self.lock()
            .get(&claim.token_hash)
            .is_some_and(|at| claim.issued_ms <= *at)
    }
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

    #[test]
    fn a_logout_ends_the_sessions_of_its_token_begun_before_it() {
        let logouts = Logouts::default();
        let before = Claim::new("ab".repeat(32));
        let other = Claim::new("cd".repeat(32));
        assert!(!logouts.has_ended(&before));
        logouts.end(&before);
        assert!(logouts.has_ended(&before));
        assert!(!logouts.has_ended(&other), "another token's session");
        let later = Claim {
            issued_ms: now_ms() + 1,
            ..before.clone()
        };
        assert!(!logouts.has_ended(&later), "a login after the logout");
    }
}
