//! The views' working set, in memory and kept up to date at apply time, so
//! that no query reads or counts history: the facts of every service,
//! municipality, Kreis, allocation key and population figure (a few
//! thousand entries, sorted for range reads), and for every service and
//! municipality the adoption that counts for it as pieces of time
//! (`pieces.rs`), with each service's stage counts by effective day
//! (`timeline.rs`). An answer "as of" any day is a lookup in these.
//!
//! The index is derived: the view store holds the facts it is built from,
//! builds it when opened, and updates it in the same call that commits a
//! batch, so it always stands at the store's checkpoint. Adoption facts
//! stay in the store; the index reads the few it needs when a change
//! touches them (`Source`).

pub mod answers;
pub mod cell_counts;
pub mod funnels;
pub mod lands;
pub mod packed;
pub mod pieces;
pub mod service_cells;
pub mod steps;
#[cfg(test)]
mod tests;
pub mod timeline;
pub mod under_way;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use efa_domain::allocation::ReferenceData;
use efa_proto::statement::StatementLine;
use efa_proto::views::CostSplit;

use efa_proto::{Ags, Date, GemeindeView, KreisKey, LandCode, QueryReply, ServiceId};

use crate::facts::{
    AdoptionFacts, Facts, GemeindeFacts, KeyFacts, KreisFacts, PopulationFacts, ServiceFacts,
};
use crate::store::StoreError;
use crate::views::settlement::{self, Cut};
use crate::views::{Counted, CountedAdoptions};
use answers::{Answers, Shelf};
use cell_counts::CellCounts;
use funnels::{Courses, FunnelCounts};
use lands::{Cell, Change, LandDay};
use packed::Packed;
use service_cells::ServiceCells;
use timeline::{StageCounts, Timeline};
use under_way::UnderWay;

/// The most bytes the kept Land days may take together.
const LAND_DAYS_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Cost splits kept at most (a few KiB each): past days' splits are let
/// go beyond this.
const SPLITS_MAX: usize = 20_000;
/// Länder's statement lines kept at most, in all (a few hundred bytes
/// each, up to a few hundred per statement): all are let go beyond this.
const STATEMENT_LINES_MAX: usize = 50_000;
/// The most bytes the services' own lists of cells may take together
/// (all of Germany's, 600 services, take about 58 MB): all are let go
/// beyond this.
const SERVICE_CELLS_BYTES_MAX: usize = 64 * 1024 * 1024;
/// The most bytes the Länder's lists of adoptions under way may take
/// together (Bayern's takes about 25 MB at Germany's size): all are let
/// go beyond this.
const UNDER_WAY_BYTES_MAX: usize = 96 * 1024 * 1024;

/// The services' numbering and the counted adoptions' pieces of an index,
/// borrowed for writing.
#[derive(Debug, serde::Serialize)]
pub struct CellsRef<'a> {
    service_ids: &'a [ServiceId],
    #[serde(serialize_with = "as_list")]
    by_target: &'a BTreeMap<CellKey, Packed>,
    funnels: &'a [Courses],
}

/// The same, read back.
#[derive(Debug, serde::Deserialize)]
pub struct Cells {
    service_ids: Vec<ServiceId>,
    by_target: Vec<(CellKey, Packed)>,
    funnels: Vec<Courses>,
}

/// A counted adoption's place: the municipality counted for, the service.
type CellKey = (Ags, ServiceNo);

/// A map written as a list of pairs (in key order), read back as a list.
fn as_list<S: serde::Serializer>(
    map: &&BTreeMap<CellKey, Packed>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.iter())
}

/// Where the index reads the adoption facts a change touches.
pub trait Source {
    /// The facts of `ags`'s adoptions of `service`, if any.
    fn adoption(&self, service: &ServiceId, ags: Ags) -> Result<Option<AdoptionFacts>, StoreError>;
    /// The services `ags` has adoption facts of.
    fn services_adopted_by(&self, ags: Ags) -> Result<Vec<ServiceId>, StoreError>;
}

/// A service as the index numbers it (in the order first seen).
pub type ServiceNo = u32;

/// Days from the first (inclusive) until the second (exclusive; `None`:
/// from then on).
type Span = (Date, Option<Date>);

/// What a batch's facts touch: adoptions by service and municipality, and
/// the members of families whose mergers changed.
#[derive(Debug, Default)]
struct Touched {
    adoptions: BTreeSet<(ServiceId, Ags)>,
    relinked: BTreeSet<Ags>,
}

/// What an update recounts, read by [`Index::take_in`]: each family with
/// a service and the family's adoption facts of it; and whether every
/// read succeeded.
#[derive(Debug)]
pub struct Recounts {
    families: Vec<(ServiceId, Vec<Ags>, Vec<AdoptionFacts>)>,
    read: Result<(), StoreError>,
}

#[derive(Debug, Default)]
pub struct Index {
    /// The ledger sequence the index reflects (the store's checkpoint).
    seq: u64,
    /// Boxed, so that a new service's place in the sorted list moves
    /// pointers, not the facts (a load test announcing thousands of
    /// services spent most of its applying in that move).
    #[expect(
        clippy::vec_box,
        reason = "inserts in the middle of a sorted list of large facts"
    )]
    services: Vec<Box<ServiceFacts>>,
    gemeinden: Vec<GemeindeFacts>,
    kreise: Vec<KreisFacts>,
    keys: Vec<KeyFacts>,
    populations: Vec<PopulationFacts>,
    service_nos: HashMap<ServiceId, ServiceNo>,
    service_ids: Vec<ServiceId>,
    /// The counted adoptions by the municipality they count for.
    by_target: BTreeMap<(Ags, ServiceNo), Packed>,
    /// The same keys, by service.
    by_service: BTreeSet<(ServiceNo, Ags)>,
    /// Each service's cells in AGS order, made when first asked for
    /// (`counted_of`) and dropped when one of them changes: a service's
    /// keys are one range of `by_service`, but each of its cells is a
    /// lookup in `by_target`, about 1 µs at Germany's size, 4 to 5 ms for
    /// a service's detail as of a day no one asked for before
    /// (BENCHMARKS.md, "A service's detail as of any day").
    service_cells: Mutex<KeptServiceCells>,
    /// Stage counts per service (by number).
    stages: Vec<Timeline<5>>,
    /// Counted cells by day per Kreis and per Land and service.
    counts: CellCounts,
    /// Per municipality counted for: the first day one of its cells
    /// counts, so that a rollout page as of an early day passes by the
    /// municipalities that had not yet adopted anything.
    first_counted: BTreeMap<Ags, Date>,
    /// Per Land: its adoptions under way on every day, made when a
    /// stalled page as of a past day first asks; each serves the days
    /// before the first day a change since touched.
    under_way: Mutex<HashMap<LandCode, KeptUnderWay>>,
    /// Every adoption's course per service (by number), for its funnel.
    funnels: Vec<Courses>,
    /// Per municipality counted for: the days on which one of its counted
    /// adoptions is live (disjoint, ascending), and whether they are in
    /// its Land's count (only registered municipalities are).
    live: HashMap<Ags, (bool, Vec<Span>)>,
    /// Per Land (by code): the registered municipalities with a live
    /// adoption, by day.
    land_live: Vec<Timeline<1>>,
    /// Mergers: who merged into whom, and the reverse.
    successor: HashMap<Ags, Ags>,
    predecessors: HashMap<Ags, BTreeSet<Ags>>,
    /// The allocation keys and populations as the cost split reads them,
    /// all or those in effect up to a day (by their cut,
    /// `settlement::reference_cut`), made when first asked for after a
    /// change.
    references: Mutex<HashMap<Cut, Arc<ReferenceData>>>,
    /// Each service's cost split per year under its own model, of its
    /// facts and the reference data as they are or cut as of a day, made
    /// when first asked for; dropped when the service or the reference
    /// data change.
    splits: Mutex<HashMap<SplitKey, Arc<CostSplit>>>,
    /// The lines of Länder's statements by Land, year and date (`None`:
    /// the facts as they are), made when first asked for; a Land's are
    /// dropped when a service it takes or took part in changes, all when
    /// the reference data change.
    statement_lines: Mutex<HashMap<StatementKey, Arc<Vec<StatementLine>>>>,
    /// Per Land: the services it has ever taken part in or leads, so that
    /// a Land's costs go through those, not through every service.
    land_services: HashMap<LandCode, BTreeSet<ServiceId>>,
    /// Land days made for queries (`land_day`): patched with the cells an
    /// update recounts, dropped when a municipality of their Land changes.
    land_days: Mutex<HashMap<(LandCode, Date), LandDaySlot>>,
    /// The cells recounted by the update under way, for the kept Land
    /// days (gathered only while there are any).
    recounted: Vec<CellKey>,
    /// Each service number's rank in id order, as the Land days order
    /// services; made when first asked for after a new number.
    ranks: OnceLock<Vec<u32>>,
    /// Services' details and municipalities' pages made for queries
    /// (`detail_answer`, `gemeinde_answer`).
    answers: Mutex<Answers>,
}

