//! The view store: the only module that knows sled. One tree holds every
//! view under a key prefix, next to the checkpoint (the last applied ledger
//! sequence and its hash). A change to the views and the checkpoint that
//! goes with it are written in one atomic batch, so after a crash the views
//! and the checkpoint always agree: no event is applied twice or skipped.
//!
//! Key layout (values are `efa_proto::encode` of the named type, `()` an
//! empty value; `<first seq>` is a big-endian u64 so keys sort in ledger
//! order). Events, history entries and adopted services are packed, many
//! to a record, because sled's memory and its cost per write follow the
//! number of keys (see BENCHMARKS.md):
//!
//! | key | value |
//! |---|---|
//! | `meta/checkpoint`, `meta/last_hash` | checkpoint sequence and hash |
//! | `meta/layout` | the key layout's version (u16) |
//! | `catalogue/<service>` | `ServiceView` (state after the latest event) |
//! | `svc/<service>` | `ServiceFacts` |
//! | `gem/<ags>` | `GemeindeFacts` (`gem/16` holds Thüringen's) |
//! | `kreis/<key>` | `KreisFacts` |
//! | `op/<operator>` | `OperatorFacts` |
//! | `ado/<service>/<ags>` | `AdoptionFacts` |
//! | `key/<year>` | `KeyFacts` |
//! | `pop/<date>` | `PopulationFacts` |
//! | `evb/<first seq>` | `Vec<SealedEvent>`, packed by LZ4 (`blocks.rs`): up to 16 consecutive events from `<first seq>`, at most 6 KiB encoded unless one event is larger |
//! | `hp/svc/<service>/<page>`, `hp/gem/<ags>/<page>` | `Vec<u64>`: a subject's history, up to 256 sequences a page (`<page>` a big-endian u32) |
//! | `ap/<ags>/<page>` | `Vec<ServiceId>`: the services a municipality has adopted, in the order of their first request, up to 64 a page (`<page>` a big-endian u32) |

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use efa_proto::{Ags, Hash, LandCode, SealedEvent, ServiceId, ServiceView, StreamId};
use efa_runtime::stall::StallWatch;
use efa_runtime::store_lock::{Unopened, open_when_unlocked};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::facts::{
    AdoptionFacts, Facts, GemeindeFacts, KeyFacts, KreisFacts, PopulationFacts, ServiceFacts,
};
use crate::index::{self, Index};
use crate::pack::Page;

mod ahead;
mod blocks;
mod drain;

/// The last applied ledger sequence, big-endian u64.
const CHECKPOINT_SEQ: &[u8] = b"meta/checkpoint";
/// The hash of the event at the checkpoint, 32 bytes.
const CHECKPOINT_HASH: &[u8] = b"meta/last_hash";
/// `catalogue/<service id>` -> `efa_proto::encode(&ServiceView)`.
const CATALOGUE_PREFIX: &str = "catalogue/";
const SERVICE_FACTS: &str = "svc/";
const GEMEINDE_FACTS: &str = "gem/";
const KREIS_FACTS: &str = "kreis/";
const OPERATOR_FACTS: &str = "op/";
const ADOPTION_FACTS: &str = "ado/";
const KEY_FACTS: &str = "key/";
const POPULATION_FACTS: &str = "pop/";
const EVENT_BLOCKS: &str = "evb/";
const HISTORY_SERVICE: &str = "hp/svc/";
const HISTORY_GEMEINDE: &str = "hp/gem/";
const ADOPTED_PAGES: &str = "ap/";
/// The key layout's version, u16 big-endian.
const LAYOUT_KEY: &[u8] = b"meta/layout";
/// The key layout this code reads and writes: 2 packs events into blocks
/// and histories into pages (1 had a key per event and history entry); 3
/// keeps a service's closed years, participation corrections and stream
/// version in its facts; 4 lists a municipality's adopted services in
/// pages (3 had a key per adoption, a third of a fill's writes); 5 packs
/// event blocks with LZ4 (4 kept them as encoded, twice the bytes); 6
/// keeps the date a participation correction moved; 7 keeps the
/// sequences of the events that changed a service's facts.
pub const LAYOUT: u16 = 7;

/// A block record (`evb/<first seq>`) holds consecutive events, at most
/// this many and, but for a single larger event, at most `BLOCK_BYTES_MAX`
/// of them encoded: a sled leaf (16 records) then stays below the 128 KiB
/// at which sled writes a separate blob file, which its `flush()` does not
/// sync and its recovery was seen to drop (ARCHITECTURE.md). Packed
/// (`blocks.rs`), a block that does not compress grows by less than 1 %.
pub const BLOCK_LEN_MAX: usize = 16;
pub const BLOCK_BYTES_MAX: usize = 6 * 1024;
/// Sequences per history page (`hp/.../<page>`); a page is rewritten
/// whole while it fills.
pub const HISTORY_PAGE_LEN: usize = 256;
/// A commit of at least this many changes is written while the index is
/// updated beside it (`Store::write_and_update_beside`); below, starting a
/// thread costs more than it saves.
const BESIDE_FROM_CHANGES: usize = 512;
/// Services per page of a municipality's adopted services (`ap/...`): 64
/// ids of at most 64 characters keep a page below `BLOCK_BYTES_MAX`.
pub const ADOPTED_PAGE_LEN: usize = 64;

