//! Commits written on a thread of their own while the applier prepares the
//! next one. A rebuild's commits are written key by key (`Ahead::fill`):
//! the fill of a new store spends about a third of its time in sled's
//! inserts, which need not wait for the next batch's decoding and
//! evolving, nor that for them. A catch-up's commits to the store in use
//! are written as usual, in one atomic batch with the index updated beside
//! it (`Store::commit_ahead`), while the applier prepares the next batch.
//!
//! At most one commit is being written at a time: the next one starts
//! only once the last has been written. That is what keeps the applier's
//! reads right without reading through the write in flight: whatever the
//! commit being written holds, the applier still keeps in memory
//! (`carry.rs` lets entries go only in `age`, after the next commit has
//! started, and that start waits for this one). What reads the store
//! as a whole (the flush, the content hash, the index, a reopen) waits for
//! the write first (`settle`). A fill's write that failed fails every
//! later commit of the store, since it may have written part of its
//! commit: the rebuild is then discarded. A catch-up's failed commit wrote
//! nothing (its batch is atomic) and is reported once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use efa_runtime::stall::StallWatch;

use super::{Change, Checkpoint, StoreError, writes};

/// The commit being written, and whether its failure must fail every
/// later commit.
#[derive(Debug)]
struct InFlight {
    writing: JoinHandle<Result<(), StoreError>>,
    failure_sticks: bool,
}

#[derive(Debug, Default)]
pub(super) struct Ahead {
    in_flight: Mutex<Option<InFlight>>,
    failed: AtomicBool,
}

impl Ahead {
    /// Waits for the commit being written; an error if it failed, or if
    /// an earlier fill's write did.
    pub(super) fn settle(&self) -> Result<(), StoreError> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(InFlight {
            writing,
            failure_sticks,
        }) = in_flight
        {
            let written = writing
                .join()
                .unwrap_or_else(|_| Err(StoreError::Commit("the writing thread panicked".into())));
            if let Err(error) = written {
                if failure_sticks {
                    self.failed.store(true, Ordering::Release);
                }
                return Err(error);
            }
        }
        if self.failed.load(Ordering::Acquire) {
            return Err(StoreError::Fill("an earlier commit was not written".into()));
        }
        Ok(())
    }

    /// Starts writing `changes` and `checkpoint` into `db` key by key, in
    /// key order, once the commit before has been written.
    pub(super) fn fill(
        &self,
        db: &sled::Db,
        stalls: &StallWatch,
        checkpoint: Checkpoint,
        changes: Vec<Change>,
    ) -> Result<(), StoreError> {
        let (db, stalls) = (db.clone(), stalls.clone());
        self.start("views-fill", true, move || {
            let mut pairs = Vec::with_capacity(changes.len() + 3);
            writes(&checkpoint, &changes, |key, value| {
                pairs.push((key, value));
                Ok(())
            })?;
            drop(changes);
            // In key order, each insert finds its leaf beside the last
            // one's (7-10 % faster fills); stable, so that two writes of
            // one key keep their order.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            stalls.write(|| {
                for (key, value) in pairs {
                    match value {
                        Some(value) => db.insert(key, value)?,
                        None => db.remove(key)?,
                    };
                }
                Ok(())
            })
        })
    }

    /// Starts `write` on a thread named `name` once the commit before has
    /// been written; with `failure_sticks`, a failure of it fails every
    /// later commit.
    pub(super) fn start(
        &self,
        name: &str,
        failure_sticks: bool,
        write: impl FnOnce() -> Result<(), StoreError> + Send + 'static,
    ) -> Result<(), StoreError> {
        self.settle()?;
        let writing = std::thread::Builder::new()
            .name(name.into())
            .spawn(write)
            .map_err(|error| StoreError::Commit(format!("start the writing thread: {error}")))?;
        *self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(InFlight {
            writing,
            failure_sticks,
        });
        Ok(())
    }
}
