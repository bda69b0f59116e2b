//! Paged forms of the lists that grow with the history. A NATS reply is
//! capped by the server's `max_payload` (1 MiB by default), so the
//! catalogue of all services, a Land's rollout, the stalled adoptions and
//! a municipality's page are asked for one page at a time. These types
//! were added after the unpaged ones and only grow, like the rest of the
//! wire contract.

use serde::{Deserialize, Serialize};

use crate::ids::{Ags, LandCode, ServiceId};
use crate::money::Cents;
use crate::query::{GemeindeView, ServiceView};
use crate::time::Date;
use crate::views::{
    KreisCoverage, LandCostLine, LandParticipation, LandView, MunicipalityRollout,
    MunicipalityRolloutV1, ReuseSummary, RolloutScope, RolloutView, StalledRollout,
    StalledRolloutV1, StalledView, rows_v1,
};

/// Which rows of a list to answer: `limit` rows from row `offset` on.
/// The projector caps `limit` and may answer fewer rows when the page
/// would not fit into one reply; `next_offset` in the answer says where
/// the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Page {
    pub offset: u32,
    /// At most this many rows; 0 asks for the projector's default.
    pub limit: u32,
}

/// A page of all services, ordered by id; the cursor is the last id of
/// the previous page, so services announced meanwhile shift nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicesPage {
    pub services: Vec<ServiceView>,
    /// The id to pass as `after` for the next page; `None` on the last.
    pub next_after: Option<ServiceId>,
    /// How many services the registry has in all.
    pub total: u32,
    /// The last ledger sequence applied to the view.
    pub as_of_seq: u64,
}

/// A page of a Land's rollout: the same `Page` applies to the Kreise x
/// services rows and to the municipality x service rows.
/// `M` is the row of a municipality's adoption (`MunicipalityRolloutV1`
/// in `Rollout2`, kept for older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPage<M = MunicipalityRollout> {
    pub scope: RolloutScope,
    pub as_of: Date,
    pub kreise: Vec<KreisCoverage>,
    pub kreise_total: u32,
    pub municipalities: Vec<M>,
    pub municipalities_total: u32,
    /// Whether the Land takes part in each service in scope (whole).
    pub land_participates: Vec<(ServiceId, bool)>,
    /// Where the next page starts; `None` when both lists end here.
    pub next_offset: Option<u32>,
}

impl RolloutPage {
    /// The page's rows as the unpaged view holds them.
    pub fn view(&self) -> RolloutView {
        RolloutView {
            scope: self.scope.clone(),
            as_of: self.as_of,
            kreise: self.kreise.clone(),
            municipalities: self.municipalities.clone(),
            land_participates: self.land_participates.clone(),
        }
    }

    /// The page as older clients read it (`Rollout2`).
    pub fn into_v1(self) -> RolloutPage<MunicipalityRolloutV1> {
        RolloutPage {
            municipalities: rows_v1(&self.municipalities),
            scope: self.scope,
            as_of: self.as_of,
            kreise: self.kreise,
            kreise_total: self.kreise_total,
            municipalities_total: self.municipalities_total,
            land_participates: self.land_participates,
            next_offset: self.next_offset,
        }
    }
}

/// A page of the adoptions without a step for `days_min` days; `R` is the
/// row (`StalledRolloutV1` in `Stalled2`, kept for older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalledPage<R = StalledRollout> {
    pub land: LandCode,
    pub days_min: u32,
    pub as_of: Date,
    pub stalled: Vec<R>,
    pub total: u32,
    pub next_offset: Option<u32>,
}

impl StalledPage {
    /// The page as older clients read it (`Stalled2`).
    pub fn into_v1(self) -> StalledPage<StalledRolloutV1> {
        StalledPage {
            stalled: self.stalled.iter().map(StalledRolloutV1::from).collect(),
            land: self.land,
            days_min: self.days_min,
            as_of: self.as_of,
            total: self.total,
            next_offset: self.next_offset,
        }
    }

    /// The page's rows as the unpaged view holds them.
    pub fn view(&self) -> StalledView {
        StalledView {
            land: self.land,
            days_min: self.days_min,
            as_of: self.as_of,
            stalled: self.stalled.clone(),
        }
    }
}

/// A page of one municipality: the same `Page` applies to its adoptions
/// and to the services it could adopt.
/// `M` is the row of an adoption and `B` the adoptions beneath
/// (`MunicipalityRolloutV1` and `()`, no bytes, in `Gemeinde2`, kept for
/// older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindePage<M = MunicipalityRollout, B = Vec<MunicipalityRollout>> {
    pub ags: Ags,
    pub name: String,
    pub population: Option<u64>,
    pub status_de: String,
    pub adoptions: Vec<M>,
    pub adoptions_total: u32,
    pub available: Vec<(ServiceId, String, bool)>,
    pub available_total: u32,
    pub as_of: Date,
    pub next_offset: Option<u32>,
    /// The family's adoptions beneath the ones that count (whole, on every
    /// page; see `GemeindeView::beneath`).
    pub beneath: B,
}

