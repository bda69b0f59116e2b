//! The state every handler shares, at the bottom of the gateway so that
//! the API (`routes`) and the web pages (`web`) both build on it without
//! importing each other: the NATS client and the bounds of each request
//! to it, the token table (reloaded from its file), the web pages' keys
//! and memory, the limiters, and the key that signs commands. The gateway
//! keeps no domain state of its own.

use std::sync::Arc;
use std::time::Duration;

use efa_proto::{
    Accepted, Actor, CommandEnvelope, CommandReply, Query, QueryKind, QueryReply, subjects,
};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::problem::ApiError;

/// Login attempts allowed at once per client network; then one more
/// every `LOGIN_ATTEMPT_PERIOD` (10 a minute).
pub const LOGIN_ATTEMPTS_MAX: u32 = 10;
pub const LOGIN_ATTEMPT_PERIOD: std::time::Duration = std::time::Duration::from_secs(6);

/// What the web pages keep in memory.
#[derive(Debug)]
pub struct WebState {
    pub key: crate::crypto::SessionKey,
    /// Login attempts per client network.
    pub limiter: crate::rate_limit::AddressLimiter,
    /// Sessions ended by a logout.
    pub logouts: crate::logouts::Logouts,
}

impl WebState {
    pub fn new(key: crate::crypto::SessionKey, logouts: crate::logouts::Logouts) -> Self {
        Self {
            key,
            limiter: crate::rate_limit::AddressLimiter::new(
                LOGIN_ATTEMPTS_MAX,
                LOGIN_ATTEMPT_PERIOD,
                crate::rate_limit::CAPACITY,
            ),
            logouts,
        }
    }
}

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
    /// The web pages' session key, login limiter and logouts.
    pub web: Arc<WebState>,
    /// Requests per client network, on every route.
    pub limiter: Arc<crate::rate_limit::AddressLimiter>,
    /// Requests in hand at once and the time limit of each.
    pub limits: Arc<crate::overload::Limits>,
    /// Signs every command for the principal this gateway authenticated;
    /// the ledger takes only commands signed by a key it trusts.
    pub signer: Arc<efa_trust::SigningKey>,
    /// Answers kept for anonymous reads of the API (`answers.rs`).
    pub answers: Arc<crate::answers::Answers>,
    /// The highest ledger sequence of a write this gateway had accepted:
    /// a page shown again after a refused form reads views that have
    /// applied it, so it shows the writes just made.
    pub written: Arc<std::sync::atomic::AtomicU64>,
}

impl AppState {
    /// [`AppState::written`], as a page's `seq` parameter.
    pub fn written_seq(&self) -> String {
        self.written
            .load(std::sync::atomic::Ordering::Relaxed)
            .to_string()
    }

    /// Sends a command to the ledger, signed with the gateway's key.
    pub async fn command(&self, envelope: &CommandEnvelope) -> Result<CommandReply, ApiError> {
        crate::telemetry::record_command(envelope);
        let signed = efa_trust::sign_command(&self.signer, envelope);
        self.request(subjects::COMMAND, &signed).await
    }

    /// Asks the projector.
    pub async fn query(&self, query: &Query) -> Result<QueryReply, ApiError> {
        self.send(subjects::QUERY, query).await
    }

    /// The one way the gateway asks a service over NATS: within
    /// `request_timeout`, sending the same bytes again while the ledger or
    /// a projector replica changes (nobody listening, an attempt timed out,
    /// the connection away), so a caller sees a short delay instead of a
    /// 503. Safe for commands because the ledger answers a command id it
    /// knows with its stored reply; queries and reads change nothing.
    /// A request that is not a view's query is not kept among the
    /// answers (`answers.rs`).
    pub async fn request<Req, Rep>(&self, subject: &str, request: &Req) -> Result<Rep, ApiError>
    where
        Req: serde::Serialize,
        Rep: serde::de::DeserializeOwned,
    {
        crate::answers::note_other_request();
        self.send(subject, request).await
    }

    /// [`AppState::request`] for the kept answers' own reads.
    pub async fn send<Req, Rep>(&self, subject: &str, request: &Req) -> Result<Rep, ApiError>
    where
        Req: serde::Serialize,
        Rep: serde::de::DeserializeOwned,
    {
        Ok(
            efa_runtime::request_retrying(&self.nats, subject, request, self.request_timeout)
                .await?,
        )
    }
}

/// The one way a write reaches the ledger, from the API and the web
/// forms alike: the early "no" when the caller's kind can never issue the
/// command (`authz`), the envelope with the command id from the caller and
/// `key`, and the ledger's answer; a rejection becomes the error.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    key: &str,
    expected_version: Option<u64>,
    parsed: efa_api::contract::Parsed,
) -> Result<Accepted, ApiError> {
    crate::authz::check(actor, &parsed.command).map_err(ApiError::rejected)?;
    let envelope = CommandEnvelope {
        command_id: crate::idempotency::command_id(actor, key),
        actor: actor.clone(),
        expected_version,
        effective: parsed.effective,
        command: parsed.command,
    };
    match state.command(&envelope).await? {
        CommandReply::Accepted(accepted) => {
            let written = &state.written;
            written.fetch_max(accepted.last_seq, std::sync::atomic::Ordering::Relaxed);
            Ok(accepted)
        }
        CommandReply::Rejected(rejection) => Err(ApiError::Rejected {
            rejection,
            if_match: expected_version.is_some(),
        }),
    }
}

/// The one way a read asks the projector, from the API and the web pages
/// alike; a rejection becomes the error.
pub async fn ask(state: &AppState, min_seq: u64, kind: QueryKind) -> Result<QueryReply, ApiError> {
    match crate::answers::ask(state, Query { min_seq, kind }).await? {
        QueryReply::Rejected(rejection) => Err(ApiError::rejected(rejection)),
        reply => Ok(reply),
    }
}
