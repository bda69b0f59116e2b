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
/// that day, and one per service whose closing of the year settled a
/// share of the Land (a correction since may have taken the Land out of
/// the year: its line then shows the refund).
pub fn statement_lines(index: &Index, land: LandCode, year: u16, day: Date) -> Vec<StatementLine> {
    let relevant = index.services_of(land).filter(|service| {
        let closing = (service.closings.iter()).find(|c| c.year == year && c.at.by(day));
        let settled = closing.is_some_and(|c| c.settlement.shares.iter().any(|(l, _)| *l == land));
        settled
            || (settlement::takes_part_in(service, land, year, day)
                && (settlement::has_costs_on(service, year, day) || closing.is_some()))
    });
    let mut lines = Vec::new();
    for service in relevant {
        let cut = settlement::facts_on(service, day);
        let split = index.split_as_of(service, year, day);
        lines.extend(settlement::statement_line(&cut, land, year, &split));
    }
    lines
}

#[cfg(test)]
mod tests {
    use efa_proto::{
        Cents, CostCategory, CostModel, CostReported, Event, ParticipationChange, Settlement,
    };

    use super::*;
    use crate::rebuild::apply_all;
    use crate::testing::{Ledger, announce_by, date, land, service_id};

    /// Schleswig-Holstein's service split equally, Thüringen in from
    /// 2023-07-01, 2023 closed with Thüringen's share; then Thüringen's
    /// Beitritt is moved to 2024: its statement of 2023 keeps the line,
    /// with the settled share and all of it as the refund.
    #[test]
    fn a_land_settled_in_a_closed_year_keeps_its_line_when_a_correction_takes_it_out() {
        let sid = service_id("aaa-service");
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: sid.clone(),
                land: land(16),
            },
        );
        ledger.push(
            "2024-01-15",
            Event::CostReported(CostReported {
                service: sid.clone(),
                cost_no: 1,
                year: 2023,
                category: CostCategory::Operation,
                amount: Cents(100_000),
                note: String::new(),
            }),
        );
        ledger.push(
            "2024-02-01",
            Event::YearClosed {
                service: sid.clone(),
                year: 2023,
                settlement: Settlement {
                    model: CostModel::EqualShares,
                    weights_source: String::new(),
                    weights: vec![(land(1), 1), (land(16), 1)],
                    total: Cents(100_000),
                    shares: vec![(land(1), Cents(66_776)), (land(16), Cents(33_224))],
                    unallocated: Cents(0),
                    cost_lines: vec![1],
                    based_on_seq: 3,
                    based_on_hash: [0; 32],
                },
            },
        );
        ledger.push(
            "2024-01-01",
            Event::ParticipationMoved {
                service: sid.clone(),
                land: land(16),
                change: ParticipationChange::Join,
                from: date("2023-07-01"),
                reason: "Vertrag erst zum Jahreswechsel".into(),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        apply_all(dir.path(), ledger.events(), 1);
        let store = Store::open(dir.path()).unwrap();
        let lines = statement_lines(&store.index(), land(16), 2023, date("2024-03-01"));
        assert_eq!(lines.len(), 1, "{lines:?}");
        let closed = lines[0].closed.as_ref().unwrap();
        assert_eq!(lines[0].share.cents, Cents(0));
        assert_eq!(closed.settled, Cents(33_224));
        assert_eq!(closed.supplement, Cents(-33_224));
        assert_eq!(lines[0].corrections.len(), 1);
        // Before the closing was recorded there was nothing settled, and
        // Thüringen took no part in 2023 by then.
        let before = statement_lines(&store.index(), land(16), 2023, date("2024-01-31"));
        assert!(before.is_empty(), "{before:?}");
    }
}
