//! `/` and `/katalog`: the catalogue of EfA services with filters (Land,
//! Themenfeld, Status, Reifegrad, Bezugsweg, search text), sorting, paging
//! and a date (Stichtag), from the projector's filtered catalogue; each
//! service links to its page, and the same selection is offered as CSV
//! from the API.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{CatalogueFilter, CataloguePage, CatalogueSort};
use efa_proto::{Channel, QueryKind, QueryReply, Reifegrad, ServiceStatus};

use super::super::layout::{Nav, Page};
use super::super::markup::{Field, escape, land_items, query, thousands};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::service_link;
use crate::state::AppState;

/// Services per page.
const PAGE_SIZE: u32 = 25;

const SORTS: [(&str, &str, CatalogueSort); 4] = [
    ("title", "Titel", CatalogueSort::Title),
    ("reuse", "meiste Länder zuerst", CatalogueSort::Reuse),
    (
        "live",
        "meiste Kommunen in Betrieb zuerst",
        CatalogueSort::Live,
    ),
    ("announced", "Ankündigung", CatalogueSort::Announced),
];

/// The filter form's values, as entered.
struct Chosen {
    land: String,
    themenfeld: String,
    status: String,
    reifegrad: String,
    kanal: String,
    q: String,
    sort: String,
    stichtag: String,
    page: u32,
}

impl Chosen {
    fn from(params: &Params) -> Self {
        Self {
            land: params.get("land"),
            themenfeld: params.get("themenfeld"),
            status: params.get("status"),
            reifegrad: params.get("reifegrad"),
            kanal: params.get("kanal"),
            q: params.get("q"),
            sort: params.get("sortierung"),
            stichtag: params.get("stichtag"),
            page: params.number("seite", 1, 100_000).max(1),
        }
    }

    fn filter(&self) -> CatalogueFilter {
        let sort = SORTS
            .iter()
            .find(|(key, _, _)| *key == self.sort)
            .map_or(CatalogueSort::Title, |(_, _, sort)| *sort);
        let nonempty = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
        CatalogueFilter {
            land: efa_proto::LandCode::parse(&self.land).ok(),
            themenfeld: nonempty(&self.themenfeld),
            status: ServiceStatus::from_key(&self.status),
            reifegrad: self
                .reifegrad
                .parse()
                .ok()
                .and_then(|r| Reifegrad::new(r).ok()),
            channel: Channel::from_key(&self.kanal),
            text: nonempty(&self.q),
            sort,
            offset: (self.page - 1).saturating_mul(PAGE_SIZE),
            limit: PAGE_SIZE,
        }
    }

    /// The page's own parameters, for paging links.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("land", self.land.clone()),
            ("themenfeld", self.themenfeld.clone()),
            ("status", self.status.clone()),
            ("reifegrad", self.reifegrad.clone()),
            ("kanal", self.kanal.clone()),
            ("q", self.q.clone()),
            ("sortierung", self.sort.clone()),
            ("stichtag", self.stichtag.clone()),
        ]
    }

    /// The same selection from the API, as CSV.
    fn csv_href(&self) -> String {
        let pairs = vec![
            ("format", "csv".to_owned()),
            ("land", self.land.clone()),
            ("themenfeld", self.themenfeld.clone()),
            ("status", self.status.clone()),
            ("reifegrad", self.reifegrad.clone()),
            ("channel", self.kanal.clone()),
            ("q", self.q.clone()),
            ("sort", self.sort.clone()),
            ("as_of", self.stichtag.clone()),
            ("limit", crate::routes::PAGE_LIMIT_MAX.to_string()),
        ];
        format!("/api/v1/catalogue{}", query(&pairs))
    }
}