/// A Land's statement: its Land, year and "as of" date.
type StatementKey = (LandCode, u16, Date);

/// The services' own lists of cells, and the bytes they take.
#[derive(Debug, Default)]
struct KeptServiceCells {
    by_service: HashMap<ServiceNo, Arc<ServiceCells>>,
    bytes: usize,
}

/// A Land's list of adoptions under way (being made or made), and the
/// first day a change since it was made touched (`None`: none did).
#[derive(Debug, Default)]
struct KeptUnderWay {
    list: Arc<OnceLock<Option<Arc<UnderWay>>>>,
    valid_before: Option<Date>,
}

/// A kept split: service, year, the cut of its facts and the cut of the
/// reference data.
type SplitKey = (ServiceId, u16, Cut, Cut);

/// A Land day being made or made: queries asking for the same one while
/// it is made wait for it instead of making it again.
type LandDaySlot = Arc<OnceLock<Arc<LandDay>>>;

impl Index {
    /// The ledger sequence the index stands at.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Every service's facts, by id.
    pub fn services(&self) -> impl ExactSizeIterator<Item = &ServiceFacts> + Clone {
        self.services.iter().map(|service| &**service)
    }

    /// How many services there are, and those after `after` by id.
    pub fn services_after(
        &self,
        after: Option<&ServiceId>,
    ) -> (usize, impl Iterator<Item = &ServiceFacts>) {
        let start = after.map_or(0, |after| {
            (self.services).partition_point(|service| service.id.as_str() <= after.as_str())
        });
        let rest = self.services[start..].iter().map(|service| &**service);
        (self.services.len(), rest)
    }

    pub fn service(&self, id: &ServiceId) -> Option<&ServiceFacts> {
        find(&self.services, id, |s| &s.id).map(|service| &**service)
    }

    /// The services `land` has ever taken part in or leads, by id.
    pub fn services_of(&self, land: LandCode) -> impl Iterator<Item = &ServiceFacts> {
        self.land_services
            .get(&land)
            .into_iter()
            .flatten()
            .filter_map(|id| self.service(id))
    }

    /// The municipalities of `land` (every one when `None`), by AGS.
    pub fn gemeinden(&self, land: Option<LandCode>) -> &[GemeindeFacts] {
        match land {
            None => &self.gemeinden,
            Some(land) => range_of(&self.gemeinden, |g| g.ags.land().cmp(&land)),
        }
    }

    /// Whether the registry knows the Kreis `key`: registered, or holding
    /// a registered municipality.
    pub fn knows_kreis(&self, key: KreisKey) -> bool {
        let registered = self.kreise(Some(key.land())).iter().any(|k| k.key == key);
        registered || !range_of(&self.gemeinden, |g| g.ags.kreis().cmp(&key)).is_empty()
    }

    pub fn gemeinde(&self, ags: Ags) -> Option<&GemeindeFacts> {
        find(&self.gemeinden, &ags, |g| &g.ags)
    }

    /// The Kreise of `land` (every one when `None`), by key.
    pub fn kreise(&self, land: Option<LandCode>) -> &[KreisFacts] {
        match land {
            None => &self.kreise,
            Some(land) => range_of(&self.kreise, |k| k.key.land().cmp(&land)),
        }
    }

    pub fn populations(&self) -> &[PopulationFacts] {
        &self.populations
    }

    /// The reference data of the cost split, every publication.
    pub fn reference(&self) -> Arc<ReferenceData> {
        self.reference_upto(Cut::Whole)
    }

    /// The reference data in effect on `day`: a key or population figures
    /// published to take effect later do not count before then.
    pub fn reference_on(&self, day: Date) -> Arc<ReferenceData> {
        self.reference_upto(settlement::reference_cut(
            &self.keys,
            &self.populations,
            day,
        ))
    }

    /// The reference data in effect on `day` as recorded up to ledger
    /// sequence `known_at` (each key and figure is published once, so
    /// leaving out the later ones is all it takes). Not kept: asked for
    /// only by a view as recorded earlier.
    pub fn reference_known_at(&self, day: Date, known_at: u64) -> ReferenceData {
        crate::views::costs::reference_data_where(&self.keys, &self.populations, |at| {
            at.seq <= known_at && at.by(day)
        })
    }

    fn reference_upto(&self, cut: Cut) -> Arc<ReferenceData> {
        let mut kept = (self.references.lock()).unwrap_or_else(PoisonError::into_inner);
        let made = kept.entry(cut).or_insert_with(|| {
            let (keys, populations) = (&self.keys, &self.populations);
            Arc::new(crate::views::costs::reference_data_where(
                keys,
                populations,
                |at| match cut {
                    Cut::Whole => true,
                    Cut::Upto(last) => last.is_some_and(|day| at.by(day)),
                },
            ))
        });
        made.clone()
    }

    /// The split of `service`'s costs of `year` under its own model.
    pub fn own_split(&self, service: &ServiceFacts, year: u16) -> Arc<CostSplit> {
        self.kept_split((&service.id, year), (Cut::Whole, Cut::Whole), || {
            crate::views::costs::own_split(service, year, &self.reference())
        })
    }

