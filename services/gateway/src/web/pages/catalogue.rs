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
use maud::{Markup, html};

use super::super::layout::{Nav, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{Field, date_de, head, land_items, query, section, thousands};
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
    let notice = params
        .ignored(&[("stichtag", as_of.is_some())])
        .or_else(|| params.success());
    // A catalogue that could not be read is an error page with an error
    // status, so that monitoring sees it, not a page that says so.
    let listing = match view(&state, params.min_seq(), kind).await {
        Ok(QueryReply::Catalogue2(page)) => Some(page),
        Ok(_) | Err(_) => None,
    };
    let status = if listing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = CataloguePageModel {
        chosen: &chosen,
        listing: listing.as_ref(),
    }
    .render();
    let page = Page::new("Katalog der EfA-Leistungen", Nav::Katalog, body).with_notice(notice);
    visit.page(status, page)
}

/// What the catalogue page shows: the filter as entered and one page of
/// the catalogue, if it could be read.
struct CataloguePageModel<'a> {
    chosen: &'a Chosen,
    listing: Option<&'a CataloguePage>,
}

impl CataloguePageModel<'_> {
    fn render(&self) -> Markup {
        html! {
            p {
                "Online-Leistungen, die ein Land nach dem Prinzip „Einer für Alle“ entwickelt und \
                 allen anderen Ländern und Kommunen zur Nachnutzung anbietet."
            }
            (filter_form(self.chosen))
            @match self.listing {
                Some(page) => (listing(page, self.chosen)),
                None => p.hinweis.fehler role="alert" {
                    "Der Katalog ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."
                },
            }
        }
    }
}

fn filter_form(chosen: &Chosen) -> Markup {
    let f = "filter";
    let all = || std::iter::once((String::new(), "alle".to_owned()));
    let statuses: Vec<(String, String)> = all()
        .chain(ServiceStatus::ALL.map(|s| (s.key().to_owned(), s.label_de().to_owned())))
        .collect();
    let levels: Vec<(String, String)> = all()
        .chain((0..=4).map(|level| (level.to_string(), level.to_string())))
        .collect();
    let channels: Vec<(String, String)> = all()
        .chain(Channel::ALL.map(|c| (c.key().to_owned(), c.label_de().to_owned())))
        .collect();
    let sorts: Vec<(String, String)> = SORTS
        .iter()
        .map(|(key, label, _)| ((*key).to_owned(), (*label).to_owned()))
        .collect();
    section("suche", "Suche und Filter").with(html! {
        form.filter method="get" action="/katalog" {
            (Field::new(f, "q", "Suchbegriff").maxlength(200).control("search", &chosen.q))
            (Field::new(f, "land", "Land (federführend oder beteiligt)")
                .choice(&land_items("alle Länder"), &chosen.land))
            (Field::new(f, "themenfeld", "Themenfeld")
                .maxlength(200)
                .control("text", &chosen.themenfeld))
            (Field::new(f, "status", "Status").choice(&statuses, &chosen.status))
            (Field::new(f, "reifegrad", "Reifegrad").choice(&levels, &chosen.reifegrad))
            (Field::new(f, "kanal", "Bezugsweg").choice(&channels, &chosen.kanal))
            (Field::new(f, "sortierung", "Sortierung").choice(&sorts, &chosen.sort))
            (Field::new(f, "stichtag", "Stand am").control("date", &chosen.stichtag))
            button type="submit" { "Anzeigen" }
        }
    })
}

fn listing(page: &CataloguePage, chosen: &Chosen) -> Markup {
    section("leistungen", "Leistungen").with(html! {
        p { a href=(chosen.csv_href()) { "Diese Auswahl als CSV herunterladen" } }
        @if page.services.is_empty() {
            p role="status" {
                @if page.total == 0 { "Keine Leistung passt zu dieser Auswahl." }
                @else { "Auf dieser Seite sind keine Leistungen mehr." }
            }
        } @else {
            div.tabelle {
                table {
                    caption {
                        (page.total) " Leistungen, Stand " (date_de(page.as_of)) " (Ereignis Nr. " (page.as_of_seq) ")"
                    }
                    (head(&[
                        Text("Leistung"), Text("Federführendes Land"), Text("Status"),
                        Num("Reifegrad"), Text("Themenfeld"), Num("Beteiligte Länder"),
                        Num("Kommunen in Betrieb"),
                    ]))
                    tbody {
                        @for summary in &page.services {
                            @let service = &summary.service;
                            tr {
                                th scope="row" { (service_link(&service.id, &service.title)) }
                                td { (service.lead.name()) } td { (service.status.label_de()) }
                                td.zahl { (service.reifegrad.get()) }
                                td { (service.themenfeld) } td.zahl { (summary.lands.len()) }
                                td.zahl { (thousands(u64::from(summary.adoptions[3]))) }
                            }
                        }
                    }
                }
            }
            (paging(page.total, chosen))
        }
    })
}

fn paging(total: u32, chosen: &Chosen) -> Markup {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let href = |number: u32| {
        let mut pairs = chosen.pairs();
        pairs.push(("seite", number.to_string()));
        format!("/katalog{}", query(&pairs))
    };
    html! {
        nav.blaetter aria-label="Seiten" {
            @if chosen.page > 1 { a href=(href(chosen.page - 1)) rel="prev" { "Vorherige Seite" } }
            span { "Seite " (chosen.page.min(pages)) " von " (pages) }
            @if chosen.page < pages { a href=(href(chosen.page + 1)) rel="next" { "Nächste Seite" } }
        }
    }
}
