//! The paged lists of the API (see `paging`): for each, the query of one
//! page, the page in the projector's answer, the page as JSON with its
//! totals, and (for those also offered as CSV) its rows and where the
//! whole export goes on. Also the page answers turned back into the views
//! the JSON and CSV writers know, so a page is written like the whole
//! list was.

use efa_proto::pages::{
    FunnelOrder, GemeindePage, GemeindenPage, LandFunnelsPage, LandPage, NotAdoptedPage, ReusePage,
    RolloutPage, ServicesPage, StalledPage,
};
use efa_proto::views::RolloutScope;
use efa_proto::{Ags, Date, LandCode, QueryKind, QueryReply, ServiceId};

use super::read::{self, reply_of};
use crate::paging::{Cursor, Export, List, offset_page};
use crate::params::ReadQuery;
use crate::problem::ApiError;
use efa_api::contract::field::Whole;
use efa_api::csv::Table;
use efa_api::dto::rollout::{
    GemeindeJson, GemeindenJson, LandFunnelsJson, LandViewJson, NotAdoptedJson, ReuseJson,
    RolloutJson, StalledJson,
};
use efa_api::dto::{
    CatalogueJson, GemeindeTotals, GemeindenTotals, LandFunnelsTotals, LandTotals,
    NotAdoptedTotals, ReuseTotals, RolloutTotals, ServicesTotals, StalledTotals,
};
use efa_api::query::LIMIT_DEFAULT;
use efa_api::tables;

/// The next offset of a list of `total` rows, if it goes on.
fn within(next: Option<u32>, total: u32) -> Option<Cursor> {
    next.filter(|next| *next < total).map(Cursor::Offset)
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
            Cursor::Offset(_) | Cursor::FromSeq(_) => None,
        };
        QueryKind::Services { after, limit: rows }
    }

    fn page(&self, reply: QueryReply) -> Result<ServicesPage, ApiError> {
        reply_of!(reply, Services)
    }

    /// `?limit=&cursor=`: the last id of the page before.
    fn first(&self, query: &ReadQuery) -> Result<(Cursor, u32), ApiError> {
        let params: efa_api::query::ServicesPage = query.read()?;
        let limit = params.limit.map_or(LIMIT_DEFAULT, |Whole(limit)| limit);
        Ok((Cursor::After(params.cursor), limit))
    }

    fn json(&self, page: &ServicesPage) -> (CatalogueJson, ServicesTotals, Option<Cursor>) {
        let totals = ServicesTotals {
            total: page.total,
            next_cursor: page.next_after.as_ref().map(ToString::to_string),
        };
        let json = CatalogueJson::from(page);
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
        (tables::services(page), next_after(page))
    }
}

/// The `List` of a list read by offset, whose JSON is its view's JSON
/// beside the page's totals: its type, page, query and answer variant,
/// JSON, totals and view; with `$this` for `self`, its path and the query's
/// fields; a `found` message makes an absent page a 404, a `csv` table
/// and row count make it an `Export` of the view's table.
macro_rules! offset_list {
    (
        $list:ident, $page:ident, $kind:ident => $reply:ident, $json:ident, $totals:ident,
        |$this:ident| $path:expr, { $($field:ident: $value:expr),* }
        $(, found $missing:expr)? $(, csv $table:path, $rows:ident)?
    ) => {
        impl List for $list {
            type Page = $page;
            type Json = $json;
            type Totals = $totals;

            fn path(&$this) -> String {
                $path
            }

            fn query(&$this, cursor: &Cursor, rows: u32) -> QueryKind {
                QueryKind::$kind { $($field: $value,)* page: offset_page(cursor, rows) }
            }

            fn page(&$this, reply: QueryReply) -> Result<$page, ApiError> {
                let page = reply_of!(reply, $reply);
                $(let page = read::found(page?, || $missing);)?
                page
            }

            fn json(&self, page: &$page) -> ($json, $totals, Option<Cursor>) {
                let json = $json::from(&page.view());
                (json, $totals::from(page), page.next_offset.map(Cursor::Offset))
            }
        }
        $(impl Export for $list {
            fn rows(&self, page: &$page) -> (Table, Option<Cursor>) {
                ($table(&page.view()), within(page.next_offset, page.$rows))
            }
        })?
    };
}

/// `GET /api/v1/lands/{land}`: the services the Land leads and joined.
pub struct Land {
    pub land: LandCode,
    pub as_of: Option<Date>,
}

offset_list!(Land, LandPage, Land2 => Land2, LandViewJson, LandTotals,
    |self| format!("/api/v1/lands/{}", self.land), { land: self.land, as_of: self.as_of });

