//! One cell's pieces (`pieces.rs`) packed into a few bytes, the form in
//! which the index keeps them and writes them to its file.
//!
//! At 10 million events the index holds about 2.6 million cells of three
//! to four pieces each; as a list of 24-byte pieces they took about a
//! quarter of the projector's memory. Neighbouring pieces mostly share
//! their bounds, their adopter, and start on the day of their last step,
//! so each piece is written as a tag byte and only what the tag does not
//! imply, with the dates as small differences (LEB128 varints).
//!
//! A piece's tag holds its stage's index (bits 0-2) and these flags:
//! - `OPEN`: it holds from then on (no end written; only the last piece);
//! - `ABUTS`: the next piece starts on its end (the next start not written);
//! - `SINCE_IS_FROM`: its last step is its first day (not written);
//! - `SAME_ADOPTER`: its adopter is the previous piece's (not written).
//!
//! Then, as far as written: the start (the first piece's as zigzag days
//! since 1970-01-01, a later one's as days after the previous end), the
//! end as days after the start, the last step as zigzag days before the
//! start, and the adopter's AGS. Bytes read from a file are checked
//! whole (`TryFrom`) before they are kept, so that reading them back
//! later cannot fail.

use efa_proto::{AdoptionStage, Ags, Date};

use super::pieces::Piece;
use crate::views::Counted;

const STAGE_BITS: u8 = 0b0000_0111;
const OPEN: u8 = 0b0000_1000;
const ABUTS: u8 = 0b0001_0000;
const SINCE_IS_FROM: u8 = 0b0010_0000;
const SAME_ADOPTER: u8 = 0b0100_0000;
const TAG_BITS: u8 = STAGE_BITS | OPEN | ABUTS | SINCE_IS_FROM | SAME_ADOPTER;

/// The pieces of one cell, packed; never empty.
#[derive(Clone, PartialEq, Eq)]
pub struct Packed(Box<[u8]>);

/// Bytes that are not a cell's pieces as `Packed` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not the packed pieces of a counted adoption")]
pub struct NotPacked;

impl Packed {
    /// Packs `pieces`: ordered, not overlapping, each ending after it
    /// starts; `None` for an empty list or one that is not.
    pub fn pack(pieces: &[Piece]) -> Option<Self> {
        let mut bytes = Vec::with_capacity(4 + 3 * pieces.len());
        let mut previous: Option<&Piece> = None;
        for (at, piece) in pieces.iter().enumerate() {
            let next = pieces.get(at + 1);
            if piece.until.is_some_and(|until| until <= piece.from)
                || (piece.until.is_none() && next.is_some())
                || next.is_some_and(|next| piece.until.is_some_and(|until| next.from < until))
            {
                return None;
            }
            let mut tag = stage_bits(piece.counted.stage);
            let abuts = next.is_some_and(|next| piece.until == Some(next.from));
            if piece.until.is_none() {
                tag |= OPEN;
            }
            if abuts {
                tag |= ABUTS;
            }
            if piece.counted.since == piece.from {
                tag |= SINCE_IS_FROM;
            }
            let same_adopter = previous.is_some_and(|p| p.counted.adopter == piece.counted.adopter);
            if same_adopter {
                tag |= SAME_ADOPTER;
            }
            bytes.push(tag);
            match previous {
                None => put(&mut bytes, zigzag(piece.from.days_since_epoch())),
                Some(previous) => {
                    // Its end is known to be at or before this start.
                    if let Some(end) = previous.until
                        && end != piece.from
                    {
                        put(&mut bytes, u64::from(days(end, piece.from).unsigned_abs()));
                    }
                }
            }
            if let Some(until) = piece.until {
                put(
                    &mut bytes,
                    u64::from(days(piece.from, until).unsigned_abs()),
                );
            }
            if piece.counted.since != piece.from {
                put(&mut bytes, zigzag(days(piece.counted.since, piece.from)));
            }
            if !same_adopter {
                put(&mut bytes, u64::from(u32::from(piece.counted.adopter)));
            }
            previous = Some(piece);
        }
        (!bytes.is_empty()).then(|| Self(bytes.into_boxed_slice()))
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> Unpack<'_> {
        unpack(&self.0)
    }

    /// The counted adoption on `day`, if any.
    pub fn on(&self, day: Date) -> Option<Counted> {
        counted_on(&self.0, day)
    }

    /// The packed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The counted adoption on `day` of a cell's packed bytes (as
/// [`Packed::bytes`] gives them), if any.
pub fn counted_on(bytes: &[u8], day: Date) -> Option<Counted> {
    unpack(bytes)
        .take_while(|piece| piece.from <= day)
        .find(|piece| piece.holds_on(day))
        .map(|piece| piece.counted)
}

/// The pieces of a cell's packed bytes, one by one.
fn unpack(bytes: &[u8]) -> Unpack<'_> {
    Unpack {
        bytes,
        previous: None,
    }
}

