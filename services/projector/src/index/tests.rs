//! Property: the index kept at apply time answers exactly what counting
//! every adoption fact on the day asked for answers (`views::counted`, the
//! slow path the views were first computed with, kept here as the
//! oracle). Random histories with late and out-of-order effective dates,
//! mergers, retirements and withdrawals, applied with a restart in the
//! middle (so the index is built once from the store and then kept up to
//! date) in batches of random size, compared on every change day, the day
//! before each, and random days (the funnels from the kept courses against
//! `views::funnel::funnel`, the funnel computed from the facts); and the
//! cost splits the index keeps, of
//! the facts as they are and as of those days, against splitting anew.

use std::collections::{BTreeMap, HashMap};

use efa_proto::{Ags, Date, LandCode, ServiceId};
use proptest::prelude::*;

use crate::cost_read::statement_lines;
use crate::index::Index;
use crate::rebuild::{MUNICIPALITIES, SERVICES, apply_all, histories, ledger_of};
use crate::store::Store;
use crate::testing::{Ledger, World, ags, date, service_id};
use crate::views::costs::{land_costs, land_costs_with, own_split, reference_data_where};
use crate::views::detail::{coverage, coverage_by_every_municipality};
use crate::views::rollout::{rollout, stalled};
use crate::views::settlement;
use crate::views::{Counted, Gemeinden, counted, stage_counts};
use crate::views::{funnel, not_adopted};
use efa_proto::pages::{RolloutPage, StalledPage};
use efa_proto::views::RolloutScope;

/// The Länder the histories' municipalities lie in, and one without any.
const LANDS: [u8; 3] = [16, 1, 9];

type Owned = BTreeMap<(ServiceId, Ags), Counted>;

/// The years the cost checks split (the histories report costs for 2019
/// to 2025).
const COST_YEARS: [u16; 4] = [2019, 2021, 2023, 2025];

fn owned<'a>(counted: impl IntoIterator<Item = (&'a (&'a ServiceId, Ags), &'a Counted)>) -> Owned {
    counted
        .into_iter()
        .map(|((service, ags), c)| (((*service).clone(), *ags), *c))
        .collect()
}

fn owned_list(counted: &[((&ServiceId, Ags), Counted)]) -> Owned {
    owned(counted.iter().map(|(key, c)| (key, c)))
}

fn nonzero(counts: HashMap<&ServiceId, [u32; 5]>) -> BTreeMap<ServiceId, [u32; 5]> {
    counts
        .into_iter()
        .filter(|(_, counts)| *counts != [0; 5])
        .map(|(id, counts)| (id.clone(), counts))
        .collect()
}

