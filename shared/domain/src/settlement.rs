//! Jahresabrechnung: closing a service's year, and the guards that keep a
//! closed year as it was settled. A year closes by the lead Land or the
//! administration, once it is over; afterwards a change that would alter
//! its split is refused with `YearClosed`, unless it is one of the explicit
//! corrections the rules allow (see `ARCHITECTURE.md`, "Closed years and
//! backdating"), which the views show as a supplement (Nachtrag).

use efa_proto::{Actor, CloseYear, Date, Event, Rejection, ServiceId, StreamId};

use crate::state::{ClosedYear, Related, ServiceState, SettlementState, StreamState};
use crate::{Ctx, authority, service, validate};

/// How far back a Land may date its own Austritt: a quarter of a year.
/// Further back only the lead Land or the administration, as a correction.
pub const LEAVE_BACKDATE_DAYS: i32 = 92;

/// The closed years of `id`, as the ledger loaded them next to the command.
pub fn closed_of<'a>(related: &'a Related, id: &ServiceId) -> &'a [ClosedYear] {
    match related.get(&StreamId::Settlement(id.clone())) {
        StreamState::Settlement(settlement) => &settlement.closed,
        _ => &[],
    }
}

/// Refuses a change taking effect on `effective` when its year, or a
/// later one, is closed: such a change alters the split of every year from
/// the effective date on.
pub fn open_from(related: &Related, id: &ServiceId, effective: Date) -> Result<(), Rejection> {
    let year = effective.year();
    match closed_of(related, id)
        .iter()
        .map(|closed| closed.year)
        .filter(|closed| i32::from(*closed) >= year)
        .min()
    {
        Some(year) => Err(Rejection::YearClosed { year }),
        None => Ok(()),
    }
}

/// Whether `year` of `id` is closed.
pub fn is_closed(related: &Related, id: &ServiceId, year: u16) -> bool {
    closed_of(related, id).iter().any(|c| c.year == year)
}

/// The lead Land or the administration may act on the service's costs as a
/// whole (closing a year, correcting a participation).
pub fn lead_or_admin(actor: &Actor, service: &ServiceState) -> Result<(), Rejection> {
    match actor {
        Actor::Admin => Ok(()),
        // Another Land is told who may: the administration too.
        Actor::Land(_) => authority::lead(actor, service).map_err(|_| Rejection::Forbidden {
            reason: efa_proto::ForbiddenReason::LeadOrAdmin,
        }),
        _ => Err(Rejection::Forbidden {
            reason: efa_proto::ForbiddenReason::LeadOrAdmin,
        }),
    }
}

pub fn close(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &CloseYear,
    ctx: &Ctx,
) -> Result<Vec<Event>, Rejection> {
    let service = service::existing(
        related.get(&StreamId::Service(cmd.service.clone())),
        &cmd.service,
    )?;
    lead_or_admin(actor, service)?;
    validate::year("year", cmd.year)?;
    if i32::from(cmd.year) >= ctx.now.date().year() {
        return Err(Rejection::invalid(
            "year",
            format!("das Jahr {} ist noch nicht abgelaufen", cmd.year),
        ));
    }
    if let StreamState::Settlement(settlement) = state
        && settlement.closed.iter().any(|c| c.year == cmd.year)
    {
        return Err(Rejection::YearClosed { year: cmd.year });
    }
    check(&cmd.settlement, service)?;
    Ok(vec![Event::YearClosed {
        service: cmd.service.clone(),
        year: cmd.year,
        settlement: cmd.settlement.clone(),
    }])
}

/// A settlement must add up: shares plus the unallocated rest are the
/// total, each Land once, each cost line once and known.
fn check(settlement: &efa_proto::Settlement, service: &ServiceState) -> Result<(), Rejection> {
    let field = "settlement";
    let mut lands: Vec<_> = settlement.shares.iter().map(|(land, _)| *land).collect();
    lands.sort();
    lands.dedup();
    if lands.len() != settlement.shares.len() {
        return Err(Rejection::invalid(
            field,
            "jedes Land darf nur einmal vorkommen",
        ));
    }
    if settlement.shares.iter().any(|(_, cents)| cents.0 < 0) || settlement.unallocated.0 < 0 {
        return Err(Rejection::invalid(
            field,
            "Anteile dürfen nicht negativ sein",
        ));
    }
    let sum = settlement
        .shares
        .iter()
        .try_fold(settlement.unallocated.0, |sum, (_, cents)| {
            sum.checked_add(cents.0)
        });
    if sum != Some(settlement.total.0) {
        return Err(Rejection::invalid(
            field,
            "Anteile und nicht verteilter Rest ergeben nicht die Summe",
        ));
    }
    let mut lines = settlement.cost_lines.clone();
    lines.sort_unstable();
    lines.dedup();
    if lines.len() != settlement.cost_lines.len()
        || lines.iter().any(|no| *no == 0 || *no > service.cost_lines)
    {
        return Err(Rejection::invalid(
            field,
            "Kostenpositionen müssen bekannt sein und einmal vorkommen",
        ));
    }
    Ok(())
}

/// Applies a closing to the service's settlement stream.
pub fn evolve(state: StreamState, event: &Event) -> StreamState {
    let Event::YearClosed {
        service,
        year,
        settlement,
    } = event
    else {
        return state;
    };
    let mut settled = match state {
        StreamState::Settlement(settled) => settled,
        _ => SettlementState {
            service: service.clone(),
            closed: Vec::new(),
        },
    };
    settled.closed.push(ClosedYear {
        year: *year,
        cost_lines: settlement.cost_lines.clone(),
    });
    StreamState::Settlement(settled)
}
