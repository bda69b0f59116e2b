//! The bodies that describe a service: `POST /api/v1/services` (announce)
//! and `PUT /api/v1/services/{id}` (update the details), read field by
//! field into commands with the proto's validators. Every mistake names
//! its field (`Rejection::Invalid`, answered with 422), so a client can
//! fix its request without guessing. Rules about who may announce what are
//! not checked here: that is the domain's job, behind the ledger.

use efa_proto::{
    AnnounceService, Channel, CostModel, Date, LandCode, Reifegrad, Rejection, ServiceId,
    ServiceStatus, UpdateServiceDetails,
};
use serde_json::Value;

use crate::body::{self, Fields};

const TITLE_CHARS_MAX: usize = 300;
const TEXT_CHARS_MAX: usize = 200;
const OZG_ID_CHARS_MAX: usize = 100;

/// The fields the announce body may have; anything else is most likely a
/// typo.
const KNOWN_FIELDS: [&str; 12] = [
    "id",
    "title",
    "lead",
    "ozg_id",
    "leika",
    "themenfeld",
    "provider",
    "channel",
    "cost_model",
    "status",
    "reifegrad",
    "effective",
];

/// The fields of the details body: the announce body without the id, the
/// lead, the status and the Reifegrad, which have their own requests.
pub const DETAIL_FIELDS: [&str; 8] = [
    "title",
    "ozg_id",
    "leika",
    "themenfeld",
    "provider",
    "channel",
    "cost_model",
    "effective",
];

/// A parsed announcement: the command and the day it takes effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub command: AnnounceService,
    pub effective: Option<Date>,
}

/// Reads the JSON body of an announcement.
pub fn parse(body: &Value) -> Result<Announcement, Rejection> {
    let fields = body::object(body, &KNOWN_FIELDS)?;
    let title = fields.required_text("title", TITLE_CHARS_MAX)?;
    let service = match fields.text("id")? {
        Some(id) => {
            ServiceId::parse(id).map_err(|_| Rejection::invalid("id", body::SLUG_FORMAT))?
        }
        None => ServiceId::slug_from_title(&title).map_err(|_| {
            Rejection::invalid(
                "id",
                "lässt sich nicht aus dem Titel ableiten; bitte angeben",
            )
        })?,
    };
    let details = details(&fields, service, title)?;
    let command = AnnounceService {
        service: details.service,
        title: details.title,
        lead: fields.land("lead")?,
        ozg_id: details.ozg_id,
        leika: details.leika,
        themenfeld: details.themenfeld,
        provider: details.provider,
        channel: details.channel,
        cost_model: details.cost_model,
        status: optional_status(&fields)?,
        reifegrad: optional_reifegrad(&fields)?,
    };
    let effective = fields.effective()?;
    Ok(Announcement { command, effective })
}

/// Reads the JSON body of `PUT /api/v1/services/{id}`: all details,
/// replaced whole, and the day the change takes effect.
pub fn parse_details(
    service: ServiceId,
    body: &Value,
) -> Result<(UpdateServiceDetails, Option<Date>), Rejection> {
    let fields = body::object(body, &DETAIL_FIELDS)?;
    let title = fields.required_text("title", TITLE_CHARS_MAX)?;
    let details = details(&fields, service, title)?;
    Ok((details, fields.effective()?))
}

/// The fields both bodies share, in the order a client reads them.
fn details(
    fields: &Fields<'_>,
    service: ServiceId,
    title: String,
) -> Result<UpdateServiceDetails, Rejection> {
    Ok(UpdateServiceDetails {
        service,
        title,
        ozg_id: ozg_id(fields)?,
        leika: leika(fields)?,
        themenfeld: fields.required_text("themenfeld", TEXT_CHARS_MAX)?,
        provider: fields.required_text("provider", TEXT_CHARS_MAX)?,
        channel: channel(fields)?,
        cost_model: cost_model(fields.get("cost_model"))?,
    })
}

