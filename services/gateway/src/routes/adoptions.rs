//! `/api/v1/adoptions`: a municipality asks to adopt a service, records
//! the steps that follow, or withdraws. Commands to the ledger; whether a
//! municipality or operator may act here is the domain's decision.

use axum::extract::State;
use axum::response::Response;
use efa_proto::Command;

use super::AppState;
use super::write::{Created, submit};
use crate::contract::adoptions;
use crate::extract::{JsonBody, OptionalJsonBody, PathParams, WriteHeaders};
use crate::problem::ApiError;

/// `POST /api/v1/adoptions`: the adoption shows on the municipality's page.
pub async fn request(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body.read::<adoptions::Request>()?.command();
    let created = match &parsed.command {
        Command::RequestAdoption(adoption) => {
            Created::at(format!("/api/v1/gemeinden/{}", adoption.ags))
        }
        _ => Created::default(),
    };
    submit(&state, headers, parsed, created).await
}

/// `POST /api/v1/adoptions/{service}/{ags}/steps`.
pub async fn step(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let (service, ags) = (path.service("service")?, path.ags("ags")?);
    let parsed = body.read::<adoptions::Step>()?.command(service, ags);
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/adoptions/{service}/{ags}/withdrawal`; the body may be
/// left out.
pub async fn withdraw(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    let (service, ags) = (path.service("service")?, path.ags("ags")?);
    let parsed = body.read::<adoptions::Withdrawal>()?.command(service, ags);
    submit(&state, headers, parsed, Created::default()).await
}
