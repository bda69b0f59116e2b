//! The ledger's storage on sled: the only module that names sled. One tree,
//! key prefixes for the kinds of record, so that everything one group
//! commit writes goes into a single atomic `apply_batch`:
//!
//! - `e` + seq, `b` + block     -> the log, contiguous from 1 (see `log`)
//! - `k` + bucket               -> `CommandRecord`s by command id
//!   (idempotency, kept forever; see `buckets`)
//! - `t` + bucket               -> `StoredStream`s by stream (the state the
//!   domain decides on)
//! - `m:head`                   -> `Head` (last seq and its hash)
//! - `m:checkpoint`             -> the ledger's `SignedCheckpoint` of the
//!   head, written in the same batch as the head
//! - `m:layout`                 -> the version of this key layout
//!
//! Durability: sled's `flush()` writes its buffers but does not fsync on
//! Linux, so `commit` follows it with an fsync of sled's data file. sled
//! shows an applied batch to readers before that fsync, so the store keeps
//! the last durable sequence itself and never reads the log beyond it:
//! nothing a crash could still take back leaves through the relay or the
//! read API.

mod buckets;
mod cache;
pub mod log;
mod migrate;
#[cfg(test)]
mod tests;
pub mod witness;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use efa_domain::StreamState;
use efa_proto::{CommandId, CommandReply, Hash, SealedEvent, SignedCheckpoint, StreamId, codec};
use efa_runtime::stall::StallWatch;
use efa_runtime::store_lock::{Unopened, open_when_unlocked};
use serde::{Deserialize, Serialize};

use buckets::{Bucket, BucketSpace};
use cache::{BucketCache, RecentEvents};
use log::{
    BLOCK_BYTES_MAX, BLOCK_LEN, Block, block_key, block_of, event_key, first_seq_of, last_seq_of,
};

const HEAD_KEY: &[u8] = b"m:head";
const CHECKPOINT_KEY: &[u8] = b"m:checkpoint";
const LAYOUT_KEY: &[u8] = b"m:layout";
/// Filler written and removed again, 80 times, when the writer opens the
/// store (`settle_segments`); there otherwise only after a crash in
/// between. 80 records of 8 KiB move sled's log past at least one of its
/// 512 KiB segments; one at a time, the leaf holding the key stays far
/// below the 128 KiB from which sled writes a blob file.
const SETTLE_KEY: &[u8] = b"m:settle";
const SETTLE_ROUNDS: u32 = 80;
const SETTLE_RECORD_BYTES: usize = 8 * 1024;
/// The key layout this code reads and writes. A store of layout 1 (one
/// sled key per event, command record and stream) is migrated when opened.
const LAYOUT: u16 = 2;
/// sled's page cache; the default (1 GiB) is far more than the ledger needs.
/// 8 MiB: with 64 MiB the ledger took about 45 MB more memory under load,
/// and neither writes at 10 million events nor a replica paging the whole
/// log through the read API were faster for it (BENCHMARKS.md, "The
/// ledger's sled page cache and its memory").
const CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// About a million buckets each: 10 million commands are ten per bucket.
const COMMANDS: BucketSpace = BucketSpace::new(b'k', 20);
const STREAMS: BucketSpace = BucketSpace::new(b't', 20);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store's file lock: sled admits one
    /// process at a time, and the ledger running on it is that one.
    #[error(
        "the ledger store at {path} is in use: another process holds its file lock (a running efa up or efa ledger)"
    )]
    InUse { path: PathBuf },
    /// Reading was asked of a directory without a ledger store: reading
    /// must not leave an empty one behind, as sled would by opening it.
    #[error("there is no ledger store at {path}")]
    NoLedger { path: PathBuf },
    #[error("open ledger store at {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("open ledger data file {path} for fsync: {source}")]
    DataFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the ledger store at {path} has key layout {found}, which this version does not know (it reads layout {LAYOUT} and migrates layout 1)"
    )]
    Layout { path: PathBuf, found: u16 },
    #[error("ledger store: {0}")]
    Sled(#[from] sled::Error),
    #[error("fsync ledger data file: {0}")]
    Fsync(#[source] std::io::Error),
    #[error("ledger store holds an undecodable record under {key}: {source}")]
    Corrupt {
        key: String,
        #[source]
        source: codec::DecodeError,
    },
    #[error("ledger store holds an undecodable bucket or block under {key}: {source}")]
    CorruptPacking {
        key: String,
        #[source]
        source: postcard::Error,
    },
    #[error("event {seq} is missing from the log below the head")]
    MissingEvent { seq: u64 },
    #[error("encode a bucket or block: {0}")]
    Encode(#[source] postcard::Error),
    /// The store does not hold the event its witness names: it lost
    /// acknowledged events (see `witness`).
    #[error(
        "the ledger store ends at event {head}, but its head witness {file} names event {witnessed}: the store lost acknowledged events (damaged, or an older copy put back)"
    )]
    BehindWitness {
        head: u64,
        witnessed: u64,
        file: PathBuf,
    },
    /// The store's event at the witness's sequence has another hash.
    #[error(
        "event {seq} of the ledger store is not the one its head witness {file} names: the store was changed or replaced"
    )]
    WitnessMismatch { seq: u64, file: PathBuf },
}

