//! Health for the orchestrator: `/healthz` says the process lives,
//! `/readyz` says it can do its work, which needs NATS and, behind it, a
//! ledger and a projector that answer the NATS service-API ping.

use std::time::Duration;

use axum::extract::State;
use efa_proto::subjects;

use super::AppState;
use crate::problem::ApiError;

/// How long each service may take to answer a ping.
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
    let (ledger, projector) = tokio::join!(
        ping(&state.nats, subjects::LEDGER_SERVICE),
        ping(&state.nats, subjects::PROJECTOR_SERVICE)
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

/// Whether any instance of `service` answers `$SRV.PING.<service>` in time.
async fn ping(client: &async_nats::Client, service: &str) -> bool {
    let request = async_nats::Request::new().timeout(Some(PING_TIMEOUT));
    client
        .send_request(format!("$SRV.PING.{service}"), request)
        .await
        .is_ok()
}
