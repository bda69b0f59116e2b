//! A Land's counted adoptions on one day, in the orders the rollout and
//! stalled pages list them, with the per-Kreis tallies the rollout's
//! Kreis rows show. Made from the index's pieces once per Land and day
//! and kept (`Index::land_day`); a step or a new adoption in the Land is
//! patched into the kept day (`LandDay::patch`) rather than making it
//! anew, so that paging through a large Land, many users asking for the
//! same Land, or a Land whose municipalities keep writing do not go
//! through all of its adoptions again for every page.

use efa_proto::{AdoptionStage, Ags, Date, KreisKey};

use crate::asof::stage_index;
use crate::facts::GemeindeFacts;
use crate::views::{Counted, Mergers, rollout::under_way};

use super::ServiceNo;

/// Cells that come or go in one patch beyond which the day is made anew:
/// each shifts the positions after it.
const SHIFTS_MAX: usize = 16;

/// A counted adoption that changed: the municipality it counts for, the
/// service, and what counts now on the Land day's day (`None`: nothing).
pub type Change = (Ags, ServiceNo, Option<Counted>);

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

#[derive(Debug, Default, Eq)]
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
    /// Which of the Land's municipalities merged into which, for their
    /// inhabitants (a day is made anew when the municipalities change).
    mergers: Mergers,
}

/// Land days are equal when they answer the same: a service number made
/// after the day was, without adoptions in the Land, is as good as none.
impl PartialEq for LandDay {
    fn eq(&self, other: &Self) -> bool {
        let counted = |day: &Self| {
            let last = day
                .per_service
                .iter()
                .rposition(|n| *n > 0)
                .map_or(0, |at| at + 1);
            day.per_service[..last].to_vec()
        };
        self.cells == other.cells
            && self.under_way == other.under_way
            && self.services == other.services
            && self.tallies == other.tallies
            && counted(self) == counted(other)
    }
}

/// Tallies per Kreis and service, in one table: a row per Kreis with a
/// counted adoption (when made; a patch leaves a row whose adoptions have
/// gone), a column per service number.
#[derive(Debug, Default)]
pub struct Tallies {
    kreise: Vec<KreisKey>,
    services: usize,
    table: Vec<Tally>,
}

impl Tallies {
    pub fn get(&self, kreis: KreisKey, service: ServiceNo) -> Option<&Tally> {
        let at = self.at(kreis, service)?;
        Some(&self.table[at])
    }

    fn get_mut(&mut self, kreis: KreisKey, service: ServiceNo) -> Option<&mut Tally> {
        let at = self.at(kreis, service)?;
        Some(&mut self.table[at])
    }

    fn at(&self, kreis: KreisKey, service: ServiceNo) -> Option<usize> {
        let row = self.kreise.binary_search(&kreis).ok()?;
        let column = service as usize;
        (column < self.services).then_some(row * self.services + column)
    }

    /// The tallies that are not zero, by Kreis and service number.
    fn counted(&self) -> impl Iterator<Item = (KreisKey, usize, &Tally)> {
        let columns = self.services.max(1);
        self.kreise
            .iter()
            .zip(self.table.chunks(columns))
            .flat_map(|(kreis, row)| {
                row.iter()
                    .enumerate()
                    .map(move |(no, tally)| (*kreis, no, tally))
            })
            .filter(|(_, _, tally)| **tally != Tally::default())
    }
}

/// Tallies are equal when they answer the same: a row or a column of
/// zeros is as good as none.
impl PartialEq for Tallies {
    fn eq(&self, other: &Self) -> bool {
        self.counted().eq(other.counted())
    }
}

impl Eq for Tallies {}