/// Compares every kind of index answer with the oracle on `day`.
fn check_day(index: &Index, world: &World, day: Date) -> Result<(), TestCaseError> {
    let gemeinden = Gemeinden::new(&world.gemeinden);
    let all_counted = counted(&world.adoptions, &gemeinden, day);
    let oracle = owned(&all_counted);
    prop_assert_eq!(
        nonzero(index.stage_counts(day)),
        nonzero(stage_counts(&all_counted)),
        "stage counts on {}",
        day
    );
    for land in LandCode::all() {
        let expected: Owned = oracle
            .iter()
            .filter(|((_, ags), _)| ags.land() == land)
            .map(|(key, c)| (key.clone(), *c))
            .collect();
        prop_assert_eq!(
            owned_list(&index.counted_in(land, day)),
            expected,
            "Land {} on {}",
            land,
            day
        );
        let in_land: Vec<_> = counted(&world.adoptions, &gemeinden, day)
            .into_iter()
            .filter(|((_, ags), _)| ags.land() == land)
            .collect();
        prop_assert_eq!(
            index.live_any(land, day),
            crate::views::land::live_any(land, &gemeinden, &in_land, day),
            "live municipalities of Land {} on {}",
            land,
            day
        );
    }
    // Each Land's funnels, one per service with adoptions counted there,
    // from the kept courses against those computed from the facts.
    for land in LANDS.map(|code| LandCode::new(code).unwrap()) {
        // Adoptions of a service nobody announced count, but it has no
        // funnel (as `Index::funnel` says of an unknown service).
        let known = |id: &ServiceId| world.services.iter().any(|s| s.id == *id);
        let with_adoptions: std::collections::BTreeSet<&ServiceId> = (oracle.keys())
            .filter(|(id, ags)| ags.land() == land && known(id))
            .map(|(service, _)| service)
            .collect();
        let expected: Vec<_> = (with_adoptions.into_iter())
            .map(|service| funnel::funnel(service, Some(land), &world.adoptions, day))
            .collect();
        let order = efa_proto::pages::FunnelOrder::Service;
        prop_assert_eq!(
            crate::read::land_funnels(index, land, day, order),
            expected,
            "funnels of Land {} on {}",
            land,
            day
        );
    }
    for service in SERVICES.map(service_id) {
        let expected: Owned = oracle
            .iter()
            .filter(|((id, _), _)| *id == service)
            .map(|(key, c)| (key.clone(), *c))
            .collect();
        let kept_counted = index.counted_of(&service, day);
        prop_assert_eq!(owned(&kept_counted), expected);
        // The coverage from the service's counted adoptions, against
        // asking every municipality, with the slow path's counts.
        if let Some(facts) = world.services.iter().find(|s| s.id == service) {
            prop_assert_eq!(
                coverage(facts, &kept_counted, &gemeinden, day),
                coverage_by_every_municipality(facts, &all_counted, &gemeinden, day),
                "coverage of {} on {}",
                service,
                day
            );
        }
        // Whom the service has still to reach in each Land, from the
        // index's counted adoptions of the Land, against the oracle's.
        let announced = (world.services.iter()).any(|s| s.id == service && s.announced_by(day));
        for land in LANDS.map(|code| LandCode::new(code).unwrap()) {
            let in_land: Vec<_> = (world.gemeinden.iter())
                .filter(|g| g.ags.land() == land)
                .collect();
            let counted_in_land: Vec<(Ags, Counted)> = (oracle.iter())
                .filter(|((id, ags), _)| *id == service && ags.land() == land)
                .map(|((_, ags), c)| (*ags, *c))
                .collect();
            let kreise: Vec<_> = (world.kreise.iter())
                .filter(|k| k.key.land() == land)
                .cloned()
                .collect();
            let expected = announced.then(|| {
                let gemeinden = Gemeinden::of(in_land);
                not_adopted::not_adopted((&gemeinden, &kreise), &counted_in_land, day)
            });
            prop_assert_eq!(
                crate::read::not_adopted(index, land, &service, day),
                expected,
                "not adopted {} in {} on {}",
                service,
                land,
                day
            );
        }
        // The funnel from the kept courses, everywhere and per Land.
        let known = world.services.iter().any(|s| s.id == service);
        for land in std::iter::once(None).chain(LANDS.map(|code| LandCode::new(code).ok())) {
            let kept = index
                .funnel(&service, land, day)
                .map(|counts| funnel::view(&service, land, day, &counts));
            let oracle = known.then(|| funnel::funnel(&service, land, &world.adoptions, day));
            prop_assert_eq!(
                kept,
                oracle,
                "funnel of {} in {:?} on {}",
                service,
                land,
                day
            );
        }
    }
    for code in MUNICIPALITIES.map(ags) {
        let expected: Owned = oracle
            .iter()
            .filter(|((_, target), _)| *target == code)
            .map(|(key, c)| (key.clone(), *c))
            .collect();
        prop_assert_eq!(owned_list(&index.counted_for(code, day)), expected);
    }
    Ok(())
}

