//! Writing events this ledger did not decide: sealed and signed by a
//! ledger elsewhere (the active node a standby follows) or earlier (a
//! backup a ledger is restored from). Their hash chain is checked from
//! the log's head and the signature on the last, and they are written
//! with what the writer would have written beside them, each stream's
//! state and version and each command's stored reply, in one durable
//! commit. So the log answers a repeated command, and decides the next,
//! as the ledger that wrote the events would have.

use std::collections::HashMap;

use efa_proto::{Accepted, CommandId, CommandReply, Hash, SealedEvent, SignedCheckpoint, StreamId};
use efa_trust::PublicKey;

use crate::store::{CommandRecord, Head, LedgerStore, StoreError, StoredStream, WriteBatch};

#[derive(Debug, thiserror::Error)]
pub enum TakeInError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the events up to {seq} fail their check: {reason}")]
    Refused { seq: u64, reason: String },
    #[error("event {seq} continues stream {stream} at version {found}, the log has it at {held}")]
    Version {
        seq: u64,
        stream: String,
        found: u64,
        held: u64,
    },
}

/// Checks `events` (each with its command's fingerprint, or
/// `writer::FINGERPRINT_UNKNOWN`) as the continuation of the log at
/// `head`, the last signed by `key` in `checkpoint`, and writes them in
/// one commit; the new head.
pub fn take_in(
    store: &LedgerStore,
    key: &PublicKey,
    head: Head,
    events: Vec<(SealedEvent, Hash)>,
    checkpoint: SignedCheckpoint,
) -> Result<Head, TakeInError> {
    let (events, fingerprints): (Vec<SealedEvent>, Vec<Hash>) = events.into_iter().unzip();
    efa_trust::verify_chain(key, head.seq, &head.hash, &events, Some(&checkpoint)).map_err(
        |error| TakeInError::Refused {
            seq: checkpoint.seq,
            reason: error.to_string(),
        },
    )?;
    let mut batch = WriteBatch::new();
    let mut streams: HashMap<StreamId, StoredStream> = HashMap::new();
    let mut commands: HashMap<CommandId, CommandRecord> = HashMap::new();
    let mut new_head = head;
    for (event, fingerprint) in events.into_iter().zip(fingerprints) {
        let record = &event.record;
        let mut stream = match streams.remove(&record.stream) {
            Some(stream) => stream,
            None => store.stream(&record.stream)?,
        };
        if record.stream_version != stream.version + 1 {
            return Err(TakeInError::Version {
                seq: record.seq,
                stream: format!("{:?}", record.stream),
                found: record.stream_version,
                held: stream.version,
            });
        }
        stream.version = record.stream_version;
        stream.state = efa_domain::evolve(stream.state, &record.event, record.effective);
        let earlier = match commands.get(&record.command_id) {
            Some(command) => Some(command.clone()),
            None => store.command(&record.command_id)?,
        };
        let first_seq = match earlier.map(|command| command.reply) {
            Some(CommandReply::Accepted(accepted)) => accepted.first_seq,
            _ => record.seq,
        };
        let reply = CommandReply::Accepted(Accepted {
            first_seq,
            last_seq: record.seq,
            stream_version: stream.version,
            replayed: false,
        });
        commands.insert(record.command_id, CommandRecord { fingerprint, reply });
        streams.insert(record.stream.clone(), stream);
        new_head = Head {
            seq: record.seq,
            hash: event.hash,
        };
        batch.put_event(event);
    }
    for (id, stream) in &streams {
        batch.put_stream(id, stream);
    }
    for (id, command) in &commands {
        batch.put_command(id, command);
    }
    batch.put_head(&new_head);
    batch.put_checkpoint(checkpoint);
    store.commit(batch)?;
    Ok(new_head)
}
