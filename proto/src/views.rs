//! The views the projector answers with, beyond the plain catalogue:
//! reuse, cost sharing, rollout, history. Every view can be asked "as of"
//! an effective date; every figure carries what it was computed from.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::ids::{Ags, KreisKey, LandCode, ServiceId};
use crate::money::Cents;
use crate::participant::{AdoptionStage, CostCategory};
use crate::query::ServiceView;
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::time::{Date, Timestamp};

/// Filters, sorting and paging of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CatalogueFilter {
    /// Services this Land leads or takes part in.
    pub land: Option<LandCode>,
    pub themenfeld: Option<String>,
    pub status: Option<ServiceStatus>,
    pub reifegrad: Option<Reifegrad>,
    pub channel: Option<Channel>,
    /// Case-insensitive search in title, id, OZG id and provider.
    pub text: Option<String>,
    pub sort: CatalogueSort,
    pub offset: u32,
    /// At most this many (the projector caps it at 1000).
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CatalogueSort {
    #[default]
    Title,
    /// Most participating Länder first.
    Reuse,
    /// Most municipalities live first.
    Live,
    Announced,
}

/// One service in the catalogue, with its reuse figures, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub service: ServiceView,
    /// Länder taking part on the date, the lead included, by code.
    pub lands: Vec<LandCode>,
    /// Municipal adoptions by stage (requested, agreed, onboarding, live,
    /// withdrawn), counting each municipality's current adoption.
    pub adoptions: [u32; 5],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CataloguePage {
    pub services: Vec<ServiceSummary>,
    /// How many services match the filter (before paging).
    pub total: u32,
    pub as_of: Date,
    pub as_of_seq: u64,
}

/// A Land's participation in a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationView {
    pub land: LandCode,
    pub joined: Date,
    pub left: Option<Date>,
    pub is_lead: bool,
}

/// Coverage of a service in one Land, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandCoverage {
    pub land: LandCode,
    /// Whether the Land takes part on the date.
    pub participating: bool,
    pub municipalities_registered: u32,
    pub municipalities_live: u32,
    /// Population of the live municipalities (where known).
    pub population_live: u64,
    /// Every registered, active municipality of the Land is live.
    pub flaechendeckend: bool,
}

/// Everything about one service, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub participations: Vec<ParticipationView>,
    /// Population of the Länder taking part (latest published figures not
    /// after the date).
    pub population_lands: u64,
    /// Per Land with any registered municipality or participation.
    pub coverage: Vec<LandCoverage>,
    pub costs: Vec<CostLineView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLineView {
    pub cost_no: u32,
    pub year: u16,
    pub category: CostCategory,
    /// The amount after all corrections.
    pub amount: Cents,
    /// The amount first reported, and how many corrections followed.
    pub reported: Cents,
    pub corrections: u32,
    pub note: String,
    /// Ledger sequences of the report and its corrections.
    pub seqs: Vec<u64>,
}

/// A Land's page: what it leads, what it joined, how far it rolled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandView {
    pub land: LandCode,
    pub leads: Vec<ServiceId>,
    pub joined: Vec<LandParticipation>,
    pub municipalities_registered: u32,
    /// Distinct municipalities of the Land live with at least one service.
    pub municipalities_live_any: u32,
    pub as_of: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandParticipation {
    pub service: ServiceId,
    pub title: String,
    pub lead: LandCode,
    pub joined: Date,
    pub left: Option<Date>,
}

/// Reuse across Germany, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReuseSummary {
    /// Services not retired on the date.
    pub services: u32,
    /// Sum over those services of the Länder taking part; divided by
    /// `services` this is the reuse factor.
    pub participations: u32,
    /// Services that only their lead Land uses.
    pub lead_only: Vec<ServiceId>,
    /// Per Land: services led, services joined.
    pub per_land: Vec<(LandCode, u32, u32)>,
    pub as_of: Date,
}

/// A rational number, exactly, as decimal strings (may be large).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exact {
    pub numerator: String,
    pub denominator: String,
}

/// One Land's share of a service's costs in a year, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLine {
    pub land: LandCode,
    /// The Land's weight under the model (key units, inhabitants, 1, or the
    /// fixed weight).
    pub weight: u64,
    /// Days of the year on which the Land took part.
    pub days: u32,
    /// The Land's part of the year's amount before rounding (exact), in cents.
    pub exact_cents: Exact,
    /// Its average fraction of the allocated amount, exactly.
    pub fraction: Exact,
    /// The rounded share in cents.
    pub cents: Cents,
}

