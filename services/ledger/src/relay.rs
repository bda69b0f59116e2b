//! The outbox relay: the ledger's own log is the outbox. The relay
//! publishes events to the JetStream stream from the position the stream
//! confirms, each with its event id as `Nats-Msg-Id` and the expected last
//! stream sequence, so stream sequence N is always ledger event N. When
//! NATS is away the ledger keeps appending; the relay catches up when it
//! is back. The last event of every window carries the ledger's signed
//! checkpoint of it in a header (`Efa-Checkpoint`), so a consumer checks
//! a window with one signature.
//!
//! Sequence numbers alone do not prove that the stream holds the ledger's
//! events: anyone allowed to publish there could have put a message at
//! the next sequence first. So whenever the relay learns the stream's
//! position it compares the message there with the ledger's event id at
//! that sequence (`Nats-Msg-Id`), walking back to the last one that
//! agrees. A stream that disagrees is reported (an error line and
//! `efa_ledger_stream_disagreements_total`) and repaired: the stream is
//! recreated to start at the first sequence that disagreed
//! (`first_sequence`), and the relay publishes the ledger's events from
//! there. Consumers that were further back fill their gap from the
//! ledger's read API. Repairing needs the right to delete the stream,
//! which the ledger's NATS user has for this stream alone.
//!
//! On one machine the stream keeps only the newest events
//! (`efa_runtime::jetstream::KEPT_ON_ONE_REPLICA`): a new stream for a
//! longer log starts with the first of them, and a stream an earlier
//! version made to keep everything is replaced, once it agrees, by a new
//! one from the next event.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind};
use efa_proto::subjects;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::store::{LedgerStore, StoredEvent};

/// Events published per round before waiting for their acks, each round
/// one signed window: as large as a projector holds while it waits for a
/// window's checkpoint (its own `WINDOW_LEN_MAX`), so one signature covers
/// as many events as a consumer accepts.
const WINDOW_LEN_MAX: usize = 1024;
const ACK_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(2);
/// How far back the relay looks for the last message that agrees.
const COMPARE_LEN_MAX: u64 = 10_000;
/// Counts streams found disagreeing with the ledger.
pub const STREAM_DISAGREEMENTS: &str = "efa_ledger_stream_disagreements_total";

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error("the stream is ahead of the ledger ({stream} > {ledger}); refusing to publish")]
    StreamAhead { stream: u64, ledger: u64 },
    #[error("read ledger: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl RelayError {
    fn jetstream(error: impl std::fmt::Display) -> Self {
        Self::JetStream(error.to_string())
    }
}

/// Publishes until shutdown, waking whenever the ledger head moves.
pub async fn run(
    js: jetstream::Context,
    store: Arc<LedgerStore>,
    key: Option<Arc<efa_trust::SigningKey>>,
    mut head: watch::Receiver<u64>,
    published: watch::Sender<u64>,
    shutdown: CancellationToken,
) {
    let mut delay = Duration::from_millis(50);
    let mut confirmed: Option<u64> = None;
    loop {
        let result = match confirmed {
            None => stream_position(&js, &store).await.map(|seq| {
                confirmed = Some(seq);
            }),
            Some(from) => {
                let head_seq = *head.borrow();
                publish_window(&js, &store, key.as_deref(), from, head_seq)
                    .await
                    .map(|seq| {
                        confirmed = Some(seq);
                    })
            }
        };
        match result {
            Ok(()) => {
                delay = Duration::from_millis(50);
                let done = confirmed.unwrap_or(0);
                published.send_replace(done);
                // A long way behind (the first start on a large log, NATS
                // away for hours), the relay stops between two windows
                // instead of holding the ledger's shutdown until it caught
                // up; the next start goes on from the stream's position.
                if shutdown.is_cancelled() {
                    return;
                }
                if done < *head.borrow_and_update() {
                    continue;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    changed = head.changed() => if changed.is_err() { return },
                }
            }
            Err(error) => {
                if matches!(error, RelayError::StreamAhead { .. }) {
                    tracing::error!(%error, "outbox relay halted");
                    shutdown.cancelled().await;
                    return;
                }
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "outbox relay paused");
                confirmed = None;
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(RETRY_DELAY_MAX);
            }
        }
    }
}

/// The last sequence the stream holds that agrees with the ledger
/// (creating the stream if needed, repairing it if it disagrees).
async fn stream_position(js: &jetstream::Context, store: &LedgerStore) -> Result<u64, RelayError> {
    let mut stream = efa_runtime::jetstream::ensure_event_stream(js)
        .await
        .map_err(RelayError::jetstream)?;
    let info = stream.info().await.map_err(RelayError::jetstream)?;
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let earlier_version = of_an_earlier_version(&info.config);
    if last == 0
        && let Some(start) = first_kept(store.durable_seq(), info.config.max_messages)
    {
        // A new stream that keeps only the newest events starts with the
        // first of them instead of taking the whole log and dropping it.
        tracing::info!(
            first_sequence = start,
            "starting the new event stream with the newest events it keeps"
        );
        recreate_from(js, start).await?;
        return Ok(start - 1);
    }
    let Some(from) = first_disagreement(&stream, store, first, last).await? else {
        if earlier_version {
            // It keeps everything, on a subject per stream: a new stream
            // goes on from the next event, and the ledger keeps what the
            // old one held for whoever is further behind.
            tracing::info!(
                first_sequence = last + 1,
                "replacing the event stream of an earlier version by one that keeps the newest events"
            );
            recreate_from(js, last + 1).await?;
        }
        return Ok(last);
    };
    metrics::counter!(STREAM_DISAGREEMENTS).increment(1);
    tracing::error!(
        from,
        stream_last = last,
        ledger_head = store.durable_seq(),
        "the event stream disagrees with the ledger; recreating it from the first message that disagrees"
    );
    recreate_from(js, from).await?;
    Ok(from - 1)
}

