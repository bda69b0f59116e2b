//! Participants other than the 16 Länder: municipalities (registered,
//! renamed, merged into a successor, retired), Kreise, and operators with
//! the region they act for. Administrators (and imports) maintain them.

use efa_proto::{
    Actor, Event, MergeGemeinde, Population, Region, RegisterGemeinde, RegisterKreis,
    RegisterOperator, Rejection, RenameGemeinde, RetireGemeinde, StreamId,
};

use crate::state::{
    GemeindeState, GemeindeStatus, KreisState, OperatorState, Related, StreamState,
};
use crate::{authority, validate};

/// The municipality a command addresses, which must be registered and active.
pub fn active_gemeinde(
    state: &StreamState,
    ags: efa_proto::Ags,
) -> Result<&GemeindeState, Rejection> {
    match state {
        StreamState::Gemeinde(gemeinde) if gemeinde.status == GemeindeStatus::Active => {
            Ok(gemeinde)
        }
        StreamState::Gemeinde(gemeinde) => Err(Rejection::invalid_state(match gemeinde.status {
            GemeindeStatus::MergedInto(successor) => format!(
                "Gemeinde {ags} ({}) ist in {successor} aufgegangen; ihre Einführungen zählen \
                 für {successor}, nehmen aber keine Schritte mehr an (zurückziehen geht): \
                 Schritte nimmt eine Einführung von {successor} an",
                gemeinde.name
            ),
            _ => format!("Gemeinde {ags} ({}) besteht nicht mehr", gemeinde.name),
        })),
        _ => Err(Rejection::NotFound {
            what: format!("Gemeinde {ags}"),
        }),
    }
}

fn population(population: &Option<Population>) -> Result<(), Rejection> {
    match population {
        Some(p) if p.count > 100_000_000 => Err(Rejection::invalid(
            "population",
            "unplausibel hohe Einwohnerzahl",
        )),
        _ => Ok(()),
    }
}

pub fn register_gemeinde(
    state: &StreamState,
    actor: &Actor,
    cmd: &RegisterGemeinde,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("Gemeinde {}", cmd.ags),
        });
    }
    validate::required_line("name", &cmd.name, 200)?;
    population(&cmd.population)?;
    Ok(vec![Event::GemeindeRegistered {
        ags: cmd.ags,
        name: cmd.name.clone(),
        population: cmd.population,
    }])
}

pub fn rename_gemeinde(
    state: &StreamState,
    actor: &Actor,
    cmd: &RenameGemeinde,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    let gemeinde = active_gemeinde(state, cmd.ags)?;
    validate::required_line("name", &cmd.name, 200)?;
    if gemeinde.name == cmd.name {
        return Err(Rejection::invalid_state(format!(
            "Gemeinde {} heißt bereits {}",
            cmd.ags, cmd.name
        )));
    }
    Ok(vec![Event::GemeindeRenamed {
        ags: cmd.ags,
        name: cmd.name.clone(),
    }])
}

/// A merger needs the successor registered and active, in the same Land.
pub fn merge_gemeinde(
    state: &StreamState,
    related: &Related,
    actor: &Actor,
    cmd: &MergeGemeinde,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    active_gemeinde(state, cmd.ags)?;
    if cmd.successor == cmd.ags {
        return Err(Rejection::invalid(
            "successor",
            "eine Gemeinde kann nicht in sich selbst aufgehen",
        ));
    }
    if cmd.successor.land() != cmd.ags.land() {
        return Err(Rejection::invalid(
            "successor",
            "Nachfolgegemeinde liegt in einem anderen Land",
        ));
    }
    active_gemeinde(
        related.get(&StreamId::Gemeinde(cmd.successor)),
        cmd.successor,
    )?;
    Ok(vec![Event::GemeindeMerged {
        ags: cmd.ags,
        successor: cmd.successor,
    }])
}

pub fn retire_gemeinde(
    state: &StreamState,
    actor: &Actor,
    cmd: &RetireGemeinde,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    active_gemeinde(state, cmd.ags)?;
    Ok(vec![Event::GemeindeRetired { ags: cmd.ags }])
}

pub fn register_kreis(
    state: &StreamState,
    actor: &Actor,
    cmd: &RegisterKreis,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("Kreis {}", cmd.key),
        });
    }
    validate::required_line("name", &cmd.name, 200)?;
    population(&cmd.population)?;
    Ok(vec![Event::KreisRegistered {
        key: cmd.key,
        name: cmd.name.clone(),
        population: cmd.population,
    }])
}

pub fn register_operator(
    state: &StreamState,
    actor: &Actor,
    cmd: &RegisterOperator,
) -> Result<Vec<Event>, Rejection> {
    authority::admin(actor)?;
    if *state != StreamState::Empty {
        return Err(Rejection::AlreadyExists {
            what: format!("Betreiber {}", cmd.operator),
        });
    }
    validate::required_line("name", &cmd.name, 200)?;
    if let Region::Kreise(kreise) = &cmd.region {
        if kreise.is_empty() || kreise.len() > 500 {
            return Err(Rejection::invalid("region", "1 bis 500 Kreise"));
        }
        let mut sorted = kreise.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != kreise.len() {
            return Err(Rejection::invalid(
                "region",
                "jeder Kreis darf nur einmal vorkommen",
            ));
        }
    }
    Ok(vec![Event::OperatorRegistered {
        operator: cmd.operator.clone(),
        name: cmd.name.clone(),
        region: cmd.region.clone(),
    }])
}

pub fn evolve(state: StreamState, event: &Event) -> StreamState {
    match (state, event) {
        (_, Event::GemeindeRegistered { ags, name, .. }) => StreamState::Gemeinde(GemeindeState {
            ags: *ags,
            name: name.clone(),
            status: GemeindeStatus::Active,
        }),
        (StreamState::Gemeinde(mut g), Event::GemeindeRenamed { name, .. }) => {
            g.name = name.clone();
            StreamState::Gemeinde(g)
        }
        (StreamState::Gemeinde(mut g), Event::GemeindeMerged { successor, .. }) => {
            g.status = GemeindeStatus::MergedInto(*successor);
            StreamState::Gemeinde(g)
        }
        (StreamState::Gemeinde(mut g), Event::GemeindeRetired { .. }) => {
            g.status = GemeindeStatus::Retired;
            StreamState::Gemeinde(g)
        }
        (_, Event::KreisRegistered { key, name, .. }) => StreamState::Kreis(KreisState {
            key: *key,
            name: name.clone(),
        }),
        (
            _,
            Event::OperatorRegistered {
                operator,
                name,
                region,
            },
        ) => StreamState::Operator(OperatorState {
            id: operator.clone(),
            name: name.clone(),
            region: region.clone(),
        }),
        (state, _) => state,
    }
}
