//! Restoring a ledger from a backup: the history exports `efa backup`
//! wrote, taken into an empty log part by part as a standby takes in what
//! it follows (`take_in`). Every part was checked against this data
//! dir's ledger key and against the part before it before anything is
//! written; the restored log then holds the same events, byte for byte,
//! with the same signed checkpoints, and the ledger started on it goes
//! on from the backup's last event.
//!
//! A command the ledger answered before the backup and sent again after
//! the restore is answered from the restored log. Its fingerprint is not
//! in an export, so a key used again for another command is taken as a
//! retry of the first (`writer::FINGERPRINT_UNKNOWN`), as on a standby.

use std::path::Path;

use efa_proto::SignedCheckpoint;
use efa_trust::CheckedExport;

use crate::store::witness::{self, Witnessed};
use crate::store::{Head, LedgerStore, StoreError};
use crate::take_in::{TakeInError, take_in};
use crate::writer::FINGERPRINT_UNKNOWN;

/// The page cache while restoring: every event reads its stream's and its
/// command's bucket, spread over the whole store.
const RESTORE_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the data dir has no ledger key ({path}): a ledger is restored with the key it signed with"
    )]
    NoKey { path: std::path::PathBuf },
    #[error(transparent)]
    Key(#[from] efa_trust::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the ledger store already holds {events} events: a ledger is restored into an empty one"
    )]
    NotEmpty { events: u64 },
    #[error("the backup holds no events")]
    Empty,
    #[error(
        "the data dir's head witness names event {witnessed}, the backup ends at event {last}: \
         the events after it would be lost"
    )]
    BehindWitness { witnessed: u64, last: u64 },
    #[error("the data dir's head witness names event {seq} with another hash than the backup's")]
    OtherHistory { seq: u64 },
    #[error(transparent)]
    TakeIn(#[from] TakeInError),
}

/// The checkpoint the head witness of `data_dir` names, if it has one.
pub fn witness(data_dir: &Path) -> Option<SignedCheckpoint> {
    match witness::read(data_dir) {
        Witnessed::Checkpoint(checkpoint) => Some(checkpoint),
        Witnessed::None | Witnessed::Unreadable => None,
    }
}

/// Sets the head witness aside where the backup covers it (ends at
/// `last`, holding `held` at the witness's sequence): the restored log
/// writes its own. A witness beyond the backup refuses the restore, since
/// the events after the backup's end were acknowledged and would be lost;
/// one naming another event than the backup's, too.
pub fn set_witness_aside(
    data_dir: &Path,
    witnessed: &SignedCheckpoint,
    last: u64,
    held: Option<efa_proto::Hash>,
) -> Result<(), RestoreError> {
    if witnessed.seq > last {
        return Err(RestoreError::BehindWitness {
            witnessed: witnessed.seq,
            last,
        });
    }
    if held != Some(witnessed.hash) {
        return Err(RestoreError::OtherHistory { seq: witnessed.seq });
    }
    let path = data_dir.join(witness::FILE);
    std::fs::remove_file(&path).map_err(|source| StoreError::DataFile { path, source })?;
    Ok(())
}

/// The public key of `data_dir`'s ledger; a data dir without one is
/// refused, not given a new key.
pub fn ledger_public_key(data_dir: &Path) -> Result<efa_trust::PublicKey, RestoreError> {
    let path = crate::keys::ledger_key_path(data_dir);
    if !path.exists() {
        return Err(RestoreError::NoKey { path });
    }
    Ok(crate::keys::ledger_key(data_dir)?.public())
}

/// Writes `parts` (checked, consecutive from event 1) into the empty log
/// of `data_dir`, each in one durable commit; `on_part` is told the head
/// after each. The last checkpoint becomes the store's and its witness's.
pub fn restore(
    data_dir: &Path,
    parts: impl IntoIterator<Item = CheckedExport>,
    mut on_part: impl FnMut(&Head),
) -> Result<Head, RestoreError> {
    let key = ledger_public_key(data_dir)?;
    let store = LedgerStore::open_with_cache(data_dir, RESTORE_CACHE_BYTES)?;
    let mut head = store.head()?;
    if head.seq != 0 {
        return Err(RestoreError::NotEmpty { events: head.seq });
    }
    for part in parts {
        let checkpoint: SignedCheckpoint = part.checkpoint;
        let events = (part.events.into_iter())
            .map(|event| (event, FINGERPRINT_UNKNOWN))
            .collect();
        head = take_in(&store, &key, head, events, checkpoint)?;
        on_part(&head);
    }
    if head.seq == 0 {
        return Err(RestoreError::Empty);
    }
    Ok(head)
}
