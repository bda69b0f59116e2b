//! The bodies of reference data: the allocation key of a year
//! (Königsteiner Schlüssel) and the population of the Länder on a
//! reference date. Percentages are read exactly, as decimal text, into
//! units of 1/100,000 percent: never through a float.

use std::collections::BTreeMap;

use efa_proto::participant::percent_to_key_units;
use efa_proto::{
    Command, Date, KEY_UNITS_TOTAL, PublishAllocationKey, PublishPopulation, Rejection,
};
use serde::de::Error;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::field::{self, Note, Via, Year};
use super::{Parsed, WriteBody, dated};
use crate::values;

/// `POST /api/v1/reference/allocation-keys`: `{"year", "shares": {"01":
/// "3,39074", ...}}` or `{"year", "units": {"01": 339074, ...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PublishAllocationKey)]
pub struct AllocationKey {
    pub year: Year,
    #[schema(value_type = Option<BTreeMap<values::LandKey, values::Percent>>)]
    pub shares: Option<BTreeMap<String, Percent>>,
    #[schema(value_type = Option<BTreeMap<values::LandKey, values::KeyUnits>>)]
    pub units: Option<BTreeMap<String, Units>>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

/// A percentage as text with at most five decimals, in key units.
#[derive(Debug, Clone, Copy)]
pub struct Percent(u32);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Note::deserialize(deserializer).ok();
        let units = text.and_then(|Note(text)| percent_to_key_units(&text));
        units
            .map(Percent)
            .ok_or_else(|| Error::custom(PERCENT_FORMAT))
    }
}

/// Key units (1/100,000 percent), at most the whole.
#[derive(Debug, Clone, Copy)]
pub struct Units(u32);

impl<'de> Deserialize<'de> for Units {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let units = Via::<u32>::deserialize(deserializer).ok();
        let units = units.filter(|Via(units)| *units <= KEY_UNITS_TOTAL);
        units
            .map(|Via(units)| Units(units))
            .ok_or_else(|| Error::custom(UNITS_FORMAT))
    }
}

impl WriteBody for AllocationKey {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let (sent, shares) = match (self.shares, self.units) {
            (Some(shares), None) => (
                "shares",
                field::per_land("shares", shares, |Percent(units)| units)?,
            ),
            (None, Some(units)) => (
                "units",
                field::per_land("units", units, |Units(units)| units)?,
            ),
            _ => {
                let reason =
                    "genau eines von shares (Prozent als Text) und units (1/100.000 %) angeben";
                return Err(Rejection::invalid("shares", reason));
            }
        };
        // The domain checks the whole too, but names its own field; here
        // the one sent is named.
        let total: u64 = shares.iter().map(|(_, units)| u64::from(*units)).sum();
        if total != u64::from(KEY_UNITS_TOTAL) {
            let percent = format!("{},{:05} %", total / 100_000, total % 100_000);
            let reason = format!("Anteile ergeben {percent}, nicht genau 100 %");
            return Err(Rejection::invalid(sent, reason));
        }
        let year = self.year.0;
        let command = Command::PublishAllocationKey(PublishAllocationKey { year, shares });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/reference/populations`: `{"reference_date", "figures":
/// {"01": 2896712, ...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PublishPopulation)]
pub struct Populations {
    #[schema(value_type = values::Date)]
    pub reference_date: Via<Date>,
    #[schema(value_type = BTreeMap<values::LandKey, u64>)]
    pub figures: BTreeMap<String, Via<u64>>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Populations {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let figures = field::per_land("figures", self.figures, |Via(count)| count)?;
        let command = Command::PublishPopulation(PublishPopulation {
            reference_date: self.reference_date.0,
            figures,
        });
        dated(command, self.effective)
    }
}

const PERCENT_FORMAT: &str =
    "muss ein Prozentsatz als Text mit höchstens 5 Nachkommastellen sein, etwa \"3,39074\"";
const UNITS_FORMAT: &str = "muss eine ganze Zahl von 0 bis 10000000 (1/100.000 %) sein";
