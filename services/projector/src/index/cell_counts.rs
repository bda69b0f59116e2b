//! How many cells count on each day, per Kreis and per Land and service,
//! kept at apply time. A Land's rollout page as of a day nobody asked
//! for before reads its totals, the services it lists and the Kreis its
//! rows start in from these, then goes through the cells of one or two
//! Kreise only; the whole Land's cells on that day (Bayern's 470,000 at
//! Germany's size, 33 ms) are made only for today's pages, which writes
//! patch (`lands.rs`).

use std::collections::BTreeMap;

use efa_proto::{Ags, Date, KreisKey, LandCode};

use super::ServiceNo;
use super::packed::Packed;
use super::steps::Steps;

/// Counted cells by day, per Kreis and per Land and service.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CellCounts {
    kreise: BTreeMap<KreisKey, Steps>,
    land_services: BTreeMap<(LandCode, ServiceNo), Steps>,
}

impl CellCounts {
    /// The counts of `cells`, given by AGS and service number in order.
    pub fn of<'a>(cells: impl IntoIterator<Item = (&'a (Ags, ServiceNo), &'a Packed)>) -> Self {
        let mut counts = Self::default();
        // One Land's or one Kreis's changes at a time: a Land's by
        // service, so that no list as long as all cells is held.
        let mut land: Vec<(ServiceNo, Date, i64)> = Vec::new();
        let mut kreis: Vec<(Date, i64)> = Vec::new();
        let mut current: Option<KreisKey> = None;
        for (&(ags, no), pieces) in cells {
            if current != Some(ags.kreis()) {
                if let Some(done) = current {
                    counts.put_kreis(done, &mut kreis);
                    if done.land() != ags.land() {
                        counts.put_land(done.land(), &mut land);
                    }
                }
                current = Some(ags.kreis());
            }
            for (from, until) in counted_spans(pieces) {
                kreis.push((from, 1));
                land.push((no, from, 1));
                if let Some(until) = until {
                    kreis.push((until, -1));
                    land.push((no, until, -1));
                }
            }
        }
        if let Some(done) = current {
            counts.put_kreis(done, &mut kreis);
            counts.put_land(done.land(), &mut land);
        }
        counts
    }

    fn put_kreis(&mut self, kreis: KreisKey, changes: &mut Vec<(Date, i64)>) {
        let steps = Steps::from_changes(changes);
        if !steps.is_empty() {
            self.kreise.insert(kreis, steps);
        }
        changes.clear();
    }

    fn put_land(&mut self, land: LandCode, changes: &mut Vec<(ServiceNo, Date, i64)>) {
        changes.sort_unstable_by_key(|(no, _, _)| *no);
        let mut service: Vec<(Date, i64)> = Vec::new();
        for same in changes.chunk_by(|a, b| a.0 == b.0) {
            service.clear();
            service.extend(same.iter().map(|&(_, day, delta)| (day, delta)));
            let steps = Steps::from_changes(&mut service);
            if !steps.is_empty() {
                self.land_services.insert((land, same[0].0), steps);
            }
        }
        changes.clear();
    }

    /// Counts the cell of `ags` and service `no` with `new` pieces where
    /// it counted with `old` ones (`None`: no cell). A step leaves the
    /// days a cell counts as they were, so mostly nothing changes.
    pub fn replace(&mut self, key: (Ags, ServiceNo), old: Option<&Packed>, new: Option<&Packed>) {
        let spans = |pieces: Option<&Packed>| pieces.map(counted_spans).unwrap_or_default();
        let (old_spans, new_spans) = (spans(old), spans(new));
        if old_spans != new_spans {
            self.add_spans(key, &old_spans, -1);
            self.add_spans(key, &new_spans, 1);
        }
    }

    /// Counts the cell of `ags` and service `no` with `pieces` in
    /// (`sign` 1) or out (-1).
    #[cfg(test)]
    pub fn add(&mut self, key: (Ags, ServiceNo), pieces: &Packed, sign: i64) {
        self.add_spans(key, &counted_spans(pieces), sign);
    }

    fn add_spans(
        &mut self,
        (ags, no): (Ags, ServiceNo),
        spans: &[(Date, Option<Date>)],
        sign: i64,
    ) {
        if spans.is_empty() {
            return;
        }
        for &(from, until) in spans {
            for steps in [
                self.kreise.entry(ags.kreis()).or_default(),
                self.land_services.entry((ags.land(), no)).or_default(),
            ] {
                steps.add(from, until, sign);
            }
        }
        if self
            .kreise
            .get(&ags.kreis())
            .is_some_and(|steps| steps.is_empty())
        {
            self.kreise.remove(&ags.kreis());
        }
        if self
            .land_services
            .get(&(ags.land(), no))
            .is_some_and(|steps| steps.is_empty())
        {
            self.land_services.remove(&(ags.land(), no));
        }
    }

    /// The Kreise of `land` with cells counted on `day`, by key, with how
    /// many.
    pub fn kreise_on(
        &self,
        land: LandCode,
        day: Date,
    ) -> impl Iterator<Item = (KreisKey, u32)> + '_ {
        let first = KreisKey::try_from(u32::from(u8::from(land)) * 1_000)
            .expect("a Land code followed by three zeros is a Kreis key");
        self.kreise
            .range(first..)
            .take_while(move |(kreis, _)| kreis.land() == land)
            .map(move |(kreis, steps)| (*kreis, steps.on(day)))
            .filter(|(_, count)| *count > 0)
    }

    /// The services with cells counted in `land` on `day`, by number,
    /// with how many.
    pub fn services_on(
        &self,
        land: LandCode,
        day: Date,
    ) -> impl Iterator<Item = (ServiceNo, u32)> + '_ {
        self.land_services
            .range((land, 0)..=(land, ServiceNo::MAX))
            .map(move |((_, no), steps)| (*no, steps.on(day)))
            .filter(|(_, count)| *count > 0)
    }

    /// About the bytes the counts take.
    pub fn size(&self) -> usize {
        let steps = self.kreise.values().chain(self.land_services.values());
        steps.map(|steps| steps.size() + 32).sum()
    }
}

