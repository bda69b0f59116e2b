//! Reads of the catalogue and of one service from the projector's views:
//! the filtered catalogue with reuse figures, a service's detail, its
//! participations, cost sharing of a year, adoption funnel and history,
//! and the history of everything. All public; lists also as CSV.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use efa_proto::views::{CatalogueFilter, CatalogueSort, HistorySubject};
use efa_proto::{Channel, Date, QueryKind, QueryReply, Reifegrad, ServiceId, ServiceStatus};

use super::AppState;
use super::read::{self, ask};
use crate::dto::catalogue::{CataloguePageJson, ParticipationsJson, ServiceDetailJson};
use crate::dto::history::HistoryJson;
use crate::dto::rollout::FunnelJson;
use crate::extract::PathParams;
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::tables;

/// The most services one catalogue page holds.
pub const PAGE_LIMIT_MAX: u32 = 1000;
/// The most history entries one page holds.
pub const HISTORY_LIMIT_MAX: u32 = 1000;
const TEXT_CHARS_MAX: usize = 200;

const SORT_KEYS: [&str; 4] = ["title", "reuse", "live", "announced"];

/// `GET /api/v1/catalogue`: filtered, sorted, paged, as of a date.
pub async fn catalogue(
    State(state): State<AppState>,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    query.allow(&[
        "land",
        "themenfeld",
        "status",
        "reifegrad",
        "channel",
        "q",
        "sort",
        "offset",
        "limit",
        "as_of",
        "format",
    ])?;
    let (format, as_of) = (query.format()?, query.date("as_of")?);
    let kind = QueryKind::Catalogue2 {
        filter: catalogue_filter(&query)?,
        as_of,
    };
    match ask(&state, query.min_seq()?, kind).await? {
        QueryReply::Catalogue2(page) => Ok(read::list(
            format,
            || CataloguePageJson::from(&page),
            || tables::catalogue(&page),
        )),
        _ => Err(read::unexpected()),
    }
}

fn catalogue_filter(query: &ReadQuery) -> Result<CatalogueFilter, ApiError> {
    let status_keys = ServiceStatus::ALL.map(ServiceStatus::key);
    let channel_keys = Channel::ALL.map(Channel::key);
    let status = optional_choice(query, "status", &status_keys)?.and_then(ServiceStatus::from_key);
    let channel = optional_choice(query, "channel", &channel_keys)?.and_then(Channel::from_key);
    let reifegrad = if query.has("reifegrad") {
        let level = query.number("reifegrad", 0, 0..=4)?;
        u8::try_from(level)
            .ok()
            .and_then(|level| Reifegrad::new(level).ok())
    } else {
        None
    };
    let sort = match query.choice("sort", &SORT_KEYS)? {
        "reuse" => CatalogueSort::Reuse,
        "live" => CatalogueSort::Live,
        "announced" => CatalogueSort::Announced,
        _ => CatalogueSort::Title,
    };
    Ok(CatalogueFilter {
        land: query.land("land")?,
        themenfeld: text(query, "themenfeld")?,
        status,
        reifegrad,
        channel,
        text: text(query, "q")?,
        sort,
        offset: query.number("offset", 0, 0..=u32::MAX)?,
        limit: query.number("limit", 100, 1..=PAGE_LIMIT_MAX)?,
    })
}

fn optional_choice<'k>(
    query: &ReadQuery,
    name: &str,
    keys: &[&'k str],
) -> Result<Option<&'k str>, ApiError> {
    if query.has(name) {
        query.choice(name, keys).map(Some)
    } else {
        Ok(None)
    }
}

/// A search text: trimmed, absent when blank, at most 200 characters.
fn text(query: &ReadQuery, name: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = query.get(name).map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > TEXT_CHARS_MAX {
        return Err(ApiError::BadRequest(format!(
            "Der Parameter „{name}“ darf höchstens {TEXT_CHARS_MAX} Zeichen lang sein."
        )));
    }
    Ok(Some(text.to_owned()))
}

fn no_service(id: &ServiceId) -> impl FnOnce() -> String + '_ {
    move || format!("Die Leistung „{id}“ ist nicht im Katalog.")
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
    match ask(state, query.min_seq()?, kind).await? {
        QueryReply::ServiceDetail(detail) => read::found(detail, no_service(service)),
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/services/{id}/detail?as_of=`.
pub async fn service_detail(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    let as_of = query.allow(&["as_of"])?.date("as_of")?;
    let detail = detail(&state, &query, &service, as_of).await?;
    Ok(Json(ServiceDetailJson::new(&detail, as_of)).into_response())
}

/// `GET /api/v1/services/{id}/participations?as_of=`: the Länder taking
/// part, from the service's detail.
pub async fn participations(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    let as_of = query.allow(&["as_of", "format"])?.date("as_of")?;
    let format = query.format()?;
    let detail = detail(&state, &query, &service, as_of).await?;
    Ok(read::list(
        format,
        || ParticipationsJson::new(&service, &detail, as_of),
        || tables::participations(&service, &detail),
    ))
}

/// `GET /api/v1/services/{id}/funnel?land=&as_of=`.
pub async fn funnel(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let service = path.service("id")?;
    query.allow(&["land", "as_of"])?;
    let kind = QueryKind::Funnel {
        service: service.clone(),
        land: query.land("land")?,
        as_of: query.date("as_of")?,
    };
    match ask(&state, query.min_seq()?, kind).await? {
        QueryReply::Funnel(view) => {
            let view = read::found(view, no_service(&service))?;
            Ok(Json(FunnelJson::from(&view)).into_response())
        }
        _ => Err(read::unexpected()),
    }
}

/// `GET /api/v1/services/{id}/history?from_seq=&limit=`.
pub async fn service_history(
    State(state): State<AppState>,
    path: PathParams,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    let subject = HistorySubject::Service(path.service("id")?);
    query.allow(&["from_seq", "limit", "format"])?;
    history(&state, &query, subject).await
}

/// `GET /api/v1/history?from_seq=&limit=&gemeinde=`: every event, or one
/// municipality's.
pub async fn all_history(
    State(state): State<AppState>,
    query: ReadQuery,
) -> Result<Response, ApiError> {
    query.allow(&["from_seq", "limit", "format", "gemeinde"])?;
    let subject = match query.ags("gemeinde")? {
        Some(ags) => HistorySubject::Gemeinde(ags),
        None => HistorySubject::All,
    };
    history(&state, &query, subject).await
}

async fn history(
    state: &AppState,
    query: &ReadQuery,
    subject: HistorySubject,
) -> Result<Response, ApiError> {
    let format = query.format()?;
    let kind = QueryKind::History {
        subject,
        from_seq: query.seq("from_seq")?,
        limit: query.number("limit", 100, 1..=HISTORY_LIMIT_MAX)?,
    };
    match ask(state, query.min_seq()?, kind).await? {
        QueryReply::History(view) => Ok(read::list(
            format,
            || HistoryJson::from(&view),
            || tables::history(&view),
        )),
        _ => Err(read::unexpected()),
    }
}
