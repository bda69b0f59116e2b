//! The whole HTTP surface, at the top of the gateway: the API's routes
//! (`routes`), the web pages (`web`), health, readiness and metrics, and
//! the layers every request passes (request id and trace span, security
//! headers, rate limit, metrics, problem documents, the gateway's own
//! bounds, body limit).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::http::header::{VARY, X_CONTENT_TYPE_OPTIONS};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::problem;
use crate::state::AppState;
use efa_api::keys::BODY_BYTES_MAX;

/// The gateway's routes with all layers. Layers added later wrap the
/// earlier ones: the body limit is innermost, so its 413 still passes
/// through `problem::finish` and is counted by `metrics::track`; the rate
/// limit sits inside the trace span, so its 429 is traced; the request id
/// is outermost, so the span and everything below carry it.
pub fn router(state: AppState) -> Router {
    let pages =
        crate::web::routes().route_layer(axum::middleware::from_fn(crate::web::csrf::same_origin));
    let mut api_routes = Router::new();
    for endpoint in crate::openapi::endpoints() {
        api_routes = api_routes.route(endpoint.path, endpoint.handler);
    }
    // Lists answer JSON or CSV by the `Accept` header: caches must know.
    let api_routes = api_routes
        .layer(SetResponseHeaderLayer::if_not_present(
            VARY,
            HeaderValue::from_static("Accept"),
        ))
        // Inside the check of credentials: an answer is kept or given
        // only once the request's credentials are known to be none.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::answers::layer,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::extract::known_credentials,
        ));
    // Uploads have a body limit of their own; every other route the
    // forms' and the API's.
    let uploads = crate::web::upload_routes()
        .route_layer(axum::middleware::from_fn(crate::web::csrf::same_origin));
    let router = pages
        .merge(api_routes)
        .route("/healthz", get(crate::routes::health::healthz))
        .route("/readyz", get(crate::routes::health::readyz))
        .route("/metrics", get(crate::metrics::render))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(RequestBodyLimitLayer::new(BODY_BYTES_MAX))
        .merge(uploads);
    let limiter = state.limiter.clone();
    let limits = state.limits.clone();
    router
        .fallback(crate::web::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            limits,
            crate::overload::bound,
        ))
        .layer(axum::middleware::from_fn(problem::finish))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::rate_limit::limit,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(crate::telemetry::layer())
        .layer(axum::middleware::from_fn(crate::telemetry::request_id))
}
