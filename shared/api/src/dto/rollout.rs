//! JSON of the views about places: a Land's page, reuse across Germany,
//! the rollout per Kreis and municipality, stalled adoptions, a service's
//! funnel, and one municipality.

use efa_proto::views::{
    FunnelView, GemeindeEntry, GemeindenView, KreisCoverage, LandFunnelsView, LandParticipation,
    LandView, MunicipalityRollout, NotAdoptedEntry, NotAdoptedView, ReuseSummary, RolloutView,
    StalledRollout, StalledView,
};
use efa_proto::{AdoptionStage, Ags, GemeindeView, LandCode, ServiceId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values;

use super::{LandJson, StagesJson, all};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandParticipation)]
pub struct LandParticipationJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub title: String,
    #[schema(value_type = values::LandCode)]
    pub lead: String,
    #[schema(value_type = values::Date)]
    pub joined: String,
    #[schema(value_type = Option<values::Date>, required)]
    pub left: Option<String>,
}

impl From<&LandParticipation> for LandParticipationJson {
    fn from(view: &LandParticipation) -> Self {
        Self {
            service: view.service.to_string(),
            title: view.title.clone(),
            lead: view.lead.to_string(),
            joined: view.joined.to_string(),
            left: view.left.map(|date| date.to_string()),
        }
    }
}

/// `GET /api/v1/lands/{land}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandView)]
pub struct LandViewJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    #[schema(value_type = Vec<values::ServiceId>)]
    pub leads: Vec<String>,
    pub joined: Vec<LandParticipationJson>,
    pub municipalities_registered: u32,
    pub municipalities_live_any: u32,
}

impl From<&LandView> for LandViewJson {
    fn from(view: &LandView) -> Self {
        Self {
            land: LandJson::from(view.land),
            as_of: view.as_of.to_string(),
            leads: view.leads.iter().map(ToString::to_string).collect(),
            joined: all(&view.joined),
            municipalities_registered: view.municipalities_registered,
            municipalities_live_any: view.municipalities_live_any,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandReuse)]
pub struct LandReuseJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub leads: u32,
    pub joined: u32,
}

/// `GET /api/v1/reuse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Reuse)]
pub struct ReuseJson {
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub services: u32,
    pub participations: u32,
    /// Participations per service, exactly (`"participations/services"`);
    /// absent without services.
    #[schema(value_type = Option<values::Exact>, required)]
    pub reuse_factor: Option<String>,
    #[schema(value_type = Vec<values::ServiceId>)]
    pub lead_only: Vec<String>,
    pub per_land: Vec<LandReuseJson>,
}

