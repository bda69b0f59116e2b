//! The rollout and stalled pages of a Land, made from the Land's day kept
//! in the index (`index::lands`): only the rows of the page asked for are
//! built, so a page of Bayern costs what a page of Bremen costs once the
//! Land's day is made. The whole views (`views::rollout`) stay the
//! reference these pages are tested against. A past day's pages are
//! made without a Land day (`past`).

pub mod past;

use std::collections::BTreeMap;

use efa_proto::pages::{RolloutPage, StalledPage};
use efa_proto::views::{KreisCoverage, MunicipalityRollout, RolloutScope, StalledRollout};
use efa_proto::{Ags, Date, KreisKey, LandCode, ServiceId};

use crate::index::lands::{Cell, LandDay, Tally};
use crate::index::{Index, ServiceNo};
use crate::pages::{count, next_offset};
use crate::views::{Gemeinden, days_between};

/// The page of the rollout in `scope` on `day` from row `offset` on, at
/// most `limit` rows of each list.
pub fn rollout(
    index: &Index,
    land_day: &LandDay,
    scope: &RolloutScope,
    day: Date,
    offset: u32,
    limit: u32,
) -> RolloutPage {
    let services = services_in_scope(index, land_day, scope);
    let (cells, service_no) = cells_in_scope(index, land_day, scope);
    let in_scope = |cell: &&Cell| service_no.is_none_or(|no| cell.service == no);
    let municipalities_total = match (service_no, scope.kreis) {
        (None, _) => cells.len(),
        (Some(no), None) => land_day.count_of(no),
        (Some(_), Some(_)) => cells.iter().filter(in_scope).count(),
    };
    let rows = cells
        .iter()
        .filter(in_scope)
        .skip(offset as usize)
        .take(limit as usize)
        .copied();
    let tallies = |pairs: &[(KreisKey, ServiceNo)]| {
        pairs
            .iter()
            .map(|(kreis, no)| {
                land_day
                    .tallies
                    .get(*kreis, *no)
                    .copied()
                    .unwrap_or_default()
            })
            .collect()
    };
    let rows = Rows {
        services,
        tallies,
        municipalities_total,
        municipalities: rows,
    };
    rollout_page(index, scope, day, (offset, limit), rows)
}

/// What a rollout page is made of, however it was found: the services in
/// scope (by id, with their numbers if the index has them), the tallies
/// of pairs of Kreis and service, the municipalities' rows in scope
/// (already cut to the page) and how many there are in all.
pub(crate) struct Rows<T, M> {
    pub services: Vec<(ServiceId, Option<ServiceNo>)>,
    pub tallies: T,
    pub municipalities_total: usize,
    pub municipalities: M,
}

/// The rollout page of `rows`, from row `offset` on, at most `limit`
/// rows of each list.
pub(crate) fn rollout_page<T, M>(
    index: &Index,
    scope: &RolloutScope,
    day: Date,
    (offset, limit): (u32, u32),
    rows: Rows<T, M>,
) -> RolloutPage
where
    T: FnOnce(&[(KreisKey, ServiceNo)]) -> Vec<Tally>,
    M: Iterator<Item = Cell>,
{
    let services = rows.services;
    let kreise = kreise_in_scope(index, scope, day);
    let kreise_total = kreise.len().saturating_mul(services.len());
    let on_page: Vec<(usize, usize)> = (offset as usize..kreise_total)
        .take(limit as usize)
        .map(|row| (row / services.len(), row % services.len()))
        .collect();
    let asked: Vec<(KreisKey, ServiceNo)> = on_page
        .iter()
        .filter_map(|(kreis, service)| Some((kreise[*kreis].0, services[*service].1?)))
        .collect();
    let mut tallies = (rows.tallies)(&asked).into_iter();
    let kreis_rows = on_page
        .iter()
        .map(|(kreis, service)| {
            let (kreis, members, population) = &kreise[*kreis];
            let (service, no) = &services[*service];
            let (stages, population_live) = match no {
                Some(_) => tallies.next().unwrap_or_default(),
                None => Tally::default(),
            };
            KreisCoverage {
                kreis: *kreis,
                kreis_name: kreis_name(index, scope.land, *kreis),
                service: service.clone(),
                municipalities: *members,
                stages,
                population: *population,
                population_live,
            }
        })
        .collect();
    let municipalities = rows
        .municipalities
        .map(|cell| MunicipalityRollout {
            ags: cell.ags,
            name: name(index, cell.ags, day),
            service: index.service_id(cell.service).clone(),
            stage: cell.counted.stage,
            since: cell.counted.since,
            adopter: cell.counted.adopter,
        })
        .collect();
    let land_participates = services
        .iter()
        .map(|(id, _)| {
            let takes_part = index
                .service(id)
                .is_some_and(|facts| facts.takes_part(scope.land, day));
            (id.clone(), takes_part)
        })
        .collect();
    let municipalities_total = rows.municipalities_total;
    RolloutPage {
        scope: scope.clone(),
        as_of: day,
        kreise: kreis_rows,
        kreise_total: count(kreise_total),
        municipalities,
        municipalities_total: count(municipalities_total),
        land_participates,
        next_offset: next_offset(offset, limit, &[kreise_total, municipalities_total]),
    }
}

