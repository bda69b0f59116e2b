//! Events: facts the ledger has recorded. Never edited, never removed; a
//! new fact is a new variant appended at the end (postcard numbers variants
//! by position).

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::command::{AnnounceService, StreamId};
use crate::ids::{CommandId, EventId, LandCode, ServiceId};
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::time::{Date, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    ServiceAnnounced(ServiceAnnounced),
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ServiceAnnounced(_) => "ServiceAnnounced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAnnounced {
    pub service: ServiceId,
    pub title: String,
    pub lead: LandCode,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
    pub status: ServiceStatus,
    pub reifegrad: Reifegrad,
}

impl From<AnnounceService> for ServiceAnnounced {
    fn from(cmd: AnnounceService) -> Self {
        Self {
            service: cmd.service,
            title: cmd.title,
            lead: cmd.lead,
            ozg_id: cmd.ozg_id,
            leika: cmd.leika,
            themenfeld: cmd.themenfeld,
            provider: cmd.provider,
            channel: cmd.channel,
            cost_model: cmd.cost_model,
            status: cmd.status,
            reifegrad: cmd.reifegrad,
        }
    }
}

/// A 32-byte SHA-256 digest.
pub type Hash = [u8; 32];

/// Everything the ledger records about one event, except its own hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The schema this record was written with.
    pub schema_version: u16,
    /// Position in the ledger: 1, 2, 3, ... without gaps.
    pub seq: u64,
    pub event_id: EventId,
    pub stream: StreamId,
    /// Version of `stream` after this event: 1 for its first event.
    pub stream_version: u64,
    /// When the ledger recorded it.
    pub recorded_at: Timestamp,
    /// When it takes effect in the world.
    pub effective: Date,
    pub actor: Actor,
    pub command_id: CommandId,
    /// The hash of event `seq - 1`; all zeros for the first event.
    pub prev_hash: Hash,
    pub event: Event,
}

/// An event record with the hash that seals it into the chain:
/// `hash = SHA-256(postcard(record))`, and the record holds `prev_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedEvent {
    pub record: EventRecord,
    pub hash: Hash,
}

impl SealedEvent {
    pub fn seal(record: EventRecord) -> Self {
        let hash = record_hash(&record);
        Self { record, hash }
    }

    /// Whether the stored hash matches the record's content.
    pub fn hash_is_valid(&self) -> bool {
        record_hash(&self.record) == self.hash
    }
}

fn record_hash(record: &EventRecord) -> Hash {
    use sha2::Digest;
    // Encoding a record cannot fail: it holds no maps or unsized types.
    let bytes = postcard::to_allocvec(record).expect("an event record always encodes");
    sha2::Sha256::digest(&bytes).into()
}
