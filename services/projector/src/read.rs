//! The reading layer of the queries: for each query, take what it needs
//! from the store's in-memory index (the entities' facts, the adoptions
//! counted on the day asked for) or, for histories and a municipality's or
//! service's own adoption facts, from the store itself, and hand it to the
//! pure view function of `views`. Blocking; the query handler runs it on a
//! blocking thread. `today` is taken once per query by the caller.

use std::collections::HashMap;
use std::sync::Arc;

use efa_proto::views::{HistorySubject, HistoryView, RolloutScope};
use efa_proto::{
    Ags, CatalogueView, Date, GemeindeView, LandCode, QueryKind, QueryReply, ServiceId, ServiceView,
};

use crate::facts::ServiceFacts;
use crate::index::Index;
use crate::store::{EventsOf, Store, StoreError};
use crate::views::{self, Gemeinden};

const HISTORY_LIMIT_DEFAULT: u32 = 100;
const HISTORY_LIMIT_MAX: u32 = 1000;

/// Answers `kind`, with `today` standing for a missing "as of" date.
/// The answer is shared: a kept one (a service's detail, a
/// municipality's page) is handed out as it is kept, not copied.
pub fn shared_answer(
    store: &Store,
    kind: QueryKind,
    today: Date,
) -> Result<Arc<QueryReply>, StoreError> {
    let day = |as_of: Option<Date>| as_of.unwrap_or(today);
    Ok(Arc::new(match kind {
        QueryKind::Catalogue => QueryReply::Catalogue(catalogue(store, today)?),
        QueryKind::Service(id) => {
            QueryReply::Service(store.index().service(&id).map(|f| in_effect(f, today)))
        }
        QueryKind::Catalogue2 { filter, as_of } => {
            QueryReply::Catalogue2(catalogue_page(store, &filter, day(as_of)))
        }
        QueryKind::ServiceDetail { service, as_of } => {
            let index = store.index();
            // Without a date, a service announced ahead of today is shown
            // as of its announcement.
            let day = match (as_of, index.service(&service)) {
                (Some(day), _) => day,
                (None, Some(facts)) => today.max(facts.announced_on()),
                (None, None) => today,
            };
            return index.detail_answer(&service, day, || {
                Ok::<_, StoreError>(QueryReply::ServiceDetail(service_detail(
                    &index, &service, day,
                )))
            });
        }
        QueryKind::Land { land, as_of } => QueryReply::Land(land_view(store, land, day(as_of))),
        QueryKind::Reuse { as_of } => {
            QueryReply::Reuse(views::land::reuse(store.index().services(), day(as_of)))
        }
        QueryKind::CostSharing { service, year } => {
            let index = store.index();
            QueryReply::CostSharing(index.service(&service).map(|facts| {
                let in_effect = views::settlement::facts_on(facts, today);
                views::costs::cost_sharing(&in_effect, year, &index.reference_on(today))
            }))
        }
        QueryKind::LandCosts { land, year } => {
            let index = store.index();
            QueryReply::LandCosts(views::costs::land_costs_with(
                land,
                year,
                today,
                index.services_of(land),
                |service| index.split_as_of(service, year, today),
            ))
        }
        QueryKind::Rollout(scope) => QueryReply::Rollout(rollout(store, scope, today).into_v1()),
        QueryKind::Stalled {
            land,
            days_min,
            as_of,
        } => QueryReply::Stalled(stalled(store, land, days_min, day(as_of)).into_v1()),
        QueryKind::Funnel {
            service,
            land,
            as_of,
        } => {
            let day = day(as_of);
            let counts = store.index().funnel(&service, land, day);
            QueryReply::Funnel(counts.map(|c| views::funnel::view(&service, land, day, &c)))
        }
        QueryKind::History {
            subject,
            from_seq,
            limit,
        } => QueryReply::History(history(store, subject, from_seq, limit, today)?),
        QueryKind::Gemeinde { ags, as_of } => {
            let whole = gemeinde_whole(store, ags, day(as_of))?;
            QueryReply::Gemeinde(whole.as_ref().as_ref().map(GemeindeView::to_v1))
        }
        QueryKind::CostYear {
            service,
            year,
            as_of,
        } => crate::cost_read::cost_year_reply(store, &service, year, (as_of, None), today)?,
        QueryKind::CostYear2 {
            service,
            year,
            as_of,
            known_at_seq,
        } => {
            crate::cost_read::cost_year_reply(store, &service, year, (as_of, known_at_seq), today)?
        }
        QueryKind::Statement { land, year, as_of } => {
            crate::cost_read::statement_reply(store, land, year, (as_of, None), today)?
        }
        QueryKind::Statement2 {
            land,
            year,
            as_of,
            known_at_seq,
        } => crate::cost_read::statement_reply(store, land, year, (as_of, known_at_seq), today)?,
        paged @ (QueryKind::Services { .. }
        | QueryKind::Rollout2 { .. }
        | QueryKind::Stalled2 { .. }
        | QueryKind::Stalled3 { .. }
        | QueryKind::Stalled4 { .. }
        | QueryKind::Gemeinde2 { .. }
        | QueryKind::Rollout3 { .. }
        | QueryKind::Gemeinde3 { .. }
        | QueryKind::Land2 { .. }
        | QueryKind::LandCosts2 { .. }
        | QueryKind::Reuse2 { .. }
        | QueryKind::Gemeinden { .. }
        | QueryKind::NotAdopted { .. }
        | QueryKind::LandFunnels { .. }) => return crate::pages::answer(store, paged, today),
        // Unwrapped by the query handler, which answers it with a stamp;
        // the views have no answer of their own for it.
        QueryKind::IfChanged { .. } => QueryReply::Rejected(efa_proto::Rejection::invalid(
            "kind",
            "eine bedingte Abfrage kann hier nicht beantwortet werden",
        )),
    }))
}