/// sled's page cache. The default (1 GiB) would make the cache the largest
/// part of the projector's memory; queries read the in-memory index, and
/// the cache serves the applier's reads of facts and the history pages.
/// A store being filled by a rebuild has the same: at 10 million events
/// a cache of 1 GiB made a fill about 15 % and a rebuild about 23 %
/// faster but took about 1.3 GiB more at their peak (sled's cache takes
/// about twice its nominal size in memory; BENCHMARKS.md, "A fill with
/// the usual page cache").
const CACHE_BYTES: u64 = 128 * 1024 * 1024;
/// sled's page cache while a store is read once from end to end: a
/// filled store's facts while its index is built (`reopen_to_index`), a
/// retired store's content while it is hashed (`reopen_to_read_once`).
/// A scan in key order gains nothing from a cache; with the usual one,
/// hashing the old store after a rebuild took 150 to 250 MB more at 10
/// million events (BENCHMARKS.md, "A rebuild's peak, phase by phase").
const READ_ONCE_CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// Counted adoptions from which an index built from the facts when the
/// store opens is written to its file and read back (`open_compact`);
/// below, the file is not worth writing at every open (about a tenth of
/// Germany's adoptions).
const REOPEN_AFTER_BUILD_CELLS: usize = 250_000;
/// Events applied from which a store whose index has to be built from
/// the facts when it opens is opened again with a small page cache for
/// the build (`open_compact`): the build reads every adoption once, which
/// a cache does not speed up, and the usual cache filled by that scan
/// made the peak of such a start (about a tenth of Germany's history).
const SMALL_CACHE_TO_BUILD_FROM_SEQ: u64 = 1_000_000;

/// How an opened store came by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexMade {
    /// Read from its file, or none needed (an empty store, an old layout).
    Read,
    /// Built from the facts.
    Built,
    /// Built from the facts with the store opened with a small page cache.
    BuiltWithSmallCache,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store's file lock (sled admits one
    /// process at a time).
    #[error(
        "the view store at {path} is in use: another process holds its file lock (a running efa up or efa projector on the same data dir)"
    )]
    InUse { path: PathBuf },
    #[error("open the view store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("view store I/O: {0}")]
    Io(#[from] sled::Error),
    #[error("view store entry {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("view store file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("filling the view store: {0}")]
    Fill(String),
    #[error("writing a commit to the view store: {0}")]
    Commit(String),
    #[error("reading the adoptions for the index: {0}")]
    Reader(String),
}

/// Where the views stand: the last applied event's sequence and hash.
/// Sequence 0 with an all-zero hash means nothing is applied yet, which is
/// exactly what event 1's `prev_hash` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: Hash,
}

/// One change to the views, written together with a new checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    PutService(ServiceView),
    RemoveService(ServiceId),
    PutFacts(Facts),
    /// The block of consecutive events from the given first sequence, in
    /// ledger order (a block is written whole): its record, the encoding
    /// of a `Vec<SealedEvent>`.
    PutEventBlock(u64, Vec<u8>),
    /// One page of a subject's history: ascending sequences.
    PutHistoryPage(Subject, u32, Vec<u64>),
    /// One page of the services a municipality has adopted.
    PutAdoptedPage(Ags, u32, Vec<ServiceId>),
}

/// A service or municipality with a history of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Service(ServiceId),
    Gemeinde(Ags),
}

/// Whose events to list, for the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsOf {
    Service(ServiceId),
    Gemeinde(Ags),
    All,
}