/// The days on which a cell with `pieces` counts: its pieces with those
/// that abut joined.
fn counted_spans(pieces: &Packed) -> Vec<(Date, Option<Date>)> {
    let mut spans: Vec<(Date, Option<Date>)> = Vec::with_capacity(1);
    for piece in pieces.pieces() {
        match spans.last_mut() {
            Some((_, until)) if *until == Some(piece.from) => *until = piece.until,
            _ => spans.push((piece.from, piece.until)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use efa_proto::AdoptionStage;

    use super::*;
    use crate::index::pieces::Piece;
    use crate::testing::{ags, date, piece};

    fn packed(spans: &[(&str, Option<&str>)]) -> Packed {
        let pieces: Vec<Piece> = spans
            .iter()
            .map(|(from, until)| piece(from, *until, AdoptionStage::Requested, "16051000"))
            .collect();
        Packed::pack(&pieces).expect("ordered pieces")
    }

    /// Counts made at once and counts kept cell by cell agree, and count
    /// on each day the cells counted then.
    #[test]
    fn counts_kept_cell_by_cell_are_the_counts_made_at_once() {
        let erfurt_a = packed(&[("2024-01-01", Some("2024-03-01")), ("2024-03-01", None)]);
        let erfurt_b = packed(&[("2024-02-01", Some("2024-05-01"))]);
        let weimar_a = packed(&[("2023-06-01", Some("2024-02-01")), ("2024-04-01", None)]);
        let munich_a = packed(&[("2025-01-01", None)]);
        let cells = [
            ((ags("09162000"), 0), munich_a.clone()),
            ((ags("16051000"), 0), erfurt_a.clone()),
            ((ags("16051000"), 1), erfurt_b.clone()),
            ((ags("16055000"), 0), weimar_a.clone()),
        ];
        let made = CellCounts::of(cells.iter().map(|(key, pieces)| (key, pieces)));
        let mut kept = CellCounts::default();
        for (key, pieces) in &cells {
            kept.add(*key, pieces, 1);
        }
        assert_eq!(kept, made);
        let thueringen = LandCode::new(16).unwrap();
        let on = |day: &str| {
            let services: Vec<_> = made.services_on(thueringen, date(day)).collect();
            let kreise: Vec<_> = made.kreise_on(thueringen, date(day)).collect();
            (services, kreise)
        };
        let erfurt = ags("16051000").kreis();
        let weimar = ags("16055000").kreis();
        assert_eq!(on("2023-01-01"), (vec![], vec![]));
        assert_eq!(on("2023-07-01"), (vec![(0, 1)], vec![(weimar, 1)]));
        assert_eq!(on("2024-02-15"), (vec![(0, 1), (1, 1)], vec![(erfurt, 2)]));
        assert_eq!(
            on("2024-06-01"),
            (vec![(0, 2)], vec![(erfurt, 1), (weimar, 1)])
        );
        let bayern = LandCode::new(9).unwrap();
        assert_eq!(
            made.services_on(bayern, date("2025-02-01"))
                .collect::<Vec<_>>(),
            vec![(0, 1)]
        );
        // Taken out again, a cell leaves no trace.
        kept.add((ags("09162000"), 0), &munich_a, -1);
        kept.add((ags("16051000"), 1), &erfurt_b, -1);
        let rest = [&cells[1], &cells[3]];
        assert_eq!(
            kept,
            CellCounts::of(rest.map(|(key, pieces)| (key, pieces)))
        );
    }
}
