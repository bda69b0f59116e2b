//! The web pages for people: server-rendered German HTML that works
//! without JavaScript (forms and links only), readable with a screen
//! reader and usable with the keyboard. Reading pages are public like the
//! API's reads; forms that write need a login with an API token, which
//! becomes a signed session cookie, and carry a CSRF token. A form builds
//! its command with the same builders as the API, passes the same early
//! authorisation (`authz`), and is sent to the ledger like an API write.
//!
//! State: the gateway still holds no domain state. It keeps a session key
//! (random per process unless one is given, see
//! [`crate::Gateway::with_session_key`]), the counts of login attempts
//! per address (bounded, in memory) and the times of logouts per token
//! (in memory, and with a lasting session key in a file beside it).

mod chart;
mod cookies;
pub(crate) mod csrf;
mod forms;
mod heat;
mod layout;
pub(crate) mod markup;
mod notice;
mod pages;
mod paging;
mod params;
mod session;
mod visit;

use axum::Router;
use axum::extract::{FromRequestParts, RawQuery, Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use efa_proto::{QueryKind, QueryReply};

use crate::problem::ApiError;
use crate::state::AppState;

/// The routes of the pages and of their forms.
pub fn routes() -> Router<AppState> {
    use pages::{
        audit, catalogue, closing, edit, kommune, land, land_forms, login, rollout, service,
        statement,
    };
    Router::new()
        .route(layout::STYLESHEET_PATH, get(stylesheet))
        .route(layout::ICON_PATH, get(icon))
        .route("/", get(catalogue::show))
        .route("/katalog", get(catalogue::show))
        .route("/anmelden", get(login::show).post(login::submit))
        .route("/abmelden", post(login::logout).get(to_the_form("/")))
        .route("/leistungen/{id}", get(service::show))
        .route(
            "/leistungen/{id}/bearbeiten",
            get(edit::show).post(edit::submit),
        )
        .route("/leistungen/{id}/abrechnung", get(closing::show))
        .route(
            "/leistungen/{id}/abrechnung/{action}",
            post(closing::submit).get(closing::back_to_the_form),
        )
        .route("/laender", get(land::list))
        .route("/laender/{land}", get(land::public))
        .route("/laender/{land}/kostenaufstellung", get(statement::show))
        .route("/land", get(land::own))
        .route(
            "/land/{action}",
            post(land_forms::submit).get(to_the_form("/land")),
        )
        .route("/kommune", get(kommune::show))
        .route(
            "/kommune/{action}",
            post(kommune::submit).get(to_the_form("/kommune")),
        )
        .route("/rollout", get(rollout::show))
        .route("/audit", get(audit::show))
}

/// The routes that take a file, each with its own body limit above the
/// forms' and the API's. The limit is the multipart reader's, so that a
/// file too large is answered by the page, in German, not by a layer.
pub fn upload_routes() -> Router<AppState> {
    use pages::rollout_table;
    let limit = rollout_table::UPLOAD_BYTES_MAX;
    Router::new()
        .route(
            "/rollout/tabelle",
            get(rollout_table::show).post(rollout_table::submit),
        )
        .layer(axum::extract::DefaultBodyLimit::max(limit))
}

/// An address no route serves. A browser that asks for a page outside
/// the API (a `GET` accepting HTML) gets a German page with the way back;
/// every other caller the problem document, without a visit (session,
/// CSRF token) made for it.
pub async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    const DETAIL: &str = "Diese Adresse gibt es nicht.";
    let (mut parts, _) = request.into_parts();
    let accepts_html = parts
        .headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"));
    let path = parts.uri.path();
    let outside_api = path != "/api" && !path.starts_with("/api/");
    if !(parts.method == Method::GET && accepts_html && outside_api) {
        return ApiError::NotFound(DETAIL.to_owned()).into_response();
    }
    let Ok(visit) = visit::Visit::from_request_parts(&mut parts, &state).await;
    let body = maud::html! {
        p { (DETAIL) " Vielleicht hilft der Katalog weiter." }
        p { a href="/katalog" { "Zum Katalog der EfA-Leistungen" } }
    };
    visit.page(
        StatusCode::NOT_FOUND,
        layout::Page::new("Seite nicht gefunden", layout::Nav::Elsewhere, body),
    )
}

/// `GET` of an address that only takes a form's `POST` (a page reloaded
/// or a link pasted after sending): on to the page that has the form.
fn to_the_form(page: &'static str) -> MethodRouter<AppState> {
    get(move || async move { Redirect::to(page) })
}

async fn icon() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "image/svg+xml"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        layout::ICON,
    )
}

/// The stylesheet: asked for by its current version (as pages name it),
/// kept by browsers for a year; otherwise (an old version, none) for an
/// hour.
async fn stylesheet(RawQuery(query): RawQuery) -> impl IntoResponse {
    let current = query.is_some_and(|q| q.strip_prefix("v=") == Some(layout::stylesheet_version()));
    let cache = match current {
        true => "public, max-age=31536000, immutable",
        false => "public, max-age=3600",
    };
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, cache),
        ],
        layout::STYLESHEET,
    )
}

/// The German sentence for a page whose view could not be read.
pub const UNAVAILABLE: &str =
    "Die Daten sind gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.";

/// Asks the projector; a rejection or a failure becomes a German sentence.
async fn view(state: &AppState, min_seq: u64, kind: QueryKind) -> Result<QueryReply, String> {
    match crate::state::ask(state, min_seq, kind).await {
        Ok(reply) => Ok(reply),
        Err(crate::problem::ApiError::Rejected { rejection, .. }) => {
            tracing::info!(%rejection, "a page's query was rejected");
            Err(crate::problem::rejection_detail(&rejection))
        }
        Err(error) => {
            tracing::warn!(%error, "a page could not ask the projector");
            Err(UNAVAILABLE.to_owned())
        }
    }
}
