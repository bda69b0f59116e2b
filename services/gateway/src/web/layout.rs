//! The frame of every page: language, title, the shared stylesheet, a
//! skip link, the header with the navigation and who is logged in (with
//! the logout button), a notice, the main content and the footer.

use super::visit::Visit;
use crate::html::escape;

/// The stylesheet, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("efa.css");
pub const STYLESHEET_PATH: &str = "/static/efa.css";

/// Which navigation entry the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Katalog,
    Laender,
    Kommune,
    Rollout,
    Audit,
    Anmelden,
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
    pub fn new(title: impl Into<String>, nav: Nav, body: String) -> Self {
        Self {
            title: title.into(),
            nav,
            notice: None,
            body,
        }
    }

    pub fn with_notice(mut self, notice: Option<Notice>) -> Self {
        self.notice = notice;
        self
    }
}

/// The whole document.
pub fn render(visit: &Visit, page: &Page) -> String {
    let title = escape(&page.title);
    let mut html = String::with_capacity(page.body.len() + 4096);
    html.push_str("<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(&format!(
        "<title>{title} – EfA-Register</title>\n<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\n</head>\n<body>\n"
    ));
    html.push_str("<a class=\"sprung\" href=\"#inhalt\">Zum Inhalt springen</a>\n");
    html.push_str(&header(visit, page.nav));
    html.push_str(&format!("<main id=\"inhalt\">\n<h1>{title}</h1>\n"));
    if let Some(notice) = &page.notice {
        html.push_str(&notice_html(notice));
    }
    html.push_str(&page.body);
    html.push_str(
        "</main>\n<footer>\n<p>EfA-Register – Onlinedienste nach dem Prinzip „Einer für Alle“. ",
    );
    html.push_str("Maschinenlesbar: <a href=\"/api/v1/openapi.json\">API-Beschreibung (OpenAPI)</a>.</p>\n</footer>\n</body>\n</html>\n");
    html
}

fn notice_html(notice: &Notice) -> String {
    let (class, role, text) = match notice {
        Notice::Success(text) => ("erfolg", "status", text),
        Notice::Info(text) => ("info", "status", text),
        Notice::Error(text) => ("fehler", "alert", text),
    };
    format!(
        "<p class=\"hinweis {class}\" role=\"{role}\">{}</p>\n",
        escape(text)
    )
}

fn header(visit: &Visit, active: Nav) -> String {
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
    let mut html = String::from(
        "<header class=\"kopf\">\n<div class=\"marke\"><a href=\"/\">EfA-Register</a></div>\n",
    );
    html.push_str("<nav aria-label=\"Hauptnavigation\">\n<ul>\n");
    for (nav, href, label) in items {
        let current = if nav == active {
            " aria-current=\"page\""
        } else {
            ""
        };
        html.push_str(&format!(
            "<li><a href=\"{href}\"{current}>{label}</a></li>\n"
        ));
    }
    html.push_str("</ul>\n</nav>\n<div class=\"sitzung\">\n");
    match &visit.who {
        Some(who) => html.push_str(&format!(
            "<span>Angemeldet als <strong>{}</strong> ({})</span>\n\
             <form method=\"post\" action=\"/abmelden\">{}<button type=\"submit\">Abmelden</button></form>\n",
            escape(&who.name),
            escape(&who.role_de()),
            visit.csrf_field()
        )),
        None if active == Nav::Anmelden => html.push_str("<span>Nicht angemeldet</span>\n"),
        None => html.push_str("<a href=\"/anmelden\">Anmelden</a>\n"),
    }
    html.push_str("</div>\n</header>\n");
    html
}