/// A handle to the view store; clones share the same database and the
/// same in-memory index (`index/`), which every commit updates unless it
/// is deferred (`defer_index`).
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// The store's directory (for the index file).
    dir: Arc<PathBuf>,
    index: Arc<RwLock<Index>>,
    /// Whether commits leave the index alone: a store being rebuilt, which
    /// answers no query, builds its index once at the end (`index_all`)
    /// instead of updating it with every commit.
    index_deferred: Arc<std::sync::atomic::AtomicBool>,
    /// The commit being written while the next is prepared (`ahead.rs`):
    /// a rebuild's, or a catch-up's (`commit_ahead`).
    ahead: Arc<ahead::Ahead>,
    /// Ends the process when a write to sled does not return (see
    /// `efa_runtime::stall`).
    stalls: StallWatch,
    /// Flushes after every few buffers' worth of commits, so that sled
    /// never queues more log writes than its pool has threads.
    drain: Arc<drain::Drain>,
    /// Commits of at least this many changes are written while the index
    /// is updated beside them (`BESIDE_FROM_CHANGES`; tests lower it).
    beside_from: usize,
    /// Tests: the next commit written beside its index update fails as a
    /// failed `apply_batch` would, without writing anything.
    #[cfg(test)]
    fail_next_write_beside: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `try_read`: a store may be printed while a commit holds the index.
        let index_seq = self.index.try_read().ok().map(|index| index.seq());
        f.debug_struct("Store")
            .field("index_seq", &index_seq)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store in the directory `path`; which
    /// directory is the one in use is `versions.rs`'s business.
    ///
    /// sled releases its file lock a moment after the last handle is
    /// dropped (its I/O threads finish first), so a store closed just now
    /// in this process is retried for a bounded time.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_compact(
            path,
            REOPEN_AFTER_BUILD_CELLS,
            SMALL_CACHE_TO_BUILD_FROM_SEQ,
        )
    }

    /// Opens the store; where its index had to be built from the facts
    /// and counts `reopen_from` adoptions or more, writes the index file
    /// and opens the store again (`reopen`), so that the index lies as
    /// compactly as one read from its file and sled's cache does not
    /// stay filled by the build's scan (a start after a crash or a
    /// version change held 1.2 GB at 10 million events instead of 0.85
    /// GB; BENCHMARKS.md, "The index built on two cores"). A store with
    /// `small_cache_from` events applied or more is built with a small
    /// page cache and always opened again.
    pub(crate) fn open_compact(
        path: &Path,
        reopen_from: usize,
        small_cache_from: u64,
    ) -> Result<Self, StoreError> {
        let (store, made) = Self::open_saying_how(path, small_cache_from)?;
        match made {
            IndexMade::BuiltWithSmallCache => store.reopen(),
            IndexMade::Built if store.index().counted_adoptions() >= reopen_from => store.reopen(),
            IndexMade::Built | IndexMade::Read => Ok(store),
        }
    }

    /// Opens the store; says how its index was made. Where it has to be
    /// built from the facts of a store with `small_cache_from` events
    /// applied or more, the store is opened again with a small page cache
    /// first.
    fn open_saying_how(
        path: &Path,
        small_cache_from: u64,
    ) -> Result<(Self, IndexMade), StoreError> {
        let started = std::time::Instant::now();
        let mut store = Self::open_without_index(path, CACHE_BYTES)?;
        // A store of an older layout is replaced, not read (`versions.rs`):
        // no index for it.
        let mut made = IndexMade::Read;
        if store.layout_is_current()? {
            let opened_ms = started.elapsed().as_millis() as u64;
            let checkpoint = store.checkpoint()?;
            let index = match store.index_from_file(&checkpoint)? {
                Some(index) => index,
                // An empty store: nothing to build.
                None if checkpoint.seq == 0 => store.index_from_facts(&checkpoint)?,
                None if checkpoint.seq >= small_cache_from => {
                    store = store.reopen_to_read_once()?;
                    made = IndexMade::BuiltWithSmallCache;
                    store.index_from_facts(&checkpoint)?
                }
                None => {
                    made = IndexMade::Built;
                    store.index_from_facts(&checkpoint)?
                }
            };
            *store.index.write().unwrap_or_else(PoisonError::into_inner) = index;
            // Reading or building the index freed about as much as it
            // keeps (the file's lists, the facts read); hand it back.
            efa_alloc::give_back_freed_memory();
            tracing::info!(
                path = %path.display(),
                opened_ms,
                index_ms = started.elapsed().as_millis() as u64 - opened_ms,
                from_file = made == IndexMade::Read,
                small_cache = made == IndexMade::BuiltWithSmallCache,
                "view store open"
            );
        }
        Ok((store, made))
    }

    /// sled opened at `path` with a page cache of `cache_bytes`, and an
    /// empty index: what every opening starts from.
    fn open_without_index(path: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        Ok(Self {
            db: open_db(path, cache_bytes)?,
            dir: Arc::new(path.to_owned()),
            index: Arc::default(),
            index_deferred: Arc::default(),
            ahead: Arc::default(),
            stalls: StallWatch::ending_the_process("views"),
            drain: Arc::new(drain::Drain::new(drain::DRAIN_EVERY_BYTES)),
            beside_from: BESIDE_FROM_CHANGES,
            #[cfg(test)]
            fail_next_write_beside: Arc::default(),
        })
    }

    /// This store without flushes between its commits (`drain.rs`), for
    /// the benchmark that shows what they prevent.
    pub(crate) fn undrained(mut self) -> Self {
        self.drain = Arc::new(drain::Drain::new(0));
        self
    }

    /// This store with every commit of at least `changes` changes written
    /// while its index is updated beside it, for tests whose histories are
    /// too short for the usual threshold.
    #[cfg(test)]
    pub(crate) fn commits_beside_from(mut self, changes: usize) -> Self {
        self.beside_from = changes;
        self
    }

    /// Makes the next commit written beside its index update fail without
    /// writing anything, as a failed `apply_batch` would.
    #[cfg(test)]
    pub(crate) fn fail_next_write_beside(&self) {
        self.fail_next_write_beside.store(true, Ordering::Release);
    }

    /// Closes a filled store whose index is deferred and opens it again
    /// with a small page cache, its index still deferred, for `index_all`:
    /// what sled cached while the store was filled is handed back before
    /// the index is built beside it (the build reads the facts once, in
    /// key order, which a cache does not speed up). `reopen` then opens it
    /// with the usual cache. Every other handle to this store must be
    /// gone, as for `reopen`.
    pub fn reopen_to_index(self) -> Result<Self, StoreError> {
        let store = self.reopen_to_read_once()?;
        store.defer_index();
        Ok(store)
    }

    /// Closes the store and opens it again with a small page cache and no
    /// index, for a store that is read once more from end to end: one
    /// whose index is built from its facts, the old store after a rebuild
    /// whose content hash is compared with the new one's. Every other
    /// handle to this store must be gone, as for `reopen`.
    pub fn reopen_to_read_once(self) -> Result<Self, StoreError> {
        let dir = self.close()?;
        efa_alloc::give_back_freed_memory();
        Self::open_without_index(&dir, READ_ONCE_CACHE_BYTES)
    }

    /// Closes the store and opens it again with the usual page cache, its
    /// index written to the index file first and read back from it. For a
    /// rebuild's store once filled and indexed: sled replays at open the
    /// log written since a store was last opened (all of it, for a store
    /// filled from scratch), what sled cached of the fill is handed back,
    /// and the index read back is laid out as compactly as at a start instead
    /// of among what the fill allocated and freed (about a third less
    /// resident memory at 10 million events; BENCHMARKS.md). Also for a
    /// large store whose index was just built at open (`open_compact`).
    /// Every other handle to this store must be gone, or sled keeps its
    /// lock and the open fails.
    pub fn reopen(self) -> Result<Self, StoreError> {
        let started = std::time::Instant::now();
        self.ahead.settle()?;
        self.save_index()?;
        // Read back from its file below. Let go of first, it is not held
        // while sled closes, which takes a few hundred MB more for a
        // moment at 10 million events.
        self.let_go_of_index();
        let dir = self.close()?;
        let (store, _) = Self::open_saying_how(&dir, u64::MAX)?;
        tracing::info!(
            path = %dir.display(),
            opened_ms = started.elapsed().as_millis() as u64,
            "view store opened again"
        );
        Ok(store)
    }

    /// Writes what a fill holds, flushes and closes the store; its
    /// directory, to open it again.
    fn close(self) -> Result<std::path::PathBuf, StoreError> {
        self.ahead.settle()?;
        let dir = self.dir.to_path_buf();
        self.db.flush()?;
        drop(self);
        Ok(dir)
    }

    /// Lets go of the in-memory index and hands its memory back to the
    /// system. For a store that answers nothing any more: the old store
    /// after a rebuild's swap, whose content is still read once to compare
    /// it with the new store's, would otherwise hold a second index of the
    /// whole of Germany while it is read (about 0.5 GB at 10 million
    /// events). Its index file, if any, is left alone: `save_index` writes
    /// only an index that stands at the checkpoint.
    pub fn let_go_of_index(&self) {
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = Index::default();
        efa_alloc::give_back_freed_memory();
    }

    /// The in-memory index, standing at the last committed checkpoint.
    /// Hold it only for one query: every commit waits for it.
    pub fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on commits leave the index where it stands, until
    /// `index_all`. For a store that answers no query meanwhile (a
    /// rebuild's): keeping the index at every commit is about a third of
    /// applying a large batch, building it once from the facts a fraction.
    pub fn defer_index(&self) {
        self.index_deferred.store(true, Ordering::Release);
    }

    /// Builds the index from the facts at the checkpoint and has commits
    /// keep it again; nothing if it was not deferred. No commit may run
    /// meanwhile (the caller owns the store's one applier).
    pub fn index_all(&self) -> Result<(), StoreError> {
        if !self.index_deferred.load(Ordering::Acquire) {
            return Ok(());
        }
        self.ahead.settle()?;
        let started = std::time::Instant::now();
        let index = self.build_index()?;
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = index;
        self.index_deferred.store(false, Ordering::Release);
        tracing::info!(
            index_ms = started.elapsed().as_millis() as u64,
            "index built from the facts"
        );
        Ok(())
    }

    /// Writes the index into the store's directory, for the next open
    /// (`index_file.rs`); nothing when a commit is under way.
    pub fn save_index(&self) -> Result<(), StoreError> {
        let index = self.index();
        let checkpoint = self.checkpoint()?;
        if checkpoint.seq != index.seq() {
            return Ok(());
        }
        crate::index_file::save(&self.dir, &checkpoint, &index)
    }

    /// The index: read from the index file where one matches the
    /// checkpoint, else built from the facts in the store.
    fn build_index(&self) -> Result<Index, StoreError> {
        let checkpoint = self.checkpoint()?;
        match self.index_from_file(&checkpoint)? {
            Some(index) => Ok(index),
            None => self.index_from_facts(&checkpoint),
        }
    }

    /// The index read from the index file, where one matches `checkpoint`
    /// (the store's) and fits the facts.
    fn index_from_file(&self, checkpoint: &Checkpoint) -> Result<Option<Index>, StoreError> {
        let Some(cells) = crate::index_file::load(&self.dir, checkpoint) else {
            return Ok(None);
        };
        // The file's bytes are freed; hand them back before the index is
        // made from what they held.
        efa_alloc::give_back_freed_memory();
        let index = Index::restore(checkpoint.seq, self.entities()?, cells);
        if index.is_none() {
            tracing::warn!("index file inconsistent; building the index");
        }
        Ok(index)
    }

    /// The index built from the facts in the store, at `checkpoint` (the
    /// store's).
    fn index_from_facts(&self, checkpoint: &Checkpoint) -> Result<Index, StoreError> {
        let entities = self.entities()?;
        let adoptions = |each: &mut dyn FnMut(AdoptionFacts)| self.read_adoptions_beside(each);
        Index::build(checkpoint.seq, entities, adoptions, self)
    }

    /// Hands `each` every adoption's facts, in key order, read and decoded
    /// on a thread of its own meanwhile (reading and decoding is about
    /// as much work as counting them into the index, so a build takes
    /// both cores).
    fn read_adoptions_beside(&self, each: &mut dyn FnMut(AdoptionFacts)) -> Result<(), StoreError> {
        const BATCH: usize = 4096;
        type Batch = Result<Vec<AdoptionFacts>, StoreError>;
        std::thread::scope(|scope| {
            let (batches, received) = std::sync::mpsc::sync_channel::<Batch>(4);
            let reader = std::thread::Builder::new()
                .name("index-read".into())
                .spawn_scoped(scope, move || {
                    let mut batch = Vec::with_capacity(BATCH);
                    for entry in self.db.scan_prefix(ADOPTION_FACTS) {
                        let decoded = entry
                            .map_err(StoreError::from)
                            .and_then(|(key, bytes)| decode_view(&key, &bytes));
                        match decoded {
                            Ok(facts) => batch.push(facts),
                            Err(error) => {
                                // The receiver stops at the first error.
                                let _ = batches.send(Err(error));
                                return;
                            }
                        }
                        if batch.len() == BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            if batches.send(Ok(full)).is_err() {
                                return;
                            }
                        }
                    }
                    let _ = batches.send(Ok(batch));
                })
                .map_err(|error| StoreError::Reader(error.to_string()))?;
            for batch in received {
                batch?.into_iter().for_each(&mut *each);
            }
            // A reader that panicked sent less than every adoption.
            reader
                .join()
                .map_err(|_| StoreError::Reader("the reading thread panicked".to_owned()))
        })
    }

    /// The facts of every entity but the adoptions.
    fn entities(&self) -> Result<Vec<Facts>, StoreError> {
        let mut entities: Vec<Facts> = Vec::new();
        entities.extend(
            self.all_service_facts()?
                .into_iter()
                .map(|f| Facts::Service(Box::new(f))),
        );
        entities.extend(self.gemeinden(None)?.into_iter().map(Facts::Gemeinde));
        entities.extend(self.kreise(None)?.into_iter().map(Facts::Kreis));
        let (keys, populations) = self.reference()?;
        entities.extend(keys.into_iter().map(Facts::Key));
        entities.extend(populations.into_iter().map(Facts::Population));
        Ok(entities)
    }

    pub fn checkpoint(&self) -> Result<Checkpoint, StoreError> {
        let seq = match self.db.get(CHECKPOINT_SEQ)? {
            None => return Ok(Checkpoint::default()),
            Some(bytes) => u64::from_be_bytes(fixed_bytes(CHECKPOINT_SEQ, &bytes)?),
        };
        let hash = match self.db.get(CHECKPOINT_HASH)? {
            None => return Err(corrupt(CHECKPOINT_HASH, "missing next to the checkpoint")),
            Some(bytes) => fixed_bytes(CHECKPOINT_HASH, &bytes)?,
        };
        Ok(Checkpoint { seq, hash })
    }

    pub fn service(&self, id: &ServiceId) -> Result<Option<ServiceView>, StoreError> {
        let key = service_key(id);
        self.db
            .get(&key)?
            .map(|bytes| decode_view(&key, &bytes))
            .transpose()
    }

    /// Every service's catalogue entry, ordered by id (the key order is
    /// the id's byte order); the views read the index's facts instead.
    #[cfg(test)]
    pub fn services(&self) -> Result<Vec<ServiceView>, StoreError> {
        self.db
            .scan_prefix(CATALOGUE_PREFIX)
            .map(|entry| {
                let (key, bytes) = entry?;
                decode_view(&key, &bytes)
            })
            .collect()
    }

    /// The facts of `stream`, if it has any.
    pub fn facts(&self, stream: &StreamId) -> Result<Option<Facts>, StoreError> {
        let key = facts_key(stream);
        self.db
            .get(&key)?
            .map(|bytes| decode_facts(stream, &key, &bytes))
            .transpose()
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.db
            .get(key)?
            .map(|bytes| decode_view(key, &bytes))
            .transpose()
    }

    /// Every value under `prefix`, in key order.
    fn scan<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, StoreError> {
        self.db
            .scan_prefix(prefix)
            .map(|entry| {
                let (key, bytes) = entry?;
                decode_view(&key, &bytes)
            })
            .collect()
    }

    /// Every service's facts, ordered by id.
    pub fn all_service_facts(&self) -> Result<Vec<ServiceFacts>, StoreError> {
        self.scan(SERVICE_FACTS)
    }

    /// The municipalities of `land` (every one when `None`), by AGS.
    pub fn gemeinden(&self, land: Option<LandCode>) -> Result<Vec<GemeindeFacts>, StoreError> {
        self.scan(&land_prefix(GEMEINDE_FACTS, land))
    }

    /// The Kreise of `land` (every one when `None`), by key.
    pub fn kreise(&self, land: Option<LandCode>) -> Result<Vec<KreisFacts>, StoreError> {
        self.scan(&land_prefix(KREIS_FACTS, land))
    }

    /// The adoptions of `service` (of every service when `None`), by
    /// service and AGS.
    #[cfg(test)]
    pub fn adoptions(&self, service: Option<&ServiceId>) -> Result<Vec<AdoptionFacts>, StoreError> {
        match service {
            Some(id) => self.scan(&format!("{ADOPTION_FACTS}{id}/")),
            None => self.scan(ADOPTION_FACTS),
        }
    }

    /// The adoptions by `ags`, in the order of their first request.
    pub fn adoptions_by(&self, ags: Ags) -> Result<Vec<AdoptionFacts>, StoreError> {
        let mut adoptions = Vec::new();
        for service in self.adopted(ags)? {
            match index::Source::adoption(self, &service, ags)? {
                Some(adoption) => adoptions.push(adoption),
                None => {
                    let key = adopted_prefix(ags).into_bytes();
                    return Err(corrupt(&key, "names an adoption that is missing"));
                }
            }
        }
        Ok(adoptions)
    }

    /// The services `ags` has adopted, in the order of their first request.
    fn adopted(&self, ags: Ags) -> Result<Vec<ServiceId>, StoreError> {
        let mut services = Vec::new();
        for entry in self.db.scan_prefix(adopted_prefix(ags)) {
            let (key, bytes) = entry?;
            services.extend(decode_view::<Vec<ServiceId>>(&key, &bytes)?);
        }
        Ok(services)
    }

    /// Every published allocation key and population figure.
    pub fn reference(&self) -> Result<(Vec<KeyFacts>, Vec<PopulationFacts>), StoreError> {
        Ok((self.scan(KEY_FACTS)?, self.scan(POPULATION_FACTS)?))
    }

    /// Up to `limit` events of `of` from `from_seq` on, in ledger order,
    /// and whether more follow.
    pub fn events(
        &self,
        of: &EventsOf,
        from_seq: u64,
        limit: usize,
    ) -> Result<(Vec<SealedEvent>, bool), StoreError> {
        let subject = match of {
            EventsOf::Service(id) => Subject::Service(id.clone()),
            EventsOf::Gemeinde(ags) => Subject::Gemeinde(*ags),
            EventsOf::All => return self.all_events(from_seq, limit),
        };
        let mut events = Vec::new();
        let mut block: Vec<SealedEvent> = Vec::new();
        for entry in self.db.scan_prefix(page_prefix(&subject)) {
            let (key, bytes) = entry?;
            let page: Vec<u64> = decode_view(&key, &bytes)?;
            for seq in page.into_iter().filter(|seq| *seq >= from_seq) {
                if events.len() == limit {
                    return Ok((events, true));
                }
                let event = self
                    .event_in(&mut block, seq)?
                    .ok_or_else(|| corrupt(&key, "a history page names a missing event"))?;
                events.push(event);
            }
        }
        Ok((events, false))
    }

    /// The events of `seqs` (ascending), each block read once; a sequence
    /// the store does not hold is refused as corrupt.
    pub fn events_at(&self, seqs: &[u64]) -> Result<Vec<SealedEvent>, StoreError> {
        let mut block: Vec<SealedEvent> = Vec::new();
        seqs.iter()
            .map(|&seq| {
                self.event_in(&mut block, seq)?.ok_or_else(|| {
                    corrupt(&block_key(seq), "a service's facts name a missing event")
                })
            })
            .collect()
    }

    /// Event `seq`, from `block` when it holds it, else from the block
    /// holding it, which then replaces `block`.
    fn event_in(
        &self,
        block: &mut Vec<SealedEvent>,
        seq: u64,
    ) -> Result<Option<SealedEvent>, StoreError> {
        if !block.iter().any(|event| event.record.seq == seq) {
            *block = self.block_holding(seq)?;
        }
        Ok(block.iter().find(|event| event.record.seq == seq).cloned())
    }

    /// Up to `limit` of all events from `from_seq` on, and whether more
    /// follow.
    fn all_events(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<(Vec<SealedEvent>, bool), StoreError> {
        let start = match self
            .db
            .range(block_key(0)..=block_key(from_seq))
            .next_back()
        {
            Some(entry) => entry?.0.to_vec(),
            None => block_key(from_seq),
        };
        let mut events = Vec::new();
        for entry in self.db.range(start..) {
            let (key, bytes) = entry?;
            if !key.starts_with(EVENT_BLOCKS.as_bytes()) {
                break;
            }
            let block = blocks::unpack(&key, &bytes)?;
            for event in block.into_iter().filter(|e| e.record.seq >= from_seq) {
                if events.len() == limit {
                    return Ok((events, true));
                }
                events.push(event);
            }
        }
        Ok((events, false))
    }

    /// The events of the block that holds `seq` (or would: the last
    /// block before it); none in an empty store.
    fn block_holding(&self, seq: u64) -> Result<Vec<SealedEvent>, StoreError> {
        match self.db.range(block_key(0)..=block_key(seq)).next_back() {
            Some(entry) => {
                let (key, bytes) = entry?;
                blocks::unpack(&key, &bytes)
            }
            None => Ok(Vec::new()),
        }
    }

    /// The last block, with its first sequence, if there is one.
    pub fn last_block(&self) -> Result<Option<(u64, Vec<SealedEvent>)>, StoreError> {
        let Some(entry) = self.db.scan_prefix(EVENT_BLOCKS).next_back() else {
            return Ok(None);
        };
        let (key, bytes) = entry?;
        let first = key
            .len()
            .checked_sub(8)
            .map(|start| &key[start..])
            .ok_or_else(|| corrupt(&key, "too short for a sequence"))?;
        Ok(Some((
            u64::from_be_bytes(fixed_bytes(&key, first)?),
            blocks::unpack(&key, &bytes)?,
        )))
    }

    /// The last page of `subject`'s history and its number, if it has one.
    pub fn history_tail(&self, subject: &Subject) -> Result<Option<Page<u64>>, StoreError> {
        self.last_page(&page_prefix(subject))
    }

    /// The last page of the services `ags` has adopted and its number, if
    /// it has one.
    pub fn adopted_tail(&self, ags: &Ags) -> Result<Option<Page<ServiceId>>, StoreError> {
        self.last_page(&adopted_prefix(*ags))
    }

    fn last_page<T: DeserializeOwned>(&self, prefix: &str) -> Result<Option<Page<T>>, StoreError> {
        let Some(entry) = self.db.scan_prefix(prefix).next_back() else {
            return Ok(None);
        };
        let (key, bytes) = entry?;
        let number = key
            .len()
            .checked_sub(4)
            .map(|start| &key[start..])
            .ok_or_else(|| corrupt(&key, "too short for a page number"))?;
        Ok(Some((
            u32::from_be_bytes(fixed_bytes(&key, number)?),
            decode_view(&key, &bytes)?,
        )))
    }

    /// Overwrites the facts of the `nth` adoption (in key order) with bytes
    /// that do not decode; says its key.
    #[cfg(test)]
    pub fn corrupt_one_adoption(&self, nth: usize) -> String {
        let (key, _) = self
            .db
            .scan_prefix(ADOPTION_FACTS)
            .nth(nth)
            .unwrap()
            .unwrap();
        self.db.insert(&key, &[0xff; 3][..]).unwrap();
        self.db.flush().unwrap();
        String::from_utf8_lossy(&key).into_owned()
    }

    /// The index built from the facts with the adoptions handed over by
    /// municipality, not by service as the store holds them, so that a
    /// merged family's adoptions come after their service was counted.
    #[cfg(test)]
    pub fn index_built_by_municipality(&self) -> Index {
        let checkpoint = self.checkpoint().unwrap();
        let mut adoptions: Vec<AdoptionFacts> = self.scan(ADOPTION_FACTS).unwrap();
        adoptions.sort_by(|a, b| (a.ags, &a.service).cmp(&(b.ags, &b.service)));
        let handed = |each: &mut dyn FnMut(AdoptionFacts)| {
            adoptions.into_iter().for_each(each);
            Ok(())
        };
        Index::build(checkpoint.seq, self.entities().unwrap(), handed, self).unwrap()
    }

    /// Makes the store look as if an older version had written it.
    #[cfg(test)]
    pub fn forget_layout(&self) {
        self.db.remove(LAYOUT_KEY).expect("remove the layout key");
    }

    /// Whether the store is written in this code's key layout (an empty
    /// store is).
    pub fn layout_is_current(&self) -> Result<bool, StoreError> {
        if self.checkpoint()?.seq == 0 {
            return Ok(true);
        }
        Ok(match self.db.get(LAYOUT_KEY)? {
            Some(bytes) => u16::from_be_bytes(fixed_bytes(LAYOUT_KEY, &bytes)?) == LAYOUT,
            None => false,
        })
    }

    /// Writes `changes` and the new `checkpoint` in one atomic batch and
    /// moves the index to it, after the commit being written ahead, if
    /// any; in a rebuild's store (its index deferred) key by key on a
    /// thread of its own instead, see `settle`.
    pub fn commit(&self, checkpoint: Checkpoint, changes: Vec<Change>) -> Result<(), StoreError> {
        if self.index_deferred.load(Ordering::Acquire) {
            return self.ahead.fill(&self.db, &self.stalls, checkpoint, changes);
        }
        self.ahead.settle()?;
        self.commit_now(checkpoint, changes)
    }

    /// As `commit`, but written, and the index moved, on a thread of its
    /// own while the caller prepares its next commit; `then` runs once the
    /// index stands at `checkpoint` (the applier announces the checkpoint
    /// there, so that no reader waiting for it looks too early). The next
    /// commit and `settle` wait for it first, and return its error. For a
    /// catch-up's batches, one after the other (`ahead.rs`).
    pub fn commit_ahead(
        &self,
        checkpoint: Checkpoint,
        changes: Vec<Change>,
        then: impl FnOnce(u64) + Send + 'static,
    ) -> Result<(), StoreError> {
        if self.index_deferred.load(Ordering::Acquire) {
            self.commit(checkpoint, changes)?;
            then(checkpoint.seq);
            return Ok(());
        }
        let store = self.clone();
        self.ahead.start("views-commit", false, move || {
            store.commit_now(checkpoint, changes)?;
            then(checkpoint.seq);
            Ok(())
        })
    }

    fn commit_now(&self, checkpoint: Checkpoint, changes: Vec<Change>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let mut bytes = 0;
        writes(&checkpoint, &changes, |key, value| {
            bytes += key.len() + value.as_ref().map_or(0, |value| value.len());
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
            Ok(())
        })?;
        self.commit_batch(checkpoint, &changes, batch)?;
        // The commit stands; a flush that fails here fails the next
        // commit too (sled keeps its I/O error), which reports it.
        if let Err(error) = self.drain.committed(&self.db, &self.stalls, bytes as u64) {
            tracing::warn!(%error, "flushing the views after a commit failed");
        }
        Ok(())
    }

    /// Writes `batch`, the commit of `changes` up to `checkpoint`, and
    /// moves the index to it.
    fn commit_batch(
        &self,
        checkpoint: Checkpoint,
        changes: &[Change],
        batch: sled::Batch,
    ) -> Result<(), StoreError> {
        let changed: Vec<&Facts> = changes
            .iter()
            .filter_map(|change| match change {
                Change::PutFacts(facts) => Some(facts),
                _ => None,
            })
            .collect();
        if changes.len() < self.beside_from {
            self.stalls.write(|| self.db.apply_batch(batch))?;
            // Taken only now, so that queries do not wait for sled's
            // write: they answer from the index, which stands at one
            // checkpoint (its `seq`) until the update below moves it to
            // the next.
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            return index.update(checkpoint.seq, &changed, self);
        }
        self.write_and_update_beside(checkpoint, batch, &changed)
    }

    /// A large commit's batch written while the index is updated beside it,
    /// on a thread of its own (each takes about as long as the other in a
    /// catch-up, which otherwise used one of the two cores). Queries wait
    /// for both, as they would for sled's write anyway: an `apply_batch`
    /// holds a lock of the whole process that stops every read of sled
    /// (see ARCHITECTURE.md, "A rebuild fills its store without sled
    /// batches"). What the update reads from the store it reads before
    /// the write starts (`Index::take_in`), which would otherwise wait for
    /// it. Should the write fail, the index is built again from the
    /// store, so that it never stands ahead of what is written.
    fn write_and_update_beside(
        &self,
        checkpoint: Checkpoint,
        batch: sled::Batch,
        changed: &[&Facts],
    ) -> Result<(), StoreError> {
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let recounts = index.take_in(changed, self);
        let (written, updated) = std::thread::scope(|scope| {
            let writing = std::thread::Builder::new()
                .name("views-write".into())
                .spawn_scoped(scope, || {
                    #[cfg(test)]
                    if self.fail_next_write_beside.swap(false, Ordering::AcqRel) {
                        return Err(sled::Error::Unsupported("a write failed for a test".into()));
                    }
                    self.stalls.write(|| self.db.apply_batch(batch))
                });
            let updated = index.recount_all(checkpoint.seq, recounts);
            let written = match writing {
                Ok(writing) => match writing.join() {
                    Ok(written) => written.map_err(StoreError::from),
                    Err(_) => Err(StoreError::Commit("the writing thread panicked".into())),
                },
                Err(error) => Err(StoreError::Commit(format!(
                    "start the writing thread: {error}"
                ))),
            };
            (written, updated)
        });
        if let Err(error) = written {
            tracing::warn!(%error, "a commit was not written; building the index again from the store");
            *index = self.build_index()?;
            return Err(error);
        }
        updated
    }

    /// Waits until the commit written ahead, if any, is written
    /// (`ahead.rs`); an error if it was not. A catch-up's commits are
    /// written ahead as atomic batches (`commit_ahead`). A rebuild's
    /// commits (the index deferred) are written key by key in key order,
    /// on a thread of their own.
    /// sled 0.34 guards each batch with a lock of the whole process
    /// (`concurrency_control::write`), which also stops every read of any
    /// sled tree meanwhile: the ledger serving the next pages of the very
    /// events being applied, the store in use answering queries, the
    /// applier's own reads. Single inserts share that lock with readers.
    /// Not atomic: a crash may keep part of a commit. A rebuild's store is
    /// read by nothing and trusted by no one until it is flushed and
    /// indexed (`live_rebuild::hash_and_index`), and a rebuild that fails
    /// or is interrupted is discarded (its directory is removed when the
    /// projector starts again, or before the next rebuild fills it).
    pub fn settle(&self) -> Result<(), StoreError> {
        self.ahead.settle()
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.ahead.settle()?;
        self.db.flush()?;
        Ok(())
    }

    /// SHA-256 (hex) over every entry in key order, each key and value
    /// prefixed by its length: equal views give equal hashes, whichever
    /// replica or rebuild wrote them.
    pub fn content_hash(&self) -> Result<String, StoreError> {
        self.ahead.settle()?;
        let mut hasher = Sha256::new();
        for entry in self.db.iter() {
            let (key, value) = entry?;
            for part in [&key, &value] {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part);
            }
        }
        Ok(hex::encode(hasher.finalize()))
    }
}

