//! `/api/v1/services`: announcing a service (a command to the ledger) and
//! reading the catalogue (queries to the projector), with read-your-writes
//! through `?min_seq=`.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, State};
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use efa_proto::{
    Accepted, Command, CommandEnvelope, CommandReply, Query, QueryKind, QueryReply, ServiceId,
};
use serde::Deserialize;

use super::AppState;
use crate::announce;
use crate::dto::{AcceptedJson, CatalogueJson, ServiceJson};
use crate::extract::{Caller, IdempotencyKey, IfMatch, JsonBody};
use crate::idempotency;
use crate::problem::ApiError;

/// `?min_seq=N`: answer from a view that has seen at least ledger event N.
#[derive(Debug, Default, Deserialize)]
pub struct ReadParams {
    #[serde(default)]
    min_seq: u64,
}

fn read_params(
    params: Result<axum::extract::Query<ReadParams>, QueryRejection>,
) -> Result<u64, ApiError> {
    params.map(|params| params.0.min_seq).map_err(|_| {
        ApiError::BadRequest(
            "Der Parameter min_seq muss eine nicht-negative ganze Zahl sein.".to_owned(),
        )
    })
}

/// `POST /api/v1/services`.
pub async fn announce(
    State(state): State<AppState>,
    Caller(actor): Caller,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected_version): IfMatch,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let announcement = announce::parse(&body).map_err(ApiError::rejected)?;
    let service = announcement.command.service.clone();
    let envelope = CommandEnvelope {
        command_id: idempotency::command_id(&actor, &key),
        actor,
        expected_version,
        effective: announcement.effective,
        command: Command::AnnounceService(announcement.command),
    };
    match state.command(&envelope).await? {
        CommandReply::Accepted(accepted) => Ok(accepted_response(&service, &accepted)),
        CommandReply::Rejected(rejection) => Err(ApiError::Rejected {
            rejection,
            if_match: expected_version.is_some(),
        }),
    }
}

/// 201 with the new service's address, or 200 when the ledger answered a
/// repeated idempotency key from memory.
fn accepted_response(service: &ServiceId, accepted: &Accepted) -> Response {
    let status = if accepted.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(AcceptedJson::new(service, accepted))).into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/services/{service}")) {
        headers.insert(LOCATION, location);
    }
    headers.insert(ETAG, etag(accepted.stream_version));
    if accepted.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .expect("a quoted number is a valid header value")
}

/// `GET /api/v1/services`: the whole catalogue.
pub async fn list(
    State(state): State<AppState>,
    params: Result<axum::extract::Query<ReadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let min_seq = read_params(params)?;
    match state
        .query(&Query {
            min_seq,
            kind: QueryKind::Catalogue,
        })
        .await?
    {
        QueryReply::Catalogue(view) => Ok(Json(CatalogueJson::from(&view)).into_response()),
        QueryReply::Rejected(rejection) => Err(ApiError::rejected(rejection)),
        _ => Err(ApiError::UnexpectedReply("the projector")),
    }
}

/// `GET /api/v1/services/{id}`: one service, with its version as ETag.
pub async fn get_one(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    params: Result<axum::extract::Query<ReadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let not_an_id = || {
        ApiError::BadRequest(
            "Die Kennung einer Leistung besteht aus Kleinbuchstaben, Ziffern und Bindestrichen."
                .to_owned(),
        )
    };
    let Path(id) = id.map_err(|_| not_an_id())?;
    let id = ServiceId::parse(&id).map_err(|_| not_an_id())?;
    let min_seq = read_params(params)?;
    match state
        .query(&Query {
            min_seq,
            kind: QueryKind::Service(id.clone()),
        })
        .await?
    {
        QueryReply::Service(Some(view)) => {
            let mut response = Json(ServiceJson::from(&view)).into_response();
            response.headers_mut().insert(ETAG, etag(view.version));
            Ok(response)
        }
        QueryReply::Service(None) => Err(ApiError::NotFound(format!(
            "Die Leistung „{id}“ ist nicht im Katalog."
        ))),
        QueryReply::Rejected(rejection) => Err(ApiError::rejected(rejection)),
        _ => Err(ApiError::UnexpectedReply("the projector")),
    }
}
