//! JSON of the catalogue with reuse figures and of one service's detail:
//! participations, coverage per Land, cost lines.

use efa_proto::views::{
    CataloguePage, CostLineView, LandCoverage, ParticipationView, ServiceDetail, ServiceSummary,
};
use efa_proto::{Date, ServiceId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

use super::{LandJson, MoneyJson, ServiceJson, StagesJson, all};

/// A service of the catalogue with the Länder taking part and the
/// municipal adoptions by stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ServiceSummary)]
pub struct ServiceSummaryJson {
    #[serde(flatten)]
    pub service: ServiceJson,
    #[schema(value_type = Vec<values::LandCode>)]
    pub lands: Vec<String>,
    pub adoptions: StagesJson,
}

impl From<&ServiceSummary> for ServiceSummaryJson {
    fn from(summary: &ServiceSummary) -> Self {
        Self {
            service: ServiceJson::from(&summary.service),
            lands: summary.lands.iter().map(ToString::to_string).collect(),
            adoptions: StagesJson::from(summary.adoptions),
        }
    }
}

/// One page of the filtered catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CataloguePage)]
pub struct CataloguePageJson {
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub as_of_seq: u64,
    /// Services matching the filter, before paging.
    pub total: u32,
    pub services: Vec<ServiceSummaryJson>,
}

impl From<&CataloguePage> for CataloguePageJson {
    fn from(page: &CataloguePage) -> Self {
        Self {
            as_of: page.as_of.to_string(),
            as_of_seq: page.as_of_seq,
            total: page.total,
            services: all(&page.services),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Participation)]
pub struct ParticipationJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = values::Date)]
    pub joined: String,
    #[schema(value_type = Option<values::Date>, required)]
    pub left: Option<String>,
    pub is_lead: bool,
}

impl From<&ParticipationView> for ParticipationJson {
    fn from(view: &ParticipationView) -> Self {
        Self {
            land: LandJson::from(view.land),
            joined: view.joined.to_string(),
            left: view.left.map(|date| date.to_string()),
            is_lead: view.is_lead,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Coverage)]
pub struct CoverageJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub participating: bool,
    pub municipalities_registered: u32,
    pub municipalities_live: u32,
    pub population_live: u64,
    pub flaechendeckend: bool,
}

impl From<&LandCoverage> for CoverageJson {
    fn from(view: &LandCoverage) -> Self {
        Self {
            land: LandJson::from(view.land),
            participating: view.participating,
            municipalities_registered: view.municipalities_registered,
            municipalities_live: view.municipalities_live,
            population_live: view.population_live,
            flaechendeckend: view.flaechendeckend,
        }
    }
}

/// A reported cost after its corrections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CostLine)]
pub struct CostLineJson {
    pub cost_no: u32,
    pub year: u16,
    #[schema(value_type = values::CostCategory)]
    pub category: &'static str,
    pub category_label: &'static str,
    pub amount: MoneyJson,
    pub reported: MoneyJson,
    pub corrections: u32,
    pub note: String,
    pub seqs: Vec<u64>,
}

impl From<&CostLineView> for CostLineJson {
    fn from(view: &CostLineView) -> Self {
        Self {
            cost_no: view.cost_no,
            year: view.year,
            category: view.category.key(),
            category_label: view.category.label_de(),
            amount: MoneyJson::from(view.amount),
            reported: MoneyJson::from(view.reported),
            corrections: view.corrections,
            note: view.note.clone(),
            seqs: view.seqs.clone(),
        }
    }
}

/// Everything about one service, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ServiceDetail)]
pub struct ServiceDetailJson {
    /// The date asked for; today's view when absent.
    #[schema(value_type = Option<values::Date>, required)]
    pub as_of: Option<String>,
    pub service: ServiceSummaryJson,
    pub participations: Vec<ParticipationJson>,
    pub population_lands: u64,
    pub coverage: Vec<CoverageJson>,
    pub costs: Vec<CostLineJson>,
}

impl ServiceDetailJson {
    pub fn new(detail: &ServiceDetail, as_of: Option<Date>) -> Self {
        Self {
            as_of: as_of.map(|date| date.to_string()),
            service: ServiceSummaryJson::from(&detail.summary),
            participations: all(&detail.participations),
            population_lands: detail.population_lands,
            coverage: all(&detail.coverage),
            costs: all(&detail.costs),
        }
    }
}

/// `GET /api/v1/services/{id}/participations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Participations)]
pub struct ParticipationsJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    #[schema(value_type = Option<values::Date>, required)]
    pub as_of: Option<String>,
    pub participations: Vec<ParticipationJson>,
}

impl ParticipationsJson {
    pub fn new(service: &ServiceId, detail: &ServiceDetail, as_of: Option<Date>) -> Self {
        Self {
            service: service.to_string(),
            as_of: as_of.map(|date| date.to_string()),
            participations: all(&detail.participations),
        }
    }
}
