//! Prometheus metrics of the HTTP side: a counter and a latency histogram
//! per route, method and status, rendered at `/metrics` for the bearer of
//! the metrics token ([`crate::Gateway::with_metrics_token`]). The recorder is
//! global to the process, so it is installed once, however many gateways
//! a process (a test binary) starts.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::problem::ApiError;
use crate::state::AppState;

const REQUESTS: &str = "efa_http_requests_total";
const DURATION: &str = "efa_http_request_duration_seconds";
/// Latency buckets in seconds: from a cache-fast answer to the NATS timeout.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE.get_or_init(install).clone()
}

fn install() -> PrometheusHandle {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), &DURATION_BUCKETS)
        .expect("the bucket list is not empty")
        .build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!(
            "another metrics recorder is installed; /metrics will not show the gateway's metrics"
        );
    }
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route, method and status."
    );
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route."
    );
    efa_runtime::retry::describe_metrics();
    handle
}

/// Middleware: counts and times every request. The route label is the
/// matched route template (`/api/v1/services/{id}`), never the raw path,
/// so the number of series stays bounded.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(DURATION, "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// Standard methods by name, anything else as `other` (bounded labels).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics`: the Prometheus text exposition, for the bearer of the
/// metrics token only (compared in constant time); without a configured
/// token the route is not served.
pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = &state.metrics_token else {
        return ApiError::NotFound("Die Metriken sind nicht freigegeben.".to_owned())
            .into_response();
    };
    let given = crate::extract::bearer_token(&headers).unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        return ApiError::Unauthorized.into_response();
    }
    state.metrics.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}
