//! The gateway: HTTP for people and programs in front of the NATS services.
//! It authenticates a caller by API token to a principal (`Actor`), turns
//! requests into commands for the ledger and queries for the projector over
//! NATS request/reply, each with a timeout, and answers in JSON, as RFC 9457
//! problem documents, as CSV for spreadsheets, or as German web pages
//! (`web`: catalogue, service, Land, Kommune, rollout monitor, audit, with
//! forms behind a login); `/api/v1/openapi.json` describes the API. It
//! keeps no domain state of its own: besides its configuration only the
//! web session key, the logouts, a bounded count of failed logins per
//! address and a bounded shelf of answers to anonymous reads, each given
//! again only once the projector confirmed it (`answers.rs`), so any
//! number of gateways may run side by side (given the same session key
//! and logouts file, see [`Gateway::with_session_key`]).

mod answers;
mod authz;
mod crypto;
mod extract;
mod idempotency;
mod json;
mod logouts;
mod metrics;
mod openapi;
mod operation;
mod overload;
mod paging;
mod params;
mod problem;
mod rate_limit;
mod router;
mod routes;
mod serve;
mod state;
mod tabular;
mod telemetry;
mod token_source;
mod watched_file;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use crypto::SessionKey;
pub use efa_api::problem::PROBLEM_CONTENT_TYPE;
use efa_trust::tokens::TokenTable;
pub use openapi::openapi_document;
pub use state::LOGIN_ATTEMPTS_MAX;

/// The API's default rate limit: requests per client address and 10 s.
pub const API_REQUESTS_PER_10S: u32 = rate_limit::REQUESTS_PER_WINDOW;

/// The bound on each NATS request when none is configured.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How a gateway is set up.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen; port 0 picks a free one.
    pub http_addr: SocketAddr,
    /// Who may write.
    pub tokens: TokenTable,
    /// The bound on every command and query sent over NATS.
    pub request_timeout: Duration,
}

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("bind the HTTP listener to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound, not yet serving gateway.
#[derive(Debug)]
pub struct Gateway {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    state: state::AppState,
}

impl Gateway {
    /// Binds the listener (port 0 allowed) and returns the gateway;
    /// `local_addr()` is the real bound address.
    pub async fn bind(
        config: GatewayConfig,
        nats: async_nats::Client,
    ) -> Result<Gateway, GatewayError> {
        let addr = config.http_addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| GatewayError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| GatewayError::Bind { addr, source })?;
        let state = state::AppState {
            metrics_token: None,
            nats,
            tokens: Arc::new(token_source::TokenSource::fixed(config.tokens)),
            request_timeout: config.request_timeout,
            metrics: metrics::handle(),
            web: Arc::new(state::WebState::new(
                SessionKey::random(),
                logouts::Logouts::default(),
            )),
            limiter: Arc::new(rate_limit::AddressLimiter::default()),
            limits: Arc::new(overload::Limits::default()),
            // A throwaway key, trusted by no ledger, until the binary
            // passes the gateway's own (`with_signing_key`).
            signer: Arc::new(
                efa_trust::SigningKey::generate("gateway-unregistered").expect("a valid key id"),
            ),
            written: Arc::default(),
            answers: Arc::default(),
        };
        Ok(Gateway {
            listener,
            local_addr,
            state,
        })
    }

    /// Signs every command with `key`, which the ledger's trusted signer
    /// list must name (any principal: the gateway vouches for whoever it
    /// authenticated by token).
    pub fn with_signing_key(mut self, key: efa_trust::SigningKey) -> Self {
        self.state.signer = Arc::new(key);
        self
    }

    /// Signs web sessions with `key` instead of the random per-process key,
    /// so sessions survive a restart and several gateways accept each
    /// other's sessions; logouts are kept in the file `logouts`, so that
    /// a session ended by one stays ended after a restart and in the
    /// gateways sharing the file.
    pub fn with_session_key(mut self, key: SessionKey, logouts: std::path::PathBuf) -> Self {
        let logouts = logouts::Logouts::kept_in(logouts);
        self.state.web = Arc::new(state::WebState::new(key, logouts));
        self
    }

    /// Keeps the token table in step with `path` (the file it was loaded
    /// from): tokens created or revoked there take effect within a second.
    pub fn with_token_file(mut self, path: std::path::PathBuf) -> Self {
        let table = self.state.tokens.current().as_ref().clone();
        self.state.tokens = Arc::new(token_source::TokenSource::watching(table, path));
        self
    }

    /// Serves `/metrics` to the bearer of `token` (without one, `/metrics`
    /// is not served).
    pub fn with_metrics_token(mut self, token: String) -> Self {
        self.state.metrics_token = Some(Arc::from(token));
        self
    }

    /// Sets the rate limit of every route: at most `requests` per client
    /// network in each `window` on average, as a burst at most (default:
    /// 6,000 per 10 s).
    pub fn with_rate_limit(mut self, requests: u32, window: std::time::Duration) -> Self {
        self.state.limiter = Arc::new(rate_limit::AddressLimiter::per_window(requests, window));
        self
    }

    /// Sets the gateway's own bounds: at most `in_flight_max` requests in
    /// hand (one more is refused at once with 503 and `Retry-After`), each
    /// answered within `timeout` (default: 256 and 30 s).
    pub fn with_limits(mut self, in_flight_max: usize, timeout: Duration) -> Self {
        self.state.limits = Arc::new(overload::Limits::new(in_flight_max, timeout));
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` is cancelled, then finishes in-flight
    /// requests (graceful shutdown). See [`serve`].
    pub async fn run(self, shutdown: efa_runtime::Shutdown) -> Result<(), GatewayError> {
        tracing::info!(addr = %self.local_addr, "gateway listening");
        serve::serve(self.listener, router::router(self.state), shutdown).await;
        tracing::info!("gateway stopped");
        Ok(())
    }
}