/// The split of one service's costs of one year under one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostSplit {
    pub model: CostModel,
    /// What the model's weights came from, e.g. "Königsteiner Schlüssel
    /// 2016" or "Einwohner zum 2018-12-31"; empty for equal shares.
    pub weights_source: String,
    pub total: Cents,
    pub allocated: Cents,
    /// Days with no participating Land (or no weight) are not allocated.
    pub unallocated: Cents,
    pub days_in_year: u32,
    pub shares: Vec<ShareLine>,
    /// Why a split could not be made (e.g. no key published), if so.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostSharingView {
    pub service: ServiceId,
    pub year: u16,
    pub costs: Vec<CostLineView>,
    /// Under the service's own model.
    pub split: CostSplit,
    /// The same costs under the other models, for comparison.
    pub alternatives: Vec<CostSplit>,
}

/// What a Land owes in a year across all services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandCostsView {
    pub land: LandCode,
    pub year: u16,
    pub lines: Vec<LandCostLine>,
    pub total: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandCostLine {
    pub service: ServiceId,
    pub title: String,
    pub share: ShareLine,
    pub service_total: Cents,
}

/// Where to look in the rollout monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutScope {
    pub land: LandCode,
    pub kreis: Option<KreisKey>,
    pub service: Option<ServiceId>,
    pub as_of: Option<Date>,
}

/// Coverage of one service in one Kreis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KreisCoverage {
    pub kreis: KreisKey,
    pub kreis_name: String,
    pub service: ServiceId,
    pub municipalities: u32,
    /// By stage: requested, agreed, onboarding, live, withdrawn.
    pub stages: [u32; 5],
    pub population: u64,
    pub population_live: u64,
}

/// The adoption that counts for a municipality and a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityRollout {
    pub ags: Ags,
    pub name: String,
    pub service: ServiceId,
    pub stage: AdoptionStage,
    pub since: Date,
    /// The municipality whose adoption it is: `ags` itself, or a
    /// predecessor merged into it (whose AGS a withdrawal names).
    pub adopter: Ags,
}

/// `MunicipalityRollout` as the wire carried it before the adopter, in
/// the answers kept for older clients (`Rollout`, `Rollout2`, `Gemeinde`,
/// `Gemeinde2`): the same bytes as then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityRolloutV1 {
    pub ags: Ags,
    pub name: String,
    pub service: ServiceId,
    pub stage: AdoptionStage,
    pub since: Date,
}

impl From<&MunicipalityRollout> for MunicipalityRolloutV1 {
    fn from(row: &MunicipalityRollout) -> Self {
        Self {
            ags: row.ags,
            name: row.name.clone(),
            service: row.service.clone(),
            stage: row.stage,
            since: row.since,
        }
    }
}

/// The rows of `rows` as older clients read them.
pub fn rows_v1(rows: &[MunicipalityRollout]) -> Vec<MunicipalityRolloutV1> {
    rows.iter().map(MunicipalityRolloutV1::from).collect()
}

/// A Land's rollout; `M` is the row of a municipality's adoption
/// (`MunicipalityRolloutV1` in the answers kept for older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutView<M = MunicipalityRollout> {
    pub scope: RolloutScope,
    pub as_of: Date,
    /// Kreise x services.
    pub kreise: Vec<KreisCoverage>,
    /// One row per municipality and service with an adoption.
    pub municipalities: Vec<M>,
    /// Whether the Land takes part in each service in scope.
    pub land_participates: Vec<(ServiceId, bool)>,
}

impl RolloutView {
    /// The view as older clients read it.
    pub fn into_v1(self) -> RolloutView<MunicipalityRolloutV1> {
        RolloutView {
            municipalities: rows_v1(&self.municipalities),
            scope: self.scope,
            as_of: self.as_of,
            kreise: self.kreise,
            land_participates: self.land_participates,
        }
    }
}

