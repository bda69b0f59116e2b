//! Each service's adoption funnel, kept at apply time: every adoption (each
//! `adoption_no` of each municipality) as its course, the first day it had
//! reached each stage and its lead time to go-live, so that the funnel on
//! any day is one pass over the service's courses in memory (about 4,200
//! at the size of Germany, a few tens of microseconds), not a read of the
//! service's adoption facts from the store.
//!
//! A course is a function of its adoption's steps alone, so a change is
//! a replacement: the municipality's courses of the service are made
//! anew from its facts as they are after the change. Late steps (an
//! effective date in the past) are simply part of those facts. Pure.

use efa_proto::{AdoptionStage, Ags, Date, LandCode};
use serde::{Deserialize, Serialize};

use super::{range_of, run_of};
use crate::asof::stage_index;
use crate::facts::{AdoptionFacts, StepFact};
use crate::views::funnel::lead_time;

/// A day no course reaches.
const NEVER: i32 = i32::MAX;
/// The same in a compact course.
const COMPACT_NEVER: u16 = u16::MAX;

/// One adoption's part in its service's funnel on any day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Course {
    ags: Ags,
    /// The first day (in days since 1970-01-01) from which the adoption
    /// counts as having reached each stage (requested, agreed, onboarding,
    /// live; a skipped stage is reached with a later one) and as
    /// withdrawn; `NEVER` if it does not.
    from: [i32; 5],
    /// The days from the request to the go-live, from each day on which
    /// they change, ascending: the first at the go-live; more only where
    /// a later-recorded step dated before the go-live changes them.
    leads: Box<[(i32, u32)]>,
}

/// The same in 16 bytes instead of about 50, for the common course: days
/// from 1970 until 2149, a lead time that never changes (a few million
/// courses at the size of Germany).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Compact {
    ags: Ags,
    /// `COMPACT_NEVER` for never.
    from: [u16; 5],
    lead: u16,
}

/// The courses of every adoption of one service, each list by AGS (so
/// that a Land's are one range).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Courses {
    compact: Vec<Compact>,
    other: Vec<Course>,
}

/// A service's funnel on one day: the counts per stage (withdrawn last)
/// and the lead times of the adoptions live by then, ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelCounts {
    pub reached: [u32; 5],
    pub lead_times: Vec<u32>,
}

impl Courses {
    /// Replaces the courses of `facts`'s municipality with those its
    /// steps give.
    pub fn replace(&mut self, facts: &AdoptionFacts) {
        let (mut compact, mut other) = (Vec::new(), Vec::new());
        for course in courses(facts) {
            match Compact::of(&course) {
                Some(small) => compact.push(small),
                None => other.push(course),
            }
        }
        splice_ags(&mut self.compact, facts.ags, |c| c.ags, compact);
        splice_ags(&mut self.other, facts.ags, |c| c.ags, other);
    }

    /// The funnel of the adoptions in `land` (or everywhere) on `day`.
    pub fn on(&self, land: Option<LandCode>, day: Date) -> FunnelCounts {
        let day = day.days_since_epoch();
        let mut counts = FunnelCounts::default();
        for course in in_land(&self.compact, land, |c| c.ags) {
            let from = course.from.map(|d| match d {
                COMPACT_NEVER => NEVER,
                d => i32::from(d),
            });
            if count(&from, day, &mut counts.reached) {
                counts.lead_times.push(u32::from(course.lead));
            }
        }
        for course in in_land(&self.other, land, |c| c.ags) {
            if count(&course.from, day, &mut counts.reached) {
                let after = course.leads.partition_point(|(from, _)| *from <= day);
                // Live by `day` means the first change day is by it too.
                if let Some((_, lead)) = after.checked_sub(1).and_then(|at| course.leads.get(at)) {
                    counts.lead_times.push(*lead);
                }
            }
        }
        counts.lead_times.sort_unstable();
        counts
    }
}

impl Compact {
    /// `course` made compact, if it fits.
    fn of(course: &Course) -> Option<Self> {
        let lead = match &*course.leads {
            [] => 0,
            [(_, lead)] => u16::try_from(*lead).ok()?,
            _ => return None,
        };
        let mut from = [COMPACT_NEVER; 5];
        for (small, day) in from.iter_mut().zip(course.from) {
            if day != NEVER {
                *small = u16::try_from(day).ok().filter(|d| *d != COMPACT_NEVER)?;
            }
        }
        Some(Self {
            ags: course.ags,
            from,
            lead,
        })
    }
}

/// Adds an adoption reaching each stage on the days `from` to the counts
/// of the stages reached by `day`; says whether it is live by then.
fn count(from: &[i32; 5], day: i32, reached: &mut [u32; 5]) -> bool {
    for (count, from) in reached.iter_mut().zip(from) {
        if *from <= day {
            *count += 1;
        }
    }
    from[stage_index(AdoptionStage::Live)] <= day
}

/// The items of `list` (sorted by AGS) in `land`, or all of them.
fn in_land<T>(list: &[T], land: Option<LandCode>, ags: impl Fn(&T) -> Ags) -> &[T] {
    match land {
        Some(land) => range_of(list, |item| ags(item).land().cmp(&land)),
        None => list,
    }
}

/// Puts `new` in the place of the items of `list` (sorted by AGS) that
/// are `at`'s.
fn splice_ags<T>(
    list: &mut Vec<T>,
    at: Ags,
    ags: impl Fn(&T) -> Ags,
    new: impl IntoIterator<Item = T>,
) {
    list.splice(run_of(list, |item| ags(item).cmp(&at)), new);
}

