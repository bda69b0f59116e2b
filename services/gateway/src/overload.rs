//! The gateway's own bounds, on every route, so that no load makes it hold
//! requests it cannot serve: at most so many requests in hand at once (one
//! more is refused at once with 503 and `Retry-After`, not queued), and
//! each request answered within a time limit (503 after it). Health,
//! readiness and metrics have places of their own (`PROBES_MAX`), so an
//! overloaded gateway can still say how it is, and a flood of probes
//! cannot take the places of the API and the pages. Each NATS request has
//! its own, shorter timeout besides.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use tokio::sync::Semaphore;

use crate::problem::ApiError;

/// Requests in hand at once when none is configured.
pub const IN_FLIGHT_MAX_DEFAULT: usize = 256;
/// The time limit of one request when none is configured; a web page may
/// ask the projector several times.
pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);

/// Health, readiness and metrics requests in hand at once.
pub const PROBES_MAX: usize = 16;
/// The paths with places of their own.
const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

#[derive(Debug)]
pub struct Limits {
    permits: Arc<Semaphore>,
    probes: Arc<Semaphore>,
    timeout: Duration,
}

impl Limits {
    pub fn new(in_flight_max: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(in_flight_max.max(1))),
            probes: Arc::new(Semaphore::new(PROBES_MAX)),
            timeout,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(IN_FLIGHT_MAX_DEFAULT, REQUEST_TIMEOUT_DEFAULT)
    }
}

/// Middleware: refuses a request beyond the limit in flight, and answers
/// 503 when the handler has not answered within the time limit (the
/// handler is dropped, and with it its NATS requests). A streamed body
/// (a whole CSV export) keeps its place until it ends, but runs on after
/// the head is sent, beyond the time limit; each of its pages has its own
/// NATS timeout.
pub async fn bound(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let places = if PROBES.contains(&request.uri().path()) {
        &limits.probes
    } else {
        &limits.permits
    };
    let Ok(permit) = places.clone().try_acquire_owned() else {
        return ApiError::Busy.into_response();
    };
    let answer = tokio::time::timeout(limits.timeout, next.run(request)).await;
    match answer {
        Ok(response) if response.body().size_hint().exact().is_none() => {
            let (parts, body) = response.into_parts();
            let chunks = body.into_data_stream().map(move |chunk| {
                let _place = &permit;
                chunk
            });
            Response::from_parts(parts, Body::from_stream(chunks))
        }
        Ok(response) => response,
        Err(_) => {
            let ms = u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX);
            ApiError::TimedOut(ms).into_response()
        }
    }
}
