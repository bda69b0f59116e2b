//! Queries to the projector and the views they return.

use serde::{Deserialize, Serialize};

use crate::ids::{Ags, LandCode, ServiceId};
use crate::pages::{
    FunnelOrder, GemeindePage, GemeindenPage, LandCostsPage, LandFunnelsPage, LandPage,
    NotAdoptedPage, Page, ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use crate::rejection::Rejection;
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::time::{Date, Timestamp};
use crate::views::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Read-your-writes: answer only from a view that has applied at least
    /// this ledger sequence, waiting (bounded) until it has.
    pub min_seq: u64,
    pub kind: QueryKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryKind {
    /// All services, ordered by id.
    Catalogue,
    /// One service.
    Service(ServiceId),
    /// The catalogue with filters, paging and reuse figures, as of a date
    /// (today when `None`).
    Catalogue2 {
        filter: CatalogueFilter,
        as_of: Option<Date>,
    },
    /// Everything about one service, as of a date.
    ServiceDetail {
        service: ServiceId,
        as_of: Option<Date>,
    },
    /// A Land's page.
    Land { land: LandCode, as_of: Option<Date> },
    /// Reuse across Germany.
    Reuse { as_of: Option<Date> },
    /// A service's costs of a year, split among the Länder, with the split
    /// under the other models for comparison.
    CostSharing { service: ServiceId, year: u16 },
    /// What a Land owes in a year across all services.
    LandCosts { land: LandCode, year: u16 },
    /// Rollout per Kreis and municipality.
    Rollout(RolloutScope),
    /// Adoptions with no step for at least `days_min` days, as of a date.
    Stalled {
        land: LandCode,
        days_min: u32,
        as_of: Option<Date>,
    },
    Funnel {
        service: ServiceId,
        land: Option<LandCode>,
        as_of: Option<Date>,
    },
    /// Events behind a subject, from a ledger sequence on.
    History {
        subject: HistorySubject,
        from_seq: u64,
        limit: u32,
    },
    /// One municipality's adoptions.
    Gemeinde { ags: Ags, as_of: Option<Date> },
    /// All services ordered by id, a page at a time: at most `limit` (0:
    /// the projector's default) after the id `after`.
    Services {
        after: Option<ServiceId>,
        limit: u32,
    },
    /// A page of a Land's rollout.
    Rollout2 { scope: RolloutScope, page: Page },
    /// A page of the stalled adoptions.
    Stalled2 {
        land: LandCode,
        days_min: u32,
        as_of: Option<Date>,
        page: Page,
    },
    /// A page of one municipality's adoptions and available services.
    Gemeinde2 {
        ags: Ags,
        as_of: Option<Date>,
        page: Page,
    },
    /// A page of a Land's page.
    Land2 {
        land: LandCode,
        as_of: Option<Date>,
        page: Page,
    },
    /// A page of what a Land owes in a year.
    LandCosts2 {
        land: LandCode,
        year: u16,
        page: Page,
    },
    /// Reuse across Germany with a page of the lead-only services.
    Reuse2 { as_of: Option<Date>, page: Page },
    /// A service's costs of a year as of a date, with the model in force
    /// for the year, its closing and the supplements since.
    CostYear {
        service: ServiceId,
        year: u16,
        as_of: Option<Date>,
    },
    /// A Land's statement of a year (Kostenaufstellung), as of a date.
    Statement {
        land: LandCode,
        year: u16,
        as_of: Option<Date>,
    },
    /// A page of the stalled adoptions, of one service or of all
    /// (`Stalled2` with a service filter; answered as `Stalled2`).
    Stalled3 {
        land: LandCode,
        service: Option<ServiceId>,
        days_min: u32,
        as_of: Option<Date>,
        page: Page,
    },
    /// `CostYear`, and with `known_at_seq` as the ledger had recorded it
    /// up to that sequence: what was recorded later does not count, even
    /// where it takes effect earlier (answered as `CostYear`).
    CostYear2 {
        service: ServiceId,
        year: u16,
        as_of: Option<Date>,
        known_at_seq: Option<u64>,
    },
    /// `Statement`, and with `known_at_seq` as the ledger had recorded it
    /// up to that sequence (answered as `Statement`).
    Statement2 {
        land: LandCode,
        year: u16,
        as_of: Option<Date>,
        known_at_seq: Option<u64>,
    },
    /// `Rollout2` with whose adoption each row is (answered as
    /// `Rollout3`).
    Rollout3 { scope: RolloutScope, page: Page },
    /// `Gemeinde2` with whose adoption each row is (answered as
    /// `Gemeinde3`).
    Gemeinde3 {
        ags: Ags,
        as_of: Option<Date>,
        page: Page,
    },
    /// `Stalled3` with whose adoption each row is (answered as
    /// `Stalled4`).
    Stalled4 {
        land: LandCode,
        service: Option<ServiceId>,
        days_min: u32,
        as_of: Option<Date>,
        page: Page,
    },
    /// `kind`, answered as `Stamped` with what the answer was made from;
    /// with `known`, the stamp of an answer the caller keeps, answered
    /// `Unchanged` when the answer is still that one (a conditional read).
    /// `kind` may not be `IfChanged` itself.
    IfChanged {
        kind: Box<QueryKind>,
        known: Option<AnswerStamp>,
    },
    /// A page of the municipalities registered in a Land, as of a date
    /// (answered as `Gemeinden`).
    Gemeinden {
        land: LandCode,
        as_of: Option<Date>,
        page: Page,
    },
    /// A page of the active municipalities of a Land that do not offer
    /// `service` as of a date (answered as `NotAdopted`; an unknown
    /// service, or one not yet announced by the date, is `NotFound`).
    NotAdopted {
        land: LandCode,
        service: ServiceId,
        as_of: Option<Date>,
        page: Page,
    },
    /// A page of the funnels in a Land of the services with adoptions
    /// there, as of a date, in `order` (answered as `LandFunnels`).
    LandFunnels {
        land: LandCode,
        as_of: Option<Date>,
        order: FunnelOrder,
        page: Page,
    },
}

/// What a projector made an answer from, and what it was: the ledger
/// sequence its views had applied, the version of its view store and of
/// the code that reads it, the day it took as today, and the SHA-256 of
/// the encoded answer. A caller keeps an answer by its stamp and asks
/// again with it (`QueryKind::IfChanged`): while the views stand where
/// the stamp says, the answer is the same without reading it; after they
/// moved, the projector reads the answer and compares its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AnswerStamp {
    pub applied_seq: u64,
    pub store_version: u64,
    /// The projector's store layout: replicas of another release may
    /// answer the same sequence differently.
    pub layout: u16,
    pub today: Date,
    pub digest: crate::Hash,
}

