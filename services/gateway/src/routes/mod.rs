//! The API: which path goes to which handler. The state the handlers
//! share is `crate::state`, below both the API and the web pages; the
//! router with its layers is `crate::router`, above both. The API's
//! routes are one list,
//! [`api`], from which both the router and the OpenAPI document are made,
//! so neither can miss a route.

pub(crate) mod exports;
pub(crate) mod health;
mod ledger;
mod places;
pub(crate) mod read;
mod services;
mod settlement;
mod views;
mod write;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::contract::services as service;
use crate::contract::{adoptions, participants, reference, settlement as closing};
use write::write;

pub use ledger::{ExportParams, LedgerKeyJson};
pub use places::{ROLLOUT_TABLES, RolloutParams, STALLED_DAYS_DEFAULT, StalledParams};
pub use services::ServicesPage;
pub use settlement::{COST_TABLES, CostYearParams};
pub use views::{
    CatalogueQuery, FunnelParams, GemeindeParam, HistoryParams, PAGE_LIMIT_MAX, SORT_KEYS,
};

pub use crate::state::AppState;

/// One route of the API: method, path template, handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub(crate) handler: MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn endpoint<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// One line a route: `METHOD "path" => handler`.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr,)*) => {
        vec![$(endpoint(Method::$method, $path, $handler)),*]
    };
}

/// Every route under `/api/v1`, in the order the documentation lists them.
pub fn api() -> Vec<Endpoint> {
    routes![
        GET "/api/v1/services" => services::list,
        POST "/api/v1/services" => write::<service::Announce>,
        GET "/api/v1/services/{id}" => services::get_one,
        PUT "/api/v1/services/{id}" => write::<service::Details>,
        POST "/api/v1/services/{id}/status" => write::<service::Status>,
        POST "/api/v1/services/{id}/reifegrad" => write::<service::Assessment>,
        POST "/api/v1/services/{id}/retirement" => write::<service::Retirement>,
        GET "/api/v1/services/{id}/participations" => views::participations,
        POST "/api/v1/services/{id}/participations" => write::<service::Join>,
        DELETE "/api/v1/services/{id}/participations/{land}" => services::leave,
        POST "/api/v1/services/{id}/costs" => write::<service::CostReport>,
        POST "/api/v1/services/{id}/costs/{cost_no}/corrections" => write::<service::CostCorrection>,
        POST "/api/v1/services/{id}/closings" => settlement::close_year,
        POST "/api/v1/services/{id}/participation-corrections" => write::<closing::ParticipationCorrection>,
        GET "/api/v1/catalogue" => views::catalogue,
        GET "/api/v1/services/{id}/detail" => views::service_detail,
        GET "/api/v1/services/{id}/costs/{year}" => settlement::cost_year,
        GET "/api/v1/services/{id}/funnel" => views::funnel,
        GET "/api/v1/services/{id}/history" => views::service_history,
        GET "/api/v1/lands/{land}" => places::land,
        GET "/api/v1/lands/{land}/costs/{year}" => places::land_costs,
        GET "/api/v1/lands/{land}/statements/{year}" => settlement::statement,
        GET "/api/v1/lands/{land}/rollout" => places::rollout,
        GET "/api/v1/lands/{land}/stalled" => places::stalled,
        GET "/api/v1/reuse" => places::reuse,
        GET "/api/v1/history" => views::all_history,
        GET "/api/v1/ledger/checkpoint" => ledger::checkpoint,
        GET "/api/v1/ledger/export" => ledger::export,
        GET "/api/v1/openapi.json" => openapi,
        POST "/api/v1/gemeinden" => write::<participants::Gemeinde>,
        GET "/api/v1/gemeinden/{ags}" => places::gemeinde,
        PUT "/api/v1/gemeinden/{ags}" => write::<participants::Rename>,
        POST "/api/v1/gemeinden/{ags}/merger" => write::<participants::Merger>,
        POST "/api/v1/gemeinden/{ags}/retirement" => write::<participants::Retirement>,
        POST "/api/v1/kreise" => write::<participants::Kreis>,
        POST "/api/v1/operators" => write::<participants::Operator>,
        POST "/api/v1/adoptions" => write::<adoptions::Request>,
        POST "/api/v1/adoptions/{service}/{ags}/steps" => write::<adoptions::Step>,
        POST "/api/v1/adoptions/{service}/{ags}/withdrawal" => write::<adoptions::Withdrawal>,
        POST "/api/v1/reference/allocation-keys" => write::<reference::AllocationKey>,
        POST "/api/v1/reference/populations" => write::<reference::Populations>,
    ]
}

/// `GET /api/v1/openapi.json`.
async fn openapi() -> axum::Json<serde_json::Value> {
    axum::Json(crate::openapi::openapi_document())
}
