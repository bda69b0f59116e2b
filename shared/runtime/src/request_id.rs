//! The id of one HTTP request, carried with everything it causes, so its
//! path through the gateway, the ledger and the projector can be followed
//! in the logs by one value. The gateway sets it for the task that serves
//! the request ([`scope`]); [`crate::request`] sends it along in the NATS
//! header [`HEADER`]; the service endpoints ([`crate::endpoint`]) read it
//! and run the handler in a span that carries it.

use std::future::Future;

/// The NATS header that carries the request id.
pub const HEADER: &str = "Efa-Request-Id";
/// The longest id taken from outside.
const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    CURRENT.scope(id, future).await
}

/// The current request id, if the task runs in a [`scope`].
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Whether `id` may serve as a request id: 1 to 64 letters, digits, `-`,
/// `_` or `.` (nothing that could forge a log line).
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The request id of a NATS message, if it carries a valid one.
pub fn of(headers: Option<&async_nats::HeaderMap>) -> Option<String> {
    let id = headers?.get(HEADER)?.as_str();
    is_valid(id).then(|| id.to_owned())
}

/// The span a service handles one NATS request in.
pub fn span(subject: &str, headers: Option<&async_nats::HeaderMap>) -> tracing::Span {
    let id = of(headers);
    tracing::info_span!(
        "nats_request",
        subject,
        request_id = id.as_deref().unwrap_or("-")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_current_inside_its_scope_only() {
        assert_eq!(current(), None);
        let inside = scope("abc-1".to_owned(), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("abc-1"));
        assert_eq!(current(), None);
    }

    #[test]
    fn only_plain_ids_are_taken() {
        assert!(is_valid("0f3a-b_c.d"));
        for bad in ["", "a b", "a\nb", "ä", &"x".repeat(65)] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(HEADER, "req-7");
        assert_eq!(of(Some(&headers)).as_deref(), Some("req-7"));
        assert_eq!(of(None), None);
    }
}
