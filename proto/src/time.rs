//! The two time axes of every event: when it was recorded (`Timestamp`,
//! set by the ledger's clock) and when it takes effect in the world (`Date`,
//! stated by the caller). Both are plain integers on the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::IdError;

/// A calendar date (proleptic Gregorian), stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct Date(i32);

/// The years the registry keeps costs, allocation keys and population
/// figures for: the domain refuses others, and a year outside them names
/// nothing to read.
pub const REGISTER_YEARS: std::ops::RangeInclusive<u16> = 2000..=2100;

/// The years of the dates the registry accepts: the OZG era with
/// generous margins.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = YEAR_MIN..=YEAR_MAX;
const YEAR_MIN: i32 = 1900;
const YEAR_MAX: i32 = 2200;
/// The same as days since 1970-01-01, so that a number of days is
/// checked by two comparisons (the projector's index checks every date
/// it unpacks).
const DAYS_MIN: i32 = days_from_civil(YEAR_MIN, 1, 1);
const DAYS_MAX: i32 = days_from_civil(YEAR_MAX, 12, 31);

impl Date {
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self, IdError> {
        let invalid = || IdError {
            kind: "Date",
            reason: "not a valid calendar date between 1900 and 2200",
            input: format!("{year:04}-{month:02}-{day:02}"),
        };
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid());
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(invalid());
        }
        Ok(Self(days_from_civil(year, month, day)))
    }

    /// Parses ISO 8601 `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let invalid = || IdError {
            kind: "Date",
            reason: "must be YYYY-MM-DD",
            input: text.to_owned(),
        };
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u32, IdError> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| invalid())
            } else {
                Err(invalid())
            }
        };
        let year = number(0..4)? as i32;
        Self::from_ymd(year, number(5..7)?, number(8..10)?)
    }

    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }
}

impl TryFrom<i32> for Date {
    type Error = IdError;
    fn try_from(days: i32) -> Result<Self, IdError> {
        if (DAYS_MIN..=DAYS_MAX).contains(&days) {
            Ok(Self(days))
        } else {
            Err(IdError {
                kind: "Date",
                reason: "outside 1900 to 2200",
                input: days.to_string(),
            })
        }
    }
}

impl From<Date> for i32 {
    fn from(date: Date) -> i32 {
        date.0
    }
}

impl Date {
    /// The date as German texts write it: `01.07.2023`.
    pub fn de(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{d:02}.{m:02}.{y:04}")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 for a civil date, by the era arithmetic of the
/// Gregorian 400-year cycle (146,097 days).
const fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = month as i32;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of `days_from_civil`.
fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// The UTC calendar date of this instant.
    pub fn date(self) -> Date {
        let days = self.0.div_euclid(86_400_000_000) as i32;
        Date(days)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day_micros = self.0.rem_euclid(86_400_000_000);
        let secs = day_micros / 1_000_000;
        let micros = day_micros % 1_000_000;
        write!(
            f,
            "{}T{:02}:{:02}:{:02}.{:06}Z",
            self.date(),
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            micros
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_text() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "2026-11-30",
            "1900-01-01",
            "2200-12-31",
        ] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days_since_epoch(), 1);
        assert_eq!(
            Date::parse("2000-03-01").unwrap().days_since_epoch(),
            11_017
        );
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "24-01-01",
            "2024/01/01",
            "1899-12-31",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn every_day_in_range_round_trips() {
        let first = Date::parse("1900-01-01").unwrap().0;
        let last = Date::parse("2200-12-31").unwrap().0;
        for days in first..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn days_are_dates_exactly_from_1900_to_2200() {
        let first = Date::parse("1900-01-01").unwrap().0;
        let last = Date::parse("2200-12-31").unwrap().0;
        assert!(Date::try_from(first - 1).is_err());
        assert_eq!(Date::try_from(first).map(|d| d.ymd()), Ok((1900, 1, 1)));
        assert_eq!(Date::try_from(last).map(|d| d.ymd()), Ok((2200, 12, 31)));
        assert!(Date::try_from(last + 1).is_err());
        assert!(Date::try_from(i32::MIN).is_err());
        assert!(Date::try_from(i32::MAX).is_err());
    }

    #[test]
    fn timestamps_show_as_iso() {
        let t = Timestamp::from_micros(86_400_000_000 + 3_661_000_001);
        assert_eq!(t.to_string(), "1970-01-02T01:01:01.000001Z");
    }
}
