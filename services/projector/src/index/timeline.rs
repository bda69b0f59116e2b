//! Counts that change from day to day, kept as the changes by effective
//! day, so that the counts on any day are a lookup: the running totals are
//! summed once after a change and then found by binary search. A late
//! event (an effective date in the past) simply adds its change on that
//! day. Pure. One type serves the per-stage adoption counts of a service
//! (`N` = 5) and the live municipalities of a Land (`N` = 1).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use efa_proto::Date;

use crate::asof::stage_index;
use crate::index::pieces::Piece;

/// Per stage (requested, agreed, onboarding, live, withdrawn) counts.
pub type StageCounts = [u32; 5];

/// `N` counts by day.
#[derive(Debug)]
pub struct Timeline<const N: usize> {
    /// The change of each count on a day.
    changes: BTreeMap<Date, [i64; N]>,
    /// The counts from each change day on, summed from `changes` when
    /// first asked for after a change.
    totals: OnceLock<Vec<(Date, [u32; N])>>,
}

impl<const N: usize> Default for Timeline<N> {
    fn default() -> Self {
        Self {
            changes: BTreeMap::new(),
            totals: OnceLock::new(),
        }
    }
}

impl<const N: usize> Timeline<N> {
    /// Adds `sign` (1 or -1) to count `which` from `from` until `until`
    /// (exclusive; `None`: from then on).
    pub fn add(&mut self, which: usize, from: Date, until: Option<Date>, sign: i64) {
        self.changes.entry(from).or_insert([0; N])[which] += sign;
        if let Some(until) = until {
            self.changes.entry(until).or_insert([0; N])[which] -= sign;
        }
        self.totals = OnceLock::new();
    }

    /// The timeline of `changes` (day, which count, by how much), in any
    /// order (sorted here, in place).
    pub fn from_changes(changes: &mut [(Date, usize, i64)]) -> Self {
        changes.sort_unstable_by_key(|(day, _, _)| *day);
        let mut by_day: Vec<(Date, [i64; N])> = Vec::new();
        for &(day, which, delta) in changes.iter() {
            if by_day.last().is_none_or(|(last, _)| *last != day) {
                by_day.push((day, [0; N]));
            }
            if let Some(count) = by_day
                .last_mut()
                .and_then(|(_, change)| change.get_mut(which))
            {
                *count += delta;
            }
        }
        Self {
            changes: by_day.into_iter().collect(),
            totals: OnceLock::new(),
        }
    }

    /// The counts on `day`.
    pub fn on(&self, day: Date) -> [u32; N] {
        let totals = self.totals.get_or_init(|| self.sum());
        let after = totals.partition_point(|(from, _)| *from <= day);
        after
            .checked_sub(1)
            .and_then(|at| totals.get(at))
            .map_or([0; N], |(_, counts)| *counts)
    }

    fn sum(&self) -> Vec<(Date, [u32; N])> {
        let mut running = [0i64; N];
        let mut totals = Vec::with_capacity(self.changes.len());
        for (day, change) in &self.changes {
            if *change == [0; N] {
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

impl Timeline<5> {
    /// Counts `piece` under its stage (`sign` 1) or stops counting it
    /// (`sign` -1).
    pub fn add_piece(&mut self, piece: &Piece, sign: i64) {
        let stage = stage_index(piece.counted.stage);
        self.add(stage, piece.from, piece.until, sign);
    }
}
