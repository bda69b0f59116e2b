//! Logouts that end sessions on the server. The gateway remembers, per
//! token, when it was last logged out, and refuses every session of that
//! token begun before. The memory is bounded by the token table (one
//! entry per token, dropped once its sessions would have expired anyway).
//!
//! A gateway whose session key lasts (kept in the data directory, so that
//! sessions survive a restart) keeps its logouts in a file beside it
//! ([`Logouts::kept_in`]): otherwise a restart would bring every session
//! ended by a logout back to life. Each logout replaces the file (merged
//! with what is in it, owner-only and durably, before the logout is
//! answered), and the file is read again when it changed (looked at most
//! once a second), so gateways side by side on one data directory learn
//! of each other's logouts. Two logouts in two gateways at the same instant may race for
//! the file; the one lost still holds in the gateway that served it until
//! its restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::watched_file::WatchedFile;

/// How long a web session lasts after login: 8 hours.
pub const SESSION_LIFETIME_SECONDS: u64 = 8 * 60 * 60;
const LIFETIME_MS: u64 = SESSION_LIFETIME_SECONDS * 1000;

/// Per token hash, when its sessions were last ended by a logout.
type Ended = HashMap<String, u64>;

/// The logouts of this gateway, and of others sharing its file.
#[derive(Debug, Default)]
pub struct Logouts {
    ended: Mutex<Ended>,
    file: Option<Mutex<WatchedFile>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves only timestamps behind.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every entry of `from` into `into`, the later logout where both have one.
fn merge(into: &mut Ended, from: Ended) {
    for (token, at) in from {
        let kept = into.entry(token).or_insert(at);
        *kept = (*kept).max(at);
    }
}

/// The logouts in `path`; none when there is no file yet. A file that
/// cannot be read is logged and counts as none: it is replaced whole at
/// the next logout.
fn read(path: &Path) -> Ended {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ended::new(),
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "cannot read the logouts");
            return Ended::new();
        }
    };
    serde_json::from_slice(&bytes).unwrap_or_else(|error| {
        tracing::error!(%error, path = %path.display(), "the logouts file is damaged");
        Ended::new()
    })
}

impl Logouts {
    /// Logouts kept in the file at `path` (read now if it exists).
    pub fn kept_in(path: PathBuf) -> Self {
        let file = WatchedFile::new(path);
        Self {
            ended: Mutex::new(read(file.path())),
            file: Some(Mutex::new(file)),
        }
    }

    /// Ends every session of the token with `token_hash` begun up to
    /// `now_ms`; with a file, writes it (a blocking, fsynced write).
    pub fn end(&self, token_hash: &str, now_ms: u64) {
        let mut ended = locked(&self.ended);
        let expired = |at: &u64| now_ms >= at.saturating_add(LIFETIME_MS);
        ended.retain(|_, at| !expired(at));
        ended.insert(token_hash.to_owned(), now_ms);
        let Some(file) = &self.file else { return };
        let mut file = locked(file);
        merge(&mut ended, read(file.path()));
        ended.retain(|_, at| !expired(at));
        // Owner-only, as the token table: it names tokens by their hashes.
        let written = serde_json::to_vec(&*ended)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                efa_runtime::secret_file::write(file.path(), &bytes).map_err(std::io::Error::other)
            });
        match written {
            Ok(()) => file.taken_in_now(),
            Err(error) => tracing::error!(
                %error,
                path = %file.path().display(),
                "cannot keep a logout; it holds in this gateway until it restarts"
            ),
        }
    }

    /// Whether a logout has ended the session of `token_hash` begun at
    /// `issued_ms`.
    pub fn has_ended(&self, token_hash: &str, issued_ms: u64) -> bool {
        self.refresh();
        locked(&self.ended)
            .get(token_hash)
            .is_some_and(|at| issued_ms <= *at)
    }

    /// Reads the file again if another gateway changed it.
    fn refresh(&self) {
        let Some(file) = &self.file else { return };
        // Only one request looks at the file; the others use the memory.
        let Ok(mut file) = file.try_lock() else {
            return;
        };
        let Some(stamp) = file.changed() else { return };
        file.taken_in(stamp);
        merge(&mut locked(&self.ended), read(file.path()));
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

    #[test]
    fn logouts_kept_in_a_file_outlast_the_gateway_and_reach_its_neighbour() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abmeldungen.json");
        let (mine, other) = ("ab".repeat(32), "cd".repeat(32));
        let first = Logouts::kept_in(path.clone());
        let neighbour = Logouts::kept_in(path.clone());
        first.end(&mine, 2_000);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only, as the token table");
        // A gateway started afterwards (a restart) reads it at once.
        let restarted = Logouts::kept_in(path.clone());
        assert!(restarted.has_ended(&mine, 1_000));
        assert!(!restarted.has_ended(&other, 1_000));
        // One running beside it reads it once it looks again.
        neighbour
            .file
            .as_ref()
            .unwrap()
            .lock()
            .unwrap()
            .look_next_time();
        assert!(neighbour.has_ended(&mine, 1_000));
        // The neighbour's own logout keeps the first one's in the file.
        neighbour.end(&other, 3_000);
        let again = Logouts::kept_in(path);
        assert!(again.has_ended(&mine, 1_000) && again.has_ended(&other, 3_000));
    }

    #[test]
    fn a_damaged_file_is_replaced_at_the_next_logout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abmeldungen.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let logouts = Logouts::kept_in(path.clone());
        let mine = "ab".repeat(32);
        assert!(!logouts.has_ended(&mine, 1_000));
        logouts.end(&mine, 2_000);
        assert!(Logouts::kept_in(path).has_ended(&mine, 1_000));
    }
}
