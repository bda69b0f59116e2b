//! A Land's adoptions under way on every day at once, for its stalled
//! page as of a past day. Today's page reads the Land's day (`lands.rs`),
//! which writes patch; a past day nobody asked for before would make a
//! Land day of its own, going through all of the Land's cells (Bayern's
//! 470,000 at Germany's size, 33 ms). This list holds every piece of the
//! Land's cells whose stage is under way, ordered as the stalled page
//! lists them: by the day of the last step, then AGS and service id. So
//! the stalled adoptions on any day are the pieces of a prefix (those
//! waiting long enough) that hold on that day, in order.
//!
//! The list is made once per Land and serves every day before the first
//! day a later change touches: a step recorded today changes the pieces
//! from today on only, so the past days stay answered (`Index`
//! keeps that bound, `first_change`).

use efa_proto::{Ags, Date};

use super::ServiceNo;
use super::packed::Packed;
use crate::views::rollout::under_way;

/// The pieces under way of a Land's cells, as parallel lists in the
/// stalled page's order; days as days after the list's first (14 bytes
/// a piece).
#[derive(Debug, Default)]
pub struct UnderWay {
    /// Days since 1970-01-01 of the list's first day.
    first: i32,
    /// The day of each piece's last step.
    since: Vec<u16>,
    /// The days each piece holds: from (inclusive) until (exclusive;
    /// `OPEN`: from then on).
    holds: Vec<(u16, u16)>,
    /// The cell each piece belongs to: its municipality and service.
    targets: Vec<Ags>,
    services: Vec<ServiceNo>,
    /// Per `BLOCK` pieces in turn: which are open, and the latest end of
    /// the others. On a late day most closed pieces have ended, and the
    /// open ones are the stalled adoptions asked for, so a block whose
    /// closed pieces all ended is gone through by its open ones alone.
    blocks: Vec<Block>,
}

/// Pieces summed up in one [`Block`].
const BLOCK: usize = 64;

#[derive(Debug, Default, Clone, Copy)]
struct Block {
    /// Bit `i`: the block's `i`-th piece is open.
    open: u64,
    /// The latest end of its closed pieces (0: none).
    closed_until: u16,
}

/// A piece under way while the list is made: the day of its last step,
/// the days it holds (until `None`: from then on), its cell.
type Entry = (i32, (i32, Option<i32>), Ags, ServiceNo);

/// The end of a piece that holds from then on.
const OPEN: u16 = u16::MAX;

