//! Property: the views do not depend on how the events arrived. A store
//! fed one event at a time, with a restart (the store closed and reopened)
//! in the middle, holds exactly what a store rebuilt from scratch in
//! batches of events holds, and its facts are the pure fold of the events.

use std::path::Path;

use efa_proto::views::{CatalogueFilter, CatalogueSort, HistorySubject, RolloutScope};
use efa_proto::{
    AdoptionStage, Cents, CostCategory, CostModel, CostReported, Date, Event, ParticipationChange,
    Population, QueryKind, SealedEvent,
};
use proptest::prelude::*;
use tokio::sync::watch;

use crate::apply::{Applier, Keep};
use crate::store::{Store, StoreError};
use crate::testing::{Ledger, World, ags, announce_by, date, land, service_id};

pub const SERVICES: [&str; 3] = ["aaa-service", "bbb-service", "ccc-service"];
pub const MUNICIPALITIES: [&str; 4] = ["16051000", "16055000", "16071001", "01002000"];

/// Applies `events` to the store in `dir`, `batch` per commit.
pub fn apply_all(dir: &Path, events: &[SealedEvent], batch: usize) {
    apply_to(Store::open(dir).unwrap(), events, batch, Keep::IN_USE);
}

/// Applies `events` to a fresh store in `dir` as `efa rebuild` fills one:
/// `batch` per commit with the index deferred, then built from the facts.
/// The applier keeps only two streams' facts of what it wrote, so that
/// what it keeps is let go and read back again, and subjects' pages
/// either likewise or, with `defer_pages`, all until the end.
fn rebuild_into(dir: &Path, events: &[SealedEvent], batch: usize, defer_pages: bool) -> Store {
    let store = Store::open(dir).unwrap();
    store.defer_index();
    let keep = Keep {
        facts: 2,
        pages: 2,
        defer_pages,
    };
    let store = apply_to(store, events, batch, keep);
    store.index_all().unwrap();
    store
}

fn apply_to(store: Store, events: &[SealedEvent], batch: usize, keep: Keep) -> Store {
    let (tx, _rx) = watch::channel(0);
    let mut applier = Applier::keeping(store, tx, keep).unwrap();
    for chunk in events.chunks(batch.max(1)) {
        applier.apply_all(chunk).unwrap();
    }
    applier.into_store().unwrap()
}

/// Applies `events` to the store in use as a catch-up from the ledger
/// does: `batch` per commit, each written while the next is prepared.
fn catch_up(store: Store, events: &[SealedEvent], batch: usize) -> Store {
    let (tx, rx) = watch::channel(0);
    let mut applier = Applier::new(store.clone(), tx).unwrap();
    for chunk in events.chunks(batch.max(1)) {
        applier.apply_all_ahead(chunk).unwrap();
    }
    applier.settle().unwrap();
    assert_eq!(
        *rx.borrow(),
        events.len() as u64,
        "the last checkpoint announced"
    );
    store
}