/// Every page of the rollout and stalled lists, made from the index's
/// Land days three rows at a time, against the whole views made from the
/// oracle's counted adoptions on `day`.
fn check_pages(index: &Index, world: &World, day: Date) -> Result<(), TestCaseError> {
    let gemeinden = Gemeinden::new(&world.gemeinden);
    let all = counted(&world.adoptions, &gemeinden, day);
    for land in LANDS.map(|code| LandCode::new(code).unwrap()) {
        let land_day = index.land_day(land, day);
        let kreise = [None, Some(ags("16055000").kreis())];
        let services = [None, Some(service_id(SERVICES[1])), Some(service_id("zzz"))];
        for (kreis, service) in kreise
            .into_iter()
            .flat_map(|k| services.clone().into_iter().map(move |s| (k, s)))
        {
            let scope = RolloutScope {
                land,
                kreis,
                service,
                as_of: Some(day),
            };
            let in_scope: Vec<_> = all
                .iter()
                .filter(|((id, ags), _)| {
                    ags.land() == land && scope.service.as_ref().is_none_or(|s| s == *id)
                })
                .map(|(key, c)| (*key, *c))
                .collect();
            let view = rollout(
                &scope,
                &world.services,
                &gemeinden,
                &world.kreise,
                &in_scope,
                day,
            );
            // From the Land's day, as today's are made, and without it, as
            // a past day's are: the same.
            let from_land_day =
                |at| crate::land_pages::rollout(index, &land_day, &scope, day, at, 3);
            let past = |at| crate::land_pages::past::rollout(index, &scope, day, at, 3);
            let ways: [(&str, &dyn Fn(u32) -> RolloutPage); 2] =
                [("Land day", &from_land_day), ("past", &past)];
            for (way, page_at) in ways {
                let (mut kreis_rows, mut rows, mut offset) = (Vec::new(), Vec::new(), Some(0));
                while let Some(at) = offset {
                    let page = page_at(at);
                    prop_assert_eq!(page.kreise_total as usize, view.kreise.len());
                    prop_assert_eq!(
                        page.municipalities_total as usize,
                        view.municipalities.len()
                    );
                    prop_assert_eq!(&page.land_participates, &view.land_participates);
                    kreis_rows.extend(page.kreise);
                    rows.extend(page.municipalities);
                    offset = page.next_offset;
                }
                prop_assert_eq!(
                    kreis_rows,
                    view.kreise.clone(),
                    "Kreise of {:?} on {} ({})",
                    scope,
                    day,
                    way
                );
                prop_assert_eq!(
                    rows,
                    view.municipalities.clone(),
                    "rows of {:?} on {} ({})",
                    scope,
                    day,
                    way
                );
            }
            // The tallies found either way: through each Kreis's cells, or
            // each member's cell looked up.
            let (pairs, expected): (Vec<_>, Vec<_>) = (view.kreise.iter())
                .filter_map(|row| {
                    let no = index.service_no_of(&row.service)?;
                    Some(((row.kreis, no), (row.stages, row.population_live)))
                })
                .unzip();
            for walk_from in [0, usize::MAX] {
                let tallies = crate::land_pages::past::tallies_walking_from(
                    index, land, &pairs, day, walk_from,
                );
                prop_assert_eq!(&tallies, &expected, "walking from {}", walk_from);
            }
        }
        let in_land: Vec<_> = all
            .iter()
            .filter(|((_, ags), _)| ags.land() == land)
            .map(|(key, c)| (*key, *c))
            .collect();
        let services = [None, Some(service_id(SERVICES[1])), Some(service_id("zzz"))];
        for (days_min, service) in [0, 30, 400]
            .into_iter()
            .flat_map(|days| services.clone().into_iter().map(move |s| (days, s)))
        {
            let of_service: Vec<_> = (in_land.iter())
                .filter(|((id, _), _)| service.as_ref().is_none_or(|s| s == *id))
                .map(|(key, c)| (*key, *c))
                .collect();
            let view = stalled(land, days_min, &gemeinden, &of_service, day);
            let scope = crate::land_pages::StalledScope {
                land,
                service: service.as_ref(),
                days_min,
            };
            // From the Land's day, as today's are made, and from the
            // Land's list of adoptions under way, as a past day's are.
            let list = index.under_way(land, day).expect("days within 179 years");
            let from_land_day =
                |at| crate::land_pages::stalled(index, &land_day, &scope, day, at, 3);
            let past = |at| crate::land_pages::past::stalled(index, &list, &scope, day, at, 3);
            let ways: [(&str, &dyn Fn(u32) -> StalledPage); 2] =
                [("Land day", &from_land_day), ("past", &past)];
            for (way, page_at) in ways {
                let (mut rows, mut offset) = (Vec::new(), Some(0));
                while let Some(at) = offset {
                    let page = page_at(at);
                    prop_assert_eq!(page.total as usize, view.stalled.len());
                    rows.extend(page.stalled);
                    offset = page.next_offset;
                }
                prop_assert_eq!(
                    rows,
                    view.stalled.clone(),
                    "stalled of {:?} in {} on {} ({})",
                    service,
                    land,
                    day,
                    way
                );
            }
        }
    }
    Ok(())
}