impl UnderWay {
    /// From a Land's cells; `rank` gives a service number's rank in id
    /// order. `None` if their days span 179 years or more, which the
    /// list cannot hold.
    pub fn of<'a>(
        cells: impl IntoIterator<Item = (&'a (Ags, ServiceNo), &'a Packed)>,
        rank: impl Fn(ServiceNo) -> u32,
    ) -> Option<Self> {
        // In AGS order, each municipality's cells by service id: the order
        // within a day of the last step.
        let mut pieces: Vec<Entry> = Vec::new();
        let mut municipality: Vec<(u32, ServiceNo, &Packed)> = Vec::new();
        let mut cells = cells.into_iter().peekable();
        while let Some(ags) = cells.peek().map(|((ags, _), _)| *ags) {
            municipality.clear();
            while let Some((&(_, no), packed)) = cells.next_if(|((next, _), _)| *next == ags) {
                municipality.push((rank(no), no, packed));
            }
            municipality.sort_unstable_by_key(|(rank, _, _)| *rank);
            for &(_, no, packed) in &municipality {
                for piece in packed.pieces().filter(|p| under_way(p.counted.stage)) {
                    let holds = (
                        piece.from.days_since_epoch(),
                        piece.until.map(Date::days_since_epoch),
                    );
                    pieces.push((piece.counted.since.days_since_epoch(), holds, ags, no));
                }
            }
        }
        let Some(&(_, _, filler, _)) = pieces.first() else {
            return Some(Self::default());
        };
        let first = (pieces.iter())
            .map(|(since, (from, _), _, _)| (*since).min(*from))
            .min()
            .unwrap_or(0);
        let offset = |day: i32| u16::try_from(day - first).ok().filter(|day| *day != OPEN);
        // A stable counting sort by the day of the last step.
        let mut starts = vec![0usize; usize::from(OPEN) + 1];
        for (since, _, _, _) in &pieces {
            starts[usize::from(offset(*since)?) + 1] += 1;
        }
        for day in 1..starts.len() {
            starts[day] += starts[day - 1];
        }
        let mut list = Self {
            first,
            since: vec![0; pieces.len()],
            holds: vec![(0, 0); pieces.len()],
            targets: vec![filler; pieces.len()],
            services: vec![0; pieces.len()],
            blocks: Vec::new(),
        };
        for (since, (from, until), ags, no) in pieces {
            let since = offset(since)?;
            let until = match until {
                Some(until) => offset(until)?,
                None => OPEN,
            };
            let at = &mut starts[usize::from(since)];
            list.since[*at] = since;
            list.holds[*at] = (offset(from)?, until);
            list.targets[*at] = ags;
            list.services[*at] = no;
            *at += 1;
        }
        list.blocks = (list.holds.chunks(BLOCK))
            .map(|block| {
                let mut summary = Block::default();
                for (bit, &(_, until)) in block.iter().enumerate() {
                    if until == OPEN {
                        summary.open |= 1 << bit;
                    } else {
                        summary.closed_until = summary.closed_until.max(until);
                    }
                }
                summary
            })
            .collect();
        Some(list)
    }

    /// The cells under way on `day` with no step for at least `days_min`
    /// days (of service `service` only, if given), the longest waiting
    /// first: how many there are, and those from the `offset`-th on, at
    /// most `limit`.
    pub fn stalled(
        &self,
        day: Date,
        days_min: u32,
        service: Option<ServiceNo>,
        (offset, limit): (usize, usize),
    ) -> (usize, Vec<(Ags, ServiceNo)>) {
        let on = i64::from(day.days_since_epoch()) - i64::from(self.first);
        let latest = on - i64::from(days_min);
        let waiting = self
            .since
            .partition_point(|since| i64::from(*since) <= latest);
        // Before the first day nothing holds; beyond the last a day only
        // the open pieces hold.
        let Ok(on) = u16::try_from(on.min(i64::from(OPEN))) else {
            return (0, Vec::new());
        };
        let mut total = 0;
        let mut page = Vec::new();
        let mut take = |at: usize| {
            let (from, until) = self.holds[at];
            if from > on || (on >= until && until != OPEN) {
                return;
            }
            if service.is_some_and(|no| self.services[at] != no) {
                return;
            }
            if total >= offset && page.len() < limit {
                page.push((self.targets[at], self.services[at]));
            }
            total += 1;
        };
        for (number, block) in self.blocks.iter().enumerate() {
            let start = number * BLOCK;
            if start >= waiting {
                break;
            }
            let end = (start + BLOCK).min(waiting);
            if block.closed_until > on {
                (start..end).for_each(&mut take);
            } else {
                // Only the open pieces can hold.
                let mut open = block.open;
                while open != 0 {
                    let at = start + open.trailing_zeros() as usize;
                    if at >= end {
                        break;
                    }
                    take(at);
                    open &= open - 1;
                }
            }
        }
        (total, page)
    }

    /// The bytes the list takes, for the index's bound.
    pub fn size(&self) -> usize {
        self.since.capacity() * std::mem::size_of::<u16>()
            + self.holds.capacity() * std::mem::size_of::<(u16, u16)>()
            + self.targets.capacity() * std::mem::size_of::<Ags>()
            + self.services.capacity() * std::mem::size_of::<ServiceNo>()
            + self.blocks.capacity() * std::mem::size_of::<Block>()
    }
}

/// The first day on which a cell counted with `old` pieces counts
/// otherwise with `new` ones (`None`: no cell), if any.
pub fn first_change(old: Option<&Packed>, new: Option<&Packed>) -> Option<Date> {
    let mut days: Vec<Date> = [old, new]
        .into_iter()
        .flatten()
        .flat_map(|packed| packed.pieces())
        .flat_map(|piece| std::iter::once(piece.from).chain(piece.until))
        .collect();
    days.sort_unstable();
    days.dedup();
    // The count of either is the same from one of these days to the next.
    days.into_iter()
        .find(|day| old.and_then(|p| p.on(*day)) != new.and_then(|p| p.on(*day)))
}

#[cfg(test)]
mod tests {
    use efa_proto::AdoptionStage::{self, *};

    use super::*;
    use crate::index::pieces::Piece;
    use crate::testing::{ags, date};

    /// A piece of Erfurt's own adoption.
    fn piece(from: &str, until: Option<&str>, stage: AdoptionStage) -> Piece {
        crate::testing::piece(from, until, stage, "16051000")
    }

