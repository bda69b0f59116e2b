//! Consuming the event stream: an ordered pull consumer from the
//! checkpoint on (a projector far behind first catches up from the
//! ledger's read API, a page per commit), each message applied in ledger
//! order once the ledger's
//! signature covers it (`signatures.rs`: a window of events is held until
//! the signed checkpoint on its last event, then checked at once). A
//! missing or unreadable event, one that does not continue the chain, a
//! window whose signature fails or whose checkpoint never comes: each is
//! refused and the true events are read from the ledger, so a bad message
//! never stops the views. A broken chain in what the ledger itself signed
//! stops the projector. When the consumer fails (a NATS restart, a ledger that
//! could not fill a gap) it is recreated from the checkpoint after a
//! backoff, so the projector comes back by itself.
//!
//! The applier is shared with the rebuild, which holds it for a moment
//! to swap in a new store; the consumer takes it for each message.
//!
//! An ordered consumer lives in the server's memory, so a restarted server
//! has lost it. The client library notices that only after its own retries
//! (about 15 s); watching the server's id notices it within a second.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use efa_proto::{SealedEvent, subjects};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::ProjectorError;
use crate::apply::{Applier, ApplyError, Checked, SharedApplier};
use crate::gap::{GapError, Ledger};
use crate::live_rebuild::Rebuilder;
use crate::signatures::{self, Window};

const BACKOFF_FIRST: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Behind the ledger by this many events or more, the consumer first
/// catches up from the ledger's read API in pages.
const CATCH_UP_FROM_LEDGER_MIN: u64 = 5_000;
/// How long the consumer waits for the ledger to tell its head before it
/// simply starts consuming the stream.
const LEDGER_HEAD_WAIT: Duration = Duration::from_secs(2);
const LEDGER_HEAD_RETRY: Duration = Duration::from_millis(100);
/// How often the consumer checks whether the server was restarted.
const SERVER_CHECK_EVERY: Duration = Duration::from_secs(1);

/// How an empty store far behind the ledger is filled: by the rebuilder,
/// in a new store version (`live_rebuild.rs`), when it is at least
/// `events_min` behind.
pub struct EmptyFill {
    pub rebuilder: Arc<Rebuilder>,
    pub events_min: u64,
}

/// Why one run of the consumer ended.
enum Stop {
    Shutdown,
    /// The client reconnected to a restarted server, which lost the consumer.
    ServerRestarted,
    /// Worth recreating the consumer for.
    Retry(String),
    /// So far behind the stream's end that reading the ledger's pages is
    /// faster: recreate the consumer after catching up.
    FarBehind {
        pending: u64,
    },
    /// Going on would build a view on a broken chain.
    Fatal(ProjectorError),
}

