//! Commands: what a caller asks the ledger to do. A command may be
//! rejected; an event may not. Variants are only ever appended.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::ids::{Ags, CommandId, KreisKey, LandCode, OperatorId, ServiceId};
use crate::money::Cents;
use crate::participant::{AdoptionStage, CostCategory, Population, Region};
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::settlement::{CloseYear, CorrectParticipation};
use crate::time::Date;

/// A command with everything the ledger needs to decide and to record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEnvelope {
    /// The client's idempotency key.
    pub command_id: CommandId,
    /// Who asks; authenticated by the gateway, authorised by the domain.
    pub actor: Actor,
    /// Optimistic concurrency: the version of the stream the caller saw.
    pub expected_version: Option<u64>,
    /// When the change takes effect in the world; the day it is recorded
    /// when absent.
    pub effective: Option<Date>,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    AnnounceService(AnnounceService),
    UpdateServiceDetails(UpdateServiceDetails),
    ChangeServiceStatus(ChangeServiceStatus),
    AssessReifegrad(AssessReifegrad),
    RetireService(RetireService),
    JoinService(JoinService),
    LeaveService(LeaveService),
    ReportCost(ReportCost),
    CorrectCost(CorrectCost),
    RegisterGemeinde(RegisterGemeinde),
    RenameGemeinde(RenameGemeinde),
    MergeGemeinde(MergeGemeinde),
    RetireGemeinde(RetireGemeinde),
    RegisterKreis(RegisterKreis),
    RegisterOperator(RegisterOperator),
    RequestAdoption(RequestAdoption),
    RecordAdoptionStep(RecordAdoptionStep),
    WithdrawAdoption(WithdrawAdoption),
    PublishAllocationKey(PublishAllocationKey),
    PublishPopulation(PublishPopulation),
    CloseYear(CloseYear),
    CorrectParticipation(CorrectParticipation),
}

impl Command {
    /// The stream (aggregate) this command addresses.
    pub fn stream(&self) -> StreamId {
        let service = |id: &ServiceId| StreamId::Service(id.clone());
        let adoption = |id: &ServiceId, ags: Ags| StreamId::Adoption(id.clone(), ags);
        match self {
            Self::AnnounceService(c) => service(&c.service),
            Self::UpdateServiceDetails(c) => service(&c.service),
            Self::ChangeServiceStatus(c) => service(&c.service),
            Self::AssessReifegrad(c) => service(&c.service),
            Self::RetireService(c) => service(&c.service),
            Self::JoinService(c) => service(&c.service),
            Self::LeaveService(c) => service(&c.service),
            Self::ReportCost(c) => service(&c.service),
            Self::CorrectCost(c) => service(&c.service),
            Self::RegisterGemeinde(c) => StreamId::Gemeinde(c.ags),
            Self::RenameGemeinde(c) => StreamId::Gemeinde(c.ags),
            Self::MergeGemeinde(c) => StreamId::Gemeinde(c.ags),
            Self::RetireGemeinde(c) => StreamId::Gemeinde(c.ags),
            Self::RegisterKreis(c) => StreamId::Kreis(c.key),
            Self::RegisterOperator(c) => StreamId::Operator(c.operator.clone()),
            Self::RequestAdoption(c) => adoption(&c.service, c.ags),
            Self::RecordAdoptionStep(c) => adoption(&c.service, c.ags),
            Self::WithdrawAdoption(c) => adoption(&c.service, c.ags),
            Self::PublishAllocationKey(c) => StreamId::AllocationKey(c.year),
            Self::PublishPopulation(c) => StreamId::Population(c.reference_date),
            Self::CloseYear(c) => StreamId::Settlement(c.service.clone()),
            Self::CorrectParticipation(c) => service(&c.service),
        }
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AnnounceService(_) => "announce_service",
            Self::UpdateServiceDetails(_) => "update_service_details",
            Self::ChangeServiceStatus(_) => "change_service_status",
            Self::AssessReifegrad(_) => "assess_reifegrad",
            Self::RetireService(_) => "retire_service",
            Self::JoinService(_) => "join_service",
            Self::LeaveService(_) => "leave_service",
            Self::ReportCost(_) => "report_cost",
            Self::CorrectCost(_) => "correct_cost",
            Self::RegisterGemeinde(_) => "register_gemeinde",
            Self::RenameGemeinde(_) => "rename_gemeinde",
            Self::MergeGemeinde(_) => "merge_gemeinde",
            Self::RetireGemeinde(_) => "retire_gemeinde",
            Self::RegisterKreis(_) => "register_kreis",
            Self::RegisterOperator(_) => "register_operator",
            Self::RequestAdoption(_) => "request_adoption",
            Self::RecordAdoptionStep(_) => "record_adoption_step",
            Self::WithdrawAdoption(_) => "withdraw_adoption",
            Self::PublishAllocationKey(_) => "publish_allocation_key",
            Self::PublishPopulation(_) => "publish_population",
            Self::CloseYear(_) => "close_year",
            Self::CorrectParticipation(_) => "correct_participation",
        }
    }
}