/// Whether a stream that agrees with the ledger was made by an earlier
/// version on one machine: one that should keep only the newest events
/// but keeps everything. (A replicated stream keeps everything by its
/// configuration, and a cluster has no relay.)
fn of_an_earlier_version(config: &jetstream::stream::Config) -> bool {
    let wanted = efa_runtime::jetstream::event_stream_config();
    wanted.max_messages > 0 && config.max_messages != wanted.max_messages
}

/// The first sequence a new stream keeping at most `max_messages` (-1:
/// all) holds of a log whose head is `head`, where that is not the first.
fn first_kept(head: u64, max_messages: i64) -> Option<u64> {
    let kept = u64::try_from(max_messages).ok().filter(|&kept| kept > 0)?;
    (head > kept).then(|| head - kept + 1)
}

/// Deletes the stream and creates it again to start at sequence `from`.
async fn recreate_from(js: &jetstream::Context, from: u64) -> Result<(), RelayError> {
    js.delete_stream(subjects::EVENT_STREAM)
        .await
        .map_err(RelayError::jetstream)?;
    let config = async_nats::jetstream::stream::Config {
        first_sequence: Some(from),
        ..efa_runtime::jetstream::event_stream_config()
    };
    js.create_stream(config)
        .await
        .map_err(RelayError::jetstream)?;
    Ok(())
}

/// The first sequence, walking back from `last`, from which the stream no
/// longer holds the ledger's events (by event id); `None` if the last
/// message agrees (or the stream is empty).
async fn first_disagreement(
    stream: &jetstream::stream::Stream,
    store: &LedgerStore,
    first: u64,
    last: u64,
) -> Result<Option<u64>, RelayError> {
    if last == 0 || last < first {
        return Ok(None);
    }
    let lowest = first.max(1).max(last.saturating_sub(COMPARE_LEN_MAX));
    let mut seq = last;
    while seq >= lowest && seq > 0 {
        let ledger_id = store.event(seq)?.map(|e| e.record.event_id.to_string());
        let stream_id = match stream.get_raw_message(seq).await {
            Ok(message) => message
                .headers
                .get("Nats-Msg-Id")
                .map(|id| id.as_str().to_owned()),
            Err(_) => None,
        };
        if ledger_id.is_some() && ledger_id == stream_id {
            return Ok((seq < last).then_some(seq + 1));
        }
        seq -= 1;
    }
    Ok(Some(seq + 1))
}

/// Event `stored` as a stream message: its id for the stream's duplicate
/// check, the sequence the stream must hold before it (so stream sequence
/// N is ledger event N), and a signed checkpoint where one is given.
pub(crate) fn event_message(
    stored: &StoredEvent,
    checkpoint: Option<&efa_proto::SignedCheckpoint>,
) -> jetstream::message::PublishMessage {
    let record = &stored.event.record;
    let message = jetstream::message::PublishMessage::build()
        .payload(stored.encoded.clone().into())
        .message_id(record.event_id.to_string())
        .expected_last_sequence(record.seq - 1);
    match checkpoint {
        Some(checkpoint) => message.header(
            efa_proto::trust::CHECKPOINT_HEADER,
            checkpoint.to_header_value().as_str(),
        ),
        None => message,
    }
}

/// Publishes events after `from` up to `head` (one window) and returns the
/// last sequence the stream confirmed.
async fn publish_window(
    js: &jetstream::Context,
    store: &LedgerStore,
    key: Option<&efa_trust::SigningKey>,
    from: u64,
    head: u64,
) -> Result<u64, RelayError> {
    if from > head {
        return Err(RelayError::StreamAhead {
            stream: from,
            ledger: head,
        });
    }
    if from == head {
        return Ok(from);
    }
    // The store reads only durable events, up to `head` at least.
    let events = store.events_from(from + 1, WINDOW_LEN_MAX)?;
    if events.is_empty() {
        // Below the head the log has no gap; reading nothing is damage.
        return Err(crate::store::StoreError::MissingEvent { seq: from + 1 }.into());
    }
    let mut acks = Vec::with_capacity(events.len());
    let last_seq = events.last().map_or(0, |e| e.event.record.seq);
    for stored in &events {
        let event = &stored.event;
        let checkpoint = key
            .filter(|_| event.record.seq == last_seq)
            .map(|key| efa_trust::sign_checkpoint(key, last_seq, &event.hash));
        let message = event_message(stored, checkpoint.as_ref());
        let ack = js
            .send_publish(subjects::event_subject(&event.record.stream), message)
            .await
            .map_err(RelayError::jetstream)?;
        acks.push((event.record.seq, ack));
    }
    let mut confirmed = from;
    for (seq, ack) in acks {
        match tokio::time::timeout(ACK_TIMEOUT, ack).await {
            Ok(Ok(_)) => confirmed = seq,
            Ok(Err(error)) if error.kind() == PublishErrorKind::WrongLastSequence => {
                // Published before (an ack was lost): re-read the position.
                return Err(RelayError::JetStream(format!(
                    "stream moved on at ledger seq {seq}: {error}"
                )));
            }
            Ok(Err(error)) => return Err(RelayError::jetstream(error)),
            Err(_) => {
                return Err(RelayError::JetStream(format!(
                    "no ack for ledger seq {seq}"
                )));
            }
        }
    }
    Ok(confirmed)
}
