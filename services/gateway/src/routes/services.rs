//! `/api/v1/services`: reading the plain catalogue and one service from
//! the projector, with read-your-writes through `?min_seq=`, and a Land's
//! leaving, whose effective date may come from the body or the query. The
//! other writes to a service's stream are served by `write::write`.

use axum::Json;
use axum::extract::State;
use axum::http::header::ETAG;
use axum::response::{IntoResponse, Response};
use efa_proto::QueryKind;

use super::AppState;
use super::exports;
use super::read::{self, Read, ask, reply_of};
use super::write::{etag, submit};
use crate::extract::{OptionalJsonBody, PathParams, WriteHeaders};
use crate::paging;
use crate::params::ReadQuery;
use crate::problem::ApiError;
use efa_api::contract::services;
use efa_api::dto::ServiceJson;
use efa_api::query::CATALOGUE_PARAMS;

/// The parameters of `/api/v1/services`; those of `/api/v1/catalogue`
/// beyond these are refused with a pointer.
const PARAMS: [&str; 3] = ["format", "limit", "cursor"];

/// `GET /api/v1/services?limit=&cursor=`: all services ordered by id, a
/// page at a time (`cursor`: the last id of the page before, as `next`
/// links it); as CSV without `limit` or `cursor` all of them, streamed.
pub async fn list(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    let mut refused = CATALOGUE_PARAMS
        .iter()
        .filter(|name| !PARAMS.contains(name));
    if let Some(name) = refused.find(|name| query.has(name)) {
        return Err(ApiError::BadRequest(format!(
            "Der Parameter „{name}“ gilt hier nicht: Filter, Sortierung und Stichtag bietet \
             /api/v1/catalogue."
        )));
    }
    let format = query.allow(&PARAMS)?.format()?;
    paging::serve(state, &query, format, exports::Services).await
}

/// `GET /api/v1/services/{id}`: one service, with its version as ETag.
pub async fn get_one(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let id = path.service("id")?;
    let min_seq = query.allow(&[])?.min_seq()?;
    let view = reply_of!(
        ask(&state, min_seq, QueryKind::Service(id.clone())).await?,
        Service
    )?;
    let view = read::found(view, || read::no_service(&id))?;
    let mut response = Json(ServiceJson::from(&view)).into_response();
    response.headers_mut().insert(ETAG, etag(view.version));
    Ok(response)
}

/// `DELETE /api/v1/services/{id}/participations/{land}`: a Land leaves,
/// effective as of the body's or the query's `effective`.
pub async fn leave(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    query: ReadQuery,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    let (service, land) = (path.service("id")?, path.land("land")?);
    let from_query = query.allow_exactly(&["effective"])?;
    let from_query = from_query.read::<services::Leave>()?.effective;
    let parsed = body
        .read::<services::Leave>()?
        .command(service, land, from_query)
        .map_err(ApiError::rejected)?;
    submit(&state, headers, parsed).await
}
