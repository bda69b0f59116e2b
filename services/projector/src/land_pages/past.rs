//! The rollout and stalled pages of a Land as of another day than today,
//! made without the Land's day: a day nobody asked for before would have
//! to make one from all of the Land's cells (Bayern's 470,000 at
//! Germany's size, 33 ms at p50). Today's pages read today's Land day,
//! which every write patches. The rollout reads its totals, services and the Kreis
//! its rows start in from the counts kept at apply time
//! (`index::cell_counts`) and goes through the cells of the Kreise on
//! the page only; the stalled page reads the Land's list of adoptions
//! under way on every day (`index::under_way`). Both answer exactly as
//! the pages made from a Land day do, which the index's property test
//! checks.

use std::collections::BTreeMap;

use efa_proto::pages::{RolloutPage, StalledPage};
use efa_proto::views::RolloutScope;
use efa_proto::{Date, KreisKey, LandCode};

use super::{Rows, StalledScope, rollout_page, stalled_page};
use crate::index::lands::{Cell, Members, Tally, active_member};
use crate::index::under_way::UnderWay;
use crate::index::{Index, ServiceNo};
use crate::views::Mergers;

/// The page of the rollout in `scope` on `day` from row `offset` on, at
/// most `limit` rows of each list.
pub fn rollout(
    index: &Index,
    scope: &RolloutScope,
    day: Date,
    offset: u32,
    limit: u32,
) -> RolloutPage {
    let services = match &scope.service {
        Some(service) => vec![(service.clone(), index.service_no_of(service))],
        None => {
            let mut numbers: Vec<ServiceNo> = (index.cell_counts())
                .services_on(scope.land, day)
                .map(|(no, _)| no)
                .collect();
            numbers.sort_by_key(|no| index.rank(*no));
            numbers
                .into_iter()
                .map(|no| (index.service_id(no).clone(), Some(no)))
                .collect()
        }
    };
    let page = (offset as usize, limit as usize);
    let (municipalities_total, municipalities) = match &scope.service {
        None => every_service(index, scope, day, page),
        // A service the index does not know has no adoption.
        Some(service) => match index.service_no_of(service) {
            Some(no) => one_service(index, scope, no, day, page),
            None => (0, Vec::new()),
        },
    };
    let rows = Rows {
        services,
        tallies: |pairs: &[(KreisKey, ServiceNo)]| tallies(index, scope.land, pairs, day),
        municipalities_total,
        municipalities: municipalities.into_iter(),
    };
    rollout_page(index, scope, day, (offset, limit), rows)
}

/// The page of the stalled adoptions in `scope` on `day`, the longest
/// waiting first, from row `offset` on, from `list`, the Land's list of
/// adoptions under way, which serves `day`.
pub fn stalled(
    index: &Index,
    list: &UnderWay,
    scope: &StalledScope<'_>,
    day: Date,
    offset: u32,
    limit: u32,
) -> StalledPage {
    // No cell has `ServiceNo::MAX`: a service the index does not know
    // has no adoption.
    let service_no =
        (scope.service).map(|service| index.service_no_of(service).unwrap_or(ServiceNo::MAX));
    let (total, cells) = list.stalled(
        day,
        scope.days_min,
        service_no,
        (offset as usize, limit as usize),
    );
    let rows = cells.into_iter().filter_map(|(ags, service)| {
        let counted = index.counted_cell(ags, service, day)?;
        Some(Cell {
            ags,
            service,
            counted,
        })
    });
    stalled_page(index, scope, day, (offset, limit), (total, rows))
}

/// Every service's rows in scope on `day`: how many, and those of the
/// page. Whole Kreise before the page are passed by their counts.
fn every_service(
    index: &Index,
    scope: &RolloutScope,
    day: Date,
    (offset, limit): (usize, usize),
) -> (usize, Vec<Cell>) {
    let kreise: Vec<(KreisKey, u32)> = (index.cell_counts())
        .kreise_on(scope.land, day)
        .filter(|(kreis, _)| scope.kreis.is_none_or(|scoped| scoped == *kreis))
        .collect();
    let total = kreise.iter().map(|(_, n)| *n as usize).sum();
    let mut skip = offset;
    let mut rows = Vec::new();
    for (kreis, counted) in kreise {
        if rows.len() >= limit {
            break;
        }
        if skip >= counted as usize {
            skip -= counted as usize;
            continue;
        }
        let wanted = limit - rows.len();
        rows.extend(kreis_day(index, kreis, day).skip(skip).take(wanted));
        skip = 0;
    }
    (total, rows)
}

/// The cells of `kreis` counted on `day`, by AGS, then service id; one
/// municipality's at a time, so that a page that ends in it goes no
/// further, and none of those without a cell counted by then.
fn kreis_day(index: &Index, kreis: KreisKey, day: Date) -> impl Iterator<Item = Cell> + '_ {
    index
        .kreis_cells_by_municipality(kreis, day)
        .flat_map(move |(ags, cells)| {
            let mut municipality: Vec<Cell> = cells
                .filter_map(|(service, pieces)| {
                    Some(Cell {
                        ags,
                        service,
                        counted: pieces.on(day)?,
                    })
                })
                .collect();
            municipality.sort_unstable_by_key(|cell| index.rank(cell.service));
            municipality
        })
}

