//! Logouts that end sessions on the server. The gateway remembers, per
//! token, when it was last logged out, and refuses every session of that
//! token begun before. The memory is bounded by the token table (one
//! entry per token, dropped once its sessions would have expired anyway).
//! Like the session key, this is memory of one gateway process: gateways
//! side by side learn only of logouts they served.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long a web session lasts after login: 8 hours.
pub const SESSION_LIFETIME_SECONDS: u64 = 8 * 60 * 60;
const LIFETIME_MS: u64 = SESSION_LIFETIME_SECONDS * 1000;

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

    /// Ends every session of the token with `token_hash` begun up to
    /// `now_ms`.
    pub fn end(&self, token_hash: &str, now_ms: u64) {
        let mut ended = self.lock();
        ended.retain(|_, at| now_ms < at.saturating_add(LIFETIME_MS));
        ended.insert(token_hash.to_owned(), now_ms);
    }

    /// Whether a logout has ended the session of `token_hash` begun at
    /// `issued_ms`.
    pub fn has_ended(&self, token_hash: &str, issued_ms: u64) -> bool {
        self.lock()
            .get(token_hash)
            .is_some_and(|at| issued_ms <= *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logout_ends_the_sessions_of_its_token_begun_before_it() {
        let logouts = Logouts::default();
        let (mine, other) = ("ab".repeat(32), "cd".repeat(32));
        assert!(!logouts.has_ended(&mine, 1_000));
        logouts.end(&mine, 2_000);
        assert!(logouts.has_ended(&mine, 1_000));
        assert!(logouts.has_ended(&mine, 2_000));
        assert!(!logouts.has_ended(&other, 1_000), "another token's session");
        assert!(!logouts.has_ended(&mine, 2_001), "a login after the logout");
        logouts.end(&other, 2_000 + LIFETIME_MS);
        assert!(!logouts.has_ended(&mine, 1_000), "forgotten once expired");
    }
}
