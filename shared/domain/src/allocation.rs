//! Cost sharing, exactly as the registry defines it, so that anyone can
//! recompute every cent:
//!
//! - the year's amount is spread evenly over its days;
//! - each day's part is split among the Länder taking part that day
//!   (joined on or before it, not yet left) in proportion to their
//!   weights, renormalised over those Länder;
//! - a Land's exact share is the sum over the days; days on which no Land
//!   takes part (or all weigh 0) are unallocated;
//! - the exact shares are rounded once, on the yearly totals, by the
//!   largest-remainder method: floor every share, then give the remaining
//!   cents one by one to the largest fractional parts, ties to the lower
//!   Land code. The unallocated amount takes part in the rounding as one
//!   more bucket that loses every tie, so shares and unallocated add up to
//!   the total to the cent, and the shares to the allocated total.
//!
//! Arithmetic is on exact rationals (big integers), never floats.

use std::collections::{BTreeMap, BTreeSet};

use efa_proto::{Cents, CostModel, Date, LandCode};
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

/// One participation of a Land: from `joined` (inclusive) to `left`
/// (exclusive: on the day it leaves it no longer takes part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub land: LandCode,
    pub joined: Date,
    pub left: Option<Date>,
}

impl Interval {
    fn covers(&self, day: i32) -> bool {
        self.joined.days_since_epoch() <= day
            && self.left.is_none_or(|left| day < left.days_since_epoch())
    }
}

/// One Land's share, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocatedShare {
    pub land: LandCode,
    pub weight: u64,
    /// Days of the year on which the Land took part.
    pub days: u32,
    /// The exact share before rounding, in cents.
    pub exact_cents: BigRational,
    /// The exact share as a fraction of the allocated amount.
    pub fraction: BigRational,
    /// The rounded share.
    pub cents: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub total: Cents,
    pub allocated: Cents,
    pub unallocated: Cents,
    pub days_in_year: u32,
    /// Every Land that took part on at least one day, by code.
    pub shares: Vec<AllocatedShare>,
}

fn year_days(year: i32) -> (i32, i32) {
    let first = Date::from_ymd(year, 1, 1).expect("January 1st exists in every supported year");
    let next = Date::from_ymd(year + 1, 1, 1).expect("January 1st exists in every supported year");
    (first.days_since_epoch(), next.days_since_epoch())
}

