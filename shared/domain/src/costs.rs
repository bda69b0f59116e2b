//! Costs: the lead Land reports what a service cost in a calendar year,
//! by category, in cents; a correction is a new event naming the line it
//! corrects, never an edit.

use efa_proto::{
    AMOUNT_MAX, Actor, Cents, CorrectCost, CostReported, Event, Rejection, ReportCost,
};

use crate::state::{Related, StreamState};
use crate::{authority, service, settlement, validate};

fn amount(field: &str, amount: Cents) -> Result<(), Rejection> {
    if amount.0 < 0 {
        return Err(Rejection::invalid(field, "Betrag darf nicht negativ sein"));
    }
    if amount > AMOUNT_MAX {
        return Err(Rejection::invalid(field, "Betrag ist unplausibel hoch"));
    }
    Ok(())
}

/// A cost reported late for a closed year is a correction: it is
/// recorded, the views show it as a supplement (Nachtrag), and its note,
/// the reason, may not be empty.
pub fn report(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &ReportCost,
) -> Result<Vec<Event>, Rejection> {
    let service = service::existing(state, &cmd.service)?;
    authority::lead(actor, service)?;
    validate::year("year", cmd.year)?;
    amount("amount", cmd.amount)?;
    if cmd.amount.0 == 0 {
        return Err(Rejection::invalid(
            "amount",
            "Betrag muss größer als 0 sein",
        ));
    }
    validate::optional_text("note", &cmd.note, 1000)?;
    if settlement::is_closed(related, &cmd.service, cmd.year) && cmd.note.trim().is_empty() {
        return Err(Rejection::invalid(
            "note",
            format!(
                "das Jahr {} ist abgerechnet; eine Nachmeldung braucht eine Begründung",
                cmd.year
            ),
        ));
    }
    Ok(vec![Event::CostReported(CostReported {
        service: cmd.service.clone(),
        cost_no: service.cost_lines + 1,
        year: cmd.year,
        category: cmd.category,
        amount: cmd.amount,
        note: cmd.note.clone(),
    })])
}

pub fn correct(
    state: &StreamState,
    actor: &Actor,
    cmd: &CorrectCost,
) -> Result<Vec<Event>, Rejection> {
    let service = service::existing(state, &cmd.service)?;
    authority::lead(actor, service)?;
    if cmd.cost_no == 0 || cmd.cost_no > service.cost_lines {
        return Err(Rejection::NotFound {
            what: format!("Kostenposition {} von {}", cmd.cost_no, cmd.service),
        });
    }
    amount("amount", cmd.amount)?;
    validate::required_text("reason", &cmd.reason, 1000)?;
    Ok(vec![Event::CostCorrected {
        service: cmd.service.clone(),
        cost_no: cmd.cost_no,
        amount: cmd.amount,
        reason: cmd.reason.clone(),
    }])
}