    /// The split of `service`'s costs of `year` as of `day`: the split of
    /// its facts and the reference data cut as of that day, kept by the
    /// cuts (`settlement::Cut`), so that every day between two changes of
    /// either, and every Land's statement as of such a day, shares one.
    pub fn split_as_of(&self, service: &ServiceFacts, year: u16, day: Date) -> Arc<CostSplit> {
        let cut = settlement::cut_of(service, day);
        let reference_cut = settlement::reference_cut(&self.keys, &self.populations, day);
        if (cut, reference_cut) == (Cut::Whole, Cut::Whole) {
            return self.own_split(service, year);
        }
        self.kept_split((&service.id, year), (cut, reference_cut), || {
            let facts = settlement::as_of(service, day);
            let reference = self.reference_upto(reference_cut);
            crate::views::costs::own_split(&facts, year, &reference)
        })
    }

    /// The split kept for `service` and `year` with the cuts of its facts
    /// and of the reference data, else `split()`, then kept.
    fn kept_split(
        &self,
        (service, year): (&ServiceId, u16),
        (cut, reference_cut): (Cut, Cut),
        split: impl FnOnce() -> CostSplit,
    ) -> Arc<CostSplit> {
        let key = (service.clone(), year, cut, reference_cut);
        if let Some(split) = self.cached_splits().get(&key) {
            return split.clone();
        }
        // Computed outside the lock: two queries may both compute it, and
        // get the same.
        let split = Arc::new(split());
        let mut kept = self.cached_splits();
        if kept.len() >= SPLITS_MAX {
            // Splits as of past days are the many; today's stay.
            kept.retain(|(_, _, cut, reference_cut), _| {
                (*cut, *reference_cut) == (Cut::Whole, Cut::Whole)
            });
        }
        kept.insert(key, split.clone());
        split
    }

    fn cached_splits(&self) -> std::sync::MutexGuard<'_, HashMap<SplitKey, Arc<CostSplit>>> {
        self.splits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lines of `land`'s statement of `year` as of `as_of`, kept from
    /// an earlier query or else made by `make` and kept.
    pub fn statement_lines(
        &self,
        land: LandCode,
        year: u16,
        day: Date,
        make: impl FnOnce() -> Vec<StatementLine>,
    ) -> Arc<Vec<StatementLine>> {
        let key = (land, year, day);
        if let Some(lines) = self.kept_statements().get(&key) {
            return lines.clone();
        }
        // Made outside the lock, as a split is.
        let lines = Arc::new(make());
        let mut kept = self.kept_statements();
        let held: usize = kept.values().map(|lines| lines.len()).sum();
        if held + lines.len() > STATEMENT_LINES_MAX {
            kept.clear();
        }
        kept.insert(key, lines.clone());
        lines
    }