/// The course of each adoption in `facts`, with its lead times by day.
fn courses(facts: &AdoptionFacts) -> impl Iterator<Item = Course> + '_ {
    let ags = facts.ags;
    facts
        .by_number()
        .into_iter()
        .map(move |(_, steps)| course(ags, &steps))
}

/// The course of one adoption from its `steps` (in ledger order).
fn course(ags: Ags, steps: &[&StepFact]) -> Course {
    let day = |step: &&StepFact| step.at.effective.days_since_epoch();
    let withdrawn = |step: &&&StepFact| step.stage == AdoptionStage::Withdrawn;
    let mut from = [NEVER; 5];
    for (stage, first) in from.iter_mut().enumerate().take(4) {
        *first = steps
            .iter()
            .filter(|s| !withdrawn(s) && stage_index(s.stage) >= stage)
            .map(day)
            .min()
            .unwrap_or(NEVER);
    }
    from[4] = steps
        .iter()
        .filter(withdrawn)
        .map(day)
        .min()
        .unwrap_or(NEVER);
    // The lead time can change only on a day a step takes effect.
    let live = from[stage_index(AdoptionStage::Live)];
    let mut change_days: Vec<i32> = steps.iter().map(day).filter(|d| *d >= live).collect();
    change_days.sort_unstable();
    change_days.dedup();
    let mut leads: Vec<(i32, u32)> = Vec::new();
    for change in change_days {
        let visible: Vec<&StepFact> = steps.iter().copied().filter(|s| day(s) <= change).collect();
        if let Some(lead) = lead_time(&visible)
            && leads.last().is_none_or(|(_, last)| *last != lead)
        {
            leads.push((change, lead));
        }
    }
    Course {
        ags,
        from,
        leads: leads.into_boxed_slice(),
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::Event;
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{Ledger, World, ags, date, land, service_id};
    use crate::views::funnel::{funnel, view};

    /// Two municipalities in two Länder, so that a Land's range is tested.
    const MUNICIPALITIES: [&str; 2] = ["01002000", "16051000"];

    fn event(code: &str, adoption_no: u32, stage: AdoptionStage) -> Event {
        let (service, ags, note) = (service_id("aaa-service"), ags(code), String::new());
        match stage {
            AdoptionStage::Requested => Event::AdoptionRequested {
                service,
                ags,
                adoption_no,
                note,
            },
            stage => Event::AdoptionStepRecorded {
                service,
                ags,
                adoption_no,
                stage,
                note,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Many steps of few adoptions on few days, recorded in any order
        /// (several go-lives and withdrawals of one adoption, requests
        /// dated after the go-live): the courses, kept by replacing a
        /// municipality's after each step, give the funnel computed from
        /// the facts on every day, everywhere and per Land.
        #[test]
        fn courses_give_the_funnel_of_the_facts(
            steps in prop::collection::vec(
                (0..MUNICIPALITIES.len(), 1u32..3, prop::sample::select(AdoptionStage::ALL.to_vec()), 0i32..20),
                1..16,
            ),
            // Days a compact course holds, and days around both of its ends.
            start in prop::sample::select(vec!["2024-01-01", "1969-12-20", "2149-05-28"]),
        ) {
            let first = date(start).days_since_epoch();
            let mut ledger = Ledger::default();
            let mut courses = Courses::default();
            for (municipality, no, stage, offset) in steps {
                let day = Date::try_from(first + offset).unwrap();
                let code = MUNICIPALITIES[municipality];
                ledger.push_dated(day, day, event(code, no, stage));
                let world = World::replay(&ledger);
                let facts = world.adoptions.iter().find(|a| a.ags == ags(code)).unwrap();
                courses.replace(facts);
            }
            let world = World::replay(&ledger);
            let service = service_id("aaa-service");
            for offset in -1..21 {
                let day = Date::try_from(first + offset).unwrap();
                for scope in [None, Some(land(1)), Some(land(16)), Some(land(9))] {
                    let kept = view(&service, scope, day, &courses.on(scope, day));
                    prop_assert_eq!(kept, funnel(&service, scope, &world.adoptions, day));
                }
            }
        }
    }

    #[test]
    fn a_request_dated_after_the_go_live_changes_the_lead_time_from_its_day() {
        let mut ledger = Ledger::default();
        ledger.push("2024-03-01", event("16051000", 1, AdoptionStage::Live));
        ledger.push(
            "2024-02-01",
            event("16051000", 1, AdoptionStage::Onboarding),
        );
        ledger.push("2024-03-11", event("16051000", 1, AdoptionStage::Requested));
        let world = World::replay(&ledger);
        let mut courses = Courses::default();
        courses.replace(&world.adoptions[0]);
        // Live from 1 March: 29 days from the onboarding (the first step)
        // until the request takes effect, then 10 days back from it
        // (counted as none).
        let on = |day: &str| courses.on(None, date(day)).lead_times;
        assert_eq!(on("2024-02-29"), Vec::<u32>::new());
        assert_eq!(on("2024-03-01"), [29]);
        assert_eq!(on("2024-03-10"), [29]);
        assert_eq!(on("2024-03-11"), [0]);
        assert_eq!((courses.compact.len(), courses.other.len()), (0, 1));
        assert_eq!(
            courses.on(None, date("2024-03-11")).reached,
            [1, 1, 1, 1, 0]
        );
    }
}
