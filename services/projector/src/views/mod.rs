//! The views beyond the plain catalogue, one module per family, each a pure
//! function from facts and a day to a view of `efa_proto::views`; `read.rs`
//! loads the facts a query needs and calls them. This module holds what
//! they share: municipalities with their mergers, and which adoption counts
//! for which municipality on a day.
//!
//! The counting rule, everywhere: an adoption counts on day D for the
//! municipality it resolves to — mergers taking effect by D followed, so a
//! merged municipality's adoptions count for its successor — unless that
//! municipality is retired by D. Where both a successor and a predecessor
//! adopted the same service, the more advanced adoption counts (live, then
//! onboarding, agreed, requested, withdrawn; on a tie the successor's own,
//! then the later step). Figures relative to the registered municipalities
//! (coverage, Kreis rows) count the registered municipalities active on D
//! (not merged or retired by then; see `GemeindeFacts::active_on` for why
//! the registration's own date does not limit them), each with the
//! inhabitants of the municipalities merged into it (`Mergers`).

pub mod catalogue;
pub mod costs;
pub mod detail;
pub mod funnel;
pub mod gemeinde;
pub mod history;
pub mod land;
pub mod not_adopted;
pub mod rollout;
pub mod settlement;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use efa_proto::{AdoptionStage, Ags, Date, KreisKey, ServiceId};

use crate::asof::advancement;
use crate::facts::{AdoptionFacts, GemeindeFacts, KreisFacts};

/// Municipalities by AGS: a sorted list of references, searched by
/// halving (the index's lists come sorted, so making one costs a copy of
/// the references, not a hash map per query); which merged into which
/// only once asked for inhabitants.
#[derive(Debug, Default)]
pub struct Gemeinden<'a> {
    by_ags: Vec<&'a GemeindeFacts>,
    mergers: OnceLock<Mergers>,
}

/// Deeper chains of mergers than this are not followed for inhabitants
/// (the domain forbids cycles; real chains are two or three long).
const MERGER_DEPTH_MAX: usize = 16;

/// Which municipality merged into which: what a successor's inhabitants
/// take in. Owned (pairs of AGS, sorted by successor), so that a Land's
/// day in the index keeps it as long as the Land's municipalities stay
/// as they are.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mergers {
    /// (successor, merged), sorted.
    into: Vec<(Ags, Ags)>,
}

impl Mergers {
    pub fn of<'a>(gemeinden: impl IntoIterator<Item = &'a GemeindeFacts>) -> Self {
        let mut into: Vec<(Ags, Ags)> = gemeinden
            .into_iter()
            .filter_map(|gemeinde| {
                let (_, successor) = gemeinde.merged.as_ref()?;
                // The domain refuses a merger into another Land; the views
                // read a Land's municipalities alone.
                (successor.land() == gemeinde.ags.land()).then_some((*successor, gemeinde.ags))
            })
            .collect();
        into.sort_unstable();
        Self { into }
    }

    /// The inhabitants of `gemeinde` on `day`: its own figure, and those
    /// of the municipalities merged into it by then (and into those, and
    /// so on) that its figure cannot include: when it has none, or one
    /// taken before the merger took effect. So a merger moves a
    /// municipality's inhabitants to its successor instead of losing them,
    /// and a successor counted after the merger is not counted twice.
    /// `find` gives a municipality's facts by AGS.
    pub fn inhabitants<'a>(
        &self,
        gemeinde: &GemeindeFacts,
        day: Date,
        find: &impl Fn(Ags) -> Option<&'a GemeindeFacts>,
    ) -> u64 {
        self.inhabitants_within(gemeinde, day, find, MERGER_DEPTH_MAX)
    }

    fn inhabitants_within<'a>(
        &self,
        gemeinde: &GemeindeFacts,
        day: Date,
        find: &impl Fn(Ags) -> Option<&'a GemeindeFacts>,
        depth: usize,
    ) -> u64 {
        let own = gemeinde.population_count();
        if depth == 0 || self.into.is_empty() {
            return own;
        }
        let first = self
            .into
            .partition_point(|(successor, _)| *successor < gemeinde.ags);
        let taken_in: u64 = self.into[first..]
            .iter()
            .take_while(|(successor, _)| *successor == gemeinde.ags)
            .filter_map(|(_, merged)| find(*merged))
            .filter(|predecessor| {
                predecessor.merged.as_ref().is_some_and(|(at, _)| {
                    let counted_already = gemeinde
                        .population
                        .is_some_and(|figure| figure.reference_date >= at.effective);
                    at.by(day) && !counted_already
                })
            })
            .map(|predecessor| self.inhabitants_within(predecessor, day, find, depth - 1))
            .sum();
        own + taken_in
    }
}