impl index::Source for Store {
    fn adoption(&self, service: &ServiceId, ags: Ags) -> Result<Option<AdoptionFacts>, StoreError> {
        self.get(&facts_key(&StreamId::Adoption(service.clone(), ags)))
    }

    fn services_adopted_by(&self, ags: Ags) -> Result<Vec<ServiceId>, StoreError> {
        self.adopted(ags)
    }
}

/// Opens sled at `path`, retrying while the lock of a handle closed just
/// now in this process is still held (sled releases it a moment after its
/// I/O threads finish).
/// Every key a commit writes (`Some` value) or removes (`None`), the
/// checkpoint's keys last.
fn writes(
    checkpoint: &Checkpoint,
    changes: &[Change],
    mut write: impl FnMut(sled::IVec, Option<sled::IVec>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for change in changes {
        match change {
            Change::PutService(view) => write(
                service_key(&view.id).into(),
                Some(efa_proto::encode(view).into()),
            )?,
            Change::RemoveService(id) => write(service_key(id).into(), None)?,
            Change::PutFacts(facts) => write(
                facts_key(&facts.stream()).into(),
                Some(encode_facts(facts).into()),
            )?,
            Change::PutEventBlock(block, record) => {
                write(block_key(*block).into(), Some(blocks::pack(record).into()))?
            }
            Change::PutHistoryPage(subject, number, seqs) => {
                let key = page_key(page_prefix(subject), *number);
                write(key.into(), Some(efa_proto::encode(seqs).into()))?
            }
            Change::PutAdoptedPage(ags, number, services) => {
                let key = page_key(adopted_prefix(*ags), *number);
                write(key.into(), Some(efa_proto::encode(services).into()))?
            }
        }
    }
    write(
        CHECKPOINT_SEQ.into(),
        Some((&checkpoint.seq.to_be_bytes()[..]).into()),
    )?;
    write(CHECKPOINT_HASH.into(), Some((&checkpoint.hash[..]).into()))?;
    write(LAYOUT_KEY.into(), Some((&LAYOUT.to_be_bytes()[..]).into()))
}

fn open_db(path: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    open_when_unlocked(|| {
        sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .open()
    })
    .map_err(|unopened| match unopened {
        Unopened::LockHeld => StoreError::InUse {
            path: path.to_owned(),
        },
        Unopened::Failed(source) => StoreError::Open {
            path: path.to_owned(),
            source,
        },
    })
}

fn service_key(id: &ServiceId) -> Vec<u8> {
    format!("{CATALOGUE_PREFIX}{id}").into_bytes()
}

fn decode_view<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    efa_proto::decode(bytes).map_err(|e| corrupt(key, &e.to_string()))
}

