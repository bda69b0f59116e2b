//! Paged lists in the API. One projector answer holds at most one NATS
//! message (`max_payload`), so every list that grows with the history is
//! asked for a page at a time: as JSON, one page per request with the
//! link to the next (`next`, and a `Link: <…>; rel="next"` header); as
//! CSV without `offset`/`limit`/`cursor`, the whole list, which the
//! gateway streams while it fetches page after page from the projector.
//! The pages of one export are read one after the other, so a write
//! between two of them can show in the later one; `min_seq` holds for
//! every page.

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LINK};
use axum::response::{IntoResponse, Response};
use efa_proto::pages::Page;
use efa_proto::{QueryKind, QueryReply};
use serde::Serialize;
use tracing::Instrument as _;
use utoipa::ToSchema;

use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::state::{AppState, ask};
use crate::tabular::Answer as _;
use crate::tabular::CONTENT_TYPE_CSV;
use efa_api::contract::field::Whole;
use efa_api::csv::Table;
use efa_api::query::Format;
use efa_api::query::{LIMIT_DEFAULT, PageParams};
use efa_api::values;

/// Rows per page the gateway asks for while it streams a whole CSV.
const EXPORT_PAGE_ROWS: u32 = 2_000;
/// The most pages one export reads (10 million rows at the page size).
const EXPORT_PAGES_MAX: u32 = 5_000;

/// Where a page starts: a row number, (for the services, ordered by id)
/// the last id of the page before, or (for histories) a ledger sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Offset(u32),
    After(Option<efa_proto::ServiceId>),
    FromSeq(u64),
}

/// The link to a list's next page, `null` on the last.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextLink {
    #[schema(value_type = Option<values::NextPage>, required)]
    next: Option<String>,
}

/// A page of a list: the view, the page's totals and the link.
#[derive(Debug, Serialize)]
struct Paged<V, T> {
    #[serde(flatten)]
    view: V,
    #[serde(flatten)]
    totals: T,
    #[serde(flatten)]
    link: NextLink,
}

/// `?offset=&limit=`.
pub fn page(query: &ReadQuery) -> Result<Page, ApiError> {
    let params: PageParams = query.read()?;
    Ok(Page {
        offset: params.offset.unwrap_or(0),
        limit: params.limit.map_or(LIMIT_DEFAULT, |Whole(limit)| limit),
    })
}

/// The page of `limit` rows that starts at `cursor`, for a list read by
/// offset.
pub fn offset_page(cursor: &Cursor, limit: u32) -> Page {
    let offset = match cursor {
        Cursor::Offset(offset) => *offset,
        Cursor::After(_) | Cursor::FromSeq(_) => 0,
    };
    Page { offset, limit }
}

/// Whether the caller asked for one page rather than the whole list.
pub fn asks_for_a_page(query: &ReadQuery) -> bool {
    ["offset", "limit", "cursor", "from_seq"]
        .iter()
        .any(|name| query.has(name))
}

/// A JSON page: the view's JSON with the page's `totals` and `next` (the
/// link to the next page, or null), and the link as a `Link` header.
pub fn json<V: Serialize, T: Serialize>(view: V, totals: T, next: Option<String>) -> Response {
    let response = axum::Json(Paged {
        view,
        totals,
        link: NextLink { next: next.clone() },
    });
    linked(response.into_response(), next.as_deref())
}

/// A page's answer (JSON or CSV) with the link to the next page, if there
/// is one, as a `Link: <…>; rel="next"` header.
pub fn linked(mut response: Response, next: Option<&str>) -> Response {
    let link = next.map(|next| format!("<{next}>; rel=\"next\""));
    if let Some(value) = link.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(LINK, value);
    }
    response
}

/// A paged list of the API: how to ask the projector for one page, how
/// to find the page in its answer, and the page as JSON.
pub trait List: Send + Sync + 'static {
    /// The page as the projector answers it.
    type Page: Send;
    /// The page's rows as JSON.
    type Json: Serialize;
    /// The page's totals (and the next offset or cursor) as JSON.
    type Totals: Serialize;
    /// Where the `next` links of the JSON point (without the query).
    fn path(&self) -> String;
    /// The query for the page of `rows` rows that starts at `cursor`.
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind;
    /// The page in an answer; an answer of the wrong kind is an error.
    fn page(&self, reply: QueryReply) -> Result<Self::Page, ApiError>;
    /// The page as JSON, its totals, and where the next page starts.
    fn json(&self, page: &Self::Page) -> (Self::Json, Self::Totals, Option<Cursor>);
    /// The page the request asks for: where it starts and its rows
    /// (`?offset=&limit=`).
    fn first(&self, query: &ReadQuery) -> Result<(Cursor, u32), ApiError> {
        let Page { offset, limit } = page(query)?;
        Ok((Cursor::Offset(offset), limit))
    }
}

/// A paged list that is also a CSV table.
pub trait Export: List {
    /// Where the whole export starts.
    fn start(&self) -> Cursor {
        Cursor::Offset(0)
    }
    /// The page's rows as a table, and where the export's next page starts.
    fn rows(&self, page: &Self::Page) -> (Table, Option<Cursor>);
}

