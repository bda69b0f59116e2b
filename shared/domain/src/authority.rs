//! Who may act: the rules about actors, shared by the commands. Each
//! returns the typed `Forbidden` reason a client can act on.

use efa_proto::{Actor, Ags, ForbiddenReason, LandCode, Rejection, StreamId};

use crate::state::{Related, ServiceState, StreamState};

fn forbidden(reason: ForbiddenReason) -> Rejection {
    Rejection::Forbidden { reason }
}

/// The acting Land, or `LandOnly`.
pub fn land(actor: &Actor) -> Result<LandCode, Rejection> {
    match actor {
        Actor::Land(land) => Ok(*land),
        _ => Err(forbidden(ForbiddenReason::LandOnly)),
    }
}

/// A Land acting for `land` itself.
pub fn own_land(actor: &Actor, land: LandCode) -> Result<(), Rejection> {
    if self::land(actor)? == land {
        Ok(())
    } else {
        Err(forbidden(ForbiddenReason::NotOwnLand))
    }
}

/// The service's lead Land.
pub fn lead(actor: &Actor, service: &ServiceState) -> Result<(), Rejection> {
    if self::land(actor)? == service.lead {
        Ok(())
    } else {
        Err(forbidden(ForbiddenReason::NotLeadLand))
    }
}

pub fn admin(actor: &Actor) -> Result<(), Rejection> {
    match actor {
        Actor::Admin => Ok(()),
        _ => Err(forbidden(ForbiddenReason::AdminOnly)),
    }
}

/// Who may record a municipality's adoption: the municipality itself, an
/// operator whose region covers it, or the Land it belongs to.
pub fn for_gemeinde(actor: &Actor, ags: Ags, related: &Related) -> Result<(), Rejection> {
    match actor {
        Actor::Gemeinde(own) if *own == ags => Ok(()),
        Actor::Gemeinde(_) => Err(forbidden(ForbiddenReason::NotOwnMunicipality)),
        Actor::Operator(id) => match related.get(&StreamId::Operator(id.clone())) {
            StreamState::Operator(operator) if operator.region.covers(ags) => Ok(()),
            StreamState::Operator(_) => Err(forbidden(ForbiddenReason::OutsideRegion)),
            _ => Err(Rejection::NotFound {
                what: format!("Betreiber {id}"),
            }),
        },
        Actor::Land(land) if *land == ags.land() => Ok(()),
        Actor::Land(_) => Err(forbidden(ForbiddenReason::NotOwnLand)),
        Actor::Admin => Err(forbidden(ForbiddenReason::NotOwnMunicipality)),
    }
}
