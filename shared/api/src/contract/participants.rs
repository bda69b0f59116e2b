//! The bodies that register participants: municipalities (Gemeinden) and
//! their renaming, merger and retirement, Kreise, and operators with the
//! region they act for.

use efa_proto::{
    Ags, Command, Date, KreisKey, LandCode, MergeGemeinde, OperatorId, Population, Region,
    RegisterGemeinde, RegisterKreis, RegisterOperator, Rejection, RenameGemeinde, RetireGemeinde,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::field::{self, Text, Via};
use super::{Parsed, WriteBody, dated};
use crate::values;

const NAME_CHARS_MAX: usize = 200;

/// `POST /api/v1/gemeinden`: `{"ags", "name", "population"?, "population_date"?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterGemeinde)]
pub struct Gemeinde {
    #[schema(value_type = values::Ags)]
    pub ags: Via<Ags>,
    pub name: Text<{ NAME_CHARS_MAX }>,
    #[schema(value_type = Option<u64>)]
    pub population: Option<Via<u64>>,
    #[schema(value_type = Option<values::Date>)]
    pub population_date: Option<Via<Date>>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Gemeinde {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let command = Command::RegisterGemeinde(RegisterGemeinde {
            ags: self.ags.0,
            name: self.name.0,
            population: population(self.population, self.population_date)?,
        });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/kreise`: `{"key", "name", "population"?, "population_date"?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterKreis)]
pub struct Kreis {
    #[schema(value_type = values::KreisKey)]
    pub key: Via<KreisKey>,
    pub name: Text<{ NAME_CHARS_MAX }>,
    #[schema(value_type = Option<u64>)]
    pub population: Option<Via<u64>>,
    #[schema(value_type = Option<values::Date>)]
    pub population_date: Option<Via<Date>>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Kreis {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let command = Command::RegisterKreis(RegisterKreis {
            key: self.key.0,
            name: self.name.0,
            population: population(self.population, self.population_date)?,
        });
        dated(command, self.effective)
    }
}

/// A count and its reference date come together or not at all.
fn population(
    count: Option<Via<u64>>,
    date: Option<Via<Date>>,
) -> Result<Option<Population>, Rejection> {
    match (count, date) {
        (Some(Via(count)), Some(Via(reference_date))) => Ok(Some(Population {
            count,
            reference_date,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Rejection::invalid(
            "population_date",
            "fehlt; eine Einwohnerzahl braucht ihren Stichtag",
        )),
        (None, Some(_)) => Err(Rejection::invalid(
            "population",
            "fehlt; ein Stichtag braucht eine Einwohnerzahl",
        )),
    }
}

/// `PUT /api/v1/gemeinden/{ags}`: `{"name"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RenameGemeinde)]
pub struct Rename {
    pub name: Text<{ NAME_CHARS_MAX }>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Rename {
    type Path = Ags;

    fn command(self, ags: Ags) -> Result<Parsed, Rejection> {
        let name = self.name.0;
        let command = Command::RenameGemeinde(RenameGemeinde { ags, name });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/gemeinden/{ags}/merger`: `{"successor"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MergeGemeinde)]
pub struct Merger {
    #[schema(value_type = values::Ags)]
    pub successor: Via<Ags>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Merger {
    type Path = Ags;

    fn command(self, ags: Ags) -> Result<Parsed, Rejection> {
        let Via(successor) = self.successor;
        let command = Command::MergeGemeinde(MergeGemeinde { ags, successor });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/gemeinden/{ags}/retirement`: `{}`, or only the date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RetireGemeinde)]
pub struct Retirement {
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Retirement {
    type Path = Ags;
    const OPTIONAL: bool = true;

    fn command(self, ags: Ags) -> Result<Parsed, Rejection> {
        let command = Command::RetireGemeinde(RetireGemeinde { ags });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/operators`: `{"id", "name", "region": {"land": "16"} |
/// {"kreise": ["16051", ...]}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterOperator)]
pub struct Operator {
    #[schema(value_type = values::OperatorId)]
    pub id: Via<OperatorId>,
    pub name: Text<{ NAME_CHARS_MAX }>,
    #[serde(deserialize_with = "field::object")]
    pub region: RegionBody,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

/// `{"land": "16"}` or `{"kreise": ["16051", ...]}`, exactly one key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Region)]
pub struct RegionBody {
    #[schema(value_type = Option<values::LandCodeIn>)]
    pub land: Option<Via<LandCode>>,
    #[schema(value_type = Option<Vec<values::KreisKey>>)]
    pub kreise: Option<Vec<Via<KreisKey>>>,
}

impl WriteBody for Operator {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let region = match (self.region.land, self.region.kreise) {
            (Some(Via(land)), None) => Region::Land(land),
            (None, Some(kreise)) => Region::Kreise(kreise.into_iter().map(|Via(k)| k).collect()),
            _ => {
                let reason = "muss {\"land\": \"NN\"} oder {\"kreise\": [\"NNNNN\", …]} sein";
                return Err(Rejection::invalid("region", reason));
            }
        };
        let command = Command::RegisterOperator(RegisterOperator {
            operator: self.id.0,
            name: self.name.0,
            region,
        });
        dated(command, self.effective)
    }
}