/// The days to compare on: every effective date, the day before each,
/// and the given extra days.
fn days(ledger: &Ledger, extra: &[i32]) -> Vec<Date> {
    let first = date("2019-01-01").days_since_epoch();
    let mut days: Vec<Date> = ledger
        .events()
        .iter()
        .flat_map(|e| {
            let day = e.record.effective.days_since_epoch();
            [day - 1, day]
        })
        .chain(extra.iter().map(|offset| first + offset))
        .filter_map(|day| Date::try_from(day).ok())
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// The extra days: offsets from 2019-01-01, those that make a date.
fn extra_days(extra: &[i32]) -> impl Iterator<Item = Date> + '_ {
    let first = date("2019-01-01").days_since_epoch();
    extra
        .iter()
        .filter_map(move |offset| Date::try_from(first + offset).ok())
}

/// The "as of" dates of the statements and Land costs compared: the extra
/// days, and a day after every event (the facts as they are).
fn as_of_days(extra: &[i32]) -> Vec<Date> {
    std::iter::once(date("2199-12-31"))
        .chain(extra_days(extra))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_index_answers_what_counting_every_fact_answers(
        (history, restart) in histories(),
        extra in prop::collection::vec(-400i32..2800, 4),
        batch in 1usize..6,
    ) {
        let ledger = ledger_of(history);
        let events = ledger.events();
        let dir = tempfile::tempdir().unwrap();
        apply_all(dir.path(), &events[..restart], batch);
        apply_all(dir.path(), &events[restart..], batch);
        let world = World::replay(&ledger);

        let store = Store::open(dir.path()).unwrap();
        let reopened = store.index();
        prop_assert_eq!(reopened.seq(), events.len() as u64);
        prop_assert_eq!(reopened.services().cloned().collect::<Vec<_>>(), world.services.clone());
        prop_assert_eq!(reopened.gemeinden(None), &world.gemeinden[..]);
        prop_assert_eq!(reopened.kreise(None), &world.kreise[..]);
        prop_assert_eq!(reopened.cell_counts(), &reopened.cell_counts_made_anew());
        for day in days(&ledger, &extra) {
            check_day(&reopened, &world, day)?;
        }
        drop(reopened);

        // Built with the adoptions in another order than the store's, the
        // merged families' counted again at the end: the same answers.
        let by_municipality = store.index_built_by_municipality();
        for day in days(&ledger, &extra) {
            check_day(&by_municipality, &world, day)?;
        }
        drop(by_municipality);

        // Written to its file and read back, the index answers the same.
        store.save_index().unwrap();
        let checkpoint = store.checkpoint().unwrap();
        drop(store);
        prop_assert!(crate::index_file::load(dir.path(), &checkpoint).is_some());
        let store = Store::open(dir.path()).unwrap();
        let restored = store.index();
        prop_assert_eq!(restored.seq(), events.len() as u64);
        prop_assert_eq!(restored.cell_counts(), &restored.cell_counts_made_anew());
        for day in days(&ledger, &extra) {
            check_day(&restored, &world, day)?;
        }
        drop(restored);
        drop(store);

        // Kept up to date event by event, without a rebuild at the end.
        let incremental = tempfile::tempdir().unwrap();
        let store = Store::open(incremental.path()).unwrap();
        let (tx, _rx) = tokio::sync::watch::channel(0);
        let mut applier = crate::apply::Applier::new(store.clone(), tx).unwrap();
        for event in events {
            applier.apply(event).unwrap();
            // Fill the split cache as queries would, so that a change
            // that does not drop what it makes stale shows below.
            // The same for the Land days.
            let index = store.index();
            for service in index.services() {
                for year in COST_YEARS {
                    index.own_split(service, year);
                }
                // The service's cells, kept for its counted adoptions.
                index.counted_of(&service.id, date("2199-12-31"));
            }
            for day in extra_days(&extra) {
                for land in LANDS.map(|code| LandCode::new(code).unwrap()) {
                    // Kept since the last event and patched with its
                    // change, or made now: either way as made anew.
                    let kept = index.land_day(land, day);
                    prop_assert_eq!(&*kept, &index.make_land_day(land, day), "{} on {}", land, day);
                    // The list of adoptions under way, kept from here
                    // on for the days before the next late change.
                    index.under_way(land, day);
                }
                for service in index.services() {
                    for year in COST_YEARS {
                        index.split_as_of(service, year, day);
                    }
                }
            }
            // And the Länder's statement lines, as of those days and not.
            for land in LandCode::all() {
                for year in COST_YEARS {
                    for as_of in as_of_days(&extra) {
                        index.statement_lines(land, year, as_of, || {
                            statement_lines(&index, land, year, as_of)
                        });
                    }
                }
            }
        }
        let index = store.index();
        // The counted cells by day, kept event by event, are those made
        // at once from the cells; so for the index built and read back.
        prop_assert_eq!(index.cell_counts(), &index.cell_counts_made_anew());
        let (kept, made) = index.first_counted_kept_and_made();
        prop_assert_eq!(kept, made);
        for day in days(&ledger, &extra) {
            check_day(&index, &world, day)?;
            check_pages(&index, &world, day)?;
        }
        // The statement lines kept through every change are those made
        // anew now.
        for land in LandCode::all() {
            for year in COST_YEARS {
                for as_of in as_of_days(&extra) {
                    let mut made = false;
                    let kept = index.statement_lines(land, year, as_of, || {
                        made = true;
                        Vec::new()
                    });
                    prop_assert!(!made, "{} {} as of {:?} was not kept", land, year, as_of);
                    let fresh = statement_lines(&index, land, year, as_of);
                    prop_assert_eq!(&*kept, &fresh, "{} {} as of {:?}", land, year, as_of);
                }
            }
        }
        // The reference data in effect on a day: a key published to take
        // effect later does not split before then.
        let reference = |day: Date| {
            reference_data_where(&world.keys, &world.populations, |at| at.by(day))
        };
        // The splits kept by the cuts a day makes are those of the facts
        // and reference data cut as of that day, split anew.
        for day in days(&ledger, &extra) {
            let reference = reference(day);
            for service in &world.services {
                for year in COST_YEARS {
                    let kept = index.split_as_of(service, year, day);
                    let fresh = own_split(&settlement::as_of(service, day), year, &reference);
                    prop_assert_eq!(&*kept, &fresh, "{} {} as of {}", service.id, year, day);
                }
            }
        }
        for day in as_of_days(&extra) {
            for year in COST_YEARS {
                for land in LandCode::all() {
                    prop_assert_eq!(
                        land_costs_with(land, year, day, index.services_of(land), |s| {
                            index.split_as_of(s, year, day)
                        }),
                        land_costs(land, year, day, &world.services, &reference(day))
                    );
                }
            }
        }
    }
}