    fn kept_statements(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<StatementKey, Arc<Vec<StatementLine>>>> {
        self.statement_lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The detail of `service` on `day`: kept from an earlier query, or
    /// made by `make` and kept. The caller holds this index (a
    /// read guard) while `make` reads the store, so that no commit falls
    /// between the reading and the keeping: a commit drops what it
    /// changes only after it has the index to itself.
    pub fn detail_answer<E>(
        &self,
        service: &ServiceId,
        day: Date,
        make: impl FnOnce() -> Result<QueryReply, E>,
    ) -> Result<Arc<QueryReply>, E> {
        self.kept_or_made(|answers| &mut answers.services, service, day, make)
    }

    /// The page of the municipality `ags` on `day`, kept or else made by
    /// `make` and kept; as [`Index::detail_answer`], the caller holds the
    /// index while `make` reads the store.
    pub fn gemeinde_answer<E>(
        &self,
        ags: Ags,
        day: Date,
        make: impl FnOnce() -> Result<Option<GemeindeView>, E>,
    ) -> Result<Arc<Option<GemeindeView>>, E> {
        self.kept_or_made(|answers| &mut answers.gemeinden, &ags, day, make)
    }

    /// The answer on `shelf` about `subject`, or else the one `make` makes,
    /// kept there.
    fn kept_or_made<K: Eq + Hash + Clone, V, const MAX: usize, E>(
        &self,
        shelf: impl Fn(&mut Answers) -> &mut Shelf<K, V, MAX>,
        subject: &K,
        day: Date,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        if let Some(kept) = shelf(&mut self.kept_answers()).get(subject, day) {
            return Ok(kept);
        }
        let reply = Arc::new(make()?);
        shelf(&mut self.kept_answers()).keep(subject.clone(), day, reply.clone());
        Ok(reply)
    }

    fn kept_answers(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of the service `id`, if it has counted adoptions.
    pub fn service_no_of(&self, id: &ServiceId) -> Option<ServiceNo> {
        self.service_nos.get(id).copied()
    }

    /// The id of the service numbered `no`.
    pub fn service_id(&self, no: ServiceNo) -> &ServiceId {
        &self.service_ids[no as usize]
    }

    /// The counted adoptions of `land`'s municipalities on `day`, sorted
    /// for the rollout and stalled pages; made when first asked for and
    /// kept until a change touches the Land.
    pub fn land_day(&self, land: LandCode, day: Date) -> Arc<LandDay> {
        let slot = {
            let mut kept = self.kept_land_days();
            if !kept.contains_key(&(land, day)) {
                let weight: usize = kept
                    .values()
                    .filter_map(|slot| slot.get())
                    .map(|made| made.weight())
                    .sum();
                if weight > LAND_DAYS_BYTES_MAX {
                    kept.clear();
                }
            }
            kept.entry((land, day)).or_default().clone()
        };
        slot.get_or_init(|| Arc::new(self.make_land_day(land, day)))
            .clone()
    }

    fn make_land_day(&self, land: LandCode, day: Date) -> LandDay {
        let cells: Vec<Cell> = self
            .land_cells(land)
            .filter_map(|(&(ags, service), pieces)| {
                let counted = pieces.on(day)?;
                Some(Cell {
                    ags,
                    service,
                    counted,
                })
            })
            .collect();
        LandDay::new(cells, self.gemeinden(Some(land)), self.ranks(), day)
    }

    /// Each service number's rank in the order of the services' ids.
    fn ranks(&self) -> &[u32] {
        self.ranks.get_or_init(|| {
            let mut by_id: Vec<ServiceNo> = (0..self.service_ids.len())
                .filter_map(|no| ServiceNo::try_from(no).ok())
                .collect();
            by_id.sort_by(|a, b| self.service_id(*a).cmp(self.service_id(*b)));
            let mut rank = vec![0; by_id.len()];
            for (position, no) in by_id.iter().enumerate() {
                rank[*no as usize] = u32::try_from(position).unwrap_or(u32::MAX);
            }
            rank
        })
    }

    /// Brings the kept Land days up to the cells this update recounted;
    /// a day that cannot take them in is dropped, to be made anew when
    /// asked for.
    fn patch_land_days(&mut self) {
        let mut recounted = std::mem::take(&mut self.recounted);
        if recounted.is_empty() {
            return;
        }
        recounted.sort_unstable();
        recounted.dedup();
        let mut kept = std::mem::take(
            self.land_days
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        kept.retain(|&(land, day), slot| {
            let changes: Vec<Change> = recounted
                .iter()
                .filter(|(ags, _)| ags.land() == land)
                .map(|&(ags, no)| {
                    let counted = self.by_target.get(&(ags, no)).and_then(|p| p.on(day));
                    (ags, no, counted)
                })
                .collect();
            if changes.is_empty() {
                return true;
            }
            // No query holds the day while the index is being updated;
            // should one, the day is dropped rather than changed under it.
            Arc::get_mut(slot)
                .and_then(OnceLock::get_mut)
                .and_then(Arc::get_mut)
                .is_some_and(|made| {
                    made.patch(&changes, self.gemeinden(Some(land)), self.ranks(), day)
                })
        });
        *self
            .land_days
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = kept;
    }

    /// How many adoptions are counted for municipalities (cells).
    pub fn counted_adoptions(&self) -> usize {
        self.by_target.len()
    }

    /// How many Land days are kept.
    #[cfg(test)]
    pub fn land_days_kept(&self) -> usize {
        self.kept_land_days().len()
    }

    fn kept_land_days(&self) -> std::sync::MutexGuard<'_, HashMap<(LandCode, Date), LandDaySlot>> {
        self.land_days
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the Land days and the list of adoptions under way of
    /// `land`: a change of its municipalities touched it.
    fn land_changed(&mut self, land: LandCode) {
        self.land_days
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(kept, _), _| *kept != land);
        self.under_way
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&land);
    }

    /// The adoptions under way of `land` on every day, for a stalled page
    /// as of `day`: the kept list if it still serves that day, else made
    /// anew and kept; `None` if the Land's days do not fit one.
    pub fn under_way(&self, land: LandCode, day: Date) -> Option<Arc<UnderWay>> {
        let list = {
            let mut kept = self
                .under_way
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let serves = |kept: &KeptUnderWay| kept.valid_before.is_none_or(|first| day < first);
            if !kept.get(&land).is_some_and(serves) {
                let bytes: usize = (kept.values())
                    .filter_map(|kept| kept.list.get()?.as_ref())
                    .map(|list| list.size())
                    .sum();
                if bytes > UNDER_WAY_BYTES_MAX {
                    kept.clear();
                }
                kept.insert(land, KeptUnderWay::default());
            }
            kept.get(&land)
                .map(|kept| kept.list.clone())
                .unwrap_or_default()
        };
        list.get_or_init(|| {
            let ranks = self.ranks();
            let made = UnderWay::of(self.land_cells(land), |no| lands::rank_of(ranks, no));
            made.map(Arc::new)
        })
        .clone()
    }

    /// The kept list of adoptions under way of `land`, if it is made and
    /// serves `day`.
    pub fn under_way_kept(&self, land: LandCode, day: Date) -> Option<Arc<UnderWay>> {
        let kept = self
            .under_way
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let kept = kept.get(&land)?;
        let serves = kept.valid_before.is_none_or(|first| day < first);
        serves.then(|| kept.list.get()?.clone()).flatten()
    }

    /// What counts on `day` for `ags` of service `no`, if anything.
    pub fn counted_cell(&self, ags: Ags, no: ServiceNo, day: Date) -> Option<Counted> {
        self.by_target.get(&(ags, no))?.on(day)
    }

    /// The counted cells by day made at once from the cells, as a build
    /// makes them.
    #[cfg(test)]
    pub fn cell_counts_made_anew(&self) -> CellCounts {
        CellCounts::of(&self.by_target)
    }

    /// Counted cells by day per Kreis and per Land and service.
    pub fn cell_counts(&self) -> &CellCounts {
        &self.counts
    }

    /// The municipalities of `kreis` with a cell that counts on `day` or
    /// before, by AGS, each with its cells.
    pub fn kreis_cells_by_municipality(
        &self,
        kreis: KreisKey,
        day: Date,
    ) -> impl Iterator<Item = (Ags, impl Iterator<Item = (ServiceNo, &Packed)>)> {
        let first = Ags::try_from(u32::from(kreis) * 1_000)
            .expect("a Kreis key followed by three zeros is an AGS");
        self.first_counted
            .range(first..)
            .take_while(move |(ags, _)| ags.kreis() == kreis)
            .filter(move |(_, first)| **first <= day)
            .map(|(&ags, _)| {
                let cells = self.by_target.range((ags, 0)..=(ags, ServiceNo::MAX));
                (ags, cells.map(|((_, no), pieces)| (*no, pieces)))
            })
    }

    /// The first day a cell counts per municipality, kept and made at
    /// once from the cells.
    #[cfg(test)]
    pub fn first_counted_kept_and_made(&self) -> (BTreeMap<Ags, Date>, BTreeMap<Ags, Date>) {
        let cells: Vec<(CellKey, Packed)> = (self.by_target.iter())
            .map(|(key, packed)| (*key, packed.clone()))
            .collect();
        (self.first_counted.clone(), first_days(&cells))
    }

    /// The cells of the municipalities of `kreis`, by AGS.
    pub fn kreis_cells(
        &self,
        kreis: KreisKey,
    ) -> impl Iterator<Item = (&(Ags, ServiceNo), &Packed)> {
        let first = Ags::try_from(u32::from(kreis) * 1_000)
            .expect("a Kreis key followed by three zeros is an AGS");
        self.by_target
            .range((first, 0)..)
            .take_while(move |((ags, _), _)| ags.kreis() == kreis)
    }

    /// The rank in id order of the service numbered `no`.
    pub fn rank(&self, no: ServiceNo) -> u32 {
        lands::rank_of(self.ranks(), no)
    }

    /// The counted adoptions of service `no` on `day` for the
    /// municipalities in `targets`, by AGS.
    pub fn counted_of_in(
        &self,
        no: ServiceNo,
        targets: std::ops::RangeInclusive<Ags>,
        day: Date,
    ) -> Vec<(Ags, Counted)> {
        match self.cells_of(no) {
            Some(cells) => cells.counted_in(targets, day).collect(),
            None => self
                .service_keys(no)
                .filter(|((ags, _), _)| targets.contains(ags))
                .filter_map(|((ags, _), packed)| Some((*ags, packed.on(day)?)))
                .collect(),
        }
    }

    /// The counted-adoption cells of `land`'s municipalities, by AGS.
    fn land_cells(&self, land: LandCode) -> impl Iterator<Item = (&(Ags, ServiceNo), &Packed)> {
        let first = *land.municipalities().start();
        self.by_target
            .range((first, 0)..)
            .take_while(move |((ags, _), _)| ags.land() == land)
    }

    /// The per-stage counts of the counted adoptions of every service with
    /// any, on `day`.
    pub fn stage_counts(&self, day: Date) -> HashMap<&ServiceId, StageCounts> {
        self.service_ids
            .iter()
            .zip(&self.stages)
            .map(|(id, timeline)| (id, timeline.on(day)))
            .filter(|(_, counts)| *counts != [0; 5])
            .collect()
    }

    /// The funnel of `service`'s adoptions in `land` (or everywhere) on
    /// `day`; `None` for a service unknown to the registry.
    pub fn funnel(
        &self,
        service: &ServiceId,
        land: Option<LandCode>,
        day: Date,
    ) -> Option<FunnelCounts> {
        self.service(service)?;
        let courses = self
            .service_nos
            .get(service)
            .and_then(|no| self.funnels.get(*no as usize));
        Some(courses.map_or_else(FunnelCounts::default, |c| c.on(land, day)))
    }

    /// How many registered municipalities of `land` have a live adoption
    /// counted for them on `day`.
    pub fn live_any(&self, land: LandCode, day: Date) -> u32 {
        self.land_live
            .get(usize::from(u8::from(land)))
            .map_or(0, |counter| counter.on(day)[0])
    }

    /// The counted adoptions on `day` for the municipalities of `land`.
    pub fn counted_in(&self, land: LandCode, day: Date) -> Vec<((&ServiceId, Ags), Counted)> {
        self.counted_in_where(land, day, |_| true)
    }

    /// Those of [`Index::counted_in`] that `keep` accepts, without holding
    /// the others.
    pub fn counted_in_where(
        &self,
        land: LandCode,
        day: Date,
        keep: impl Fn(&Counted) -> bool,
    ) -> Vec<((&ServiceId, Ags), Counted)> {
        self.counted_where(self.land_cells(land), day)
            .filter(|(_, counted)| keep(counted))
            .collect()
    }

    /// The counted adoptions on `day` for the municipality `ags`.
    pub fn counted_for(&self, ags: Ags, day: Date) -> Vec<((&ServiceId, Ags), Counted)> {
        self.counted_where(self.by_target.range((ags, 0)..=(ags, ServiceNo::MAX)), day)
            .collect()
    }

    /// The counted adoptions of `service` on `day`, everywhere.
    pub fn counted_of(&self, service: &ServiceId, day: Date) -> CountedAdoptions<'_> {
        let Some(&no) = self.service_nos.get(service) else {
            return CountedAdoptions::new();
        };
        let id = &self.service_ids[no as usize];
        match self.cells_of(no) {
            Some(cells) => cells
                .counted_on(day)
                .map(|(ags, counted)| ((id, ags), counted))
                .collect(),
            // Too many bytes for one list (over 4 GiB): each cell looked up.
            None => self.counted_where(self.service_keys(no), day).collect(),
        }
    }

    /// The cells of service `no`, each looked up in `by_target`.
    fn service_keys(
        &self,
        no: ServiceNo,
    ) -> impl Iterator<Item = (&(Ags, ServiceNo), &Packed)> + '_ {
        self.by_service
            .range((no, ags_first())..=(no, ags_last()))
            .filter_map(|&(no, ags)| self.by_target.get_key_value(&(ags, no)))
    }

