//! Following a request: every request gets an id (the caller's
//! `X-Request-Id` if it is a plain one, else a new one), answered in the
//! same header, set as the task's request id so that every NATS request
//! it makes carries it to the ledger and the projector
//! (`efa_runtime::request_id`), and one span (`http`) that carries the
//! method, the route template, the request id, the answer's status, the
//! principal and the command id. Answers are logged at DEBUG; why one
//! failed is logged where that is known (`problem`: WARN when a service
//! behind could not be reached or answered nonsense, INFO for other 5xx),
//! inside this span, so with the request id. Nothing here is ERROR: the
//! gateway's failures need nobody to act, the services behind it log
//! their own.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use efa_proto::{Actor, CommandEnvelope};
use tower_http::classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier};
use tower_http::trace::{MakeSpan, OnFailure, OnResponse, TraceLayer};
use tracing::Span;

/// The header that carries the request id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware, outermost: gives the request its id and runs the rest
/// with it.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| efa_runtime::request_id::is_valid(id))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID, value.clone());
        let mut response = efa_runtime::request_id::scope(id, next.run(request)).await;
        response.headers_mut().insert(REQUEST_ID, value);
        return response;
    }
    next.run(request).await
}

/// The span of one request.
#[derive(Debug, Clone, Copy)]
pub struct Spans;

impl<B> MakeSpan<B> for Spans {
    fn make_span(&mut self, request: &axum::http::Request<B>) -> Span {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str);
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "http",
            method = %request.method(),
            route,
            request_id = id,
            status = tracing::field::Empty,
            principal = tracing::field::Empty,
            command_id = tracing::field::Empty,
        )
    }
}

/// Records the status and logs the answer at DEBUG.
#[derive(Debug, Clone, Copy)]
pub struct Answered;

impl<B> OnResponse<B> for Answered {
    fn on_response(self, response: &axum::http::Response<B>, latency: Duration, span: &Span) {
        span.record("status", response.status().as_u16());
        tracing::debug!(latency_ms = latency.as_millis(), "answered");
    }
}

/// Notes a failed answer (5xx) at DEBUG: its reason is logged where it
/// is known (`problem`, the pages), in this span, at the level it needs.
#[derive(Debug, Clone, Copy)]
pub struct Failed;

impl OnFailure<ServerErrorsFailureClass> for Failed {
    fn on_failure(&mut self, failure: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
        tracing::debug!(%failure, latency_ms = latency.as_millis(), "request failed");
    }
}

/// The trace layer: one span per request, as above.
pub fn layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, Spans, (), Answered, (), (), Failed> {
    TraceLayer::new_for_http()
        .make_span_with(Spans)
        .on_request(())
        .on_response(Answered)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(Failed)
}

/// Notes the principal in the request's span.
pub fn record_principal(actor: &Actor) {
    Span::current().record("principal", tracing::field::display(actor));
}

/// Notes the command id of a command in the request's span (its
/// principal was noted when the caller was authenticated).
pub fn record_command(envelope: &CommandEnvelope) {
    Span::current().record("command_id", tracing::field::display(&envelope.command_id));
}
