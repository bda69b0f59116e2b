//! Typed request/reply: encode with the `proto` codec, send, decode the
//! answer. Transport failures and undecodable answers are told apart from
//! the typed rejections inside a decoded answer. Every request carries
//! its timeout in the header [`TIMEOUT_HEADER`], so a service can tell
//! when its caller will have given up and stop working for it.

use std::time::Duration;

use bytes::Bytes;

use efa_proto::codec::{DecodeError, decode, encode};
use serde::{Serialize, de::DeserializeOwned};

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error("no service answers on {subject}")]
    NoResponders { subject: String },
    #[error("request on {subject} timed out after {timeout_ms} ms")]
    TimedOut { subject: String, timeout_ms: u64 },
    #[error("request on {subject} failed: {reason}")]
    Transport { subject: String, reason: String },
    #[error("answer on {subject} could not be decoded: {source}")]
    Decode {
        subject: String,
        #[source]
        source: DecodeError,
    },
}

/// The header that tells a service how many milliseconds the caller waits
/// for the answer, counted from when the request arrives.
pub const TIMEOUT_HEADER: &str = "Efa-Timeout-Ms";

/// Sends `request` on `subject` and waits at most `timeout` for the answer.
pub async fn request<Req, Rep>(
    client: &async_nats::Client,
    subject: &str,
    request: &Req,
    timeout: Duration,
) -> Result<Rep, RpcError>
where
    Req: Serialize,
    Rep: DeserializeOwned,
{
    send_encoded(client, subject, encode(request).into(), timeout).await
}

/// Sends an encoded request once and waits at most `timeout` for the
/// answer: [`request`] without the encoding, so that a retry
/// ([`crate::retry`]) sends the very same bytes again.
pub(crate) async fn send_encoded<Rep>(
    client: &async_nats::Client,
    subject: &str,
    payload: Bytes,
    timeout: Duration,
) -> Result<Rep, RpcError>
where
    Rep: DeserializeOwned,
{
    let answer = send_bytes(client, subject, payload, timeout).await?;
    decode(&answer).map_err(|source| RpcError::Decode {
        subject: subject.to_owned(),
        source,
    })
}

/// Sends bytes once and waits at most `timeout` for the answer's bytes,
/// with the timeout and request id headers every request carries: for a
/// service that hands a request on as it came.
pub async fn send_bytes(
    client: &async_nats::Client,
    subject: &str,
    payload: Bytes,
    timeout: Duration,
) -> Result<Bytes, RpcError> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(TIMEOUT_HEADER, timeout.as_millis().to_string().as_str());
    if let Some(id) = crate::request_id::current() {
        headers.insert(crate::request_id::HEADER, id.as_str());
    }
    let message = async_nats::Request::new()
        .payload(payload)
        .headers(headers)
        .timeout(Some(timeout));
    let answer = client
        .send_request(subject.to_owned(), message)
        .await
        .map_err(|e| {
            use async_nats::RequestErrorKind as Kind;
            match e.kind() {
                Kind::NoResponders => RpcError::NoResponders {
                    subject: subject.to_owned(),
                },
                Kind::TimedOut => RpcError::TimedOut {
                    subject: subject.to_owned(),
                    timeout_ms: timeout.as_millis() as u64,
                },
                _ => RpcError::Transport {
                    subject: subject.to_owned(),
                    reason: e.to_string(),
                },
            }
        })?;
    Ok(answer.payload)
}
