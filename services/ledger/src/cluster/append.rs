//! The active ledger's way into the replicated stream. In a cluster a
//! group commit's events go to the stream first, each published with the
//! sequence the stream must hold before it (`Nats-Expected-Last-Sequence`),
//! and only when the stream has taken all of them does the writer write
//! them to its own log and answer. So the stream never lacks an event a
//! client was told about, a node that lost the lease without knowing it
//! cannot append (the stream refuses the sequence), and no node's log
//! holds an event the stream does not have.
//!
//! Every event carries the ledger's signed checkpoint of itself and the
//! fingerprint of the command it came from, so a standby and a projector
//! can check any prefix of the stream on its own (a leader that dies in
//! the middle of a group commit leaves no unsigned tail), and a standby
//! that takes over answers a repeated command with its stored reply.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind};
use efa_proto::{Hash, subjects};
use tokio::runtime::Handle;

use super::lease::LeaseDeadline;
use crate::store::StoredEvent;
use crate::writer::{Replicate, ReplicateError};

/// How long the writer waits for the stream to take a group commit.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// The header with the hex SHA-256 of the command envelope an event
/// came from (the writer's `fingerprint`).
pub const FINGERPRINT_HEADER: &str = "Efa-Command-Fingerprint";

/// Publishes group commits to the stream for the writer thread.
pub struct StreamAppender {
    js: jetstream::Context,
    runtime: Handle,
    key: Arc<efa_trust::SigningKey>,
    lease: LeaseDeadline,
}

impl std::fmt::Debug for StreamAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamAppender").finish_non_exhaustive()
    }
}

impl StreamAppender {
    pub fn new(
        js: jetstream::Context,
        runtime: Handle,
        key: Arc<efa_trust::SigningKey>,
        lease: LeaseDeadline,
    ) -> Self {
        Self {
            js,
            runtime,
            key,
            lease,
        }
    }
}

impl Replicate for StreamAppender {
    fn replicate(
        &mut self,
        events: &[StoredEvent],
        fingerprints: &[Hash],
    ) -> Result<(), ReplicateError> {
        if !self.lease.holds_for(Duration::ZERO) {
            return Err(ReplicateError::NotLeader);
        }
        let (js, key) = (&self.js, self.key.as_ref());
        self.runtime
            .block_on(publish(js, key, events, fingerprints))
    }
}

/// Publishes `events` (continuing the stream) and waits for the stream
/// to confirm each at its sequence.
pub async fn publish(
    js: &jetstream::Context,
    key: &efa_trust::SigningKey,
    events: &[StoredEvent],
    fingerprints: &[Hash],
) -> Result<(), ReplicateError> {
    let unknown = |reason: String| ReplicateError::Unknown { reason };
    let mut acks = Vec::with_capacity(events.len());
    for (stored, fingerprint) in events.iter().zip(fingerprints) {
        let event = &stored.event;
        let seq = event.record.seq;
        let checkpoint = efa_trust::sign_checkpoint(key, seq, &event.hash);
        let message = crate::relay::event_message(stored, Some(&checkpoint))
            .header(FINGERPRINT_HEADER, hex::encode(fingerprint).as_str());
        let ack = js
            .send_publish(subjects::event_subject(&event.record.stream), message)
            .await
            .map_err(|e| unknown(e.to_string()))?;
        acks.push((seq, ack));
    }
    for (seq, ack) in acks {
        match tokio::time::timeout(ACK_TIMEOUT, ack).await {
            Ok(Ok(ack)) if ack.sequence == seq => {}
            Ok(Ok(ack)) => {
                return Err(ReplicateError::Refused {
                    seq,
                    reason: format!("the stream put it at {}", ack.sequence),
                });
            }
            Ok(Err(error)) if error.kind() == PublishErrorKind::WrongLastSequence => {
                return Err(ReplicateError::Refused {
                    seq,
                    reason: error.to_string(),
                });
            }
            Ok(Err(error)) => return Err(unknown(format!("event {seq}: {error}"))),
            Err(_) => return Err(unknown(format!("no confirmation for event {seq}"))),
        }
    }
    Ok(())
}
