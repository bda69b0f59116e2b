//! Rebuilding the views while the projector runs (`efa rebuild`). A new
//! store version is filled from ledger sequence 1 through the ledger's read
//! API while the old store keeps answering queries and taking new events.
//! When it is close behind, it is flushed and its content hash taken (it
//! is not written meanwhile), and it catches up again. Then applying
//! pauses for a moment (the rebuild holds the applier): the new store
//! catches up to the old checkpoint from the ledger, the pointer file
//! switches to the new version, the applier and the queries swap to the
//! new store, and applying resumes. The old directory is removed once no
//! query reads it.
//!
//! One rebuild at a time: a second request is rejected while one runs. A
//! failed or interrupted rebuild removes its new directory and leaves the
//! old version in use. While an empty store is filled and while a
//! replaced store is read to compare it, freed memory goes back to the
//! system at once (`efa_alloc::freed_pages_back_at_once`), which lowers
//! their peak and slows reads meanwhile; not while a rebuild fills, where
//! it made the rebuild 10-34 s slower at 10 million events
//! (BENCHMARKS.md).
//!
//! The same fill serves a projector whose store is still empty and far
//! behind the ledger (a new replica, the first start on a generated or
//! restored ledger): instead of catching up in atomic commits with the
//! index kept at each, it fills a new version as a rebuild does, to the
//! ledger's head, and puts it in place of the empty store
//! (`fill_empty`). While such a fill runs, every query is refused as
//! unavailable rather than answered from the empty views; from the start
//! of a projector with an empty store until the ledger has told it its
//! head (`settled`), a query waits, bounded, to learn which it is
//! (`ViewsState`, read by `queries.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use efa_proto::{RebuildProgress, RebuildReply, RebuildRequest, Rejection, subjects};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::apply::{Applier, ApplyError, Checked, Keep, SharedApplier};
use crate::gap::{GapError, Ledger, REBUILD_COMMIT_EVENTS};
use crate::handle::StoreHandle;
use crate::progress::{self, Progress};
use crate::store::{Store, StoreError};
use crate::versions::{VersionError, Versions};

/// Applying pauses once the new store is at most this far behind.
const PAUSE_BEHIND_MAX: u64 = 1000;
/// Catch-up rounds before the pause, however far behind the new store is.
const ROUNDS_MAX: u32 = 20;
/// How long queries still reading the old store are waited for before its
/// directory is left to the next start to remove.
const OLD_READERS_WAIT: Duration = Duration::from_secs(30);
const OLD_READERS_POLL: Duration = Duration::from_millis(20);

#[derive(Debug, thiserror::Error)]
enum RebuildError {
    #[error(transparent)]
    Gap(#[from] GapError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Versions(#[from] VersionError),
    #[error("the projector is shutting down")]
    Cancelled,
    #[error("a blocking task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the views in use are no longer empty")]
    NoLongerEmpty,
}

impl RebuildError {
    fn rejection(&self) -> Rejection {
        let reason = match self {
            Self::Cancelled | Self::Gap(GapError::Cancelled) => {
                "Der Projektor wird beendet; die Neuberechnung wurde abgebrochen.".to_owned()
            }
            other => format!("Neuberechnung fehlgeschlagen: {other}"),
        };
        Rejection::Unavailable { reason }
    }
}

/// The new store's content hash and the sequence it stood at then.
struct Hashed {
    seq: u64,
    content_hash: String,
}

/// What a finished rebuild reports.
struct Swapped {
    version: u64,
    hashed: Hashed,
    /// The sequence at which the stores were swapped.
    swapped_at: u64,
    /// The store replaced, still open while queries read it.
    old: Arc<Store>,
}

/// Answers rebuild requests; one per projector.
#[derive(Debug)]
pub struct Rebuilder {
    versions: Versions,
    handle: Arc<StoreHandle>,
    applier: SharedApplier,
    applied: watch::Receiver<u64>,
    ledger: Ledger,
    running: AtomicBool,
    /// Whether the store in use answers queries.
    state: watch::Sender<ViewsState>,
    shutdown: CancellationToken,
}

/// Whether the store in use answers queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewsState {
    /// Empty at the projector's start, before the ledger has told it its
    /// head: whether it is filled is not known yet, so a query waits
    /// (bounded) rather than take the empty views for the registry's.
    Settling,
    /// An empty store being filled from the ledger (`fill_empty`): its
    /// views are not the registry's, so every query is refused at once.
    Filling,
    Serving,
}

