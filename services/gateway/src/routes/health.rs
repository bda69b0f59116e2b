//! Health for the orchestrator: `/healthz` says the process lives,
//! `/readyz` says it can do its work, which needs NATS and, behind it, a
//! ledger and a projector that answer: the ledger its checkpoint, a
//! projector the first service of the catalogue (any answer counts, a
//! refusal as busy too). Not the NATS service-API ping: the client
//! library answers it into whatever subject the asker names, so the
//! gateway may not send it.

use std::time::Duration;

use axum::extract::State;
use efa_proto::{CheckpointRequest, Query, QueryKind, subjects};
use serde::Serialize;

use super::AppState;
use crate::problem::ApiError;

/// How long each service may take to answer.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 `ready`, or 503 naming what is missing.
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if state.nats.connection_state() != async_nats::connection::State::Connected {
        return Err(ApiError::NotReady(vec!["die Verbindung zu NATS"]));
    }
    let first_service = Query {
        min_seq: 0,
        kind: QueryKind::Services {
            after: None,
            limit: 1,
        },
    };
    let (ledger, projector) = tokio::join!(
        answers(&state.nats, subjects::LEDGER_CHECKPOINT, &CheckpointRequest),
        answers(&state.nats, subjects::QUERY, &first_service)
    );
    let missing: Vec<&'static str> = [
        (ledger, subjects::LEDGER_SERVICE),
        (projector, subjects::PROJECTOR_SERVICE),
    ]
    .into_iter()
    .filter_map(|(answered, service)| (!answered).then_some(service))
    .collect();
    if missing.is_empty() {
        Ok("ready")
    } else {
        Err(ApiError::NotReady(missing))
    }
}

/// Whether anyone answers `request` on `subject` in time.
async fn answers(client: &async_nats::Client, subject: &str, request: &impl Serialize) -> bool {
    let request = async_nats::Request::new()
        .payload(efa_proto::encode(request).into())
        .timeout(Some(PING_TIMEOUT));
    client
        .send_request(subject.to_owned(), request)
        .await
        .is_ok()
}
