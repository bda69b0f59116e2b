//! A Land's counted adoptions on one day, in the orders the rollout and
//! stalled pages list them, with the per-Kreis tallies the rollout's
//! Kreis rows show. Made from the index's pieces once per Land and day
//! and kept (`Index::land_day`) until a change touches the Land, so that
//! paging through a large Land, or many users asking for the same Land,
//! does not go through all of its adoptions again for every page.

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
    pub tallies: Tallies,
    /// The services with a counted adoption in the Land, by id.
    pub services: Vec<ServiceNo>,
    /// How many counted adoptions each service (by number) has in the Land.
    per_service: Vec<u32>,
}

/// Tallies per Kreis and service, in one table: a row per Kreis with a
/// counted adoption, a column per service number.
#[derive(Debug, Default)]
pub struct Tallies {
    kreise: Vec<KreisKey>,
    services: usize,
    table: Vec<Tally>,
}

impl Tallies {
    pub fn get(&self, kreis: KreisKey, service: ServiceNo) -> Option<&Tally> {
        let row = self.kreise.binary_search(&kreis).ok()?;
        let column = service as usize;
        (column < self.services).then(|| &self.table[row * self.services + column])
    }
}

impl LandDay {
    /// From the Land's counted adoptions in AGS order (`cells`), its
    /// municipalities' facts (sorted by AGS), and each service number's
    /// rank in id order (one per number).
    pub fn new(mut cells: Vec<Cell>, gemeinden: &[GemeindeFacts], rank: &[u32], day: Date) -> Self {
        let rank_of = |no: ServiceNo| rank.get(no as usize).copied().unwrap_or(u32::MAX);
        // By AGS already: each municipality's few hundred cells are put
        // in service id order on their own.
        for group in cells.chunk_by_mut(|a, b| a.ags == b.ags) {
            group.sort_unstable_by_key(|cell| rank_of(cell.service));
        }
        let mut kreise: Vec<KreisKey> = cells.iter().map(|cell| cell.ags.kreis()).collect();
        kreise.dedup();
        let services = rank.len();
        let mut tallies = Tallies {
            table: vec![Tally::default(); kreise.len() * services],
            kreise,
            services,
        };
        let mut per_service = vec![0u32; services];
        let mut under_way_cells: Vec<u32> = Vec::new();
        let mut row = 0;
        let mut member: Option<(Ags, Option<&GemeindeFacts>)> = None;
        for (at, cell) in cells.iter().enumerate() {
            let column = cell.service as usize;
            if column >= services {
                continue;
            }
            per_service[column] += 1;
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
            while tallies.kreise[row] != cell.ags.kreis() {
                row += 1;
            }
            let (stages, population_live) = &mut tallies.table[row * services + column];
            stages[stage_index(cell.counted.stage)] += 1;
            if cell.counted.stage == AdoptionStage::Live {
                *population_live += facts.population_count();
            }
        }
        under_way_cells.sort_unstable_by_key(|&at| {
            let cell = &cells[at as usize];
            (cell.counted.since, cell.ags, rank_of(cell.service))
        });
        let mut services: Vec<ServiceNo> = (0..per_service.len())
            .filter(|no| per_service[*no] > 0)
            .filter_map(|no| ServiceNo::try_from(no).ok())
            .collect();
        services.sort_unstable_by_key(|no| rank_of(*no));
        Self {
            cells,
            under_way: under_way_cells,
            tallies,
            services,
            per_service,
        }
    }

    /// How many counted adoptions `service` has in the Land.
    pub fn count_of(&self, service: ServiceNo) -> usize {
        self.per_service
            .get(service as usize)
            .map_or(0, |n| *n as usize)
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
            + self.tallies.table.len() * std::mem::size_of::<Tally>()
    }
}
