//! Reads of the catalogue and of one service from the projector's views:
//! the filtered catalogue with reuse figures, a service's detail, its
//! participations, cost sharing of a year, adoption funnel and history,
//! and the history of everything. All public; lists also as CSV.

use axum::Json;
use axum::response::{IntoResponse, Response};
use efa_proto::views::{HistorySubject, HistoryView};
use efa_proto::{Date, QueryKind, QueryReply, ServiceId};
use serde::Serialize;

use super::AppState;
use super::read::{self, Read, ask, reply_of};
use crate::paging::{self, Cursor};
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::tabular::Answer as _;
use efa_api::contract::field::Whole;
use efa_api::csv::Table;
use efa_api::dto::catalogue::{CataloguePageJson, ParticipationsJson, ServiceDetailJson};
use efa_api::dto::history::HistoryJson;
use efa_api::dto::rollout::FunnelJson;
use efa_api::query::Format;
use efa_api::query::{
    CATALOGUE_PARAMS, CatalogueQuery, FunnelParams, GemeindeParam, HISTORY_LIMIT_DEFAULT,
    HistoryParams,
};
use efa_api::tables;

/// `GET /api/v1/catalogue`: filtered, sorted, paged, as of a date.
pub async fn catalogue(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    let format = query.allow(&CATALOGUE_PARAMS)?.format()?;
    let catalogue: CatalogueQuery = query.read()?;
    let as_of = catalogue.as_of;
    let filter = catalogue.filter();
    let offset = filter.offset;
    let kind = QueryKind::Catalogue2 { as_of, filter };
    let page = reply_of!(ask(&state, query.min_seq()?, kind).await?, Catalogue2)?;
    // Paged like the other lists: the next page starts after this one's
    // rows, while any of the matching services are left.
    let shown = offset.saturating_add(u32::try_from(page.services.len()).unwrap_or(u32::MAX));
    let next = (!page.services.is_empty() && shown < page.total).then_some(Cursor::Offset(shown));
    let next = paging::next_link(&query, "/api/v1/catalogue", next);
    Ok(match format {
        Format::Json => paging::json(CataloguePageJson::from(&page), (), next),
        Format::Csv | Format::Xlsx => {
            paging::linked(tables::catalogue(&page).answer(format)?, next.as_deref())
        }
    })
}

/// Asks for a service's detail as of a date.
async fn detail(
    state: &AppState,
    query: &ReadQuery,
    service: &ServiceId,
    as_of: Option<Date>,
) -> Result<efa_proto::views::ServiceDetail, ApiError> {
    let kind = QueryKind::ServiceDetail {
        service: service.clone(),
        as_of,
    };
    let detail = reply_of!(ask(state, query.min_seq()?, kind).await?, ServiceDetail)?;
    read::found(detail, || read::no_service(service))
}

/// `GET /api/v1/services/{id}/detail?as_of=`.
pub async fn service_detail(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    let as_of = query.allow(&["as_of"])?.as_of()?;
    let detail = detail(&state, &query, &service, as_of).await?;
    Ok(Json(ServiceDetailJson::new(&detail, as_of)).into_response())
}

/// `GET /api/v1/services/{id}/participations?as_of=`: the Länder taking
/// part, from the service's detail.
pub async fn participations(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    let as_of = query.allow(&["as_of", "format"])?.as_of()?;
    let format = query.format()?;
    let detail = detail(&state, &query, &service, as_of).await?;
    read::list(
        format,
        || ParticipationsJson::new(&service, &detail, as_of),
        || tables::participations(&service, &detail),
    )
}

/// `GET /api/v1/services/{id}/funnel?land=&as_of=`.
pub async fn funnel(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    query.allow(&["land", "as_of"])?;
    let kind = QueryKind::Funnel {
        service: service.clone(),
        land: query.read::<FunnelParams>()?.land,
        as_of: query.as_of()?,
    };
    let view = reply_of!(ask(&state, query.min_seq()?, kind).await?, Funnel)?;
    let view = read::found(view, || read::no_service(&service))?;
    Ok(Json(FunnelJson::from(&view)).into_response())
}

/// `GET /api/v1/services/{id}/history?from_seq=&limit=`.
pub async fn service_history(Read { state, path, query }: Read) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    query.allow(&["from_seq", "limit", "format"])?;
    read::known_service(&state, &query, Some(&service)).await?;
    let at = format!("/api/v1/services/{service}/history");
    history(&state, &query, (HistorySubject::Service(service), at)).await
}

/// `GET /api/v1/history?from_seq=&limit=&gemeinde=`: every event, or one
/// municipality's.
pub async fn all_history(Read { state, query, .. }: Read) -> Result<Response, ApiError> {
    query.allow(&["from_seq", "limit", "format", "gemeinde"])?;
    let subject = match query.read::<GemeindeParam>()?.gemeinde {
        Some(ags) => HistorySubject::Gemeinde(ags),
        None => HistorySubject::All,
    };
    history(&state, &query, (subject, "/api/v1/history".to_owned())).await
}

async fn history(
    state: &AppState,
    query: &ReadQuery,
    (subject, path): (HistorySubject, String),
) -> Result<Response, ApiError> {
    let format = query.format()?;
    let list = History { subject, path };
    paging::serve(state.clone(), query, format, list).await
}

/// A subject's events from a ledger sequence on, a page at a time
/// (`?from_seq=&limit=`, the next page from `next_from_seq`); as CSV
/// without them the whole history.
struct History {
    subject: HistorySubject,
    path: String,
}

/// A history page has no totals beside its view.
#[derive(Debug, Serialize)]
struct NoTotals {}

impl paging::List for History {
    type Page = HistoryView;
    type Json = HistoryJson;
    type Totals = NoTotals;

    fn path(&self) -> String {
        self.path.clone()
    }

    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind {
        let from_seq = match cursor {
            Cursor::FromSeq(seq) => *seq,
            Cursor::Offset(_) | Cursor::After(_) => 0,
        };
        QueryKind::History {
            subject: self.subject.clone(),
            from_seq,
            limit: rows,
        }
    }

    fn page(&self, reply: QueryReply) -> Result<HistoryView, ApiError> {
        reply_of!(reply, History)
    }

    fn first(&self, query: &ReadQuery) -> Result<(Cursor, u32), ApiError> {
        let params: HistoryParams = query.read()?;
        let from_seq = params.from_seq.unwrap_or_default();
        let limit = params
            .limit
            .map_or(HISTORY_LIMIT_DEFAULT, |Whole(limit)| limit);
        Ok((Cursor::FromSeq(from_seq), limit))
    }

    fn json(&self, page: &HistoryView) -> (HistoryJson, NoTotals, Option<Cursor>) {
        let json = HistoryJson::from(page);
        let next = json.next_from_seq.map(Cursor::FromSeq);
        (json, NoTotals {}, next)
    }
}

impl paging::Export for History {
    fn start(&self) -> Cursor {
        Cursor::FromSeq(0)
    }

    fn rows(&self, page: &HistoryView) -> (Table, Option<Cursor>) {
        let next = efa_api::dto::history::next_from_seq(page).map(Cursor::FromSeq);
        (tables::history(page), next)
    }
}
