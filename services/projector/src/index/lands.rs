//! A Land's counted adoptions on one day, in the orders the rollout and
//! stalled pages list them, with the per-Kreis tallies the rollout's
//! Kreis rows show. Made from the index's pieces once per Land and day
//! and kept (`Index::land_day`) until a change touches the Land, so that
//! paging through a large Land, or many users asking for the same Land,
//! does not go through all of its adoptions again for every page.

use std::collections::HashMap;

use efa_proto::{AdoptionStage, Ags, Date, KreisKey};

use crate::asof::stage_index;
use crate::facts::GemeindeFacts;
use crate::views::{Counted, rollout::under_way};

use super::ServiceNo;

/// One counted adoption: the municipality it counts for, the service (by
/// its number in the index) and what counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub ags: Ags,
    pub service: ServiceNo,
    pub counted: Counted,
}

/// Stages of the counted adoptions of a Kreis's active municipalities for
/// one service, and the inhabitants of those live.
pub type Tally = ([u32; 5], u64);

#[derive(Debug, Default)]
pub struct LandDay {
    /// The counted adoptions of the Land's municipalities, by AGS, then by
    /// service id.
    pub cells: Vec<Cell>,
    /// Positions in `cells` of those still under way, the longest waiting
    /// first (then by AGS and service id).
    pub under_way: Vec<u32>,
    /// Per Kreis and service: what the active registered municipalities'
    /// counted adoptions add up to.
    pub tallies: HashMap<(KreisKey, ServiceNo), Tally>,
    /// The services with a counted adoption in the Land, by id.
    pub services: Vec<ServiceNo>,
    /// How many counted adoptions each service has in the Land.
    pub per_service: HashMap<ServiceNo, u32>,
}

impl LandDay {
    /// From the Land's counted adoptions in AGS order (`cells`), its
    /// municipalities' facts (sorted by AGS), and each service number's
    /// rank in id order.
    pub fn new(mut cells: Vec<Cell>, gemeinden: &[GemeindeFacts], rank: &[u32], day: Date) -> Self {
        let rank_of = |no: ServiceNo| rank.get(no as usize).copied().unwrap_or(u32::MAX);
        cells.sort_by_key(|cell| (cell.ags, rank_of(cell.service)));
        let mut tallies: HashMap<(KreisKey, ServiceNo), Tally> = HashMap::new();
        let mut per_service: HashMap<ServiceNo, u32> = HashMap::new();
        let mut under_way_cells: Vec<u32> = Vec::new();
        let mut member: Option<(Ags, Option<&GemeindeFacts>)> = None;
        for (at, cell) in cells.iter().enumerate() {
            *per_service.entry(cell.service).or_default() += 1;
            if under_way(cell.counted.stage) {
                under_way_cells.push(u32::try_from(at).unwrap_or(u32::MAX));
            }
            // Cells come by AGS, so each municipality is looked up once.
            let facts = match member {
                Some((ags, facts)) if ags == cell.ags => facts,
                _ => {
                    let facts = gemeinden
                        .binary_search_by_key(&cell.ags, |g| g.ags)
                        .ok()
                        .map(|at| &gemeinden[at])
                        .filter(|g| g.active_on(day));
                    member = Some((cell.ags, facts));
                    facts
                }
            };
            let Some(facts) = facts else { continue };
            let (stages, population_live) =
                tallies.entry((cell.ags.kreis(), cell.service)).or_default();
            stages[stage_index(cell.counted.stage)] += 1;
            if cell.counted.stage == AdoptionStage::Live {
                *population_live += facts.population_count();
            }
        }
        under_way_cells.sort_by_key(|&at| {
            let cell = &cells[at as usize];
            (cell.counted.since, cell.ags, rank_of(cell.service))
        });
        let mut services: Vec<ServiceNo> = per_service.keys().copied().collect();
        services.sort_by_key(|no| rank_of(*no));
        Self {
            cells,
            under_way: under_way_cells,
            tallies,
            services,
            per_service,
        }
    }

    /// How many of `under_way`, from its start, have had no step for at
    /// least `days_min` days on `day` (the stalled ones).
    pub fn stalled_count(&self, days_min: u32, day: Date) -> usize {
        self.under_way.partition_point(|&at| {
            let since = self.cells[at as usize].counted.since;
            crate::views::days_between(since, day) >= days_min
        })
    }

    /// About the bytes this takes, for the cache's bound.
    pub fn weight(&self) -> usize {
        self.cells.len() * std::mem::size_of::<Cell>()
            + self.under_way.len() * 4
            + self.tallies.len() * 48
    }
}
