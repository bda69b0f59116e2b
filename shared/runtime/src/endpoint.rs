//! Serving a NATS service endpoint: each request runs as its own task,
//! at most `in_flight_max` at once, until shutdown. Handlers take the raw
//! payload and return the encoded answer, so a malformed request is
//! answered by the handler with a typed rejection, never dropped.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Runs `handler` for every request on `endpoint` until `shutdown`.
pub async fn serve<H, F>(
    mut endpoint: async_nats::service::endpoint::Endpoint,
    in_flight_max: usize,
    shutdown: CancellationToken,
    handler: H,
) where
    H: Fn(Bytes) -> F + Send + Sync + 'static,
    F: Future<Output = Vec<u8>> + Send + 'static,
{
    let handler = Arc::new(handler);
    let permits = Arc::new(Semaphore::new(in_flight_max));
    let mut tasks = JoinSet::new();
    loop {
        let request = tokio::select! {
            _ = shutdown.cancelled() => break,
            request = endpoint.next() => match request {
                Some(request) => request,
                None => break,
            },
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let handler = handler.clone();
        tasks.spawn(async move {
            let answer = handler(request.message.payload.clone()).await;
            if let Err(error) = request.respond(Ok(answer.into())).await {
                tracing::warn!(%error, "could not send a reply");
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}