/// The key of a stream's facts.
fn facts_key(stream: &StreamId) -> Vec<u8> {
    match stream {
        StreamId::Service(id) => format!("{SERVICE_FACTS}{id}"),
        StreamId::Gemeinde(ags) => format!("{GEMEINDE_FACTS}{ags}"),
        StreamId::Kreis(key) => format!("{KREIS_FACTS}{key}"),
        StreamId::Operator(id) => format!("{OPERATOR_FACTS}{id}"),
        StreamId::Adoption(id, ags) => format!("{ADOPTION_FACTS}{id}/{ags}"),
        StreamId::AllocationKey(year) => format!("{KEY_FACTS}{year:05}"),
        StreamId::Population(date) => format!("{POPULATION_FACTS}{date}"),
        // A service's closed years are kept with its facts.
        StreamId::Settlement(id) => format!("{SERVICE_FACTS}{id}"),
    }
    .into_bytes()
}

fn encode_facts(facts: &Facts) -> Vec<u8> {
    match facts {
        Facts::Service(f) => efa_proto::encode(f),
        Facts::Gemeinde(f) => efa_proto::encode(f),
        Facts::Kreis(f) => efa_proto::encode(f),
        Facts::Operator(f) => efa_proto::encode(f),
        Facts::Adoption(f) => efa_proto::encode(f),
        Facts::Key(f) => efa_proto::encode(f),
        Facts::Population(f) => efa_proto::encode(f),
    }
}

