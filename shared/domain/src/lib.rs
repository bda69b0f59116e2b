//! The pure EfA domain: given the state of a stream and a command, decide
//! which events happen or why not (`decide`); given a state and an event,
//! compute the next state (`evolve`). No I/O, no clock, no randomness, no
//! async: time comes in through `Ctx`, other streams through `Related`, so
//! every decision is a function of its inputs and can be replayed and
//! tested as data.

mod adoption;
pub mod allocation;
mod authority;
mod costs;
mod participants;
mod participation;
mod reference;
mod service;
pub mod settlement;
mod state;
mod validate;

pub use adoption::note_is_valid as adoption_note_is_valid;
pub use state::{
    AdoptionState, ClosedYear, GemeindeState, GemeindeStatus, KreisState, OperatorState,
    Participation, Related, ServiceState, SettlementState, StreamState,
};

use efa_proto::{Actor, Command, CommandEnvelope, Date, Event, Rejection, StreamId, Timestamp};

/// What the domain may know about the moment of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The ledger's clock when the command is decided.
    pub now: Timestamp,
}

impl Ctx {
    /// The effective date of a command: the one it states, else today.
    pub fn effective(&self, envelope: &CommandEnvelope) -> Date {
        envelope.effective.unwrap_or_else(|| self.now.date())
    }
}

/// The other streams whose state `decide` reads for this command; the
/// ledger loads them next to the command's own stream.
pub fn related_streams(envelope: &CommandEnvelope) -> Vec<StreamId> {
    let adoption = match &envelope.command {
        Command::RequestAdoption(c) => Some((&c.service, c.ags)),
        Command::RecordAdoptionStep(c) => Some((&c.service, c.ags)),
        Command::WithdrawAdoption(c) => Some((&c.service, c.ags)),
        Command::MergeGemeinde(c) => return vec![StreamId::Gemeinde(c.successor)],
        // A change to a service's participations, details or costs reads
        // its closed years; closing a year reads the service.
        Command::JoinService(c) => return settlement(&c.service),
        Command::LeaveService(c) => return settlement(&c.service),
        Command::CorrectParticipation(c) => return settlement(&c.service),
        Command::UpdateServiceDetails(c) => return settlement(&c.service),
        Command::RetireService(c) => return settlement(&c.service),
        Command::ReportCost(c) => return settlement(&c.service),
        Command::CloseYear(c) => return vec![StreamId::Service(c.service.clone())],
        _ => None,
    };
    let Some((service, ags)) = adoption else {
        return Vec::new();
    };
    let mut streams = vec![StreamId::Service(service.clone()), StreamId::Gemeinde(ags)];
    // An operator acts only inside its region, which its own stream holds.
    if let Actor::Operator(id) = &envelope.actor {
        streams.push(StreamId::Operator(id.clone()));
    }
    streams
}

fn settlement(service: &efa_proto::ServiceId) -> Vec<StreamId> {
    vec![StreamId::Settlement(service.clone())]
}

