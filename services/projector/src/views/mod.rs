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
//! the registration's own date does not limit them).

pub mod catalogue;
pub mod costs;
pub mod detail;
pub mod funnel;
pub mod gemeinde;
pub mod history;
pub mod land;
pub mod rollout;
pub mod settlement;

use std::collections::{BTreeMap, HashMap};

use efa_proto::{AdoptionStage, Ags, Date, ServiceId};

use crate::asof::advancement;
use crate::facts::{AdoptionFacts, GemeindeFacts};

/// Municipalities by AGS: a sorted list of references, searched by
/// halving (the index's lists come sorted, so making one costs a copy of
/// the references, not a hash map per query).
#[derive(Debug, Default)]
pub struct Gemeinden<'a> {
    by_ags: Vec<&'a GemeindeFacts>,
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
        Self { by_ags }
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