fn decode_facts(stream: &StreamId, key: &[u8], bytes: &[u8]) -> Result<Facts, StoreError> {
    Ok(match stream {
        StreamId::Service(_) | StreamId::Settlement(_) => {
            Facts::Service(Box::new(decode_view(key, bytes)?))
        }
        StreamId::Gemeinde(_) => Facts::Gemeinde(decode_view(key, bytes)?),
        StreamId::Kreis(_) => Facts::Kreis(decode_view(key, bytes)?),
        StreamId::Operator(_) => Facts::Operator(decode_view(key, bytes)?),
        StreamId::Adoption(..) => Facts::Adoption(decode_view(key, bytes)?),
        StreamId::AllocationKey(_) => Facts::Key(decode_view(key, bytes)?),
        StreamId::Population(_) => Facts::Population(decode_view(key, bytes)?),
    })
}

/// The key of the event block that starts at `first`.
fn block_key(first: u64) -> Vec<u8> {
    let mut key = EVENT_BLOCKS.as_bytes().to_vec();
    key.extend_from_slice(&first.to_be_bytes());
    key
}

/// The prefix of `subject`'s history pages.
fn page_prefix(subject: &Subject) -> String {
    match subject {
        Subject::Service(id) => format!("{HISTORY_SERVICE}{id}/"),
        Subject::Gemeinde(ags) => format!("{HISTORY_GEMEINDE}{ags}/"),
    }
}