/// Decides a command against the current state of its stream and the
/// related streams it reads.
pub fn decide(
    state: &StreamState,
    related: &Related,
    envelope: &CommandEnvelope,
    ctx: &Ctx,
) -> Result<Vec<Event>, Rejection> {
    let effective = ctx.effective(envelope);
    validate::effective_date(effective, ctx.now)?;
    after_announcement(state, related, &envelope.command, effective)?;
    let actor = &envelope.actor;
    match &envelope.command {
        Command::AnnounceService(c) => service::announce(state, actor, c),
        Command::UpdateServiceDetails(c) => {
            service::update_details(state, related, actor, c, effective)
        }
        Command::ChangeServiceStatus(c) => service::change_status(state, actor, c),
        Command::AssessReifegrad(c) => service::assess(state, actor, c),
        Command::RetireService(c) => service::retire(state, related, actor, c, effective),
        Command::JoinService(c) => participation::join(state, related, actor, c, effective),
        Command::LeaveService(c) => participation::leave(state, related, actor, c, effective, ctx),
        Command::CorrectParticipation(c) => participation::correct(state, actor, c, effective),
        Command::CloseYear(c) => settlement::close(state, related, actor, c, ctx),
        Command::ReportCost(c) => costs::report(state, related, actor, c),
        Command::CorrectCost(c) => costs::correct(state, actor, c),
        Command::RegisterGemeinde(c) => participants::register_gemeinde(state, actor, c),
        Command::RenameGemeinde(c) => participants::rename_gemeinde(state, actor, c),
        Command::MergeGemeinde(c) => participants::merge_gemeinde(state, related, actor, c),
        Command::RetireGemeinde(c) => participants::retire_gemeinde(state, actor, c),
        Command::RegisterKreis(c) => participants::register_kreis(state, actor, c),
        Command::RegisterOperator(c) => participants::register_operator(state, actor, c),
        Command::RequestAdoption(c) => adoption::request(state, related, actor, c, effective),
        Command::RecordAdoptionStep(c) => adoption::step(state, related, actor, c, effective),
        Command::WithdrawAdoption(c) => adoption::withdraw(state, related, actor, c, effective),
        Command::PublishAllocationKey(c) => reference::publish_key(state, actor, c),
        Command::PublishPopulation(c) => reference::publish_population(state, actor, c),
    }
}

/// Nothing about a service takes effect before its announcement: a
/// status, a Reifegrad, details, a cost, an adoption dated earlier would
/// show in the views of days the service did not exist (a join has its
/// own check, in its own words).
fn after_announcement(
    state: &StreamState,
    related: &Related,
    command: &Command,
    effective: Date,
) -> Result<(), Rejection> {
    let (service, own) = match command {
        Command::UpdateServiceDetails(c) => (&c.service, true),
        Command::ChangeServiceStatus(c) => (&c.service, true),
        Command::AssessReifegrad(c) => (&c.service, true),
        Command::RetireService(c) => (&c.service, true),
        Command::ReportCost(c) => (&c.service, true),
        Command::CorrectCost(c) => (&c.service, true),
        Command::RequestAdoption(c) => (&c.service, false),
        Command::RecordAdoptionStep(c) => (&c.service, false),
        Command::WithdrawAdoption(c) => (&c.service, false),
        _ => return Ok(()),
    };
    let state = if own {
        state
    } else {
        related.get(&StreamId::Service(service.clone()))
    };
    match state {
        StreamState::Service(announced) if effective < announced.announced_on => {
            Err(Rejection::invalid(
                "effective",
                format!(
                    "liegt vor der Ankündigung der Leistung ({})",
                    announced.announced_on
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Applies one event, effective on `effective`, to its stream's state.
pub fn evolve(state: StreamState, event: &Event, effective: Date) -> StreamState {
    match event {
        Event::ServiceAnnounced(_)
        | Event::ServiceDetailsUpdated(_)
        | Event::ServiceStatusChanged { .. }
        | Event::ReifegradAssessed { .. }
        | Event::ServiceRetired { .. }
        | Event::LandJoined { .. }
        | Event::LandLeft { .. }
        | Event::CostReported(_)
        | Event::CostCorrected { .. }
        | Event::ParticipationCorrected { .. }
        | Event::ParticipationMoved { .. } => service::evolve(state, event, effective),
        Event::YearClosed { .. } => settlement::evolve(state, event),
        Event::GemeindeRegistered { .. }
        | Event::GemeindeRenamed { .. }
        | Event::GemeindeMerged { .. }
        | Event::GemeindeRetired { .. }
        | Event::KreisRegistered { .. }
        | Event::OperatorRegistered { .. } => participants::evolve(state, event),
        Event::AdoptionRequested { .. }
        | Event::AdoptionStepRecorded { .. }
        | Event::AdoptionWithdrawn { .. } => adoption::evolve(state, event, effective),
        Event::AllocationKeyPublished { .. } | Event::PopulationPublished { .. } => {
            reference::evolve(state, event)
        }
    }
}
