//! A count per adoption stage that changes from day to day, kept as the
//! changes by effective day, so that the count on any day is a lookup:
//! the running totals are summed once after a change and then found by
//! binary search. A late event (an effective date in the past) simply
//! adds its change on that day. Pure.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use efa_proto::Date;

use crate::asof::stage_index;
use crate::index::pieces::Piece;

/// Per stage (requested, agreed, onboarding, live, withdrawn) counts.
pub type StageCounts = [u32; 5];

#[derive(Debug, Default)]
pub struct Timeline {
    /// The change of each stage's count on a day.
    changes: BTreeMap<Date, [i64; 5]>,
    /// The counts from each change day on, summed from `changes` when
    /// first asked for after a change.
    totals: OnceLock<Vec<(Date, StageCounts)>>,
}

impl Timeline {
    /// Counts `piece` (`sign` 1) or stops counting it (`sign` -1).
    pub fn add(&mut self, piece: &Piece, sign: i64) {
        let stage = stage_index(piece.counted.stage);
        self.changes.entry(piece.from).or_default()[stage] += sign;
        if let Some(until) = piece.until {
            self.changes.entry(until).or_default()[stage] -= sign;
        }
        self.totals = OnceLock::new();
    }

    /// The counts on `day`.
    pub fn on(&self, day: Date) -> StageCounts {
        let totals = self.totals.get_or_init(|| self.sum());
        let after = totals.partition_point(|(from, _)| *from <= day);
        after
            .checked_sub(1)
            .and_then(|at| totals.get(at))
            .map_or([0; 5], |(_, counts)| *counts)
    }

    fn sum(&self) -> Vec<(Date, StageCounts)> {
        let mut running = [0i64; 5];
        let mut totals = Vec::with_capacity(self.changes.len());
        for (day, change) in &self.changes {
            if *change == [0; 5] {
                continue;
            }
            for (total, delta) in running.iter_mut().zip(change) {
                *total += delta;
            }
            // A count below zero or beyond u32 would be a bookkeeping bug;
            // clamping keeps a query answering while the tests catch it.
            totals.push((
                *day,
                running.map(|total| u32::try_from(total.max(0)).unwrap_or(u32::MAX)),
            ));
        }
        totals
    }
}

/// A count that changes from day to day (the registered municipalities of
/// a Land with a live adoption), kept the same way as [`Timeline`].
#[derive(Debug, Default)]
pub struct Counter {
    changes: BTreeMap<Date, i64>,
    totals: OnceLock<Vec<(Date, u32)>>,
}

impl Counter {
    /// Counts one more (`sign` 1) or one less (`sign` -1) from `from` until
    /// `until` (exclusive; `None`: from then on).
    pub fn add(&mut self, from: Date, until: Option<Date>, sign: i64) {
        *self.changes.entry(from).or_default() += sign;
        if let Some(until) = until {
            *self.changes.entry(until).or_default() -= sign;
        }
        self.totals = OnceLock::new();
    }

    /// The count on `day`.
    pub fn on(&self, day: Date) -> u32 {
        let totals = self.totals.get_or_init(|| {
            let mut running = 0i64;
            self.changes
                .iter()
                .filter(|(_, change)| **change != 0)
                .map(|(day, change)| {
                    running += change;
                    (*day, u32::try_from(running.max(0)).unwrap_or(u32::MAX))
                })
                .collect()
        });
        let after = totals.partition_point(|(from, _)| *from <= day);
        after
            .checked_sub(1)
            .and_then(|at| totals.get(at))
            .map_or(0, |(_, count)| *count)
    }
}
