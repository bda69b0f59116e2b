//! The ledger's own proof, for anyone: its public key with its latest
//! signed checkpoint (`GET /api/v1/ledger/checkpoint`), and a stretch of
//! its history as an export a Land checks offline with that key
//! (`GET /api/v1/ledger/export?from_seq=&limit=`, checked by `efa verify
//! --export FILE --public-key KEY`). The gateway only passes on what the
//! ledger signed; it holds no key that could sign for the ledger.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use efa_proto::{
    CheckpointRequest, LedgerCheckpoint, ReadEvents, ReadReply, Rejection, SealedEvent,
    SignedCheckpoint, subjects,
};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::read::Read;
use crate::problem::ApiError;
use efa_api::contract::field::{self, Whole};
use efa_api::values;

/// The most events one export holds.
pub const EXPORT_LIMIT_MAX: u32 = 10_000;
/// Events asked from the ledger per read.
const PAGE_LEN: u64 = 1000;

/// `GET /api/v1/ledger/checkpoint`: the ledger's key and its latest
/// signed checkpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LedgerCheckpoint)]
pub struct LedgerKeyJson {
    key_id: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    public_key: String,
    public_key_line: String,
    #[schema(required)]
    checkpoint: Option<CheckpointJson>,
}

/// A signed checkpoint, its hash and signature in hex.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SignedCheckpoint)]
pub struct CheckpointJson {
    #[schema(minimum = 1)]
    seq: u64,
    #[schema(value_type = values::ChainHash)]
    hash: String,
    key_id: String,
    #[schema(pattern = "^[0-9a-f]{128}$")]
    signature: String,
}

impl From<&SignedCheckpoint> for CheckpointJson {
    fn from(checkpoint: &SignedCheckpoint) -> Self {
        Self {
            seq: checkpoint.seq,
            hash: hex::encode(checkpoint.hash),
            key_id: checkpoint.key_id.clone(),
            signature: hex::encode(&checkpoint.signature),
        }
    }
}

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

/// `?from_seq=&limit=` of the export.
#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    #[serde(default, deserialize_with = "field::opt")]
    from_seq: Option<u64>,
    #[param(inline)]
    limit: Option<Whole<1, { EXPORT_LIMIT_MAX }>>,
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
