//! The view store: the only module that knows sled. One tree holds every
//! view under a key prefix, next to the checkpoint (the last applied ledger
//! sequence and its hash). A change to the views and the checkpoint that
//! goes with it are written in one atomic batch, so after a crash the views
//! and the checkpoint always agree: no event is applied twice or skipped.

use std::path::{Path, PathBuf};

use efa_proto::{Hash, ServiceId, ServiceView};
use sha2::{Digest, Sha256};

/// The last applied ledger sequence, big-endian u64.
const CHECKPOINT_SEQ: &[u8] = b"meta/checkpoint";
/// The hash of the event at the checkpoint, 32 bytes.
const CHECKPOINT_HASH: &[u8] = b"meta/last_hash";
/// `catalogue/<service id>` -> `efa_proto::encode(&ServiceView)`.
const CATALOGUE_PREFIX: &str = "catalogue/";

/// The name of the store's directory under the projector's data directory.
const STORE_DIR: &str = "views";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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
}

/// A handle to the view store; clones share the same database.
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
}

impl Store {
    /// Opens (or creates) the store at `data_dir/views`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(STORE_DIR);
        let db = sled::Config::new()
            .path(&path)
            .open()
            .map_err(|source| StoreError::Open { path, source })?;
        Ok(Self { db })
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

    /// Every service, ordered by id (the key order is the id's byte order).
    pub fn services(&self) -> Result<Vec<ServiceView>, StoreError> {
        self.db
            .scan_prefix(CATALOGUE_PREFIX)
            .map(|entry| {
                let (key, bytes) = entry?;
                decode_view(&key, &bytes)
            })
            .collect()
    }

    /// Writes `changes` and the new `checkpoint` in one atomic batch.
    pub fn commit(&self, checkpoint: Checkpoint, changes: Vec<Change>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for change in changes {
            match change {
                Change::PutService(view) => {
                    batch.insert(service_key(&view.id), efa_proto::encode(&view))
                }
                Change::RemoveService(id) => batch.remove(service_key(&id)),
            }
        }
        batch.insert(CHECKPOINT_SEQ, &checkpoint.seq.to_be_bytes());
        batch.insert(CHECKPOINT_HASH, &checkpoint.hash);
        self.db.apply_batch(batch)?;
        Ok(())
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// SHA-256 (hex) over every entry in key order, each key and value
    /// prefixed by its length: equal views give equal hashes, whichever
    /// replica or rebuild wrote them.
    pub fn content_hash(&self) -> Result<String, StoreError> {
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

fn service_key(id: &ServiceId) -> Vec<u8> {
    format!("{CATALOGUE_PREFIX}{id}").into_bytes()
}

fn decode_view(key: &[u8], bytes: &[u8]) -> Result<ServiceView, StoreError> {
    efa_proto::decode(bytes).map_err(|e| corrupt(key, &e.to_string()))
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
