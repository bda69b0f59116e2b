//! The ledger's own proof, for anyone: its public key with its latest
//! signed checkpoint (`GET /api/v1/ledger/checkpoint`), and a stretch of
//! its history as an export a Land checks offline with that key
//! (`GET /api/v1/ledger/export?from_seq=&limit=`, checked by `efa verify
//! --export FILE --public-key KEY`). The gateway only passes on what the
//! ledger signed; it holds no key that could sign for the ledger.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use efa_proto::{
    CheckpointRequest, LedgerCheckpoint, ReadEvents, ReadReply, Rejection, SealedEvent, subjects,
};

use super::read::Read;
use crate::problem::ApiError;
use efa_api::contract::field::Whole;
use efa_api::dto::ledger::{CheckpointJson, LedgerKeyJson};
use efa_api::query::ExportParams;

/// Events asked from the ledger per read.
const PAGE_LEN: u64 = 1000;

/// `GET /api/v1/ledger/checkpoint`.
pub async fn checkpoint(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    query.allow(&[])?;
    let answer: LedgerCheckpoint = state
        .request(subjects::LEDGER_CHECKPOINT, &CheckpointRequest)
        .await?;
    let public_key = hex::encode(&answer.public_key);
    Ok(axum::Json(LedgerKeyJson {
        public_key_line: format!("{} {public_key}", answer.key_id),
        key_id: answer.key_id,
        public_key,
        checkpoint: answer.checkpoint.as_ref().map(CheckpointJson::from),
    })
    .into_response())
}

/// `GET /api/v1/ledger/export?from_seq=&limit=`: the events from
/// `from_seq` on (at most `limit`), with the ledger's signed checkpoint
/// of the last one, as the text `efa verify --export` reads.
pub async fn export(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    query.allow(&["from_seq", "limit"])?;
    let params: ExportParams = query.read()?;
    let from_seq = params.from_seq.unwrap_or_default().max(1);
    let limit = u64::from(params.limit.map_or(1000, |Whole(limit)| limit));
    let mut events: Vec<SealedEvent> = Vec::new();
    let mut checkpoint = None;
    while (events.len() as u64) < limit {
        let read = ReadEvents {
            from_seq: from_seq + events.len() as u64,
            limit: (limit - events.len() as u64).min(PAGE_LEN) as u32,
        };
        let reply: ReadReply = state.request(subjects::LEDGER_READ, &read).await?;
        let signed = match reply {
            ReadReply::SignedEvents(signed) => signed,
            ReadReply::Rejected(rejection) => return Err(ApiError::rejected(rejection)),
            ReadReply::Events(_) => {
                return Err(ApiError::rejected(Rejection::Unavailable {
                    reason: "das Ledger hat die Seite nicht signiert".into(),
                }));
            }
        };
        if signed.page.events.is_empty() {
            break;
        }
        events.extend(signed.page.events);
        checkpoint = signed.checkpoint;
    }
    let Some(checkpoint) = checkpoint else {
        return Err(ApiError::NotFound(format!(
            "Das Ledger hat keine Ereignisse ab Sequenz {from_seq}."
        )));
    };
    let text = efa_trust::write_export(&events, &checkpoint);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
