//! What the benchmarks (`benches/views.rs`, `benches/drain.rs`) drive
//! directly, without NATS: the applier on a store of their own and the
//! query reader on it, and how they read their sizes from the environment.
//! Hidden from the documentation; not an API for anything else.

use std::path::Path;
use std::sync::Arc;

use efa_proto::{Date, QueryKind, QueryReply, SealedEvent};
use tokio::sync::watch;

pub use crate::apply::ApplyError;
use crate::apply::{Applier, Keep};
/// Events per commit when the store in use catches up from the ledger,
/// and when a rebuild fills its new store.
pub use crate::gap::{COMMIT_EVENTS, REBUILD_COMMIT_EVENTS};
use crate::store::{Store, StoreError};

/// A view store in `dir` with the projector's one writer on it.
#[derive(Debug)]
pub struct Projection {
    applier: Applier,
    store: Store,
    _applied: watch::Receiver<u64>,
}

impl Projection {
    /// Opens (or creates) a store directly in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::keeping(dir, Keep::IN_USE)
    }

    /// As `open`, but the store never flushes between commits: sled's
    /// queue of log writes is left to grow (`store/drain.rs`).
    pub fn open_undrained(dir: &Path) -> Result<Self, StoreError> {
        Self::with_store(Store::open(dir)?.undrained(), Keep::IN_USE)
    }

    fn keeping(dir: &Path, keep: Keep) -> Result<Self, StoreError> {
        Self::with_store(Store::open(dir)?, keep)
    }

    fn with_store(store: Store, keep: Keep) -> Result<Self, StoreError> {
        let (tx, rx) = watch::channel(0);
        Ok(Self {
            applier: Applier::keeping(store.clone(), tx, keep)?,
            store,
            _applied: rx,
        })
    }

    /// Applies one event exactly as the running projector does.
    pub fn apply(&mut self, event: &SealedEvent) -> Result<(), ApplyError> {
        self.applier.apply(event).map(drop)
    }

    /// Applies consecutive events in one commit, as a catch-up or a
    /// rebuild does with a batch of pages: written while the caller
    /// prepares the next batch; `settle` waits for the last.
    pub fn apply_all(&mut self, events: &[SealedEvent]) -> Result<(), ApplyError> {
        self.applier.apply_all_ahead(events).map(drop)
    }

    /// Waits until every batch applied is written and indexed.
    pub fn settle(&mut self) -> Result<(), ApplyError> {
        self.applier.settle()
    }

    /// Opens a fresh store as `efa rebuild` fills one: its index is built
    /// once, by `index_all`, instead of kept at every commit.
    pub fn open_for_rebuild(dir: &Path) -> Result<Self, StoreError> {
        let projection = Self::keeping(dir, Keep::REBUILD)?;
        projection.store.defer_index();
        Ok(projection)
    }

    /// Writes what a store opened with `open_for_rebuild` deferred and
    /// builds its index, as a rebuild does before its store is swapped in.
    pub fn index_all(&mut self) -> Result<(), ApplyError> {
        self.applier.write_deferred()?;
        Ok(self.store.index_all()?)
    }

    /// The last applied sequence.
    pub fn checkpoint(&self) -> u64 {
        self.applier.checkpoint().seq
    }

    /// Answers a query as the query endpoint does, minus NATS and codec.
    pub fn answer(&self, kind: QueryKind, today: Date) -> Result<Arc<QueryReply>, StoreError> {
        crate::read::shared_answer(&self.store, kind, today)
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        self.store.flush()
    }

    pub fn content_hash(&self) -> Result<String, StoreError> {
        self.store.content_hash()
    }
}

/// A whole number from the environment variable `name` (`1_000_000` may be
/// written with underscores), or `default` where it is unset or not a
/// number.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}
