//! Events: facts the ledger has recorded. Never edited, never removed; a
//! new fact is a new variant appended at the end (postcard numbers variants
//! by position).

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::command::{AnnounceService, StreamId, UpdateServiceDetails};
use crate::ids::{Ags, CommandId, EventId, KreisKey, LandCode, OperatorId, ServiceId};
use crate::money::Cents;
use crate::participant::{AdoptionStage, CostCategory, Population, Region};
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::settlement::{ParticipationChange, Settlement};
use crate::time::{Date, Timestamp};

/// A recorded fact. Its effective date is the record's `effective`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    ServiceAnnounced(ServiceAnnounced),
    ServiceDetailsUpdated(ServiceDetailsUpdated),
    ServiceStatusChanged {
        service: ServiceId,
        from: ServiceStatus,
        to: ServiceStatus,
    },
    ReifegradAssessed {
        service: ServiceId,
        reifegrad: Reifegrad,
    },
    ServiceRetired {
        service: ServiceId,
        reason: String,
    },
    LandJoined {
        service: ServiceId,
        land: LandCode,
    },
    LandLeft {
        service: ServiceId,
        land: LandCode,
    },
    CostReported(CostReported),
    CostCorrected {
        service: ServiceId,
        cost_no: u32,
        amount: Cents,
        reason: String,
    },
    GemeindeRegistered {
        ags: Ags,
        name: String,
        population: Option<Population>,
    },
    GemeindeRenamed {
        ags: Ags,
        name: String,
    },
    GemeindeMerged {
        ags: Ags,
        successor: Ags,
    },
    GemeindeRetired {
        ags: Ags,
    },
    KreisRegistered {
        key: KreisKey,
        name: String,
        population: Option<Population>,
    },
    OperatorRegistered {
        operator: OperatorId,
        name: String,
        region: Region,
    },
    /// A new adoption; `adoption_no` counts the adoptions of this service
    /// by this municipality (a request after a withdrawal starts the next).
    AdoptionRequested {
        service: ServiceId,
        ags: Ags,
        adoption_no: u32,
        note: String,
    },
    AdoptionStepRecorded {
        service: ServiceId,
        ags: Ags,
        adoption_no: u32,
        stage: AdoptionStage,
        note: String,
    },
    AdoptionWithdrawn {
        service: ServiceId,
        ags: Ags,
        adoption_no: u32,
        note: String,
    },
    AllocationKeyPublished {
        year: u16,
        shares: Vec<(LandCode, u32)>,
    },
    PopulationPublished {
        reference_date: Date,
        figures: Vec<(LandCode, u64)>,
    },
    /// A service's year was closed with this split (Jahresabrechnung).
    YearClosed {
        service: ServiceId,
        year: u16,
        settlement: Settlement,
    },
    /// An explicit correction of a Land's participation, effective on the
    /// record's date, by the lead Land or the administration.
    ParticipationCorrected {
        service: ServiceId,
        land: LandCode,
        change: ParticipationChange,
        reason: String,
    },
    /// A Beitritt or Austritt recorded for the wrong day, moved by the lead
    /// Land or the administration from `from` to the record's effective
    /// date: the Beitritt of the Land's participation that has not ended
    /// (`Join`), or the Austritt of its last one (`Leave`).
    ParticipationMoved {
        service: ServiceId,
        land: LandCode,
        change: ParticipationChange,
        from: Date,
        reason: String,
    },
}

