//! Land participation: a Land joins (Beitritt) a service built by another
//! and may later leave. The lead takes part from the announcement and
//! cannot leave its own service.
//!
//! Backdating: a Land may date its own Beitritt back to any day of a year
//! that is not closed (it takes on costs itself), its own Austritt at most
//! `LEAVE_BACKDATE_DAYS` back and not into a closed year (it moves costs
//! to the others). Anything further back is an explicit correction by the
//! lead Land or the administration (`CorrectParticipation`), with a reason.
//!
//! A correction also moves a date recorded wrongly: a Beitritt correction
//! for a Land that takes part moves its Beitritt to the corrected day, an
//! Austritt correction for a Land that has left moves its last Austritt
//! (`ParticipationMoved`, naming the day it moves from). Nothing else can:
//! the events are never edited.

use efa_proto::{
    Actor, CorrectParticipation, Date, Event, JoinService, LandCode, LeaveService,
    ParticipationChange, Rejection, ServiceStatus,
};

use crate::settlement::{self, LEAVE_BACKDATE_DAYS};
use crate::state::{Participation, Related, ServiceState, StreamState};
use crate::{Ctx, authority, service, validate};

pub fn join(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &JoinService,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    authority::own_land(actor, cmd.land)?;
    let service = service::active(state, &cmd.service)?;
    may_join(service, cmd.land, effective)?;
    settlement::open_from(related, &cmd.service, effective)?;
    Ok(vec![Event::LandJoined {
        service: cmd.service.clone(),
        land: cmd.land,
    }])
}

/// Whether `land` may join `service` on `effective`, whoever records it.
fn may_join(service: &ServiceState, land: LandCode, effective: Date) -> Result<(), Rejection> {
    not_the_lead(service, land)?;
    if service.open_participation(land).is_some() {
        return Err(Rejection::AlreadyExists {
            what: format!("Beitritt von {} zu {}", land.name(), service.id),
        });
    }
    let last_left = (service.participations.iter())
        .filter(|p| p.land == land)
        .filter_map(|p| p.left)
        .max();
    beitritt_day(service, effective, last_left)
}

/// The lead takes part from the announcement: no Beitritt of its own.
fn not_the_lead(service: &ServiceState, land: LandCode) -> Result<(), Rejection> {
    if land == service.lead {
        return Err(Rejection::invalid_state(
            "das federführende Land nimmt von Beginn an teil",
        ));
    }
    Ok(())
}

/// A Beitritt takes effect no earlier than the announcement and than the
/// Land's Austritt before it (`previous_left`), whoever records it.
fn beitritt_day(
    service: &ServiceState,
    effective: Date,
    previous_left: Option<Date>,
) -> Result<(), Rejection> {
    if effective < service.announced_on {
        return Err(Rejection::invalid(
            "effective",
            format!(
                "Beitritt vor der Ankündigung ({})",
                service.announced_on.de()
            ),
        ));
    }
    match previous_left {
        Some(left) if effective < left => Err(Rejection::invalid(
            "effective",
            format!("Beitritt vor dem letzten Austritt ({})", left.de()),
        )),
        _ => Ok(()),
    }
}

/// A Land that does not take part (or never did): nothing to end.
fn not_taking_part(service: &ServiceState, land: LandCode) -> Rejection {
    Rejection::invalid_state(format!(
        "{} nimmt an {} nicht teil",
        land.name(),
        service.id
    ))
}

pub fn leave(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &LeaveService,
    effective: Date,
    ctx: &Ctx,
) -> Result<Vec<Event>, Rejection> {
    authority::own_land(actor, cmd.land)?;
    let service = service::existing(state, &cmd.service)?;
    may_leave(service, cmd.land, effective)?;
    let earliest = earliest_leave(ctx);
    if effective < earliest {
        return Err(Rejection::TooFarBack { earliest });
    }
    settlement::open_from(related, &cmd.service, effective)?;
    Ok(vec![Event::LandLeft {
        service: cmd.service.clone(),
        land: cmd.land,
    }])
}

/// The first day a Land may date its own Austritt on.
pub fn earliest_leave(ctx: &Ctx) -> Date {
    let today = ctx.now.date();
    Date::try_from(today.days_since_epoch() - LEAVE_BACKDATE_DAYS).unwrap_or(today)
}

/// Whether `land` may leave `service` on `effective`, whoever records it.
fn may_leave(service: &ServiceState, land: LandCode, effective: Date) -> Result<(), Rejection> {
    if land == service.lead {
        return Err(Rejection::invalid_state(
            "das federführende Land kann nicht austreten; es stellt die Leistung ein",
        ));
    }
    let Some(open) = service.open_participation(land) else {
        return Err(not_taking_part(service, land));
    };
    // The Austritt is the first day without the Land: on the day of its
    // Beitritt the Land would never have taken part.
    if effective <= open.joined {
        return Err(Rejection::invalid(
            "effective",
            format!(
                "Austritt frühestens am Tag nach dem Beitritt ({})",
                open.joined.de()
            ),
        ));
    }
    Ok(())
}

