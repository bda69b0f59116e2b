//! The reading layer of the yearly cost views (`views::settlement`): the
//! service's facts from the index, cut "as of" the date asked for (today
//! when none is: what takes effect later does not count yet), and the
//! ledger position the index stands at. A Land's statement looks at the
//! services the Land takes part in during the year with costs in it, and
//! splits only those (through the index's split cache, kept by the cut a
//! date makes), instead of splitting every service; its lines are kept
//! by the index until one of those services changes, and each answer
//! names the ledger position it is read at.
//!
//! Both views can also be asked for as the ledger had recorded them up to
//! an earlier sequence (the second time axis): a statement a Land received
//! names that sequence, and the same view asked for with it gives that
//! statement again, whatever was recorded since. The services' facts are
//! then evolved again from their events up to the sequence, read from the
//! store's event blocks, and split without the index's caches.

use std::sync::Arc;

use efa_proto::statement::{CostYearView, StatementLine, StatementView};
use efa_proto::views::CostSplit;
use efa_proto::{Date, LandCode, QueryReply, Rejection, ServiceId};

use crate::evolve;
use crate::facts::{Facts, ServiceFacts};
use crate::index::Index;
use crate::store::{EventsOf, Store, StoreError};
use crate::views::settlement::{self, Position};

/// The ledger position of sequence `seq` (at most the index's): the hash
/// of that event, read from its event block. Not from the checkpoint,
/// whose sequence and hash are two keys: read while a commit lands, they
/// could name one event's sequence with the next one's hash, where an
/// event's block holds it unchanged.
fn position(store: &Store, seq: u64) -> Result<Position, StoreError> {
    let (events, _) = store.events(&EventsOf::All, seq, 1)?;
    let hash = events
        .first()
        .filter(|e| e.record.seq == seq)
        .map_or([0; 32], |e| e.hash);
    Ok(Position { seq, hash })
}

