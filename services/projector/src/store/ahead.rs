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
//!
//! The commits are written by one thread per store, started with its
//! first commit written ahead, not by a thread per commit: what sled
//! allocates for a commit is freed by a later one, and with a new thread
//! each time that memory went back through the allocator's lists for
//! other threads' frees (5 % of a rebuild's samples at 10 million
//! events). The thread ends after its last commit once the store is
//! dropped; nothing waits for it there, since a commit under way may hold
//! the store's last reference.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Mutex, PoisonError};

use efa_runtime::stall::StallWatch;

use super::{Change, Checkpoint, StoreError, writes};

/// A commit's writing, and where its outcome goes.
type Job = (
    Box<dyn FnOnce() -> Result<(), StoreError> + Send>,
    SyncSender<Result<(), StoreError>>,
);

/// The commit being written: its outcome to come, and whether its failure
/// must fail every later commit.
#[derive(Debug)]
struct InFlight {
    written: Receiver<Result<(), StoreError>>,
    failure_sticks: bool,
}

/// The store's writing thread, known by its queue of (at most one)
/// commit: dropping the queue ends the thread after the commit it writes.
#[derive(Debug)]
struct Writer(Sender<Job>);

impl Writer {
    fn spawn(name: &str) -> Result<Self, StoreError> {
        let (jobs, received) = channel::<Job>();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                for (write, outcome) in received {
                    // A write that panics fails its commit as an error
                    // would (a fill's then fails every later one); the
                    // thread goes on with the next commit, as a new thread
                    // per commit did before.
                    let written = std::panic::catch_unwind(AssertUnwindSafe(write))
                        .unwrap_or_else(|_| Err(StoreError::Commit("the write panicked".into())));
                    // The store may have stopped waiting (it failed).
                    let _ = outcome.send(written);
                }
            })
            .map_err(|error| StoreError::Commit(format!("start the writing thread: {error}")))?;
        Ok(Self(jobs))
    }
}

#[derive(Debug, Default)]
pub(super) struct Ahead {
    in_flight: Mutex<Option<InFlight>>,
    writer: Mutex<Option<Writer>>,
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
            written,
            failure_sticks,
        }) = in_flight
        {
            let written = written.recv().unwrap_or_else(|_| {
                Err(StoreError::Commit("the writing thread has stopped".into()))
            });
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

    /// Starts `write` on the store's writing thread (named `name` when
    /// this starts it) once the commit before has been written; with
    /// `failure_sticks`, a failure of it fails every later commit.
    pub(super) fn start(
        &self,
        name: &str,
        failure_sticks: bool,
        write: impl FnOnce() -> Result<(), StoreError> + Send + 'static,
    ) -> Result<(), StoreError> {
        self.settle()?;
        let (outcome, written) = sync_channel(1);
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let Writer(jobs) = match &mut *writer {
            Some(started) => started,
            none => none.insert(Writer::spawn(name)?),
        };
        let sent = jobs.send((Box::new(write), outcome));
        drop(writer);
        if sent.is_err() {
            return Err(StoreError::Commit("the writing thread has stopped".into()));
        }
        *self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(InFlight {
            written,
            failure_sticks,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread::ThreadId;

    use super::*;

    fn note_thread(
        into: &Arc<Mutex<Vec<ThreadId>>>,
    ) -> impl FnOnce() -> Result<(), StoreError> + Send + use<> {
        let into = Arc::clone(into);
        move || {
            into.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(std::thread::current().id());
            Ok(())
        }
    }

    #[test]
    fn commits_are_written_one_after_the_other_by_one_thread() {
        let ahead = Ahead::default();
        let threads = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..3 {
            ahead
                .start("test-write", false, note_thread(&threads))
                .unwrap();
        }
        ahead.settle().unwrap();
        let threads = threads.lock().unwrap().clone();
        assert_eq!(threads.len(), 3);
        assert!(threads.iter().all(|id| *id == threads[0]));
        assert_ne!(threads[0], std::thread::current().id());
    }

    #[test]
    fn a_write_that_panicked_is_reported_and_the_next_commit_is_still_written() {
        let ahead = Ahead::default();
        ahead
            .start("test-write", false, || panic!("a write that panics"))
            .unwrap();
        let Err(StoreError::Commit(reason)) = ahead.settle() else {
            panic!("the panic is reported");
        };
        assert!(reason.contains("panicked"), "{reason}");
        let threads = Arc::new(Mutex::new(Vec::new()));
        ahead
            .start("test-write", false, note_thread(&threads))
            .unwrap();
        ahead.settle().unwrap();
        assert_eq!(threads.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_failed_fill_fails_every_later_commit() {
        let ahead = Ahead::default();
        let failing = || Err(StoreError::Fill("disk full".into()));
        ahead.start("test-write", true, failing).unwrap();
        assert!(matches!(ahead.settle(), Err(StoreError::Fill(_))));
        assert!(ahead.start("test-write", true, || Ok(())).is_err());
        assert!(ahead.settle().is_err());
    }
}
