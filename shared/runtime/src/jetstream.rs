//! The JetStream stream `EFA_EVENTS`, which mirrors the ledger one to one:
//! stream sequence N holds ledger event N. It keeps everything (no age or
//! size limit that would drop events) and deduplicates by `Nats-Msg-Id`.

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

pub fn event_stream_config() -> stream::Config {
    let replicas = replicas();
    stream::Config {
        name: subjects::EVENT_STREAM.to_owned(),
        description: Some("efa-registry events, one message per ledger sequence".to_owned()),
        subjects: vec![subjects::EVENT_WILDCARD.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::New,
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
