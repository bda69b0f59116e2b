//! Opening a store whose file lock is still held for a moment. sled takes
//! an exclusive lock on its file when it opens and lets go only once the
//! last handle inside the process is dropped, which its background
//! flusher thread may still hold for a few milliseconds after the owner
//! dropped its own. A store opened again right after it was closed (a
//! rebuild's swap, a restart within the process, a test) would otherwise
//! fail at random under load. Each store passes how to tell that error
//! from others, since only its storage module names sled.

use std::time::Duration;

/// Attempts, and the pause between them: two seconds in all.
pub const OPEN_ATTEMPTS: u32 = 100;
pub const OPEN_RETRY_AFTER: Duration = Duration::from_millis(20);

/// Runs `open` until it succeeds, fails with an error that `locked` does
/// not take for a held lock, or has been tried `OPEN_ATTEMPTS` times; the
/// error is the last attempt's.
pub fn open_when_unlocked<T, E>(
    locked: impl Fn(&E) -> bool,
    mut open: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut attempts = 1;
    loop {
        match open() {
            Err(error) if attempts < OPEN_ATTEMPTS && locked(&error) => {
                attempts += 1;
                std::thread::sleep(OPEN_RETRY_AFTER);
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_tried_again_until_it_is_free() {
        let mut tries = 0;
        let opened = open_when_unlocked(
            |error: &&str| *error == "locked",
            || {
                tries += 1;
                if tries < 3 { Err("locked") } else { Ok(tries) }
            },
        );
        assert_eq!(opened, Ok(3));
    }

    #[test]
    fn another_error_is_returned_at_once() {
        let mut tries = 0;
        let opened: Result<(), &str> = open_when_unlocked(
            |error: &&str| *error == "locked",
            || {
                tries += 1;
                Err("broken")
            },
        );
        assert_eq!((opened, tries), (Err("broken"), 1));
    }

    #[test]
    fn a_lock_held_for_good_gives_up_after_the_last_attempt() {
        let mut tries = 0;
        let opened: Result<(), &str> = open_when_unlocked(
            |error: &&str| *error == "locked",
            || {
                tries += 1;
                Err("locked")
            },
        );
        assert_eq!((opened, tries), (Err("locked"), OPEN_ATTEMPTS));
    }
}