/// The page of `rows` rows of `list` that starts at `cursor`.
async fn fetch<L: List>(
    state: &AppState,
    min_seq: u64,
    list: &L,
    (cursor, rows): (&Cursor, u32),
) -> Result<L::Page, ApiError> {
    list.page(ask(state, min_seq, list.query(cursor, rows)).await?)
}

/// The page of `list` the request asks for, as JSON.
pub async fn serve_json<L: List>(
    state: &AppState,
    query: &ReadQuery,
    list: &L,
) -> Result<Response, ApiError> {
    let (start, rows) = list.first(query)?;
    let page = fetch(state, query.min_seq()?, list, (&start, rows)).await?;
    Ok(json_of(query, list, &page))
}

fn json_of<L: List>(query: &ReadQuery, list: &L, page: &L::Page) -> Response {
    let (view, totals, next) = list.json(page);
    json(view, totals, next_link(query, &list.path(), next))
}

/// `list` as `format`: as CSV the whole list, streamed, unless the
/// request asks for a page; else the page it asks for as JSON or CSV.
pub async fn serve<L: Export>(
    state: AppState,
    query: &ReadQuery,
    format: Format,
    list: L,
) -> Result<Response, ApiError> {
    let min_seq = query.min_seq()?;
    let (start, rows) = list.first(query)?;
    if !asks_for_a_page(query) {
        match format {
            Format::Csv => return csv(state, min_seq, list).await,
            Format::Xlsx => return xlsx(&state, min_seq, &list).await,
            Format::Json => {}
        }
    }
    let page = fetch(&state, min_seq, &list, (&start, rows)).await?;
    match format {
        Format::Csv | Format::Xlsx => {
            let (table, next) = list.rows(&page);
            let next = next_link(query, &list.path(), next);
            Ok(linked(table.answer(format)?, next.as_deref()))
        }
        Format::Json => Ok(json_of(query, &list, &page)),
    }
}

/// The whole list as one workbook: its pages read one after the other
/// into one table, refused once it has more rows than a workbook is made
/// of (the CSV streams any length).
async fn xlsx<E: Export>(state: &AppState, min_seq: u64, export: &E) -> Result<Response, ApiError> {
    let first = fetch(state, min_seq, export, (&export.start(), EXPORT_PAGE_ROWS)).await?;
    let (mut whole, mut cursor) = export.rows(&first);
    while let Some(at) = cursor {
        if whole.rows.len() > efa_api::xlsx::ROWS_MAX {
            return Err(crate::tabular::too_many_rows());
        }
        let page = fetch(state, min_seq, export, (&at, EXPORT_PAGE_ROWS)).await?;
        let (table, next) = export.rows(&page);
        whole.rows.extend(table.rows);
        cursor = next;
    }
    whole.answer(Format::Xlsx)
}

/// The link to the page that starts at `next`, if there is one.
pub fn next_link(query: &ReadQuery, path: &str, next: Option<Cursor>) -> Option<String> {
    next.map(|cursor| match cursor {
        Cursor::Offset(offset) => query.link_with(path, "offset", &offset.to_string()),
        Cursor::After(after) => {
            let after = after.as_ref().map_or("", efa_proto::ServiceId::as_str);
            query.link_with(path, "cursor", after)
        }
        Cursor::FromSeq(seq) => query.link_with(path, "from_seq", &seq.to_string()),
    })
}

/// The whole list as CSV: the first page is fetched before the answer
/// starts (so its failure is a problem document with its status), the
/// others while the body streams. A page that fails later ends the body
/// early, without its last chunk, so the client sees an incomplete
/// transfer rather than a short file.
async fn csv<E: Export>(state: AppState, min_seq: u64, export: E) -> Result<Response, ApiError> {
    let start = export.start();
    let first = fetch(&state, min_seq, &export, (&start, EXPORT_PAGE_ROWS)).await?;
    let (table, next) = export.rows(&first);
    let head = [
        (CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_CSV)),
        (CONTENT_DISPOSITION, table.disposition_as("csv")),
    ];
    let head_rows = table.render();
    // The later pages are read while the body is sent, after the handler
    // has returned: they keep the request's id and span.
    let request_id = efa_runtime::request_id::current();
    let span = tracing::Span::current();
    let pages = futures::stream::unfold(
        (state, export, next, 1u32),
        move |(state, export, cursor, read)| {
            let (request_id, span) = (request_id.clone(), span.clone());
            async move {
                let cursor = cursor.filter(|_| read < EXPORT_PAGES_MAX)?;
                let fetched = fetch(&state, min_seq, &export, (&cursor, EXPORT_PAGE_ROWS));
                let page = match request_id {
                    Some(id) => efa_runtime::request_id::scope(id, fetched).await,
                    None => fetched.await,
                };
                Some(match page.map(|page| export.rows(&page)) {
                    Ok((table, next)) => (Ok(table.render_rows()), (state, export, next, read + 1)),
                    Err(error) => {
                        tracing::warn!(%error, "a CSV export stopped part-way");
                        let failed = std::io::Error::other(error.to_string());
                        (Err(failed), (state, export, None, read + 1))
                    }
                })
            }
            .instrument(span)
        },
    );
    let body = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<String, std::io::Error>(head_rows) }),
        pages,
    );
    Ok((head, Body::from_stream(body)).into_response())
}