/// `GET /`, `GET /katalog`.
pub async fn show(State(state): State<AppState>, visit: Visit, params: Params) -> Response {
    let chosen = Chosen::from(&params);
    let as_of = params.date("stichtag");
    let kind = QueryKind::Catalogue2 {
        filter: chosen.filter(),
        as_of,
    };
    let mut body = String::from(
        "<p>Online-Leistungen, die ein Land nach dem Prinzip „Einer für Alle“ entwickelt und \
         allen anderen Ländern und Kommunen zur Nachnutzung anbietet.</p>\n",
    );
    body.push_str(&filter_form(&chosen));
    let notice = params
        .ignored(&[("stichtag", as_of.is_some())])
        .or_else(|| params.success());
    // A catalogue that could not be read is an error page with an error
    // status, so that monitoring sees it, not a page that says so.
    let status = match view(&state, params.min_seq(), kind).await {
        Ok(QueryReply::Catalogue2(page)) => {
            body.push_str(&listing(&page, &chosen));
            StatusCode::OK
        }
        Ok(_) | Err(_) => {
            body.push_str(
                "<p class=\"hinweis fehler\" role=\"alert\">Der Katalog ist gerade nicht erreichbar. \
                 Bitte versuchen Sie es in einigen Minuten erneut.</p>\n",
            );
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    let page = Page::new("Katalog der EfA-Leistungen", Nav::Katalog, body).with_notice(notice);
    visit.page(status, page)
}

fn filter_form(chosen: &Chosen) -> String {
    let f = "filter";
    let statuses: Vec<(String, String)> = std::iter::once((String::new(), "alle".to_owned()))
        .chain(ServiceStatus::ALL.map(|s| (s.key().to_owned(), s.label_de().to_owned())))
        .collect();
    let levels: Vec<(String, String)> = std::iter::once((String::new(), "alle".to_owned()))
        .chain((0..=4).map(|level| (level.to_string(), level.to_string())))
        .collect();
    let channels: Vec<(String, String)> = std::iter::once((String::new(), "alle".to_owned()))
        .chain(Channel::ALL.map(|c| (c.key().to_owned(), c.label_de().to_owned())))
        .collect();
    let sorts: Vec<(String, String)> = SORTS
        .iter()
        .map(|(key, label, _)| ((*key).to_owned(), (*label).to_owned()))
        .collect();
    let mut html = String::from(
        "<section aria-labelledby=\"suche\">\n<h2 id=\"suche\">Suche und Filter</h2>\n\
         <form class=\"filter\" method=\"get\" action=\"/katalog\">\n",
    );
    html.push_str(&Field::new(f, "q", "Suchbegriff").input(
        "search",
        &chosen.q,
        " maxlength=\"200\"",
    ));
    html.push_str(
        &Field::new(f, "land", "Land (federführend oder beteiligt)")
            .select(&land_items("alle Länder"), &chosen.land),
    );
    html.push_str(&Field::new(f, "themenfeld", "Themenfeld").input(
        "text",
        &chosen.themenfeld,
        " maxlength=\"200\"",
    ));
    html.push_str(&Field::new(f, "status", "Status").select(&statuses, &chosen.status));
    html.push_str(&Field::new(f, "reifegrad", "Reifegrad").select(&levels, &chosen.reifegrad));
    html.push_str(&Field::new(f, "kanal", "Bezugsweg").select(&channels, &chosen.kanal));
    html.push_str(&Field::new(f, "sortierung", "Sortierung").select(&sorts, &chosen.sort));
    html.push_str(&Field::new(f, "stichtag", "Stand am").input("date", &chosen.stichtag, ""));
    html.push_str("<button type=\"submit\">Anzeigen</button>\n</form>\n</section>\n");
    html
}

fn listing(page: &CataloguePage, chosen: &Chosen) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"leistungen\">\n<h2 id=\"leistungen\">Leistungen</h2>\n",
    );
    html.push_str(&format!(
        "<p><a href=\"{}\">Diese Auswahl als CSV herunterladen</a></p>\n",
        escape(&chosen.csv_href())
    ));
    if page.services.is_empty() {
        let text = if page.total == 0 {
            "Keine Leistung passt zu dieser Auswahl."
        } else {
            "Auf dieser Seite sind keine Leistungen mehr."
        };
        html.push_str(&format!("<p role=\"status\">{text}</p>\n</section>\n"));
        return html;
    }
    html.push_str(&format!(
        "<div class=\"tabelle\">\n<table>\n<caption>{} Leistungen, Stand {} (Ereignis Nr. {})</caption>\n",
        page.total,
        super::super::markup::date_de(page.as_of),
        page.as_of_seq
    ));
    html.push_str(
        "<thead>\n<tr><th scope=\"col\">Leistung</th><th scope=\"col\">Federführendes Land</th>\
         <th scope=\"col\">Status</th><th scope=\"col\" class=\"zahl\">Reifegrad</th>\
         <th scope=\"col\">Themenfeld</th><th scope=\"col\" class=\"zahl\">Beteiligte Länder</th>\
         <th scope=\"col\" class=\"zahl\">Kommunen in Betrieb</th></tr>\n</thead>\n<tbody>\n",
    );
    for summary in &page.services {
        let service = &summary.service;
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"zahl\">{}</td><td>{}</td>\
             <td class=\"zahl\">{}</td><td class=\"zahl\">{}</td></tr>\n",
            service_link(&service.id, &service.title).into_string(),
            escape(service.lead.name()),
            escape(service.status.label_de()),
            service.reifegrad.get(),
            escape(&service.themenfeld),
            summary.lands.len(),
            thousands(u64::from(summary.adoptions[3])),
        ));
    }
    html.push_str("</tbody>\n</table>\n</div>\n");
    html.push_str(&paging(page.total, chosen));
    html.push_str("</section>\n");
    html
}

fn paging(total: u32, chosen: &Chosen) -> String {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let link = |number: u32, label: &str, rel: &str| {
        let mut pairs = chosen.pairs();
        pairs.push(("seite", number.to_string()));
        format!(
            "<a href=\"/katalog{}\" rel=\"{rel}\">{label}</a>",
            escape(&query(&pairs))
        )
    };
    let mut html = String::from("<nav class=\"blaetter\" aria-label=\"Seiten\">\n");
    if chosen.page > 1 {
        html.push_str(&link(chosen.page - 1, "Vorherige Seite", "prev"));
    }
    html.push_str(&format!(
        "<span>Seite {} von {pages}</span>",
        chosen.page.min(pages)
    ));
    if chosen.page < pages {
        html.push_str(&link(chosen.page + 1, "Nächste Seite", "next"));
    }
    html.push_str("\n</nav>\n");
    html
}