    /// The cells of service `no` in AGS order, kept or else gathered from
    /// `by_target` and kept; `None` if they do not fit one list.
    fn cells_of(&self, no: ServiceNo) -> Option<Arc<ServiceCells>> {
        let kept = || {
            self.service_cells
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(cells) = kept().by_service.get(&no) {
            return Some(cells.clone());
        }
        let cells = self
            .service_keys(no)
            .map(|(&(ags, _), packed)| (ags, packed));
        let cells = Arc::new(ServiceCells::of(cells)?);
        let mut kept = kept();
        if kept.bytes + cells.size() > SERVICE_CELLS_BYTES_MAX {
            *kept = KeptServiceCells::default();
        }
        kept.bytes += cells.size();
        if let Some(before) = kept.by_service.insert(no, cells.clone()) {
            kept.bytes -= before.size();
        }
        Some(cells)
    }

    fn counted_where<'a>(
        &'a self,
        cells: impl Iterator<Item = (&'a (Ags, ServiceNo), &'a Packed)>,
        day: Date,
    ) -> impl Iterator<Item = ((&'a ServiceId, Ags), Counted)> {
        cells.filter_map(move |(&(ags, no), pieces)| {
            let counted = pieces.on(day)?;
            Some(((&self.service_ids[no as usize], ags), counted))
        })
    }

    /// Takes in facts a committed batch wrote, at `seq`: replaces the
    /// entities' facts and recounts what their change touches.
    pub fn update(
        &mut self,
        seq: u64,
        changed: &[&Facts],
        source: &dyn Source,
    ) -> Result<(), StoreError> {
        let recounts = self.take_in(changed, source);
        self.recount_all(seq, recounts)
    }

    /// The first half of [`Index::update`]: takes in the entities' facts
    /// and reads from `source` what the recount needs beyond `changed`,
    /// namely adoptions of merged families' members that the batch does
    /// not change and the services of members whose mergers changed. Those
    /// read the same before the batch is written as after it (a service
    /// a member begins to adopt in the batch is among `changed`), so the
    /// store may write the batch while [`Index::recount_all`] counts.
    pub fn take_in(&mut self, changed: &[&Facts], source: &dyn Source) -> Recounts {
        let touched = self.absorb(changed);
        let mut families = Vec::new();
        let read = self.read_recounts(touched, changed, source, &mut families);
        Recounts { families, read }
    }

    /// The second half of [`Index::update`]: recounts what
    /// [`Index::take_in`] found touched and moves the index to `seq`; an
    /// error if a read there failed (what was read is counted all the
    /// same).
    pub fn recount_all(&mut self, seq: u64, recounts: Recounts) -> Result<(), StoreError> {
        for (service, family, adoptions) in recounts.families {
            self.recount(&service, &family, &adoptions);
        }
        self.patch_land_days();
        recounts.read?;
        self.seq = seq;
        Ok(())
    }

    /// Each family to recount, once per service, with the adoption facts
    /// of its members (those of `changed` at hand, others read from
    /// `source`): for the adoptions `touched` names, and for every
    /// service a member of a family whose mergers changed adopted.
    fn read_recounts(
        &self,
        touched: Touched,
        changed: &[&Facts],
        source: &dyn Source,
        families: &mut Vec<(ServiceId, Vec<Ags>, Vec<AdoptionFacts>)>,
    ) -> Result<(), StoreError> {
        let mut recount = touched.adoptions;
        // Where mergers changed, every service a member adopted.
        let mut services = BTreeSet::new();
        for member in &touched.relinked {
            services.extend(source.services_adopted_by(*member)?);
        }
        for member in &touched.relinked {
            recount.extend(services.iter().map(|s| (s.clone(), *member)));
        }
        // The adoption facts of this batch are at hand; others are read.
        let at_hand: HashMap<(&ServiceId, Ags), &AdoptionFacts> = changed
            .iter()
            .filter_map(|facts| match facts {
                Facts::Adoption(f) => Some(((&f.service, f.ags), f)),
                _ => None,
            })
            .collect();
        let mut recounted: BTreeSet<(ServiceId, Ags)> = BTreeSet::new();
        for (service, ags) in recount {
            let family = self.family(ags);
            let first = family.first().copied().unwrap_or(ags);
            if !recounted.insert((service.clone(), first)) {
                continue;
            }
            let mut adoptions = Vec::with_capacity(family.len());
            for member in &family {
                match at_hand.get(&(&service, *member)) {
                    Some(facts) => adoptions.push((*facts).clone()),
                    None => adoptions.extend(source.adoption(&service, *member)?),
                }
            }
            families.push((service, family, adoptions));
        }
        Ok(())
    }

    /// Replaces the entities' facts with `changed` and says what the
    /// change touches; the caller recounts it.
    fn absorb(&mut self, changed: &[&Facts]) -> Touched {
        let mut touched = Touched::default();
        let answers = self
            .answers
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for facts in changed {
            match facts {
                Facts::Service(f) => {
                    answers.services.forget(&f.id);
                    answers.gemeinden.clear();
                }
                // Its municipalities' pages are dropped when their
                // family's counted adoptions are recounted.
                Facts::Adoption(f) => answers.services.forget(&f.service),
                Facts::Gemeinde(_) | Facts::Key(_) | Facts::Population(_) => answers.clear(),
                Facts::Kreis(_) | Facts::Operator(_) => {}
            }
        }
        for facts in changed {
            match facts {
                Facts::Service(f) => {
                    self.cached_splits().retain(|(id, _, _, _), _| *id != f.id);
                    let before = self.service(&f.id).map(lands_of).unwrap_or_default();
                    let after = lands_of(f);
                    self.statement_lines
                        .get_mut()
                        .unwrap_or_else(PoisonError::into_inner)
                        .retain(|(land, _, _), _| !before.contains(land) && !after.contains(land));
                    for land in before {
                        if let Some(ids) = self.land_services.get_mut(&land) {
                            ids.remove(&f.id);
                        }
                    }
                    for land in lands_of(f) {
                        self.land_services
                            .entry(land)
                            .or_default()
                            .insert(f.id.clone());
                    }
                    upsert(&mut self.services, f.clone(), |s| s.id.clone());
                }
                Facts::Gemeinde(f) => {
                    self.land_changed(f.ags.land());
                    let before = self.gemeinde(f.ags).map(|g| (g.merged, g.retired));
                    upsert(&mut self.gemeinden, f.clone(), |g| g.ags);
                    if before.is_none() {
                        self.relive(f.ags);
                    }
                    if before.unwrap_or_default() != (f.merged, f.retired) {
                        // The family before the change and after it: a
                        // member that left must lose what counted for it.
                        touched.relinked.extend(self.family(f.ags));
                        self.link(f);
                        touched.relinked.extend(self.family(f.ags));
                    }
                }
                Facts::Kreis(f) => upsert(&mut self.kreise, f.clone(), |k| k.key),
                Facts::Key(f) => {
                    upsert(&mut self.keys, f.clone(), |k| k.year);
                    self.reference_changed();
                }
                Facts::Population(f) => {
                    upsert(&mut self.populations, f.clone(), |p| p.reference_date);
                    self.reference_changed();
                }
                Facts::Adoption(f) => {
                    touched.adoptions.insert((f.service.clone(), f.ags));
                }
                Facts::Operator(_) => {}
            }
        }
        touched
    }

    /// Builds the index from every entity's facts, at `seq`. Adoptions
    /// come one at a time (`adoptions` calls its argument for each), so
    /// they are never all in memory at once. They come in the store's key
    /// order, by service: the adoptions of a service by members of merged
    /// families are gathered until the next service begins and counted
    /// once per family. One that comes after its service's were counted
    /// has its family recounted from `source` at the end.
    pub fn build(
        seq: u64,
        entities: Vec<Facts>,
        adoptions: impl FnOnce(&mut dyn FnMut(AdoptionFacts)) -> Result<(), StoreError>,
        source: &dyn Source,
    ) -> Result<Self, StoreError> {
        let mut index = Index {
            seq,
            ..Index::default()
        };
        let refs: Vec<&Facts> = entities.iter().collect();
        // Every adoption is counted below, so what the entities touch
        // needs no recount of its own.
        index.absorb(&refs);
        // Every counted adoption's cells, gathered and put in all at once.
        let mut cells: Vec<(CellKey, Packed)> = Vec::new();
        let mut merged = MergedOfService::default();
        let mut late: BTreeSet<(ServiceId, Ags)> = BTreeSet::new();
        adoptions(&mut |adoption| {
            let family = index.family(adoption.ags);
            if let [first, _, ..] = family[..] {
                if merged.service.as_ref() != Some(&adoption.service) {
                    index.count_families(&mut merged, &mut cells);
                }
                if merged.counted.contains(&adoption.service) {
                    late.insert((adoption.service, first));
                } else {
                    merged
                        .service
                        .get_or_insert_with(|| adoption.service.clone());
                    merged.by_family.entry(first).or_default().push(adoption);
                }
                return;
            }
            let no = index.service_no(&adoption.service);
            index.count_cells(no, &family, &[adoption], &mut cells);
        })?;
        index.count_families(&mut merged, &mut cells);
        cells.sort_unstable_by_key(|(key, _)| *key);
        index.install_cells(cells);
        for (service, ags) in late {
            let family = index.family(ags);
            let adoptions = family
                .iter()
                .map(|member| source.adoption(&service, *member))
                .filter_map(Result::transpose)
                .collect::<Result<Vec<_>, _>>()?;
            index.recount_cells(&service, &family, &adoptions);
        }
        index.relive_all();
        Ok(index)
    }

    /// Counts the adoptions `merged` gathered, each family's together,
    /// into `cells`, and marks their service counted.
    fn count_families(&mut self, merged: &mut MergedOfService, cells: &mut Vec<(CellKey, Packed)>) {
        let Some(service) = merged.service.take() else {
            return;
        };
        let no = self.service_no(&service);
        for (first, adoptions) in std::mem::take(&mut merged.by_family) {
            let family = self.family(first);
            self.count_cells(no, &family, &adoptions, cells);
        }
        merged.counted.insert(service);
    }

    /// Counts `adoptions` (of service `no`, by members of `family`) into
    /// `cells`, for a build to put in at once.
    fn count_cells(
        &mut self,
        no: ServiceNo,
        family: &[Ags],
        adoptions: &[AdoptionFacts],
        cells: &mut Vec<(CellKey, Packed)>,
    ) {
        let courses = self.funnels.get_mut(no as usize);
        for (target, new) in count_family(&self.gemeinden, courses, family, adoptions) {
            cells.push(((target, no), new));
        }
    }

    /// What of the index takes long to make from the facts: the services'
    /// numbering and every counted adoption's pieces, to be written as
    /// they are (`index_file.rs`).
    pub fn cells(&self) -> CellsRef<'_> {
        CellsRef {
            service_ids: &self.service_ids,
            by_target: &self.by_target,
            funnels: &self.funnels,
        }
    }