impl From<&ReuseSummary> for ReuseJson {
    fn from(view: &ReuseSummary) -> Self {
        Self {
            as_of: view.as_of.to_string(),
            services: view.services,
            participations: view.participations,
            reuse_factor: (view.services > 0)
                .then(|| format!("{}/{}", view.participations, view.services)),
            lead_only: view.lead_only.iter().map(ToString::to_string).collect(),
            per_land: view
                .per_land
                .iter()
                .map(|(land, leads, joined)| LandReuseJson {
                    land: LandJson::from(*land),
                    leads: *leads,
                    joined: *joined,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = KreisCoverage)]
pub struct KreisCoverageJson {
    #[schema(value_type = values::KreisKey)]
    pub kreis: String,
    pub kreis_name: String,
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub municipalities: u32,
    pub stages: StagesJson,
    pub population: u64,
    pub population_live: u64,
}

impl From<&KreisCoverage> for KreisCoverageJson {
    fn from(view: &KreisCoverage) -> Self {
        Self {
            kreis: view.kreis.to_string(),
            kreis_name: view.kreis_name.clone(),
            service: view.service.to_string(),
            municipalities: view.municipalities,
            stages: StagesJson::from(view.stages),
            population: view.population,
            population_live: view.population_live,
        }
    }
}

/// A municipality's adoption of a service and the stage it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = MunicipalStage)]
pub struct MunicipalStageJson {
    #[schema(value_type = values::Ags)]
    pub ags: String,
    pub name: String,
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    #[schema(value_type = values::AdoptionStage)]
    pub stage: &'static str,
    pub stage_label: &'static str,
}

impl MunicipalStageJson {
    fn new(ags: Ags, name: &str, service: &ServiceId, stage: AdoptionStage) -> Self {
        Self {
            ags: ags.to_string(),
            name: name.to_owned(),
            service: service.to_string(),
            stage: stage.key(),
            stage_label: stage.label_de(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Municipality)]
pub struct MunicipalityJson {
    #[serde(flatten)]
    pub adoption: MunicipalStageJson,
    #[schema(value_type = values::Date)]
    pub since: String,
    /// The municipality whose adoption it is: `ags` itself, or a
    /// predecessor merged into it (a withdrawal names its AGS).
    #[schema(value_type = values::Ags)]
    pub adopter: String,
}

impl From<&MunicipalityRollout> for MunicipalityJson {
    fn from(view: &MunicipalityRollout) -> Self {
        Self {
            adoption: MunicipalStageJson::new(view.ags, &view.name, &view.service, view.stage),
            since: view.since.to_string(),
            adopter: view.adopter.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandTakesPart)]
pub struct LandTakesPartJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub participating: bool,
}

/// `GET /api/v1/lands/{land}/rollout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Rollout)]
pub struct RolloutJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = Option<values::KreisKey>, required)]
    pub kreis: Option<String>,
    #[schema(value_type = Option<values::ServiceId>, required)]
    pub service: Option<String>,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub kreise: Vec<KreisCoverageJson>,
    pub municipalities: Vec<MunicipalityJson>,
    pub land_participates: Vec<LandTakesPartJson>,
}

impl From<&RolloutView> for RolloutJson {
    fn from(view: &RolloutView) -> Self {
        Self {
            land: LandJson::from(view.scope.land),
            kreis: view.scope.kreis.map(|kreis| kreis.to_string()),
            service: view.scope.service.as_ref().map(ToString::to_string),
            as_of: view.as_of.to_string(),
            kreise: all(&view.kreise),
            municipalities: all(&view.municipalities),
            land_participates: view
                .land_participates
                .iter()
                .map(|(service, participating)| LandTakesPartJson {
                    service: service.to_string(),
                    participating: *participating,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StalledAdoption)]
pub struct StalledRolloutJson {
    #[serde(flatten)]
    pub adoption: MunicipalStageJson,
    #[schema(value_type = values::Date)]
    pub last_step: String,
    pub days: u32,
    /// The municipality whose adoption it is: `ags` itself, or a
    /// predecessor merged into it (a step or a withdrawal names its AGS).
    #[schema(value_type = values::Ags)]
    pub adopter: String,
}

impl From<&StalledRollout> for StalledRolloutJson {
    fn from(view: &StalledRollout) -> Self {
        Self {
            adoption: MunicipalStageJson::new(view.ags, &view.name, &view.service, view.stage),
            last_step: view.last_step.to_string(),
            days: view.days,
            adopter: view.adopter.to_string(),
        }
    }
}

/// `GET /api/v1/lands/{land}/stalled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Stalled)]
pub struct StalledJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub days_min: u32,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub stalled: Vec<StalledRolloutJson>,
}

impl From<&StalledView> for StalledJson {
    fn from(view: &StalledView) -> Self {
        Self {
            land: LandJson::from(view.land),
            days_min: view.days_min,
            as_of: view.as_of.to_string(),
            stalled: all(&view.stalled),
        }
    }
}

/// One registered municipality of a Land's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = GemeindeEntry)]
pub struct GemeindeEntryJson {
    #[schema(value_type = values::Ags)]
    pub ags: String,
    pub name: String,
    /// The Kreis: the AGS's first five digits.
    pub kreis: String,
    /// Its inhabitants as registered; `null` where no figure was.
    #[schema(required)]
    pub population: Option<u64>,
    /// "aktiv", "aufgelöst" or "aufgegangen in <AGS>".
    pub status: String,
}

impl From<&GemeindeEntry> for GemeindeEntryJson {
    fn from(entry: &GemeindeEntry) -> Self {
        Self {
            ags: entry.ags.to_string(),
            name: entry.name.clone(),
            kreis: entry.ags.kreis().to_string(),
            population: entry.population,
            status: entry.status_de.clone(),
        }
    }
}

/// `GET /api/v1/lands/{land}/gemeinden`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Gemeinden)]
pub struct GemeindenJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub gemeinden: Vec<GemeindeEntryJson>,
}

impl From<&GemeindenView> for GemeindenJson {
    fn from(view: &GemeindenView) -> Self {
        Self {
            land: LandJson::from(view.land),
            as_of: view.as_of.to_string(),
            gemeinden: all(&view.gemeinden),
        }
    }
}

/// A municipality of a Land's list of those without a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = NotAdoptedEntry)]
pub struct NotAdoptedEntryJson {
    #[schema(value_type = values::Ags)]
    pub ags: String,
    pub name: String,
    /// The Kreis: the AGS's first five digits.
    pub kreis: String,
    /// The Kreis's name as registered, else its key.
    pub kreis_name: String,
    /// Its inhabitants as registered, with those of municipalities merged
    /// into it; `null` where no figure was.
    #[schema(required)]
    pub population: Option<u64>,
    /// When it withdrew its adoption of the service; `null` when it never
    /// adopted it.
    #[schema(required, value_type = Option<values::Date>)]
    pub withdrawn_on: Option<String>,
}

impl From<&NotAdoptedEntry> for NotAdoptedEntryJson {
    fn from(entry: &NotAdoptedEntry) -> Self {
        Self {
            ags: entry.ags.to_string(),
            name: entry.name.clone(),
            kreis: entry.ags.kreis().to_string(),
            kreis_name: entry.kreis_name.clone(),
            population: entry.population,
            withdrawn_on: entry.withdrawn_on.map(|day| day.to_string()),
        }
    }
}

/// `GET /api/v1/lands/{land}/not-adopted/{service}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = NotAdopted)]
pub struct NotAdoptedJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    /// Most inhabitants first, then by AGS.
    pub gemeinden: Vec<NotAdoptedEntryJson>,
}

impl From<&NotAdoptedView> for NotAdoptedJson {
    fn from(view: &NotAdoptedView) -> Self {
        Self {
            land: LandJson::from(view.land),
            service: view.service.to_string(),
            as_of: view.as_of.to_string(),
            gemeinden: all(&view.gemeinden),
        }
    }
}

/// `GET /api/v1/lands/{land}/funnels`: the funnels in the Land of the
/// services with adoptions there, in the order asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LandFunnels)]
pub struct LandFunnelsJson {
    #[serde(flatten)]
    pub land: LandJson,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    #[schema(value_type = values::FunnelOrder)]
    pub order: String,
    pub funnels: Vec<FunnelJson>,
}

impl From<&LandFunnelsView> for LandFunnelsJson {
    fn from(view: &LandFunnelsView) -> Self {
        Self {
            land: LandJson::from(view.land),
            as_of: view.as_of.to_string(),
            order: crate::query::funnel_order_key(view.order).to_owned(),
            funnels: all(&view.funnels),
        }
    }
}

/// `GET /api/v1/services/{id}/funnel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Funnel)]
pub struct FunnelJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    #[schema(value_type = Option<values::LandCode>, required)]
    pub land: Option<String>,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    /// Adoptions that reached each stage by the date; `withdrawn` counts
    /// the withdrawn ones.
    pub reached: StagesJson,
    #[schema(required)]
    pub days_to_live_median: Option<u32>,
    #[schema(required)]
    pub days_to_live_p90: Option<u32>,
    pub live_count: u32,
}

impl From<&FunnelView> for FunnelJson {
    fn from(view: &FunnelView) -> Self {
        Self {
            service: view.service.to_string(),
            land: view.land.map(|land: LandCode| land.to_string()),
            as_of: view.as_of.to_string(),
            reached: StagesJson::from(view.reached),
            days_to_live_median: view.days_to_live_median,
            days_to_live_p90: view.days_to_live_p90,
            live_count: view.live_count,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = AvailableService)]
pub struct AvailableJson {
    #[schema(value_type = values::ServiceId)]
    pub service: String,
    pub title: String,
    pub land_participates: bool,
}

/// `GET /api/v1/gemeinden/{ags}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Gemeinde)]
pub struct GemeindeJson {
    #[schema(value_type = values::Ags)]
    pub ags: String,
    pub name: String,
    #[schema(required)]
    pub population: Option<u64>,
    pub status: String,
    #[schema(value_type = values::Date)]
    pub as_of: String,
    pub adoptions: Vec<MunicipalityJson>,
    pub available: Vec<AvailableJson>,
    /// The adoptions of the municipality and of those merged into it that
    /// do not count, beneath the one that counts for their service (each
    /// with its `adopter`); whole on every page.
    pub beneath: Vec<MunicipalityJson>,
}

impl From<&GemeindeView> for GemeindeJson {
    fn from(view: &GemeindeView) -> Self {
        Self {
            ags: view.ags.to_string(),
            name: view.name.clone(),
            population: view.population,
            status: view.status_de.clone(),
            as_of: view.as_of.to_string(),
            adoptions: all(&view.adoptions),
            beneath: all(&view.beneath),
            available: view
                .available
                .iter()
                .map(|(service, title, land_participates)| AvailableJson {
                    service: service.to_string(),
                    title: title.clone(),
                    land_participates: *land_participates,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::Date;

    use super::*;

    #[test]
    fn a_stalled_adoption_keeps_its_keys_in_order() {
        let view = StalledRollout {
            ags: Ags::parse("16051000").unwrap(),
            name: "Erfurt".into(),
            service: ServiceId::parse("digitale-baugenehmigung").unwrap(),
            stage: AdoptionStage::Agreed,
            last_step: Date::parse("2026-03-01").unwrap(),
            days: 90,
            adopter: Ags::parse("16051000").unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&StalledRolloutJson::from(&view)).unwrap(),
            r#"{"ags":"16051000","name":"Erfurt","service":"digitale-baugenehmigung","stage":"agreed","stage_label":"vereinbart","last_step":"2026-03-01","days":90,"adopter":"16051000"}"#
        );
    }
}