/// [`shared_answer`] as a value of its own, for tests that take the
/// answer apart.
#[cfg(test)]
pub fn answer(store: &Store, kind: QueryKind, today: Date) -> Result<QueryReply, StoreError> {
    shared_answer(store, kind, today).map(Arc::unwrap_or_clone)
}

/// The funnels in `land` on `day` of the services with adoptions counted
/// there, in `order`: each one pass over the service's courses in the
/// Land (`Index::funnel`).
pub(crate) fn land_funnels(
    index: &Index,
    land: LandCode,
    day: Date,
    order: efa_proto::pages::FunnelOrder,
) -> Vec<efa_proto::views::FunnelView> {
    let mut funnels: Vec<_> = (index.cell_counts().services_on(land, day))
        .filter_map(|(no, _)| {
            let service = index.service_id(no);
            let counts = index.funnel(service, Some(land), day)?;
            Some(views::funnel::view(service, Some(land), day, &counts))
        })
        .collect();
    views::funnel::in_order(&mut funnels, order);
    funnels
}

/// The active municipalities of `land` that do not offer `service` on
/// `day`; `None` when the service is unknown or not announced by then.
pub(crate) fn not_adopted(
    index: &Index,
    land: LandCode,
    service: &ServiceId,
    day: Date,
) -> Option<Vec<efa_proto::views::NotAdoptedEntry>> {
    index.service(service).filter(|f| f.announced_by(day))?;
    // A service without adoptions anywhere has no number in the index.
    let counted = (index.service_no_of(service))
        .map(|no| index.counted_of_in(no, land.municipalities(), day))
        .unwrap_or_default();
    let gemeinden = views::Gemeinden::new(index.gemeinden(Some(land)));
    let kreise = index.kreise(Some(land));
    Some(views::not_adopted::not_adopted(
        (&gemeinden, kreise),
        &counted,
        day,
    ))
}

fn catalogue_page(
    store: &Store,
    filter: &efa_proto::views::CatalogueFilter,
    day: Date,
) -> efa_proto::views::CataloguePage {
    let index = store.index();
    let counts = index.stage_counts(day);
    views::catalogue::page(index.services(), &counts, filter, day, index.seq())
}

fn stalled(
    store: &Store,
    land: LandCode,
    days_min: u32,
    day: Date,
) -> efa_proto::views::StalledView {
    let index = store.index();
    let gemeinden = Gemeinden::new(index.gemeinden(Some(land)));
    // Only what can be stalled: under way, its last step long enough ago.
    let counted = index.counted_in_where(land, day, |c| {
        views::rollout::under_way(c.stage) && views::days_between(c.since, day) >= days_min
    });
    views::rollout::stalled(land, days_min, &gemeinden, &counted, day)
}

/// Every service as [`in_effect`] today, ordered by id. The checkpoint
/// is read before the services, so `as_of_seq` never claims more than
/// the services show.
fn catalogue(store: &Store, today: Date) -> Result<CatalogueView, StoreError> {
    let as_of_seq = store.checkpoint()?.seq;
    let services = (store.index().services())
        .map(|facts| in_effect(facts, today))
        .collect();
    Ok(CatalogueView {
        services,
        as_of_seq,
    })
}

/// A service as the catalogue shows it without a date: what is in effect
/// today, not a change recorded ahead of its effective date; a service
/// announced ahead of today as of its announcement, as its detail.
pub(crate) fn in_effect(facts: &ServiceFacts, today: Date) -> ServiceView {
    facts.view_on(today.max(facts.announced_on()))
}