/// Ends the "filling" state however the fill ends.
struct FillingGuard<'a>(&'a watch::Sender<ViewsState>);

impl Drop for FillingGuard<'_> {
    fn drop(&mut self) {
        self.0.send_replace(ViewsState::Serving);
    }
}

/// Clears the "running" flag however the rebuild ends.
struct RunningGuard<'a>(&'a AtomicBool);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Rebuilder {
    pub fn new(
        versions: Versions,
        handle: Arc<StoreHandle>,
        applier: SharedApplier,
        applied: watch::Receiver<u64>,
        ledger: Ledger,
        empty_at_start: bool,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            versions,
            handle,
            applier,
            applied,
            ledger,
            running: AtomicBool::new(false),
            state: watch::Sender::new(if empty_at_start {
                ViewsState::Settling
            } else {
                ViewsState::Serving
            }),
            shutdown,
        }
    }

    /// The projector has learnt whether its empty store is filled (or that
    /// the ledger cannot tell it in time): queries are no longer refused
    /// for an empty store that no fill will replace.
    pub fn settled(&self) {
        self.state.send_if_modified(|state| {
            let settling = *state == ViewsState::Settling;
            if settling {
                *state = ViewsState::Serving;
            }
            settling
        });
    }

    /// Whether the store in use answers queries, for the queries to wait
    /// or be refused while it does not.
    pub fn state(&self) -> watch::Receiver<ViewsState> {
        self.state.subscribe()
    }

    /// Decodes a rebuild request, runs the rebuild and encodes the answer.
    pub async fn answer(&self, payload: Bytes) -> Vec<u8> {
        let reply = match efa_proto::decode::<RebuildRequest>(&payload) {
            Ok(RebuildRequest {}) => self.reply().await,
            Err(error) => RebuildReply::Rejected(Rejection::from(error)),
        };
        efa_proto::encode(&reply)
    }

    async fn reply(&self) -> RebuildReply {
        let from = self.handle.version();
        if self.running.swap(true, Ordering::AcqRel) {
            return RebuildReply::Rejected(Rejection::Unavailable {
                reason: format!(
                    "Eine Neuberechnung der Ansichten läuft bereits (ausgehend von Version {from})."
                ),
            });
        }
        let _running = RunningGuard(&self.running);
        let version = from + 1;
        tracing::info!(from, version, "rebuilding the views from the ledger");
        match self.rebuild(version).await {
            Ok(swapped) => {
                let reply = RebuildReply::Done {
                    version: swapped.version,
                    seq: swapped.hashed.seq,
                    content_hash: swapped.hashed.content_hash.clone(),
                };
                // The new views are in use: the caller is told now. Comparing
                // the old store with them and removing it reads the whole old
                // store (minutes at the size of Germany) and goes on alone.
                tokio::spawn(retire(self.versions.clone(), from, swapped));
                reply
            }
            Err(error) => {
                tracing::error!(%error, version, "rebuild failed; the old views stay in use");
                self.discard(version).await;
                RebuildReply::Rejected(error.rejection())
            }
        }
    }

    async fn rebuild(&self, version: u64) -> Result<Swapped, RebuildError> {
        let fresh = self.open_fresh(version).await?;
        let mut progress = Progress::new(0);
        let fresh = self.catch_up(fresh, version, &mut progress).await?;
        let (store, hashed) = hash_and_index(finish(fresh).await?).await?;
        let fresh = filling(reopen(store).await?)?;
        let fresh = self.catch_up(fresh, version, &mut progress).await?;
        self.swap(fresh, version, hashed).await
    }

    /// Fills a new store version through the ledger's `head` and puts it
    /// in place of the store in use, which must still be empty (the
    /// consumer calls this before it applies anything). Whether the filled
    /// views are in use: `false`, having done nothing, while a rebuild
    /// runs; `false` after a failed or interrupted fill (logged here),
    /// which removes its directory and leaves the empty store in use.
    pub async fn fill_empty(&self, head: u64) -> bool {
        if self.running.swap(true, Ordering::AcqRel) {
            return false;
        }
        let _running = RunningGuard(&self.running);
        self.state.send_replace(ViewsState::Filling);
        let _filling = FillingGuard(&self.state);
        let version = self.handle.version() + 1;
        tracing::info!(version, head, "filling the empty views from the ledger");
        let filled = {
            let _pages = efa_alloc::freed_pages_back_at_once();
            self.fill_new(version, head).await
        };
        if let Err(error) = &filled {
            if matches!(
                error,
                RebuildError::Cancelled | RebuildError::Gap(GapError::Cancelled)
            ) {
                tracing::info!(version, "filling the empty views stopped by the shutdown");
            } else {
                tracing::warn!(%error, version, "could not fill the empty views in one go");
            }
            self.discard(version).await;
        }
        filled.is_ok()
    }

    async fn fill_new(&self, version: u64, head: u64) -> Result<(), RebuildError> {
        let fresh = self.open_fresh(version).await?;
        let mut progress = Progress::new(0);
        let store = finish(self.fill(fresh, head, version, &mut progress).await?).await?;
        let store = tokio::task::spawn_blocking(move || {
            let store = store.reopen_to_index()?;
            store.index_all()?;
            Ok::<_, StoreError>(store)
        })
        .await??;
        self.take_in_use(reopen(store).await?, version).await
    }

    /// A new, empty store version with its index deferred, and an applier
    /// of its own for it.
    async fn open_fresh(&self, version: u64) -> Result<Applier, RebuildError> {
        let versions = self.versions.clone();
        let store = tokio::task::spawn_blocking(move || {
            versions.remove(version)?;
            let dir = versions.dir(version);
            Ok::<_, VersionError>(Store::open(&dir)?)
        })
        .await??;
        store.defer_index();
        filling(store)
    }

    /// Fills `fresh` from the ledger, without pausing anything, until it
    /// is close behind the store in use.
    async fn catch_up(
        &self,
        mut fresh: Applier,
        version: u64,
        progress: &mut Progress,
    ) -> Result<Applier, RebuildError> {
        for _ in 0..ROUNDS_MAX {
            let target = *self.applied.borrow();
            fresh = self.fill(fresh, target, version, progress).await?;
            let behind = self.applied.borrow().saturating_sub(fresh.checkpoint().seq);
            if behind <= PAUSE_BEHIND_MAX {
                break;
            }
        }
        Ok(fresh)
    }

    /// Applies the ledger's events after `fresh`'s checkpoint through
    /// `through`, a page at a time, reporting its progress every few
    /// seconds. Each page moves the checkpoint on by at least one event or
    /// fails, so the loop ends.
    async fn fill(
        &self,
        mut fresh: Applier,
        through: u64,
        version: u64,
        progress: &mut Progress,
    ) -> Result<Applier, RebuildError> {
        let from_seq = fresh.checkpoint().seq + 1;
        let mut batches =
            self.ledger
                .read_ahead(from_seq, through, REBUILD_COMMIT_EVENTS, &self.shutdown);
        while let Some(batch) = batches.next().await {
            if self.shutdown.is_cancelled() {
                return Err(RebuildError::Cancelled);
            }
            fresh = apply_batch(fresh, batch?).await?;
            if let Some(line) = progress.due(fresh.checkpoint().seq, through) {
                line.log("filling views from the ledger");
                self.publish_progress(version, line).await;
            }
        }
        Ok(fresh)
    }

    /// Tells whoever listens how far the rebuild has come; a progress
    /// line that cannot be sent is only logged.
    async fn publish_progress(&self, version: u64, line: progress::Line) {
        let message = RebuildProgress {
            version,
            applied: line.applied,
            target: line.target,
            events_per_second: line.per_second.round() as u64,
            seconds_left: line.left.as_secs(),
        };
        if let Err(error) = self
            .ledger
            .client()
            .publish(
                subjects::PROJECTOR_REBUILD_PROGRESS,
                efa_proto::encode(&message).into(),
            )
            .await
        {
            tracing::debug!(%error, "could not publish the rebuild's progress");
        }
    }

    /// Pauses applying, brings `fresh` to the checkpoint of the store in
    /// use, switches the pointer and swaps the stores; applying resumes
    /// when the applier's lock is released at the end.
    async fn swap(
        &self,
        fresh: Applier,
        version: u64,
        hashed: Hashed,
    ) -> Result<Swapped, RebuildError> {
        let mut applier = tokio::select! {
            _ = self.shutdown.cancelled() => return Err(RebuildError::Cancelled),
            applier = self.applier.lock() => applier,
        };
        let paused = Instant::now();
        let target = applier.checkpoint();
        let mut progress = Progress::new(fresh.checkpoint().seq);
        let store = finish(self.fill(fresh, target.seq, version, &mut progress).await?).await?;
        applier.check_replacement(&store)?;
        let old = self.put_in_use(&mut applier, store, version).await?;
        drop(applier);
        let paused_ms = paused.elapsed().as_millis() as u64;
        tracing::info!(version, seq = target.seq, paused_ms, "rebuilt views in use");
        Ok(Swapped {
            version,
            hashed,
            swapped_at: target.seq,
            old,
        })
    }

    /// Puts `store` in place of the empty store in use, whose directory
    /// is removed once no query reads it.
    async fn take_in_use(&self, store: Store, version: u64) -> Result<(), RebuildError> {
        let mut applier = tokio::select! {
            _ = self.shutdown.cancelled() => return Err(RebuildError::Cancelled),
            applier = self.applier.lock() => applier,
        };
        if applier.checkpoint().seq != 0 {
            return Err(RebuildError::NoLongerEmpty);
        }
        let previous = self.handle.version();
        let old = self.put_in_use(&mut applier, store, version).await?;
        let seq = applier.checkpoint().seq;
        drop(applier);
        tracing::info!(version, seq, "views filled from the ledger in use");
        tokio::spawn(remove_unread(self.versions.clone(), previous, old, None));
        Ok(())
    }

    /// Makes `store` the version in use: flushed, the pointer switched to
    /// `version`, then the queries and `applier` (whose lock the caller
    /// holds) on it. Returns the store replaced, still open while queries
    /// read it.
    async fn put_in_use(
        &self,
        applier: &mut Applier,
        store: Store,
        version: u64,
    ) -> Result<Arc<Store>, RebuildError> {
        let (versions, previous) = (self.versions.clone(), self.handle.version());
        let store = tokio::task::spawn_blocking(move || {
            store.flush()?;
            if let Err(error) = versions.set_current(version) {
                // The rename may have happened; name the old version again.
                let _ = versions.set_current(previous);
                return Err(error.into());
            }
            Ok::<_, RebuildError>(store)
        })
        .await??;
        let old = self.handle.replace(version, store.clone());
        drop(applier.take_over(store)?);
        Ok(old)
    }

    /// Removes the directory of a failed rebuild, unless it is in use.
    async fn discard(&self, version: u64) {
        let versions = self.versions.clone();
        let removed = tokio::task::spawn_blocking(move || {
            if versions.current()? == version {
                return Ok(());
            }
            versions.remove(version)
        })
        .await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::warn!(version, "could not remove the failed rebuild's directory");
        }
    }
}

