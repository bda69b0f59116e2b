//! `/api/v1/reference`: publishing the allocation key of a year and the
//! population of the Länder on a reference date. Commands to the ledger;
//! only administrators may, which the domain decides.

use axum::extract::State;
use axum::response::Response;

use super::AppState;
use super::write::{Created, submit};
use crate::contract::reference;
use crate::extract::{JsonBody, WriteHeaders};
use crate::problem::ApiError;

/// `POST /api/v1/reference/allocation-keys`.
pub async fn allocation_key(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body
        .read::<reference::AllocationKey>()?
        .command()
        .map_err(ApiError::rejected)?;
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/reference/populations`.
pub async fn population(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body
        .read::<reference::Populations>()?
        .command()
        .map_err(ApiError::rejected)?;
    submit(&state, headers, parsed, Created::default()).await
}
