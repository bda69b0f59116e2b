//! Cost sharing: a hand-computed split with a Land joining mid-year, the
//! rounding rule, unallocated days, and properties over random inputs,
//! among them the exact shares against a day-by-day count.

#![allow(clippy::unwrap_used)] // test code: a failed step should fail the test loudly

use std::collections::BTreeMap;

use efa_domain::allocation::{Interval, ReferenceData, allocate, weights_for};
use efa_proto::{Cents, CostModel, Date, LandCode};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Zero;
use proptest::prelude::*;

fn land(code: u8) -> LandCode {
    LandCode::new(code).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

/// Königsteiner Schlüssel 2016 shares of Schleswig-Holstein and Thüringen,
/// in units of 1/100,000 percent (3.39074 % and 2.69470 %).
const SH_2016: u64 = 339_074;
const TH_2016: u64 = 269_470;

#[test]
fn thueringen_joining_on_july_1st_pays_for_184_of_365_days() {
    let participations = [
        Interval {
            land: land(1),
            joined: date("2019-12-01"),
            left: None,
        },
        Interval {
            land: land(16),
            joined: date("2023-07-01"),
            left: None,
        },
    ];
    let weights = BTreeMap::from([(land(1), SH_2016), (land(16), TH_2016)]);
    let split = allocate(Cents(100_000_000), 2023, &participations, &weights);

    // By hand: January 1st to June 30th are 181 days of Schleswig-Holstein
    // alone; July 1st to December 31st are 184 days shared by weight.
    // Thüringen: 100,000,000 * 184/365 * 269,470 / (339,074 + 269,470).
    let numerator: u128 = 100_000_000 * 184 * 269_470;
    let denominator: u128 = 365 * (339_074 + 269_470);
    let th_floor = (numerator / denominator) as i64; // 22,322,529 cents and 0.0133 of a cent
    let th_fraction = numerator % denominator; // compared with SH's fraction below
    let sh_floor = 100_000_000 - th_floor - 1; // the fractions of two shares of an integer add up to 1
    let sh_fraction = denominator - th_fraction;
    let (th, sh) = if th_fraction > sh_fraction {
        (th_floor + 1, sh_floor)
    } else {
        (th_floor, sh_floor + 1)
    };
    assert_eq!(th_floor, 22_322_529);
    assert!(
        sh_fraction > th_fraction,
        "Schleswig-Holstein has the larger remainder and gets the cent"
    );

    assert_eq!(split.days_in_year, 365);
    assert_eq!(split.unallocated, Cents(0));
    assert_eq!(split.allocated, Cents(100_000_000));
    let by_land: BTreeMap<LandCode, (i64, u32)> = split
        .shares
        .iter()
        .map(|s| (s.land, (s.cents.0, s.days)))
        .collect();
    assert_eq!(by_land[&land(16)], (th, 184));
    assert_eq!(by_land[&land(1)], (sh, 365));
}

#[test]
fn days_before_the_announcement_are_unallocated_and_leaving_ends_the_share() {
    let participations = [
        Interval {
            land: land(4),
            joined: date("2024-03-01"),
            left: None,
        },
        Interval {
            land: land(16),
            joined: date("2024-03-01"),
            left: Some(date("2024-07-01")),
        },
    ];
    let weights = BTreeMap::from([(land(4), 1), (land(16), 1)]);
    let split = allocate(Cents(36_600), 2024, &participations, &weights); // 100 cents a day in a leap year
    // January and February: 60 days nobody takes part.
    assert_eq!(split.unallocated, Cents(6_000));
    // March to June (122 days) shared equally, July to December (184) Bremen alone.
    let by_land: BTreeMap<LandCode, (i64, u32)> = split
        .shares
        .iter()
        .map(|s| (s.land, (s.cents.0, s.days)))
        .collect();
    assert_eq!(by_land[&land(16)], (6_100, 122));
    assert_eq!(by_land[&land(4)], (6_100 + 18_400, 306));
    assert_eq!(split.allocated, Cents(36_600 - 6_000));
}

#[test]
fn remaining_cents_go_to_the_largest_remainders_ties_to_the_lower_code() {
    // Three equal Länder the whole year, 100 cents: 33.33 each; one cent
    // remains and the tie goes to the lowest code.
    let participations: Vec<Interval> = [3, 9, 14]
        .iter()
        .map(|c| Interval {
            land: land(*c),
            joined: date("2020-01-01"),
            left: None,
        })
        .collect();
    let weights = BTreeMap::from([(land(3), 1), (land(9), 1), (land(14), 1)]);
    let split = allocate(Cents(100), 2022, &participations, &weights);
    let cents: Vec<i64> = split.shares.iter().map(|s| s.cents.0).collect();
    assert_eq!(cents, [34, 33, 33]);
}

#[test]
fn weights_follow_the_model_with_the_documented_fallbacks() {
    let key = |v: u64| LandCode::all().map(|l| (l, v)).collect::<BTreeMap<_, _>>();
    let reference = ReferenceData {
        keys: BTreeMap::from([(2014, key(1)), (2016, key(2))]),
        populations: BTreeMap::from([(date("2018-12-31"), key(7)), (date("2020-12-31"), key(8))]),
    };
    let source = |model: CostModel, year| weights_for(&model, year, &reference).map(|(_, s)| s);
    assert_eq!(
        source(CostModel::KoenigsteinerSchluessel { year: None }, 2015),
        Ok("Königsteiner Schlüssel 2014".into())
    );
    assert_eq!(
        source(CostModel::KoenigsteinerSchluessel { year: None }, 2023),
        Ok("Königsteiner Schlüssel 2016".into())
    );
    assert!(source(CostModel::KoenigsteinerSchluessel { year: None }, 2013).is_err());
    assert_eq!(
        source(
            CostModel::KoenigsteinerSchluessel { year: Some(2014) },
            2023
        ),
        Ok("Königsteiner Schlüssel 2014".into())
    );
    assert!(
        source(
            CostModel::KoenigsteinerSchluessel { year: Some(2015) },
            2023
        )
        .is_err()
    );
    assert_eq!(
        source(CostModel::Population, 2019),
        Ok("Einwohner zum 2018-12-31".into())
    );
    assert_eq!(
        source(CostModel::Population, 2020),
        Ok("Einwohner zum 2020-12-31".into())
    );
    assert!(source(CostModel::Population, 2017).is_err());
}

fn intervals() -> impl Strategy<Value = Vec<Interval>> {
    proptest::collection::vec(
        (1u8..=16, 0i32..900, proptest::option::of(1i32..500)),
        0..20,
    )
    .prop_map(|raw| {
        let base = date("2022-06-01").days_since_epoch();
        raw.into_iter()
            .map(|(code, start, length)| Interval {
                land: land(code),
                joined: Date::try_from(base + start).unwrap(),
                left: length.map(|l| Date::try_from(base + start + l).unwrap()),
            })
            .collect()
    })
}

/// The rule read literally, as the oracle of `allocate`'s exact shares:
/// every day of the year, the Länder taking part that day share the
/// day's part of `amount` by their weights. Returns each Land's days and
/// exact share in cents, and the exact unallocated amount.
fn day_by_day(
    amount: i64,
    year: i32,
    participations: &[Interval],
    weights: &BTreeMap<LandCode, u64>,
) -> (BTreeMap<LandCode, (u32, BigRational)>, BigRational) {
    let first = Date::from_ymd(year, 1, 1).unwrap().days_since_epoch();
    let next = Date::from_ymd(year + 1, 1, 1).unwrap().days_since_epoch();
    let day_part = BigRational::new(BigInt::from(amount), BigInt::from(next - first));
    let mut shares: BTreeMap<LandCode, (u32, BigRational)> = BTreeMap::new();
    let mut unallocated = BigRational::zero();
    for day in first..next {
        let taking_part: std::collections::BTreeSet<LandCode> = participations
            .iter()
            .filter(|p| {
                p.joined.days_since_epoch() <= day
                    && p.left.is_none_or(|left| day < left.days_since_epoch())
            })
            .map(|p| p.land)
            .collect();
        let weight = |land: &LandCode| weights.get(land).copied().unwrap_or(0);
        let day_weight: u64 = taking_part.iter().map(weight).sum();
        if day_weight == 0 {
            unallocated += &day_part;
        }
        for land in &taking_part {
            let share = shares.entry(*land).or_insert((0, BigRational::zero()));
            share.0 += 1;
            if day_weight > 0 {
                share.1 += &day_part
                    * BigRational::new(BigInt::from(weight(land)), BigInt::from(day_weight));
            }
        }
    }
    (shares, unallocated)
}

proptest! {
    #[test]
    fn shares_follow_a_day_by_day_count_and_add_up_to_the_cent(
        participations in intervals(),
        weights in proptest::collection::btree_map(1u8..=16, 0u64..100_000_000, 0..16),
        amount in 0i64..1_000_000_000_000,
        year in 2022i32..2025,
    ) {
        let weights: BTreeMap<LandCode, u64> = weights.into_iter().map(|(c, w)| (land(c), w)).collect();
        let split = allocate(Cents(amount), year, &participations, &weights);
        let (expected, unallocated) = day_by_day(amount, year, &participations, &weights);
        let found: BTreeMap<LandCode, (u32, BigRational)> = split
            .shares
            .iter()
            .map(|s| (s.land, (s.days, s.exact_cents.clone())))
            .collect();
        prop_assert_eq!(found, expected);
        let allocated_exact: BigRational = split.shares.iter().map(|s| s.exact_cents.clone()).sum();
        prop_assert_eq!(allocated_exact + unallocated, BigRational::from_integer(BigInt::from(amount)));
        let sum: i64 = split.shares.iter().map(|s| s.cents.0).sum();
        prop_assert_eq!(sum, split.allocated.0);
        prop_assert_eq!(split.allocated.0 + split.unallocated.0, amount);
        prop_assert!(split.shares.iter().all(|s| s.cents.0 >= 0));
        prop_assert!(split.unallocated.0 >= 0);
        for share in &split.shares {
            // Rounding moves a share by less than one cent.
            let diff = num_rational::BigRational::from_integer(share.cents.0.into()) - &share.exact_cents;
            prop_assert!(diff < num_rational::BigRational::from_integer(1.into()));
            prop_assert!(diff > num_rational::BigRational::from_integer((-1).into()));
        }
    }

    #[test]
    fn a_share_does_not_depend_on_the_order_of_joining(
        participations in intervals(),
        amount in 0i64..10_000_000_000,
        seed in any::<u64>(),
    ) {
        let weights: BTreeMap<LandCode, u64> = LandCode::all().map(|l| (l, u64::from(l.get()) * 1_000)).collect();
        let mut shuffled = participations.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(allocate(Cents(amount), 2023, &participations, &weights), allocate(Cents(amount), 2023, &shuffled, &weights));
    }
}
