//! The paged queries. A reply must fit into one NATS message, and the
//! catalogue of all services, a Land's page, costs and rollout, the
//! stalled adoptions, the lead-only services and a municipality's page
//! grow with the history. This layer answers one page of a view: at most
//! `limit` rows (capped), and fewer when the page would take more than
//! [`PAGE_BYTES_MAX`] encoded, so a page always fits, whatever the rows
//! hold. It computes nothing itself: most pages are cut from the whole
//! view `read` makes; the rollout and stalled pages of a Land, which can
//! hold hundreds of thousands of rows, are made row by row by
//! `land_pages`, and a Land's registered municipalities row by row from
//! the index's facts (only the page's rows are worded).

use std::sync::Arc;

use efa_proto::pages::{
    GemeindePage, GemeindenPage, LandCostsPage, LandFunnelsPage, LandPage, NotAdoptedPage, Page,
    ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::{
    CatalogueFilter, GemeindeEntry, LandCostsView, LandView, ReuseSummary, RolloutScope,
};
use efa_proto::{Ags, Date, GemeindeView, LandCode, QueryKind, QueryReply, Rejection, ServiceId};
use serde::Serialize;

use crate::facts::GemeindeFacts;
use crate::index::Index;
use crate::store::{Store, StoreError};
use crate::{land_pages, read, views};

/// The most bytes one page takes encoded: half the default `max_payload`,
/// leaving room for a server configured smaller and for the envelope.
pub const PAGE_BYTES_MAX: usize = 512 * 1024;
/// Rows per page when the query names no limit, and the most it may name.
const LIMIT_DEFAULT: u32 = 500;
const LIMIT_MAX: u32 = 5_000;

/// Answers a paged query; any other kind is refused as invalid. A page
/// is cut from the whole view by reference: a kept view is not copied.
pub fn answer(store: &Store, kind: QueryKind, today: Date) -> Result<Arc<QueryReply>, StoreError> {
    Ok(Arc::new(match kind {
        QueryKind::Services { after, limit } => {
            let as_of_seq = store.checkpoint()?.seq;
            let index = store.index();
            let list = (&*index, as_of_seq);
            QueryReply::Services(fit(limit, |limit| {
                services(list, after.as_ref(), limit, today)
            }))
        }
        QueryKind::Rollout2 { scope, page } => match unknown_kreis(store, &scope) {
            Some(rejection) => QueryReply::Rejected(rejection),
            None => QueryReply::Rollout2(rollout_page(store, &scope, page, today).into_v1()),
        },
        QueryKind::Rollout3 { scope, page } => match unknown_kreis(store, &scope) {
            Some(rejection) => QueryReply::Rejected(rejection),
            None => QueryReply::Rollout3(rollout_page(store, &scope, page, today)),
        },
        QueryKind::Stalled2 {
            land,
            days_min,
            as_of,
            page,
        } => {
            let day = as_of.unwrap_or(today);
            QueryReply::Stalled2(
                stalled_page(store, (land, None), days_min, (day, today), page).into_v1(),
            )
        }
        QueryKind::Stalled3 {
            land,
            service,
            days_min,
            as_of,
            page,
        } => {
            let day = as_of.unwrap_or(today);
            QueryReply::Stalled2(
                stalled_page(store, (land, service), days_min, (day, today), page).into_v1(),
            )
        }
        QueryKind::Stalled4 {
            land,
            service,
            days_min,
            as_of,
            page,
        } => {
            let day = as_of.unwrap_or(today);
            QueryReply::Stalled4(stalled_page(
                store,
                (land, service),
                days_min,
                (day, today),
                page,
            ))
        }
        QueryKind::Gemeinde2 { ags, as_of, page } => QueryReply::Gemeinde2(
            gemeinde_page(store, ags, as_of, page, today)?.map(GemeindePage::into_v1),
        ),
        QueryKind::Gemeinde3 { ags, as_of, page } => {
            QueryReply::Gemeinde3(gemeinde_page(store, ags, as_of, page, today)?)
        }
        QueryKind::Land2 { land, as_of, page } => {
            let whole = read::shared_answer(store, QueryKind::Land { land, as_of }, today)?;
            match &*whole {
                QueryReply::Land(view) => {
                    QueryReply::Land2(fit(page.limit, |limit| land_page(view, page.offset, limit)))
                }
                _ => return Ok(whole),
            }
        }
        QueryKind::LandCosts2 { land, year, page } => {
            let whole = read::shared_answer(store, QueryKind::LandCosts { land, year }, today)?;
            match &*whole {
                QueryReply::LandCosts(view) => QueryReply::LandCosts2(fit(page.limit, |limit| {
                    land_costs(view, page.offset, limit)
                })),
                _ => return Ok(whole),
            }
        }
        QueryKind::Reuse2 { as_of, page } => {
            let whole = read::shared_answer(store, QueryKind::Reuse { as_of }, today)?;
            match &*whole {
                QueryReply::Reuse(view) => {
                    QueryReply::Reuse2(fit(page.limit, |limit| reuse(view, page.offset, limit)))
                }
                _ => return Ok(whole),
            }
        }
        QueryKind::Gemeinden { land, as_of, page } => {
            let index = store.index();
            let all = index.gemeinden(Some(land));
            let day = as_of.unwrap_or(today);
            QueryReply::Gemeinden(fit(page.limit, |limit| {
                gemeinden(land, all, day, (page.offset, limit))
            }))
        }
        QueryKind::NotAdopted {
            land,
            service,
            as_of,
            page,
        } => {
            let day = as_of.unwrap_or(today);
            match read::not_adopted(&store.index(), land, &service, day) {
                None => QueryReply::Rejected(Rejection::NotFound {
                    what: format!("Leistung {service}"),
                }),
                Some(list) => QueryReply::NotAdopted(fit(page.limit, |limit| NotAdoptedPage {
                    land,
                    service: service.clone(),
                    as_of: day,
                    gemeinden: slice(&list, page.offset, limit),
                    total: count(list.len()),
                    population: list.iter().filter_map(|entry| entry.population).sum(),
                    next_offset: next_offset(page.offset, limit, &[list.len()]),
                })),
            }
        }
        QueryKind::LandFunnels {
            land,
            as_of,
            order,
            page,
        } => {
            let day = as_of.unwrap_or(today);
            let funnels = read::land_funnels(&store.index(), land, day, order);
            QueryReply::LandFunnels(fit(page.limit, |limit| LandFunnelsPage {
                land,
                as_of: day,
                order,
                funnels: slice(&funnels, page.offset, limit),
                total: count(funnels.len()),
                next_offset: next_offset(page.offset, limit, &[funnels.len()]),
            }))
        }
        _ => QueryReply::Rejected(Rejection::invalid("kind", "keine Seitenabfrage")),
    }))
}

/// A page of the stalled adoptions of `land` (of one service, if given)
/// on `day`: from the Land's list of adoptions under way before `today`
/// and on a later day it still serves; else (today, where writes land)
/// from the Land's day in the index, which writes keep up to date.
fn stalled_page(
    store: &Store,
    (land, service): (LandCode, Option<ServiceId>),
    days_min: u32,
    (day, today): (Date, Date),
    page: Page,
) -> StalledPage {
    let index = store.index();
    let scope = land_pages::StalledScope {
        land,
        service: service.as_ref(),
        days_min,
    };
    let list = match day < today {
        true => index.under_way(land, day),
        false => index.under_way_kept(land, day),
    };
    if let Some(list) = list {
        return fit(page.limit, |limit| {
            land_pages::past::stalled(&index, &list, &scope, day, page.offset, limit)
        });
    }
    let land_day = index.land_day(land, day);
    fit(page.limit, |limit| {
        land_pages::stalled(&index, &land_day, &scope, day, page.offset, limit)
    })
}

/// Answers `kind` through `read`. The filtered catalogue comes a page at
/// a time already, but its caller names the page's length; a page that
/// would take more than `bytes_max` encoded is made again with half as
/// many services, so the caller gets fewer (its `total` tells there are
/// more) instead of none.
pub fn catalogue_within(
    store: &Store,
    mut kind: QueryKind,
    today: Date,
    bytes_max: usize,
) -> Result<Arc<QueryReply>, StoreError> {
    loop {
        let reply = read::shared_answer(store, kind.clone(), today)?;
        let (QueryKind::Catalogue2 { filter, as_of }, QueryReply::Catalogue2(page)) =
            (&kind, &*reply)
        else {
            return Ok(reply);
        };
        let shown = count(page.services.len());
        if shown <= 1 || efa_proto::encoded_len(&*reply) <= bytes_max {
            return Ok(reply);
        }
        let filter = CatalogueFilter {
            limit: shown / 2,
            ..filter.clone()
        };
        kind = QueryKind::Catalogue2 {
            filter,
            as_of: *as_of,
        };
    }
}

/// The refusal of a scope naming a Kreis the registry does not know (an
/// empty page would read as a Kreis without adoptions).
fn unknown_kreis(store: &Store, scope: &RolloutScope) -> Option<Rejection> {
    let kreis = scope
        .kreis
        .filter(|kreis| !store.index().knows_kreis(*kreis))?;
    Some(Rejection::NotFound {
        what: format!("Kreis {kreis}"),
    })
}

/// A page of the rollout in `scope`: today's from the Land's day in the
/// index, made at the start and patched by every write; any other day's
/// from the counts kept at apply time.
fn rollout_page(store: &Store, scope: &RolloutScope, page: Page, today: Date) -> RolloutPage {
    let day = scope.as_of.unwrap_or(today);
    let index = store.index();
    if day != today {
        return fit(page.limit, |limit| {
            land_pages::past::rollout(&index, scope, day, page.offset, limit)
        });
    }
    let land_day = index.land_day(scope.land, day);
    fit(page.limit, |limit| {
        land_pages::rollout(&index, &land_day, scope, day, page.offset, limit)
    })
}

/// A page of the municipality `ags`'s page, cut from the whole one kept;
/// `None` if it is not registered.
fn gemeinde_page(
    store: &Store,
    ags: Ags,
    as_of: Option<Date>,
    page: Page,
    today: Date,
) -> Result<Option<GemeindePage>, StoreError> {
    let whole = read::gemeinde_whole(store, ags, as_of.unwrap_or(today))?;
    Ok(whole
        .as_ref()
        .as_ref()
        .map(|view| fit(page.limit, |limit| gemeinde(view, page.offset, limit))))
}

/// The page made with the asked limit (capped), halved until it takes at
/// most [`PAGE_BYTES_MAX`] encoded; one row is always answered whole.
fn fit<T: Serialize>(limit: u32, make: impl Fn(u32) -> T) -> T {
    let mut limit = if limit == 0 {
        LIMIT_DEFAULT
    } else {
        limit.min(LIMIT_MAX)
    };
    loop {
        let page = make(limit);
        if limit <= 1 || efa_proto::encoded_len(&page) <= PAGE_BYTES_MAX {
            return page;
        }
        limit /= 2;
    }
}

/// `limit` rows of `all` from `offset` on.
fn slice<T: Clone>(all: &[T], offset: u32, limit: u32) -> Vec<T> {
    all.iter()
        .skip(offset as usize)
        .take(limit as usize)
        .cloned()
        .collect()
}

pub(crate) fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Where the page after `offset..offset + limit` starts, if any list of
/// `lens` goes on beyond it.
pub(crate) fn next_offset(offset: u32, limit: u32, lens: &[usize]) -> Option<u32> {
    let end = offset.saturating_add(limit);
    lens.iter().any(|len| (end as usize) < *len).then_some(end)
}

/// The services after `after`, by id, as [`read::in_effect`] today; only
/// the page's are made.
fn services(
    (index, as_of_seq): (&Index, u64),
    after: Option<&ServiceId>,
    limit: u32,
    today: Date,
) -> ServicesPage {
    let (total, rest) = index.services_after(after);
    let mut rest = rest.peekable();
    let services: Vec<_> = (rest.by_ref())
        .take(limit as usize)
        .map(|facts| read::in_effect(facts, today))
        .collect();
    let more = rest.peek().is_some();
    ServicesPage {
        next_after: services
            .last()
            .filter(|_| more)
            .map(|service| service.id.clone()),
        services,
        total: count(total),
        as_of_seq,
    }
}

fn land_page(view: &LandView, offset: u32, limit: u32) -> LandPage {
    LandPage {
        land: view.land,
        leads: slice(&view.leads, offset, limit),
        leads_total: count(view.leads.len()),
        joined: slice(&view.joined, offset, limit),
        joined_total: count(view.joined.len()),
        municipalities_registered: view.municipalities_registered,
        municipalities_live_any: view.municipalities_live_any,
        as_of: view.as_of,
        next_offset: next_offset(offset, limit, &[view.leads.len(), view.joined.len()]),
    }
}

fn land_costs(view: &LandCostsView, offset: u32, limit: u32) -> LandCostsPage {
    LandCostsPage {
        land: view.land,
        year: view.year,
        lines: slice(&view.lines, offset, limit),
        lines_total: count(view.lines.len()),
        total: view.total,
        next_offset: next_offset(offset, limit, &[view.lines.len()]),
    }
}

/// A page of `all`, a Land's registered municipalities by AGS, on `day`.
fn gemeinden(
    land: LandCode,
    all: &[GemeindeFacts],
    day: Date,
    (offset, limit): (u32, u32),
) -> GemeindenPage {
    let entry = |gemeinde: &GemeindeFacts| GemeindeEntry {
        ags: gemeinde.ags,
        name: gemeinde.name_on(day).to_owned(),
        population: gemeinde.population.map(|p| p.count),
        status_de: views::gemeinde::status_de(gemeinde, day),
    };
    GemeindenPage {
        land,
        as_of: day,
        gemeinden: (all.iter())
            .skip(offset as usize)
            .take(limit as usize)
            .map(entry)
            .collect(),
        total: count(all.len()),
        next_offset: next_offset(offset, limit, &[all.len()]),
    }
}

fn reuse(view: &ReuseSummary, offset: u32, limit: u32) -> ReusePage {
    ReusePage {
        services: view.services,
        participations: view.participations,
        lead_only: slice(&view.lead_only, offset, limit),
        lead_only_total: count(view.lead_only.len()),
        per_land: view.per_land.clone(),
        as_of: view.as_of,
        next_offset: next_offset(offset, limit, &[view.lead_only.len()]),
    }
}

fn gemeinde(view: &GemeindeView, offset: u32, limit: u32) -> GemeindePage {
    GemeindePage {
        ags: view.ags,
        name: view.name.clone(),
        population: view.population,
        status_de: view.status_de.clone(),
        adoptions: slice(&view.adoptions, offset, limit),
        adoptions_total: count(view.adoptions.len()),
        available: slice(&view.available, offset, limit),
        available_total: count(view.available.len()),
        as_of: view.as_of,
        next_offset: next_offset(offset, limit, &[view.adoptions.len(), view.available.len()]),
        beneath: view.beneath.clone(),
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::QueryReply;
    use tokio::sync::watch;

    use super::*;
    use crate::apply::Applier;
    use crate::testing::{Ledger, announce_by, date};

    /// A store with `count` services, ids `svc-000` on.
    fn store(dir: &std::path::Path, count: usize) -> Store {
        let mut ledger = Ledger::default();
        for n in 0..count {
            ledger.push("2020-01-01", announce_by(&format!("svc-{n:03}"), 16));
        }
        let store = Store::open(dir).unwrap();
        let (tx, _rx) = watch::channel(0);
        let mut applier = Applier::new(store.clone(), tx).unwrap();
        for event in ledger.events() {
            applier.apply(event).unwrap();
        }
        store
    }

    #[test]
    fn a_catalogue_page_too_large_comes_shorter() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), 40);
        let kind = QueryKind::Catalogue2 {
            filter: CatalogueFilter {
                limit: 40,
                ..CatalogueFilter::default()
            },
            as_of: None,
        };
        let today = date("2025-01-01");
        let whole = catalogue_within(&store, kind.clone(), today, usize::MAX).unwrap();
        let bytes = efa_proto::encode(&*whole).len();
        let QueryReply::Catalogue2(shorter) =
            Arc::unwrap_or_clone(catalogue_within(&store, kind, today, bytes / 3).unwrap())
        else {
            panic!("expected a catalogue page");
        };
        assert!(efa_proto::encode(&QueryReply::Catalogue2(shorter.clone())).len() <= bytes / 3);
        assert!(!shorter.services.is_empty() && shorter.services.len() < 40);
        assert_eq!(shorter.total, 40);
    }

    #[test]
    fn the_services_come_after_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), 5);
        let today = date("2025-01-01");
        let ask = |after: Option<&str>| {
            let kind = QueryKind::Services {
                after: after.map(crate::testing::service_id),
                limit: 2,
            };
            match Arc::unwrap_or_clone(answer(&store, kind, today).unwrap()) {
                QueryReply::Services(page) => page,
                other => panic!("expected services, got {other:?}"),
            }
        };
        let first = ask(None);
        let ids: Vec<&str> = first.services.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["svc-000", "svc-001"]);
        assert_eq!(
            first.next_after,
            Some(crate::testing::service_id("svc-001"))
        );
        let last = ask(Some("svc-003"));
        let ids: Vec<&str> = last.services.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            (ids, last.next_after, last.total),
            (vec!["svc-004"], None, 5)
        );
    }

    #[test]
    fn a_page_shrinks_until_it_fits() {
        let rows: Vec<String> = (0..100).map(|_| "x".repeat(20_000)).collect();
        let page = fit(0, |limit| slice(&rows, 0, limit));
        assert!(efa_proto::encode(&page).len() <= PAGE_BYTES_MAX);
        assert!(!page.is_empty() && page.len() < 100, "{} rows", page.len());
        let one = fit(3, |limit| slice(&rows[..1], 0, limit));
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn the_next_page_starts_where_a_list_goes_on() {
        assert_eq!(next_offset(0, 10, &[10, 3]), None);
        assert_eq!(next_offset(0, 10, &[3, 11]), Some(10));
        assert_eq!(next_offset(20, 10, &[31]), Some(30));
        assert_eq!(slice(&[1, 2, 3, 4], 3, 10), vec![4]);
        assert!(slice(&[1, 2], 5, 10).is_empty());
    }
}
