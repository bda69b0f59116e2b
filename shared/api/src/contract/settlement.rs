//! The bodies of a Jahresabrechnung: closing a service's year and the
//! correction of a Land's participation.

use efa_proto::{
    Command, CorrectParticipation, Date, LandCode, ParticipationChange, Rejection, ServiceId,
};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::field::{self, Text, Via, Year};
use super::{Parsed, REASON_CHARS_MAX, WriteBody};
use crate::values;

/// `POST /api/v1/services/{id}/closings`: `{"year": 2024}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CloseYear)]
pub struct Closing {
    pub year: Year,
}

/// `POST /api/v1/services/{id}/participation-corrections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CorrectParticipation)]
pub struct ParticipationCorrection {
    #[schema(value_type = values::LandCodeIn)]
    pub land: Via<LandCode>,
    #[serde(deserialize_with = "change")]
    #[schema(value_type = values::ParticipationChange)]
    pub change: ParticipationChange,
    pub reason: Text<{ REASON_CHARS_MAX }>,
    #[schema(value_type = values::Date)]
    pub effective: Via<Date>,
}

/// The keys of `change`.
pub const CHANGES: [&str; 2] = ["beitritt", "austritt"];

fn change<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ParticipationChange, D::Error> {
    field::choice(deserializer, &CHANGES, |key| match key {
        "beitritt" => Some(ParticipationChange::Join),
        "austritt" => Some(ParticipationChange::Leave),
        _ => None,
    })
}

impl WriteBody for ParticipationCorrection {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let command = Command::CorrectParticipation(CorrectParticipation {
            service,
            land: self.land.0,
            change: self.change,
            reason: self.reason.0,
        });
        Ok(Parsed::new(command, Some(self.effective.0)))
    }
}
