//! The JetStream stream `EFA_EVENTS`, in which stream sequence N holds
//! ledger event N, deduplicated by `Nats-Msg-Id`.
//! Replicated on a cluster, it is the log itself and keeps everything. On
//! one machine (one replica) the ledger is the log and the stream only
//! hands its newest events on: it keeps the newest `KEPT_ON_ONE_REPLICA`,
//! and a consumer further behind reads what it misses from the ledger's
//! read API, as it does after any gap.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use efa_proto::{codec::MESSAGE_BYTES_MAX, subjects};

#[derive(Debug, thiserror::Error)]
#[error("set up the JetStream stream {name}: {reason}")]
pub struct StreamSetupError {
    pub name: String,
    pub reason: String,
}

/// Replicas of the event stream: 1 on one machine; 3 on a cluster
/// (`EFA_STREAM_REPLICAS=3`), so that losing a node loses no event.
pub const REPLICAS_ENV: &str = "EFA_STREAM_REPLICAS";

/// The replicas asked for in `EFA_STREAM_REPLICAS` (1 if unset).
pub fn replicas() -> usize {
    std::env::var(REPLICAS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// How many of the newest events a stream of one replica keeps (about
/// 300 MB at Germany's sizes of event). A projector behind by more than
/// a few thousand events catches up from the ledger's read API before it
/// reads the stream, so it never needs more.
pub const KEPT_ON_ONE_REPLICA: i64 = 1_000_000;

pub fn event_stream_config() -> stream::Config {
    let replicas = replicas();
    // A replicated stream is a cluster's log: nothing may be dropped, and
    // a full one refuses new events. One replica keeps the newest events.
    let (max_messages, discard) = if replicas > 1 {
        (-1, stream::DiscardPolicy::New)
    } else {
        (KEPT_ON_ONE_REPLICA, stream::DiscardPolicy::Old)
    };
    stream::Config {
        name: subjects::EVENT_STREAM.to_owned(),
        description: Some("efa-registry events, one message per ledger sequence".to_owned()),
        subjects: vec![subjects::EVENT_WILDCARD.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        max_messages,
        discard,
        max_message_size: MESSAGE_BYTES_MAX as i32,
        duplicate_window: Duration::from_secs(120),
        allow_direct: true,
        num_replicas: replicas,
        ..Default::default()
    }
}

/// Creates the event stream, or returns it if it exists.
pub async fn ensure_event_stream(
    js: &jetstream::Context,
) -> Result<stream::Stream, StreamSetupError> {
    js.get_or_create_stream(event_stream_config())
        .await
        .map_err(|e| StreamSetupError {
            name: subjects::EVENT_STREAM.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_replica_keeps_the_newest_events_and_drops_the_oldest() {
        // No test of this crate sets `EFA_STREAM_REPLICAS`.
        let config = event_stream_config();
        assert_eq!(config.num_replicas, 1);
        assert_eq!(config.max_messages, KEPT_ON_ONE_REPLICA);
        assert_eq!(config.discard, stream::DiscardPolicy::Old);
    }
}