impl LandDay {
    /// From the Land's counted adoptions in AGS order (`cells`), its
    /// municipalities' facts (sorted by AGS), and each service number's
    /// rank in id order (one per number).
    pub fn new(mut cells: Vec<Cell>, gemeinden: &[GemeindeFacts], rank: &[u32], day: Date) -> Self {
        let rank_of = |no: ServiceNo| rank_of(rank, no);
        // By AGS already: each municipality's few hundred cells are put
        // in service id order on their own.
        for group in cells.chunk_by_mut(|a, b| a.ags == b.ags) {
            group.sort_unstable_by_key(|cell| rank_of(cell.service));
        }
        let mut kreise: Vec<KreisKey> = cells.iter().map(|cell| cell.ags.kreis()).collect();
        kreise.dedup();
        let services = rank.len();
        let mut made = Self {
            tallies: Tallies {
                table: vec![Tally::default(); kreise.len() * services],
                kreise,
                services,
            },
            per_service: vec![0u32; services],
            ..Self::default()
        };
        made.mergers = Mergers::of(gemeinden);
        let mut member: Option<(Ags, Option<&GemeindeFacts>)> = None;
        for (at, cell) in cells.iter().enumerate() {
            if cell.service as usize >= services {
                continue;
            }
            // Cells come by AGS, so each municipality is looked up once.
            let facts = match member {
                Some((ags, facts)) if ags == cell.ags => facts,
                _ => {
                    let facts = active_member(gemeinden, cell.ags, day);
                    member = Some((cell.ags, facts));
                    facts
                }
            };
            made.count(cell, facts, gemeinden, day, true);
            if under_way(cell.counted.stage) {
                made.under_way.push(position(at));
            }
        }
        made.cells = cells;
        let mut under_way = std::mem::take(&mut made.under_way);
        under_way.sort_unstable_by_key(|&at| made.waiting_key(at, rank));
        made.under_way = under_way;
        made.services = (0..services)
            .filter(|no| made.per_service[*no] > 0)
            .filter_map(|no| ServiceNo::try_from(no).ok())
            .collect();
        made.services.sort_unstable_by_key(|no| rank_of(*no));
        made
    }

    /// Takes in `changes` (each place at most once), as making the day
    /// anew from the changed index would give it; `false` when it cannot
    /// (a service or Kreis the day has no column or row for, or more than
    /// a few cells that come or go): the day is then to be made anew.
    /// `gemeinden` and `rank` as for [`LandDay::new`].
    pub fn patch(
        &mut self,
        changes: &[Change],
        gemeinden: &[GemeindeFacts],
        rank: &[u32],
        day: Date,
    ) -> bool {
        let mut shifts = 0;
        for &(ags, service, now) in changes {
            let known =
                (service as usize) < self.per_service.len() && (service as usize) < rank.len();
            let has_row = now.is_none() || self.tallies.kreise.binary_search(&ags.kreis()).is_ok();
            if !known || !has_row {
                return false;
            }
            if self.place(ags, service, rank).is_ok() != now.is_some() {
                shifts += 1;
            }
        }
        if shifts > SHIFTS_MAX {
            return false;
        }
        for &(ags, service, now) in changes {
            let facts = active_member(gemeinden, ags, day);
            let listed = self.count_of(service) > 0;
            let place = self.place(ags, service, rank);
            if let Ok(at) = place {
                let before = self.cells[at];
                if Some(before.counted) == now {
                    continue;
                }
                self.count(&before, facts, gemeinden, day, false);
                if under_way(before.counted.stage) {
                    let key = self.waiting_key(position(at), rank);
                    if let Ok(entry) = self.waiting_place(key, rank) {
                        self.under_way.remove(entry);
                    }
                }
            }
            let placed = match (place, now) {
                (Ok(at), Some(counted)) => {
                    self.cells[at].counted = counted;
                    Some(at)
                }
                (Err(at), Some(counted)) => {
                    self.cells.insert(
                        at,
                        Cell {
                            ags,
                            service,
                            counted,
                        },
                    );
                    shift(&mut self.under_way, at, true);
                    Some(at)
                }
                (Ok(at), None) => {
                    self.cells.remove(at);
                    shift(&mut self.under_way, at, false);
                    None
                }
                (Err(_), None) => None,
            };
            if let Some(at) = placed {
                let cell = self.cells[at];
                self.count(&cell, facts, gemeinden, day, true);
                if under_way(cell.counted.stage) {
                    let key = self.waiting_key(position(at), rank);
                    let entry = self.waiting_place(key, rank).unwrap_or_else(|entry| entry);
                    self.under_way.insert(entry, position(at));
                }
            }
            let listed_now = self.count_of(service) > 0;
            if listed_now && !listed {
                let entry = self
                    .services
                    .partition_point(|no| rank_of(rank, *no) < rank_of(rank, service));
                self.services.insert(entry, service);
            } else if listed && !listed_now {
                self.services.retain(|no| *no != service);
            }
        }
        true
    }

