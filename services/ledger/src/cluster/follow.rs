//! A standby ledger follows the replicated stream into its own log: it
//! reads the events after its head, checks their hash chain from its own
//! head and the active ledger's signature on the last one it takes
//! (`Efa-Checkpoint`), and writes them (`take_in`) with what the writer would have
//! written beside them (each stream's state and version, each command's
//! stored reply with the fingerprint the event carried), in one durable
//! commit per window. So the node that takes over decides on the same
//! state and answers a repeated command as the old one would have.
//!
//! The stream only ever holds what an active ledger published, and a
//! node's log only what the stream took (see `append`), so a standby's
//! log is always a prefix of the stream. Where it is not, the history has
//! forked (a stream that lost acknowledged events, or a log written
//! outside the cluster): following stops with an error, for a person to
//! look at, instead of writing over either.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use efa_proto::{Hash, SealedEvent, SignedCheckpoint, subjects};
use efa_trust::PublicKey;
use futures::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::append::FINGERPRINT_HEADER;
use crate::store::{Head, LedgerStore, StoreError};
use crate::take_in::{TakeInError, take_in};
use crate::writer::FINGERPRINT_UNKNOWN;

/// The most events written in one commit.
const WINDOW_LEN_MAX: usize = 1024;
/// Events held without a signed checkpoint before following gives up.
const UNSIGNED_LEN_MAX: usize = 8 * WINDOW_LEN_MAX;

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the stream's event {seq} is not the event {seq} of this node's log: the history has forked"
    )]
    Forked { seq: u64 },
    #[error("the stream's events up to {seq} fail their check: {reason}")]
    Refused { seq: u64, reason: String },
    /// A window the log cannot take in (its chain, signature or stream
    /// versions, or the store).
    #[error(transparent)]
    TakeIn(#[from] TakeInError),
}

impl FollowError {
    /// Whether following may simply start again (the transport), or a
    /// person must look (the history or the disk).
    pub fn is_transient(&self) -> bool {
        matches!(self, FollowError::JetStream(_))
    }
}

/// What a follower shares with the role loop.
#[derive(Debug, Clone)]
pub struct Follower {
    pub js: jetstream::Context,
    pub key: PublicKey,
    /// The node's durable head, for its read API and `efa up`.
    pub head: watch::Sender<u64>,
    /// True while the node's log reaches the stream's last event.
    pub caught_up: watch::Sender<bool>,
}

/// The stream's last sequence.
pub async fn stream_last(js: &jetstream::Context) -> Result<u64, FollowError> {
    let mut stream = efa_runtime::jetstream::ensure_event_stream(js)
        .await
        .map_err(|e| FollowError::JetStream(e.to_string()))?;
    let info = stream
        .info()
        .await
        .map_err(|e| FollowError::JetStream(e.to_string()))?;
    Ok(info.state.last_sequence)
}

/// Checks that the stream holds this node's head event at its sequence
/// (a node's log must be a prefix of the stream).
pub async fn check_prefix(js: &jetstream::Context, store: &LedgerStore) -> Result<(), FollowError> {
    let head = store.durable_head()?;
    if head.seq == 0 || stream_last(js).await? < head.seq {
        return Ok(());
    }
    let stream = js
        .get_stream(subjects::EVENT_STREAM)
        .await
        .map_err(|e| FollowError::JetStream(e.to_string()))?;
    let message = stream
        .get_raw_message(head.seq)
        .await
        .map_err(|e| FollowError::JetStream(e.to_string()))?;
    match efa_proto::decode::<SealedEvent>(&message.payload) {
        Ok(event) if event.hash == head.hash => Ok(()),
        _ => Err(FollowError::Forked { seq: head.seq }),
    }
}

