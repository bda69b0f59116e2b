//! The paged lists of the API as whole CSV exports (see `paging`): for
//! each, the query of one page, and the rows and next cursor of its
//! answer. Also the page answers turned back into the views the JSON and
//! CSV writers know, so a page is written like the whole list was.

use efa_proto::pages::{
    GemeindePage, LandCostsPage, LandPage, Page, ReusePage, RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::{
    LandCostsView, LandView, ReuseSummary, RolloutScope, RolloutView, StalledView,
};
use efa_proto::{Ags, CatalogueView, Date, GemeindeView, LandCode, QueryKind, QueryReply};

use super::read;
use crate::csv::Table;
use crate::paging::{Cursor, Export};
use crate::problem::ApiError;
use crate::tables;

/// The page of `rows` rows that starts at `cursor`.
fn page(cursor: &Cursor, rows: u32) -> Page {
    let offset = match cursor {
        Cursor::Offset(offset) => *offset,
        Cursor::After(_) => 0,
    };
    Page {
        offset,
        limit: rows,
    }
}

/// A rejection in an answer is the error; any other kind is unexpected.
fn refused(reply: QueryReply) -> ApiError {
    match reply {
        QueryReply::Rejected(rejection) => ApiError::rejected(rejection),
        _ => read::unexpected(),
    }
}

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

/// `GET /api/v1/services?format=csv`.
pub struct Services;

impl Export for Services {
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        let after = match cursor {
            Cursor::After(after) => after.clone(),
            Cursor::Offset(_) => None,
        };
        QueryKind::Services { after, limit: rows }
    }

    fn rows(&self, reply: QueryReply) -> Result<(Table, Option<Cursor>), ApiError> {
        match reply {
            QueryReply::Services(page) => {
                let next = page.next_after.clone().map(|id| Cursor::After(Some(id)));
                Ok((tables::services(&catalogue_view(&page)), next))
            }
            other => Err(refused(other)),
        }
    }
}

/// `GET /api/v1/lands/{land}/rollout?format=csv`: the municipalities, or
/// with `kreise` the Kreise.
pub struct Rollout {
    pub scope: RolloutScope,
    pub kreise: bool,
}

impl Export for Rollout {
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Rollout2 {
            scope: self.scope.clone(),
            page: page(cursor, rows),
        }
    }

    fn rows(&self, reply: QueryReply) -> Result<(Table, Option<Cursor>), ApiError> {
        let QueryReply::Rollout2(page) = reply else {
            return Err(refused(reply));
        };
        let land = page.scope.land;
        Ok(if self.kreise {
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
        })
    }
}

/// `GET /api/v1/lands/{land}/stalled?format=csv`.
pub struct Stalled {
    pub land: LandCode,
    pub days_min: u32,
    pub as_of: Option<Date>,
}

impl Export for Stalled {
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Stalled2 {
            land: self.land,
            days_min: self.days_min,
            as_of: self.as_of,
            page: page(cursor, rows),
        }
    }

    fn rows(&self, reply: QueryReply) -> Result<(Table, Option<Cursor>), ApiError> {
        match reply {
            QueryReply::Stalled2(page) => Ok((
                tables::stalled(&stalled_view(&page)),
                within(page.next_offset, page.total),
            )),
            other => Err(refused(other)),
        }
    }
}

/// `GET /api/v1/gemeinden/{ags}?format=csv`: its adoptions.
pub struct Gemeinde {
    pub ags: Ags,
    pub as_of: Option<Date>,
}

impl Export for Gemeinde {
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::Gemeinde2 {
            ags: self.ags,
            as_of: self.as_of,
            page: page(cursor, rows),
        }
    }

    fn rows(&self, reply: QueryReply) -> Result<(Table, Option<Cursor>), ApiError> {
        match reply {
            QueryReply::Gemeinde2(Some(page)) => {
                let name = format!("uebernahmen-{}-{}", page.ags, page.as_of);
                Ok((
                    tables::municipalities(name, &page.adoptions),
                    within(page.next_offset, page.adoptions_total),
                ))
            }
            QueryReply::Gemeinde2(None) => Err(ApiError::NotFound(format!(
                "Die Gemeinde mit dem Schlüssel {} ist nicht registriert.",
                self.ags
            ))),
            other => Err(refused(other)),
        }
    }
}

/// `GET /api/v1/lands/{land}/costs/{year}?format=csv`.
pub struct LandCosts {
    pub land: LandCode,
    pub year: u16,
}

impl Export for LandCosts {
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        QueryKind::LandCosts2 {
            land: self.land,
            year: self.year,
            page: page(cursor, rows),
        }
    }

    fn rows(&self, reply: QueryReply) -> Result<(Table, Option<Cursor>), ApiError> {
        match reply {
            QueryReply::LandCosts2(page) => Ok((
                tables::land_costs(&land_costs_view(&page)),
                within(page.next_offset, page.lines_total),
            )),
            other => Err(refused(other)),
        }
    }
}
