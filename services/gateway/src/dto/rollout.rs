//! JSON of the views about places: a Land's page, reuse across Germany,
//! the rollout per Kreis and municipality, stalled adoptions, a service's
//! funnel, and one municipality.

use efa_proto::views::{
    FunnelView, KreisCoverage, LandParticipation, LandView, MunicipalityRollout, ReuseSummary,
    RolloutView, StalledRollout, StalledView,
};
use efa_proto::{AdoptionStage, GemeindeView, LandCode};
use serde::Serialize;

use super::{LandJson, StagesJson};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandParticipationJson {
    pub service: String,
    pub title: String,
    pub lead: String,
    pub joined: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandViewJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub as_of: String,
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
            joined: view
                .joined
                .iter()
                .map(LandParticipationJson::from)
                .collect(),
            municipalities_registered: view.municipalities_registered,
            municipalities_live_any: view.municipalities_live_any,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandReuseJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub leads: u32,
    pub joined: u32,
}

/// `GET /api/v1/reuse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReuseJson {
    pub as_of: String,
    pub services: u32,
    pub participations: u32,
    /// Participations per service, exactly (`"participations/services"`);
    /// absent without services.
    pub reuse_factor: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KreisCoverageJson {
    pub kreis: String,
    pub kreis_name: String,
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

/// A stage as its key and German label.
fn stage(stage: AdoptionStage) -> (&'static str, &'static str) {
    (stage.key(), stage.label_de())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityJson {
    pub ags: String,
    pub name: String,
    pub service: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub since: String,
}

impl From<&MunicipalityRollout> for MunicipalityJson {
    fn from(view: &MunicipalityRollout) -> Self {
        let (key, label) = stage(view.stage);
        Self {
            ags: view.ags.to_string(),
            name: view.name.clone(),
            service: view.service.to_string(),
            stage: key,
            stage_label: label,
            since: view.since.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LandTakesPartJson {
    pub service: String,
    pub participating: bool,
}

/// `GET /api/v1/lands/{land}/rollout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub kreis: Option<String>,
    pub service: Option<String>,
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
            kreise: view.kreise.iter().map(KreisCoverageJson::from).collect(),
            municipalities: view
                .municipalities
                .iter()
                .map(MunicipalityJson::from)
                .collect(),
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StalledRolloutJson {
    pub ags: String,
    pub name: String,
    pub service: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub last_step: String,
    pub days: u32,
}

impl From<&StalledRollout> for StalledRolloutJson {
    fn from(view: &StalledRollout) -> Self {
        let (key, label) = stage(view.stage);
        Self {
            ags: view.ags.to_string(),
            name: view.name.clone(),
            service: view.service.to_string(),
            stage: key,
            stage_label: label,
            last_step: view.last_step.to_string(),
            days: view.days,
        }
    }
}

/// `GET /api/v1/lands/{land}/stalled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StalledJson {
    #[serde(flatten)]
    pub land: LandJson,
    pub days_min: u32,
    pub as_of: String,
    pub stalled: Vec<StalledRolloutJson>,
}

impl From<&StalledView> for StalledJson {
    fn from(view: &StalledView) -> Self {
        Self {
            land: LandJson::from(view.land),
            days_min: view.days_min,
            as_of: view.as_of.to_string(),
            stalled: view.stalled.iter().map(StalledRolloutJson::from).collect(),
        }
    }
}

/// `GET /api/v1/services/{id}/funnel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelJson {
    pub service: String,
    pub land: Option<String>,
    pub as_of: String,
    /// Adoptions that reached each stage by the date; `withdrawn` counts
    /// the withdrawn ones.
    pub reached: StagesJson,
    pub days_to_live_median: Option<u32>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailableJson {
    pub service: String,
    pub title: String,
    pub land_participates: bool,
}

/// `GET /api/v1/gemeinden/{ags}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GemeindeJson {
    pub ags: String,
    pub name: String,
    pub population: Option<u64>,
    pub status: String,
    pub as_of: String,
    pub adoptions: Vec<MunicipalityJson>,
    pub available: Vec<AvailableJson>,
}

impl From<&GemeindeView> for GemeindeJson {
    fn from(view: &GemeindeView) -> Self {
        Self {
            ags: view.ags.to_string(),
            name: view.name.clone(),
            population: view.population,
            status: view.status_de.clone(),
            as_of: view.as_of.to_string(),
            adoptions: view.adoptions.iter().map(MunicipalityJson::from).collect(),
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