/// What the log holds at a sequence a witness or a caller names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// The event with that chain hash.
    Held,
    /// Nothing: the log ends before, at `head`.
    Beyond { head: u64 },
    /// Another event (another chain hash).
    Other,
}

/// The last event of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

/// What the ledger remembers about a processed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// SHA-256 of the command's encoding, to tell a retry from a reuse.
    pub fingerprint: Hash,
    pub reply: CommandReply,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StoredStream {
    pub version: u64,
    pub state: StreamState,
}

/// A durable event as read from the log, with the bytes it is stored as
/// (its `codec` encoding), so that the relay and the read API need not
/// encode it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event: SealedEvent,
    pub encoded: Vec<u8>,
}

impl StoredEvent {
    fn decode(key: &[u8], encoded: Vec<u8>) -> Result<Self, StoreError> {
        let event = decode_record(key, &encoded)?;
        Ok(Self { event, encoded })
    }
}

#[derive(Debug)]
pub struct LedgerStore {
    db: sled::Db,
    data_file: File,
    /// The last sequence on disk for sure: the head when opened, then the
    /// head of each commit once its fsync has returned.
    durable_seq: AtomicU64,
    /// Decoded buckets the writer read or wrote, as durable (see `cache`).
    buckets: Mutex<BucketCache>,
    /// The newest durable events, for the relay and the read API.
    recent: Mutex<RecentEvents>,
    /// Ends the process when a commit does not return (see
    /// `efa_runtime::stall`).
    stalls: StallWatch,
    /// The latest durable checkpoint, kept outside sled (see `witness`).
    witness: witness::Witness,
}

impl Drop for LedgerStore {
    /// The store's last durable checkpoint into its witness.
    fn drop(&mut self) {
        self.witness.close();
    }
}

/// A lock whose holder panicked still guards consistent data here: the
/// caches are only changed by whole inserts.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn key_text(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn decode_record<T: serde::de::DeserializeOwned>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    codec::decode(bytes).map_err(|source| StoreError::Corrupt {
        key: key_text(key),
        source,
    })
}