/// Which stalled adoptions a page lists: a Land's (of one service, if
/// given) without a step for at least `days_min` days.
pub struct StalledScope<'a> {
    pub land: LandCode,
    pub service: Option<&'a ServiceId>,
    pub days_min: u32,
}

/// The page of the stalled adoptions in `scope` on `day`, the longest
/// waiting first, from row `offset` on.
pub fn stalled(
    index: &Index,
    land_day: &LandDay,
    scope: &StalledScope<'_>,
    day: Date,
    offset: u32,
    limit: u32,
) -> StalledPage {
    let all = &land_day.under_way[..land_day.stalled_count(scope.days_min, day)];
    // A service the index does not know has no adoption: no cell has
    // `ServiceNo::MAX`.
    let service_no =
        (scope.service).map(|service| index.service_no_of(service).unwrap_or(ServiceNo::MAX));
    let of_service =
        |at: &&u32| service_no.is_none_or(|no| land_day.cells[**at as usize].service == no);
    let total = match service_no {
        None => all.len(),
        Some(_) => all.iter().filter(of_service).count(),
    };
    let rows = all
        .iter()
        .filter(of_service)
        .skip(offset as usize)
        .take(limit as usize)
        .map(|&at| land_day.cells[at as usize]);
    stalled_page(index, scope, day, (offset, limit), (total, rows))
}

/// The stalled page of `rows` (already cut to the page) of `total` in
/// all, from row `offset` on, at most `limit`.
pub(crate) fn stalled_page(
    index: &Index,
    scope: &StalledScope<'_>,
    day: Date,
    (offset, limit): (u32, u32),
    (total, rows): (usize, impl Iterator<Item = Cell>),
) -> StalledPage {
    let stalled = rows
        .map(|cell| StalledRollout {
            ags: cell.ags,
            name: name(index, cell.ags, day),
            service: index.service_id(cell.service).clone(),
            stage: cell.counted.stage,
            last_step: cell.counted.since,
            days: days_between(cell.counted.since, day),
            adopter: cell.counted.adopter,
        })
        .collect();
    StalledPage {
        land: scope.land,
        days_min: scope.days_min,
        as_of: day,
        stalled,
        total: count(total),
        next_offset: next_offset(offset, limit, &[total]),
    }
}

/// The scoped service (with its number, if the index has one), or every
/// service with a counted adoption in the Land; by id.
fn services_in_scope(
    index: &Index,
    land_day: &LandDay,
    scope: &RolloutScope,
) -> Vec<(ServiceId, Option<ServiceNo>)> {
    match &scope.service {
        Some(service) => vec![(service.clone(), index.service_no_of(service))],
        None => land_day
            .services
            .iter()
            .map(|no| (index.service_id(*no).clone(), Some(*no)))
            .collect(),
    }
}

/// The Kreise in scope with active registered municipalities on `day`:
/// key, how many, and their inhabitants; by key.
fn kreise_in_scope(index: &Index, scope: &RolloutScope, day: Date) -> Vec<(KreisKey, u32, u64)> {
    let mut kreise: BTreeMap<KreisKey, (u32, u64)> = BTreeMap::new();
    let gemeinden = Gemeinden::new(index.gemeinden(Some(scope.land)));
    for gemeinde in gemeinden.active(day) {
        let kreis = gemeinde.ags.kreis();
        if scope.kreis.is_some_and(|scoped| scoped != kreis) {
            continue;
        }
        let (members, population) = kreise.entry(kreis).or_default();
        *members += 1;
        *population += gemeinden.inhabitants(gemeinde, day);
    }
    kreise
        .into_iter()
        .map(|(kreis, (members, population))| (kreis, members, population))
        .collect()
}

/// The cells of the scope's Kreis (all the Land's without one), and the
/// scoped service's number: `Some(ServiceNo::MAX)`, which no cell has,
/// for a service the index does not know.
fn cells_in_scope<'a>(
    index: &Index,
    land_day: &'a LandDay,
    scope: &RolloutScope,
) -> (&'a [Cell], Option<ServiceNo>) {
    let cells = match scope.kreis {
        None => &land_day.cells[..],
        Some(kreis) => {
            let start = land_day.cells.partition_point(|c| c.ags.kreis() < kreis);
            let end = land_day.cells.partition_point(|c| c.ags.kreis() <= kreis);
            &land_day.cells[start..end]
        }
    };
    let service_no = scope
        .service
        .as_ref()
        .map(|service| index.service_no_of(service).unwrap_or(ServiceNo::MAX));
    (cells, service_no)
}

fn kreis_name(index: &Index, land: LandCode, kreis: KreisKey) -> String {
    crate::views::kreis_name(index.kreise(Some(land)), kreis)
}

/// The name on `day`, or the AGS for an unknown municipality.
fn name(index: &Index, ags: Ags, day: Date) -> String {
    index
        .gemeinde(ags)
        .map_or_else(|| ags.to_string(), |g| g.name_on(day).to_owned())
}