    /// The index at `seq` from every entity's facts and the `cells` an
    /// index at the same `seq` had; `None` when the cells do not fit
    /// together (a service number without a service).
    pub fn restore(seq: u64, entities: Vec<Facts>, cells: Cells) -> Option<Self> {
        let mut index = Index {
            seq,
            ..Index::default()
        };
        let started = std::time::Instant::now();
        let refs: Vec<&Facts> = entities.iter().collect();
        index.absorb(&refs);
        let absorbed_ms = started.elapsed().as_millis() as u64;
        for id in &cells.service_ids {
            index.service_no(id);
        }
        let services = index.stages.len();
        if cells
            .by_target
            .iter()
            .any(|((_, no), _)| *no as usize >= services)
        {
            return None;
        }
        index.install_cells(cells.by_target);
        if cells.funnels.len() != index.funnels.len() {
            return None;
        }
        index.funnels = cells.funnels;
        let counted_ms = started.elapsed().as_millis() as u64;
        index.relive_all();
        let live_ms = started.elapsed().as_millis() as u64;
        let cell_counts_bytes = index.counts.size();
        tracing::debug!(
            absorbed_ms,
            counted_ms,
            live_ms,
            cell_counts_bytes,
            "index restored"
        );
        Some(index)
    }

    /// Puts `cells` (sorted by key, each key once, each naming a service
    /// number the index has) into an index that has none yet: the counted
    /// adoptions by municipality and by service, and each service's stage
    /// counts.
    ///
    /// Built in bulk from sorted lists: a few million single inserts would
    /// take seconds. Each service's timeline is summed from its cells found
    /// by their place in the list (a lookup in the map per cell took most
    /// of a start at 10 million events); one buffer of changes serves every
    /// service in turn, so that no list as long as all pieces is held. The
    /// counts by Kreis and by Land and service and each municipality's
    /// first counted day are made from the same list on a second thread
    /// meanwhile (about a third of a second of a start at 10 million
    /// events).
    fn install_cells(&mut self, cells: Vec<(CellKey, Packed)>) {
        let stages = &mut self.stages;
        let (by_service, (counts, first_counted)) = std::thread::scope(|scope| {
            let beside = scope.spawn(|| {
                let counts = CellCounts::of(cells.iter().map(|(key, packed)| (key, packed)));
                (counts, first_days(&cells))
            });
            let by_service = sum_stages(&cells, stages);
            let made = beside
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (by_service, made)
        });
        self.by_service = by_service;
        self.counts = counts;
        self.first_counted = first_counted;
        self.by_target = cells.into_iter().collect();
    }

