//! A rebuild's commits written on a thread of their own, while the applier
//! prepares the next one: the fill of a new store spends about a third of
//! its time in sled's inserts (`writes`, key by key), which need not wait
//! for the next batch's decoding and evolving, nor that for them.
//!
//! At most one commit is being written at a time: the next one starts
//! only once the last has been written. That is what keeps the applier's
//! reads right without reading through the write in flight: whatever the
//! commit being written holds, the applier still keeps in memory
//! (`carry.rs` lets entries go only in `age`, after the next commit has
//! started, and that start waits for this one). What reads the store
//! once it is filled (the flush, the content hash, the index, a reopen)
//! waits for the write first (`settle`). A write that failed fails every
//! later commit of the store: the rebuild is then discarded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use efa_runtime::stall::StallWatch;

use super::{Change, Checkpoint, StoreError, writes};

#[derive(Debug, Default)]
pub(super) struct Filling {
    in_flight: Mutex<Option<JoinHandle<Result<(), StoreError>>>>,
    failed: AtomicBool,
}

impl Filling {
    /// Waits for the commit being written; an error if it or any earlier
    /// one failed.
    pub(super) fn settle(&self) -> Result<(), StoreError> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let written = match in_flight.map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(error),
            Some(Err(_)) => Err(StoreError::Fill("the writing thread panicked".into())),
        };
        if let Err(error) = written {
            self.failed.store(true, Ordering::Release);
            return Err(error);
        }
        if self.failed.load(Ordering::Acquire) {
            return Err(StoreError::Fill("an earlier commit was not written".into()));
        }
        Ok(())
    }

    /// Starts writing `changes` and `checkpoint` into `db` key by key, in
    /// key order, once the commit before has been written.
    pub(super) fn start(
        &self,
        db: &sled::Db,
        stalls: &StallWatch,
        checkpoint: Checkpoint,
        changes: Vec<Change>,
    ) -> Result<(), StoreError> {
        self.settle()?;
        let db = db.clone();
        let stalls = stalls.clone();
        let writing = std::thread::Builder::new()
            .name("views-fill".into())
            .spawn(move || {
                let mut pairs = Vec::with_capacity(changes.len() + 3);
                writes(&checkpoint, &changes, |key, value| {
                    pairs.push((key, value));
                    Ok(())
                })?;
                drop(changes);
                // In key order, each insert finds its leaf beside the last
                // one's (7-10 % faster fills); stable, so that two writes
                // of one key keep their order.
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
            .map_err(|error| StoreError::Fill(format!("start the writing thread: {error}")))?;
        *self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(writing);
        Ok(())
    }
}