/// An adoption under way without a step for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalledRollout {
    pub ags: Ags,
    pub name: String,
    pub service: ServiceId,
    pub stage: AdoptionStage,
    pub last_step: Date,
    pub days: u32,
    /// The municipality whose adoption it is: `ags` itself, or a
    /// predecessor merged into it (whose AGS a step or a withdrawal
    /// names).
    pub adopter: Ags,
}

/// `StalledRollout` as the wire carried it before the adopter, in the
/// answers kept for older clients (`Stalled`, `Stalled2`): the same bytes
/// as then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalledRolloutV1 {
    pub ags: Ags,
    pub name: String,
    pub service: ServiceId,
    pub stage: AdoptionStage,
    pub last_step: Date,
    pub days: u32,
}

impl From<&StalledRollout> for StalledRolloutV1 {
    fn from(row: &StalledRollout) -> Self {
        Self {
            ags: row.ags,
            name: row.name.clone(),
            service: row.service.clone(),
            stage: row.stage,
            last_step: row.last_step,
            days: row.days,
        }
    }
}

/// The stalled adoptions of a Land; `R` is the row (`StalledRolloutV1`
/// in `Stalled`, kept for older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalledView<R = StalledRollout> {
    pub land: LandCode,
    pub days_min: u32,
    pub as_of: Date,
    pub stalled: Vec<R>,
}

impl StalledView {
    /// The view as older clients read it (`Stalled`).
    pub fn into_v1(self) -> StalledView<StalledRolloutV1> {
        StalledView {
            stalled: self.stalled.iter().map(StalledRolloutV1::from).collect(),
            land: self.land,
            days_min: self.days_min,
            as_of: self.as_of,
        }
    }
}

/// A registered municipality as of a day, as a Land's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindeEntry {
    pub ags: Ags,
    pub name: String,
    /// Its inhabitants as registered, if any figure was.
    pub population: Option<u64>,
    /// "aktiv", "aufgelöst" or "aufgegangen in <AGS>".
    pub status_de: String,
}

/// The municipalities registered in a Land as of a day, by AGS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindenView {
    pub land: LandCode,
    pub as_of: Date,
    pub gemeinden: Vec<GemeindeEntry>,
}

/// An active municipality without an adoption of a service under way or
/// live: none ever, or one withdrawn (then since when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAdoptedEntry {
    pub ags: Ags,
    pub name: String,
    /// The name of its Kreis as registered, else the Kreis's key.
    pub kreis_name: String,
    /// Its inhabitants as registered, if any figure was.
    pub population: Option<u64>,
    /// The effective date of the withdrawal, if it withdrew an adoption.
    pub withdrawn_on: Option<Date>,
}

/// The active municipalities of a Land that do not offer a service as of
/// a day, most inhabitants first: whom a rollout has still to reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAdoptedView {
    pub land: LandCode,
    pub service: ServiceId,
    pub as_of: Date,
    pub gemeinden: Vec<NotAdoptedEntry>,
}

/// The funnels in a Land of the services with adoptions there, in an
/// order, as a list of them all holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandFunnelsView {
    pub land: LandCode,
    pub as_of: Date,
    pub order: crate::pages::FunnelOrder,
    pub funnels: Vec<FunnelView>,
}

/// The funnel of a service (in a Land, or everywhere), with lead times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelView {
    pub service: ServiceId,
    pub land: Option<LandCode>,
    pub as_of: Date,
    /// How many adoptions reached each stage (requested, agreed,
    /// onboarding, live) by the date, and how many were withdrawn.
    pub reached: [u32; 5],
    /// Days from request to live: median and 90th percentile (nearest
    /// rank), over adoptions live by the date; `None` without any.
    pub days_to_live_median: Option<u32>,
    pub days_to_live_p90: Option<u32>,
    pub live_count: u32,
}

/// Whose history to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistorySubject {
    Service(ServiceId),
    Gemeinde(Ags),
    /// Every event, in ledger order.
    All,
}

/// One event as the audit shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub seq: u64,
    pub recorded_at: Timestamp,
    pub effective: Date,
    pub actor: Actor,
    pub event_name: String,
    /// A German one-line description of the event.
    pub summary_de: String,
    pub hash_hex: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub subject: HistorySubject,
    pub entries: Vec<HistoryEntry>,
    /// Whether more entries follow after the last one.
    pub more: bool,
    /// The projector verified the hash chain up to this sequence.
    pub chain_verified_to: u64,
}
