//! What every read does: ask the projector (with `min_seq` for
//! read-your-writes), turn its rejections into problems, an absent
//! subject into a 404, and answer a list as JSON or as CSV.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use crate::extract::PathParams;
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::tabular::Answer as _;
use efa_api::csv::Table;
use efa_api::query::Format;

pub use crate::state::ask;

/// What a read gets from its request: the shared state, the path's
/// parameters and the query.
pub struct Read {
    pub state: AppState,
    pub path: PathParams,
    pub query: ReadQuery,
}

impl FromRequestParts<AppState> for Read {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            state: state.clone(),
            path: PathParams::from_request_parts(parts, state).await?,
            query: ReadQuery::from_request_parts(parts, state).await?,
        })
    }
}

/// The projector answered with the wrong kind of view.
pub fn unexpected() -> ApiError {
    ApiError::UnexpectedReply("the projector")
}

/// The view in `reply` if it is of the kind `QueryReply::$variant`; an
/// answer of any other kind is [`unexpected`].
macro_rules! reply_of {
    ($reply:expr, $variant:ident) => {
        match $reply {
            efa_proto::QueryReply::$variant(view) => Ok(view),
            _ => Err($crate::routes::read::unexpected()),
        }
    };
}
pub(crate) use reply_of;

/// A view that may be absent: `None` is a 404 with `missing` as detail.
pub fn found<T>(view: Option<T>, missing: impl FnOnce() -> String) -> Result<T, ApiError> {
    view.ok_or_else(|| ApiError::NotFound(missing()))
}

/// A service a list or history is asked for: one nobody announced would
/// list nothing or rows of zeros, so it is a 404, as the service's own
/// views answer.
pub async fn known_service(
    state: &AppState,
    query: &ReadQuery,
    service: Option<&efa_proto::ServiceId>,
) -> Result<(), ApiError> {
    let Some(service) = service else {
        return Ok(());
    };
    let kind = efa_proto::QueryKind::Service(service.clone());
    let known = reply_of!(ask(state, query.min_seq()?, kind).await?, Service)?;
    found(known, || no_service(service)).map(drop)
}

/// The detail of a 404 for a service not in the catalogue.
pub fn no_service(id: &efa_proto::ServiceId) -> String {
    format!("Die Leistung „{id}“ ist nicht im Katalog.")
}

/// A list as JSON or as a table (CSV, XLSX); each is only built when
/// asked for.
pub fn list<J: Serialize>(
    format: Format,
    json: impl FnOnce() -> J,
    table: impl FnOnce() -> Table,
) -> Result<Response, ApiError> {
    match format {
        Format::Json => Ok(Json(json()).into_response()),
        Format::Csv | Format::Xlsx => table().answer(format),
    }
}
