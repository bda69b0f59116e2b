//! Facts: what the projector keeps per entity, each change with the date it
//! takes effect and the ledger sequence that recorded it, so that every
//! view can be computed "as of" any date without replaying the log. The
//! store keeps them with `efa_proto::encode`; fields are only appended.
//!
//! Reading a fact "as of" a day means: only what takes effect on or before
//! that day counts; among several changes in effect, the latest effective
//! date wins, and the later ledger sequence breaks a tie.

use efa_proto::{
    Actor, AdoptionStage, Ags, Cents, Channel, CostCategory, CostModel, Date, EventRecord,
    KreisKey, LandCode, OperatorId, ParticipationChange, Population, Region, Reifegrad, ServiceId,
    ServiceStatus, Settlement, StreamId, Timestamp,
};
use serde::{Deserialize, Serialize};

/// When a fact took effect and which ledger event recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct At {
    pub effective: Date,
    pub seq: u64,
    /// The stream's version after the event.
    pub version: u64,
}

impl At {
    pub fn of(record: &EventRecord) -> Self {
        Self {
            effective: record.effective,
            seq: record.seq,
            version: record.stream_version,
        }
    }

    /// Whether the fact is in effect on `day`.
    pub fn by(&self, day: Date) -> bool {
        self.effective <= day
    }

    fn order(&self) -> (Date, u64) {
        (self.effective, self.seq)
    }
}

/// The value in effect on `day` among dated changes, if any is.
pub fn in_effect<T>(changes: &[(At, T)], day: Date) -> Option<(&At, &T)> {
    changes
        .iter()
        .filter(|(at, _)| at.by(day))
        .max_by_key(|(at, _)| at.order())
        .map(|(at, value)| (at, value))
}

/// The value of the latest change, whatever its date.
pub fn latest<T>(changes: &[(At, T)]) -> Option<&T> {
    changes
        .iter()
        .max_by_key(|(at, _)| at.order())
        .map(|(_, value)| value)
}

/// The details of a service that an update replaces as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub title: String,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
}

/// One participation of a Land: from `joined` (inclusive) to `left`
/// (exclusive), as `efa_domain::allocation::Interval` counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationFact {
    pub land: LandCode,
    pub joined: Date,
    pub left: Option<Date>,
    pub joined_seq: u64,
}

impl ParticipationFact {
    /// Whether the Land takes part on `day`.
    pub fn covers(&self, day: Date) -> bool {
        self.joined <= day && self.left.is_none_or(|left| day < left)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionFact {
    pub amount: Cents,
    pub at: At,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLineFact {
    pub cost_no: u32,
    pub year: u16,
    pub category: CostCategory,
    pub reported: Cents,
    pub note: String,
    pub at: At,
    pub corrections: Vec<CorrectionFact>,
}

impl CostLineFact {
    /// The amount after all corrections (each names the new amount).
    pub fn amount(&self) -> Cents {
        self.corrections
            .last()
            .map_or(self.reported, |correction| correction.amount)
    }
}

/// A closed year (Jahresabrechnung) as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingFact {
    pub year: u16,
    pub settlement: Settlement,
    pub at: At,
    pub recorded_at: Timestamp,
    pub actor: Actor,
}

/// An explicit correction of a participation by the lead Land or the
/// administration (it also changed `participations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationCorrectionFact {
    pub land: LandCode,
    pub change: ParticipationChange,
    pub reason: String,
    pub at: At,
    /// The Beitritt or Austritt the correction moved to `at.effective`;
    /// `None` where it recorded a new one.
    pub previous: Option<Date>,
}

impl ParticipationCorrectionFact {
    /// The first day whose split the correction may change: its effective
    /// date, or the earlier date it moved.
    pub fn touches_from(&self) -> Date {
        self.previous.map_or(self.at.effective, |previous| {
            previous.min(self.at.effective)
        })
    }
}

/// Everything known about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFacts {
    pub id: ServiceId,
    pub lead: LandCode,
    /// The announcement; its effective date is `announced_on`.
    pub announced: At,
    pub recorded_at: Timestamp,
    pub details: Details,
    pub status: ServiceStatus,
    pub reifegrad: Reifegrad,
    pub detail_updates: Vec<(At, Details)>,
    pub status_changes: Vec<(At, ServiceStatus)>,
    pub assessments: Vec<(At, Reifegrad)>,
    /// The retirement and its reason.
    pub retired: Option<(At, String)>,
    /// In ledger order; the lead's, from the announcement, is the first.
    pub participations: Vec<ParticipationFact>,
    /// By `cost_no`.
    pub costs: Vec<CostLineFact>,
    /// The closed years, in ledger order.
    pub closings: Vec<ClosingFact>,
    pub participation_corrections: Vec<ParticipationCorrectionFact>,
    /// The version of the service's stream after its last event (what an
    /// `If-Match` is checked against).
    pub stream_version: u64,
    /// The ledger sequence of every event that changed these facts, in
    /// ledger order: the facts as recorded up to a sequence are these
    /// events up to it, evolved again (`cost_read::facts_known_at`), since some
    /// events overwrite what an earlier one left (a moved Beitritt, a cost
    /// line reported again).
    pub event_seqs: Vec<u64>,
}

/// Everything known about one municipality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindeFacts {
    pub ags: Ags,
    pub registered: At,
    pub name: String,
    pub population: Option<Population>,
    pub renames: Vec<(At, String)>,
    pub merged: Option<(At, Ags)>,
    pub retired: Option<At>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KreisFacts {
    pub key: KreisKey,
    pub registered: At,
    pub name: String,
    pub population: Option<Population>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorFacts {
    pub id: OperatorId,
    pub registered: At,
    pub name: String,
    pub region: Region,
}

/// One step of an adoption (the request is the step `Requested`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFact {
    pub adoption_no: u32,
    pub stage: AdoptionStage,
    pub at: At,
    pub recorded_at: Timestamp,
    pub actor: Actor,
    pub note: String,
}

/// Every step of every adoption of one service by one municipality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionFacts {
    pub service: ServiceId,
    pub ags: Ags,
    /// In ledger order.
    pub steps: Vec<StepFact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFacts {
    pub year: u16,
    pub at: At,
    pub shares: Vec<(LandCode, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationFacts {
    pub reference_date: Date,
    pub at: At,
    pub figures: Vec<(LandCode, u64)>,
}

/// The facts of one stream, whichever kind it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    /// Boxed: much larger than the others.
    Service(Box<ServiceFacts>),
    Gemeinde(GemeindeFacts),
    Kreis(KreisFacts),
    Operator(OperatorFacts),
    Adoption(AdoptionFacts),
    Key(KeyFacts),
    Population(PopulationFacts),
}

impl Facts {
    /// The stream these facts are about (which also names their key).
    pub fn stream(&self) -> StreamId {
        match self {
            Self::Service(f) => StreamId::Service(f.id.clone()),
            Self::Gemeinde(f) => StreamId::Gemeinde(f.ags),
            Self::Kreis(f) => StreamId::Kreis(f.key),
            Self::Operator(f) => StreamId::Operator(f.id.clone()),
            Self::Adoption(f) => StreamId::Adoption(f.service.clone(), f.ags),
            Self::Key(f) => StreamId::AllocationKey(f.year),
            Self::Population(f) => StreamId::Population(f.reference_date),
        }
    }
}
