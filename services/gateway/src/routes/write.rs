//! What every write of the API does once its body is read: send it
//! through `state::submit` with the caller's `Idempotency-Key` and
//! `If-Match`, and answer 201 with `{"seq", "version"}` and the stream
//! version as ETag (and where the command created something, its
//! Location), 200 instead where it replaced what was there (a `PUT`),
//! 200 with `Idempotent-Replayed: true` for a repeated key, or the
//! rejection as a problem document. The handler [`write`] serves every
//! route whose body says by itself how it becomes a command.

use std::marker::PhantomData;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{ETAG, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use efa_proto::{Command, Event, ReadEvents, ReadReply, subjects};

use super::AppState;
use crate::extract::{FromPath, JsonBody, OptionalJsonBody, PathParams, WriteHeaders};
use crate::params::ReadQuery;
use crate::problem::ApiError;
use efa_api::contract::{Parsed, WriteBody};
use efa_api::dto::AcceptedJson;

/// A write of body `B`: the identifiers from the path, then the body,
/// into the command `B` describes.
pub async fn write<B>(
    State(state): State<AppState>,
    headers: WriteHeaders,
    path: PathParams,
    query: ReadQuery,
    Body(body, _): Body<B>,
) -> Result<Response, ApiError>
where
    B: WriteBody,
    B::Path: FromPath,
{
    // What a write says is in its body: a parameter in the address (an
    // `?effective=` meant for the body) would be lost without a word.
    query.allow_exactly(&[])?;
    let ids = B::Path::from_path(&path)?;
    let parsed = body.read::<B>()?.command(ids).map_err(ApiError::rejected)?;
    submit(&state, headers, parsed).await
}

/// The JSON body of a write of `B`; left out, it reads as `{}` where `B`
/// allows that.
pub struct Body<B>(JsonBody, PhantomData<fn() -> B>);

impl<B: WriteBody> FromRequest<AppState> for Body<B> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = if B::OPTIONAL {
            OptionalJsonBody::from_request(request, state).await?.0
        } else {
            JsonBody::from_request(request, state).await?
        };
        Ok(Self(body, PhantomData))
    }
}

/// Where to read what a command creates, if it can be read afterwards.
fn location(command: &Command) -> Option<String> {
    Some(match command {
        Command::AnnounceService(c) => format!("/api/v1/services/{}", c.service),
        Command::JoinService(c) => format!("/api/v1/services/{}/participations", c.service),
        Command::CorrectParticipation(c) => {
            format!("/api/v1/services/{}/participations", c.service)
        }
        Command::ReportCost(c) => format!("/api/v1/services/{}/costs/{}", c.service, c.year),
        Command::CloseYear(c) => format!("/api/v1/services/{}/costs/{}", c.service, c.year),
        Command::RegisterGemeinde(c) => format!("/api/v1/gemeinden/{}", c.ags),
        // The adoption shows on the municipality's page.
        Command::RequestAdoption(c) => format!("/api/v1/gemeinden/{}", c.ags),
        _ => return None,
    })
}

/// Whether `command` replaces the state of something that exists: the
/// `PUT`s, which the domain refuses for a missing target (404) and so never
/// create anything.
pub fn replaces(command: &Command) -> bool {
    matches!(
        command,
        Command::UpdateServiceDetails(_) | Command::RenameGemeinde(_)
    )
}

/// Sends the command and maps the ledger's answer: 201, or 200 when it
/// replaced what existed or when the ledger answered a repeated
/// idempotency key from memory.
pub async fn submit(
    state: &AppState,
    headers: WriteHeaders,
    parsed: Parsed,
) -> Result<Response, ApiError> {
    let WriteHeaders {
        actor,
        key,
        expected_version,
    } = headers;
    let location = location(&parsed.command);
    let replaced = replaces(&parsed.command);
    let reports_cost = matches!(parsed.command, Command::ReportCost(_));
    // An announced service's id is echoed in the body.
    let id = match &parsed.command {
        Command::AnnounceService(announce) => Some(announce.service.clone()),
        _ => None,
    };
    let accepted = crate::state::submit(state, &actor, &key, expected_version, parsed).await?;
    let status = if accepted.replayed || replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut body = AcceptedJson::new(id.as_ref(), &accepted);
    if reports_cost {
        body.cost_no = cost_no_at(state, accepted.first_seq).await;
    }
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(location) = location.and_then(|location| HeaderValue::from_str(&location).ok()) {
        headers.insert(LOCATION, location);
    }
    headers.insert(ETAG, etag(accepted.stream_version));
    if accepted.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The number the ledger gave the cost line its event at `seq` reports,
/// read back from the ledger (the domain numbers a service's lines); none
/// if it cannot be read, the write stands all the same.
async fn cost_no_at(state: &AppState, seq: u64) -> Option<u32> {
    let read = ReadEvents {
        from_seq: seq,
        limit: 1,
    };
    let reply: ReadReply = state.request(subjects::LEDGER_READ, &read).await.ok()?;
    (reply.into_page().ok()?.events)
        .into_iter()
        .find_map(|event| match event.record.event {
            Event::CostReported(reported) if event.record.seq == seq => Some(reported.cost_no),
            _ => None,
        })
}

/// A version as a strong entity tag: `"3"`.
pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}