impl GemeindePage {
    /// The page's rows as the unpaged view holds them.
    pub fn view(&self) -> GemeindeView {
        GemeindeView {
            ags: self.ags,
            name: self.name.clone(),
            population: self.population,
            status_de: self.status_de.clone(),
            adoptions: self.adoptions.clone(),
            available: self.available.clone(),
            as_of: self.as_of,
            beneath: self.beneath.clone(),
        }
    }

    /// The page as older clients read it (`Gemeinde2`).
    pub fn into_v1(self) -> GemeindePage<MunicipalityRolloutV1, ()> {
        GemeindePage {
            beneath: (),
            adoptions: rows_v1(&self.adoptions),
            ags: self.ags,
            name: self.name,
            population: self.population,
            status_de: self.status_de,
            adoptions_total: self.adoptions_total,
            available: self.available,
            available_total: self.available_total,
            as_of: self.as_of,
            next_offset: self.next_offset,
        }
    }
}

/// A page of a Land's page: the same `Page` applies to the services it
/// leads and to those it joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandPage {
    pub land: LandCode,
    pub leads: Vec<ServiceId>,
    pub leads_total: u32,
    pub joined: Vec<LandParticipation>,
    pub joined_total: u32,
    pub municipalities_registered: u32,
    pub municipalities_live_any: u32,
    pub as_of: Date,
    pub next_offset: Option<u32>,
}

impl LandPage {
    /// The page's rows as the unpaged view holds them.
    pub fn view(&self) -> LandView {
        LandView {
            land: self.land,
            leads: self.leads.clone(),
            joined: self.joined.clone(),
            municipalities_registered: self.municipalities_registered,
            municipalities_live_any: self.municipalities_live_any,
            as_of: self.as_of,
        }
    }
}

/// A page of what a Land owes in a year: its lines, one per service; the
/// total is over all lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandCostsPage {
    pub land: LandCode,
    pub year: u16,
    pub lines: Vec<LandCostLine>,
    pub lines_total: u32,
    pub total: Cents,
    pub next_offset: Option<u32>,
}

/// A page of the municipalities registered in a Land, by AGS, as of a
/// day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindenPage {
    pub land: LandCode,
    pub as_of: Date,
    pub gemeinden: Vec<crate::views::GemeindeEntry>,
    pub total: u32,
    pub next_offset: Option<u32>,
}

impl GemeindenPage {
    /// The page's rows as a list of them all would hold them.
    pub fn view(&self) -> crate::views::GemeindenView {
        crate::views::GemeindenView {
            land: self.land,
            as_of: self.as_of,
            gemeinden: self.gemeinden.clone(),
        }
    }
}

/// A page of the active municipalities of a Land that do not offer a
/// service as of a day, most inhabitants first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAdoptedPage {
    pub land: LandCode,
    pub service: ServiceId,
    pub as_of: Date,
    pub gemeinden: Vec<crate::views::NotAdoptedEntry>,
    /// How many there are in all, and their inhabitants.
    pub total: u32,
    pub population: u64,
    pub next_offset: Option<u32>,
}

impl NotAdoptedPage {
    /// The page's rows as a list of them all would hold them.
    pub fn view(&self) -> crate::views::NotAdoptedView {
        crate::views::NotAdoptedView {
            land: self.land,
            service: self.service.clone(),
            as_of: self.as_of,
            gemeinden: self.gemeinden.clone(),
        }
    }
}

/// The order of a Land's funnels, one per service with adoptions there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FunnelOrder {
    /// By service id.
    #[default]
    Service,
    /// Fewest adoptions live first: where the rollout lags.
    FewestLive,
    /// Most adoptions live first.
    MostLive,
    /// Longest median time from request to live first (services without
    /// any live adoption last).
    SlowestToLive,
}

impl FunnelOrder {
    pub const ALL: [FunnelOrder; 4] = [
        Self::Service,
        Self::FewestLive,
        Self::MostLive,
        Self::SlowestToLive,
    ];
}

/// A page of the funnels of the services with adoptions in a Land on a
/// day, in the order asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandFunnelsPage {
    pub land: LandCode,
    pub as_of: Date,
    pub order: FunnelOrder,
    pub funnels: Vec<crate::views::FunnelView>,
    pub total: u32,
    pub next_offset: Option<u32>,
}

impl LandFunnelsPage {
    /// The page's rows as a list of them all would hold them.
    pub fn view(&self) -> crate::views::LandFunnelsView {
        crate::views::LandFunnelsView {
            land: self.land,
            as_of: self.as_of,
            order: self.order,
            funnels: self.funnels.clone(),
        }
    }
}

/// Reuse across Germany with a page of the services only their lead
/// Land uses; the figures are over all services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReusePage {
    pub services: u32,
    pub participations: u32,
    pub lead_only: Vec<ServiceId>,
    pub lead_only_total: u32,
    pub per_land: Vec<(LandCode, u32, u32)>,
    pub as_of: Date,
    pub next_offset: Option<u32>,
}

impl ReusePage {
    /// The page's rows as the unpaged view holds them.
    pub fn view(&self) -> ReuseSummary {
        ReuseSummary {
            services: self.services,
            participations: self.participations,
            lead_only: self.lead_only.clone(),
            per_land: self.per_land.clone(),
            as_of: self.as_of,
        }
    }
}
