//! The HTTP surface: which path goes to which handler, the layers every
//! request passes (metrics, problem documents, body limit), and the state
//! the handlers share: a NATS client, config, the token table (reloaded
//! from its file), and per-process counters for rate limits. The gateway
//! keeps no domain state of its own. The API's routes are one list,
//! [`api`], from which both the router and the OpenAPI document are made,
//! so neither can miss a route.

mod adoptions;
pub(crate) mod exports;
mod health;
mod ledger;
mod participants;
mod places;
pub(crate) mod read;
mod reference;
mod services;
mod settlement;
mod views;
mod write;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, get, on};
use efa_proto::{CommandEnvelope, CommandReply, Query, QueryReply, subjects};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;

pub use ledger::EXPORT_LIMIT_MAX;
pub use places::STALLED_DAYS_DEFAULT;
pub use views::{HISTORY_LIMIT_MAX, PAGE_LIMIT_MAX};

use crate::problem::{self, ApiError};

/// The largest request body accepted: 64 KiB.
pub const BODY_BYTES_MAX: usize = 64 * 1024;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    pub nats: async_nats::Client,
    pub tokens: Arc<crate::token_source::TokenSource>,
    /// The bound on every command and query sent over NATS.
    pub request_timeout: Duration,
    pub metrics: PrometheusHandle,
    /// The web pages' session key and login limiter.
    pub web: Arc<crate::web::WebState>,
    /// Requests per client address on the API.
    pub limiter: Arc<crate::rate_limit::RequestLimiter>,
    /// Requests in hand at once and the time limit of each.
    pub limits: Arc<crate::overload::Limits>,
    /// Signs every command for the principal this gateway authenticated;
    /// the ledger takes only commands signed by a key it trusts.
    pub signer: Arc<efa_trust::SigningKey>,
}

impl AppState {
    /// Sends a command to the ledger, signed with the gateway's key.
    pub async fn command(&self, envelope: &CommandEnvelope) -> Result<CommandReply, ApiError> {
        let signed = efa_trust::sign_command(&self.signer, envelope);
        Ok(
            efa_runtime::request(&self.nats, subjects::COMMAND, &signed, self.request_timeout)
                .await?,
        )
    }

    /// Asks the projector.
    pub async fn query(&self, query: &Query) -> Result<QueryReply, ApiError> {
        Ok(efa_runtime::request(&self.nats, subjects::QUERY, query, self.request_timeout).await?)
    }
}

/// One route of the API: method, path template, handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn endpoint<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every route under `/api/v1`, in the order the documentation lists them.
pub fn api() -> Vec<Endpoint> {
    let mut all = service_routes();
    all.extend(view_routes());
    all.extend(participant_routes());
    all
}

fn service_routes() -> Vec<Endpoint> {
    use Method as M;
    vec![
        endpoint(M::GET, "/api/v1/services", services::list),
        endpoint(M::POST, "/api/v1/services", services::announce),
        endpoint(M::GET, "/api/v1/services/{id}", services::get_one),
        endpoint(M::PUT, "/api/v1/services/{id}", services::update_details),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/status",
            services::change_status,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/reifegrad",
            services::assess_reifegrad,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/retirement",
            services::retire,
        ),
        endpoint(
            M::GET,
            "/api/v1/services/{id}/participations",
            views::participations,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/participations",
            services::join,
        ),
        endpoint(
            M::DELETE,
            "/api/v1/services/{id}/participations/{land}",
            services::leave,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/costs",
            services::report_cost,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/costs/{cost_no}/corrections",
            services::correct_cost,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/closings",
            settlement::close_year,
        ),
        endpoint(
            M::POST,
            "/api/v1/services/{id}/participation-corrections",
            settlement::correct_participation,
        ),
    ]
}