/// The lead Land or the administration records a Land's Beitritt or
/// Austritt as a correction: any date since the announcement, closed years
/// included; the views show what it changes in a closed year as a
/// supplement. For a Land that takes part, a Beitritt correction moves its
/// Beitritt; for a Land that has left, an Austritt correction moves its
/// last Austritt.
pub fn correct(
    state: &StreamState,
    actor: &Actor,
    cmd: &CorrectParticipation,
    effective: Date,
) -> Result<Vec<Event>, Rejection> {
    let service = service::existing(state, &cmd.service)?;
    settlement::lead_or_admin(actor, service)?;
    validate::required_text("reason", &cmd.reason, 1000)?;
    let corrected = Event::ParticipationCorrected {
        service: cmd.service.clone(),
        land: cmd.land,
        change: cmd.change,
        reason: cmd.reason.clone(),
    };
    let moved = |from| Event::ParticipationMoved {
        service: cmd.service.clone(),
        land: cmd.land,
        change: cmd.change,
        from,
        reason: cmd.reason.clone(),
    };
    let event = match (cmd.change, service.open_participation(cmd.land)) {
        // A Beitritt before the Land's last Austritt can only correct the
        // participation that Austritt ended (also one the retirement of the
        // service ended); on or after it, the Land joins again.
        (ParticipationChange::Join, None) => match ended_after(service, cmd.land, effective) {
            Some(ended) => {
                may_move_join(service, ended, effective)?;
                moved(ended.joined)
            }
            None => {
                service::active(state, &cmd.service)?;
                may_join(service, cmd.land, effective)?;
                corrected
            }
        },
        (ParticipationChange::Join, Some(open)) => {
            service::active(state, &cmd.service)?;
            may_move_join(service, open, effective)?;
            moved(open.joined)
        }
        (ParticipationChange::Leave, Some(_)) => {
            may_leave(service, cmd.land, effective)?;
            corrected
        }
        (ParticipationChange::Leave, None) => moved(may_move_leave(service, cmd.land, effective)?),
    };
    Ok(vec![event])
}

/// Whether the Beitritt of `moving` (the Land's last participation) may
/// move to `effective`: not the lead's, not before the announcement or the
/// Land's previous Austritt, not on or after its own Austritt, and not to
/// the day it already has.
fn may_move_join(
    service: &ServiceState,
    moving: &Participation,
    effective: Date,
) -> Result<(), Rejection> {
    not_the_lead(service, moving.land)?;
    if effective == moving.joined {
        return Err(Rejection::AlreadyExists {
            what: format!(
                "Beitritt von {} zu {} wirksam ab {}",
                moving.land.name(),
                service.id,
                effective.de()
            ),
        });
    }
    if let Some(left) = moving.left
        && effective >= left
    {
        return Err(Rejection::invalid(
            "effective",
            format!("Beitritt am oder nach dem Austritt ({})", left.de()),
        ));
    }
    let earlier_left = (service.participations.iter())
        .filter(|p| p.land == moving.land && p.joined < moving.joined)
        .filter_map(|p| p.left)
        .max();
    beitritt_day(service, effective, earlier_left)
}

/// The day `service` was retired, if it was: the retirement ended every
/// participation, the lead's (the first) among them.
fn retired_on(service: &ServiceState) -> Option<Date> {
    (service.status == ServiceStatus::Retired)
        .then(|| service.participations.first().and_then(|lead| lead.left))
        .flatten()
}

/// The last participation of `land` if it ended after `day`: a Beitritt
/// on `day` can only be its own, moved.
fn ended_after(service: &ServiceState, land: LandCode, day: Date) -> Option<&Participation> {
    let last = service
        .participations
        .iter()
        .rev()
        .find(|p| p.land == land)?;
    (last.left.is_some_and(|left| day < left) && land != service.lead).then_some(last)
}

/// Whether the last Austritt of `land` may move to `effective`: not
/// before its Beitritt, not to the day it already has, and on a retired
/// service not after the retirement, which ended every participation.
/// Returns the Austritt it moves.
fn may_move_leave(
    service: &ServiceState,
    land: LandCode,
    effective: Date,
) -> Result<Date, Rejection> {
    let last = (land != service.lead)
        .then(|| service.participations.iter().rev().find(|p| p.land == land))
        .flatten();
    let Some((last, left)) = last.and_then(|p| p.left.map(|left| (p, left))) else {
        return Err(not_taking_part(service, land));
    };
    if effective == left {
        return Err(Rejection::AlreadyExists {
            what: format!(
                "Austritt von {} aus {} wirksam ab {}",
                land.name(),
                service.id,
                effective.de()
            ),
        });
    }
    if effective <= last.joined {
        return Err(Rejection::invalid(
            "effective",
            format!(
                "Austritt frühestens am Tag nach dem Beitritt ({})",
                last.joined.de()
            ),
        ));
    }
    match retired_on(service) {
        Some(retired_on) if effective > retired_on => Err(Rejection::invalid(
            "effective",
            format!("Austritt nach der Einstellung ({})", retired_on.de()),
        )),
        _ => Ok(left),
    }
}
