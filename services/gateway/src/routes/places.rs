//! Reads about places from the projector's views: a Land's page, what it
//! owes in a year, its rollout per Kreis and municipality and the stalled
//! adoptions, reuse across Germany, and one municipality. All public;
//! lists also as CSV.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use efa_proto::views::RolloutScope;
use efa_proto::{KreisKey, QueryKind, QueryReply, ServiceId};
use serde::{Deserialize, Deserializer};
use utoipa::IntoParams;

use super::AppState;
use super::exports;
use super::read::{self, ask};
use crate::contract::field::{self, Whole};
use crate::dto::costs::LandCostsJson;
use crate::dto::rollout::{GemeindeJson, LandViewJson, ReuseJson, RolloutJson, StalledJson};
use crate::dto::{
    GemeindeTotals, LandCostsTotals, LandTotals, ReuseTotals, RolloutTotals, StalledTotals,
};
use crate::extract::PathParams;
use crate::openapi::values;
use crate::paging::{self, Cursor};
use crate::params::{Format, ReadQuery};
use crate::problem::ApiError;
use crate::tables;

/// Days without a step after which an adoption counts as stalled, unless
/// `?days=` says otherwise.
pub const STALLED_DAYS_DEFAULT: u32 = 90;

/// `GET /api/v1/lands/{land}?as_of=&offset=&limit=`: a page of the
/// services the Land leads and of those it joined (the same rows of each).
pub async fn land(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let as_of = query.allow(&["as_of", "offset", "limit"])?.as_of()?;
    let page = paging::page(&query)?;
    match ask(
        &state,
        query.min_seq()?,
        QueryKind::Land2 { land, as_of, page },
    )
    .await?
    {
        QueryReply::Land2(page) => {
            let view = exports::land_view(&page);
            let next = next_link(&query, &format!("/api/v1/lands/{land}"), page.next_offset);
            let totals = LandTotals {
                leads_total: page.leads_total,
                joined_total: page.joined_total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(LandViewJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/lands/{land}/costs/{year}?as_of=&offset=&limit=`: a page
/// of the lines, one per service, with the total over all; as CSV all
/// lines, streamed, unless a page is asked for. As of a date the lines come
/// from the Land's statement as of that date (`settlement::land_costs_as_of`).
pub async fn land_costs(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let (land, year) = (path.land("land")?, path.year("year")?);
    let format = query
        .allow(&["format", "offset", "limit", "as_of"])?
        .format()?;
    let min_seq = query.min_seq()?;
    if let Some(as_of) = query.as_of()? {
        return super::settlement::land_costs_as_of(&state, &query, (land, year), as_of).await;
    }
    if format == Format::Csv && !paging::asks_for_a_page(&query) {
        let export = exports::LandCosts { land, year };
        return paging::csv(state, min_seq, Cursor::Offset(0), export).await;
    }
    let page = paging::page(&query)?;
    match ask(&state, min_seq, QueryKind::LandCosts2 { land, year, page }).await? {
        QueryReply::LandCosts2(page) => {
            let view = exports::land_costs_view(&page);
            if format == Format::Csv {
                return Ok(tables::land_costs(&view).into_response());
            }
            let path = format!("/api/v1/lands/{land}/costs/{year}");
            let next = next_link(&query, &path, page.next_offset);
            let totals = LandCostsTotals {
                lines_total: page.lines_total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(LandCostsJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}

/// `?table=&kreis=&service=` of the rollout monitor.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RolloutParams {
    #[serde(default, deserialize_with = "rollout_table")]
    #[param(value_type = Option<values::RolloutTable>)]
    table: Option<String>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::KreisKey>)]
    kreis: Option<KreisKey>,
    #[serde(default, deserialize_with = "field::opt")]
    #[param(value_type = Option<values::ServiceId>)]
    service: Option<ServiceId>,
}

/// The tables of the rollout as CSV.
pub const ROLLOUT_TABLES: [&str; 2] = ["gemeinden", "kreise"];

fn rollout_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    field::choice(d, &ROLLOUT_TABLES, |key| Some(key.to_owned())).map(Some)
}

/// `?days=` of the stalled adoptions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StalledParams {
    #[param(inline)]
    days: Option<Whole<0, 36_500>>,
}

/// `GET /api/v1/lands/{land}/rollout?kreis=&service=&as_of=&offset=&limit=`:
/// a page of the Kreise and of the municipalities (the same rows of each);
/// as CSV the municipalities, or with `table=kreise` the Kreise, whole
/// and streamed unless `offset` or `limit` asks for a page.
pub async fn rollout(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    query.allow(&[
        "kreis", "service", "as_of", "format", "table", "offset", "limit",
    ])?;
    let format = query.format()?;
    let params: RolloutParams = query.read()?;
    let table = params.table.as_deref().unwrap_or("gemeinden");
    let scope = RolloutScope {
        land,
        kreis: params.kreis,
        service: params.service,
        as_of: query.as_of()?,
    };
    let min_seq = query.min_seq()?;
    if format == Format::Csv && !paging::asks_for_a_page(&query) {
        let export = exports::Rollout {
            scope,
            kreise: table == "kreise",
        };
        return paging::csv(state, min_seq, Cursor::Offset(0), export).await;
    }
    let page = paging::page(&query)?;
    match ask(&state, min_seq, QueryKind::Rollout2 { scope, page }).await? {
        QueryReply::Rollout2(page) => {
            let view = exports::rollout_view(&page);
            if format == Format::Csv {
                let name = format!("rollout-{table}-{land}-{}", view.as_of);
                return Ok(match table {
                    "kreise" => tables::kreise(name, &view.kreise),
                    _ => tables::municipalities(name, &view.municipalities),
                }
                .into_response());
            }
            let next = next_link(
                &query,
                &format!("/api/v1/lands/{land}/rollout"),
                page.next_offset,
            );
            let totals = RolloutTotals {
                kreise_total: page.kreise_total,
                municipalities_total: page.municipalities_total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(RolloutJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}

/// The link to the page at `next_offset`, if there is one.
fn next_link(query: &ReadQuery, path: &str, next_offset: Option<u32>) -> Option<String> {
    next_offset.map(|offset| query.link_with(path, "offset", &offset.to_string()))
}

/// `GET /api/v1/lands/{land}/stalled?days=90&as_of=&offset=&limit=`.
pub async fn stalled(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let land = path.land("land")?;
    let format = query
        .allow(&["days", "as_of", "format", "offset", "limit"])?
        .format()?;
    let export = exports::Stalled {
        land,
        days_min: (query.read::<StalledParams>()?.days)
            .map_or(STALLED_DAYS_DEFAULT, |Whole(days)| days),
        as_of: query.as_of()?,
    };
    let min_seq = query.min_seq()?;
    if format == Format::Csv && !paging::asks_for_a_page(&query) {
        return paging::csv(state, min_seq, Cursor::Offset(0), export).await;
    }
    let page = paging::page(&query)?;
    let kind = QueryKind::Stalled2 {
        land,
        days_min: export.days_min,
        as_of: export.as_of,
        page,
    };
    match ask(&state, min_seq, kind).await? {
        QueryReply::Stalled2(page) => {
            let view = exports::stalled_view(&page);
            if format == Format::Csv {
                return Ok(tables::stalled(&view).into_response());
            }
            let next = next_link(
                &query,
                &format!("/api/v1/lands/{land}/stalled"),
                page.next_offset,
            );
            let totals = StalledTotals {
                total: page.total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(StalledJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/reuse?as_of=&offset=&limit=`: the figures over all
/// services, with a page of the services only their lead Land uses.
pub async fn reuse(State(state): State<AppState>, query: ReadQuery) -> Result<Response, ApiError> {
    let as_of = query.allow(&["as_of", "offset", "limit"])?.as_of()?;
    let page = paging::page(&query)?;
    match ask(&state, query.min_seq()?, QueryKind::Reuse2 { as_of, page }).await? {
        QueryReply::Reuse2(page) => {
            let view = exports::reuse_view(&page);
            let next = next_link(&query, "/api/v1/reuse", page.next_offset);
            let totals = ReuseTotals {
                lead_only_total: page.lead_only_total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(ReuseJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/gemeinden/{ags}?as_of=&offset=&limit=`: a page of its
/// adoptions and of the services it could adopt (the same rows of each);
/// as CSV its adoptions, whole and streamed unless a page is asked for.
pub async fn gemeinde(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let ags = path.ags("ags")?;
    let as_of = query
        .allow(&["as_of", "format", "offset", "limit"])?
        .as_of()?;
    let format = query.format()?;
    let min_seq = query.min_seq()?;
    if format == Format::Csv && !paging::asks_for_a_page(&query) {
        let export = exports::Gemeinde { ags, as_of };
        return paging::csv(state, min_seq, Cursor::Offset(0), export).await;
    }
    let page = paging::page(&query)?;
    match ask(&state, min_seq, QueryKind::Gemeinde2 { ags, as_of, page }).await? {
        QueryReply::Gemeinde2(page) => {
            let page = read::found(page, || {
                format!("Die Gemeinde mit dem Schlüssel {ags} ist nicht registriert.")
            })?;
            let view = exports::gemeinde_view(&page);
            if format == Format::Csv {
                let name = format!("uebernahmen-{ags}-{}", view.as_of);
                return Ok(tables::municipalities(name, &view.adoptions).into_response());
            }
            let next = next_link(
                &query,
                &format!("/api/v1/gemeinden/{ags}"),
                page.next_offset,
            );
            let totals = GemeindeTotals {
                adoptions_total: page.adoptions_total,
                available_total: page.available_total,
                next_offset: page.next_offset,
            };
            Ok(paging::json(GemeindeJson::from(&view), totals, next))
        }
        _ => Err(read::unexpected()),
    }
}
