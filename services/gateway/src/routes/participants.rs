//! `/api/v1/gemeinden`, `/api/v1/kreise`, `/api/v1/operators`: registering
//! municipalities, Kreise and operators, and a municipality's renaming,
//! merger and retirement. Commands to the ledger; who may do this is the
//! domain's decision.

use axum::extract::State;
use axum::response::Response;
use efa_proto::Command;

use super::AppState;
use super::write::{Created, submit};
use crate::contract::participants;
use crate::extract::{JsonBody, OptionalJsonBody, PathParams, WriteHeaders};
use crate::problem::ApiError;

/// `POST /api/v1/gemeinden`.
pub async fn register_gemeinde(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body
        .read::<participants::Gemeinde>()?
        .command()
        .map_err(ApiError::rejected)?;
    let created = match &parsed.command {
        Command::RegisterGemeinde(gemeinde) => {
            Created::at(format!("/api/v1/gemeinden/{}", gemeinde.ags))
        }
        _ => Created::default(),
    };
    submit(&state, headers, parsed, created).await
}

/// `PUT /api/v1/gemeinden/{ags}`: a new name.
pub async fn rename_gemeinde(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let parsed = body.read::<participants::Rename>()?.command(ags);
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/gemeinden/{ags}/merger`.
pub async fn merge_gemeinde(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let parsed = body.read::<participants::Merger>()?.command(ags);
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/gemeinden/{ags}/retirement`; the body may be left out.
pub async fn retire_gemeinde(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let parsed = body.read::<participants::Retirement>()?.command(ags);
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/kreise`.
pub async fn register_kreis(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body
        .read::<participants::Kreis>()?
        .command()
        .map_err(ApiError::rejected)?;
    submit(&state, headers, parsed, Created::default()).await
}

/// `POST /api/v1/operators`.
pub async fn register_operator(
    State(state): State<AppState>,
    headers: WriteHeaders,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let parsed = body
        .read::<participants::Operator>()?
        .command()
        .map_err(ApiError::rejected)?;
    submit(&state, headers, parsed, Created::default()).await
}