/// The rows in scope of service `no` on `day`: how many, and those of
/// the page.
fn one_service(
    index: &Index,
    scope: &RolloutScope,
    no: ServiceNo,
    day: Date,
    (offset, limit): (usize, usize),
) -> (usize, Vec<Cell>) {
    let targets = match scope.kreis {
        // A Kreis of another Land has none of the Land's municipalities.
        Some(kreis) if kreis.land() != scope.land => return (0, Vec::new()),
        Some(kreis) => kreis.municipalities(),
        None => scope.land.municipalities(),
    };
    let counted = index.counted_of_in(no, targets, day);
    let rows = counted
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&(ags, counted)| Cell {
            ags,
            service: no,
            counted,
        })
        .collect();
    (counted.len(), rows)
}

/// Services of a Kreis on one page from which its cells are gone
/// through once rather than looked up member by member: a municipality
/// has about 230 cells at Germany's size, and a lookup in the index's
/// map of cells costs about as much as 25 steps through it.
const WALK_FROM_SERVICES: usize = 10;

/// The tallies of `pairs` of Kreis and service on `day`, in their order.
fn tallies(
    index: &Index,
    land: LandCode,
    pairs: &[(KreisKey, ServiceNo)],
    day: Date,
) -> Vec<Tally> {
    tallies_walking_from(index, land, pairs, day, WALK_FROM_SERVICES)
}

/// The same, going through a Kreis's cells from `walk_from` services of
/// it on (the tests compare both ways).
pub(crate) fn tallies_walking_from(
    index: &Index,
    land: LandCode,
    pairs: &[(KreisKey, ServiceNo)],
    day: Date,
    walk_from: usize,
) -> Vec<Tally> {
    let gemeinden = index.gemeinden(Some(land));
    let mergers = Mergers::of(gemeinden);
    let members = Members {
        gemeinden,
        mergers: &mergers,
    };
    let mut by_kreis: BTreeMap<KreisKey, Vec<(ServiceNo, Tally)>> = BTreeMap::new();
    for (kreis, no) in pairs {
        by_kreis
            .entry(*kreis)
            .or_default()
            .push((*no, Tally::default()));
    }
    for (kreis, wanted) in &mut by_kreis {
        wanted.sort_unstable_by_key(|(no, _)| *no);
        wanted.dedup_by_key(|(no, _)| *no);
        if wanted.len() >= walk_from {
            walk_kreis(index, &members, *kreis, wanted, day);
        } else {
            look_up_members(index, &members, *kreis, wanted, day);
        }
    }
    pairs
        .iter()
        .map(|(kreis, no)| {
            let wanted = by_kreis.get(kreis)?;
            let at = wanted.binary_search_by_key(no, |(no, _)| *no).ok()?;
            Some(wanted[at].1)
        })
        .map(Option::unwrap_or_default)
        .collect()
}

/// Tallies the `wanted` services of `kreis` going through its cells.
fn walk_kreis(
    index: &Index,
    members: &Members<'_>,
    kreis: KreisKey,
    wanted: &mut [(ServiceNo, Tally)],
    day: Date,
) {
    // By service number: where each wanted one's tally is.
    let mut place: Vec<Option<usize>> = Vec::new();
    for (at, (no, _)) in wanted.iter().enumerate() {
        let no = *no as usize;
        if place.len() <= no {
            place.resize(no + 1, None);
        }
        place[no] = Some(at);
    }
    let mut member = None;
    for (&(ags, no), pieces) in index.kreis_cells(kreis) {
        let Some(Some(at)) = place.get(no as usize) else {
            continue;
        };
        let tally = &mut wanted[*at].1;
        let Some(counted) = pieces.on(day) else {
            continue;
        };
        // Cells come by AGS, so each municipality is looked up once.
        let facts = match member {
            Some((seen, facts)) if seen == ags => facts,
            _ => {
                let facts = active_member(members.gemeinden, ags, day);
                member = Some((ags, facts));
                facts
            }
        };
        if let Some(facts) = facts {
            members.tally(tally, &counted, facts, day, true);
        }
    }
}

/// Tallies the `wanted` services of `kreis` looking up each active
/// member's cell of each.
fn look_up_members(
    index: &Index,
    members: &Members<'_>,
    kreis: KreisKey,
    wanted: &mut [(ServiceNo, Tally)],
    day: Date,
) {
    let gemeinden = members.gemeinden;
    let start = gemeinden.partition_point(|g| g.ags.kreis() < kreis);
    let end = gemeinden.partition_point(|g| g.ags.kreis() <= kreis);
    for facts in gemeinden[start..end].iter().filter(|g| g.active_on(day)) {
        for (no, tally) in wanted.iter_mut() {
            if let Some(counted) = index.counted_cell(facts.ags, *no, day) {
                members.tally(tally, &counted, facts, day, true);
            }
        }
    }
}
