//! Writes to a municipality's adoption of a service: the request, the
//! steps that follow (agreed, onboarding, live) and the withdrawal.

use efa_proto::{
    AdoptionStage, Ags, Command, RecordAdoptionStep, Rejection, RequestAdoption, ServiceId,
    WithdrawAdoption,
};
use serde_json::Value;

use super::Parsed;
use crate::body;

/// The stages a step may reach; the request and the withdrawal have their
/// own requests.
pub const STEP_STAGES: [AdoptionStage; 3] = [
    AdoptionStage::Agreed,
    AdoptionStage::Onboarding,
    AdoptionStage::Live,
];

/// `POST /api/v1/adoptions`: `{"service", "ags", "note"?}`.
pub fn request(body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["service", "ags", "note", "effective"])?;
    let command = Command::RequestAdoption(RequestAdoption {
        service: fields.service("service")?,
        ags: fields.ags("ags")?,
        note: fields.note("note")?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/adoptions/{service}/{ags}/steps`: `{"stage", "note"?}`.
pub fn step(service: ServiceId, ags: Ags, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["stage", "note", "effective"])?;
    let keys = STEP_STAGES.map(AdoptionStage::key);
    let stage = fields.choice("stage", &keys, AdoptionStage::from_key)?;
    let command = Command::RecordAdoptionStep(RecordAdoptionStep {
        service,
        ags,
        stage,
        note: fields.note("note")?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

/// `POST /api/v1/adoptions/{service}/{ags}/withdrawal`: `{"note"?}`.
pub fn withdraw(service: ServiceId, ags: Ags, body: &Value) -> Result<Parsed, Rejection> {
    let fields = body::object(body, &["note", "effective"])?;
    let command = Command::WithdrawAdoption(WithdrawAdoption {
        service,
        ags,
        note: fields.note("note")?,
    });
    Ok(Parsed::new(command, fields.effective()?))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_step_names_one_of_three_stages() {
        let service = ServiceId::parse("wohngeld").unwrap();
        let ags = Ags::parse("16051000").unwrap();
        let parsed = step(service.clone(), ags, &json!({"stage": "live"})).unwrap();
        let Command::RecordAdoptionStep(step_cmd) = parsed.command else {
            panic!("not a step");
        };
        assert_eq!(
            (step_cmd.stage, step_cmd.note.as_str()),
            (AdoptionStage::Live, "")
        );
        for bad in ["requested", "withdrawn", "LIVE", ""] {
            let result = step(service.clone(), ags, &json!({"stage": bad}));
            assert!(
                matches!(result, Err(Rejection::Invalid { ref field, .. }) if field == "stage"),
                "{bad}: {result:?}"
            );
        }
    }
}
