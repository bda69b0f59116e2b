//! The counted adoptions of one service within one family of
//! municipalities (those joined by mergers), as a function of the day:
//! for each municipality they count for, the pieces of time over which the
//! counted adoption stays the same. Pure.
//!
//! Every input of the counting rule (`views::counted`) changes only on the
//! effective date of a step, a merger or a retirement, so the rule is
//! evaluated once on each of those days and the result holds until the
//! next one. Evaluating the rule itself, rather than a second copy of it,
//! keeps the pieces exact by construction; the property test in
//! `index/tests.rs` checks them against the rule on random histories.

use std::collections::BTreeMap;

use efa_proto::{Ags, Date};

use crate::facts::{AdoptionFacts, GemeindeFacts};
use crate::views::{Counted, Gemeinden, counted};

/// One counted adoption and the days it holds: from `from` (inclusive)
/// until `until` (exclusive; `None`: from then on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub from: Date,
    pub until: Option<Date>,
    pub counted: Counted,
}

impl Piece {
    pub fn holds_on(&self, day: Date) -> bool {
        self.from <= day && self.until.is_none_or(|until| day < until)
    }
}

/// The pieces per municipality counted for, from the adoptions of one
/// service by the members of one family and the members' facts (`family`
/// holds the registered ones).
pub fn pieces(
    adoptions: &[AdoptionFacts],
    family: Vec<&GemeindeFacts>,
) -> BTreeMap<Ags, Vec<Piece>> {
    let days = change_days(adoptions, &family);
    let gemeinden = Gemeinden::of(family);
    let mut open: BTreeMap<Ags, Piece> = BTreeMap::new();
    let mut done: BTreeMap<Ags, Vec<Piece>> = BTreeMap::new();
    for day in days {
        // One service's: in the order of their targets.
        let now: Vec<(Ags, Counted)> = counted(adoptions, &gemeinden, day)
            .into_iter()
            .map(|((_, target), counted)| (target, counted))
            .collect();
        debug_assert!(now.windows(2).all(|pair| pair[0].0 < pair[1].0));
        let counted_for = |target: &Ags| {
            let at = now.binary_search_by_key(target, |(target, _)| *target);
            at.ok().map(|at| &now[at].1)
        };
        let ended: Vec<Ags> = open
            .iter()
            .filter(|(target, piece)| counted_for(target) != Some(&piece.counted))
            .map(|(target, _)| *target)
            .collect();
        for target in ended {
            if let Some(mut piece) = open.remove(&target) {
                piece.until = Some(day);
                done.entry(target).or_default().push(piece);
            }
        }
        for (target, counted) in now {
            open.entry(target).or_insert(Piece {
                from: day,
                until: None,
                counted,
            });
        }
    }
    for (target, piece) in open {
        done.entry(target).or_default().push(piece);
    }
    done
}

/// Every day on which an input of the counting rule changes, ascending.
fn change_days(adoptions: &[AdoptionFacts], family: &[&GemeindeFacts]) -> Vec<Date> {
    let steps = adoptions
        .iter()
        .flat_map(|adoption| adoption.steps.iter().map(|step| step.at.effective));
    let mergers = family
        .iter()
        .filter_map(|g| g.merged.as_ref().map(|(at, _)| at.effective));
    let retirements = family
        .iter()
        .filter_map(|g| g.retired.as_ref().map(|at| at.effective));
    let mut days: Vec<Date> = steps.chain(mergers).chain(retirements).collect();
    days.sort_unstable();
    days.dedup();
    days
}