/// Opens the new store again with a small cache (`Store::reopen_to_index`),
/// then takes its content hash and builds its index (deferred while it
/// filled) side by side, on blocking threads and
/// without pausing anything: only the rebuild writes this store, and
/// neither reader writes it. The filling applier is gone by now, and
/// what it kept with it, so that the index is not built among it.
async fn hash_and_index(store: Store) -> Result<(Store, Hashed), RebuildError> {
    let store = tokio::task::spawn_blocking(move || store.reopen_to_index()).await??;
    let (for_hash, for_index) = (store.clone(), store.clone());
    let hashing = tokio::task::spawn_blocking(move || for_hash.content_hash());
    let indexing = tokio::task::spawn_blocking(move || for_index.index_all());
    let (content_hash, indexed) = tokio::join!(hashing, indexing);
    let content_hash = content_hash??;
    indexed??;
    let seq = store.checkpoint()?.seq;
    Ok((store, Hashed { seq, content_hash }))
}

/// Closes the filled and indexed store and opens it again with the usual
/// cache, its index read back from the index file (`Store::reopen`):
/// sled's replay of the whole log happens here, before the swap, instead
/// of at the projector's next start (20 to 40 s at 10 million events).
/// The memory the fill freed is handed back to the system at once, as
/// every opening of a store does once its index is read.
async fn reopen(store: Store) -> Result<Store, RebuildError> {
    let store = tokio::task::spawn_blocking(move || store.reopen()).await??;
    Ok(store)
}