impl LedgerStore {
    /// Opens the store for the writer: a fresh one gets the current layout,
    /// one of layout 1 is migrated.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(dir, CACHE_BYTES)
    }

    /// [`LedgerStore::open`] for the ledger, which has its key: a head
    /// witness the key did not sign is set aside (logged) instead of
    /// taken at its word, and the witness is then renewed from the
    /// store's own signed checkpoint of its head.
    pub fn open_for(dir: &Path, key: &efa_trust::PublicKey) -> Result<Self, StoreError> {
        Self::open_checked(dir, CACHE_BYTES, Some(key))
    }

    /// [`LedgerStore::open`] with a page cache of `cache_bytes`: the bulk
    /// loader of `efa generate` reads a command and a stream bucket for
    /// every command, spread over the whole store.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        Self::open_checked(dir, cache_bytes, None)
    }

    fn open_checked(
        dir: &Path,
        cache_bytes: u64,
        key: Option<&efa_trust::PublicKey>,
    ) -> Result<Self, StoreError> {
        let (store, path) = Self::open_sled(dir, cache_bytes)?;
        match store.layout(&path)? {
            Some(_) => {}
            // A fresh store; written durably by the first commit's fsync.
            None if store.db.is_empty() => {
                store.db.insert(LAYOUT_KEY, codec::encode(&LAYOUT))?;
            }
            None => migrate::from_layout_1(&store)?,
        }
        store.settle_segments()?;
        store.check_witness(dir, key)?;
        // The store's signed head, durable with it: the witness names it
        // from now on (also a store written before witnesses existed).
        if let Some(checkpoint) = store.checkpoint()? {
            store.witness.note(&checkpoint);
        }
        Ok(store)
    }

    /// Checks that the store holds the event its witness names (see
    /// `witness`); no witness, one a crash left unreadable, or one that
    /// `key` (where given) did not sign, passes with a warning.
    pub fn check_witness(
        &self,
        dir: &Path,
        key: Option<&efa_trust::PublicKey>,
    ) -> Result<(), StoreError> {
        let witnessed = match witness::read(dir) {
            witness::Witnessed::Checkpoint(witnessed)
                if key.is_some_and(|key| !efa_trust::verify_checkpoint(key, &witnessed)) =>
            {
                tracing::warn!(
                    file = %dir.join(witness::FILE).display(),
                    seq = witnessed.seq,
                    "the head witness is not signed by this ledger's key; it is set aside and \
                     written anew from the store's signed head"
                );
                return Ok(());
            }
            witness::Witnessed::Checkpoint(witnessed) => witnessed,
            witness::Witnessed::None => return Ok(()),
            witness::Witnessed::Unreadable => {
                tracing::warn!(
                    file = %dir.join(witness::FILE).display(),
                    "the head witness is unreadable (cut short by a crash?); the store is opened \
                     without it and the witness written anew with the next commit"
                );
                return Ok(());
            }
        };
        let file = dir.join(witness::FILE);
        match self.holding(witnessed.seq, &witnessed.hash)? {
            Holding::Held => Ok(()),
            Holding::Beyond { head } => Err(StoreError::BehindWitness {
                head,
                witnessed: witnessed.seq,
                file,
            }),
            Holding::Other => Err(StoreError::WitnessMismatch {
                seq: witnessed.seq,
                file,
            }),
        }
    }

    /// Whether the log holds event `seq` with chain hash `hash` (a state
    /// its witness or a caller kept); sequence 0 is the empty log's.
    pub fn holding(&self, seq: u64, hash: &Hash) -> Result<Holding, StoreError> {
        let head = self.head()?.seq;
        if seq > head {
            return Ok(Holding::Beyond { head });
        }
        if seq == 0 {
            return Ok(Holding::Held);
        }
        let found = self.events_on_disk_from(seq, 1)?;
        Ok(match found.first() {
            Some(stored) if stored.event.hash == *hash => Holding::Held,
            _ => Holding::Other,
        })
    }

    /// sled 0.34 settles the accounting of its log's segments the first
    /// time its log moves into a new segment after opening, inside the
    /// `flush()` that writes it. On a large store that flush took 0.8 s
    /// (10 million events, an 11 GB log), and every command of that group
    /// commit and of the ones queued behind it waited. Moving the log
    /// past a segment here, with filler that is removed again, does it
    /// before the writer serves (0.26 s there). Filler left by a crash in
    /// between is removed by the next open; nothing reads `m:` keys but
    /// by their full names.
    fn settle_segments(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let filler = vec![0u8; SETTLE_RECORD_BYTES];
        for _ in 0..SETTLE_ROUNDS {
            self.db.insert(SETTLE_KEY, filler.as_slice())?;
            self.db.remove(SETTLE_KEY)?;
        }
        self.db.flush()?;
        tracing::debug!(
            settled_ms = started.elapsed().as_millis() as u64,
            "ledger log segments settled"
        );
        Ok(())
    }

    /// Opens the store for reading the log only (`efa verify`): changes
    /// nothing, and reads a store of layout 1 as it is (its events are
    /// all under single keys, which the current layout reads too). A
    /// directory without a store is [`StoreError::NoLedger`], and stays
    /// as it was: sled would create an empty store there.
    pub fn open_to_read(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("ledger");
        if !path.join("db").is_file() {
            return Err(StoreError::NoLedger { path });
        }
        let (store, path) = Self::open_sled(dir, CACHE_BYTES)?;
        store.layout(&path)?;
        Ok(store)
    }

    fn open_sled(dir: &Path, cache_bytes: u64) -> Result<(Self, PathBuf), StoreError> {
        let path = dir.join("ledger");
        let db = open_when_unlocked(|| {
            sled::Config::new()
                .path(&path)
                .cache_capacity(cache_bytes)
                .open()
        })
        .map_err(|unopened| match unopened {
            Unopened::LockHeld => StoreError::InUse { path: path.clone() },
            Unopened::Failed(source) => StoreError::Open {
                path: path.clone(),
                source,
            },
        })?;
        let data_path = path.join("db");
        let data_file = File::open(&data_path).map_err(|source| StoreError::DataFile {
            path: data_path,
            source,
        })?;
        let store = Self {
            db,
            data_file,
            durable_seq: AtomicU64::new(0),
            buckets: Mutex::default(),
            recent: Mutex::default(),
            stalls: StallWatch::ending_the_process("ledger"),
            witness: witness::Witness::in_dir(dir),
        };
        // What sled recovered on opening is on disk.
        store
            .durable_seq
            .store(store.head()?.seq, Ordering::Release);
        Ok((store, path))
    }

    /// The store's key layout: `None` for a fresh store or one written
    /// before layouts had a version (layout 1); an unknown one is an error.
    fn layout(&self, path: &Path) -> Result<Option<u16>, StoreError> {
        let Some(bytes) = self.db.get(LAYOUT_KEY)? else {
            return Ok(None);
        };
        let found: u16 = decode_record(LAYOUT_KEY, &bytes)?;
        if found != LAYOUT {
            return Err(StoreError::Layout {
                path: path.to_owned(),
                found,
            });
        }
        Ok(Some(found))
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        match self.db.get(HEAD_KEY)? {
            Some(bytes) => decode_record(HEAD_KEY, &bytes),
            None => Ok(Head::default()),
        }
    }

    /// The signed checkpoint of the head, as the last commit stored it
    /// (`None` for an empty log, or one written before checkpoints).
    pub fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StoreError> {
        self.db
            .get(CHECKPOINT_KEY)?
            .map(|bytes| decode_record(CHECKPOINT_KEY, &bytes))
            .transpose()
    }

    pub fn command(&self, id: &CommandId) -> Result<Option<CommandRecord>, StoreError> {
        self.bucketed(COMMANDS, &id.0)
    }

    pub fn stream(&self, id: &StreamId) -> Result<StoredStream, StoreError> {
        Ok(self
            .bucketed(STREAMS, &id.storage_key())?
            .unwrap_or_default())
    }

    fn bucketed<T: serde::de::DeserializeOwned>(
        &self,
        space: BucketSpace,
        record_key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        let bucket = self.bucket(&space.bucket_key(record_key))?;
        bucket
            .get(record_key)
            .map(|bytes| decode_record(record_key, bytes))
            .transpose()
    }

    /// A bucket as durable: from the cache, else read from sled and kept
    /// in the cache (what sled holds of a bucket is durable whenever the
    /// writer is not inside a commit, and only the writer reads buckets).
    fn bucket(&self, key: &[u8; 5]) -> Result<Arc<Bucket>, StoreError> {
        if let Some(bucket) = lock(&self.buckets).get(key) {
            return Ok(bucket);
        }
        let (bucket, bytes) = self.read_bucket(key)?;
        let bucket = Arc::new(bucket);
        lock(&self.buckets).put(*key, bucket.clone(), bytes);
        Ok(bucket)
    }

    /// A bucket for the writer to change: taken out of the cache (so it
    /// is changed in place, not copied), else read from sled.
    fn bucket_to_change(&self, key: &[u8; 5]) -> Result<Bucket, StoreError> {
        match lock(&self.buckets).take(key) {
            Some(bucket) => {
                Ok(Arc::try_unwrap(bucket).unwrap_or_else(|shared| Bucket::clone(&shared)))
            }
            None => Ok(self.read_bucket(key)?.0),
        }
    }

    /// A bucket as sled holds it, with its encoded size.
    fn read_bucket(&self, key: &[u8; 5]) -> Result<(Bucket, usize), StoreError> {
        Ok(match self.db.get(key)? {
            None => (Bucket::default(), 0),
            Some(bytes) => (
                Bucket::decode(&bytes).map_err(|source| StoreError::CorruptPacking {
                    key: format!("{key:?}"),
                    source,
                })?,
                bytes.len(),
            ),
        })
    }

    fn block(&self, block: u64) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let key = block_key(block);
        let Some(bytes) = self.db.get(key)? else {
            return Ok(None);
        };
        let corrupt = |source| StoreError::CorruptPacking {
            key: format!(
                "block {block} (events {} to {})",
                first_seq_of(block),
                last_seq_of(block)
            ),
            source,
        };
        let events = Block::decode(&bytes).map_err(corrupt)?.events;
        if events.len() as u64 != BLOCK_LEN {
            return Err(corrupt(postcard::Error::DeserializeUnexpectedEnd));
        }
        Ok(Some(events))
    }

    /// The last sequence whose commit has been fsynced.
    pub fn durable_seq(&self) -> u64 {
        self.durable_seq.load(Ordering::Acquire)
    }

    /// The last durable event's sequence and hash.
    pub fn durable_head(&self) -> Result<Head, StoreError> {
        let seq = self.durable_seq();
        if seq == 0 {
            return Ok(Head::default());
        }
        let event = self.event(seq)?.ok_or(StoreError::MissingEvent { seq })?;
        Ok(Head {
            seq,
            hash: event.hash,
        })
    }

    /// Stands for a commit whose fsync has not returned yet: later events
    /// are applied in sled but not durable.
    #[cfg(test)]
    pub(crate) fn pretend_durable_up_to(&self, seq: u64) {
        self.durable_seq.store(seq, Ordering::Release);
    }

    /// A durable event of the log.
    pub fn event(&self, seq: u64) -> Result<Option<SealedEvent>, StoreError> {
        if seq == 0 || seq > self.durable_seq() {
            return Ok(None);
        }
        let key = event_key(seq);
        if let Some(bytes) = self.db.get(key)? {
            return decode_record(&key, &bytes).map(Some);
        }
        // Not on its own (any more): in its block, if the log reaches it.
        let Some(block) = self.block(block_of(seq))? else {
            return Ok(None);
        };
        let at = (seq - first_seq_of(block_of(seq))) as usize;
        decode_record(&key, &block[at]).map(Some)
    }

    /// Durable events from `from_seq` on, at most `limit` of them: from
    /// memory when they are among the newest, else from sled.
    pub fn events_from(&self, from_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let seq = from_seq.max(1);
        let limit = limit.min((self.durable_seq() + 1).saturating_sub(seq) as usize);
        if limit == 0 {
            return Ok(Vec::new());
        }
        if let Some(events) = lock(&self.recent).from(seq, limit) {
            return Ok(events);
        }
        self.events_on_disk_from(seq, limit)
    }

    /// Durable events from `from_seq` on, at most `limit`, read from sled
    /// only (what `efa verify` checks).
    pub fn events_on_disk_from(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut seq = from_seq.max(1);
        let limit = limit.min((self.durable_seq() + 1).saturating_sub(seq) as usize);
        let mut events = Vec::new();
        while events.len() < limit {
            let block = block_of(seq);
            if let Some(encoded) = self.block(block)? {
                let skip = (seq - first_seq_of(block)) as usize;
                for bytes in encoded.into_iter().skip(skip).take(limit - events.len()) {
                    events.push(StoredEvent::decode(&event_key(seq), bytes)?);
                    seq += 1;
                }
                continue;
            }
            let found_before = events.len();
            for entry in self.db.range(event_key(seq)..event_key(u64::MAX)) {
                let (key, bytes) = entry?;
                // A gap: the next events are in their block (packed before,
                // or by a commit while we read); the outer loop finds them.
                if log::seq_of_event_key(&key) != Some(seq) {
                    break;
                }
                events.push(StoredEvent::decode(&key, bytes.to_vec())?);
                seq += 1;
                if events.len() == limit {
                    break;
                }
            }
            if events.len() == found_before && self.block(block_of(seq))?.is_none() {
                break;
            }
        }
        Ok(events)
    }

    /// Writes one group of changes atomically and makes it durable before
    /// returning: `apply_batch`, sled `flush()`, then fsync of the data file.
    pub fn commit(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut changes = sled::Batch::default();
        self.pack_events(&batch.sealed, &mut changes)?;
        let mut buckets = self.merge_into_buckets(COMMANDS, batch.commands, &mut changes)?;
        buckets.extend(self.merge_into_buckets(STREAMS, batch.streams, &mut changes)?);
        let batch_head = batch.head;
        if let Some(head) = batch_head {
            changes.insert(HEAD_KEY, codec::encode(&head));
        }
        let checkpoint = batch.checkpoint;
        if let Some(checkpoint) = &checkpoint {
            changes.insert(CHECKPOINT_KEY, codec::encode(checkpoint));
        }
        self.stalls.write(|| {
            self.db.apply_batch(changes)?;
            self.db.flush()?;
            // fdatasync: the data and the file's size, not its timestamps.
            self.data_file.sync_data().map_err(StoreError::Fsync)
        })?;
        self.became_durable(batch_head, buckets, batch.sealed);
        if let Some(checkpoint) = &checkpoint {
            self.witness.note(checkpoint);
        }
        Ok(())
    }

    /// The one place where a group commit has become durable (its fsync
    /// returned): only from here on may anything of it be served, cached
    /// or acknowledged. The caches take the commit's buckets and events,
    /// then the durable sequence moves, which releases the events to the
    /// relay and the read API.
    fn became_durable(
        &self,
        head: Option<Head>,
        buckets: Vec<CachedBucket>,
        sealed: Vec<StoredEvent>,
    ) {
        self.keep_buckets(buckets);
        lock(&self.recent).extend(sealed);
        if let Some(head) = head {
            self.durable_seq.store(head.seq, Ordering::Release);
        }
    }

    /// Puts buckets just written into the cache.
    fn keep_buckets(&self, buckets: Vec<CachedBucket>) {
        let mut cache = lock(&self.buckets);
        for (key, bucket, bytes) in buckets {
            cache.put(key, bucket, bytes);
        }
    }

    /// Writes the batch's events (ascending, following the head): a block
    /// they complete as one block record, with the block's earlier events
    /// moved out of their single keys; the rest under single keys.
    fn pack_events(
        &self,
        events: &[StoredEvent],
        changes: &mut sled::Batch,
    ) -> Result<(), StoreError> {
        let mut by_block: BTreeMap<u64, Vec<(u64, &[u8])>> = BTreeMap::new();
        for stored in events {
            let seq = stored.event.record.seq;
            by_block
                .entry(block_of(seq))
                .or_default()
                .push((seq, stored.encoded.as_slice()));
        }
        for (block, part) in by_block {
            let completes = part
                .last()
                .is_some_and(|(last, _)| *last == last_seq_of(block));
            if completes && self.pack_block(block, &part, changes)? {
                continue;
            }
            for (seq, bytes) in part {
                changes.insert(&event_key(seq), bytes);
            }
        }
        Ok(())
    }

    /// Adds to `changes` what moves the completed `block` into one block
    /// record: the events in `new` (not stored yet) and the block's events
    /// before them, read from their single keys, which are removed. Writes
    /// nothing and returns false when the block would be larger than
    /// `BLOCK_BYTES_MAX`; its events then keep their single keys.
    fn pack_block(
        &self,
        block: u64,
        new: &[(u64, &[u8])],
        changes: &mut sled::Batch,
    ) -> Result<bool, StoreError> {
        let first_new = new.first().map_or(last_seq_of(block) + 1, |(seq, _)| *seq);
        let mut encoded = Vec::with_capacity(BLOCK_LEN as usize);
        for seq in first_seq_of(block)..first_new {
            let bytes = self
                .db
                .get(event_key(seq))?
                .ok_or(StoreError::MissingEvent { seq })?;
            encoded.push(bytes.to_vec());
        }
        encoded.extend(new.iter().map(|(_, bytes)| bytes.to_vec()));
        if encoded.iter().map(Vec::len).sum::<usize>() > BLOCK_BYTES_MAX {
            return Ok(false);
        }
        for seq in first_seq_of(block)..first_new {
            changes.remove(&event_key(seq));
        }
        let record = Block { events: encoded }
            .encode()
            .map_err(StoreError::Encode)?;
        changes.insert(&block_key(block), record);
        Ok(true)
    }

    /// Reads each bucket the records fall into, puts them in, and writes
    /// it back; returns the new buckets for the cache, to be kept once the
    /// commit is durable. Safe because the writer is the only one who
    /// commits.
    pub(crate) fn merge_into_buckets(
        &self,
        space: BucketSpace,
        records: Vec<Record>,
        changes: &mut sled::Batch,
    ) -> Result<Vec<CachedBucket>, StoreError> {
        let mut by_bucket: BTreeMap<[u8; 5], Vec<Record>> = BTreeMap::new();
        for (key, value) in records {
            by_bucket
                .entry(space.bucket_key(&key))
                .or_default()
                .push((key, value));
        }
        let mut written = Vec::with_capacity(by_bucket.len());
        for (bucket_key, records) in by_bucket {
            let mut bucket = self.bucket_to_change(&bucket_key)?;
            for (key, value) in records {
                bucket.put(key, value);
            }
            let encoded = bucket.encode().map_err(StoreError::Encode)?;
            written.push((bucket_key, Arc::new(bucket), encoded.len()));
            changes.insert(&bucket_key, encoded);
        }
        Ok(written)
    }
}

