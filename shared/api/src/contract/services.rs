//! The bodies of a service's writes: announcing it (`POST
//! /api/v1/services`), its details (`PUT /api/v1/services/{id}`), status,
//! Reifegrad, retirement, Länder joining and leaving (Beitritt), costs and
//! their corrections.

use std::collections::BTreeMap;

use efa_proto::{
    AnnounceService, AssessReifegrad, Cents, ChangeServiceStatus, Channel, Command, CorrectCost,
    CostCategory, CostModel, Date, JoinService, LandCode, LeaveService, Reifegrad, Rejection,
    ReportCost, RetireService, ServiceId, ServiceStatus, UpdateServiceDetails,
};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::field::{self, Euros, Note, Text, Via, Year};
use super::{Parsed, REASON_CHARS_MAX, WriteBody, dated};
use crate::values;
use ModelKind::{EqualShares, FixedShares, KoenigsteinerSchluessel, Population};

pub const OZG_ID_CHARS_MAX: usize = 100;

/// `POST /api/v1/services`: the details, the lead Land and where the
/// service starts; the id is made from the title when absent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnnounceService)]
pub struct Announce {
    #[schema(value_type = Option<values::ServiceId>)]
    pub id: Option<Via<ServiceId>>,
    pub title: Text<300>,
    #[schema(value_type = values::LandCodeIn)]
    pub lead: Via<LandCode>,
    #[schema(value_type = Option<values::OzgId>)]
    pub ozg_id: Option<Note>,
    #[schema(value_type = Option<Vec<values::LeikaKey>>)]
    pub leika: Option<Vec<Note>>,
    pub themenfeld: Text<200>,
    pub provider: Text<200>,
    #[schema(value_type = values::Channel)]
    pub channel: Via<Channel>,
    #[serde(deserialize_with = "field::object")]
    #[schema(value_type = crate::dto::CostModelJson)]
    pub cost_model: CostModelBody,
    #[schema(value_type = Option<values::ServiceStatus>)]
    pub status: Option<Via<ServiceStatus>>,
    #[schema(value_type = Option<values::Reifegrad>)]
    pub reifegrad: Option<Via<Reifegrad>>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Announce {
    type Path = ();

    fn command(self, (): ()) -> Result<Parsed, Rejection> {
        let service = match self.id {
            Some(Via(id)) => id,
            None => ServiceId::slug_from_title(&self.title.0).map_err(|_| {
                let reason = "lässt sich nicht aus dem Titel ableiten; bitte angeben";
                Rejection::invalid("id", reason)
            })?,
        };
        let details = Details {
            title: self.title,
            ozg_id: self.ozg_id,
            leika: self.leika,
            themenfeld: self.themenfeld,
            provider: self.provider,
            channel: self.channel,
            cost_model: self.cost_model,
            effective: None,
        }
        .update(service)?;
        let command = Command::AnnounceService(AnnounceService {
            service: details.service,
            title: details.title,
            lead: self.lead.0,
            ozg_id: details.ozg_id,
            leika: details.leika,
            themenfeld: details.themenfeld,
            provider: details.provider,
            channel: details.channel,
            cost_model: details.cost_model,
            status: self
                .status
                .map_or(ServiceStatus::Planned, |Via(status)| status),
            reifegrad: self
                .reifegrad
                .map_or_else(|| Reifegrad::new(0), |Via(reifegrad)| Ok(reifegrad))
                .map_err(|_| Rejection::invalid("reifegrad", "fehlt"))?,
        });
        dated(command, self.effective)
    }
}

/// `PUT /api/v1/services/{id}`: all details, replaced whole (the lead,
/// status and Reifegrad have their own requests).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateServiceDetails)]
pub struct Details {
    pub title: Text<300>,
    #[schema(value_type = Option<values::OzgId>)]
    pub ozg_id: Option<Note>,
    #[schema(value_type = Option<Vec<values::LeikaKey>>)]
    pub leika: Option<Vec<Note>>,
    pub themenfeld: Text<200>,
    pub provider: Text<200>,
    #[schema(value_type = values::Channel)]
    pub channel: Via<Channel>,
    #[serde(deserialize_with = "field::object")]
    #[schema(value_type = crate::dto::CostModelJson)]
    pub cost_model: CostModelBody,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl Details {
    fn update(self, service: ServiceId) -> Result<UpdateServiceDetails, Rejection> {
        let ozg_id = self.ozg_id.map(|id| id.0).filter(|id| !id.is_empty());
        if let Some(id) = &ozg_id
            && id.chars().count() > OZG_ID_CHARS_MAX
        {
            let reason = format!("darf höchstens {OZG_ID_CHARS_MAX} Zeichen lang sein");
            return Err(Rejection::invalid("ozg_id", reason));
        }
        Ok(UpdateServiceDetails {
            service,
            title: self.title.0,
            ozg_id,
            leika: self.leika.into_iter().flatten().map(|k| k.0).collect(),
            themenfeld: self.themenfeld.0,
            provider: self.provider.0,
            channel: self.channel.0,
            cost_model: self.cost_model.model()?,
        })
    }
}

impl WriteBody for Details {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let effective = self.effective;
        let command = Command::UpdateServiceDetails(self.update(service)?);
        dated(command, effective)
    }
}

/// `{"kind": "koenigsteiner-schluessel", "year": 2016}`, `{"kind":
/// "population"}`, `{"kind": "equal-shares"}` or `{"kind":
/// "fixed-shares", "weights": {"04": 3}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModelBody {
    pub kind: ModelKind,
    pub year: Option<Year>,
    pub weights: Option<BTreeMap<String, Via<u32>>>,
}