/// Follows the stream into `store` until `stop`, or, with `until`, until
/// the log reaches that sequence.
pub async fn follow(
    follower: &Follower,
    store: &LedgerStore,
    until: Option<u64>,
    stop: &CancellationToken,
) -> Result<(), FollowError> {
    check_prefix(&follower.js, store).await?;
    let mut head = store.durable_head()?;
    let last = stream_last(&follower.js).await?;
    report_caught_up(follower, head.seq >= last, head.seq);
    if until.is_some_and(|until| head.seq >= until) {
        return Ok(());
    }
    let config = OrderedConfig {
        description: Some("efa-ledger standby: follows the active ledger".to_owned()),
        filter_subject: subjects::EVENT_WILDCARD.to_owned(),
        deliver_policy: DeliverPolicy::ByStartSequence {
            start_sequence: head.seq + 1,
        },
        ..Default::default()
    };
    let jetstream_error = |e: &dyn std::fmt::Display| FollowError::JetStream(e.to_string());
    let consumer = follower
        .js
        .create_consumer_on_stream(config, subjects::EVENT_STREAM)
        .await
        .map_err(|e| jetstream_error(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| jetstream_error(&e))?;
    let mut window = Window::default();
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            message = messages.next() => message,
        };
        let message = match message {
            Some(Ok(message)) => message,
            Some(Err(error)) => return Err(jetstream_error(&error)),
            None => return Err(FollowError::JetStream("the consumer ended".to_owned())),
        };
        let pending = message.info().map_or(0, |info| info.pending);
        let expected = head.seq + window.events.len() as u64 + 1;
        let stream_seq = message.info().map_or(expected, |info| info.stream_sequence);
        if stream_seq < expected {
            // async-nats recreates an ordered consumer that has delivered
            // nothing yet (after missed heartbeats, as when a node of the
            // cluster was killed) from the stream's first message, not
            // from the start sequence asked for: follow again from the
            // head, before reading a message that is not ours to judge.
            // (An event out of place at the expected position is refused
            // by the chain check below.)
            return Err(FollowError::JetStream(format!(
                "the consumer started again at the stream's message {stream_seq} instead of {expected}"
            )));
        }
        let event: SealedEvent =
            efa_proto::decode(&message.payload).map_err(|e| FollowError::Refused {
                seq: expected,
                reason: e.to_string(),
            })?;
        let headers = message.headers.as_ref();
        let fingerprint = headers
            .and_then(|h| h.get(FINGERPRINT_HEADER))
            .and_then(|value| hex::decode(value.as_str()).ok())
            .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok())
            .unwrap_or(FINGERPRINT_UNKNOWN);
        let checkpoint = header_checkpoint(headers);
        window.push(event, fingerprint, checkpoint);
        let complete = pending == 0 || window.events.len() >= WINDOW_LEN_MAX;
        if complete && window.checkpoint.is_some() {
            head = write_window(follower, store, head, &mut window)?;
            report_caught_up(follower, pending == 0, head.seq);
            if until.is_some_and(|until| head.seq >= until) {
                return Ok(());
            }
        } else if window.events.len() > UNSIGNED_LEN_MAX {
            return Err(FollowError::Refused {
                seq: head.seq + window.events.len() as u64,
                reason: "no signed checkpoint on the stream's events".to_owned(),
            });
        }
    }
}

/// Tells the role loop whether the log reaches the stream's end, and the
/// log at which head (at info when it does again, else at debug).
fn report_caught_up(follower: &Follower, caught_up: bool, head: u64) {
    let was = follower.caught_up.send_replace(caught_up);
    if caught_up && !was {
        tracing::info!(head, "caught up with the stream");
    } else if caught_up {
        tracing::debug!(head, "caught up with the stream");
    }
}

fn header_checkpoint(headers: Option<&async_nats::HeaderMap>) -> Option<SignedCheckpoint> {
    let value = headers?.get(efa_proto::trust::CHECKPOINT_HEADER)?;
    SignedCheckpoint::from_header_value(value.as_str())
}

/// Events read but not yet written, up to the last signed one.
#[derive(Debug, Default)]
struct Window {
    events: Vec<(SealedEvent, Hash)>,
    /// The checkpoint of the last event that carried one, and how many
    /// events it covers.
    checkpoint: Option<(SignedCheckpoint, usize)>,
}

impl Window {
    fn push(
        &mut self,
        event: SealedEvent,
        fingerprint: Hash,
        checkpoint: Option<SignedCheckpoint>,
    ) {
        self.events.push((event, fingerprint));
        if let Some(checkpoint) = checkpoint {
            self.checkpoint = Some((checkpoint, self.events.len()));
        }
    }
}

/// Checks the window's signed part and writes it in one durable commit;
/// events after the last checkpoint wait for the next window.
fn write_window(
    follower: &Follower,
    store: &LedgerStore,
    head: Head,
    window: &mut Window,
) -> Result<Head, FollowError> {
    let Some((checkpoint, signed)) = window.checkpoint.take() else {
        return Ok(head);
    };
    let rest = window.events.split_off(signed);
    let signed = std::mem::replace(&mut window.events, rest);
    let new_head = take_in(store, &follower.key, head, signed, checkpoint)?;
    follower.head.send_replace(new_head.seq);
    Ok(new_head)
}

/// How long a standby waits before it follows again after the transport
/// failed.
pub const RETRY_DELAY: Duration = Duration::from_millis(200);