/// A Land announces an EfA service that it builds as lead Land.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnounceService {
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

/// The lead Land changes what it announced (all details, replaced whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateServiceDetails {
    pub service: ServiceId,
    pub title: String,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
}

/// The lead Land moves the service to another status (not `Retired`:
/// that is `RetireService`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeServiceStatus {
    pub service: ServiceId,
    pub status: ServiceStatus,
}

/// The lead Land records an assessed OZG Reifegrad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessReifegrad {
    pub service: ServiceId,
    pub reifegrad: Reifegrad,
}

/// The lead Land retires the service; nobody adopts it afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetireService {
    pub service: ServiceId,
    pub reason: String,
}

/// A Land joins (Beitritt) a service built by another, from the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinService {
    pub service: ServiceId,
    pub land: LandCode,
}

/// A Land leaves a service it joined, from the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveService {
    pub service: ServiceId,
    pub land: LandCode,
}

/// The lead Land reports a cost of the service for a calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportCost {
    pub service: ServiceId,
    pub year: u16,
    pub category: CostCategory,
    pub amount: Cents,
    pub note: String,
}

/// The lead Land corrects a reported cost: the new amount replaces the old.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectCost {
    pub service: ServiceId,
    /// The number of the cost line, as in `CostReported::cost_no`.
    pub cost_no: u32,
    pub amount: Cents,
    pub reason: String,
}

/// An administrator registers a municipality (also done by imports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterGemeinde {
    pub ags: Ags,
    pub name: String,
    pub population: Option<Population>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameGemeinde {
    pub ags: Ags,
    pub name: String,
}

/// A municipality merges into a successor; its adoptions move there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeGemeinde {
    pub ags: Ags,
    pub successor: Ags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetireGemeinde {
    pub ags: Ags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterKreis {
    pub key: KreisKey,
    pub name: String,
    pub population: Option<Population>,
}

/// An administrator registers an operator and the region it acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterOperator {
    pub operator: OperatorId,
    pub name: String,
    pub region: Region,
}

/// A municipality (or its operator) asks to adopt a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAdoption {
    pub service: ServiceId,
    pub ags: Ags,
    pub note: String,
}

/// The next step of an adoption: agreed, onboarding or live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAdoptionStep {
    pub service: ServiceId,
    pub ags: Ags,
    pub stage: AdoptionStage,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawAdoption {
    pub service: ServiceId,
    pub ags: Ags,
    pub note: String,
}

/// An administrator publishes an allocation key (Königsteiner Schlüssel)
/// for a year: all 16 Länder, in units of 1/100,000 percent, summing to
/// exactly `KEY_UNITS_TOTAL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishAllocationKey {
    pub year: u16,
    pub shares: Vec<(LandCode, u32)>,
}

/// An administrator publishes the population of all 16 Länder on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishPopulation {
    pub reference_date: Date,
    pub figures: Vec<(LandCode, u64)>,
}

/// An event stream: the unit of consistency (one version counter each).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StreamId {
    Service(ServiceId),
    Gemeinde(Ags),
    Kreis(KreisKey),
    Operator(OperatorId),
    /// One municipality's adoption of one service.
    Adoption(ServiceId, Ags),
    /// The allocation key of one year.
    AllocationKey(u16),
    /// Population figures of one reference date.
    Population(Date),
    /// The closed years (Jahresabrechnungen) of one service.
    Settlement(ServiceId),
}

impl StreamId {
    /// The key under which the ledger stores this stream's state.
    pub fn storage_key(&self) -> Vec<u8> {
        self.dotted_name().into_bytes()
    }

    /// The stream's name as a dotted path, e.g.
    /// `service.digitale-baugenehmigung`: its state's key in the ledger's
    /// store. (Its events' NATS subject is coarser for adoptions, see
    /// `subjects::event_subject`.)
    pub fn dotted_name(&self) -> String {
        match self {
            Self::Service(id) => format!("service.{id}"),
            Self::Gemeinde(ags) => format!("gemeinde.{ags}"),
            Self::Kreis(key) => format!("kreis.{key}"),
            Self::Operator(id) => format!("operator.{id}"),
            Self::Adoption(id, ags) => format!("adoption.{id}.{ags}"),
            Self::AllocationKey(year) => format!("key.{year}"),
            Self::Population(date) => format!("population.{date}"),
            Self::Settlement(id) => format!("settlement.{id}"),
        }
    }
}
