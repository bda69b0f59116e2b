//! What every write of the API does once its body is read: send it
//! through `state::submit` with the caller's `Idempotency-Key` and
//! `If-Match`, and answer 201 with `{"seq", "version"}` and the stream
//! version as ETag, 200 with `Idempotent-Replayed: true` for a repeated
//! key, or the rejection as a problem document.

use axum::Json;
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use efa_proto::{Accepted, ServiceId};

use super::AppState;
use crate::contract::Parsed;
use crate::dto::AcceptedJson;
use crate::extract::WriteHeaders;
use crate::problem::ApiError;

/// How to answer an accepted write beyond the sequence and version.
#[derive(Debug, Clone, Default)]
pub struct Created {
    /// Where to read what was created; none for changes and for things
    /// without their own page.
    pub location: Option<String>,
    /// The id of an announced service, echoed in the body.
    pub id: Option<ServiceId>,
}

impl Created {
    pub fn at(location: String) -> Self {
        Self {
            location: Some(location),
            id: None,
        }
    }
}

/// Sends the command and maps the ledger's answer.
pub async fn submit(
    state: &AppState,
    headers: WriteHeaders,
    parsed: Parsed,
    created: Created,
) -> Result<Response, ApiError> {
    let WriteHeaders {
        actor,
        key,
        expected_version,
    } = headers;
    let accepted = crate::state::submit(state, &actor, &key, expected_version, parsed).await?;
    Ok(accepted_response(&accepted, created))
}

/// 201, or 200 when the ledger answered a repeated idempotency key from
/// memory.
fn accepted_response(accepted: &Accepted, created: Created) -> Response {
    let status = if accepted.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = AcceptedJson::new(created.id.as_ref(), accepted);
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(location) = created
        .location
        .and_then(|location| HeaderValue::from_str(&location).ok())
    {
        headers.insert(LOCATION, location);
    }
    headers.insert(ETAG, etag(accepted.stream_version));
    if accepted.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// A version as a strong entity tag: `"3"`.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}