fn view_routes() -> Vec<Endpoint> {
    use Method as M;
    vec![
        endpoint(M::GET, "/api/v1/catalogue", views::catalogue),
        endpoint(
            M::GET,
            "/api/v1/services/{id}/detail",
            views::service_detail,
        ),
        endpoint(
            M::GET,
            "/api/v1/services/{id}/costs/{year}",
            settlement::cost_year,
        ),
        endpoint(M::GET, "/api/v1/services/{id}/funnel", views::funnel),
        endpoint(
            M::GET,
            "/api/v1/services/{id}/history",
            views::service_history,
        ),
        endpoint(M::GET, "/api/v1/lands/{land}", places::land),
        endpoint(
            M::GET,
            "/api/v1/lands/{land}/costs/{year}",
            places::land_costs,
        ),
        endpoint(
            M::GET,
            "/api/v1/lands/{land}/statements/{year}",
            settlement::statement,
        ),
        endpoint(M::GET, "/api/v1/lands/{land}/rollout", places::rollout),
        endpoint(M::GET, "/api/v1/lands/{land}/stalled", places::stalled),
        endpoint(M::GET, "/api/v1/reuse", places::reuse),
        endpoint(M::GET, "/api/v1/history", views::all_history),
        endpoint(M::GET, "/api/v1/ledger/checkpoint", ledger::checkpoint),
        endpoint(M::GET, "/api/v1/ledger/export", ledger::export),
        endpoint(M::GET, "/api/v1/openapi.json", openapi),
    ]
}

fn participant_routes() -> Vec<Endpoint> {
    use Method as M;
    vec![
        endpoint(
            M::POST,
            "/api/v1/gemeinden",
            participants::register_gemeinde,
        ),
        endpoint(M::GET, "/api/v1/gemeinden/{ags}", places::gemeinde),
        endpoint(
            M::PUT,
            "/api/v1/gemeinden/{ags}",
            participants::rename_gemeinde,
        ),
        endpoint(
            M::POST,
            "/api/v1/gemeinden/{ags}/merger",
            participants::merge_gemeinde,
        ),
        endpoint(
            M::POST,
            "/api/v1/gemeinden/{ags}/retirement",
            participants::retire_gemeinde,
        ),
        endpoint(M::POST, "/api/v1/kreise", participants::register_kreis),
        endpoint(
            M::POST,
            "/api/v1/operators",
            participants::register_operator,
        ),
        endpoint(M::POST, "/api/v1/adoptions", adoptions::request),
        endpoint(
            M::POST,
            "/api/v1/adoptions/{service}/{ags}/steps",
            adoptions::step,
        ),
        endpoint(
            M::POST,
            "/api/v1/adoptions/{service}/{ags}/withdrawal",
            adoptions::withdraw,
        ),
        endpoint(
            M::POST,
            "/api/v1/reference/allocation-keys",
            reference::allocation_key,
        ),
        endpoint(
            M::POST,
            "/api/v1/reference/populations",
            reference::population,
        ),
    ]
}

/// `GET /api/v1/openapi.json`.
async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(crate::openapi::openapi_document())
}

/// The gateway's routes with all layers. Layers added later wrap the
/// earlier ones: the body limit is innermost, so its 413 still passes
/// through `problem::finish` and is counted by `metrics::track`.
pub fn router(state: AppState) -> Router {
    let router = crate::web::routes()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::metrics::render));
    let mut api_routes = Router::new();
    for endpoint in api() {
        api_routes = api_routes.route(endpoint.path, endpoint.handler);
    }
    let limited =
        axum::middleware::from_fn_with_state(state.limiter.clone(), crate::rate_limit::limit);
    let limits = state.limits.clone();
    router
        .merge(api_routes.route_layer(limited))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(RequestBodyLimitLayer::new(BODY_BYTES_MAX))
        .layer(axum::middleware::from_fn_with_state(
            limits,
            crate::overload::bound,
        ))
        .layer(axum::middleware::from_fn(problem::finish))
        .layer(axum::middleware::from_fn(crate::metrics::track))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Diese Adresse gibt es nicht.".to_owned())
}
