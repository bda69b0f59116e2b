//! The ledger's storage on sled: the only module that names sled. One tree,
//! key prefixes for the kinds of record, so that everything one group
//! commit writes goes into a single atomic `apply_batch`:
//!
//! - `e` + seq (8 bytes BE)    -> `SealedEvent` (the log, contiguous from 1)
//! - `c` + command id          -> `CommandRecord` (idempotency, kept forever)
//! - `s` + stream key          -> `StoredStream` (state the domain decides on)
//! - `m:head`                  -> `Head` (last seq and its hash)
//!
//! Durability: sled's `flush()` writes its buffers but does not fsync on
//! Linux, so `commit` follows it with an fsync of sled's data file.

use std::fs::File;
use std::path::{Path, PathBuf};

use efa_domain::StreamState;
use efa_proto::{CommandId, CommandReply, Hash, SealedEvent, StreamId, codec};
use serde::{Deserialize, Serialize};

const HEAD_KEY: &[u8] = b"m:head";
/// sled's page cache; the default (1 GiB) is far more than the ledger needs.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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

#[derive(Debug)]
pub struct LedgerStore {
    db: sled::Db,
    data_file: File,
}

pub fn event_key(seq: u64) -> [u8; 9] {
    let mut key = [b'e'; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn command_key(id: &CommandId) -> [u8; 17] {
    let mut key = [b'c'; 17];
    key[1..].copy_from_slice(&id.0);
    key
}

fn stream_key(id: &StreamId) -> Vec<u8> {
    let mut key = vec![b's'];
    key.extend_from_slice(&id.storage_key());
    key
}

impl LedgerStore {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join("ledger");
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let data_path = path.join("db");
        let data_file = File::open(&data_path).map_err(|source| StoreError::DataFile {
            path: data_path,
            source,
        })?;
        Ok(Self { db, data_file })
    }

    fn get<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.db.get(key)? {
            None => Ok(None),
            Some(bytes) => codec::decode(&bytes)
                .map(Some)
                .map_err(|source| StoreError::Corrupt {
                    key: String::from_utf8_lossy(key).into_owned(),
                    source,
                }),
        }
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        Ok(self.get(HEAD_KEY)?.unwrap_or_default())
    }

    pub fn command(&self, id: &CommandId) -> Result<Option<CommandRecord>, StoreError> {
        self.get(&command_key(id))
    }

    pub fn stream(&self, id: &StreamId) -> Result<StoredStream, StoreError> {
        Ok(self.get(&stream_key(id))?.unwrap_or_default())
    }

    pub fn event(&self, seq: u64) -> Result<Option<SealedEvent>, StoreError> {
        self.get(&event_key(seq))
    }

    /// Events from `from_seq` on, at most `limit` of them.
    pub fn events_from(&self, from_seq: u64, limit: usize) -> Result<Vec<SealedEvent>, StoreError> {
        let start = event_key(from_seq.max(1));
        let mut events = Vec::new();
        for entry in self.db.range(start..event_key(u64::MAX)).take(limit) {
            let (key, bytes) = entry?;
            let event = codec::decode(&bytes).map_err(|source| StoreError::Corrupt {
                key: format!("{key:?}"),
                source,
            })?;
            events.push(event);
        }
        Ok(events)
    }

    /// Writes one group of changes atomically and makes it durable before
    /// returning: `apply_batch`, sled `flush()`, then fsync of the data file.
    pub fn commit(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.db.apply_batch(batch.inner)?;
        self.db.flush()?;
        self.data_file.sync_all().map_err(StoreError::Fsync)?;
        Ok(())
    }
}

/// Changes collected for one group commit.
#[derive(Debug, Default)]
pub struct WriteBatch {
    inner: sled::Batch,
    pub is_empty: bool,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self {
            inner: sled::Batch::default(),
            is_empty: true,
        }
    }

    pub fn put_event(&mut self, event: &SealedEvent) {
        self.inner
            .insert(&event_key(event.record.seq), codec::encode(event));
        self.is_empty = false;
    }

    pub fn put_command(&mut self, id: &CommandId, record: &CommandRecord) {
        self.inner.insert(&command_key(id), codec::encode(record));
        self.is_empty = false;
    }

    pub fn put_stream(&mut self, id: &StreamId, stream: &StoredStream) {
        self.inner.insert(stream_key(id), codec::encode(stream));
        self.is_empty = false;
    }

    pub fn put_head(&mut self, head: &Head) {
        self.inner.insert(HEAD_KEY, codec::encode(head));
        self.is_empty = false;
    }
}
