//! One service's cells in a list of their own, kept by the index for the
//! views of one service as of any day (its detail, its counted
//! adoptions). The index holds its cells by the municipality they count
//! for, so that a Land's are one range; a service's are found through a
//! second set of keys, each cell then a lookup in a map of millions,
//! about 1 µs at Germany's size, 4 to 5 ms for a service's 4,200
//! (BENCHMARKS.md, "A service's detail as of any day"). Here a service's
//! cells lie in AGS order with their packed bytes in one buffer: 23 bytes
//! a cell at 10 million events, about 58 MB for all of Germany's 600
//! services.

use efa_proto::{Ags, Date};

use super::packed::{Packed, counted_on};
use crate::views::Counted;

/// A service's cells: the municipality each counts for and its packed
/// pieces, in AGS order.
#[derive(Debug, Default)]
pub struct ServiceCells {
    targets: Vec<Ags>,
    /// Where each cell's bytes end in `bytes`.
    ends: Vec<u32>,
    bytes: Vec<u8>,
}

impl ServiceCells {
    /// The cells in AGS order; `None` if their bytes do not fit the
    /// offsets (over 4 GiB, which no service comes near).
    pub fn of<'a>(cells: impl IntoIterator<Item = (Ags, &'a Packed)>) -> Option<Self> {
        let mut list = Self::default();
        for (target, packed) in cells {
            list.bytes.extend_from_slice(packed.bytes());
            list.ends.push(u32::try_from(list.bytes.len()).ok()?);
            list.targets.push(target);
        }
        list.targets.shrink_to_fit();
        list.ends.shrink_to_fit();
        list.bytes.shrink_to_fit();
        Some(list)
    }

    /// The counted adoption of each cell on `day`, where there is one.
    pub fn counted_on(&self, day: Date) -> impl Iterator<Item = (Ags, Counted)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.targets
            .iter()
            .zip(starts.zip(self.ends.iter().copied()))
            .filter_map(move |(target, (start, end))| {
                let bytes = self.bytes.get(start as usize..end as usize)?;
                Some((*target, counted_on(bytes, day)?))
            })
    }

    /// The counted adoption on `day` of each cell of a municipality in
    /// `targets`, where there is one.
    pub fn counted_in(
        &self,
        targets: std::ops::RangeInclusive<Ags>,
        day: Date,
    ) -> impl Iterator<Item = (Ags, Counted)> + '_ {
        let start = self.targets.partition_point(|ags| ags < targets.start());
        let end = self.targets.partition_point(|ags| ags <= targets.end());
        let first = start.checked_sub(1).map_or(0, |before| self.ends[before]);
        let starts = std::iter::once(first).chain(self.ends[start..end].iter().copied());
        self.targets[start..end]
            .iter()
            .zip(starts.zip(self.ends[start..end].iter().copied()))
            .filter_map(move |(target, (from, to))| {
                let bytes = self.bytes.get(from as usize..to as usize)?;
                Some((*target, counted_on(bytes, day)?))
            })
    }

    /// The bytes the list takes, for the index's bound.
    pub fn size(&self) -> usize {
        self.targets.len() * std::mem::size_of::<Ags>()
            + self.ends.len() * std::mem::size_of::<u32>()
            + self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::AdoptionStage;

    use super::*;
    use crate::testing::{ags, date, piece};

    /// Each cell of the list answers on every day as its own packed
    /// pieces do, and a cell without an adoption on the day is left out.
    #[test]
    fn a_list_answers_each_day_as_its_cells_do() {
        let erfurt = Packed::pack(&[
            piece(
                "2023-01-10",
                Some("2023-06-01"),
                AdoptionStage::Requested,
                "16051000",
            ),
            piece("2023-06-01", None, AdoptionStage::Live, "16051000"),
        ])
        .unwrap();
        let weimar = Packed::pack(&[piece(
            "2024-03-01",
            Some("2024-09-01"),
            AdoptionStage::Agreed,
            "16071001",
        )])
        .unwrap();
        let cells = [(ags("16051000"), &erfurt), (ags("16055000"), &weimar)];
        let list = ServiceCells::of(cells).unwrap();
        assert_eq!(
            list.size(),
            2 * 4 + 2 * 4 + erfurt.bytes().len() + weimar.bytes().len()
        );
        for day in [
            "2022-12-31",
            "2023-01-10",
            "2023-06-01",
            "2024-03-01",
            "2024-09-01",
        ] {
            let day = date(day);
            let expected: Vec<(Ags, Counted)> = cells
                .iter()
                .filter_map(|(target, packed)| Some((*target, packed.on(day)?)))
                .collect();
            assert_eq!(list.counted_on(day).collect::<Vec<_>>(), expected, "{day}");
        }
        assert_eq!(list.counted_on(date("2022-12-31")).count(), 0);
        assert_eq!(list.counted_on(date("2024-05-01")).count(), 2);
    }
}
