//! Loading many commands straight into a ledger's data directory, through
//! the same writer the service uses (decide, seal, group commit, fsync),
//! but without NATS and with a clock of the caller's choosing. For
//! generated histories: the same commands and the same clock give the same
//! chain, byte for byte.

use std::path::Path;
use std::sync::Arc;

use efa_proto::{CommandEnvelope, CommandReply};
use tokio::sync::watch;

use crate::store::{Head, LedgerStore, StoreError};
use crate::writer::{Clock, Writer};

#[derive(Debug)]
pub struct BulkLoader {
    store: Arc<LedgerStore>,
    writer: Writer,
}

/// The bulk loader's page cache: every command reads a command bucket
/// and a stream bucket, and with a cache of the writer's size most of
/// them came from the file again.
const BULK_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

impl BulkLoader {
    /// Opens (or creates) the ledger store under `data_dir`; no ledger
    /// service may run on it at the same time (sled locks it).
    /// The events are signed with the ledger key of `data_dir` (created
    /// if missing), like the service's.
    pub fn open(data_dir: &Path, clock: Clock) -> Result<Self, crate::LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataFile {
            path: data_dir.to_owned(),
            source,
        })?;
        let store = Arc::new(LedgerStore::open_with_cache(data_dir, BULK_CACHE_BYTES)?);
        let (head_tx, _head_rx) = watch::channel(0);
        let key = crate::keys::ledger_key(data_dir)?;
        let writer = Writer::with_clock(store.clone(), head_tx, key, clock)?;
        Ok(Self { store, writer })
    }

    /// Decides and appends `envelopes` in one durable group commit, in
    /// order, and returns each command's answer.
    pub fn load(&mut self, envelopes: Vec<CommandEnvelope>) -> Vec<CommandReply> {
        self.writer.commit_envelopes(envelopes)
    }

    /// The last event of the log.
    pub fn head(&self) -> Result<Head, StoreError> {
        self.store.head()
    }
}
