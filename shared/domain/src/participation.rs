//! Land participation: a Land joins (Beitritt) a service built by another
//! and may later leave. The lead takes part from the announcement and
//! cannot leave its own service.

use efa_proto::{Actor, Date, Event, JoinService, LeaveService, Rejection};

use crate::state::StreamState;
use crate::{authority, service};

pub fn join(
    state: &StreamState,
    actor: &Actor,
    cmd: &JoinService,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    authority::own_land(actor, cmd.land)?;
    let service = service::active(state, &cmd.service)?;
    if cmd.land == service.lead {
        return Err(Rejection::invalid_state(
            "das federführende Land nimmt von Beginn an teil",
        ));
    }
    if service.open_participation(cmd.land).is_some() {
        return Err(Rejection::AlreadyExists {
            what: format!("Beitritt von {} zu {}", cmd.land.name(), cmd.service),
        });
    }
    if effective < service.announced_on {
        return Err(Rejection::invalid(
            "effective",
            format!("Beitritt vor der Ankündigung ({})", service.announced_on),
        ));
    }
    if let Some(last_left) = service
        .participations
        .iter()
        .filter(|p| p.land == cmd.land)
        .filter_map(|p| p.left)
        .max()
        && effective < last_left
    {
        return Err(Rejection::invalid(
            "effective",
            format!("Beitritt vor dem letzten Austritt ({last_left})"),
        ));
    }
    Ok(vec![Event::LandJoined {
        service: cmd.service.clone(),
        land: cmd.land,
    }])
}

pub fn leave(
    state: &StreamState,
    actor: &Actor,
    cmd: &LeaveService,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    authority::own_land(actor, cmd.land)?;
    let service = service::existing(state, &cmd.service)?;
    if cmd.land == service.lead {
        return Err(Rejection::invalid_state(
            "das federführende Land kann nicht austreten; es stellt die Leistung ein",
        ));
    }
    let Some(open) = service.open_participation(cmd.land) else {
        return Err(Rejection::invalid_state(format!(
            "{} nimmt an {} nicht teil",
            cmd.land.name(),
            cmd.service
        )));
    };
    if effective < open.joined {
        return Err(Rejection::invalid(
            "effective",
            format!("Austritt vor dem Beitritt ({})", open.joined),
        ));
    }
    Ok(vec![Event::LandLeft {
        service: cmd.service.clone(),
        land: cmd.land,
    }])
}
