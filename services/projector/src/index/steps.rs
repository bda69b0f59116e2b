//! One count as a function of the day, in a compact form: the count from
//! each day on which it changes, ascending. The index keeps thousands of
//! them (one per Kreis, one per Land and service), each with at most a
//! few thousand days, so a change rewrites the days after it in place
//! rather than keeping a tree of changes and running totals beside it as
//! `Timeline` does. Pure.

use efa_proto::Date;

/// A count by day: `(day, count from that day on)`, by day; before the
/// first day the count is 0. No entry repeats the count before it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Steps(Vec<(Date, u32)>);

impl Steps {
    /// The steps of `changes` (day, by how much), in any order (sorted
    /// here, in place).
    pub fn from_changes(changes: &mut [(Date, i64)]) -> Self {
        changes.sort_unstable_by_key(|(day, _)| *day);
        let mut steps = Vec::new();
        let mut running = 0i64;
        for same_day in changes.chunk_by(|a, b| a.0 == b.0) {
            let delta: i64 = same_day.iter().map(|(_, delta)| delta).sum();
            if delta == 0 {
                continue;
            }
            running += delta;
            steps.push((same_day[0].0, clamp(running)));
        }
        Self(steps)
    }

    /// Adds `sign` (1 or -1) to the count from `from` until `until`
    /// (exclusive; `None`: from then on).
    pub fn add(&mut self, from: Date, until: Option<Date>, sign: i64) {
        if until.is_some_and(|until| until <= from) {
            return;
        }
        let start = self.split_at(from);
        let end = until.map_or(self.0.len(), |until| self.split_at(until));
        for (_, count) in &mut self.0[start..end] {
            *count = clamp(i64::from(*count) + sign);
        }
        // Entries within the span keep their differences; only those at
        // its ends may now repeat the count before them.
        if end < self.0.len() && self.0[end].1 == self.0[end - 1].1 {
            self.0.remove(end);
        }
        let before = start.checked_sub(1).map_or(0, |at| self.0[at].1);
        if self.0[start].1 == before {
            self.0.remove(start);
        }
    }

    /// The count on `day`.
    pub fn on(&self, day: Date) -> u32 {
        let after = self.0.partition_point(|(from, _)| *from <= day);
        after.checked_sub(1).map_or(0, |at| self.0[at].1)
    }

    /// Whether the count is 0 on every day.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes the steps take.
    pub fn size(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<(Date, u32)>()
    }

    /// The place of an entry for `day`, inserted with the count the day
    /// had if there was none.
    fn split_at(&mut self, day: Date) -> usize {
        let at = self.0.partition_point(|(from, _)| *from < day);
        if self.0.get(at).is_none_or(|(from, _)| *from != day) {
            let count = at.checked_sub(1).map_or(0, |before| self.0[before].1);
            self.0.insert(at, (day, count));
        }
        at
    }
}

/// A count below zero or beyond u32 would be a bookkeeping bug; clamping
/// keeps a query answering while the tests catch it.
fn clamp(count: i64) -> u32 {
    u32::try_from(count.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Day `n` of January 2020 (from 0).
    fn day(n: i32) -> Date {
        let n = u32::try_from(n).expect("a day of January");
        Date::from_ymd(2020, 1, 1 + n).expect("a day of January")
    }

    proptest! {
        /// Spans added and taken away one by one count on every day as
        /// many spans as hold that day, as the steps made at once do.
        #[test]
        fn steps_count_the_spans_that_hold(
            spans in prop::collection::vec((0..20i32, prop::option::of(1..8i32), any::<bool>()), 0..24)
        ) {
            let spans: Vec<(Date, Option<Date>, bool)> = spans
                .into_iter()
                .map(|(from, length, kept)| (day(from), length.map(|l| day(from + l)), kept))
                .collect();
            let mut steps = Steps::default();
            for &(from, until, _) in &spans {
                steps.add(from, until, 1);
            }
            for &(from, until, kept) in &spans {
                if !kept {
                    steps.add(from, until, -1);
                }
            }
            let holds = |from: Date, until: Option<Date>, on: Date| {
                from <= on && until.is_none_or(|until| on < until)
            };
            let mut changes: Vec<(Date, i64)> = Vec::new();
            for &(from, until, kept) in &spans {
                if kept {
                    changes.push((from, 1));
                    if let Some(until) = until {
                        changes.push((until, -1));
                    }
                }
            }
            let made = Steps::from_changes(&mut changes);
            prop_assert_eq!(&steps, &made);
            for n in 0..28 {
                let on = day(n);
                let expected = spans
                    .iter()
                    .filter(|(from, until, kept)| *kept && holds(*from, *until, on))
                    .count();
                prop_assert_eq!(steps.on(on) as usize, expected, "day {}", n);
            }
            prop_assert_eq!(steps.is_empty(), spans.iter().all(|(_, _, kept)| !kept));
        }
    }
}