/// An applier of its own for a store being filled.
fn filling(store: Store) -> Result<Applier, RebuildError> {
    let (applied, _) = watch::channel(0);
    Ok(Applier::keeping(store, applied, Keep::REBUILD)?)
}

/// Ends a filling applier on a blocking thread: the store it filled,
/// with what it deferred written (`Applier::into_store`).
async fn finish(fresh: Applier) -> Result<Store, RebuildError> {
    tokio::task::spawn_blocking(move || Ok(fresh.into_store()?)).await?
}

/// Applies a batch of events on a blocking thread.
async fn apply_batch(mut fresh: Applier, events: Checked) -> Result<Applier, RebuildError> {
    tokio::task::spawn_blocking(move || {
        fresh.apply_checked(&events)?;
        Ok(fresh)
    })
    .await?
}

/// Retires the store a rebuild replaced, comparing its content with the
/// new one's when both describe the same sequence.
async fn retire(versions: Versions, old_version: u64, swapped: Swapped) {
    let Swapped {
        old,
        hashed,
        swapped_at,
        ..
    } = swapped;
    let compare_with = (hashed.seq == swapped_at).then_some(hashed.content_hash);
    remove_unread(versions, old_version, old, compare_with).await;
}

/// Waits (bounded) until no query reads the old store, compares its
/// content hash with `compare_with` if given, closes it and removes its
/// directory.
async fn remove_unread(
    versions: Versions,
    old_version: u64,
    old: Arc<Store>,
    compare_with: Option<String>,
) {
    let deadline = Instant::now() + OLD_READERS_WAIT;
    while Arc::strong_count(&old) > 1 && Instant::now() < deadline {
        tokio::time::sleep(OLD_READERS_POLL).await;
    }
    let Ok(old) = Arc::try_unwrap(old) else {
        tracing::warn!(
            old_version,
            "old views still read; removed at the next start"
        );
        return;
    };
    let comparable = compare_with.is_some();
    let retired = tokio::task::spawn_blocking(move || {
        let old_hash = if comparable {
            let _pages = efa_alloc::freed_pages_back_at_once();
            Some(old.reopen_to_read_once()?.content_hash()?)
        } else {
            drop(old);
            None
        };
        efa_alloc::give_back_freed_memory();
        versions.remove(old_version)?;
        Ok::<_, RebuildError>(old_hash)
    })
    .await;
    match retired {
        Ok(Ok(None)) => tracing::info!(old_version, "old views removed"),
        Ok(Ok(Some(old_hash))) if Some(&old_hash) == compare_with.as_ref() => {
            tracing::info!(old_version, "old views removed; they matched the rebuild");
        }
        Ok(Ok(Some(_))) => tracing::warn!(
            old_version,
            "old views removed; they differed from the views rebuilt from the ledger"
        ),
        Ok(Err(error)) => tracing::warn!(%error, old_version, "could not remove the old views"),
        Err(error) => tracing::warn!(%error, old_version, "could not remove the old views"),
    }
}
