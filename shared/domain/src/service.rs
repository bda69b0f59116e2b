//! The rules of an EfA service's lifecycle: announced by a Land as its
//! lead, its details, status and Reifegrad changed by the lead only,
//! retired by the lead.

use efa_proto::{
    Actor, AnnounceService, AssessReifegrad, ChangeServiceStatus, Date, Event, ParticipationChange,
    Rejection, RetireService, ServiceAnnounced, ServiceStatus, UpdateServiceDetails,
};

use crate::state::{Participation, Related, ServiceState, StreamState};
use crate::{authority, settlement, validate};

/// The service a command addresses, which must exist.
pub fn existing<'a>(
    state: &'a StreamState,
    id: &efa_proto::ServiceId,
) -> Result<&'a ServiceState, Rejection> {
    match state {
        StreamState::Service(service) => Ok(service),
        _ => Err(Rejection::NotFound {
            what: format!("EfA-Leistung {id}"),
        }),
    }
}

/// The service, which must exist and not be retired.
pub fn active<'a>(
    state: &'a StreamState,
    id: &efa_proto::ServiceId,
) -> Result<&'a ServiceState, Rejection> {
    let service = existing(state, id)?;
    if service.status == ServiceStatus::Retired {
        return Err(Rejection::invalid_state(format!(
            "EfA-Leistung {id} ist eingestellt"
        )));
    }
    Ok(service)
}

struct Details<'a> {
    title: &'a str,
    ozg_id: Option<&'a String>,
    leika: &'a [String],
    themenfeld: &'a str,
    provider: &'a str,
    cost_model: &'a efa_proto::CostModel,
}

fn check_details(details: &Details) -> Result<(), Rejection> {
    validate::required_line("title", details.title, 300)?;
    validate::required_line("themenfeld", details.themenfeld, 200)?;
    validate::required_line("provider", details.provider, 200)?;
    if let Some(ozg_id) = details.ozg_id {
        validate::required_line("ozg_id", ozg_id, 100)?;
    }
    validate::leika_keys(details.leika)?;
    validate::cost_model(details.cost_model)
}

/// A Land announces a service it builds; it must name itself as lead.
pub fn announce(
    state: &StreamState,
    actor: &Actor,
    cmd: &AnnounceService,
) -> Result<Vec<Event>, Rejection> {
    authority::own_land(actor, cmd.lead)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("EfA-Leistung {}", cmd.service),
        });
    }
    check_details(&Details {
        title: &cmd.title,
        ozg_id: cmd.ozg_id.as_ref(),
        leika: &cmd.leika,
        themenfeld: &cmd.themenfeld,
        provider: &cmd.provider,
        cost_model: &cmd.cost_model,
    })?;
    if cmd.status == ServiceStatus::Retired {
        return Err(Rejection::invalid(
            "status",
            "eine neue Leistung kann nicht eingestellt sein",
        ));
    }
    Ok(vec![Event::ServiceAnnounced(ServiceAnnounced::from(
        cmd.clone(),
    ))])
}

/// The details, the cost model among them, take effect from the year of
/// the effective date on; a closed year keeps the model it was settled
/// with, so the change may not take effect in one.
pub fn update_details(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &UpdateServiceDetails,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    let service = active(state, &cmd.service)?;
    authority::lead(actor, service)?;
    settlement::open_from(related, &cmd.service, effective)?;
    check_details(&Details {
        title: &cmd.title,
        ozg_id: cmd.ozg_id.as_ref(),
        leika: &cmd.leika,
        themenfeld: &cmd.themenfeld,
        provider: &cmd.provider,
        cost_model: &cmd.cost_model,
    })?;
    Ok(vec![Event::ServiceDetailsUpdated(cmd.clone().into())])
}

pub fn change_status(
    state: &StreamState,
    actor: &Actor,
    cmd: &ChangeServiceStatus,
) -> Result<Vec<Event>, Rejection> {
    let service = active(state, &cmd.service)?;
    authority::lead(actor, service)?;
    if cmd.status == ServiceStatus::Retired {
        return Err(Rejection::invalid(
            "status",
            "Einstellen geht über „Leistung einstellen“, mit Begründung",
        ));
    }
    if cmd.status == service.status {
        return Err(Rejection::invalid_state(format!(
            "Status ist bereits „{}“",
            cmd.status.label_de()
        )));
    }
    Ok(vec![Event::ServiceStatusChanged {
        service: cmd.service.clone(),
        from: service.status,
        to: cmd.status,
    }])
}

pub fn assess(
    state: &StreamState,
    actor: &Actor,
    cmd: &AssessReifegrad,
) -> Result<Vec<Event>, Rejection> {
    let service = active(state, &cmd.service)?;
    authority::lead(actor, service)?;
    Ok(vec![Event::ReifegradAssessed {
        service: cmd.service.clone(),
        reifegrad: cmd.reifegrad,
    }])
}

/// Retiring ends every participation on the effective date, so it may not
/// take effect in a closed year.
pub fn retire(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &RetireService,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    let service = active(state, &cmd.service)?;
    authority::lead(actor, service)?;
    settlement::open_from(related, &cmd.service, effective)?;
    validate::required_text("reason", &cmd.reason, 1000)?;
    Ok(vec![Event::ServiceRetired {
        service: cmd.service.clone(),
        reason: cmd.reason.clone(),
    }])
}

/// The participation of `land` that has not ended, if any.
fn open_of(
    participations: &mut [Participation],
    land: efa_proto::LandCode,
) -> Option<&mut Participation> {
    participations
        .iter_mut()
        .rev()
        .find(|p| p.land == land && p.left.is_none())
}

/// Applies a service event to the service's state.
pub fn evolve(state: StreamState, event: &Event, effective: Date) -> StreamState {
    if let Event::ServiceAnnounced(announced) = event {
        return StreamState::Service(ServiceState {
            id: announced.service.clone(),
            lead: announced.lead,
            status: announced.status,
            announced_on: effective,
            participations: vec![Participation {
                land: announced.lead,
                joined: effective,
                left: None,
            }],
            cost_lines: 0,
        });
    }
    let StreamState::Service(mut service) = state else {
        return state;
    };
    match event {
        Event::ServiceStatusChanged { to, .. } => service.status = *to,
        Event::ServiceRetired { .. } => {
            service.status = ServiceStatus::Retired;
            for participation in service
                .participations
                .iter_mut()
                .filter(|p| p.left.is_none())
            {
                participation.left = Some(effective);
            }
        }
        Event::LandJoined { land, .. }
        | Event::ParticipationCorrected {
            land,
            change: ParticipationChange::Join,
            ..
        } => service.participations.push(Participation {
            land: *land,
            joined: effective,
            left: None,
        }),
        Event::LandLeft { land, .. }
        | Event::ParticipationCorrected {
            land,
            change: ParticipationChange::Leave,
            ..
        } => {
            if let Some(open) = open_of(&mut service.participations, *land) {
                open.left = Some(effective);
            }
        }
        Event::ParticipationMoved { land, change, .. } => {
            let last = service
                .participations
                .iter_mut()
                .rev()
                .find(|p| p.land == *land);
            match (change, last) {
                // The Land's last participation: open, or ended by the
                // service's retirement.
                (ParticipationChange::Join, Some(last)) => last.joined = effective,
                // Only an Austritt that was recorded moves.
                (ParticipationChange::Leave, Some(last)) if last.left.is_some() => {
                    last.left = Some(effective);
                }
                _ => {}
            }
        }
        Event::CostReported(reported) => {
            service.cost_lines = service.cost_lines.max(reported.cost_no)
        }
        _ => {}
    }
    StreamState::Service(service)
}
