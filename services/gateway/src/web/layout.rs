//! The frame of every page: language, title, the shared stylesheet, a
//! skip link, the header with the navigation and who is logged in (with
//! the logout button), a notice, the main content and the footer.

use super::visit::Visit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The page icon, served at [`ICON_PATH`]: named in every page, so that
/// browsers do not ask for a `/favicon.ico` nobody serves.
pub const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1d4f91\"/>\
<path d=\"M4 4h8v2H6v1h5v2H6v1h6v2H4z\" fill=\"#fff\"/></svg>";
pub const ICON_PATH: &str = "/icon.svg";

/// The stylesheet, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("efa.css");
pub const STYLESHEET_PATH: &str = "/static/efa.css";

/// The stylesheet's version: the first 16 hex digits of its SHA-256.
/// Pages name the stylesheet with it (`/static/efa.css?v=…`), so that a
/// browser may keep it for a year and still fetches a changed one at once
/// after an upgrade.
pub fn stylesheet_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(STYLESHEET.as_bytes())[..8])
    })
}

/// Where pages link the stylesheet: its path with its version.
fn stylesheet_href() -> String {
    format!("{STYLESHEET_PATH}?v={}", stylesheet_version())
}

/// Which navigation entry the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Katalog,
    Laender,
    Kommune,
    Rollout,
    Audit,
    Anmelden,
    /// A page of no navigation entry (an address nobody serves).
    Elsewhere,
}

/// A banner above the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Success(String),
    Error(String),
    Info(String),
}

/// What a page shows inside the frame.
#[derive(Debug, Clone)]
pub struct Page {
    /// The heading, also in the window title.
    pub title: String,
    pub nav: Nav,
    pub notice: Option<Notice>,
    /// The content after the heading, already HTML.
    pub body: String,
}

impl Page {
    /// `body` is already HTML: a template's `Markup`, or a `String`.
    pub fn new(title: impl Into<String>, nav: Nav, body: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            nav,
            notice: None,
            body: body.into(),
        }
    }

    pub fn with_notice(mut self, notice: Option<Notice>) -> Self {
        self.notice = notice;
        self
    }

    /// The page with an error notice.
    pub fn error(self, text: impl Into<String>) -> Self {
        self.with_notice(Some(Notice::Error(text.into())))
    }
}

/// The whole document.
pub fn render(visit: &Visit, page: &Page) -> String {
    html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) " – EfA-Register" }
                link rel="stylesheet" href=(stylesheet_href());
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
            }
            body {
                a.sprung href="#inhalt" { "Zum Inhalt springen" }
                (header(visit, page.nav))
                main #inhalt {
                    h1 { (page.title) }
                    @if let Some(notice) = &page.notice { (notice_html(notice)) }
                    // The page's content, rendered by the page's own template.
                    (PreEscaped(&page.body))
                }
                footer {
                    p {
                        "EfA-Register – Onlinedienste nach dem Prinzip „Einer für Alle“. Maschinenlesbar: "
                        a href="/api/v1/openapi.json" { "API-Beschreibung (OpenAPI)" } "."
                    }
                }
            }
        }
    }
    .into_string()
}

/// A page without the frame, for a post refused before it reaches its
/// form's handler (from another site, or with a body that is no form):
/// no visit is made for it, so it has no navigation or login, only the
/// sentence and the way back.
pub fn bare(status: StatusCode, title: &str, text: &str) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – EfA-Register" }
                link rel="stylesheet" href=(stylesheet_href());
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
            }
            body {
                main #inhalt {
                    h1 { (title) }
                    p.hinweis.fehler role="alert" { (text) }
                    p { a href="/" { "Zur Startseite" } }
                }
            }
        }
    };
    (status, Html(page.into_string())).into_response()
}

fn notice_html(notice: &Notice) -> Markup {
    let (class, role, text) = match notice {
        Notice::Success(text) => ("erfolg", "status", text),
        Notice::Info(text) => ("info", "status", text),
        Notice::Error(text) => ("fehler", "alert", text),
    };
    html! { p.hinweis.(class) role=(role) { (text) } }
}

fn header(visit: &Visit, active: Nav) -> Markup {
    let land_href = match visit.actor() {
        Some(efa_proto::Actor::Land(_)) => "/land",
        _ => "/laender",
    };
    let items = [
        (Nav::Katalog, "/katalog", "Katalog"),
        (Nav::Laender, land_href, "Länder"),
        (Nav::Kommune, "/kommune", "Kommunen"),
        (Nav::Rollout, "/rollout", "Rollout-Monitor"),
        (Nav::Audit, "/audit", "Audit"),
    ];
    html! {
        header.kopf {
            div.marke { a href="/" { "EfA-Register" } }
            nav aria-label="Hauptnavigation" {
                ul {
                    @for (nav, href, label) in items {
                        li { a href=(href) aria-current=[(nav == active).then_some("page")] { (label) } }
                    }
                }
            }
            div.sitzung {
                @match &visit.who {
                    Some(who) => {
                        span { "Angemeldet als " strong { (who.name) } " (" (who.role_de()) ")" }
                        form method="post" action="/abmelden" {
                            (visit.csrf_input())
                            button type="submit" { "Abmelden" }
                        }
                    }
                    None if active == Nav::Anmelden => span { "Nicht angemeldet" },
                    None => a href="/anmelden" { "Anmelden" },
                }
            }
        }
    }
}