fn cost_year(
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

fn statement(
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
/// index's facts and splits.
pub fn statement_lines(index: &Index, land: LandCode, year: u16, day: Date) -> Vec<StatementLine> {
    lines_of(index.services_of(land), land, year, day, |service| {
        index.split_as_of(service, year, day)
    })
}

/// The statement lines of `land`, `year` and `day` among `services`: one
/// per service the Land takes part in during the year with costs of the
/// year or its closing in effect by that day, and one per service whose
/// closing of the year settled a share of the Land (a correction since
/// may have taken the Land out of the year: its line then shows the
/// refund). `split` gives a service's split as of the day.
fn lines_of<'a>(
    services: impl Iterator<Item = &'a ServiceFacts>,
    land: LandCode,
    year: u16,
    day: Date,
    split: impl Fn(&ServiceFacts) -> Arc<CostSplit>,
) -> Vec<StatementLine> {
    let relevant = services.filter(|service| {
        let closing = (service.closings.iter()).find(|c| c.year == year && c.at.by(day));
        let settled = closing.is_some_and(|c| c.settlement.shares.iter().any(|(l, _)| *l == land));
        settled
            || (settlement::takes_part_in(service, land, year, day)
                && (settlement::has_costs_on(service, year, day) || closing.is_some()))
    });
    let mut lines = Vec::new();
    for service in relevant {
        let cut = settlement::facts_on(service, day);
        lines.extend(settlement::statement_line(
            &cut,
            land,
            year,
            &split(service),
        ));
    }
    lines
}

/// The answer to `CostYear`/`CostYear2`: as of `as_of` (today when
/// `None`), as recorded now or up to `known_at_seq`, or the refusal of
/// that sequence.
pub fn cost_year_reply(
    store: &Store,
    service: &ServiceId,
    year: u16,
    (as_of, known_at_seq): (Option<Date>, Option<u64>),
    today: Date,
) -> Result<QueryReply, StoreError> {
    let view = match known_at_seq {
        None => cost_year(store, service, year, as_of, today)?,
        Some(known_at) => match known_at_refused(store, known_at) {
            Some(refused) => return Ok(QueryReply::Rejected(refused)),
            None => {
                let day = as_of.unwrap_or(today);
                cost_year_known_at(store, service, year, day, known_at)?
            }
        },
    };
    Ok(QueryReply::CostYear(view.map(Box::new)))
}

/// The answer to `Statement`/`Statement2`, as [`cost_year_reply`] is.
pub fn statement_reply(
    store: &Store,
    land: LandCode,
    year: u16,
    (as_of, known_at_seq): (Option<Date>, Option<u64>),
    today: Date,
) -> Result<QueryReply, StoreError> {
    let view = match known_at_seq {
        None => statement(store, land, year, as_of, today)?,
        Some(known_at) => match known_at_refused(store, known_at) {
            Some(refused) => return Ok(QueryReply::Rejected(refused)),
            None => statement_known_at(store, land, year, as_of.unwrap_or(today), known_at)?,
        },
    };
    Ok(QueryReply::Statement(view))
}

/// Why a view cannot be read as recorded up to `known_at`: sequence 0, or
/// one the views have not applied (the gateway asks with `min_seq` at
/// least `known_at`, so the views wait for it first).
fn known_at_refused(store: &Store, known_at: u64) -> Option<Rejection> {
    let applied = store.index().seq();
    (known_at == 0 || known_at > applied).then(|| {
        Rejection::invalid(
            "known_at_seq",
            format!("eine Ledger-Sequenz von 1 bis {applied}"),
        )
    })
}

/// The facts of a service as the ledger had recorded them up to
/// `known_at`: its events up to there (`seqs`, those of its facts in
/// ledger order), evolved again. `None` when none was recorded by then.
fn facts_known_at(
    store: &Store,
    seqs: &[u64],
    known_at: u64,
) -> Result<Option<ServiceFacts>, StoreError> {
    let recorded = &seqs[..seqs.partition_point(|seq| *seq <= known_at)];
    let facts = (store.events_at(recorded)?.iter())
        .fold(None, |facts, event| evolve::evolve(facts, &event.record));
    Ok(match facts {
        Some(Facts::Service(service)) => Some(*service),
        _ => None,
    })
}

/// [`cost_year`] as the ledger had recorded it up to `known_at` (at most
/// the index's sequence, see [`known_at_refused`]).
fn cost_year_known_at(
    store: &Store,
    service: &ServiceId,
    year: u16,
    day: Date,
    known_at: u64,
) -> Result<Option<CostYearView>, StoreError> {
    let (seqs, reference) = {
        let index = store.index();
        let Some(facts) = index.service(service) else {
            return Ok(None);
        };
        (
            facts.event_seqs.clone(),
            index.reference_known_at(day, known_at),
        )
    };
    let Some(facts) = facts_known_at(store, &seqs, known_at)? else {
        return Ok(None);
    };
    let cut = settlement::facts_on(&facts, day);
    let placed = position(store, known_at)?;
    Ok(Some(settlement::cost_year(
        &cut, year, &reference, day, placed,
    )))
}

/// [`statement`] as the ledger had recorded it up to `known_at` (at most
/// the index's sequence, see [`known_at_refused`]). The services looked
/// at are those the Land led, took part in or had a participation
/// corrected in by then (`index::lands_of`, as the index lists a Land's
/// services): none of these is ever taken out of the facts, so the
/// Land's services now include all of those.
fn statement_known_at(
    store: &Store,
    land: LandCode,
    year: u16,
    day: Date,
    known_at: u64,
) -> Result<StatementView, StoreError> {
    let (candidates, reference) = {
        let index = store.index();
        let candidates: Vec<Vec<u64>> = (index.services_of(land))
            .map(|s| s.event_seqs.clone())
            .collect();
        (candidates, index.reference_known_at(day, known_at))
    };
    let mut services = Vec::new();
    for seqs in candidates {
        let facts = facts_known_at(store, &seqs, known_at)?;
        // The Land's services as the index would have listed them then.
        services.extend(facts.filter(|facts| crate::index::lands_of(facts).contains(&land)));
    }
    let lines = lines_of(services.iter(), land, year, day, |service| {
        let in_effect = settlement::facts_on(service, day);
        Arc::new(crate::views::costs::own_split(&in_effect, year, &reference))
    });
    let placed = position(store, known_at)?;
    Ok(settlement::statement(land, year, lines, day, placed))
}

#[cfg(test)]
mod tests {
    use efa_proto::{
        Cents, CostCategory, CostModel, CostReported, Event, ParticipationChange, Settlement,
    };
    use proptest::prelude::*;
    use std::collections::HashSet;

    use super::*;
    use crate::rebuild::{SERVICES, apply_all, cost_model, ledger_of, service_events};
    use crate::testing::{Ledger, announce_by, date, land, model_changed, service_id};

    const YEARS: [u16; 7] = [2019, 2020, 2021, 2022, 2023, 2024, 2025];

    /// What the shared histories lack for the cost views: closed years
    /// (with made-up settlements: the views show what the ledger
    /// recorded) and cost models changed by a details update.
    fn settlement_events() -> impl Strategy<Value = Event> {
        let service = (0..SERVICES.len()).prop_map(|i| service_id(SERVICES[i]));
        let year = prop::sample::select(YEARS.to_vec());
        let settled = prop::sample::select(vec![1u8, 9, 16]);
        prop_oneof![
            (service.clone(), year, settled, 0i64..1_000_000).prop_map(
                |(service, year, code, cents)| Event::YearClosed {
                    service,
                    year,
                    settlement: Settlement {
                        model: CostModel::EqualShares,
                        weights_source: String::new(),
                        weights: vec![(land(code), 1)],
                        total: Cents(cents),
                        shares: vec![(land(code), Cents(cents))],
                        unallocated: Cents(0),
                        cost_lines: vec![1],
                        based_on_seq: 1,
                        based_on_hash: [0; 32],
                    },
                }
            ),
            (service, cost_model())
                .prop_map(|(service, model)| model_changed(service.as_str(), model)),
        ]
    }

    /// A history of services only: the three announced first (each
    /// Land may lead, each model), then the shared generator's service
    /// events with closings and model changes among them. As the domain
    /// allows, each service is announced once and each key year and
    /// population reference date published once: a second announcement
    /// or publication would replace the first in the facts, and the
    /// views as recorded up to a sequence rely on that not happening (the
    /// Länder a service is looked up by, the reference data).
    fn cost_histories() -> impl Strategy<Value = Vec<(Event, i32, i32)>> {
        let announced = (1u8..=16, cost_model(), 0i32..400);
        let event = prop_oneof![3 => service_events(), 1 => settlement_events()];
        let dated = (event, 0i32..2200, 0i32..60);
        (
            prop::collection::vec(announced, SERVICES.len()),
            prop::collection::vec(dated, 1..60),
        )
            .prop_map(|(announced, rest)| {
                let mut history: Vec<(Event, i32, i32)> = (SERVICES.iter().zip(announced))
                    .map(|(id, (lead, model, offset))| {
                        let Event::ServiceAnnounced(mut announcement) = announce_by(id, lead)
                        else {
                            unreachable!("announce_by announces")
                        };
                        announcement.cost_model = model;
                        (Event::ServiceAnnounced(announcement), offset, 0)
                    })
                    .collect();
                history.extend(rest);
                let (mut announced, mut published) = (HashSet::new(), HashSet::new());
                history.retain(|(event, _, _)| match event {
                    Event::ServiceAnnounced(a) => announced.insert(a.service.clone()),
                    Event::AllocationKeyPublished { year, .. } => {
                        published.insert(i64::from(*year))
                    }
                    Event::PopulationPublished { reference_date, .. } => {
                        published.insert(-i64::from(reference_date.days_since_epoch()))
                    }
                    _ => true,
                });
                history
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// A statement and a service's costs of a year, asked for as
        /// recorded up to sequence n of the whole history, are exactly
        /// what a store that had applied only the first n events answers
        /// (position included), for every Land, year and a few days,
        /// whatever the later events move, correct or close.
        #[test]
        fn a_view_as_recorded_up_to_a_sequence_is_the_view_of_that_sequence(
            history in cost_histories(),
            offsets in prop::collection::vec(-400i32..2800, 2),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 2),
        ) {
            let events = ledger_of(history).events().to_vec();
            let dir = tempfile::tempdir().unwrap();
            apply_all(dir.path(), &events, 3);
            let now = Store::open(dir.path()).unwrap();
            let first = date("2019-01-01").days_since_epoch();
            let days: Vec<Date> = (offsets.iter())
                .filter_map(|offset| Date::try_from(first + offset).ok())
                .chain([date("2199-12-31")])
                .collect();
            for pick in picks {
                let n = pick.index(events.len()) + 1;
                let prefix = tempfile::tempdir().unwrap();
                apply_all(prefix.path(), &events[..n], 2);
                let then = Store::open(prefix.path()).unwrap();
                prop_assert_eq!(known_at_refused(&now, n as u64), None);
                for &day in &days {
                    for year in YEARS {
                        for land in LandCode::all() {
                            prop_assert_eq!(
                                statement_known_at(&now, land, year, day, n as u64).unwrap(),
                                statement(&then, land, year, Some(day), day).unwrap(),
                                "{} {} as of {} known at {}", land, year, day, n
                            );
                        }
                        for id in SERVICES.map(service_id) {
                            prop_assert_eq!(
                                cost_year_known_at(&now, &id, year, day, n as u64).unwrap(),
                                cost_year(&then, &id, year, Some(day), day).unwrap(),
                                "{} {} as of {} known at {}", id, year, day, n
                            );
                        }
                    }
                }
            }
            prop_assert!(known_at_refused(&now, 0).is_some());
            prop_assert!(known_at_refused(&now, events.len() as u64 + 1).is_some());
        }
    }

    /// While commits land one by one on another thread, every statement
    /// and cost year read names a sequence together with that event's
    /// hash (the checkpoint's two keys, read apart, once named one event's
    /// sequence with the next one's hash).
    #[test]
    fn a_view_read_while_commits_land_names_a_sequence_with_its_own_hash() {
        let sid = service_id("aaa-service");
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 16));
        for cost_no in 1..=400u32 {
            ledger.push(
                "2024-03-01",
                Event::CostReported(CostReported {
                    service: sid.clone(),
                    cost_no,
                    year: 2024,
                    category: CostCategory::Operation,
                    amount: Cents(i64::from(cost_no) * 100),
                    note: String::new(),
                }),
            );
        }
        let events = ledger.events().to_vec();
        let dir = tempfile::tempdir().unwrap();
        apply_all(dir.path(), &events[..1], 1);
        let store = Store::open(dir.path()).unwrap();
        let (tx, _rx) = tokio::sync::watch::channel(0);
        let mut applier = crate::apply::Applier::new(store.clone(), tx).unwrap();
        let rest = events[1..].to_vec();
        let writer = std::thread::spawn(move || {
            for event in &rest {
                applier.apply(event).unwrap();
            }
        });
        let hash_of = |seq: u64| events[seq as usize - 1].hash;
        let day = date("2025-01-01");
        let mut reads = 0;
        while !writer.is_finished() || reads == 0 {
            let statement = statement(&store, land(16), 2024, Some(day), day).unwrap();
            assert_eq!(
                statement.chain_hash,
                hash_of(statement.seq),
                "statement at {}",
                statement.seq
            );
            let year = cost_year(&store, &sid, 2024, Some(day), day)
                .unwrap()
                .unwrap();
            assert_eq!(
                year.chain_hash,
                hash_of(year.seq),
                "cost year at {}",
                year.seq
            );
            reads += 1;
        }
        writer.join().unwrap();
    }

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
