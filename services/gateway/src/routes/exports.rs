//! The paged lists of the API (see `paging`): for each, the query of one
//! page, the page in the projector's answer, the page as JSON with its
//! totals, and (for those also offered as CSV) its rows and where the
//! whole export goes on. Also the page answers turned back into the views
//! the JSON and CSV writers know, so a page is written like the whole
//! list was.

use efa_proto::pages::{
    GemeindePage, LandCostsPage, LandPage, ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::{
    LandCostsView, LandView, ReuseSummary, RolloutScope, RolloutView, StalledView,
};
use efa_proto::{Ags, CatalogueView, Date, GemeindeView, LandCode, QueryKind, QueryReply};

use super::read::{self, reply_of};
use crate::csv::Table;
use crate::dto::costs::LandCostsJson;
use crate::dto::rollout::{GemeindeJson, LandViewJson, ReuseJson, RolloutJson, StalledJson};
use crate::dto::{
    CatalogueJson, GemeindeTotals, LandCostsTotals, LandTotals, ReuseTotals, RolloutTotals,
    ServicesTotals, StalledTotals,
};
use crate::paging::{Cursor, Export, List, offset_page};
use crate::problem::ApiError;
use crate::tables;

/// The next offset of a list of `total` rows, if it goes on.
fn within(next: Option<u32>, total: u32) -> Option<Cursor> {
    next.filter(|next| *next < total).map(Cursor::Offset)
}

pub fn catalogue_view(page: &ServicesPage) -> CatalogueView {
    CatalogueView {
        services: page.services.clone(),
        as_of_seq: page.as_of_seq,
    }
}

pub fn rollout_view(page: &RolloutPage) -> RolloutView {
    RolloutView {
        scope: page.scope.clone(),
        as_of: page.as_of,
        kreise: page.kreise.clone(),
        municipalities: page.municipalities.clone(),
        land_participates: page.land_participates.clone(),
    }
}

pub fn stalled_view(page: &StalledPage) -> StalledView {
    StalledView {
        land: page.land,
        days_min: page.days_min,
        as_of: page.as_of,
        stalled: page.stalled.clone(),
    }
}

pub fn land_view(page: &LandPage) -> LandView {
    LandView {
        land: page.land,
        leads: page.leads.clone(),
        joined: page.joined.clone(),
        municipalities_registered: page.municipalities_registered,
        municipalities_live_any: page.municipalities_live_any,
        as_of: page.as_of,
    }
}

pub fn land_costs_view(page: &LandCostsPage) -> LandCostsView {
    LandCostsView {
        land: page.land,
        year: page.year,
        lines: page.lines.clone(),
        total: page.total,
    }
}

pub fn reuse_view(page: &ReusePage) -> ReuseSummary {
    ReuseSummary {
        services: page.services,
        participations: page.participations,
        lead_only: page.lead_only.clone(),
        per_land: page.per_land.clone(),
        as_of: page.as_of,
    }
}

pub fn gemeinde_view(page: &GemeindePage) -> GemeindeView {
    GemeindeView {
        ags: page.ags,
        name: page.name.clone(),
        population: page.population,
        status_de: page.status_de.clone(),
        adoptions: page.adoptions.clone(),
        available: page.available.clone(),
        as_of: page.as_of,
    }
}

fn no_gemeinde(ags: Ags) -> String {
    format!("Die Gemeinde mit dem Schlüssel {ags} ist nicht registriert.")
}

/// `GET /api/v1/services`: all services ordered by id.
pub struct Services;

impl List for Services {
    type Page = ServicesPage;
    type Json = CatalogueJson;
    type Totals = ServicesTotals;

    fn path(&self) -> String {
        "/api/v1/services".to_owned()
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        let after = match cursor {
            Cursor::After(after) => after.clone(),
            Cursor::Offset(_) => None,
        };
        QueryKind::Services { after, limit: rows }
    }

    fn page(&self, reply: QueryReply) -> Result<ServicesPage, ApiError> {
        reply_of!(reply, Services)
    }

    fn json(&self, page: &ServicesPage) -> (CatalogueJson, ServicesTotals, Option<Cursor>) {
        let totals = ServicesTotals {
            total: page.total,
            next_cursor: page.next_after.as_ref().map(ToString::to_string),
        };
        let json = CatalogueJson::from(&catalogue_view(page));
        (json, totals, next_after(page))
    }
}

fn next_after(page: &ServicesPage) -> Option<Cursor> {
    page.next_after.clone().map(|id| Cursor::After(Some(id)))
}

impl Export for Services {
    fn start(&self) -> Cursor {
        Cursor::After(None)
    }

    fn rows(&self, page: &ServicesPage) -> (Table, Option<Cursor>) {
        (tables::services(&catalogue_view(page)), next_after(page))
    }
}

/// `GET /api/v1/lands/{land}`: the services the Land leads and joined.
pub struct Land {
    pub land: LandCode,
    pub as_of: Option<Date>,
}

impl List for Land {
    type Page = LandPage;
    type Json = LandViewJson;
    type Totals = LandTotals;

    fn path(&self) -> String {
        format!("/api/v1/lands/{}", self.land)
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        let (land, as_of) = (self.land, self.as_of);
        QueryKind::Land2 {
            land,
            as_of,
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<LandPage, ApiError> {
        reply_of!(reply, Land2)
    }

    fn json(&self, page: &LandPage) -> (LandViewJson, LandTotals, Option<Cursor>) {
        let json = LandViewJson::from(&land_view(page));
        (
            json,
            LandTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

/// `GET /api/v1/reuse`: the services only their lead Land uses.
pub struct Reuse {
    pub as_of: Option<Date>,
}

impl List for Reuse {
    type Page = ReusePage;
    type Json = ReuseJson;
    type Totals = ReuseTotals;

    fn path(&self) -> String {
        "/api/v1/reuse".to_owned()
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Reuse2 {
            as_of: self.as_of,
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<ReusePage, ApiError> {
        reply_of!(reply, Reuse2)
    }

    fn json(&self, page: &ReusePage) -> (ReuseJson, ReuseTotals, Option<Cursor>) {
        let json = ReuseJson::from(&reuse_view(page));
        (
            json,
            ReuseTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

/// `GET /api/v1/lands/{land}/rollout`: as CSV the municipalities, or
/// with `kreise` the Kreise.
pub struct Rollout {
    pub scope: RolloutScope,
    pub kreise: bool,
}

impl List for Rollout {
    type Page = RolloutPage;
    type Json = RolloutJson;
    type Totals = RolloutTotals;

    fn path(&self) -> String {
        format!("/api/v1/lands/{}/rollout", self.scope.land)
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Rollout2 {
            scope: self.scope.clone(),
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<RolloutPage, ApiError> {
        reply_of!(reply, Rollout2)
    }

    fn json(&self, page: &RolloutPage) -> (RolloutJson, RolloutTotals, Option<Cursor>) {
        let json = RolloutJson::from(&rollout_view(page));
        (
            json,
            RolloutTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

impl Export for Rollout {
    fn rows(&self, page: &RolloutPage) -> (Table, Option<Cursor>) {
        let land = page.scope.land;
        if self.kreise {
            let name = format!("rollout-kreise-{land}-{}", page.as_of);
            (
                tables::kreise(name, &page.kreise),
                within(page.next_offset, page.kreise_total),
            )
        } else {
            let name = format!("rollout-gemeinden-{land}-{}", page.as_of);
            (
                tables::municipalities(name, &page.municipalities),
                within(page.next_offset, page.municipalities_total),
            )
        }
    }
}

/// `GET /api/v1/lands/{land}/stalled`.
pub struct Stalled {
    pub land: LandCode,
    pub days_min: u32,
    pub as_of: Option<Date>,
}

impl List for Stalled {
    type Page = StalledPage;
    type Json = StalledJson;
    type Totals = StalledTotals;

    fn path(&self) -> String {
        format!("/api/v1/lands/{}/stalled", self.land)
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Stalled2 {
            land: self.land,
            days_min: self.days_min,
            as_of: self.as_of,
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<StalledPage, ApiError> {
        reply_of!(reply, Stalled2)
    }

    fn json(&self, page: &StalledPage) -> (StalledJson, StalledTotals, Option<Cursor>) {
        let json = StalledJson::from(&stalled_view(page));
        (
            json,
            StalledTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

impl Export for Stalled {
    fn rows(&self, page: &StalledPage) -> (Table, Option<Cursor>) {
        (
            tables::stalled(&stalled_view(page)),
            within(page.next_offset, page.total),
        )
    }
}

/// `GET /api/v1/gemeinden/{ags}`: as CSV its adoptions.
pub struct Gemeinde {
    pub ags: Ags,
    pub as_of: Option<Date>,
}

impl List for Gemeinde {
    type Page = GemeindePage;
    type Json = GemeindeJson;
    type Totals = GemeindeTotals;

    fn path(&self) -> String {
        format!("/api/v1/gemeinden/{}", self.ags)
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Gemeinde2 {
            ags: self.ags,
            as_of: self.as_of,
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<GemeindePage, ApiError> {
        read::found(reply_of!(reply, Gemeinde2)?, || no_gemeinde(self.ags))
    }

    fn json(&self, page: &GemeindePage) -> (GemeindeJson, GemeindeTotals, Option<Cursor>) {
        let json = GemeindeJson::from(&gemeinde_view(page));
        (
            json,
            GemeindeTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

impl Export for Gemeinde {
    fn rows(&self, page: &GemeindePage) -> (Table, Option<Cursor>) {
        let name = format!("uebernahmen-{}-{}", page.ags, page.as_of);
        (
            tables::municipalities(name, &page.adoptions),
            within(page.next_offset, page.adoptions_total),
        )
    }
}

/// `GET /api/v1/lands/{land}/costs/{year}`: a line per service.
pub struct LandCosts {
    pub land: LandCode,
    pub year: u16,
}

impl List for LandCosts {
    type Page = LandCostsPage;
    type Json = LandCostsJson;
    type Totals = LandCostsTotals;

    fn path(&self) -> String {
        format!("/api/v1/lands/{}/costs/{}", self.land, self.year)
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::LandCosts2 {
            land: self.land,
            year: self.year,
            page: offset_page(cursor, rows),
        }
    }

    fn page(&self, reply: QueryReply) -> Result<LandCostsPage, ApiError> {
        reply_of!(reply, LandCosts2)
    }

    fn json(&self, page: &LandCostsPage) -> (LandCostsJson, LandCostsTotals, Option<Cursor>) {
        let json = LandCostsJson::from(&land_costs_view(page));
        (
            json,
            LandCostsTotals::from(page),
            page.next_offset.map(Cursor::Offset),
        )
    }
}

impl Export for LandCosts {
    fn rows(&self, page: &LandCostsPage) -> (Table, Option<Cursor>) {
        (
            tables::land_costs(&land_costs_view(page)),
            within(page.next_offset, page.lines_total),
        )
    }
}
