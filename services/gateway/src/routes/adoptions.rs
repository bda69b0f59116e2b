//! `/api/v1/adoptions`: a municipality asks to adopt a service, records
//! the steps that follow, or withdraws. Commands to the ledger; whether a
//! municipality or operator may act here is the domain's decision.

use axum::extract::State;
use axum::response::Response;
use efa_proto::Command;

use super::AppState;
use super::write::{Created, submit};
use crate::commands::adoptions;
use crate::extract::{JsonBody, OptionalJsonBody, PathParams, WriteHeaders};
use crate::problem::ApiError;

/// `POST /api/v1/adoptions`: the adoption shows on the municipality's page.
pub async fn request(
    State(state): State<AppState>,
    headers: WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let parsed = adoptions::request(&body).map_err(ApiError::rejected)?;
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
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (service, ags) = (path.service("service")?, path.ags("ags")?);
    let parsed = adoptions::step(service, ags, &body).map_err(ApiError::rejected)?;
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
    let parsed = adoptions::withdraw(service, ags, &body).map_err(ApiError::rejected)?;
    submit(&state, headers, parsed, Created::default()).await
}
