//! The head witness: the ledger's latest signed checkpoint in a small text
//! file beside the store (`ledger-head.txt` in the data dir), outside
//! sled. sled 0.34 recovers a damaged log by going back to the last state
//! it can read, without an error: a store that lost its newest records
//! (a flipped byte, a truncated file, an older copy put back) opens as a
//! shorter log whose chain is whole. Only something kept apart from the
//! store can tell.
//!
//! The witness is written when the writer opens the store (from the
//! store's own signed checkpoint of its head), after a commit is
//! durable, at most once a second and at least a second after the last
//! commit (a new file renamed
//! over the old one, so a reader sees the old or the new, never half of
//! one); it is not fsynced, so after a crash it names this checkpoint or
//! an earlier one. Either way the store holds the
//! event it names. A store that does not hold it has lost acknowledged
//! events: the ledger refuses to open it, since it would hand out their
//! sequence numbers again, and `efa verify` reports it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use efa_proto::SignedCheckpoint;

/// The witness's file name in the data dir.
pub const FILE: &str = "ledger-head.txt";

/// How often at most the witness is written.
const EVERY: Duration = Duration::from_secs(1);

/// Writes the witness of a store: at once when it was not written in the
/// last second, else from a thread of its own within the next second,
/// and the last checkpoint noted when the store closes.
#[derive(Debug)]
pub struct Witness {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    written: Option<Instant>,
    /// A checkpoint noted but not yet written.
    pending: Option<SignedCheckpoint>,
}

impl Witness {
    /// The witness of the store in `data_dir`, with the thread that
    /// writes a noted checkpoint within a second; the thread ends within
    /// a second of the witness.
    pub fn in_dir(data_dir: &Path) -> Self {
        let inner = Arc::new(Inner {
            path: data_dir.join(FILE),
            state: Mutex::default(),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        let spawned = std::thread::Builder::new()
            .name("ledger-witness".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(EVERY);
                    let Some(inner) = weak.upgrade() else { break };
                    inner.write_pending(false);
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread for the head witness; it is written with commits only");
        }
        Self { inner }
    }

    /// Notes a durable checkpoint: written now unless the witness was
    /// written less than a second ago, else kept for the witness's thread
    /// or [`Witness::close`]. A failed write is logged and changes nothing
    /// else: the witness only ever trails the store.
    pub fn note(&self, checkpoint: &SignedCheckpoint) {
        let mut state = super::lock(&self.inner.state);
        if state.written.is_some_and(|at| at.elapsed() < EVERY) {
            state.pending = Some(checkpoint.clone());
            return;
        }
        state.written = Some(Instant::now());
        state.pending = None;
        self.inner.write_or_warn(checkpoint);
    }

    /// Writes the last checkpoint noted, if it is not written yet.
    pub fn close(&self) {
        self.inner.write_pending(true);
    }
}

impl Inner {
    /// Writes the pending checkpoint, if any, once a second has passed
    /// since the last write or when `now`. The lock is held while
    /// writing, so an older checkpoint never replaces a newer one.
    fn write_pending(&self, now: bool) {
        let mut state = super::lock(&self.state);
        let due = now || state.written.is_none_or(|at| at.elapsed() >= EVERY);
        if !due {
            return;
        }
        if let Some(checkpoint) = state.pending.take() {
            state.written = Some(Instant::now());
            self.write_or_warn(&checkpoint);
        }
    }

    fn write_or_warn(&self, checkpoint: &SignedCheckpoint) {
        match self.write(checkpoint) {
            Ok(()) => {}
            // The data dir is gone (a test's, removed before its store).
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(%error, file = %self.path.display(), "no dir for the head witness");
            }
            Err(error) => {
                tracing::warn!(%error, file = %self.path.display(), "could not write the head witness");
            }
        }
    }

    fn write(&self, checkpoint: &SignedCheckpoint) -> std::io::Result<()> {
        let fresh = self.path.with_extension("txt.new");
        std::fs::write(
            &fresh,
            format!("{}\n", efa_trust::checkpoint_line(checkpoint)),
        )?;
        std::fs::rename(&fresh, &self.path)
    }
}

/// What the data dir's witness says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Witnessed {
    /// No witness (a store written before it existed, or a fresh one).
    None,
    /// A file that does not hold a checkpoint line (cut short by a crash
    /// on a file system that does not keep a rename's data in order).
    Unreadable,
    Checkpoint(SignedCheckpoint),
}

/// Reads the witness of the store in `data_dir`.
pub fn read(data_dir: &Path) -> Witnessed {
    match std::fs::read_to_string(data_dir.join(FILE)) {
        Err(_) => Witnessed::None,
        Ok(text) => match efa_trust::parse_checkpoint_line(text.trim_end()) {
            Some(checkpoint) => Witnessed::Checkpoint(checkpoint),
            None => Witnessed::Unreadable,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn checkpoint(seq: u64) -> SignedCheckpoint {
        SignedCheckpoint {
            seq,
            hash: [u8::try_from(seq).unwrap(); 32],
            key_id: "ledger".to_owned(),
            signature: vec![7; 64],
        }
    }

    /// The first checkpoint is written at once; of those noted within the
    /// next second, the last is written by the witness's thread, without
    /// a further commit or a close.
    #[test]
    fn the_last_checkpoint_noted_is_written_within_a_second_or_so() {
        let dir = tempfile::tempdir().unwrap();
        let witness = Witness::in_dir(dir.path());
        witness.note(&checkpoint(1));
        assert_eq!(read(dir.path()), Witnessed::Checkpoint(checkpoint(1)));
        witness.note(&checkpoint(2));
        witness.note(&checkpoint(3));
        assert_eq!(read(dir.path()), Witnessed::Checkpoint(checkpoint(1)));
        // Bounded: the thread wakes every second; a loaded machine may
        // take longer, never forever.
        let deadline = Instant::now() + Duration::from_secs(20);
        while read(dir.path()) != Witnessed::Checkpoint(checkpoint(3)) {
            assert!(Instant::now() < deadline, "checkpoint 3 never written");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::write(dir.path().join(FILE), "checkpoint kaputt\n").unwrap();
        assert_eq!(read(dir.path()), Witnessed::Unreadable);
        witness.note(&checkpoint(4));
        witness.close();
        assert_eq!(read(dir.path()), Witnessed::Checkpoint(checkpoint(4)));
    }
}