pub fn service_events() -> impl Strategy<Value = Event> {
    let service = (0..SERVICES.len()).prop_map(|i| service_id(SERVICES[i]));
    let code = 1u8..=16;
    prop_oneof![
        (0..SERVICES.len(), code.clone(), cost_model()).prop_map(|(i, lead, model)| {
            let Event::ServiceAnnounced(mut announced) = announce_by(SERVICES[i], lead) else {
                unreachable!("announce_by announces")
            };
            announced.cost_model = model;
            Event::ServiceAnnounced(announced)
        }),
        (service.clone(), code.clone()).prop_map(|(service, code)| Event::LandJoined {
            service,
            land: land(code)
        }),
        (service.clone(), code.clone()).prop_map(|(service, code)| Event::LandLeft {
            service,
            land: land(code)
        }),
        // A Beitritt or Austritt recorded as a correction, or one moved to
        // another day (whether or not there is one to move).
        (
            service.clone(),
            code,
            any::<bool>(),
            proptest::option::of(0i32..2200)
        )
            .prop_map(|(service, code, join, moved_from)| {
                let (land, reason) = (land(code), "berichtigt".to_owned());
                let change = if join {
                    ParticipationChange::Join
                } else {
                    ParticipationChange::Leave
                };
                match moved_from {
                    None => Event::ParticipationCorrected {
                        service,
                        land,
                        change,
                        reason,
                    },
                    Some(offset) => Event::ParticipationMoved {
                        service,
                        land,
                        change,
                        from: Date::try_from(date("2019-01-01").days_since_epoch() + offset)
                            .unwrap(),
                        reason,
                    },
                }
            }),
        service.clone().prop_map(|service| Event::ServiceRetired {
            service,
            reason: "ersetzt".to_owned()
        }),
        (service.clone(), 1u32..4, 2019u16..2026, 1i64..1_000_000_000).prop_map(
            |(service, cost_no, year, amount)| Event::CostReported(CostReported {
                service,
                cost_no,
                year,
                category: CostCategory::Development,
                amount: Cents(amount),
                note: String::new(),
            })
        ),
        (service, 1u32..4, 0i64..1_000_000_000).prop_map(|(service, cost_no, amount)| {
            Event::CostCorrected {
                service,
                cost_no,
                amount: Cents(amount),
                reason: "berichtigt".to_owned(),
            }
        }),
        (2016u16..2024).prop_map(|year| Event::AllocationKeyPublished {
            year,
            shares: vec![(land(1), 339_074), (land(16), 269_470)],
        }),
        (2018i32..2024, 1u64..5).prop_map(|(year, scale)| Event::PopulationPublished {
            reference_date: Date::from_ymd(year, 12, 31).unwrap(),
            figures: vec![(land(1), 2_900_000 * scale), (land(16), 2_100_000)],
        }),
    ]
}

/// The models a service may split its costs by, those reading published
/// keys and population figures among them.
pub fn cost_model() -> impl Strategy<Value = CostModel> {
    prop::sample::select(vec![
        CostModel::EqualShares,
        CostModel::KoenigsteinerSchluessel { year: None },
        CostModel::KoenigsteinerSchluessel { year: Some(2019) },
        CostModel::Population,
    ])
}

fn municipal_events() -> impl Strategy<Value = Event> {
    let service = (0..SERVICES.len()).prop_map(|i| service_id(SERVICES[i]));
    let municipality = (0..MUNICIPALITIES.len()).prop_map(|i| ags(MUNICIPALITIES[i]));
    let stage = prop::sample::select(AdoptionStage::ALL.to_vec());
    prop_oneof![
        (municipality.clone(), 0u64..100_000).prop_map(|(ags, count)| {
            Event::GemeindeRegistered {
                ags,
                name: format!("Gemeinde {ags}"),
                population: Some(Population {
                    count,
                    reference_date: date("2022-12-31"),
                }),
            }
        }),
        (municipality.clone(), municipality.clone())
            .prop_map(|(ags, successor)| Event::GemeindeMerged { ags, successor }),
        municipality
            .clone()
            .prop_map(|ags| Event::GemeindeRetired { ags }),
        (service.clone(), municipality.clone(), 1u32..3).prop_map(|(service, ags, no)| {
            Event::AdoptionRequested {
                service,
                ags,
                adoption_no: no,
                note: String::new(),
            }
        }),
        (service, municipality, 1u32..3, stage).prop_map(|(service, ags, no, stage)| {
            Event::AdoptionStepRecorded {
                service,
                ags,
                adoption_no: no,
                stage,
                note: String::new(),
            }
        }),
    ]
}

/// Events with effective dates between 2019 and 2025, each recorded up
/// to 60 days after it takes effect, and where to restart.
pub fn histories() -> impl Strategy<Value = (Vec<(Event, i32, i32)>, usize)> {
    let event = prop_oneof![service_events(), municipal_events()];
    prop::collection::vec((event, 0i32..2200, 0i32..60), 1..40).prop_flat_map(|events| {
        let len = events.len();
        (Just(events), 0..=len)
    })
}