impl TryFrom<&[u8]> for Packed {
    type Error = NotPacked;

    /// Takes bytes read back only if they unpack whole into pieces that
    /// would pack to the same bytes.
    fn try_from(bytes: &[u8]) -> Result<Self, NotPacked> {
        let mut unpack = unpack(bytes);
        let pieces: Vec<Piece> = unpack.by_ref().collect();
        if !unpack.bytes.is_empty() {
            return Err(NotPacked);
        }
        match Self::pack(&pieces) {
            Some(packed) if *packed.0 == *bytes => Ok(packed),
            _ => Err(NotPacked),
        }
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.pieces()).finish()
    }
}

impl serde::Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Packed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(PackedVisitor)
    }
}

/// Checks the bytes where the deserializer lends them (the index file's
/// reader does), so that each cell is copied once, into its `Packed`.
struct PackedVisitor;

impl<'de> serde::de::Visitor<'de> for PackedVisitor {
    type Value = Packed;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("packed pieces as bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Packed, E> {
        Packed::try_from(bytes).map_err(E::custom)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Packed, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(byte) = seq.next_element()? {
            bytes.push(byte);
        }
        self.visit_bytes(&bytes)
    }
}

/// The pieces of packed bytes, one by one; ends early at bytes that do
/// not unpack (which a `Packed` never holds).
#[derive(Debug, Clone)]
pub struct Unpack<'a> {
    bytes: &'a [u8],
    previous: Option<(Piece, bool)>,
}

impl Iterator for Unpack<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        let (&tag, rest) = self.bytes.split_first()?;
        if tag & !TAG_BITS != 0 {
            return None;
        }
        let mut rest = rest;
        let from = match self.previous {
            None => Date::try_from(unzigzag(take(&mut rest)?)?).ok()?,
            Some((previous, abuts)) => {
                let end = previous.until?;
                if abuts {
                    end
                } else {
                    later(end, take(&mut rest)?)?
                }
            }
        };
        let until = if tag & OPEN == 0 {
            Some(later(from, take(&mut rest)?).filter(|until| *until > from)?)
        } else {
            None
        };
        let since = if tag & SINCE_IS_FROM == 0 {
            let before = unzigzag(take(&mut rest)?)?;
            Date::try_from(from.days_since_epoch().checked_sub(before)?).ok()?
        } else {
            from
        };
        let adopter = if tag & SAME_ADOPTER == 0 {
            Ags::try_from(u32::try_from(take(&mut rest)?).ok()?).ok()?
        } else {
            self.previous?.0.counted.adopter
        };
        let stage = *AdoptionStage::ALL.get(usize::from(tag & STAGE_BITS))?;
        let piece = Piece {
            from,
            until,
            counted: Counted {
                stage,
                since,
                adopter,
            },
        };
        self.bytes = rest;
        self.previous = Some((piece, tag & ABUTS != 0));
        Some(piece)
    }
}

fn stage_bits(stage: AdoptionStage) -> u8 {
    crate::asof::stage_index(stage) as u8
}

/// Days from `from` until `to`.
fn days(from: Date, to: Date) -> i32 {
    to.days_since_epoch() - from.days_since_epoch()
}

/// The day `days` after `date`, if it is a date.
fn later(date: Date, days: u64) -> Option<Date> {
    let days = i32::try_from(days).ok()?;
    Date::try_from(date.days_since_epoch().checked_add(days)?).ok()
}

fn zigzag(value: i32) -> u64 {
    u64::from(((value << 1) ^ (value >> 31)) as u32)
}

fn unzigzag(value: u64) -> Option<i32> {
    let value = u32::try_from(value).ok()?;
    Some(((value >> 1) as i32) ^ -((value & 1) as i32))
}

