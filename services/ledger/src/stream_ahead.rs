//! The event stream as a second witness of the ledger's head, checked
//! before a single ledger takes commands. The relay publishes only
//! durable events, each window's last one with the ledger's signed
//! checkpoint; so a stream that holds events beyond the store's head,
//! signed by this ledger, shows that the store lost events it had
//! acknowledged (a backup put back together with its head witness, a
//! store damaged together with it). Taking commands then would hand out
//! their sequence numbers again, and the relay would replace the stream's
//! copy of them. The ledger refuses to start instead.
//!
//! Messages beyond the head that this ledger did not sign (someone else
//! published there) prove nothing: the relay repairs such a stream as
//! before. A cluster node does not run this check: its group commit goes
//! into the stream before its own log, so the stream may lawfully be
//! ahead of a node's store, which the node then follows.

use async_nats::jetstream;
use efa_proto::{SealedEvent, SignedCheckpoint, subjects};
use efa_trust::PublicKey;

/// How many messages back from the stream's last the check looks for a
/// signed checkpoint (the relay's windows hold at most 1,024).
const LOOK_BACK: u64 = 2_048;

/// The stream holds events beyond the store's head, signed by this
/// ledger: the store lost acknowledged events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the event stream holds events up to {signed}, signed by this ledger, but its store ends at {head}: the store lost acknowledged events (an older copy put back, or damaged)"
)]
pub struct StreamAhead {
    pub head: u64,
    pub signed: u64,
}

/// Checks the event stream against the store's `head`. A stream that
/// cannot be read (NATS or JetStream away) is logged and passed: the
/// ledger keeps taking commands while NATS is away, and the relay
/// compares once it is back.
pub async fn check(
    nats: &async_nats::Client,
    head: u64,
    key: &PublicKey,
) -> Result<(), StreamAhead> {
    let js = jetstream::new(nats.clone());
    let mut stream = match js.get_stream(subjects::EVENT_STREAM).await {
        Ok(stream) => stream,
        Err(error) => {
            tracing::debug!(%error, "no event stream to compare the head with");
            return Ok(());
        }
    };
    let last = match stream.info().await {
        Ok(info) => info.state.last_sequence,
        Err(error) => {
            tracing::warn!(%error, "the event stream's state could not be read at start");
            return Ok(());
        }
    };
    let lowest = head.saturating_add(1).max(last.saturating_sub(LOOK_BACK));
    for seq in (lowest..=last).rev() {
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        let checkpoint = (message.headers.get(efa_proto::trust::CHECKPOINT_HEADER))
            .and_then(|value| SignedCheckpoint::from_header_value(value.as_str()));
        let event: Option<SealedEvent> = efa_proto::codec::decode(&message.payload).ok();
        if let (Some(checkpoint), Some(event)) = (checkpoint, event) {
            let ours = checkpoint.seq == seq
                && event.record.seq == seq
                && checkpoint.hash == event.hash
                && efa_trust::verify_checkpoint(key, &checkpoint);
            if ours {
                return Err(StreamAhead { head, signed: seq });
            }
        }
    }
    Ok(())
}
