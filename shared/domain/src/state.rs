//! The state the ledger keeps per stream in order to decide: only what the
//! rules need, not the views. Stored by the ledger, so it is serialisable;
//! variants and fields are only appended.

use efa_proto::{
    AdoptionStage, Ags, Date, KreisKey, LandCode, OperatorId, Region, ServiceId, ServiceStatus,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StreamState {
    /// No event yet.
    #[default]
    Empty,
    Service(ServiceState),
    Gemeinde(GemeindeState),
    Kreis(KreisState),
    Operator(OperatorState),
    Adoption(AdoptionState),
    /// An allocation key was published for the stream's year.
    AllocationKey,
    /// Population figures were published for the stream's date.
    Population,
    /// The closed years of a service (its settlement stream).
    Settlement(SettlementState),
}

/// The closed years of one service: which, and which cost lines each
/// settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementState {
    pub service: ServiceId,
    pub closed: Vec<ClosedYear>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedYear {
    pub year: u16,
    pub cost_lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    pub id: ServiceId,
    pub lead: LandCode,
    pub status: ServiceStatus,
    /// Effective date of the announcement: the lead takes part from then.
    pub announced_on: Date,
    /// Every participation, in order; the lead's is the first.
    pub participations: Vec<Participation>,
    /// How many cost lines were reported (they are numbered from 1).
    pub cost_lines: u32,
}

impl ServiceState {
    /// The participation of `land` that has not ended, if any.
    pub fn open_participation(&self, land: LandCode) -> Option<&Participation> {
        self.participations
            .iter()
            .rev()
            .find(|p| p.land == land && p.left.is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    pub land: LandCode,
    pub joined: Date,
    pub left: Option<Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GemeindeStatus {
    Active,
    MergedInto(Ags),
    Retired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindeState {
    pub ags: Ags,
    pub name: String,
    pub status: GemeindeStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KreisState {
    pub key: KreisKey,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorState {
    pub id: OperatorId,
    pub name: String,
    pub region: Region,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionState {
    pub service: ServiceId,
    pub ags: Ags,
    /// Counts adoptions of this service by this municipality, from 1.
    pub adoption_no: u32,
    pub stage: AdoptionStage,
    /// Effective date of the last step: the next may not be earlier.
    pub last_step_on: Date,
}

/// The states of other streams a decision reads (never writes): the
/// service an adoption is for, the municipality, the acting operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Related(Vec<(efa_proto::StreamId, StreamState)>);

impl Related {
    pub fn new(states: Vec<(efa_proto::StreamId, StreamState)>) -> Self {
        Self(states)
    }

    /// The state of `stream`; `Empty` when it was not loaded or has no event.
    pub fn get(&self, stream: &efa_proto::StreamId) -> &StreamState {
        static EMPTY: StreamState = StreamState::Empty;
        self.0
            .iter()
            .find(|(id, _)| id == stream)
            .map_or(&EMPTY, |(_, state)| state)
    }
}