/// `None` for a service unknown or not announced by `day` (asked for a
/// date before its announcement, it does not exist yet; without a date,
/// the caller asks as of the announcement of a service announced ahead).
fn service_detail(
    index: &Index,
    service: &ServiceId,
    day: Date,
) -> Option<efa_proto::views::ServiceDetail> {
    let facts = index.service(service).filter(|f| f.announced_by(day))?;
    let gemeinden = Gemeinden::new(index.gemeinden(None));
    let counted = index.counted_of(service, day);
    Some(views::detail::service_detail(
        facts,
        &counted,
        &gemeinden,
        index.populations(),
        day,
    ))
}

fn land_view(store: &Store, land: LandCode, day: Date) -> efa_proto::views::LandView {
    let index = store.index();
    let gemeinden = Gemeinden::new(index.gemeinden(Some(land)));
    views::land::land_view(
        land,
        index.services(),
        &gemeinden,
        index.live_any(land, day),
        day,
    )
}

fn rollout(store: &Store, scope: RolloutScope, today: Date) -> efa_proto::views::RolloutView {
    let day = scope.as_of.unwrap_or(today);
    let index = store.index();
    let gemeinden = Gemeinden::new(index.gemeinden(Some(scope.land)));
    let mut counted = index.counted_in(scope.land, day);
    if let Some(service) = &scope.service {
        counted.retain(|((id, _), _)| *id == service);
    }
    views::rollout::rollout(
        &scope,
        index.services(),
        &gemeinden,
        index.kreise(Some(scope.land)),
        &counted,
        day,
    )
}

fn history(
    store: &Store,
    subject: HistorySubject,
    from_seq: u64,
    limit: u32,
    today: Date,
) -> Result<HistoryView, StoreError> {
    let limit = views::capped(limit, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX);
    let of = match &subject {
        HistorySubject::Service(id) => EventsOf::Service(id.clone()),
        HistorySubject::Gemeinde(ags) => EventsOf::Gemeinde(*ags),
        HistorySubject::All => EventsOf::All,
    };
    let (events, more) = store.events(&of, from_seq, limit)?;
    let index = store.index();
    let mut names: HashMap<Ags, String> = HashMap::new();
    // A rename's summary names the municipality as it was called before.
    let mut renamed_from: HashMap<(Ags, u64), String> = HashMap::new();
    for sealed in &events {
        for ags in municipalities_named(&sealed.record.event) {
            if let Some(gemeinde) = index.gemeinde(ags) {
                names.insert(ags, gemeinde.name_on(today).to_owned());
                if let efa_proto::Event::GemeindeRenamed { .. } = sealed.record.event {
                    let before = gemeinde.name_before(sealed.record.seq).to_owned();
                    renamed_from.insert((ags, sealed.record.seq), before);
                }
            }
        }
    }
    // Every stored event was applied, so the applier verified it.
    let verified = store.checkpoint()?.seq;
    let lookup = |ags: Ags, seq: u64| {
        (renamed_from.get(&(ags, seq)))
            .or_else(|| names.get(&ags))
            .cloned()
    };
    let before = |event: &efa_proto::Event, seq: u64| {
        use efa_proto::Event;
        let mut before = views::history::Before::default();
        match event {
            Event::ServiceDetailsUpdated(update) => {
                let service = index.service(&update.service);
                before.details = service.map(|facts| facts.details_before(seq).clone());
            }
            Event::CostCorrected {
                service, cost_no, ..
            } => {
                let service = index.service(service);
                before.amount = service.and_then(|facts| facts.cost_before(*cost_no, seq));
            }
            _ => {}
        }
        before
    };
    Ok(views::history::history(
        subject,
        &events,
        more,
        (&lookup, &before),
        verified,
    ))
}

/// The municipalities an event's summary names.
fn municipalities_named(event: &efa_proto::Event) -> Vec<Ags> {
    use efa_proto::Event;
    match event {
        Event::GemeindeMerged { ags, successor } => vec![*ags, *successor],
        Event::GemeindeRenamed { ags, .. }
        | Event::GemeindeRetired { ags }
        | Event::AdoptionRequested { ags, .. }
        | Event::AdoptionStepRecorded { ags, .. }
        | Event::AdoptionWithdrawn { ags, .. } => vec![*ags],
        _ => Vec::new(),
    }
}

/// The page of `ags`, read while the caller holds `index`.
/// The whole page of the municipality `ags` on `day`, kept or made and
/// kept; `None` if it is not registered.
pub(crate) fn gemeinde_whole(
    store: &Store,
    ags: Ags,
    day: Date,
) -> Result<Arc<Option<GemeindeView>>, StoreError> {
    let index = store.index();
    index.gemeinde_answer(ags, day, || gemeinde(store, &index, ags, day))
}