    /// Brings every municipality counted for into its Land's live count.
    fn relive_all(&mut self) {
        let targets: BTreeSet<Ags> = self.by_target.keys().map(|(ags, _)| *ags).collect();
        for target in targets {
            self.relive(target);
        }
    }

    /// Replaces the counted adoptions of `service` for every member of
    /// `family` with those `adoptions` (the family's) give, and then the
    /// live days of the members whose live days for `service` changed
    /// (`relive` goes through all of a municipality's services, so it is
    /// spared where a step left the live days as they were; a build
    /// defers it to its end).
    fn recount(&mut self, service: &ServiceId, family: &[Ags], adoptions: &[AdoptionFacts]) {
        for member in self.recount_cells(service, family, adoptions) {
            self.relive(member);
        }
    }

    /// The days on which `target` has a live counted adoption, brought
    /// into its Land's count.
    fn relive(&mut self, target: Ags) {
        let mut spans: Vec<Span> = self
            .by_target
            .range((target, 0)..=(target, ServiceNo::MAX))
            .flat_map(|(_, pieces)| live_spans(pieces))
            .collect();
        spans = union(spans);
        let new = (self.gemeinde(target).is_some(), spans);
        let old = self.live.remove(&target).unwrap_or_default();
        if old != new {
            let land = usize::from(u8::from(target.land()));
            if self.land_live.len() <= land {
                self.land_live.resize_with(land + 1, Timeline::default);
            }
            let counter = &mut self.land_live[land];
            for (counted, spans, sign) in [(old.0, &old.1, -1), (new.0, &new.1, 1)] {
                if counted {
                    spans
                        .iter()
                        .for_each(|(from, until)| counter.add(0, *from, *until, sign));
                }
            }
        }
        if new.0 || !new.1.is_empty() {
            self.live.insert(target, new);
        }
    }

    /// Says which members' live days for `service` changed.
    fn recount_cells(
        &mut self,
        service: &ServiceId,
        family: &[Ags],
        adoptions: &[AdoptionFacts],
    ) -> Vec<Ags> {
        let no = self.service_no(service);
        let land_days_kept = !self
            .land_days
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        for member in family {
            if land_days_kept {
                self.recounted.push((*member, no));
            }
            self.answers
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .gemeinden
                .forget(member);
        }
        let kept = self
            .service_cells
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(dropped) = kept.by_service.remove(&no) {
            kept.bytes -= dropped.size();
        }
        let timeline = &mut self.stages[no as usize];
        let mut live_before: BTreeMap<Ags, Vec<Span>> = BTreeMap::new();
        let mut before: BTreeMap<Ags, Packed> = BTreeMap::new();
        for member in family {
            if let Some(old) = self.by_target.remove(&(*member, no)) {
                self.by_service.remove(&(no, *member));
                old.pieces()
                    .for_each(|piece| timeline.add_piece(&piece, -1));
                live_before.insert(*member, live_spans(&old));
                before.insert(*member, old);
            }
        }
        let courses = self.funnels.get_mut(no as usize);
        let counted = count_family(&self.gemeinden, courses, family, adoptions);
        let mut live_after: BTreeMap<Ags, Vec<Span>> = BTreeMap::new();
        for (target, new) in counted {
            new.pieces().for_each(|piece| timeline.add_piece(&piece, 1));
            live_after.insert(target, live_spans(&new));
            self.by_service.insert((no, target));
            self.by_target.insert((target, no), new);
        }
        for member in family {
            let (old, new) = (before.get(member), self.by_target.get(&(*member, no)));
            self.counts.replace((*member, no), old, new);
            self.refirst(*member, old.and_then(first_day), new.and_then(first_day));
        }
        self.bound_under_way(no, family, &before);
        let none = Vec::new();
        family
            .iter()
            .copied()
            .filter(|member| {
                let before = live_before.get(member).unwrap_or(&none);
                live_after.get(member).unwrap_or(&none) != before
            })
            .collect()
    }

    /// Brings the first day a cell of `target` counts up to one of its
    /// cells whose first day was `old` and is `new`: only where `old` was
    /// the first are all of its cells gone through again.
    fn refirst(&mut self, target: Ags, old: Option<Date>, new: Option<Date>) {
        let first = self.first_counted.get(&target).copied();
        if old.is_some() && old == first {
            let cells = self.by_target.range((target, 0)..=(target, ServiceNo::MAX));
            match cells.filter_map(|(_, pieces)| first_day(pieces)).min() {
                Some(day) => self.first_counted.insert(target, day),
                None => self.first_counted.remove(&target),
            };
        } else if let Some(new) = new
            && first.is_none_or(|first| new < first)
        {
            self.first_counted.insert(target, new);
        }
    }

    /// Narrows the days the kept lists of adoptions under way serve to
    /// those before the first day on which a member of `family` counts
    /// otherwise for service `no` than with its pieces `before`.
    fn bound_under_way(&mut self, no: ServiceNo, family: &[Ags], before: &BTreeMap<Ags, Packed>) {
        let kept = self
            .under_way
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for member in family {
            let Some(list) = kept.get_mut(&member.land()) else {
                continue;
            };
            let now = self.by_target.get(&(*member, no));
            if let Some(first) = under_way::first_change(before.get(member), now) {
                list.valid_before = Some(list.valid_before.map_or(first, |v| v.min(first)));
            }
        }
    }

    fn reference_changed(&mut self) {
        (self.references.lock())
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.cached_splits().clear();
        self.kept_statements().clear();
    }

    fn service_no(&mut self, service: &ServiceId) -> ServiceNo {
        if let Some(no) = self.service_nos.get(service) {
            return *no;
        }
        let no = ServiceNo::try_from(self.service_ids.len()).expect("fewer than 2^32 services");
        self.ranks = OnceLock::new();
        self.service_ids.push(service.clone());
        self.stages.push(Timeline::default());
        self.funnels.push(Courses::default());
        self.service_nos.insert(service.clone(), no);
        no
    }

