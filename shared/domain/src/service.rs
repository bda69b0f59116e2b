//! The rules of an EfA service's lifecycle: who announces it, and what an
//! announcement must contain.

use efa_proto::{
    Actor, AnnounceService, Event, ForbiddenReason, Rejection, ServiceAnnounced, ServiceStatus,
};

use crate::state::{ServiceState, StreamState};
use crate::{Ctx, validate};

/// A Land announces a service it builds; it must name itself as lead.
pub fn announce(
    state: &StreamState,
    actor: &Actor,
    cmd: &AnnounceService,
    _ctx: &Ctx,
) -> Result<Vec<Event>, Rejection> {
    let Actor::Land(land) = actor else {
        return Err(Rejection::Forbidden {
            reason: ForbiddenReason::LandOnly,
        });
    };
    if *land != cmd.lead {
        return Err(Rejection::Forbidden {
            reason: ForbiddenReason::NotOwnLand,
        });
    }
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("EfA-Leistung {}", cmd.service),
        });
    }
    validate::required_text("title", &cmd.title, 300)?;
    validate::required_text("themenfeld", &cmd.themenfeld, 200)?;
    validate::required_text("provider", &cmd.provider, 200)?;
    if let Some(ozg_id) = &cmd.ozg_id {
        validate::required_text("ozg_id", ozg_id, 100)?;
    }
    validate::leika_keys(&cmd.leika)?;
    validate::cost_model(&cmd.cost_model)?;
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

pub fn evolve_announced(_state: StreamState, event: &ServiceAnnounced) -> StreamState {
    StreamState::Service(ServiceState {
        id: event.service.clone(),
        lead: event.lead,
        status: event.status,
    })
}