pub(crate) fn gemeinde(
    store: &Store,
    index: &Index,
    ags: Ags,
    day: Date,
) -> Result<Option<GemeindeView>, StoreError> {
    let mut family_adoptions = store.adoptions_by(ags)?;
    if index.gemeinde(ags).is_none() {
        return Ok(None);
    }
    let gemeinden = Gemeinden::new(index.gemeinden(Some(ags.land())));
    // Those of its family merged into it by the day count for it.
    let predecessors = (index.family(ags).into_iter())
        .filter(|member| *member != ags && gemeinden.resolve(*member, day) == Some(ags));
    for predecessor in predecessors {
        family_adoptions.extend(store.adoptions_by(predecessor)?);
    }
    let counted = index.counted_for(ags, day);
    Ok(views::gemeinde::gemeinde_view(
        ags,
        &gemeinden,
        &counted,
        &family_adoptions,
        index.services(),
        day,
    ))
}

#[cfg(test)]
mod tests {
    use efa_proto::views::{CatalogueFilter, HistorySubject};
    use efa_proto::{AdoptionStage, Event, ServiceStatus};
    use tokio::sync::watch;

    use super::*;
    use crate::apply::Applier;
    use crate::testing::{Ledger, ags, announce_by, date, land, service_id};

    /// A store with one service, two municipalities (one merged into the
    /// other), and an adoption of each.
    fn store(dir: &std::path::Path) -> Store {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 16));
        for (code, name) in [("16055000", "Weimar"), ("16071001", "Kranichfeld")] {
            ledger.push(
                "2020-01-01",
                Event::GemeindeRegistered {
                    ags: ags(code),
                    name: name.to_owned(),
                    population: None,
                },
            );
            ledger.push(
                "2023-01-01",
                Event::AdoptionRequested {
                    service: service_id("aaa-service"),
                    ags: ags(code),
                    adoption_no: 1,
                    note: String::new(),
                },
            );
        }
        ledger.push(
            "2023-02-01",
            Event::AdoptionStepRecorded {
                service: service_id("aaa-service"),
                ags: ags("16071001"),
                adoption_no: 1,
                stage: AdoptionStage::Agreed,
                note: String::new(),
            },
        );
        ledger.push(
            "2024-06-01",
            Event::GemeindeMerged {
                ags: ags("16071001"),
                successor: ags("16055000"),
            },
        );
        applied(dir, &ledger)
    }

    /// A store in `dir` with every event of `ledger` applied.
    fn applied(dir: &std::path::Path, ledger: &Ledger) -> Store {
        let store = Store::open(dir).unwrap();
        let (tx, _rx) = watch::channel(0);
        let mut applier = Applier::new(store.clone(), tx).unwrap();
        for event in ledger.events() {
            applier.apply(event).unwrap();
        }
        store
    }

    fn history(store: &Store, subject: HistorySubject, from_seq: u64, limit: u32) -> HistoryView {
        let kind = QueryKind::History {
            subject,
            from_seq,
            limit,
        };
        match answer(store, kind, date("2025-01-01")).unwrap() {
            QueryReply::History(view) => view,
            other => panic!("expected a history, got {other:?}"),
        }
    }

    /// More events than a history page and an event block hold, applied
    /// in batches of several sizes: every history reads back complete and
    /// in order from any sequence.
    #[test]
    fn histories_span_pages_and_blocks() {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 16));
        ledger.push("2019-12-01", announce_by("bbb-service", 4));
        for i in 0..900u32 {
            let (service, code) = if i % 3 == 0 {
                ("bbb-service", 4)
            } else {
                ("aaa-service", 1 + (i % 15) as u8)
            };
            ledger.push(
                "2020-01-01",
                Event::LandJoined {
                    service: service_id(service),
                    land: land(code),
                },
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (tx, _rx) = watch::channel(0);
        let mut applier = Applier::new(store.clone(), tx).unwrap();
        let events = ledger.events();
        let mut at = 0;
        for size in [1, 7, 300, 2, 16, 17, 1000].into_iter().cycle() {
            if at == events.len() {
                break;
            }
            let end = (at + size).min(events.len());
            applier.apply_all(&events[at..end]).unwrap();
            at = end;
        }
        let of = |id: &str| {
            events
                .iter()
                .filter(|e| crate::catalogue::service_of(&e.record.event).is_some_and(|s| s.as_str() == id)
                    || matches!(&e.record.event, Event::LandJoined { service, .. } if service.as_str() == id))
                .map(|e| e.record.seq)
                .collect::<Vec<u64>>()
        };
        for id in ["aaa-service", "bbb-service"] {
            let expected = of(id);
            assert!(expected.len() > 256, "{id} spans more than a page");
            for from in [0, 1, 250, 600, 902] {
                let subject = HistorySubject::Service(service_id(id));
                let page = history(&store, subject, from, 1000);
                let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
                let want: Vec<u64> = expected.iter().copied().filter(|s| *s >= from).collect();
                assert_eq!(seqs, want, "{id} from {from}");
            }
        }
        let all = history(&store, HistorySubject::All, 95, 1000);
        let seqs: Vec<u64> = all.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (95..=902).collect::<Vec<u64>>());
        let (events_back, more) = store.events(&EventsOf::All, 0, 902).unwrap();
        assert_eq!((events_back.as_slice(), more), (events, false));
    }

    #[test]
    fn a_rename_in_the_history_names_the_name_before_it() {
        let mut ledger = Ledger::default();
        let erfurt = ags("16051000");
        ledger.push(
            "2020-01-01",
            Event::GemeindeRegistered {
                ags: erfurt,
                name: "Erfurt".to_owned(),
                population: None,
            },
        );
        for (day, name) in [
            ("2021-01-01", "Erfurt, Stadt"),
            ("2022-01-01", "Landeshauptstadt Erfurt"),
        ] {
            ledger.push(
                day,
                Event::GemeindeRenamed {
                    ags: erfurt,
                    name: name.to_owned(),
                },
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let store = applied(dir.path(), &ledger);
        let page = history(&store, HistorySubject::Gemeinde(erfurt), 0, 0);
        let said: Vec<&str> = page.entries.iter().map(|e| e.summary_de.as_str()).collect();
        assert_eq!(
            said[1..],
            [
                "Erfurt heißt jetzt Erfurt, Stadt",
                "Erfurt, Stadt heißt jetzt Landeshauptstadt Erfurt"
            ]
        );
    }

    /// Through the store: a details update names each changed field with
    /// its value before, a second correction the amount the first left.
    #[test]
    fn a_change_in_the_history_says_what_it_changed_from() {
        let mut ledger = Ledger::default();
        let service = service_id("aaa-service");
        let announced = crate::testing::announce("aaa-service");
        let Event::ServiceAnnounced(announcement) = &announced else {
            unreachable!("announce announces")
        };
        let mut update = efa_proto::ServiceDetailsUpdated {
            service: service.clone(),
            title: announcement.title.clone(),
            ozg_id: announcement.ozg_id.clone(),
            leika: announcement.leika.clone(),
            themenfeld: announcement.themenfeld.clone(),
            provider: "Dataport".to_owned(),
            channel: announcement.channel,
            cost_model: announcement.cost_model.clone(),
        };
        let provider_before = announcement.provider.clone();
        ledger.push("2024-01-01", announced.clone());
        ledger.push("2024-02-01", Event::ServiceDetailsUpdated(update.clone()));
        update.provider = "ITEOS".to_owned();
        ledger.push("2024-03-01", Event::ServiceDetailsUpdated(update));
        ledger.push(
            "2024-12-31",
            Event::CostReported(efa_proto::CostReported {
                service: service.clone(),
                cost_no: 1,
                year: 2024,
                category: efa_proto::CostCategory::Operation,
                amount: efa_proto::Cents(10_000),
                note: String::new(),
            }),
        );
        for amount in [12_000, 11_000] {
            ledger.push(
                "2024-12-31",
                Event::CostCorrected {
                    service: service.clone(),
                    cost_no: 1,
                    amount: efa_proto::Cents(amount),
                    reason: "nachgeprüft".to_owned(),
                },
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let store = applied(dir.path(), &ledger);
        let page = history(&store, HistorySubject::Service(service), 0, 0);
        let said: Vec<&str> = page.entries.iter().map(|e| e.summary_de.as_str()).collect();
        let title = &announcement.title;
        assert_eq!(
            said[1..3],
            [
                format!("Angaben zu „{title}“ geändert: Anbieter „{provider_before}“ → „Dataport“"),
                format!("Angaben zu „{title}“ geändert: Anbieter „Dataport“ → „ITEOS“"),
            ]
        );
        assert_eq!(
            said[4..],
            [
                "Position 1 berichtigt von 100,00 € auf 120,00 €: nachgeprüft",
                "Position 1 berichtigt von 120,00 € auf 110,00 €: nachgeprüft",
            ]
        );
    }

    #[test]
    fn history_per_subject_pages_in_ledger_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let weimar = history(&store, HistorySubject::Gemeinde(ags("16055000")), 0, 0);
        let seqs: Vec<u64> = weimar.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3, 7], "registration, request, the merger into it");
        assert_eq!(
            weimar.entries[2].summary_de,
            "Kranichfeld geht in Weimar (16055000) auf"
        );
        assert_eq!(
            weimar.entries[1].summary_de,
            "Weimar: beantragt (aaa-service)"
        );
        assert_eq!(weimar.chain_verified_to, 7);
        let service = history(
            &store,
            HistorySubject::Service(service_id("aaa-service")),
            2,
            2,
        );
        let seqs: Vec<u64> = service.entries.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, service.more), (vec![3, 5], true));
        let all = history(&store, HistorySubject::All, 6, 10);
        assert_eq!((all.entries.len(), all.more), (2, false));
    }

    /// Weimar's page as of today.
    fn weimar_today() -> QueryKind {
        QueryKind::Gemeinde {
            ags: ags("16055000"),
            as_of: None,
        }
    }

    /// After the merger the adoption that counts for Weimar is
    /// Kranichfeld's, further along; stalled, its row names Kranichfeld as
    /// the adopter. The answers for older clients have the same rows
    /// without it.
    #[test]
    fn a_stalled_adoption_names_whose_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let today = date("2025-01-01");
        let (land, service, days_min, as_of) = (land(16), None, 30, None);
        let page = efa_proto::pages::Page {
            offset: 0,
            limit: 10,
        };
        let kind = QueryKind::Stalled4 {
            land,
            service: service.clone(),
            days_min,
            as_of,
            page,
        };
        let QueryReply::Stalled4(stalled) = answer(&store, kind, today).unwrap() else {
            panic!("expected a page of stalled adoptions");
        };
        let rows: Vec<_> = (stalled.stalled.iter())
            .map(|row| (row.ags, row.stage, row.adopter))
            .collect();
        assert_eq!(
            rows,
            [(ags("16055000"), AdoptionStage::Agreed, ags("16071001"))]
        );
        let kind = QueryKind::Stalled3 {
            land,
            service,
            days_min,
            as_of,
            page,
        };
        let older = answer(&store, kind, today).unwrap();
        assert_eq!(older, QueryReply::Stalled2(stalled.clone().into_v1()));
        let kind = QueryKind::Stalled {
            land,
            days_min,
            as_of,
        };
        let QueryReply::Stalled(whole) = answer(&store, kind, today).unwrap() else {
            panic!("expected the stalled adoptions");
        };
        assert_eq!(whole.stalled, stalled.into_v1().stalled);
    }

    /// A kept answer is handed out shared, so that readers do not copy
    /// it under the shelf's lock; a page cut from it is its own, and the
    /// answer for older clients is the same without the adopters.
    #[test]
    fn kept_answers_are_shared_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let today = date("2025-01-01");
        let first = gemeinde_whole(&store, ags("16055000"), today).unwrap();
        let again = gemeinde_whole(&store, ags("16055000"), today).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let Some(whole) = &*first else {
            panic!("expected Weimar");
        };
        let page = QueryKind::Gemeinde3 {
            ags: ags("16055000"),
            as_of: None,
            page: efa_proto::pages::Page {
                offset: 0,
                limit: 1,
            },
        };
        let QueryReply::Gemeinde3(Some(page)) = &*shared_answer(&store, page, today).unwrap()
        else {
            panic!("expected Weimar's first page");
        };
        assert_eq!(page.adoptions.len(), 1);
        assert_eq!(page.adoptions[0], whole.adoptions[0]);
        let older = answer(&store, weimar_today(), today).unwrap();
        assert_eq!(older, QueryReply::Gemeinde(Some(whole.to_v1())));
    }

    #[test]
    fn municipal_views_read_the_lands_adoptions() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let today = date("2025-01-01");
        let kind = weimar_today();
        let QueryReply::Gemeinde(Some(weimar)) = answer(&store, kind, today).unwrap() else {
            panic!("expected Weimar");
        };
        assert_eq!(weimar.adoptions[0].stage, AdoptionStage::Agreed);
        assert_eq!(weimar.as_of, today);
        let kind = QueryKind::Stalled {
            land: land(16),
            days_min: 0,
            as_of: Some(date("2024-01-01")),
        };
        let QueryReply::Stalled(stalled) = answer(&store, kind, today).unwrap() else {
            panic!("expected stalled adoptions");
        };
        assert_eq!(stalled.stalled.len(), 2);
        let kind = QueryKind::Catalogue2 {
            filter: CatalogueFilter::default(),
            as_of: None,
        };
        let QueryReply::Catalogue2(page) = answer(&store, kind, today).unwrap() else {
            panic!("expected a catalogue page");
        };
        assert_eq!((page.total, page.as_of_seq), (1, 7));
        assert_eq!(page.services[0].adoptions, [0, 1, 0, 0, 0]);
        let unknown = QueryKind::Funnel {
            service: service_id("gibt-es-nicht"),
            land: None,
            as_of: None,
        };
        assert_eq!(
            answer(&store, unknown, today).unwrap(),
            QueryReply::Funnel(None)
        );
    }

    /// The answers kept about a service are made again after a change to
    /// its adoptions or to the municipalities.
    #[test]
    fn kept_service_answers_follow_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::default();
        ledger.push("2020-01-01", announce_by("aaa-service", 16));
        for code in ["16051000", "16055000"] {
            ledger.push(
                "2020-01-01",
                Event::GemeindeRegistered {
                    ags: ags(code),
                    name: code.to_owned(),
                    population: None,
                },
            );
        }
        let request = |code: &str| Event::AdoptionRequested {
            service: service_id("aaa-service"),
            ags: ags(code),
            adoption_no: 1,
            note: String::new(),
        };
        ledger.push("2023-01-01", request("16051000"));
        let store = Store::open(dir.path()).unwrap();
        let (tx, _rx) = watch::channel(0);
        let mut applier = Applier::new(store.clone(), tx).unwrap();
        for event in ledger.events() {
            applier.apply(event).unwrap();
        }
        let today = date("2025-01-01");
        let ask = |store: &Store| {
            let funnel = QueryKind::Funnel {
                service: service_id("aaa-service"),
                land: Some(land(16)),
                as_of: None,
            };
            let detail = QueryKind::ServiceDetail {
                service: service_id("aaa-service"),
                as_of: None,
            };
            match (
                answer(store, funnel, today).unwrap(),
                answer(store, detail, today).unwrap(),
            ) {
                (QueryReply::Funnel(Some(funnel)), QueryReply::ServiceDetail(Some(detail))) => {
                    (funnel.reached[0], detail.summary.adoptions[0])
                }
                other => panic!("expected a funnel and a detail, got {other:?}"),
            }
        };
        assert_eq!(ask(&store), (1, 1));
        assert_eq!(ask(&store), (1, 1), "asked again");
        ledger.push("2023-02-01", request("16055000"));
        let events = ledger.events();
        applier.apply(&events[events.len() - 1]).unwrap();
        assert_eq!(ask(&store), (2, 2), "after a second request");
        ledger.push(
            "2024-01-01",
            Event::GemeindeMerged {
                ags: ags("16051000"),
                successor: ags("16055000"),
            },
        );
        let events = ledger.events();
        applier.apply(&events[events.len() - 1]).unwrap();
        // The funnel describes what happened; the detail counts one
        // adoption per municipality after the merger.
        assert_eq!(ask(&store), (2, 1), "after the merger");
    }
    /// Without a date, the cost views answer as of today, as they say: a
    /// cost or a Beitritt recorded ahead of its effective date counts from
    /// that date on, neither in the split nor in the list of a Land's
    /// services, and not as a line of 0,00.
    #[test]
    fn costs_taking_effect_later_count_from_that_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::default();
        ledger.push("2020-01-01", announce_by("aaa-service", 16));
        let joined = |code| Event::LandJoined {
            service: service_id("aaa-service"),
            land: land(code),
        };
        ledger.push("2020-01-01", joined(5));
        ledger.push_recorded("2025-04-01", "2024-12-01", joined(4));
        let cost = |cost_no, year, amount| {
            Event::CostReported(efa_proto::CostReported {
                service: service_id("aaa-service"),
                cost_no,
                year,
                category: efa_proto::CostCategory::Operation,
                amount: efa_proto::Cents(amount),
                note: String::new(),
            })
        };
        ledger.push("2024-12-31", cost(1, 2024, 10_000));
        ledger.push_recorded("2025-06-01", "2024-12-31", cost(2, 2024, 5_000));
        ledger.push_recorded("2025-06-01", "2024-12-31", cost(3, 2025, 7_000));
        let store = applied(dir.path(), &ledger);
        let today = date("2025-01-01");
        let ask = |kind| answer(&store, kind, today).unwrap();
        let service = service_id("aaa-service");
        let cost_year = |year, as_of| match ask(QueryKind::CostYear {
            service: service.clone(),
            year,
            as_of,
        }) {
            QueryReply::CostYear(Some(view)) => *view,
            other => panic!("expected a cost year, got {other:?}"),
        };
        let statement = |land, year, as_of| match ask(QueryKind::Statement { land, year, as_of }) {
            QueryReply::Statement(view) => view,
            other => panic!("expected a statement, got {other:?}"),
        };
        let land_costs = |land, year| match ask(QueryKind::LandCosts { land, year }) {
            QueryReply::LandCosts(view) => view,
            other => panic!("expected Land costs, got {other:?}"),
        };

        let now = cost_year(2024, None);
        assert_eq!(now.sharing.split.total, efa_proto::Cents(10_000));
        assert_eq!(now, cost_year(2024, Some(today)), "the same as of today");
        let later = cost_year(2024, Some(date("2025-06-01")));
        assert_eq!(later.sharing.split.total, efa_proto::Cents(15_000));
        let shares: Vec<LandCode> = now.sharing.split.shares.iter().map(|s| s.land).collect();
        assert_eq!(shares, [land(5), land(16)], "Bremen joins in April");

        let lines = statement(land(5), 2024, None).lines;
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].service_total, efa_proto::Cents(10_000));
        assert_eq!(
            land_costs(land(5), 2024).lines[0].service_total,
            efa_proto::Cents(10_000)
        );
        assert_eq!(land_costs(land(5), 2024).total, lines[0].share.cents);
        assert!(
            statement(land(5), 2025, None).lines.is_empty(),
            "no 2025 costs yet"
        );
        assert!(land_costs(land(5), 2025).lines.is_empty());
        assert!(land_costs(land(4), 2024).lines.is_empty(), "Bremen not yet");
        assert_eq!(
            statement(land(5), 2025, Some(date("2025-06-01")))
                .lines
                .len(),
            1
        );

        let costs = |as_of| match ask(QueryKind::ServiceDetail {
            service: service.clone(),
            as_of,
        }) {
            QueryReply::ServiceDetail(Some(detail)) => detail
                .costs
                .iter()
                .map(|line| line.cost_no)
                .collect::<Vec<_>>(),
            other => panic!("expected a detail, got {other:?}"),
        };
        assert_eq!(costs(None), [1]);
        assert_eq!(costs(Some(date("2024-06-01"))), Vec::<u32>::new());
        assert_eq!(costs(Some(date("2025-06-01"))), [1, 2, 3]);
    }

    /// A change recorded ahead of its effective date is not yet the
    /// service's state: the service and the list of all services show
    /// what is in effect on the day asked, as the detail does.
    #[test]
    fn a_service_shows_what_is_in_effect_not_what_is_recorded_ahead() {
        let mut ledger = Ledger::default();
        ledger.push("2024-01-01", announce_by("aaa-service", 16));
        ledger.push_recorded(
            "2026-06-01",
            "2024-02-01",
            Event::ServiceStatusChanged {
                service: service_id("aaa-service"),
                from: ServiceStatus::Pilot,
                to: ServiceStatus::Available,
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let store = applied(dir.path(), &ledger);
        for (today, status) in [
            ("2025-01-01", ServiceStatus::Pilot),
            ("2026-06-01", ServiceStatus::Available),
        ] {
            let kind = QueryKind::Service(service_id("aaa-service"));
            let QueryReply::Service(Some(one)) = answer(&store, kind, date(today)).unwrap() else {
                panic!("the service is known");
            };
            assert_eq!(one.status, status, "on {today}");
            let kind = QueryKind::Services {
                after: None,
                limit: 10,
            };
            let QueryReply::Services(page) = answer(&store, kind, date(today)).unwrap() else {
                panic!("a page of services");
            };
            assert_eq!(page.services, vec![one.clone()], "on {today}");
            let kind = QueryKind::ServiceDetail {
                service: service_id("aaa-service"),
                as_of: None,
            };
            let QueryReply::ServiceDetail(Some(detail)) =
                answer(&store, kind, date(today)).unwrap()
            else {
                panic!("the detail");
            };
            assert_eq!(detail.summary.service, one, "on {today}");
        }
    }

    /// A Land's costs name each service by its title in effect on the day,
    /// not by one set to take effect later.
    #[test]
    fn a_lands_costs_name_services_by_the_title_in_effect() {
        let mut ledger = Ledger::default();
        let announced = announce_by("aaa-service", 16);
        let Event::ServiceAnnounced(details) = announced.clone() else {
            unreachable!("announce_by announces")
        };
        ledger.push("2024-01-01", announced);
        ledger.push(
            "2024-12-31",
            Event::CostReported(efa_proto::CostReported {
                service: service_id("aaa-service"),
                cost_no: 1,
                year: 2024,
                category: efa_proto::CostCategory::Operation,
                amount: efa_proto::Cents(10_000),
                note: String::new(),
            }),
        );
        ledger.push_recorded(
            "2026-06-01",
            "2025-01-02",
            Event::ServiceDetailsUpdated(efa_proto::ServiceDetailsUpdated {
                service: service_id("aaa-service"),
                title: "Neuer Titel ab Juni 2026".to_owned(),
                ozg_id: details.ozg_id.clone(),
                leika: details.leika.clone(),
                themenfeld: details.themenfeld.clone(),
                provider: details.provider.clone(),
                channel: details.channel,
                cost_model: details.cost_model.clone(),
            }),
        );
        let dir = tempfile::tempdir().unwrap();
        let store = applied(dir.path(), &ledger);
        for (today, title) in [
            ("2025-06-01", details.title.as_str()),
            ("2026-06-01", "Neuer Titel ab Juni 2026"),
        ] {
            let kind = QueryKind::LandCosts {
                land: land(16),
                year: 2024,
            };
            let QueryReply::LandCosts(costs) = answer(&store, kind, date(today)).unwrap() else {
                panic!("Land costs");
            };
            assert_eq!(costs.lines.len(), 1, "on {today}");
            assert_eq!(costs.lines[0].title, title, "on {today}");
        }
    }
}