/// The prefix of the pages of the services `ags` has adopted.
fn adopted_prefix(ags: Ags) -> String {
    format!("{ADOPTED_PAGES}{ags}/")
}

/// The key of page `number` under `prefix`.
fn page_key(prefix: String, number: u32) -> Vec<u8> {
    let mut key = prefix.into_bytes();
    key.extend_from_slice(&number.to_be_bytes());
    key
}

/// `prefix`, then a Land's two digits if one is given.
fn land_prefix(prefix: &str, land: Option<LandCode>) -> String {
    match land {
        Some(land) => format!("{prefix}{land}"),
        None => prefix.to_owned(),
    }
}

fn fixed_bytes<const N: usize>(key: &[u8], bytes: &[u8]) -> Result<[u8; N], StoreError> {
    bytes
        .try_into()
        .map_err(|_| corrupt(key, &format!("expected {N} bytes, found {}", bytes.len())))
}

fn corrupt(key: &[u8], reason: &str) -> StoreError {
    StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_held_open_elsewhere_is_refused_as_in_use() {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let held = Store::open(dir.path()).expect("open the store");
        // sled's file lock is per open file, so a second open within this
        // process meets it as another process would (after the retries).
        match Store::open(dir.path()) {
            Err(StoreError::InUse { path }) => assert_eq!(path, dir.path()),
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(held);
        Store::open(dir.path()).expect("free again once the holder is gone");
    }
}