/// A bucket as a commit wrote it: its key, content and encoded size.
type CachedBucket = ([u8; 5], Arc<Bucket>, usize);

/// A record's key and its encoding, on its way into a bucket.
type Record = (Vec<u8>, Vec<u8>);

/// Changes collected for one group commit.
#[derive(Debug, Default)]
pub struct WriteBatch {
    /// The events with their encodings, in sequence order.
    sealed: Vec<StoredEvent>,
    commands: Vec<Record>,
    streams: Vec<Record>,
    head: Option<Head>,
    checkpoint: Option<SignedCheckpoint>,
    pub is_empty: bool,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self {
            is_empty: true,
            ..Self::default()
        }
    }

    /// The events put in so far, in sequence order.
    pub fn events(&self) -> &[StoredEvent] {
        &self.sealed
    }

    /// Events must come in sequence order, continuing the log.
    pub fn put_event(&mut self, event: SealedEvent) {
        let encoded = codec::encode(&event);
        self.sealed.push(StoredEvent { event, encoded });
        self.is_empty = false;
    }

    pub fn put_command(&mut self, id: &CommandId, record: &CommandRecord) {
        self.commands.push((id.0.to_vec(), codec::encode(record)));
        self.is_empty = false;
    }

    pub fn put_stream(&mut self, id: &StreamId, stream: &StoredStream) {
        self.streams.push((id.storage_key(), codec::encode(stream)));
        self.is_empty = false;
    }

    pub fn put_head(&mut self, head: &Head) {
        self.head = Some(*head);
        self.is_empty = false;
    }

    /// The signed checkpoint of the head this batch writes.
    pub fn put_checkpoint(&mut self, checkpoint: SignedCheckpoint) {
        self.checkpoint = Some(checkpoint);
        self.is_empty = false;
    }
}
