//! The HTTP surface: which path goes to which handler, the layers every
//! request passes (metrics, problem documents, body limit), and the state
//! the handlers share, which is only a NATS client and read-only config:
//! the gateway keeps no state of its own.

mod health;
mod page;
mod services;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use efa_proto::{CommandEnvelope, CommandReply, Query, QueryReply, subjects};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;

use crate::problem::{self, ApiError};
use crate::tokens::TokenTable;

/// The largest request body accepted: 64 KiB.
pub const BODY_BYTES_MAX: usize = 64 * 1024;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    pub nats: async_nats::Client,
    pub tokens: Arc<TokenTable>,
    /// The bound on every command and query sent over NATS.
    pub request_timeout: Duration,
    pub metrics: PrometheusHandle,
}

impl AppState {
    /// Sends a command to the ledger.
    pub async fn command(&self, envelope: &CommandEnvelope) -> Result<CommandReply, ApiError> {
        Ok(efa_runtime::request(
            &self.nats,
            subjects::COMMAND,
            envelope,
            self.request_timeout,
        )
        .await?)
    }

    /// Asks the projector.
    pub async fn query(&self, query: &Query) -> Result<QueryReply, ApiError> {
        Ok(efa_runtime::request(&self.nats, subjects::QUERY, query, self.request_timeout).await?)
    }
}

/// The gateway's routes with all layers. Layers added later wrap the
/// earlier ones: the body limit is innermost, so its 413 still passes
/// through `problem::finish` and is counted by `metrics::track`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page::catalogue))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::render))
        .route(
            "/api/v1/services",
            get(services::list).post(services::announce),
        )
        .route("/api/v1/services/{id}", get(services::get_one))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(RequestBodyLimitLayer::new(BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn(problem::finish))
        .layer(axum::middleware::from_fn(crate::metrics::track))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Diese Adresse gibt es nicht.".to_owned())
}
