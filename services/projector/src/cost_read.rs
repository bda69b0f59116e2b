//! The reading layer of the yearly cost views (`views::settlement`): the
//! service's facts from the index, cut "as of" the date asked for (today
//! when none is: what takes effect later does not count yet), and the
//! ledger position the index stands at. A Land's statement looks at the
//! services the Land takes part in during the year with costs in it, and
//! splits only those (through the index's split cache, kept by the cut a
//! date makes), instead of splitting every service; its lines are kept
//! by the index until one of those services changes, and each answer
//! names the ledger position it is read at.

use efa_proto::statement::{CostYearView, StatementLine, StatementView};
use efa_proto::{Date, LandCode, ServiceId};

use crate::index::Index;
use crate::store::{EventsOf, Store, StoreError};
use crate::views::settlement::{self, Position};

/// The ledger position of sequence `seq`: the checkpoint's hash when the
/// checkpoint stands there, else the hash of that event from the store.
fn position(store: &Store, seq: u64) -> Result<Position, StoreError> {
    let checkpoint = store.checkpoint()?;
    if checkpoint.seq == seq {
        return Ok(Position {
            seq,
            hash: checkpoint.hash,
        });
    }
    let (events, _) = store.events(&EventsOf::All, seq, 1)?;
    let hash = events
        .first()
        .filter(|e| e.record.seq == seq)
        .map_or([0; 32], |e| e.hash);
    Ok(Position { seq, hash })
}

pub fn cost_year(
    store: &Store,
    service: &ServiceId,
    year: u16,
    as_of: Option<Date>,
    today: Date,
) -> Result<Option<CostYearView>, StoreError> {
    let (view, seq) = {
        let index = store.index();
        let Some(facts) = index.service(service) else {
            return Ok(None);
        };
        // Without a date, as of today: a change recorded ahead of its
        // effective date does not count before that date.
        let day = as_of.unwrap_or(today);
        let cut = settlement::facts_on(facts, day);
        let seq = index.seq();
        let unplaced = Position { seq, hash: [0; 32] };
        (
            settlement::cost_year(&cut, year, &index.reference_on(day), day, unplaced),
            seq,
        )
    };
    let placed = position(store, seq)?;
    Ok(Some(CostYearView {
        chain_hash: placed.hash,
        ..view
    }))
}

pub fn statement(
    store: &Store,
    land: LandCode,
    year: u16,
    as_of: Option<Date>,
    today: Date,
) -> Result<StatementView, StoreError> {
    let day = as_of.unwrap_or(today);
    let (lines, seq) = {
        let index = store.index();
        let lines =
            index.statement_lines(land, year, day, || statement_lines(&index, land, year, day));
        (Vec::clone(&lines), index.seq())
    };
    let placed = position(store, seq)?;
    Ok(settlement::statement(land, year, lines, day, placed))
}

/// The lines of `land`'s statement of `year` as of `day`, made from the
/// index's facts and splits: one per service the Land takes part in
/// during the year with costs of the year or its closing in effect by
/// that day.
pub fn statement_lines(index: &Index, land: LandCode, year: u16, day: Date) -> Vec<StatementLine> {
    let relevant = index.services_of(land).filter(|service| {
        settlement::takes_part_in(service, land, year, day)
            && (settlement::has_costs_on(service, year, day)
                || service
                    .closings
                    .iter()
                    .any(|c| c.year == year && c.at.by(day)))
    });
    let mut lines = Vec::new();
    for service in relevant {
        let cut = settlement::facts_on(service, day);
        let split = index.split_as_of(service, year, day);
        lines.extend(settlement::statement_line(&cut, land, year, &split));
    }
    lines
}