    /// Counts `cell` into (`add`) or out of the per-service counts and,
    /// for an active municipality (`member`, one of `gemeinden`), its
    /// Kreis's tally, with its inhabitants on `day` when it is live.
    fn count(
        &mut self,
        cell: &Cell,
        member: Option<&GemeindeFacts>,
        gemeinden: &[GemeindeFacts],
        day: Date,
        add: bool,
    ) {
        let Some(count) = self.per_service.get_mut(cell.service as usize) else {
            return;
        };
        *count = if add {
            *count + 1
        } else {
            count.saturating_sub(1)
        };
        let Some(member) = member else { return };
        let Some(tally) = self.tallies.get_mut(cell.ags.kreis(), cell.service) else {
            return;
        };
        let members = Members {
            gemeinden,
            mergers: &self.mergers,
        };
        members.tally(tally, &cell.counted, member, day, add);
    }

    /// Where the cell of `ags` and `service` is in `cells`, or would be.
    fn place(&self, ags: Ags, service: ServiceNo, rank: &[u32]) -> Result<usize, usize> {
        let key = (ags, rank_of(rank, service));
        self.cells
            .binary_search_by(|cell| (cell.ags, rank_of(rank, cell.service)).cmp(&key))
    }

    /// The order of `under_way`: the longest waiting first, then by AGS
    /// and service id.
    fn waiting_key(&self, at: u32, rank: &[u32]) -> (Date, Ags, u32) {
        let cell = &self.cells[at as usize];
        (cell.counted.since, cell.ags, rank_of(rank, cell.service))
    }

    /// Where the entry with `key` is in `under_way`, or would be.
    fn waiting_place(&self, key: (Date, Ags, u32), rank: &[u32]) -> Result<usize, usize> {
        self.under_way
            .binary_search_by(|&at| self.waiting_key(at, rank).cmp(&key))
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

/// A Land's municipalities (sorted by AGS) and their mergers, for the
/// inhabitants a live adoption covers in a Kreis's tally.
pub struct Members<'a> {
    pub gemeinden: &'a [GemeindeFacts],
    pub mergers: &'a Mergers,
}

impl Members<'_> {
    /// Counts `counted`, an adoption counted for the active municipality
    /// `member`, into (`add`) or out of `tally`, with the inhabitants on
    /// `day` when it is live.
    pub fn tally(
        &self,
        (stages, population_live): &mut Tally,
        counted: &Counted,
        member: &GemeindeFacts,
        day: Date,
        add: bool,
    ) {
        let stage = &mut stages[stage_index(counted.stage)];
        *stage = if add {
            *stage + 1
        } else {
            stage.saturating_sub(1)
        };
        if counted.stage == AdoptionStage::Live {
            let find = |ags| find(self.gemeinden, ags);
            let population = self.mergers.inhabitants(member, day, &find);
            *population_live = if add {
                *population_live + population
            } else {
                population_live.saturating_sub(population)
            };
        }
    }
}

/// The rank in id order of the service numbered `no`.
pub fn rank_of(rank: &[u32], no: ServiceNo) -> u32 {
    rank.get(no as usize).copied().unwrap_or(u32::MAX)
}

/// The facts of `ags` among `gemeinden` (sorted by AGS).
fn find(gemeinden: &[GemeindeFacts], ags: Ags) -> Option<&GemeindeFacts> {
    gemeinden
        .binary_search_by_key(&ags, |g| g.ags)
        .ok()
        .map(|at| &gemeinden[at])
}

/// The facts of `ags` among `gemeinden`, if it is active on `day`: only
/// those count in their Kreis's tallies.
pub fn active_member(gemeinden: &[GemeindeFacts], ags: Ags, day: Date) -> Option<&GemeindeFacts> {
    find(gemeinden, ags).filter(|g| g.active_on(day))
}

