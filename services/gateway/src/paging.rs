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
use efa_proto::QueryKind;
use efa_proto::pages::Page;
use serde::Serialize;
use tracing::Instrument as _;
use utoipa::{IntoParams, ToSchema};

use crate::contract::field::{self, Whole};
use crate::csv::{CONTENT_TYPE_CSV, Table};
use crate::openapi::values;
use crate::params::ReadQuery;
use crate::problem::ApiError;
use crate::state::{AppState, ask};

/// Rows per page when the request names no `limit`, and the most it may.
pub const LIMIT_DEFAULT: u32 = 500;
pub const LIMIT_MAX: u32 = 5_000;
/// The fewest rows a page asks for.
pub const LIMIT_MIN: u32 = 1;
/// Rows per page the gateway asks for while it streams a whole CSV.
const EXPORT_PAGE_ROWS: u32 = 2_000;
/// The most pages one export reads (10 million rows at the page size).
const EXPORT_PAGES_MAX: u32 = 5_000;

/// Where a page starts: a row number, or (for the services, ordered by
/// id) the last id of the page before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Offset(u32),
    After(Option<efa_proto::ServiceId>),
}

/// `?offset=&limit=`.
#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[serde(default, deserialize_with = "field::opt")]
    #[param(default = 0)]
    offset: Option<u32>,
    #[param(inline)]
    limit: Option<Whole<1, { LIMIT_MAX }>>,
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

/// Whether the caller asked for one page rather than the whole list.
pub fn asks_for_a_page(query: &ReadQuery) -> bool {
    ["offset", "limit", "cursor"]
        .iter()
        .any(|name| query.has(name))
}

/// A JSON page: the view's JSON with the page's `totals` and `next` (the
/// link to the next page, or null), and the link as a `Link` header.
pub fn json<V: Serialize, T: Serialize>(view: V, totals: T, next: Option<String>) -> Response {
    let link = next
        .as_ref()
        .and_then(|next| HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok());
    let link_member = NextLink { next };
    let mut response = axum::Json(Paged {
        view,
        totals,
        link: link_member,
    })
    .into_response();
    if let Some(value) = link {
        response.headers_mut().insert(LINK, value);
    }
    response
}

/// What a whole CSV export needs to know about its list.
pub trait Export: Send + Sync + 'static {
    /// The query for the page that starts at `cursor`.
    fn query(&self, cursor: &Cursor, rows: u32) -> QueryKind;
    /// The rows of an answer (as a table), and where the next page
    /// starts; an answer of the wrong kind is an error.
    fn rows(&self, reply: efa_proto::QueryReply) -> Result<(Table, Option<Cursor>), ApiError>;
}

/// The whole list as CSV: the first page is fetched before the answer
/// starts (so its failure is a problem document with its status), the
/// others while the body streams. A page that fails later ends the body
/// early, without its last chunk, so the client sees an incomplete
/// transfer rather than a short file.
pub async fn csv<E: Export>(
    state: AppState,
    min_seq: u64,
    start: Cursor,
    export: E,
) -> Result<Response, ApiError> {
    let reply = ask(&state, min_seq, export.query(&start, EXPORT_PAGE_ROWS)).await?;
    let (table, next) = export.rows(reply)?;
    let head = [
        (CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_CSV)),
        (CONTENT_DISPOSITION, table.disposition()),
    ];
    let first = table.render();
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
                let asked = ask(&state, min_seq, export.query(&cursor, EXPORT_PAGE_ROWS));
                let reply = match request_id {
                    Some(id) => efa_runtime::request_id::scope(id, asked).await,
                    None => asked.await,
                };
                let page = reply.and_then(|reply| export.rows(reply));
                Some(match page {
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
        futures::stream::once(async move { Ok::<String, std::io::Error>(first) }),
        pages,
    );
    Ok((head, Body::from_stream(body)).into_response())
}