/// Optional; a blank text counts as absent.
fn ozg_id(fields: &Fields<'_>) -> Result<Option<String>, Rejection> {
    let Some(text) = fields
        .text("ozg_id")?
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    if text.chars().count() > OZG_ID_CHARS_MAX {
        return Err(Rejection::invalid(
            "ozg_id",
            format!("darf höchstens {OZG_ID_CHARS_MAX} Zeichen lang sein"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A list of LeiKa keys as texts; their format is the domain's rule.
fn leika(fields: &Fields<'_>) -> Result<Vec<String>, Rejection> {
    let invalid = || Rejection::invalid("leika", "muss eine Liste von Texten sein");
    match fields.get("leika") {
        None => Ok(Vec::new()),
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|key| {
                key.as_str()
                    .map(|k| k.trim().to_owned())
                    .ok_or_else(invalid)
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}

fn channel(fields: &Fields<'_>) -> Result<Channel, Rejection> {
    fields.choice(
        "channel",
        &Channel::ALL.map(Channel::key),
        Channel::from_key,
    )
}

/// A required status (`"pilot"`).
pub fn status(fields: &Fields<'_>) -> Result<ServiceStatus, Rejection> {
    let keys = ServiceStatus::ALL.map(ServiceStatus::key);
    fields.choice("status", &keys, ServiceStatus::from_key)
}

fn optional_status(fields: &Fields<'_>) -> Result<ServiceStatus, Rejection> {
    match fields.get("status") {
        None => Ok(ServiceStatus::Planned),
        Some(_) => status(fields),
    }
}

/// A required Reifegrad, a whole number from 0 to 4.
pub fn reifegrad(fields: &Fields<'_>) -> Result<Reifegrad, Rejection> {
    fields
        .required("reifegrad")?
        .as_u64()
        .and_then(|level| u8::try_from(level).ok())
        .and_then(|level| Reifegrad::new(level).ok())
        .ok_or_else(|| Rejection::invalid("reifegrad", "muss eine ganze Zahl von 0 bis 4 sein"))
}

fn optional_reifegrad(fields: &Fields<'_>) -> Result<Reifegrad, Rejection> {
    match fields.get("reifegrad") {
        None => Reifegrad::new(0).map_err(|_| Rejection::invalid("reifegrad", "fehlt")),
        Some(_) => reifegrad(fields),
    }
}

/// `{"kind": "koenigsteiner-schluessel", "year": 2016}`, `{"kind": "population"}`,
/// `{"kind": "equal-shares"}` or `{"kind": "fixed-shares", "weights": {"04": 3}}`.
fn cost_model(value: Option<&Value>) -> Result<CostModel, Rejection> {
    let object = match value {
        None | Some(Value::Null) => return Err(Rejection::invalid("cost_model", "fehlt")),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(Rejection::invalid(
                "cost_model",
                "muss ein Objekt mit „kind“ sein",
            ));
        }
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| Rejection::invalid("cost_model.kind", "fehlt oder ist kein Text"))?;
    let allowed: &[&str] = match kind {
        "koenigsteiner-schluessel" => &["kind", "year"],
        "fixed-shares" => &["kind", "weights"],
        _ => &["kind"],
    };
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(Rejection::invalid(
            &format!("cost_model.{unknown}"),
            "ist für diese Art nicht vorgesehen",
        ));
    }
    match kind {
        "koenigsteiner-schluessel" => {
            let year = match object.get("year") {
                None | Some(Value::Null) => None,
                Some(year) => Some(
                    year.as_u64()
                        .and_then(|y| u16::try_from(y).ok())
                        .ok_or_else(|| {
                            Rejection::invalid("cost_model.year", "muss eine Jahreszahl sein")
                        })?,
                ),
            };
            Ok(CostModel::KoenigsteinerSchluessel { year })
        }
        "population" => Ok(CostModel::Population),
        "equal-shares" => Ok(CostModel::EqualShares),
        "fixed-shares" => Ok(CostModel::FixedShares {
            weights: weights(object.get("weights"))?,
        }),
        _ => Err(Rejection::invalid(
            "cost_model.kind",
            "muss koenigsteiner-schluessel, population, equal-shares oder fixed-shares sein",
        )),
    }
}

/// `{"04": 3, "16": 1}`: Land code to whole-number weight, sorted by Land.
fn weights(value: Option<&Value>) -> Result<Vec<(LandCode, u32)>, Rejection> {
    let invalid = |reason: &str| Rejection::invalid("cost_model.weights", reason);
    let Some(Value::Object(object)) = value else {
        return Err(invalid("muss ein Objekt von Ländercodes auf Gewichte sein"));
    };
    let mut weights = object
        .iter()
        .map(|(land, weight)| {
            let land = LandCode::parse(land)
                .map_err(|_| invalid(&format!("„{land}“ ist kein Ländercode 01 bis 16")))?;
            let weight = weight
                .as_u64()
                .and_then(|w| u32::try_from(w).ok())
                .ok_or_else(|| invalid("Gewichte müssen nicht-negative ganze Zahlen sein"))?;
            Ok((land, weight))
        })
        .collect::<Result<Vec<_>, Rejection>>()?;
    weights.sort();
    Ok(weights)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid() -> Value {
        json!({
            "title": "  Digitale Baugenehmigung  ",
            "lead": "04",
            "themenfeld": "Bauen & Wohnen",
            "provider": "Dataport",
            "channel": "fit-store",
            "cost_model": {"kind": "koenigsteiner-schluessel", "year": 2016},
        })
    }

    fn field_of(body: Value) -> String {
        match parse(&body) {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    fn with(field: &str, value: Value) -> Value {
        let mut body = valid();
        body[field] = value;
        body
    }

    fn without(field: &str) -> Value {
        let mut body = valid();
        body.as_object_mut().unwrap().remove(field);
        body
    }

    #[test]
    fn a_minimal_body_gets_the_defaults() {
        let parsed = parse(&valid()).unwrap();
        let command = parsed.command;
        assert_eq!(command.service.as_str(), "digitale-baugenehmigung");
        assert_eq!(command.title, "Digitale Baugenehmigung");
        assert_eq!(command.lead, LandCode::new(4).unwrap());
        assert_eq!(command.ozg_id, None);
        assert!(command.leika.is_empty());
        assert_eq!(command.channel, Channel::FitStore);
        assert_eq!(
            command.cost_model,
            CostModel::KoenigsteinerSchluessel { year: Some(2016) }
        );
        assert_eq!(command.status, ServiceStatus::Planned);
        assert_eq!(command.reifegrad.get(), 0);
        assert_eq!(parsed.effective, None);
    }

    #[test]
    fn a_full_body_is_read_completely() {
        let body = json!({
            "id": "wohngeld",
            "title": "Wohngeld",
            "lead": "16",
            "ozg_id": "10045",
            "leika": ["99001001000000"],
            "themenfeld": "Familie & Kind",
            "provider": "KIV Thüringen",
            "channel": "verwaltungsabkommen",
            "cost_model": {"kind": "fixed-shares", "weights": {"16": 1, "04": 3}},
            "status": "in-development",
            "reifegrad": 3,
            "effective": "2026-01-01",
        });
        let parsed = parse(&body).unwrap();
        let command = parsed.command;
        assert_eq!(command.service.as_str(), "wohngeld");
        assert_eq!(command.ozg_id.as_deref(), Some("10045"));
        assert_eq!(command.leika, vec!["99001001000000".to_owned()]);
        let weights = vec![
            (LandCode::new(4).unwrap(), 3),
            (LandCode::new(16).unwrap(), 1),
        ];
        assert_eq!(command.cost_model, CostModel::FixedShares { weights });
        assert_eq!(command.status, ServiceStatus::InDevelopment);
        assert_eq!(command.reifegrad.get(), 3);
        assert_eq!(parsed.effective, Some(Date::parse("2026-01-01").unwrap()));
    }

    #[test]
    fn every_cost_model_kind_is_understood() {
        let kinds = [
            (
                json!({"kind": "koenigsteiner-schluessel"}),
                CostModel::KoenigsteinerSchluessel { year: None },
            ),
            (json!({"kind": "population"}), CostModel::Population),
            (json!({"kind": "equal-shares"}), CostModel::EqualShares),
        ];
        for (json, model) in kinds {
            assert_eq!(
                parse(&with("cost_model", json)).unwrap().command.cost_model,
                model
            );
        }
    }

    #[test]
    fn each_invalid_field_is_named() {
        let cases = [
            (with("id", json!("Nicht Gültig")), "id"),
            (with("title", json!("   ")), "title"),
            (with("title", json!("x".repeat(301))), "title"),
            (without("title"), "title"),
            (with("title", json!("!!!")), "id"),
            (with("lead", json!("17")), "lead"),
            (with("lead", json!(0)), "lead"),
            (without("lead"), "lead"),
            (with("ozg_id", json!(12)), "ozg_id"),
            (with("leika", json!("99001001000000")), "leika"),
            (with("leika", json!([1])), "leika"),
            (with("themenfeld", json!("")), "themenfeld"),
            (with("provider", json!("p".repeat(201))), "provider"),
            (without("provider"), "provider"),
            (with("channel", json!("post")), "channel"),
            (without("channel"), "channel"),
            (without("cost_model"), "cost_model"),
            (with("cost_model", json!("population")), "cost_model"),
            (
                with("cost_model", json!({"kind": "lottery"})),
                "cost_model.kind",
            ),
            (
                with("cost_model", json!({"kind": "population", "year": 2016})),
                "cost_model.year",
            ),
            (
                with(
                    "cost_model",
                    json!({"kind": "koenigsteiner-schluessel", "year": "2016"}),
                ),
                "cost_model.year",
            ),
            (
                with("cost_model", json!({"kind": "fixed-shares"})),
                "cost_model.weights",
            ),
            (
                with(
                    "cost_model",
                    json!({"kind": "fixed-shares", "weights": {"17": 1}}),
                ),
                "cost_model.weights",
            ),
            (
                with(
                    "cost_model",
                    json!({"kind": "fixed-shares", "weights": {"04": -1}}),
                ),
                "cost_model.weights",
            ),
            (with("status", json!("done")), "status"),
            (with("reifegrad", json!(5)), "reifegrad"),
            (with("reifegrad", json!("2")), "reifegrad"),
            (with("effective", json!("2026-02-30")), "effective"),
            (with("reifgrad", json!(2)), "reifgrad"),
            (json!([1, 2]), "body"),
        ];
        for (body, field) in cases {
            assert_eq!(field_of(body.clone()), field, "{body}");
        }
    }

    #[test]
    fn the_lead_is_not_checked_against_the_caller() {
        // Announcing for another Land is the domain's call (403), not a
        // parse error: the body alone knows no caller.
        assert!(parse(&with("lead", json!("09"))).is_ok());
    }
}