/// A position in `cells` as `under_way` holds it.
fn position(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// Moves the positions in `under_way` at or after `at` one on (`inserted`)
/// or one back: a cell was inserted or removed there.
fn shift(under_way: &mut [u32], at: usize, inserted: bool) {
    let at = position(at);
    for entry in under_way.iter_mut() {
        if inserted && *entry >= at {
            *entry += 1;
        } else if !inserted && *entry > at {
            *entry -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::Population;

    use super::*;
    use crate::facts::At;
    use crate::testing::{ags, date};

    fn member(code: &str, population: u64) -> GemeindeFacts {
        let at = At {
            effective: date("2020-01-01"),
            seq: 1,
            version: 1,
        };
        GemeindeFacts {
            ags: ags(code),
            registered: at,
            name: code.to_owned(),
            population: Some(Population {
                count: population,
                reference_date: date("2020-01-01"),
            }),
            renames: Vec::new(),
            merged: None,
            retired: None,
        }
    }

    fn cell(code: &str, service: ServiceNo, stage: AdoptionStage, since: &str) -> Cell {
        Cell {
            ags: ags(code),
            service,
            counted: Counted {
                stage,
                since: date(since),
                adopter: ags(code),
            },
        }
    }

    /// The cells of a day after `changes`: those changed replaced, new
    /// ones added, those without a count any more left out.
    fn changed(mut cells: Vec<Cell>, changes: &[Change]) -> Vec<Cell> {
        for &(ags, service, now) in changes {
            cells.retain(|cell| (cell.ags, cell.service) != (ags, service));
            if let Some(counted) = now {
                cells.push(Cell {
                    ags,
                    service,
                    counted,
                });
            }
        }
        cells.sort_by_key(|cell| cell.ags);
        cells
    }

    #[test]
    fn a_patched_day_is_the_day_made_anew() {
        use AdoptionStage::*;
        // Service numbers 0..3 with ids in the order 2, 0, 1.
        let rank = [1, 2, 0];
        let gemeinden = [
            member("16051000", 210_000),
            member("16052000", 90_000),
            member("16055000", 60_000),
        ];
        let day = date("2026-06-30");
        let cells = vec![
            cell("16051000", 0, Live, "2024-01-01"),
            cell("16051000", 1, Requested, "2025-01-01"),
            cell("16052000", 0, Agreed, "2024-03-01"),
            cell("16055000", 2, Onboarding, "2023-05-01"),
        ];
        let step = |code: &str, service, stage, since| {
            let cell = cell(code, service, stage, since);
            (cell.ags, cell.service, Some(cell.counted))
        };
        let rounds: [Vec<Change>; 4] = [
            // A step, a new adoption in a Kreis the day has, and one that
            // no longer counts.
            vec![
                step("16051000", 1, Agreed, "2026-02-01"),
                step("16052000", 2, Requested, "2026-03-01"),
                (ags("16055000"), 2, None),
            ],
            // The last adoption of a service goes, another goes live.
            vec![
                (ags("16052000"), 2, None),
                step("16052000", 0, Live, "2026-04-01"),
            ],
            // Nothing changes on the day.
            vec![step("16052000", 0, Live, "2026-04-01")],
            // A municipality's first adoption of a service listed anew.
            vec![step("16055000", 2, Live, "2026-05-01")],
        ];
        let mut patched = LandDay::new(cells.clone(), &gemeinden, &rank, day);
        let mut now = cells;
        for changes in rounds {
            now = changed(now, &changes);
            assert!(patched.patch(&changes, &gemeinden, &rank, day));
            assert_eq!(patched, LandDay::new(now.clone(), &gemeinden, &rank, day));
        }
        assert_eq!(patched.count_of(2), 1);
        assert_eq!(
            patched.tallies.get(ags("16051000").kreis(), 1).copied(),
            Some(([0, 1, 0, 0, 0], 0))
        );
    }

    #[test]
    fn a_day_without_a_column_or_row_for_a_change_is_made_anew() {
        let gemeinden = [member("16051000", 210_000)];
        let day = date("2026-06-30");
        let cells = vec![cell("16051000", 0, AdoptionStage::Live, "2024-01-01")];
        let mut made = LandDay::new(cells, &gemeinden, &[0], day);
        let new_service = cell("16051000", 1, AdoptionStage::Requested, "2026-01-01");
        assert!(!made.patch(
            &[(new_service.ags, 1, Some(new_service.counted))],
            &gemeinden,
            &[0, 1],
            day
        ));
        let new_kreis = cell("16052000", 0, AdoptionStage::Requested, "2026-01-01");
        assert!(!made.patch(
            &[(new_kreis.ags, 0, Some(new_kreis.counted))],
            &gemeinden,
            &[0],
            day
        ));
    }
}