impl<'a> Gemeinden<'a> {
    pub fn new(list: &'a [GemeindeFacts]) -> Self {
        Self::of(list.iter().collect())
    }

    /// The municipalities `by_ags` refers to, in any order.
    pub fn of(mut by_ags: Vec<&'a GemeindeFacts>) -> Self {
        if !by_ags.is_sorted_by_key(|g| g.ags) {
            by_ags.sort_by_key(|g| g.ags);
        }
        Self {
            by_ags,
            mergers: OnceLock::new(),
        }
    }

    /// The inhabitants of `gemeinde` on `day` ([`Mergers::inhabitants`]).
    pub fn inhabitants(&self, gemeinde: &GemeindeFacts, day: Date) -> u64 {
        self.mergers
            .get_or_init(|| Mergers::of(self.by_ags.iter().copied()))
            .inhabitants(gemeinde, day, &|ags| self.get(ags))
    }

    pub fn get(&self, ags: Ags) -> Option<&'a GemeindeFacts> {
        self.by_ags
            .binary_search_by_key(&ags, |g| g.ags)
            .ok()
            .map(|at| self.by_ags[at])
    }

    /// The municipality `ags` counts for on `day`: mergers taking effect
    /// by then followed; `None` when that one is retired. A municipality
    /// the projector does not know counts for itself.
    pub fn resolve(&self, ags: Ags, day: Date) -> Option<Ags> {
        let mut current = ags;
        // Bounded: a cycle of mergers (which the domain forbids) ends here.
        for _ in 0..=self.by_ags.len() {
            let Some(gemeinde) = self.get(current) else {
                return Some(current);
            };
            if gemeinde.retired_by(day) {
                return None;
            }
            match gemeinde.successor_on(day) {
                Some(successor) => current = successor,
                None => return Some(current),
            }
        }
        None
    }

    /// The name on `day`, or the AGS for an unknown municipality.
    pub fn name(&self, ags: Ags, day: Date) -> String {
        self.get(ags)
            .map_or_else(|| ags.to_string(), |g| g.name_on(day).to_owned())
    }

    /// The registered municipalities active on `day`, by AGS.
    pub fn active(&self, day: Date) -> Vec<&'a GemeindeFacts> {
        self.by_ags
            .iter()
            .copied()
            .filter(|g| g.active_on(day))
            .collect()
    }
}

/// The registered name of the Kreis `key` among `kreise` (sorted by key),
/// else its key.
pub fn kreis_name(kreise: &[KreisFacts], key: KreisKey) -> String {
    kreise
        .binary_search_by_key(&key, |k| k.key)
        .map_or_else(|_| key.to_string(), |at| kreise[at].name.clone())
}

/// The adoption that counts for a municipality and a service on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counted {
    pub stage: AdoptionStage,
    /// The effective date of its last step.
    pub since: Date,
    /// The municipality that adopted (a predecessor after a merger).
    pub adopter: Ags,
}

/// Counted adoptions by service and the municipality they count for.
pub type CountedAdoptions<'a> = BTreeMap<(&'a ServiceId, Ags), Counted>;

/// Counted adoptions in no particular order, for the views that only go
/// through them (no map to build for a whole Land).
pub type CountedList<'a> = [((&'a ServiceId, Ags), Counted)];

/// The adoptions that count on `day` (see the module comment).
pub fn counted<'a>(
    adoptions: &'a [AdoptionFacts],
    gemeinden: &Gemeinden,
    day: Date,
) -> CountedAdoptions<'a> {
    let mut counted = CountedAdoptions::new();
    for adoption in adoptions {
        let Some(current) = adoption.current_on(day) else {
            continue;
        };
        let Some(target) = gemeinden.resolve(adoption.ags, day) else {
            continue;
        };
        let candidate = Counted {
            stage: current.stage,
            since: current.since,
            adopter: adoption.ags,
        };
        counted
            .entry((&adoption.service, target))
            .and_modify(|kept| {
                if rank(&candidate, target) > rank(kept, target) {
                    *kept = candidate;
                }
            })
            .or_insert(candidate);
    }
    counted
}