/// `GET /api/v1/reuse`: the services only their lead Land uses.
pub struct Reuse {
    pub as_of: Option<Date>,
}

offset_list!(Reuse, ReusePage, Reuse2 => Reuse2, ReuseJson, ReuseTotals,
    |self| "/api/v1/reuse".to_owned(), { as_of: self.as_of });

/// `GET /api/v1/lands/{land}/rollout`: as CSV the municipalities, or
/// with `kreise` the Kreise.
pub struct Rollout {
    pub scope: RolloutScope,
    pub kreise: bool,
}

offset_list!(Rollout, RolloutPage, Rollout3 => Rollout3, RolloutJson, RolloutTotals,
    |self| format!("/api/v1/lands/{}/rollout", self.scope.land), { scope: self.scope.clone() });

impl Export for Rollout {
    fn rows(&self, page: &RolloutPage) -> (Table, Option<Cursor>) {
        let (land, as_of) = (page.scope.land, page.as_of);
        if self.kreise {
            let table = tables::kreise(format!("rollout-kreise-{land}-{as_of}"), &page.kreise);
            (table, within(page.next_offset, page.kreise_total))
        } else {
            let name = format!("rollout-gemeinden-{land}-{as_of}");
            let table = tables::municipalities(name, &page.municipalities);
            (table, within(page.next_offset, page.municipalities_total))
        }
    }
}

/// `GET /api/v1/lands/{land}/stalled`: of one service or of all.
pub struct Stalled {
    pub land: LandCode,
    pub service: Option<ServiceId>,
    pub days_min: u32,
    pub as_of: Option<Date>,
}

offset_list!(Stalled, StalledPage, Stalled4 => Stalled4, StalledJson, StalledTotals,
    |self| format!("/api/v1/lands/{}/stalled", self.land),
    { land: self.land, service: self.service.clone(), days_min: self.days_min, as_of: self.as_of },
    csv tables::stalled, total);

/// `GET /api/v1/lands/{land}/gemeinden`: the municipalities registered
/// in the Land.
pub struct Gemeinden {
    pub land: LandCode,
    pub as_of: Option<Date>,
}

offset_list!(Gemeinden, GemeindenPage, Gemeinden => Gemeinden, GemeindenJson, GemeindenTotals,
    |self| format!("/api/v1/lands/{}/gemeinden", self.land), { land: self.land, as_of: self.as_of },
    csv tables::gemeinden, total);

/// `GET /api/v1/lands/{land}/funnels`: the funnels in the Land of the
/// services with adoptions there, in an order.
pub struct LandFunnels {
    pub land: LandCode,
    pub as_of: Option<Date>,
    pub order: FunnelOrder,
}

offset_list!(LandFunnels, LandFunnelsPage, LandFunnels => LandFunnels, LandFunnelsJson,
    LandFunnelsTotals, |self| format!("/api/v1/lands/{}/funnels", self.land),
    { land: self.land, as_of: self.as_of, order: self.order }, csv tables::land_funnels, total);

/// `GET /api/v1/lands/{land}/not-adopted/{service}`: the municipalities
/// of the Land that do not offer the service. A service not yet announced
/// on the day asked for is the projector's `NotFound`, a 404 like every
/// rejection `state::ask` hands on.
pub struct NotAdopted {
    pub land: LandCode,
    pub service: ServiceId,
    pub as_of: Option<Date>,
}

offset_list!(NotAdopted, NotAdoptedPage, NotAdopted => NotAdopted, NotAdoptedJson,
    NotAdoptedTotals, |self| format!("/api/v1/lands/{}/not-adopted/{}", self.land, self.service),
    { land: self.land, service: self.service.clone(), as_of: self.as_of },
    csv tables::not_adopted, total);

/// `GET /api/v1/gemeinden/{ags}`: as CSV its adoptions.
pub struct Gemeinde {
    pub ags: Ags,
    pub as_of: Option<Date>,
}

offset_list!(Gemeinde, GemeindePage, Gemeinde3 => Gemeinde3, GemeindeJson, GemeindeTotals,
    |self| format!("/api/v1/gemeinden/{}", self.ags), { ags: self.ags, as_of: self.as_of },
    found no_gemeinde(self.ags));

impl Export for Gemeinde {
    fn rows(&self, page: &GemeindePage) -> (Table, Option<Cursor>) {
        let name = format!("uebernahmen-{}-{}", page.ags, page.as_of);
        let table = tables::municipalities(name, &page.adoptions);
        (table, within(page.next_offset, page.adoptions_total))
    }
}