    #[test]
    fn the_stalled_on_a_day_are_the_pieces_under_way_then_in_order() {
        let erfurt = Packed::pack(&[
            piece("2024-01-01", Some("2024-03-01"), Requested),
            piece("2024-03-01", Some("2024-09-01"), Agreed),
            piece("2024-09-01", None, Live),
        ])
        .unwrap();
        let weimar = Packed::pack(&[piece("2024-02-01", None, Requested)]).unwrap();
        let keys = [(ags("16051000"), 3), (ags("16055000"), 1)];
        let cells = [(&keys[0], &erfurt), (&keys[1], &weimar)];
        let list = UnderWay::of(cells, |no| no).unwrap();
        let all = (0, usize::MAX);
        assert_eq!(list.stalled(date("2023-12-31"), 0, None, all), (0, vec![]));
        assert_eq!(
            list.stalled(date("2024-02-15"), 0, None, all),
            (2, vec![keys[0], keys[1]])
        );
        // Erfurt's step on 2024-03-01 puts it behind Weimar.
        assert_eq!(
            list.stalled(date("2024-06-01"), 0, None, all),
            (2, vec![keys[1], keys[0]])
        );
        assert_eq!(
            list.stalled(date("2024-06-01"), 100, None, all),
            (1, vec![keys[1]])
        );
        assert_eq!(
            list.stalled(date("2024-06-01"), 0, Some(3), all),
            (1, vec![keys[0]])
        );
        assert_eq!(
            list.stalled(date("2024-06-01"), 0, None, (1, 5)),
            (2, vec![keys[0]])
        );
        assert_eq!(
            list.stalled(date("2024-10-01"), 0, None, all),
            (1, vec![keys[1]])
        );
        // Long after the last day, the open pieces still hold.
        assert_eq!(
            list.stalled(date("2199-01-01"), 0, None, all),
            (1, vec![keys[1]])
        );
    }

    /// Over many blocks, some of whose closed pieces all ended: the same
    /// as going through every piece.
    #[test]
    fn blocks_passed_by_their_open_pieces_answer_as_every_piece() {
        let first = date("2024-01-01").days_since_epoch();
        let day = |n: i32| Date::try_from(first + n).unwrap();
        let mut cells = Vec::new();
        for n in 0..300u32 {
            let start = day(i32::try_from(n).unwrap()).to_string();
            let pieces = if n % 7 == 0 {
                vec![piece(&start, None, Requested)]
            } else {
                let end = day(i32::try_from(n + 5 + n % 40).unwrap()).to_string();
                vec![piece(&start, Some(&end), Agreed), piece(&end, None, Live)]
            };
            let key = (Ags::try_from(16_051_000 + n).unwrap(), n % 3);
            cells.push((key, Packed::pack(&pieces).unwrap()));
        }
        let list = UnderWay::of(cells.iter().map(|(k, p)| (k, p)), |no| no).unwrap();
        for n in [-1, 0, 3, 63, 64, 100, 200, 299, 320, 400, 1000] {
            for (days_min, service) in [(0, None), (10, None), (30, Some(1))] {
                let on = day(n);
                let mut expected: Vec<(Date, Ags, ServiceNo)> = (cells.iter())
                    .filter(|((_, no), _)| service.is_none_or(|s| s == *no))
                    .filter_map(|((ags, no), packed)| {
                        let counted = packed.on(on)?;
                        let waited = on.days_since_epoch() - counted.since.days_since_epoch();
                        (under_way(counted.stage) && waited >= i32::try_from(days_min).unwrap())
                            .then_some((counted.since, *ags, *no))
                    })
                    .collect();
                expected.sort();
                let expected: Vec<(Ags, ServiceNo)> =
                    expected.into_iter().map(|(_, ags, no)| (ags, no)).collect();
                let (total, page) = list.stalled(on, days_min, service, (2, 30));
                assert_eq!(total, expected.len(), "day {n}");
                let shown: Vec<_> = expected.iter().skip(2).take(30).copied().collect();
                assert_eq!(page, shown, "day {n}");
            }
        }
    }

    #[test]
    fn days_that_span_179_years_make_no_list() {
        let early = Packed::pack(&[piece("1900-01-01", None, Requested)]).unwrap();
        let late = Packed::pack(&[piece("2080-01-01", None, Requested)]).unwrap();
        let keys = [(ags("16051000"), 0), (ags("16055000"), 0)];
        assert!(UnderWay::of([(&keys[0], &early), (&keys[1], &late)], |_| 0).is_none());
        assert!(UnderWay::of([(&keys[0], &early)], |_| 0).is_some());
    }

    #[test]
    fn a_step_changes_a_cell_from_its_day_on() {
        let before = Packed::pack(&[piece("2024-01-01", None, Requested)]).unwrap();
        let after = Packed::pack(&[
            piece("2024-01-01", Some("2024-06-01"), Requested),
            piece("2024-06-01", None, Agreed),
        ])
        .unwrap();
        assert_eq!(
            first_change(Some(&before), Some(&after)),
            Some(date("2024-06-01"))
        );
        assert_eq!(first_change(Some(&before), Some(&before)), None);
        assert_eq!(first_change(None, Some(&after)), Some(date("2024-01-01")));
        assert_eq!(first_change(Some(&after), None), Some(date("2024-01-01")));
        assert_eq!(first_change(None, None), None);
    }
}