impl Event {
    /// The stream the event belongs to (the one its command addressed).
    pub fn stream(&self) -> StreamId {
        let service = |id: &ServiceId| StreamId::Service(id.clone());
        match self {
            Self::ServiceAnnounced(e) => service(&e.service),
            Self::ServiceDetailsUpdated(e) => service(&e.service),
            Self::CostReported(e) => service(&e.service),
            Self::ServiceStatusChanged { service: id, .. }
            | Self::ReifegradAssessed { service: id, .. }
            | Self::ServiceRetired { service: id, .. }
            | Self::LandJoined { service: id, .. }
            | Self::LandLeft { service: id, .. }
            | Self::CostCorrected { service: id, .. }
            | Self::ParticipationCorrected { service: id, .. }
            | Self::ParticipationMoved { service: id, .. } => service(id),
            Self::YearClosed { service, .. } => StreamId::Settlement(service.clone()),
            Self::GemeindeRegistered { ags, .. }
            | Self::GemeindeRenamed { ags, .. }
            | Self::GemeindeMerged { ags, .. }
            | Self::GemeindeRetired { ags } => StreamId::Gemeinde(*ags),
            Self::KreisRegistered { key, .. } => StreamId::Kreis(*key),
            Self::OperatorRegistered { operator, .. } => StreamId::Operator(operator.clone()),
            Self::AdoptionRequested { service, ags, .. }
            | Self::AdoptionStepRecorded { service, ags, .. }
            | Self::AdoptionWithdrawn { service, ags, .. } => {
                StreamId::Adoption(service.clone(), *ags)
            }
            Self::AllocationKeyPublished { year, .. } => StreamId::AllocationKey(*year),
            Self::PopulationPublished { reference_date, .. } => {
                StreamId::Population(*reference_date)
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::ServiceAnnounced(_) => "ServiceAnnounced",
            Self::ServiceDetailsUpdated(_) => "ServiceDetailsUpdated",
            Self::ServiceStatusChanged { .. } => "ServiceStatusChanged",
            Self::ReifegradAssessed { .. } => "ReifegradAssessed",
            Self::ServiceRetired { .. } => "ServiceRetired",
            Self::LandJoined { .. } => "LandJoined",
            Self::LandLeft { .. } => "LandLeft",
            Self::CostReported(_) => "CostReported",
            Self::CostCorrected { .. } => "CostCorrected",
            Self::GemeindeRegistered { .. } => "GemeindeRegistered",
            Self::GemeindeRenamed { .. } => "GemeindeRenamed",
            Self::GemeindeMerged { .. } => "GemeindeMerged",
            Self::GemeindeRetired { .. } => "GemeindeRetired",
            Self::KreisRegistered { .. } => "KreisRegistered",
            Self::OperatorRegistered { .. } => "OperatorRegistered",
            Self::AdoptionRequested { .. } => "AdoptionRequested",
            Self::AdoptionStepRecorded { .. } => "AdoptionStepRecorded",
            Self::AdoptionWithdrawn { .. } => "AdoptionWithdrawn",
            Self::AllocationKeyPublished { .. } => "AllocationKeyPublished",
            Self::PopulationPublished { .. } => "PopulationPublished",
            Self::YearClosed { .. } => "YearClosed",
            Self::ParticipationCorrected { .. } => "ParticipationCorrected",
            Self::ParticipationMoved { .. } => "ParticipationMoved",
        }
    }
}

/// The details of a service after an update (they replace the old ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetailsUpdated {
    pub service: ServiceId,
    pub title: String,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
}

impl From<UpdateServiceDetails> for ServiceDetailsUpdated {
    fn from(cmd: UpdateServiceDetails) -> Self {
        Self {
            service: cmd.service,
            title: cmd.title,
            ozg_id: cmd.ozg_id,
            leika: cmd.leika,
            themenfeld: cmd.themenfeld,
            provider: cmd.provider,
            channel: cmd.channel,
            cost_model: cmd.cost_model,
        }
    }
}

/// A cost line of a service: `cost_no` numbers the lines of the service
/// from 1, so a correction can name the line it corrects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostReported {
    pub service: ServiceId,
    pub cost_no: u32,
    pub year: u16,
    pub category: CostCategory,
    pub amount: Cents,
    pub note: String,
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

/// Room for an encoded event with its version and hash: most take 150 to
/// 250 bytes, so a buffer this large is not grown on the way.
pub(crate) const ENCODED_EVENT_CAPACITY: usize = 320;

fn record_hash(record: &EventRecord) -> Hash {
    // Encoding a record cannot fail: it holds no maps or unsized types.
    let bytes = postcard::to_extend(record, Vec::with_capacity(ENCODED_EVENT_CAPACITY))
        .expect("an event record always encodes");
    hash_of_encoded_record(&bytes)
}

/// The seal of a record from its postcard bytes.
pub(crate) fn hash_of_encoded_record(bytes: &[u8]) -> Hash {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