impl AnswerStamp {
    /// Whether the views stood at the same place for both stamps, so that
    /// any answer read under one is the answer under the other.
    pub fn same_views(&self, other: &AnswerStamp) -> bool {
        (
            self.applied_seq,
            self.store_version,
            self.layout,
            self.today,
        ) == (
            other.applied_seq,
            other.store_version,
            other.layout,
            other.today,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryReply {
    Catalogue(CatalogueView),
    Service(Option<ServiceView>),
    Rejected(Rejection),
    Catalogue2(CataloguePage),
    ServiceDetail(Option<ServiceDetail>),
    Land(LandView),
    Reuse(ReuseSummary),
    CostSharing(Option<CostSharingView>),
    LandCosts(LandCostsView),
    Rollout(RolloutView<MunicipalityRolloutV1>),
    Stalled(StalledView<StalledRolloutV1>),
    Funnel(Option<FunnelView>),
    History(HistoryView),
    Gemeinde(Option<GemeindeView<MunicipalityRolloutV1, ()>>),
    Services(ServicesPage),
    Rollout2(RolloutPage<MunicipalityRolloutV1>),
    Stalled2(StalledPage<StalledRolloutV1>),
    Gemeinde2(Option<GemeindePage<MunicipalityRolloutV1, ()>>),
    Land2(LandPage),
    LandCosts2(LandCostsPage),
    Reuse2(ReusePage),
    CostYear(Option<Box<crate::statement::CostYearView>>),
    Statement(crate::statement::StatementView),
    Rollout3(RolloutPage),
    Gemeinde3(Option<GemeindePage>),
    Stalled4(StalledPage),
    /// The answer to `IfChanged` without a stamp, or with one that no
    /// longer holds.
    Stamped {
        stamp: AnswerStamp,
        reply: Box<QueryReply>,
    },
    /// The answer to `IfChanged` whose answer is the one kept under its
    /// stamp: with the stamp to keep it under from now on.
    Unchanged(AnswerStamp),
    Gemeinden(GemeindenPage),
    NotAdopted(NotAdoptedPage),
    LandFunnels(LandFunnelsPage),
}

impl QueryReply {
    /// What `encode` makes of `Stamped { stamp, reply }`, from the reply
    /// already encoded by `encode`: the projector encodes an answer once,
    /// for its digest and to send it (a golden test holds the two
    /// encodings together).
    pub fn encode_stamped(stamp: &AnswerStamp, encoded_reply: &[u8]) -> Vec<u8> {
        crate::codec::encode_before_encoded(&(STAMPED_VARIANT, stamp), encoded_reply)
    }
}

/// `Stamped`'s place among `QueryReply`'s variants.
const STAMPED_VARIANT: u32 = 26;

/// One municipality and its adoptions, as of a date; `M` is the row of an
/// adoption and `B` the adoptions beneath (`MunicipalityRolloutV1` and
/// `()`, no bytes, in `Gemeinde`, kept for older clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemeindeView<M = MunicipalityRollout, B = Vec<MunicipalityRollout>> {
    pub ags: Ags,
    pub name: String,
    pub population: Option<u64>,
    /// Merged into a successor, or retired, by the date.
    pub status_de: String,
    pub adoptions: Vec<M>,
    /// Services not retired that the municipality could adopt, with
    /// whether its Land takes part.
    pub available: Vec<(ServiceId, String, bool)>,
    pub as_of: Date,
    /// The adoptions of its family (itself and the municipalities merged
    /// into it by the date) that do not count, each beneath the one that
    /// counts for its service; `()` in `Gemeinde`, kept for older clients.
    pub beneath: B,
}

impl GemeindeView {
    /// The view as older clients read it (`Gemeinde`).
    pub fn to_v1(&self) -> GemeindeView<MunicipalityRolloutV1, ()> {
        GemeindeView {
            beneath: (),
            adoptions: rows_v1(&self.adoptions),
            ags: self.ags,
            name: self.name.clone(),
            population: self.population,
            status_de: self.status_de.clone(),
            available: self.available.clone(),
            as_of: self.as_of,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub services: Vec<ServiceView>,
    /// The last ledger sequence applied to the view.
    pub as_of_seq: u64,
}

/// One EfA service as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub id: ServiceId,
    pub title: String,
    pub lead: LandCode,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
    pub status: ServiceStatus,
    pub reifegrad: Reifegrad,
    pub announced_on: Date,
    pub recorded_at: Timestamp,
    /// The stream version and ledger sequence of the last change.
    pub version: u64,
    pub last_seq: u64,
}

/// Ask a projector to rebuild its views from ledger sequence 1 into a new
/// store version and to swap it in without stopping its queries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildRequest {}

/// How far a running rebuild has come, published every few seconds on
/// `subjects::PROJECTOR_REBUILD_PROGRESS` for whoever asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildProgress {
    /// The new store's version.
    pub version: u64,
    /// The ledger sequence applied so far, and the one it aims for.
    pub applied: u64,
    pub target: u64,
    /// Events applied per second since the rebuild started.
    pub events_per_second: u64,
    /// At that rate, the seconds until `target`.
    pub seconds_left: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RebuildReply {
    /// The new store is in use: its version, and its content hash taken
    /// when it stood at ledger sequence `seq`, just before it caught up
    /// with the events that came meanwhile and was swapped in.
    Done {
        version: u64,
        seq: u64,
        content_hash: String,
    },
    /// Not rebuilt (one is running already, the ledger could not be read,
    /// the projector is stopping); the old views stay in use.
    Rejected(Rejection),
}