/// The days from `first` to before `next`, grouped by the set of Länder
/// taking part on them. The set changes only on a day some participation
/// starts or ends, so the year is cut at those days and each piece's set
/// is found once: a handful of pieces instead of a set per day.
fn days_per_set(
    first: i32,
    next: i32,
    participations: &[Interval],
) -> BTreeMap<BTreeSet<LandCode>, u32> {
    let mut cuts = vec![first, next];
    for participation in participations {
        let starts = participation.joined.days_since_epoch();
        let ends = participation.left.map(|left| left.days_since_epoch());
        cuts.extend(
            std::iter::once(starts)
                .chain(ends)
                .filter(|day| first < *day && *day < next),
        );
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut days_per_set: BTreeMap<BTreeSet<LandCode>, u32> = BTreeMap::new();
    for piece in cuts.windows(2) {
        let (start, end) = (piece[0], piece[1]);
        let set = participations
            .iter()
            .filter(|p| p.covers(start))
            .map(|p| p.land)
            .collect();
        *days_per_set.entry(set).or_default() += (end - start) as u32;
    }
    days_per_set
}

/// Splits `amount` of `year` among the Länder of `participations` by
/// `weights` (missing Länder weigh 0).
pub fn allocate(
    amount: Cents,
    year: i32,
    participations: &[Interval],
    weights: &BTreeMap<LandCode, u64>,
) -> Allocation {
    let (first, next) = year_days(year);
    let days_in_year = (next - first) as u32;
    let days_per_set = days_per_set(first, next, participations);
    let weight_of = |land: &LandCode| weights.get(land).copied().unwrap_or(0);
    // A Land's exact share is the amount times its weight times the sum,
    // over the sets it is in, of the set's days over the set's weight, all
    // over the days of the year. Over one denominator (the year's days
    // times the least common multiple of the set weights) that sum is an
    // integer, and each share one fraction, reduced once.
    let set_weights: Vec<u64> = days_per_set
        .keys()
        .map(|set| set.iter().map(weight_of).sum())
        .collect();
    let common = set_weights
        .iter()
        .filter(|weight| **weight > 0)
        .fold(BigInt::from(1), |lcm, weight| {
            lcm.lcm(&BigInt::from(*weight))
        });
    let mut day_sums: BTreeMap<LandCode, BigInt> = BTreeMap::new();
    let mut days: BTreeMap<LandCode, u32> = BTreeMap::new();
    let mut unallocated_days = 0u32;
    for ((set, count), set_weight) in days_per_set.iter().zip(set_weights) {
        for land in set {
            *days.entry(*land).or_default() += count;
        }
        if set_weight == 0 {
            unallocated_days += count;
            for land in set {
                day_sums.entry(*land).or_default();
            }
            continue;
        }
        let in_units = BigInt::from(*count) * (&common / BigInt::from(set_weight));
        for land in set {
            *day_sums.entry(*land).or_default() += &in_units;
        }
    }
    let denominator = BigInt::from(days_in_year) * &common;
    let exact: BTreeMap<LandCode, BigRational> = day_sums
        .into_iter()
        .map(|(land, sum)| {
            let numerator = BigInt::from(amount.0) * BigInt::from(weight_of(&land)) * sum;
            (land, BigRational::new(numerator, denominator.clone()))
        })
        .collect();
    let amount_r = BigRational::from_integer(BigInt::from(amount.0));
    let unallocated_exact =
        &amount_r * BigRational::new(BigInt::from(unallocated_days), BigInt::from(days_in_year));
    let rounded = largest_remainder(amount.0, &exact, &unallocated_exact);
    let allocated_exact = &amount_r - &unallocated_exact;
    let shares = exact
        .iter()
        .map(|(land, exact_cents)| AllocatedShare {
            land: *land,
            weight: weight_of(land),
            days: days[land],
            fraction: if allocated_exact.is_zero() {
                BigRational::zero()
            } else {
                exact_cents / &allocated_exact
            },
            exact_cents: exact_cents.clone(),
            cents: Cents(rounded.shares[land]),
        })
        .collect::<Vec<_>>();
    let allocated: i64 = shares.iter().map(|s| s.cents.0).sum();
    Allocation {
        total: amount,
        allocated: Cents(allocated),
        unallocated: Cents(rounded.unallocated),
        days_in_year,
        shares,
    }
}

struct Rounded {
    shares: BTreeMap<LandCode, i64>,
    unallocated: i64,
}

/// Floors every bucket, then hands out the remaining cents to the largest
/// fractional parts; ties go to the lower Land code, the unallocated
/// bucket loses every tie.
fn largest_remainder(
    total: i64,
    exact: &BTreeMap<LandCode, BigRational>,
    unallocated: &BigRational,
) -> Rounded {
    // Bucket key: Some(land) for a Land, None for unallocated (sorts last
    // among equal remainders because of the explicit ordering below).
    let mut buckets: Vec<(Option<LandCode>, i64, BigRational)> = exact
        .iter()
        .map(|(land, value)| {
            let (floor, rest) = floor_and_rest(value);
            (Some(*land), floor, rest)
        })
        .collect();
    let (floor, rest) = floor_and_rest(unallocated);
    buckets.push((None, floor, rest));
    let floors: i64 = buckets.iter().map(|(_, f, _)| f).sum();
    let mut remaining = total - floors;
    debug_assert!(
        remaining >= 0 && remaining as usize <= buckets.len(),
        "at most one cent per bucket remains"
    );
    let mut order: Vec<usize> = (0..buckets.len()).collect();
    order.sort_by(|&a, &b| {
        let (la, _, ra) = &buckets[a];
        let (lb, _, rb) = &buckets[b];
        rb.cmp(ra).then_with(|| match (la, lb) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    for index in order {
        if remaining == 0 {
            break;
        }
        if buckets[index].2.is_positive() {
            buckets[index].1 += 1;
            remaining -= 1;
        }
    }
    let mut shares = BTreeMap::new();
    let mut unallocated_cents = 0;
    for (land, cents, _) in buckets {
        match land {
            Some(land) => {
                shares.insert(land, cents);
            }
            None => unallocated_cents = cents,
        }
    }
    Rounded {
        shares,
        unallocated: unallocated_cents,
    }
}

/// The whole part of `value` (rounded down) and what is left, in [0, 1).
/// The rest needs no reducing: it shares no factor with the denominator,
/// as the numerator did not (`BigRational` keeps values in lowest terms).
fn floor_and_rest(value: &BigRational) -> (i64, BigRational) {
    let (floor, rest) = value.numer().div_mod_floor(value.denom());
    let floor = floor
        .to_i64()
        .expect("a share of an i64 amount fits in i64");
    let rest = if rest.is_zero() {
        BigRational::zero()
    } else {
        BigRational::new_raw(rest, value.denom().clone())
    };
    (floor, rest)
}

/// The reference data a cost model may need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceData {
    /// Allocation keys by year, in key units.
    pub keys: BTreeMap<u16, BTreeMap<LandCode, u64>>,
    /// Population of the Länder by reference date.
    pub populations: BTreeMap<Date, BTreeMap<LandCode, u64>>,
}

/// The weights a model gives for costs of `year`, and where they come
/// from (German, for the explanation); or why there are none.
pub fn weights_for(
    model: &CostModel,
    year: u16,
    reference: &ReferenceData,
) -> Result<(BTreeMap<LandCode, u64>, String), String> {
    match model {
        CostModel::EqualShares => Ok((
            LandCode::all().map(|land| (land, 1)).collect(),
            "gleiche Anteile".to_owned(),
        )),
        CostModel::FixedShares { weights } => Ok((
            weights
                .iter()
                .map(|(land, w)| (*land, u64::from(*w)))
                .collect(),
            "feste Anteile".to_owned(),
        )),
        CostModel::KoenigsteinerSchluessel {
            year: Some(key_year),
        } => match reference.keys.get(key_year) {
            Some(key) => Ok((key.clone(), format!("Königsteiner Schlüssel {key_year}"))),
            None => Err(format!(
                "Der Königsteiner Schlüssel {key_year} ist nicht veröffentlicht."
            )),
        },
        CostModel::KoenigsteinerSchluessel { year: None } => {
            match reference.keys.range(..=year).next_back() {
                Some((key_year, key)) => {
                    Ok((key.clone(), format!("Königsteiner Schlüssel {key_year}")))
                }
                None => Err(format!(
                    "Kein Königsteiner Schlüssel für {year} oder früher veröffentlicht."
                )),
            }
        }
        CostModel::Population => {
            let end_of_year = Date::from_ymd(i32::from(year), 12, 31).map_err(|e| e.to_string())?;
            match reference.populations.range(..=end_of_year).next_back() {
                Some((date, figures)) => Ok((figures.clone(), format!("Einwohner zum {date}"))),
                None => Err(format!(
                    "Keine Einwohnerzahlen bis Ende {year} veröffentlicht."
                )),
            }
        }
    }
}

/// A rational as (numerator, denominator) decimal strings, reduced:
/// `BigRational` keeps its values in lowest terms (`new` and every
/// operation reduce), so they are written as they are.
pub fn exact_parts(value: &BigRational) -> (String, String) {
    (value.numer().to_string(), value.denom().to_string())
}
