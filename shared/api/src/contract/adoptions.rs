//! The bodies of a municipality's adoption of a service: the request, the
//! steps that follow (agreed, onboarding, live) and the withdrawal.

use efa_proto::{
    AdoptionStage, Ags, Command, Date, RecordAdoptionStep, Rejection, RequestAdoption, ServiceId,
    WithdrawAdoption,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use super::field::{self, Note, Via};
use super::{Parsed, WriteBody, dated};
use crate::values;

/// The stages a step may reach; the request and the withdrawal have their
/// own requests.
pub const STEP_STAGES: [AdoptionStage; 3] = [
    AdoptionStage::Agreed,
    AdoptionStage::Onboarding,
    AdoptionStage::Live,
];

/// `POST /api/v1/adoptions`: `{"service", "ags", "note"?}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestAdoption)]
pub struct Request {
    #[schema(value_type = values::ServiceId)]
    pub service: Via<ServiceId>,
    #[schema(value_type = values::Ags)]
    pub ags: Via<Ags>,
    pub note: Option<Note>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Request {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let command = Command::RequestAdoption(RequestAdoption {
            service: self.service.0,
            ags: self.ags.0,
            note: Note::of(self.note),
        });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/adoptions/{service}/{ags}/steps`: `{"stage", "note"?}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdoptionStep)]
pub struct Step {
    #[serde(deserialize_with = "step_stage", serialize_with = "stage_key")]
    #[schema(value_type = values::StepStage)]
    pub stage: AdoptionStage,
    pub note: Option<Note>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

fn step_stage<'de, D: Deserializer<'de>>(deserializer: D) -> Result<AdoptionStage, D::Error> {
    let keys = STEP_STAGES.map(AdoptionStage::key);
    field::choice(deserializer, &keys, AdoptionStage::from_key)
}

fn stage_key<S: Serializer>(stage: &AdoptionStage, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(stage.key())
}

impl WriteBody for Step {
    type Path = (ServiceId, Ags);

    fn command(self, (service, ags): (ServiceId, Ags)) -> Result<Parsed, Rejection> {
        let command = Command::RecordAdoptionStep(RecordAdoptionStep {
            service,
            ags,
            stage: self.stage,
            note: Note::of(self.note),
        });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/adoptions/{service}/{ags}/withdrawal`: `{"note"?}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WithdrawAdoption)]
pub struct Withdrawal {
    pub note: Option<Note>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Withdrawal {
    type Path = (ServiceId, Ags);
    const OPTIONAL: bool = true;

    fn command(self, (service, ags): (ServiceId, Ags)) -> Result<Parsed, Rejection> {
        let command = Command::WithdrawAdoption(WithdrawAdoption {
            service,
            ags,
            note: Note::of(self.note),
        });
        dated(command, self.effective)
    }
}
