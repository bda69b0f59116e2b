//! One way to connect to NATS, with reconnects that never give up: the
//! services must come back by themselves after a NATS restart.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("connect to NATS at {url}: {source}")]
pub struct ConnectError {
    pub url: String,
    #[source]
    pub source: async_nats::ConnectError,
}

/// Connects to `url`, naming the connection after the service. Waits for
/// the server on the first connect (it may still be starting).
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client, ConnectError> {
    async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((50 * attempts as u64).min(1_000))
        })
        .connect(url)
        .await
        .map_err(|source| ConnectError {
            url: url.to_owned(),
            source,
        })
}
