//! The JSON the API answers with. The wire types of `efa-proto` are made
//! for postcard, not for people; these shapes are the public, stable JSON
//! form: keys as in the request body, enums as their kebab-case keys,
//! dates as ISO 8601, with German labels next to the keys. Money is
//! integer cents next to euros as text (`"1234.56"`), exact fractions are
//! `"numerator/denominator"`: never a float.

pub mod catalogue;
pub mod costs;
pub mod history;
pub mod ledger;
pub mod rollout;
pub mod statement;

use std::collections::BTreeMap;

use efa_proto::pages::{
    GemeindePage, GemeindenPage, LandCostsPage, LandFunnelsPage, LandPage, NotAdoptedPage,
    ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::Exact;
use efa_proto::{Accepted, Cents, CostModel, LandCode, ServiceId, ServiceView};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

/// The answer to an accepted write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Accepted)]
pub struct AcceptedJson {
    /// The new service's id; only when announcing.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<values::ServiceId>)]
    pub id: Option<String>,
    /// The ledger sequence of the write; `?min_seq=` this to read it back.
    pub seq: u64,
    /// The service's version after the write (its ETag).
    pub version: u64,
    /// The number of a reported cost line, which its corrections name;
    /// only when reporting a cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_no: Option<u32>,
}

impl AcceptedJson {
    pub fn new(id: Option<&ServiceId>, accepted: &Accepted) -> Self {
        Self {
            id: id.map(ToString::to_string),
            seq: accepted.last_seq,
            version: accepted.stream_version,
            cost_no: None,
        }
    }
}

/// An amount of money: exact cents and the same as euros with a point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Money)]
pub struct MoneyJson {
    #[schema(value_type = values::Cents)]
    pub cents: i64,
    #[schema(value_type = values::EurosText)]
    pub euros: String,
}

impl From<Cents> for MoneyJson {
    fn from(cents: Cents) -> Self {
        Self {
            cents: cents.0,
            euros: cents.to_string(),
        }
    }
}

/// Each of `items` as its JSON.
fn all<'a, T, J: From<&'a T>>(items: &'a [T]) -> Vec<J> {
    items.iter().map(J::from).collect()
}

/// An exact rational as `"numerator/denominator"`.
pub fn exact(value: &Exact) -> String {
    format!("{}/{}", value.numerator, value.denominator)
}

/// Counts per adoption stage, in stage order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StageCounts)]
pub struct StagesJson {
    pub requested: u32,
    pub agreed: u32,
    pub onboarding: u32,
    pub live: u32,
    pub withdrawn: u32,
}

impl From<[u32; 5]> for StagesJson {
    fn from([requested, agreed, onboarding, live, withdrawn]: [u32; 5]) -> Self {
        Self {
            requested,
            agreed,
            onboarding,
            live,
            withdrawn,
        }
    }
}

/// A Land by code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Land)]
pub struct LandJson {
    #[schema(value_type = values::LandCode)]
    pub land: String,
    pub land_name: &'static str,
}

impl From<LandCode> for LandJson {
    fn from(land: LandCode) -> Self {
        Self {
            land: land.to_string(),
            land_name: land.name(),
        }
    }
}

/// A cost model, in the shape the request body uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[schema(as = CostModel)]
pub enum CostModelJson {
    KoenigsteinerSchluessel {
        #[serde(skip_serializing_if = "Option::is_none")]
        year: Option<u16>,
    },
    Population,
    EqualShares,
    FixedShares {
        #[schema(value_type = BTreeMap<values::LandKey, u32>)]
        weights: BTreeMap<String, u32>,
    },
}

impl From<&CostModel> for CostModelJson {
    fn from(model: &CostModel) -> Self {
        match model {
            CostModel::KoenigsteinerSchluessel { year } => {
                Self::KoenigsteinerSchluessel { year: *year }
            }
            CostModel::Population => Self::Population,
            CostModel::EqualShares => Self::EqualShares,
            CostModel::FixedShares { weights } => Self::FixedShares {
                weights: weights
                    .iter()
                    .map(|(land, weight)| (land.to_string(), *weight))
                    .collect(),
            },
        }
    }
}

/// One service of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Service)]
pub struct ServiceJson {
    #[schema(value_type = values::ServiceId)]
    pub id: String,
    pub title: String,
    #[schema(value_type = values::LandCode)]
    pub lead: String,
    pub lead_name: &'static str,
    #[schema(required)]
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    #[schema(value_type = values::Channel)]
    pub channel: &'static str,
    #[schema(value_type = values::ServiceStatus)]
    pub status: &'static str,
    pub status_label: &'static str,
    #[schema(value_type = values::Reifegrad)]
    pub reifegrad: u8,
    pub cost_model: CostModelJson,
    #[schema(value_type = values::Date)]
    pub announced_on: String,
    #[schema(value_type = values::Timestamp)]
    pub recorded_at: String,
    pub version: u64,
    pub last_seq: u64,
}

impl From<&ServiceView> for ServiceJson {
    fn from(view: &ServiceView) -> Self {
        Self {
            id: view.id.to_string(),
            title: view.title.clone(),
            lead: view.lead.to_string(),
            lead_name: view.lead.name(),
            ozg_id: view.ozg_id.clone(),
            leika: view.leika.clone(),
            themenfeld: view.themenfeld.clone(),
            provider: view.provider.clone(),
            channel: view.channel.key(),
            status: view.status.key(),
            status_label: view.status.label_de(),
            reifegrad: view.reifegrad.get(),
            cost_model: CostModelJson::from(&view.cost_model),
            announced_on: view.announced_on.to_string(),
            recorded_at: view.recorded_at.to_string(),
            version: view.version,
            last_seq: view.last_seq,
        }
    }
}

/// The whole catalogue and how fresh it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Catalogue)]
pub struct CatalogueJson {
    pub as_of_seq: u64,
    pub services: Vec<ServiceJson>,
}

impl From<&ServicesPage> for CatalogueJson {
    fn from(page: &ServicesPage) -> Self {
        Self {
            as_of_seq: page.as_of_seq,
            services: all(&page.services),
        }
    }
}

/// The totals of a page of `/api/v1/services`, and where the next starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ServicesTotals)]
pub struct ServicesTotals {
    pub total: u32,
    #[schema(value_type = Option<values::ServiceId>, required)]
    pub next_cursor: Option<String>,
}

/// The totals of a page of a list read by offset, and the next offset,
/// taken from the page of the same names.
macro_rules! totals {
    ($($(#[$doc:meta])* $name:ident($page:ty) { $($total:ident),* })*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
            pub struct $name {
                $(pub $total: u32,)*
                #[schema(required)]
                pub next_offset: Option<u32>,
            }

            impl From<&$page> for $name {
                fn from(page: &$page) -> Self {
                    Self {
                        $($total: page.$total,)*
                        next_offset: page.next_offset,
                    }
                }
            }
        )*
    };
}

totals! {
    /// `GET /api/v1/lands/{land}`.
    LandTotals(LandPage) { leads_total, joined_total }
    /// `GET /api/v1/lands/{land}/costs/{year}`.
    LandCostsTotals(LandCostsPage) { lines_total }
    /// `GET /api/v1/lands/{land}/rollout`.
    RolloutTotals(RolloutPage) { kreise_total, municipalities_total }
    /// `GET /api/v1/lands/{land}/stalled`.
    StalledTotals(StalledPage) { total }
    /// `GET /api/v1/reuse`.
    ReuseTotals(ReusePage) { lead_only_total }
    /// `GET /api/v1/gemeinden/{ags}`.
    GemeindeTotals(GemeindePage) { adoptions_total, available_total }
    /// `GET /api/v1/lands/{land}/gemeinden`.
    GemeindenTotals(GemeindenPage) { total }
    /// `GET /api/v1/lands/{land}/funnels`.
    LandFunnelsTotals(LandFunnelsPage) { total }
}

/// `GET /api/v1/lands/{land}/not-adopted/{service}`: how many there are
/// in all, and how many people live there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NotAdoptedTotals {
    pub total: u32,
    /// The inhabitants of all of them, as far as registered.
    pub population: u64,
    #[schema(required)]
    pub next_offset: Option<u32>,
}

impl From<&NotAdoptedPage> for NotAdoptedTotals {
    fn from(page: &NotAdoptedPage) -> Self {
        Self {
            total: page.total,
            population: page.population,
            next_offset: page.next_offset,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use efa_proto::{Channel, Date, LandCode, Reifegrad, ServiceStatus, Timestamp};
    use serde_json::json;

    use super::*;

    pub(crate) fn sample_view() -> ServiceView {
        ServiceView {
            id: ServiceId::parse("digitale-baugenehmigung").unwrap(),
            title: "Digitale Baugenehmigung".into(),
            lead: LandCode::new(4).unwrap(),
            ozg_id: None,
            leika: vec!["99001001000000".into()],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "Dataport".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::FixedShares {
                weights: vec![(LandCode::new(4).unwrap(), 3)],
            },
            status: ServiceStatus::Available,
            reifegrad: Reifegrad::new(3).unwrap(),
            announced_on: Date::parse("2026-03-01").unwrap(),
            recorded_at: Timestamp::from_micros(0),
            version: 1,
            last_seq: 7,
        }
    }

    #[test]
    fn a_service_shows_keys_labels_and_iso_dates() {
        let json = serde_json::to_value(ServiceJson::from(&sample_view())).unwrap();
        assert_eq!(
            json,
            json!({
                "id": "digitale-baugenehmigung",
                "title": "Digitale Baugenehmigung",
                "lead": "04",
                "lead_name": "Bremen",
                "ozg_id": null,
                "leika": ["99001001000000"],
                "themenfeld": "Bauen & Wohnen",
                "provider": "Dataport",
                "channel": "fit-store",
                "status": "available",
                "status_label": "verfügbar",
                "reifegrad": 3,
                "cost_model": {"kind": "fixed-shares", "weights": {"04": 3}},
                "announced_on": "2026-03-01",
                "recorded_at": "1970-01-01T00:00:00.000000Z",
                "version": 1,
                "last_seq": 7,
            })
        );
    }

    #[test]
    fn cost_models_keep_the_request_shape() {
        let key = CostModel::KoenigsteinerSchluessel { year: Some(2016) };
        assert_eq!(
            serde_json::to_value(CostModelJson::from(&key)).unwrap(),
            json!({"kind": "koenigsteiner-schluessel", "year": 2016})
        );
        let key = CostModel::KoenigsteinerSchluessel { year: None };
        assert_eq!(
            serde_json::to_value(CostModelJson::from(&key)).unwrap(),
            json!({"kind": "koenigsteiner-schluessel"})
        );
        assert_eq!(
            serde_json::to_value(CostModelJson::from(&CostModel::EqualShares)).unwrap(),
            json!({"kind": "equal-shares"})
        );
    }
}