/// The `kind` of a cost model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    KoenigsteinerSchluessel,
    Population,
    EqualShares,
    FixedShares,
}

/// The kinds by their keys.
const MODEL_KINDS: [(&str, ModelKind); 4] = [
    ("koenigsteiner-schluessel", KoenigsteinerSchluessel),
    ("population", Population),
    ("equal-shares", EqualShares),
    ("fixed-shares", FixedShares),
];

impl<'de> Deserialize<'de> for ModelKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        field::choice(deserializer, &MODEL_KINDS.map(|(key, _)| key), |key| {
            let found = MODEL_KINDS.iter().find(|(known, _)| *known == key);
            found.map(|(_, kind)| *kind)
        })
    }
}

impl CostModelBody {
    fn model(self) -> Result<CostModel, Rejection> {
        let unexpected = |name: &str| {
            let field = format!("cost_model.{name}");
            Rejection::invalid(&field, "ist für diese Art nicht vorgesehen")
        };
        if self.year.is_some() && self.kind != ModelKind::KoenigsteinerSchluessel {
            return Err(unexpected("year"));
        }
        if self.weights.is_some() && self.kind != ModelKind::FixedShares {
            return Err(unexpected("weights"));
        }
        Ok(match self.kind {
            ModelKind::KoenigsteinerSchluessel => CostModel::KoenigsteinerSchluessel {
                year: self.year.map(|Year(year)| year),
            },
            ModelKind::Population => CostModel::Population,
            ModelKind::EqualShares => CostModel::EqualShares,
            ModelKind::FixedShares => {
                let name = "cost_model.weights";
                let reason = "muss ein Objekt von Ländercodes auf Gewichte sein";
                let weights = self
                    .weights
                    .ok_or_else(|| Rejection::invalid(name, reason))?;
                let weights = field::per_land(name, weights, |Via(weight)| weight)?;
                CostModel::FixedShares { weights }
            }
        })
    }
}

/// `POST /api/v1/services/{id}/status`: `{"status": "pilot"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeServiceStatus)]
pub struct Status {
    #[schema(value_type = values::ServiceStatus)]
    pub status: Via<ServiceStatus>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Status {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let Via(status) = self.status;
        let command = Command::ChangeServiceStatus(ChangeServiceStatus { service, status });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/services/{id}/reifegrad`: `{"reifegrad": 3}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AssessReifegrad)]