    /// Records `gemeinde`'s merger (if any) in the links between families.
    fn link(&mut self, gemeinde: &GemeindeFacts) {
        if let Some(old) = self.successor.remove(&gemeinde.ags)
            && let Some(predecessors) = self.predecessors.get_mut(&old)
        {
            predecessors.remove(&gemeinde.ags);
        }
        if let Some((_, successor)) = &gemeinde.merged {
            self.successor.insert(gemeinde.ags, *successor);
            self.predecessors
                .entry(*successor)
                .or_default()
                .insert(gemeinde.ags);
        }
    }

    /// Every municipality joined to `ags` by mergers (whatever their
    /// dates), `ags` included, by AGS.
    pub fn family(&self, ags: Ags) -> Vec<Ags> {
        if !self.successor.contains_key(&ags) && !self.predecessors.contains_key(&ags) {
            return vec![ags];
        }
        let mut members = BTreeSet::from([ags]);
        let mut queue = VecDeque::from([ags]);
        while let Some(member) = queue.pop_front() {
            let successor = self.successor.get(&member).copied();
            let predecessors = self
                .predecessors
                .get(&member)
                .into_iter()
                .flatten()
                .copied();
            for next in successor.into_iter().chain(predecessors) {
                if members.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        members.into_iter().collect()
    }
}

/// What `Index::build` gathers of one service's adoptions by members of
/// merged families, by each family's first member.
#[derive(Default)]
struct MergedOfService {
    service: Option<ServiceId>,
    by_family: BTreeMap<Ags, Vec<AdoptionFacts>>,
    /// The services whose gathered adoptions were counted.
    counted: BTreeSet<ServiceId>,
}

/// The pieces `adoptions` (of one service, by members of `family`) count
/// for each municipality, packed, each adoption's course replaced in the
/// service's funnel (`courses`) on the way.
fn count_family(
    gemeinden: &[GemeindeFacts],
    courses: Option<&mut Courses>,
    family: &[Ags],
    adoptions: &[AdoptionFacts],
) -> Vec<(Ags, Packed)> {
    if let Some(courses) = courses {
        adoptions
            .iter()
            .for_each(|adoption| courses.replace(adoption));
    }
    let facts: Vec<&GemeindeFacts> = family
        .iter()
        .filter_map(|member| find(gemeinden, member, |g| &g.ags))
        .collect();
    let counted = pieces::pieces(adoptions, facts);
    counted
        .into_iter()
        .filter_map(|(target, pieces)| {
            let packed = Packed::pack(&pieces);
            if packed.is_none() {
                // `pieces::pieces` makes ordered, non-empty pieces; a
                // list that is not would be a bug, counted as nothing
                // rather than stopping the projector.
                tracing::error!(%target, ?pieces, "counted pieces out of order, not kept");
            }
            Some((target, packed?))
        })
        .collect()
}

/// The entry of sorted `list` whose key is `key`.
fn find<'a, T, K: Ord>(list: &'a [T], key: &K, key_of: impl Fn(&T) -> &K) -> Option<&'a T> {
    list.binary_search_by(|item| key_of(item).cmp(key))
        .ok()
        .map(|at| &list[at])
}

/// The run of sorted `list` for which `order` says `Equal`.
fn range_of<T>(list: &[T], order: impl Fn(&T) -> std::cmp::Ordering) -> &[T] {
    &list[run_of(list, order)]
}

/// Where in sorted `list` the run lies for which `order` says `Equal`
/// (empty where it would begin if there is none).
fn run_of<T>(list: &[T], order: impl Fn(&T) -> std::cmp::Ordering) -> std::ops::Range<usize> {
    let start = list.partition_point(|item| order(item).is_lt());
    let end = list.partition_point(|item| order(item).is_le());
    start..end
}

/// Puts `item` into sorted `list`, replacing the entry with its key.
fn upsert<T, K: Ord>(list: &mut Vec<T>, item: T, key_of: impl Fn(&T) -> K) {
    let key = key_of(&item);
    match list.binary_search_by(|entry| key_of(entry).cmp(&key)) {
        Ok(at) => list[at] = item,
        Err(at) => list.insert(at, item),
    }
}

fn ags_first() -> Ags {
    Ags::try_from(1_000_000).expect("01000000 is an AGS")
}

fn ags_last() -> Ags {
    Ags::try_from(16_999_999).expect("16999999 is an AGS")
}

/// Every Land that leads `service` or has a participation in it (also
/// one corrected).
pub fn lands_of(service: &ServiceFacts) -> BTreeSet<LandCode> {
    let participants = service.participations.iter().map(|p| p.land);
    let corrected = service.participation_corrections.iter().map(|c| c.land);
    std::iter::once(service.lead)
        .chain(participants)
        .chain(corrected)
        .collect()
}

/// The first day a cell with `pieces` counts.
fn first_day(pieces: &Packed) -> Option<Date> {
    pieces.pieces().next().map(|piece| piece.from)
}

/// Each service's stage timeline in `stages` summed from `cells` (sorted
/// by key), and the cells' keys by service.
fn sum_stages(
    cells: &[(CellKey, Packed)],
    stages: &mut [Timeline<5>],
) -> BTreeSet<(ServiceNo, Ags)> {
    let mut by_service: Vec<(ServiceNo, Ags, usize)> = cells
        .iter()
        .enumerate()
        .map(|(at, ((target, no), _))| (*no, *target, at))
        .collect();
    by_service.sort_unstable();
    let mut changes: Vec<(Date, usize, i64)> = Vec::new();
    for service in by_service.chunk_by(|a, b| a.0 == b.0) {
        changes.clear();
        let pieces = service.iter().flat_map(|(_, _, at)| cells[*at].1.pieces());
        for piece in pieces {
            let stage = crate::asof::stage_index(piece.counted.stage);
            changes.push((piece.from, stage, 1));
            if let Some(until) = piece.until {
                changes.push((until, stage, -1));
            }
        }
        if let Some(timeline) = stages.get_mut(service[0].0 as usize) {
            *timeline = Timeline::from_changes(&mut changes);
        }
    }
    by_service
        .into_iter()
        .map(|(no, target, _)| (no, target))
        .collect()
}

/// Per municipality the first day one of `cells` (sorted by key) counts.
fn first_days<'a>(cells: impl IntoIterator<Item = &'a (CellKey, Packed)>) -> BTreeMap<Ags, Date> {
    let mut first: BTreeMap<Ags, Date> = BTreeMap::new();
    for ((target, _), pieces) in cells {
        if let Some(day) = first_day(pieces) {
            first
                .entry(*target)
                .and_modify(|first| *first = (*first).min(day))
                .or_insert(day);
        }
    }
    first
}

/// The days of `pieces` (one cell's) on which the counted adoption is live.
fn live_spans(pieces: &Packed) -> Vec<Span> {
    pieces
        .pieces()
        .filter(|piece| piece.counted.stage == efa_proto::AdoptionStage::Live)
        .map(|piece| (piece.from, piece.until))
        .collect()
}

/// The union of `spans`, as disjoint spans in ascending order.
fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable_by_key(|(from, _)| *from);
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (from, until) in spans {
        match merged.last_mut() {
            Some((_, last_until)) if last_until.is_none_or(|end| from <= end) => {
                *last_until = match (*last_until, until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push((from, until)),
        }
    }
    merged
}
