//! Opening a store whose file lock is still held for a moment. sled takes
//! an exclusive lock on its file when it opens and lets go only once the
//! last handle inside the process is dropped, which its background
//! flusher thread may still hold for a few milliseconds after the owner
//! dropped its own. A store opened again right after it was closed (a
//! rebuild's swap, a restart within the process, a test) would otherwise
//! fail at random under load. The lock is told from other errors by
//! sled's message, so that this module need not name sled.

use std::fmt::Display;
use std::time::Duration;

/// Attempts, and the pause between them: two seconds in all.
pub const OPEN_ATTEMPTS: u32 = 100;
pub const OPEN_RETRY_AFTER: Duration = Duration::from_millis(20);

/// What sled's error says when another handle holds the file lock.
const LOCK_HELD: &str = "could not acquire lock";

/// Why `open_when_unlocked` gave up.
#[derive(Debug, PartialEq, Eq)]
pub enum Unopened<E> {
    /// Another handle still held the file lock at the last attempt: after
    /// two seconds, another process holds the store open.
    LockHeld,
    /// Any other error, returned at once.
    Failed(E),
}

/// Runs `open` until it succeeds, fails with an error other than a held
/// lock, or has been tried `OPEN_ATTEMPTS` times.
pub fn open_when_unlocked<T, E: Display>(
    mut open: impl FnMut() -> Result<T, E>,
) -> Result<T, Unopened<E>> {
    let mut attempts = 1;
    loop {
        match open() {
            Ok(opened) => return Ok(opened),
            Err(error) if !lock_held(&error) => return Err(Unopened::Failed(error)),
            Err(_) if attempts == OPEN_ATTEMPTS => return Err(Unopened::LockHeld),
            Err(_) => {
                attempts += 1;
                std::thread::sleep(OPEN_RETRY_AFTER);
            }
        }
    }
}

/// Whether `error` is sled's refusal to open a store whose file lock
/// another handle holds.
fn lock_held(error: &impl Display) -> bool {
    error.to_string().contains(LOCK_HELD)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: &str = "IO error: could not acquire lock on \"db\"";

    /// Opens with `open_when_unlocked` where the `n`th attempt answers
    /// `answer(n)`; gives the result and the number of attempts.
    fn opening(
        answer: impl Fn(u32) -> Result<u32, &'static str>,
    ) -> (Result<u32, Unopened<&'static str>>, u32) {
        let mut tries = 0;
        let opened = open_when_unlocked(|| {
            tries += 1;
            answer(tries)
        });
        (opened, tries)
    }

    #[test]
    fn a_held_lock_is_tried_again_until_it_is_free() {
        let answer = |n| if n < 3 { Err(HELD) } else { Ok(n) };
        assert_eq!(opening(answer), (Ok(3), 3));
    }

    #[test]
    fn another_error_is_returned_at_once() {
        assert_eq!(
            opening(|_| Err("broken")),
            (Err(Unopened::Failed("broken")), 1)
        );
    }

    #[test]
    fn a_lock_held_for_good_gives_up_after_the_last_attempt() {
        assert_eq!(
            opening(|_| Err(HELD)),
            (Err(Unopened::LockHeld), OPEN_ATTEMPTS)
        );
    }
}
