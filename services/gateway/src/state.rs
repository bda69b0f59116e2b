//! The state every handler shares, at the bottom of the gateway so that
//! the API (`routes`) and the web pages (`web`) both build on it without
//! importing each other: the NATS client and the bounds of each request
//! to it, the token table (reloaded from its file), the web pages' keys
//! and memory, the limiters, and the key that signs commands. The gateway
//! keeps no domain state of its own.

use std::sync::Arc;
use std::time::Duration;

use efa_proto::{CommandEnvelope, CommandReply, Query, QueryReply, subjects};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::problem::ApiError;

/// The largest request body accepted: 64 KiB.
pub const BODY_BYTES_MAX: usize = 64 * 1024;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The bearer token `/metrics` asks for; without one it is not served.
    pub metrics_token: Option<Arc<str>>,
    pub nats: async_nats::Client,
    pub tokens: Arc<crate::token_source::TokenSource>,
    /// The bound on every command and query sent over NATS.
    pub request_timeout: Duration,
    pub metrics: PrometheusHandle,
    /// The web pages' session key and login limiter.
    pub web: Arc<crate::web::WebState>,
    /// Requests per client network, on every route.
    pub limiter: Arc<crate::rate_limit::AddressLimiter>,
    /// Requests in hand at once and the time limit of each.
    pub limits: Arc<crate::overload::Limits>,
    /// Signs every command for the principal this gateway authenticated;
    /// the ledger takes only commands signed by a key it trusts.
    pub signer: Arc<efa_trust::SigningKey>,
}

impl AppState {
    /// Sends a command to the ledger, signed with the gateway's key.
    pub async fn command(&self, envelope: &CommandEnvelope) -> Result<CommandReply, ApiError> {
        crate::telemetry::record_command(envelope);
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