pub struct Assessment {
    #[schema(value_type = values::Reifegrad)]
    pub reifegrad: Via<Reifegrad>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Assessment {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let Via(reifegrad) = self.reifegrad;
        let command = Command::AssessReifegrad(AssessReifegrad { service, reifegrad });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/services/{id}/retirement`: `{"reason": "..."}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RetireService)]
pub struct Retirement {
    pub reason: Text<{ REASON_CHARS_MAX }>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Retirement {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let reason = self.reason.0;
        let command = Command::RetireService(RetireService { service, reason });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/services/{id}/participations`: `{"land": "16"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JoinService)]
pub struct Join {
    #[serde(deserialize_with = "field::req")]
    #[schema(value_type = values::LandCodeIn)]
    pub land: LandCode,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for Join {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let land = self.land;
        let command = Command::JoinService(JoinService { service, land });
        dated(command, self.effective)
    }
}

/// `DELETE /api/v1/services/{id}/participations/{land}`: the optional
/// body names only the effective date.
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
#[schema(as = LeaveService)]
pub struct Leave {
    #[serde(default, deserialize_with = "field::opt")]
    #[schema(value_type = Option<values::Effective>)]
    #[param(value_type = Option<values::Date>)]
    pub effective: Option<Date>,
}

impl Leave {
    /// The effective date from the body or from `?effective=`; both only
    /// if equal.
    pub fn command(
        self,
        service: ServiceId,
        land: LandCode,
        from_query: Option<Date>,
    ) -> Result<Parsed, Rejection> {
        let effective = match (self.effective, from_query) {
            (Some(body), Some(query)) if body != query => {
                let reason = "steht in Inhalt und Adresse mit verschiedenen Daten";
                return Err(Rejection::invalid("effective", reason));
            }
            (body, query) => body.or(query),
        };
        let command = Command::LeaveService(LeaveService { service, land });
        Ok(Parsed::new(command, effective))
    }
}

/// `POST /api/v1/services/{id}/costs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReportCost)]
pub struct CostReport {
    pub year: Year,
    #[schema(value_type = values::CostCategory)]
    pub category: Via<CostCategory>,
    pub amount: Option<Euros>,
    #[schema(value_type = Option<values::CentsIn>)]
    pub amount_cents: Option<Via<Cents>>,
    pub note: Option<Note>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for CostReport {
    type Path = ServiceId;

    fn command(self, service: ServiceId) -> Result<Parsed, Rejection> {
        let command = Command::ReportCost(ReportCost {
            service,
            year: self.year.0,
            category: self.category.0,
            amount: amount(self.amount, self.amount_cents)?,
            note: Note::of(self.note),
        });
        dated(command, self.effective)
    }
}

/// `POST /api/v1/services/{id}/costs/{cost_no}/corrections`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CorrectCost)]
pub struct CostCorrection {
    pub amount: Option<Euros>,
    #[schema(value_type = Option<values::CentsIn>)]
    pub amount_cents: Option<Via<Cents>>,
    pub reason: Text<{ REASON_CHARS_MAX }>,
    #[schema(value_type = Option<values::Effective>)]
    pub effective: Option<Via<Date>>,
}

impl WriteBody for CostCorrection {
    type Path = (ServiceId, u32);

    fn command(self, (service, cost_no): (ServiceId, u32)) -> Result<Parsed, Rejection> {
        let command = Command::CorrectCost(CorrectCost {
            service,
            cost_no,
            amount: amount(self.amount, self.amount_cents)?,
            reason: self.reason.0,
        });
        dated(command, self.effective)
    }
}

/// Exactly one of `"amount"` (euros as text) and `"amount_cents"`.
fn amount(euros: Option<Euros>, cents: Option<Via<Cents>>) -> Result<Cents, Rejection> {
    match (euros, cents) {
        (Some(Euros(cents)), None) | (None, Some(Via(cents))) => Ok(cents),
        _ => Err(Rejection::invalid(
            "amount",
            "genau eines von amount (Euro als Text) und amount_cents (Cent als ganze Zahl)",
        )),
    }
}