/// Appends `value` as a LEB128 varint.
fn put(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Takes a LEB128 varint of at most five bytes off the front of `bytes`.
fn take(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (at, &byte) in bytes.iter().enumerate().take(5) {
        value |= u64::from(byte & 0x7f) << (7 * at);
        if byte & 0x80 == 0 {
            *bytes = &bytes[at + 1..];
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ags, date};
    use AdoptionStage::{Agreed, Live, Onboarding, Requested};
    use proptest::prelude::*;

    fn piece_of(
        from: Date,
        until: Option<Date>,
        stage: AdoptionStage,
        since: Date,
        adopter: Ags,
    ) -> Piece {
        Piece {
            from,
            until,
            counted: Counted {
                stage,
                since,
                adopter,
            },
        }
    }

    /// A piece of one municipality's own adoption, starting with its step.
    fn piece(from: &str, until: Option<&str>, stage: AdoptionStage) -> Piece {
        piece_of(
            date(from),
            until.map(date),
            stage,
            date(from),
            ags("16051000"),
        )
    }

    #[test]
    fn a_usual_course_packs_into_few_bytes_and_back() {
        let pieces = [
            piece("2021-03-01", Some("2021-05-10"), Requested),
            piece("2021-05-10", Some("2021-09-01"), Agreed),
            piece("2021-09-01", Some("2022-01-15"), Onboarding),
            piece("2022-01-15", None, Live),
        ];
        let packed = Packed::pack(&pieces).expect("ordered pieces pack");
        assert_eq!(packed.pieces().collect::<Vec<_>>(), pieces);
        assert!(packed.bytes().len() <= 20, "{} bytes", packed.bytes().len());
        let stage_on = |day| packed.on(date(day)).map(|counted| counted.stage);
        assert_eq!(stage_on("2021-12-31"), Some(Onboarding));
        assert_eq!(stage_on("2021-02-28"), None);
        assert_eq!(stage_on("2030-01-01"), Some(Live));
    }

    #[test]
    fn bad_lists_do_not_pack() {
        let open_then_more = [
            piece("2021-01-01", None, Requested),
            piece("2021-02-01", None, Agreed),
        ];
        let overlapping = [
            piece("2021-01-01", Some("2021-03-01"), Requested),
            piece("2021-02-01", None, Agreed),
        ];
        let empty_span = [piece("2021-01-01", Some("2021-01-01"), Live)];
        assert_eq!(Packed::pack(&[]), None);
        assert_eq!(Packed::pack(&open_then_more), None);
        assert_eq!(Packed::pack(&overlapping), None);
        assert_eq!(Packed::pack(&empty_span), None);
    }

    #[test]
    fn bytes_that_do_not_unpack_whole_are_refused() {
        let mut late_step = piece("2021-03-01", None, Live);
        late_step.counted.since = date("2020-12-01");
        let packed = Packed::pack(&[late_step]).expect("one piece packs");
        let mut longer = packed.bytes().to_vec();
        longer.push(0);
        let cut = &packed.bytes()[..packed.bytes().len() - 1];
        let mut bad_tag = packed.bytes().to_vec();
        bad_tag[0] |= 0x80;
        let mut bad_stage = packed.bytes().to_vec();
        bad_stage[0] |= 0b111;
        for bytes in [longer, cut.to_vec(), bad_tag, bad_stage, Vec::new()] {
            assert_eq!(Packed::try_from(&bytes[..]), Err(NotPacked));
        }
        let same = Packed::try_from(packed.bytes());
        assert_eq!(same, Ok(packed));
    }

    /// Ordered pieces with random gaps, ends, last steps and adopters.
    fn any_pieces() -> impl Strategy<Value = Vec<Piece>> {
        let step = (
            0i32..400,
            1i32..400,
            prop::sample::select(AdoptionStage::ALL.to_vec()),
            0i32..800,
            prop::bool::ANY,
            0usize..3,
        );
        let start = -20_000i32..60_000;
        (start, prop::collection::vec(step, 1..8), prop::bool::ANY).prop_map(
            |(start, steps, open)| {
                let adopters = [ags("16051000"), ags("09162000"), ags("01001000")];
                let day_of = |days: i32| Date::try_from(days).expect("within 1900 to 2200");
                let mut day = start;
                let count = steps.len();
                let mut pieces = Vec::new();
                for (at, (gap, length, stage, before, abut, adopter)) in
                    steps.into_iter().enumerate()
                {
                    let from = if abut && at > 0 { day } else { day + gap };
                    let until = from + length;
                    let open_end = open && at + 1 == count;
                    let until = (!open_end).then(|| day_of(until));
                    pieces.push(piece_of(
                        day_of(from),
                        until,
                        stage,
                        day_of(from - before),
                        adopters[adopter],
                    ));
                    day = from + length;
                }
                pieces
            },
        )
    }

    proptest! {
        #[test]
        fn pieces_come_back_as_packed_and_answer_each_day_alike(pieces in any_pieces(), probe in -21_000i32..65_000) {
            let packed = Packed::pack(&pieces).expect("generated pieces are ordered");
            prop_assert_eq!(packed.pieces().collect::<Vec<_>>(), pieces.clone());
            let read = Packed::try_from(packed.bytes());
            prop_assert_eq!(read.as_ref(), Ok(&packed));
            if let Ok(day) = Date::try_from(probe) {
                let holding = pieces.iter().find(|piece| piece.holds_on(day));
                prop_assert_eq!(packed.on(day), holding.map(|piece| piece.counted));
            }
        }
    }
}
