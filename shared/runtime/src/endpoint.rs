//! Serving a NATS service endpoint: each request runs as its own task,
//! at most `in_flight_max` at once, until shutdown. Handlers take the raw
//! payload and return the encoded answer, so a malformed request is
//! answered by the handler with a typed rejection, never dropped.
//! [`serve`] waits for a free slot (the ledger's commands queue behind
//! the group commit); [`serve_or_refuse`] answers "busy" at once instead,
//! for queries that a caller would rather retry than wait for. A request
//! whose answer would go anywhere but a reply inbox is refused unanswered.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{Semaphore, TryAcquireError};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::rpc::TIMEOUT_HEADER;

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
    while let Some(request) = next_request(&mut endpoint, &shutdown).await {
        if !answers_to_an_inbox(&request) {
            continue;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let handler = handler.clone();
        let span = request_span(&request);
        tasks.spawn(
            async move {
                let answer = handler(request.message.payload.clone()).await;
                if let Err(error) = request.respond(Ok(answer.into())).await {
                    tracing::warn!(%error, "could not send a reply");
                }
                drop(permit);
            }
            .instrument(span),
        );
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Whether `request` asks for its answer in a reply inbox. The caller
/// names the subject an answer goes to, and the server lets a service
/// publish there under its own permissions: a request whose reply subject
/// is the event stream's or the JetStream API's would make the service
/// write into the stream or purge it. Such a request is refused unanswered
/// and logged; every client of the registry asks from its inbox.
fn answers_to_an_inbox(request: &async_nats::service::Request) -> bool {
    let reply = request.message.reply.as_deref().unwrap_or_default();
    let inbox = reply
        .strip_prefix(efa_proto::subjects::INBOX_PREFIX)
        .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1);
    if !inbox {
        tracing::warn!(
            subject = %request.message.subject,
            reply,
            "refused a request whose answer would go elsewhere than to a reply inbox"
        );
    }
    inbox
}

/// The span a request is handled in: its subject and request id.
fn request_span(request: &async_nats::service::Request) -> tracing::Span {
    crate::request_id::span(
        request.message.subject.as_str(),
        request.message.headers.as_ref(),
    )
}

/// The next request on `endpoint`; `None` at shutdown or when the
/// endpoint has ended.
async fn next_request(
    endpoint: &mut async_nats::service::endpoint::Endpoint,
    shutdown: &CancellationToken,
) -> Option<async_nats::service::Request> {
    tokio::select! {
        _ = shutdown.cancelled() => None,
        request = endpoint.next() => request,
    }
}

/// One request as [`serve_or_refuse`] hands it to its handler.
#[derive(Debug, Clone)]
pub struct Call {
    pub payload: Bytes,
    /// When the caller stops waiting, if it said so ([`TIMEOUT_HEADER`]).
    pub deadline: Option<Instant>,
    /// The HTTP request this call serves, if the caller said so
    /// ([`crate::request_id::HEADER`]).
    pub request_id: Option<String>,
}

impl Call {
    /// Whether the caller has given up already.
    pub fn abandoned(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }
}

/// Like [`serve`], but a request that finds no permit of `permits` free
/// (the requests in hand, shared by the endpoints given the same
/// semaphore) is not queued: it is answered at once with `busy()`, so
/// under overload a caller hears "busy" within a round trip instead of
/// waiting out its timeout. The handler learns the caller's deadline; an
/// answer finished after it is not sent (nobody listens any more).
pub async fn serve_or_refuse<H, F, B>(
    mut endpoint: async_nats::service::endpoint::Endpoint,
    permits: Arc<Semaphore>,
    shutdown: CancellationToken,
    handler: H,
    busy: B,
) where
    H: Fn(Call) -> F + Send + Sync + 'static,
    F: Future<Output = Vec<u8>> + Send + 'static,
    B: Fn() -> Vec<u8>,
{
    let handler = Arc::new(handler);
    let mut tasks = JoinSet::new();
    while let Some(request) = next_request(&mut endpoint, &shutdown).await {
        if !answers_to_an_inbox(&request) {
            continue;
        }
        let call = Call {
            payload: request.message.payload.clone(),
            deadline: deadline(request.message.headers.as_ref()),
            request_id: crate::request_id::of(request.message.headers.as_ref()),
        };
        let span = request_span(&request);
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                if let Err(error) = request.respond(Ok(busy().into())).await {
                    tracing::warn!(%error, "could not send a busy answer");
                }
                continue;
            }
            Err(TryAcquireError::Closed) => break,
        };
        let handler = handler.clone();
        tasks.spawn(
            async move {
                let deadline = call.deadline;
                let answer = if call.abandoned() {
                    None
                } else {
                    Some(handler(call).await)
                };
                let late = deadline.is_some_and(|deadline| Instant::now() >= deadline);
                drop(permit);
                match answer.filter(|_| !late) {
                    Some(answer) => {
                        if let Err(error) = request.respond(Ok(answer.into())).await {
                            tracing::warn!(%error, "could not send a reply");
                        }
                    }
                    None => tracing::debug!("the caller has gone; no answer sent"),
                }
            }
            .instrument(span),
        );
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// The caller's deadline from its [`TIMEOUT_HEADER`], counted from now.
fn deadline(headers: Option<&async_nats::HeaderMap>) -> Option<Instant> {
    let millis: u64 = headers?.get(TIMEOUT_HEADER)?.as_str().parse().ok()?;
    Instant::now().checked_add(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_comes_from_the_timeout_header() {
        let mut headers = async_nats::HeaderMap::new();
        assert_eq!(deadline(None), None);
        assert_eq!(deadline(Some(&headers)), None);
        headers.insert(TIMEOUT_HEADER, "soon");
        assert_eq!(deadline(Some(&headers)), None, "not a number");
        headers.insert(TIMEOUT_HEADER, "60000");
        let until = deadline(Some(&headers)).expect("a deadline");
        assert!(until > Instant::now() + Duration::from_secs(50));
        let call = Call {
            payload: Bytes::new(),
            deadline: Some(Instant::now()),
            request_id: None,
        };
        assert!(call.abandoned());
    }
}
