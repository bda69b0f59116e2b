//! The head witness: the ledger's latest signed checkpoint in a small text
//! file beside the store (`ledger-head.txt` in the data dir), outside
//! sled. sled 0.34 recovers a damaged log by going back to the last state
//! it can read, without an error: a store that lost its newest records
//! (a flipped byte, a truncated file, an older copy put back) opens as a
//! shorter log whose chain is whole. Only something kept apart from the
//! store can tell.
//!
//! The witness is written after a commit is durable and at most once a
//! second (a new file renamed over the old one, so a reader sees the old
//! or the new, never half of one); it is not fsynced, so after a crash it
//! names this checkpoint or an earlier one. Either way the store holds the
//! event it names. A store that does not hold it has lost acknowledged
//! events: the ledger refuses to open it, since it would hand out their
//! sequence numbers again, and `efa verify` reports it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use efa_proto::SignedCheckpoint;

/// The witness's file name in the data dir.
pub const FILE: &str = "ledger-head.txt";

/// How often at most the witness is written.
const EVERY: Duration = Duration::from_secs(1);

/// Writes the witness of a store, at most once every [`EVERY`], and the
/// last checkpoint noted when the store closes.
#[derive(Debug)]
pub struct Witness {
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
    /// The witness of the store in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(FILE),
            state: Mutex::default(),
        }
    }

    /// Notes a durable checkpoint: written now unless the witness was
    /// written less than a second ago, else kept for the next note or
    /// [`Witness::close`]. A failed write is logged and changes nothing
    /// else: the witness only ever trails the store.
    pub fn note(&self, checkpoint: &SignedCheckpoint) {
        let mut state = super::lock(&self.state);
        if state.written.is_some_and(|at| at.elapsed() < EVERY) {
            state.pending = Some(checkpoint.clone());
            return;
        }
        state.written = Some(Instant::now());
        state.pending = None;
        self.write_or_warn(checkpoint);
    }

    /// Writes the last checkpoint noted, if it is not written yet.
    pub fn close(&self) {
        let pending = super::lock(&self.state).pending.take();
        if let Some(checkpoint) = pending {
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
        std::fs::write(&fresh, format!("{}\n", line(checkpoint)))?;
        std::fs::rename(&fresh, &self.path)
    }
}

/// `checkpoint <seq> <hex hash> <key-id> <hex signature>`, as in the
/// history export.
fn line(checkpoint: &SignedCheckpoint) -> String {
    efa_trust::checkpoint_line(checkpoint)
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