fn rank(adoption: &Counted, target: Ags) -> (u8, bool, Date) {
    (
        advancement(adoption.stage),
        adoption.adopter == target,
        adoption.since,
    )
}

/// Per stage (requested, agreed, onboarding, live, withdrawn) counts of
/// the counted adoptions, per service.
pub fn stage_counts<'a>(counted: &CountedAdoptions<'a>) -> HashMap<&'a ServiceId, [u32; 5]> {
    let mut counts: HashMap<&ServiceId, [u32; 5]> = HashMap::new();
    for ((service, _), adoption) in counted {
        counts.entry(service).or_default()[crate::asof::stage_index(adoption.stage)] += 1;
    }
    counts
}

/// `limit` as the views cap it: 0 means `default`, never above `max`.
pub fn capped(limit: u32, default: u32, max: u32) -> usize {
    let limit = if limit == 0 { default } else { limit.min(max) };
    limit as usize
}

/// Whole days from `from` to `to` (0 if `to` is earlier).
pub fn days_between(from: Date, to: Date) -> u32 {
    u32::try_from(to.days_since_epoch() - from.days_since_epoch()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use efa_proto::Population;

    use super::*;
    use crate::facts::At;
    use crate::testing::{ags, date};

    fn at(effective: &str) -> At {
        At {
            effective: date(effective),
            seq: 1,
            version: 1,
        }
    }

    /// A municipality with `population` counted on `counted`, merged into
    /// `successor` on the date given.
    fn gemeinde(
        code: &str,
        population: Option<(u64, &str)>,
        merged: Option<(&str, &str)>,
    ) -> GemeindeFacts {
        GemeindeFacts {
            ags: ags(code),
            registered: at("2020-01-01"),
            name: code.to_owned(),
            population: population.map(|(count, counted)| Population {
                count,
                reference_date: date(counted),
            }),
            renames: Vec::new(),
            merged: merged.map(|(effective, successor)| (at(effective), ags(successor))),
            retired: None,
        }
    }

    #[test]
    fn a_successor_takes_in_the_inhabitants_its_figure_cannot_include() {
        let list = [
            gemeinde("16068901", Some((4_120, "2020-12-31")), None),
            gemeinde(
                "16068902",
                Some((2_870, "2020-12-31")),
                Some(("2025-01-01", "16068901")),
            ),
            gemeinde(
                "16068903",
                Some((500, "2020-12-31")),
                Some(("2024-01-01", "16068902")),
            ),
            // A new municipality counted after its predecessors merged
            // into it, and one without a figure.
            gemeinde("16068910", Some((9_000, "2025-06-30")), None),
            gemeinde(
                "16068911",
                Some((8_000, "2020-12-31")),
                Some(("2025-01-01", "16068910")),
            ),
            gemeinde("16068920", None, None),
            gemeinde(
                "16068921",
                Some((700, "2020-12-31")),
                Some(("2025-01-01", "16068920")),
            ),
        ];
        let gemeinden = Gemeinden::new(&list);
        let inhabitants = |code: &str, day: &str| {
            gemeinden.inhabitants(gemeinden.get(ags(code)).unwrap(), date(day))
        };
        assert_eq!(
            inhabitants("16068901", "2024-12-31"),
            4_120,
            "before the merger"
        );
        assert_eq!(inhabitants("16068902", "2024-06-30"), 2_870 + 500);
        assert_eq!(
            inhabitants("16068901", "2025-01-01"),
            4_120 + 2_870 + 500,
            "a chain"
        );
        assert_eq!(
            inhabitants("16068910", "2025-07-01"),
            9_000,
            "counted after the merger"
        );
        assert_eq!(
            inhabitants("16068920", "2025-01-01"),
            700,
            "no figure of its own"
        );
        let active: u64 = gemeinden
            .active(date("2025-07-01"))
            .iter()
            .map(|g| gemeinden.inhabitants(g, date("2025-07-01")))
            .sum();
        assert_eq!(
            active,
            4_120 + 2_870 + 500 + 9_000 + 700,
            "nobody lost, nobody twice"
        );
    }
}