/// The ledger of a history from `histories`.
pub fn ledger_of(history: Vec<(Event, i32, i32)>) -> Ledger {
    let first = date("2019-01-01").days_since_epoch();
    let mut ledger = Ledger::default();
    for (event, offset, delay) in history {
        let effective = efa_proto::Date::try_from(first + offset).unwrap();
        let recorded = efa_proto::Date::try_from(first + offset + delay).unwrap();
        ledger.push_dated(effective, recorded, event);
    }
    ledger
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Applied one event at a time with a restart, rebuilt in batches, and
    /// caught up in batches written ahead and beside the index's update:
    /// the stores agree, and so do their answers.
    #[test]
    fn incremental_with_a_restart_equals_a_rebuild(
        (history, restart) in histories(),
        batch in 2usize..12,
        defer_pages in any::<bool>(),
    ) {
        let ledger = ledger_of(history);
        let events = ledger.events();
        let incremental = tempfile::tempdir().unwrap();
        apply_all(incremental.path(), &events[..restart], 1);
        apply_all(incremental.path(), &events[restart..], 1);
        let rebuilt = tempfile::tempdir().unwrap();
        let b = rebuild_into(rebuilt.path(), events, batch, defer_pages);
        // The store in use catching up in batches, each written while the
        // next is prepared and while its index is updated beside it.
        let caught_up = tempfile::tempdir().unwrap();
        let beside = Store::open(caught_up.path()).unwrap().commits_beside_from(1);
        let c = catch_up(beside, events, batch);

        let a = Store::open(incremental.path()).unwrap();
        prop_assert_eq!(a.content_hash().unwrap(), b.content_hash().unwrap());
        prop_assert_eq!(c.content_hash().unwrap(), b.content_hash().unwrap());
        prop_assert_eq!(a.checkpoint().unwrap().seq, events.len() as u64);
        let world = World::replay(&ledger);
        prop_assert_eq!(a.all_service_facts().unwrap(), world.services);
        prop_assert_eq!(a.gemeinden(None).unwrap(), world.gemeinden);
        prop_assert_eq!(a.adoptions(None).unwrap(), world.adoptions);
        // The index built once from the facts answers as the one kept at
        // every commit.
        for kind in every_query() {
            let answer = crate::read::answer(&a, kind.clone(), date("2024-06-30"));
            prop_assert!(answer.is_ok(), "{:?}: {:?}", kind, answer);
            let rebuilt = crate::read::answer(&b, kind.clone(), date("2024-06-30"));
            let beside = crate::read::answer(&c, kind.clone(), date("2024-06-30"));
            prop_assert_eq!(answer.as_ref().ok(), beside.as_ref().ok(), "{:?}", kind);
            prop_assert_eq!(answer.ok(), rebuilt.ok(), "{:?}", kind);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A municipality's page as kept by the index (`Index::gemeinde_answer`)
    /// equals the page made afresh, after every event of the history.
    #[test]
    fn kept_gemeinde_pages_follow_every_event((history, _) in histories()) {
        let ledger = ledger_of(history);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (tx, _rx) = watch::channel(0);
        let mut applier = Applier::new(store.clone(), tx).unwrap();
        let today = date("2025-06-30");
        for event in ledger.events() {
            applier.apply(event).unwrap();
            for code in MUNICIPALITIES {
                for day in [date("2021-01-01"), today] {
                    let kept = crate::read::gemeinde_whole(&store, ags(code), day).unwrap();
                    let index = store.index();
                    let fresh = crate::read::gemeinde(&store, &index, ags(code), day).unwrap();
                    prop_assert_eq!(&*kept, &fresh, "{} on {:?}", code, day);
                }
            }
        }
    }
}

/// The municipalities of the merger tests: Weimar merges into Erfurt.
const WEIMAR: &str = "16055000";
const ERFURT: &str = "16051000";

/// Erfurt and Weimar registered, each of `ids` announced by Thüringen and
/// its adoption requested by Weimar, then Weimar merged into Erfurt.
fn weimar_adopts_then_merges_into_erfurt(ids: &[String]) -> Ledger {
    let (weimar, erfurt) = (ags(WEIMAR), ags(ERFURT));
    let mut ledger = Ledger::default();
    for (code, name) in [(erfurt, "Erfurt"), (weimar, "Weimar")] {
        let event = Event::GemeindeRegistered {
            ags: code,
            name: name.to_owned(),
            population: None,
        };
        ledger.push("2020-01-01", event);
    }
    for id in ids {
        ledger.push("2020-01-01", announce_by(id, 16));
        let event = Event::AdoptionRequested {
            service: service_id(id),
            ags: weimar,
            adoption_no: 1,
            note: String::new(),
        };
        ledger.push("2020-02-01", event);
    }
    let merger = Event::GemeindeMerged {
        ags: weimar,
        successor: erfurt,
    };
    ledger.push("2021-01-01", merger);
    ledger
}

/// A municipality that adopts more services than a page of its adopted
/// services holds, then merges into another: applied one event at a
/// time, rebuilt with its pages let go and read back, and rebuilt with
/// its pages deferred, the stores agree, list every adoption in the order
/// of its request, and the merger recounts every adopted service for the
/// successor.
#[test]
fn many_adoptions_span_pages_however_they_arrive() {
    let (weimar, erfurt) = (ags(WEIMAR), ags(ERFURT));
    let ids: Vec<String> = (0..150).map(|i| format!("leistung-{i:03}")).collect();
    let ledger = weimar_adopts_then_merges_into_erfurt(&ids);
    let events = ledger.events();

    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let one_by_one = Store::open(dirs[0].path()).unwrap();
    let stores = [
        // Its index kept at every commit (reopened, it would be built anew).
        apply_to(one_by_one, events, 1, Keep::IN_USE),
        rebuild_into(dirs[1].path(), events, 7, false),
        rebuild_into(dirs[2].path(), events, 7, true),
    ];
    let hash = stores[0].content_hash().unwrap();
    let today = date("2021-06-30");
    let erfurts_page = QueryKind::Gemeinde {
        ags: erfurt,
        as_of: None,
    };
    let expected = crate::read::answer(&stores[1], erfurts_page.clone(), today).unwrap();
    for store in &stores {
        assert_eq!(store.content_hash().unwrap(), hash);
        let adopted: Vec<String> = (store.adoptions_by(weimar).unwrap().iter())
            .map(|adoption| adoption.service.to_string())
            .collect();
        assert_eq!(adopted, ids, "every adoption, in the order of its request");
        let counted = store.index().counted_for(erfurt, today).len();
        assert_eq!(counted, ids.len(), "Weimar's adoptions count for Erfurt");
        let answer = crate::read::answer(store, erfurts_page.clone(), today).unwrap();
        assert_eq!(answer, expected);
    }
}

/// An index built from more adoptions than the reader hands over in one
/// batch (4,096) answers what the index kept at every commit answers, also
/// once written to its file and read back at an open, and a corrupt
/// adoption fails the build, named by its key.
#[test]
fn an_index_built_from_many_adoptions_matches_the_kept_one() {
    let services = ["aaa-service", "bbb-service"];
    let mut ledger = Ledger::default();
    for id in services {
        ledger.push("2020-01-01", announce_by(id, 16));
    }
    for i in 0..2_100u32 {
        let code = ags(&format!("{}", 16_000_000 + i * 10));
        for (n, id) in services.iter().enumerate() {
            let (service, note) = (service_id(id), String::new());
            let day = format!("2020-{:02}-{:02}", 2 + i % 10, 1 + n);
            let event = Event::AdoptionRequested {
                service: service.clone(),
                ags: code,
                adoption_no: 1,
                note: note.clone(),
            };
            ledger.push(&day, event);
            if i % 3 == 0 {
                let stage = AdoptionStage::Live;
                let event = Event::AdoptionStepRecorded {
                    service,
                    ags: code,
                    adoption_no: 1,
                    stage,
                    note,
                };
                ledger.push("2021-03-01", event);
            }
        }
    }
    let events = ledger.events();
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let kept = apply_to(
        Store::open(dirs[0].path()).unwrap(),
        events,
        500,
        Keep::IN_USE,
    );
    let built = rebuild_into(dirs[1].path(), events, 500, true);
    for day in ["2020-06-30", "2021-03-01", "2022-01-01"].map(date) {
        let (kept, built) = (kept.index(), built.index());
        assert_eq!(kept.stage_counts(day), built.stage_counts(day), "{day}");
        assert_eq!(
            kept.counted_in(land(16), day),
            built.counted_in(land(16), day)
        );
        for id in services.map(service_id) {
            let funnel = built.funnel(&id, None, day).unwrap();
            assert_eq!(kept.funnel(&id, None, day).unwrap(), funnel);
            assert_eq!(
                funnel.reached[0],
                if day.year() == 2020 { 1_050 } else { 2_100 }
            );
        }
    }
    drop(built);

    // Built from the facts at open (the store opened again with a small
    // page cache for it), the index is written to its file and read back
    // with the store opened again: the same answers, and the file matches
    // the checkpoint.
    let _ = std::fs::remove_file(dirs[1].path().join("efa-index"));
    let reopened = Store::open_compact(dirs[1].path(), 1, 1).unwrap();
    let checkpoint = reopened.checkpoint().unwrap();
    assert!(crate::index_file::load(dirs[1].path(), &checkpoint).is_some());
    for day in ["2020-06-30", "2022-01-01"].map(date) {
        let (kept, reopened) = (kept.index(), reopened.index());
        assert_eq!(kept.stage_counts(day), reopened.stage_counts(day));
        for id in services.map(service_id) {
            assert_eq!(
                kept.funnel(&id, Some(land(16)), day),
                reopened.funnel(&id, Some(land(16)), day)
            );
        }
    }
    drop(reopened);

    // One adoption's facts that do not decode: the build stops there.
    let store = Store::open(dirs[1].path()).unwrap();
    let key = store.corrupt_one_adoption(3_000);
    drop(store);
    let _ = std::fs::remove_file(dirs[1].path().join("efa-index"));
    match Store::open(dirs[1].path()) {
        Err(StoreError::Corrupt { key: named, .. }) => assert_eq!(named, key),
        other => panic!("expected the corrupt adoption to be named, got {other:?}"),
    }
}

/// One query of every kind, on a few dates, for the property above: every
/// view must answer whatever the history.
fn every_query() -> Vec<QueryKind> {
    let service = service_id(SERVICES[0]);
    let mut kinds = Vec::new();
    for as_of in [None, Some(date("2019-06-01")), Some(date("2023-01-01"))] {
        kinds.extend([
            QueryKind::Catalogue2 {
                filter: CatalogueFilter {
                    land: Some(land(16)),
                    sort: CatalogueSort::Live,
                    ..CatalogueFilter::default()
                },
                as_of,
            },
            QueryKind::ServiceDetail {
                service: service.clone(),
                as_of,
            },
            QueryKind::Land {
                land: land(16),
                as_of,
            },
            QueryKind::Reuse { as_of },
            QueryKind::Rollout(RolloutScope {
                land: land(16),
                kreis: None,
                service: None,
                as_of,
            }),
            QueryKind::Stalled {
                land: land(16),
                days_min: 30,
                as_of,
            },
            QueryKind::Funnel {
                service: service.clone(),
                land: None,
                as_of,
            },
            QueryKind::Gemeinde {
                ags: ags(MUNICIPALITIES[0]),
                as_of,
            },
        ]);
    }
    for year in [2019, 2023, 2025] {
        kinds.push(QueryKind::CostSharing {
            service: service.clone(),
            year,
        });
        kinds.push(QueryKind::LandCosts {
            land: land(16),
            year,
        });
    }
    kinds.push(QueryKind::History {
        subject: HistorySubject::Gemeinde(ags(MUNICIPALITIES[1])),
        from_seq: 0,
        limit: 5,
    });
    kinds
}

/// A batch written ahead whose index update fails (a merger's recount
/// reads an adoption whose facts do not decode) reports its error when
/// the applier settles; its checkpoint is not announced, and the applier
/// stands at the store's checkpoint again.
#[test]
fn a_failed_commit_written_ahead_is_reported_when_settling() {
    let ledger = weimar_adopts_then_merges_into_erfurt(&[SERVICES[0].to_owned()]);
    let events = ledger.events();
    let (before, merger) = events.split_at(4);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (tx, applied) = watch::channel(0);
    let mut applier = Applier::new(store.clone(), tx).unwrap();
    applier.apply_all_ahead(before).unwrap();
    applier.settle().unwrap();
    assert_eq!(*applied.borrow(), 4);
    let key = store.corrupt_one_adoption(0);

    applier.apply_all_ahead(merger).unwrap();
    match applier.settle() {
        Err(crate::apply::ApplyError::Store(StoreError::Corrupt { key: named, .. })) => {
            assert_eq!(named, key)
        }
        other => panic!("expected the corrupt adoption to be reported, got {other:?}"),
    }
    assert_eq!(*applied.borrow(), 4, "the failed commit is not announced");
    assert_eq!(applier.checkpoint(), store.checkpoint().unwrap());
    // Reported once: the store takes the next commit.
    applier.settle().unwrap();
}

/// A commit written beside its index update whose write fails: the error
/// is reported, the index is built again from the store and stands at the
/// store's checkpoint, not at the commit that was not written, and so do
/// the answers; the same events applied again give the store a rebuild
/// gives.
#[test]
fn a_commit_whose_write_fails_leaves_the_index_at_the_store() {
    let ledger =
        weimar_adopts_then_merges_into_erfurt(&[SERVICES[0].to_owned(), SERVICES[1].to_owned()]);
    let events = ledger.events();
    let (before, after) = events.split_at(4);
    let today = date("2025-06-30");
    let answers = |store: &Store| -> Vec<String> {
        every_query()
            .into_iter()
            .map(|kind| format!("{:?}", crate::read::answer(store, kind, today)))
            .collect()
    };

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap().commits_beside_from(1);
    let (tx, applied) = watch::channel(0);
    let mut applier = Applier::new(store.clone(), tx).unwrap();
    applier.apply_all(before).unwrap();
    let answered_before = answers(&store);

    store.fail_next_write_beside();
    match applier.apply_all(after) {
        Err(crate::apply::ApplyError::Store(StoreError::Io(_))) => {}
        other => panic!("expected the failed write to be reported, got {other:?}"),
    }
    assert_eq!(store.checkpoint().unwrap().seq, 4, "nothing was written");
    assert_eq!(
        store.index().seq(),
        4,
        "the index is not ahead of the store"
    );
    assert_eq!(*applied.borrow(), 4, "the failed commit is not announced");
    assert_eq!(applier.checkpoint(), store.checkpoint().unwrap());
    assert_eq!(answers(&store), answered_before);

    applier.apply_all(after).unwrap();
    let rebuilt = tempfile::tempdir().unwrap();
    let rebuilt = rebuild_into(rebuilt.path(), events, events.len(), false);
    assert_eq!(
        store.content_hash().unwrap(),
        rebuilt.content_hash().unwrap()
    );
    assert_eq!(answers(&store), answers(&rebuilt));
}
