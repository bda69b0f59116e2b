//! Reference data, published by administrators: an allocation key per year
//! (the Königsteiner Schlüssel: 16 shares that add up to exactly 100 %)
//! and the population of the Länder on a reference date.

use efa_proto::{
    Actor, Event, KEY_UNITS_TOTAL, LandCode, PublishAllocationKey, PublishPopulation, Rejection,
};

use crate::state::StreamState;
use crate::{authority, validate};

/// Every Land exactly once.
fn all_lands_once<T>(field: &str, entries: &[(LandCode, T)]) -> Result<(), Rejection> {
    let mut lands: Vec<LandCode> = entries.iter().map(|(land, _)| *land).collect();
    lands.sort();
    if lands != LandCode::all().collect::<Vec<_>>() {
        return Err(Rejection::invalid(
            field,
            "jedes der 16 Länder genau einmal",
        ));
    }
    Ok(())
}

pub fn publish_key(
    state: &StreamState,
    actor: &Actor,
    cmd: &PublishAllocationKey,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    validate::year("year", cmd.year)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("Verteilungsschlüssel {}", cmd.year),
        });
    }
    all_lands_once("shares", &cmd.shares)?;
    let total: u64 = cmd.shares.iter().map(|(_, share)| u64::from(*share)).sum();
    if total != u64::from(KEY_UNITS_TOTAL) {
        return Err(Rejection::invalid(
            "shares",
            format!(
                "Anteile ergeben {}, nicht genau 100 %",
                format_percent(total)
            ),
        ));
    }
    let mut shares = cmd.shares.clone();
    shares.sort();
    Ok(vec![Event::AllocationKeyPublished {
        year: cmd.year,
        shares,
    }])
}

/// Key units as a percentage with five decimals, e.g. `99,99999 %`.
fn format_percent(units: u64) -> String {
    format!("{},{:05} %", units / 100_000, units % 100_000)
}

pub fn publish_population(
    state: &StreamState,
    actor: &Actor,
    cmd: &PublishPopulation,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    validate::year("reference_date", cmd.reference_date.year() as u16)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("Einwohnerzahlen zum {}", cmd.reference_date),
        });
    }
    all_lands_once("figures", &cmd.figures)?;
    if cmd
        .figures
        .iter()
        .any(|(_, count)| *count == 0 || *count > 100_000_000)
    {
        return Err(Rejection::invalid(
            "figures",
            "Einwohnerzahlen müssen zwischen 1 und 100 Millionen liegen",
        ));
    }
    let mut figures = cmd.figures.clone();
    figures.sort();
    Ok(vec![Event::PopulationPublished {
        reference_date: cmd.reference_date,
        figures,
    }])
}

pub fn evolve(state: StreamState, event: &Event) -> StreamState {
    match event {
        Event::AllocationKeyPublished { .. } => StreamState::AllocationKey,
        Event::PopulationPublished { .. } => StreamState::Population,
        _ => state,
    }
}
