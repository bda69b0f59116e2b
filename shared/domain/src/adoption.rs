//! Municipal adoption of a service: requested, agreed, onboarding, live,
//! or withdrawn. Steps go forward only (skipping is allowed, going back is
//! not), each with an effective date no earlier than the step before;
//! withdrawal ends an adoption, and a new request starts the next one.
//! Nobody adopts a retired service. A municipality whose Land has not
//! joined may still request: the views show that its Land has not joined.
//! A merged municipality's adoptions count for its successor, who may
//! withdraw them (nobody else can any more).

use efa_proto::{
    Actor, AdoptionStage, Date, Event, RecordAdoptionStep, Rejection, RequestAdoption, StreamId,
    WithdrawAdoption,
};

use crate::state::{AdoptionState, GemeindeStatus, Related, StreamState};
use crate::{authority, participants, service, validate};

fn current(state: &StreamState) -> Option<&AdoptionState> {
    match state {
        StreamState::Adoption(adoption) => Some(adoption),
        _ => None,
    }
}

/// Checks shared by every adoption command: the actor, the municipality
/// and the service.
fn preconditions(
    related: &Related,
    actor: &Actor,
    service: &efa_proto::ServiceId,
    ags: efa_proto::Ags,
    note: &str,
) -> Result<(), Rejection> {
    authority::for_gemeinde(actor, ags, related)?;
    participants::active_gemeinde(related.get(&StreamId::Gemeinde(ags)), ags)?;
    service::existing(related.get(&StreamId::Service(service.clone())), service)?;
    note_is_valid(note)
}

/// The longest note an adoption's command takes.
pub const NOTE_CHARS_MAX: usize = 1000;

/// An adoption command's note: as long and as plain as the domain takes
/// it (line breaks allowed, no other control or invisible characters).
pub fn note_is_valid(note: &str) -> Result<(), Rejection> {
    validate::optional_text("note", note, NOTE_CHARS_MAX)
}

pub fn request(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &RequestAdoption,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    preconditions(related, actor, &cmd.service, cmd.ags, &cmd.note)?;
    service::active(
        related.get(&StreamId::Service(cmd.service.clone())),
        &cmd.service,
    )?;
    let adoption_no = match current(state) {
        Some(adoption) if adoption.stage != AdoptionStage::Withdrawn => {
            return Err(Rejection::AlreadyExists {
                what: format!(
                    "Einführung von {} in {} ({})",
                    cmd.service,
                    cmd.ags,
                    adoption.stage.label_de()
                ),
            });
        }
        // Asked anew after a withdrawal: not before it, or the two
        // adoptions would overlap in the views of the days between.
        Some(adoption) if effective < adoption.last_step_on => {
            return Err(Rejection::invalid(
                "effective",
                format!(
                    "Datum vor dem Rückzug der früheren Einführung ({})",
                    adoption.last_step_on
                ),
            ));
        }
        Some(adoption) => adoption.adoption_no + 1,
        None => 1,
    };
    Ok(vec![Event::AdoptionRequested {
        service: cmd.service.clone(),
        ags: cmd.ags,
        adoption_no,
        note: cmd.note.clone(),
    }])
}

/// The running adoption, and a check that `effective` does not go back.
fn running<'a>(
    state: &'a StreamState,
    service: &efa_proto::ServiceId,
    ags: efa_proto::Ags,
    effective: Date,
) -> Result<&'a AdoptionState, Rejection> {
    let adoption = match current(state) {
        Some(adoption) if adoption.stage != AdoptionStage::Withdrawn => adoption,
        _ => {
            return Err(Rejection::invalid_state(format!(
                "keine laufende Einführung von {service} in {ags}"
            )));
        }
    };
    if effective < adoption.last_step_on {
        return Err(Rejection::invalid(
            "effective",
            format!("Datum vor dem letzten Schritt ({})", adoption.last_step_on),
        ));
    }
    Ok(adoption)
}

pub fn step(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &RecordAdoptionStep,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    preconditions(related, actor, &cmd.service, cmd.ags, &cmd.note)?;
    if !matches!(
        cmd.stage,
        AdoptionStage::Agreed | AdoptionStage::Onboarding | AdoptionStage::Live
    ) {
        return Err(Rejection::invalid(
            "stage",
            "ein Schritt ist vereinbart, Anbindung oder in Betrieb",
        ));
    }
    service::active(
        related.get(&StreamId::Service(cmd.service.clone())),
        &cmd.service,
    )?;
    let adoption = running(state, &cmd.service, cmd.ags, effective)?;
    if cmd.stage <= adoption.stage {
        return Err(Rejection::invalid_state(format!(
            "Schritte gehen nur vorwärts: „{}“ nach „{}“",
            cmd.stage.label_de(),
            adoption.stage.label_de()
        )));
    }
    Ok(vec![Event::AdoptionStepRecorded {
        service: cmd.service.clone(),
        ags: cmd.ags,
        adoption_no: adoption.adoption_no,
        stage: cmd.stage,
        note: cmd.note.clone(),
    }])
}

pub fn withdraw(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &WithdrawAdoption,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    match related.get(&StreamId::Gemeinde(cmd.ags)) {
        // A municipality merged into another: its successor took over
        // its adoptions, which count for the successor, and may end them.
        StreamState::Gemeinde(gemeinde)
            if let GemeindeStatus::MergedInto(successor) = gemeinde.status =>
        {
            authority::for_gemeinde(actor, successor, related)?;
            service::existing(
                related.get(&StreamId::Service(cmd.service.clone())),
                &cmd.service,
            )?;
            note_is_valid(&cmd.note)?;
        }
        _ => preconditions(related, actor, &cmd.service, cmd.ags, &cmd.note)?,
    }
    let adoption = running(state, &cmd.service, cmd.ags, effective)?;
    Ok(vec![Event::AdoptionWithdrawn {
        service: cmd.service.clone(),
        ags: cmd.ags,
        adoption_no: adoption.adoption_no,
        note: cmd.note.clone(),
    }])
}

pub fn evolve(state: StreamState, event: &Event, effective: Date) -> StreamState {
    let (service, ags, adoption_no, stage) = match event {
        Event::AdoptionRequested {
            service,
            ags,
            adoption_no,
            ..
        } => (service, ags, adoption_no, AdoptionStage::Requested),
        Event::AdoptionStepRecorded {
            service,
            ags,
            adoption_no,
            stage,
            ..
        } => (service, ags, adoption_no, *stage),
        Event::AdoptionWithdrawn {
            service,
            ags,
            adoption_no,
            ..
        } => (service, ags, adoption_no, AdoptionStage::Withdrawn),
        _ => return state,
    };
    StreamState::Adoption(AdoptionState {
        service: service.clone(),
        ags: *ags,
        adoption_no: *adoption_no,
        stage,
        last_step_on: effective,
    })
}