/// Consumes until `shutdown`, or until the chain turns out broken.
pub async fn run(
    applier: SharedApplier,
    js: jetstream::Context,
    ledger: Ledger,
    empty: EmptyFill,
    shutdown: CancellationToken,
) -> Result<(), ProjectorError> {
    let mut backoff = BACKOFF_FIRST;
    loop {
        let Some(before) = checkpoint(&applier, &shutdown).await else {
            return Ok(());
        };
        match consume(&applier, &js, &ledger, &empty, &shutdown).await {
            Stop::Shutdown => return Ok(()),
            Stop::ServerRestarted => {
                tracing::info!("NATS server restarted; recreating the consumer");
                backoff = BACKOFF_FIRST;
            }
            Stop::FarBehind { pending } => {
                tracing::info!(
                    pending,
                    "far behind the stream; catching up from the ledger"
                );
                backoff = BACKOFF_FIRST;
                continue;
            }
            Stop::Fatal(error) => {
                tracing::error!(%error, "stopped consuming events");
                return Err(error);
            }
            Stop::Retry(reason) => {
                let Some(checkpoint) = checkpoint(&applier, &shutdown).await else {
                    return Ok(());
                };
                if checkpoint > before {
                    backoff = BACKOFF_FIRST;
                }
                let retry_in_ms = backoff.as_millis() as u64;
                tracing::error!(%reason, checkpoint, retry_in_ms, "event consumer failed");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// The applier's checkpoint sequence; `None` on shutdown.
async fn checkpoint(applier: &SharedApplier, shutdown: &CancellationToken) -> Option<u64> {
    tokio::select! {
        _ = shutdown.cancelled() => None,
        applier = applier.lock() => Some(applier.checkpoint().seq),
    }
}

/// One ordered consumer from the checkpoint on, until it fails.
async fn consume(
    applier: &SharedApplier,
    js: &jetstream::Context,
    ledger: &Ledger,
    empty: &EmptyFill,
    shutdown: &CancellationToken,
) -> Stop {
    let caught_up = catch_up_from_ledger(applier, ledger, empty, shutdown).await;
    // However it ended (the ledger's head unknown in time, a fill, an
    // error), queries no longer wait for the empty store to settle.
    empty.rebuilder.settled();
    if let Err(stop) = caught_up {
        return stop;
    }
    let Some(checkpoint) = checkpoint(applier, shutdown).await else {
        return Stop::Shutdown;
    };
    let start_sequence = checkpoint + 1;
    let config = OrderedConfig {
        description: Some("efa-projector: builds the views".to_owned()),
        filter_subject: subjects::EVENT_WILDCARD.to_owned(),
        deliver_policy: DeliverPolicy::ByStartSequence { start_sequence },
        ..Default::default()
    };
    let consumer = match js
        .create_consumer_on_stream(config, subjects::EVENT_STREAM)
        .await
    {
        Ok(consumer) => consumer,
        Err(error) => return Stop::Retry(format!("create the consumer: {error}")),
    };
    let mut messages = match consumer.messages().await {
        Ok(messages) => messages,
        Err(error) => return Stop::Retry(format!("subscribe to the consumer: {error}")),
    };
    let server_id = js.client().server_info().server_id;
    let mut server_check = tokio::time::interval(SERVER_CHECK_EVERY);
    let mut window = Window::default();
    tracing::info!(start_sequence, "consuming events");
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => return Stop::Shutdown,
            _ = server_check.tick() => {
                if js.client().server_info().server_id != server_id {
                    return Stop::ServerRestarted;
                }
                continue;
            }
            _ = tokio::time::sleep(window.wait_left()), if !window.is_empty() => {
                let mut guard = tokio::select! {
                    _ = shutdown.cancelled() => return Stop::Shutdown,
                    guard = applier.lock() => guard,
                };
                if let Err(stop) = on_overdue(&mut guard, ledger, &mut window, shutdown).await {
                    return stop;
                }
                continue;
            }
            message = messages.next() => message,
        };
        let message = match message {
            Some(Ok(message)) => message,
            Some(Err(error)) => return Stop::Retry(format!("receive an event: {error}")),
            None => return Stop::Retry("the consumer ended".to_owned()),
        };
        let mut guard = tokio::select! {
            _ = shutdown.cancelled() => return Stop::Shutdown,
            guard = applier.lock() => guard,
        };
        let result = match decode(&message) {
            Ok(event) => {
                let checkpoint = signatures::header_checkpoint(message.headers.as_ref());
                let arrived = Arrived { event, checkpoint };
                on_event(&mut guard, ledger, &mut window, arrived, shutdown).await
            }
            Err(stream_seq) => {
                window.take();
                on_unreadable(&mut guard, ledger, stream_seq, shutdown).await
            }
        };
        drop(guard);
        if let Err(stop) = result {
            return stop;
        }
        let pending = message.info().map_or(0, |info| info.pending);
        if pending >= CATCH_UP_FROM_LEDGER_MIN {
            return Stop::FarBehind { pending };
        }
    }
}

/// Far behind the ledger (a new replica, a long pause, an empty store):
/// reads the ledger's pages instead, which are applied a page per commit,
/// where the stream would deliver one event per commit. The stream takes
/// over from where this ends.
async fn catch_up_from_ledger(
    applier: &SharedApplier,
    ledger: &Ledger,
    empty: &EmptyFill,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    // At start-up the ledger may not serve its read API yet (no
    // responders answers at once): ask again until the wait is over.
    let deadline = tokio::time::Instant::now() + LEDGER_HEAD_WAIT;
    let head = loop {
        if let Some(head) = ledger.head(LEDGER_HEAD_WAIT).await {
            break head;
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Err(Stop::Shutdown),
            _ = tokio::time::sleep(LEDGER_HEAD_RETRY) => {}
        }
    };
    let mut guard = tokio::select! {
        _ = shutdown.cancelled() => return Err(Stop::Shutdown),
        guard = applier.lock() => guard,
    };
    let behind = head.saturating_sub(guard.checkpoint().seq);
    if guard.checkpoint().seq == 0 && behind >= empty.events_min {
        drop(guard);
        if empty.rebuilder.fill_empty(head).await {
            return Ok(());
        }
        // Not filled (the rebuilder said why): the ordinary catch-up
        // follows, unless the projector is stopping.
        if shutdown.is_cancelled() {
            return Err(Stop::Shutdown);
        }
        guard = tokio::select! {
            _ = shutdown.cancelled() => return Err(Stop::Shutdown),
            guard = applier.lock() => guard,
        };
    }
    // No fill: an empty store catches up as any other, answering meanwhile.
    empty.rebuilder.settled();
    if behind < CATCH_UP_FROM_LEDGER_MIN {
        return Ok(());
    }
    tracing::info!(behind, head, "catching up from the ledger's read API");
    ledger
        .fill(&mut guard, head, shutdown)
        .await
        .map_err(gap_stop)
}

/// The event in `message`, or the stream sequence of a message that holds
/// no valid event.
fn decode(message: &jetstream::Message) -> Result<SealedEvent, Option<u64>> {
    let stream_seq = message.info().ok().map(|info| info.stream_sequence);
    match efa_proto::decode::<SealedEvent>(&message.payload) {
        Ok(event) if event.hash_is_valid() => Ok(event),
        Ok(event) => {
            metrics::counter!(signatures::EVENTS_REFUSED).increment(1);
            tracing::error!(
                stream_seq,
                seq = event.record.seq,
                "event on the stream fails its hash; reading it from the ledger"
            );
            Err(stream_seq)
        }
        Err(error) => {
            metrics::counter!(signatures::EVENTS_REFUSED).increment(1);
            tracing::error!(
                stream_seq,
                %error,
                "undecodable message on the stream; reading it from the ledger"
            );
            Err(stream_seq)
        }
    }
}

/// An event from the stream and the signed checkpoint its message carried.
struct Arrived {
    event: SealedEvent,
    checkpoint: Option<efa_proto::SignedCheckpoint>,
}

/// Holds the event in the window if it continues the chain, and applies
/// the window once a valid checkpoint covers it. A gap before the event is
/// filled from the ledger first; an event that does not continue the
/// chain, or a window whose check fails, is refused and the ledger's
/// events up to it are applied instead.
async fn on_event(
    applier: &mut Applier,
    ledger: &Ledger,
    window: &mut Window,
    arrived: Arrived,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    let Arrived { event, checkpoint } = arrived;
    let seq = event.record.seq;
    let last = |applier: &Applier, window: &Window| match window.last() {
        Some(held) => (held.record.seq, held.hash),
        None => (applier.checkpoint().seq, applier.checkpoint().hash),
    };
    let (mut last_seq, mut last_hash) = last(applier, window);
    if seq <= last_seq {
        return Ok(());
    }
    if seq > last_seq + 1 {
        // The ledger has what is missing (and what is held), signed.
        window.take();
        ledger
            .fill(applier, seq - 1, shutdown)
            .await
            .map_err(gap_stop)?;
        (last_seq, last_hash) = last(applier, window);
    }
    if seq != last_seq + 1 || event.record.prev_hash != last_hash {
        signatures::refused(1, seq, "the event does not continue the hash chain");
        return from_ledger(applier, ledger, window, seq, shutdown).await;
    }
    window.push(event);
    match checkpoint {
        Some(checkpoint) => apply_window(applier, ledger, window, &checkpoint, shutdown).await,
        None if window.overdue() => on_overdue(applier, ledger, window, shutdown).await,
        None => Ok(()),
    }
}

/// Checks the held window against `checkpoint` with one signature and
/// applies it, or refuses it and applies the ledger's events instead.
async fn apply_window(
    applier: &mut Applier,
    ledger: &Ledger,
    window: &mut Window,
    checkpoint: &efa_proto::SignedCheckpoint,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    let key = ledger.public_key().await.map_err(Stop::Retry)?;
    let prev = (applier.checkpoint().seq, applier.checkpoint().hash);
    let through = window.last().map_or(prev.0, |e| e.record.seq);
    if let Err(broken) = signatures::check(key, prev, window.events(), Some(checkpoint)) {
        signatures::refused(
            window.len(),
            broken.seq,
            "the window fails the ledger's signature",
        );
        return from_ledger(applier, ledger, window, through, shutdown).await;
    }
    // One commit for the whole window.
    applier
        .apply_checked_in_async(&Checked::after_check(window.take()))
        .map(drop)
        .map_err(apply_stop)
}

/// Events held too long (or too many) without a signed checkpoint: they
/// are refused and read from the ledger.
async fn on_overdue(
    applier: &mut Applier,
    ledger: &Ledger,
    window: &mut Window,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    let Some(through) = window.last().map(|e| e.record.seq) else {
        return Ok(());
    };
    signatures::refused(
        window.len(),
        through,
        "no signed checkpoint covers the events",
    );
    from_ledger(applier, ledger, window, through, shutdown).await
}

/// Drops the held events and applies the ledger's own up to `through`.
async fn from_ledger(
    applier: &mut Applier,
    ledger: &Ledger,
    window: &mut Window,
    through: u64,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    window.take();
    ledger
        .fill(applier, through, shutdown)
        .await
        .map_err(gap_stop)
}

/// Stream sequence N holds ledger event N, so an unreadable message at N
/// is replaced by the ledger's events up to N.
async fn on_unreadable(
    applier: &mut Applier,
    ledger: &Ledger,
    stream_seq: Option<u64>,
    shutdown: &CancellationToken,
) -> Result<(), Stop> {
    let Some(through) = stream_seq else {
        return Err(Stop::Retry("a message without stream metadata".to_owned()));
    };
    if through <= applier.checkpoint().seq {
        return Ok(());
    }
    ledger
        .fill(applier, through, shutdown)
        .await
        .map_err(gap_stop)
}

fn gap_stop(error: GapError) -> Stop {
    match error {
        GapError::Cancelled => Stop::Shutdown,
        GapError::Apply(error) => apply_stop(error),
        GapError::Ledger { .. } => Stop::Retry(error.to_string()),
    }
}

fn apply_stop(error: ApplyError) -> Stop {
    match error {
        ApplyError::BrokenChain { seq, .. } | ApplyError::BadHash { seq } => {
            Stop::Fatal(ProjectorError::BrokenChain {
                seq,
                detail: error.to_string(),
            })
        }
        // The ledger answered out of order: reading again may help.
        ApplyError::Gap { .. } => Stop::Retry(error.to_string()),
        ApplyError::Store(error) => Stop::Fatal(ProjectorError::Store(error)),
        // Only a rebuild swaps stores, and it checks before it swaps; only
        // a rebuild's or a fill's applier defers pages.
        ApplyError::NotAtCheckpoint { .. } | ApplyError::DeferredPagesLost => {
            Stop::Retry(error.to_string())
        }
    }
}
