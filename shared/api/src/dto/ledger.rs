//! JSON of the ledger's key and its signed checkpoint, as a Land checks
//! an export against them.

use efa_proto::SignedCheckpoint;
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

/// `GET /api/v1/ledger/checkpoint`: the ledger's key and its latest
/// signed checkpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LedgerCheckpoint)]
pub struct LedgerKeyJson {
    pub key_id: String,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub public_key: String,
    pub public_key_line: String,
    #[schema(required)]
    pub checkpoint: Option<CheckpointJson>,
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
