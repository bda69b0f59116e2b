//! `/` and `/katalog`: the catalogue of EfA services with filters (Land,
//! Themenfeld, Status, Reifegrad, Bezugsweg, search text), sorting, paging
//! and a date (Stichtag), from the projector's filtered catalogue; each
//! service links to its page, and the same selection is offered as CSV
//! from the API.

use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{CatalogueFilter, CataloguePage, CatalogueSort};
use efa_proto::{Channel, QueryKind, QueryReply, Reifegrad, ServiceStatus};
use maud::{Markup, html};

use super::super::layout::{Nav, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{
    Field, choices, date_de, items, land_items, query, section, table, thousands,
};
use super::super::params::Params;
use super::super::visit::Visit;
use super::super::{paging, view};
use super::service_link;

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

/// The filter's parameters: the page's name and the API's.
const FILTERS: [(&str, &str); 8] = [
    ("land", "land"),
    ("themenfeld", "themenfeld"),
    ("status", "status"),
    ("reifegrad", "reifegrad"),
    ("kanal", "channel"),
    ("q", "q"),
    ("sortierung", "sort"),
    ("stichtag", "as_of"),
];

/// `GET /`, `GET /katalog`.
pub async fn show(visit: Visit, params: Params) -> Response {
    let number = params.number("seite", 1, 100_000).max(1);
    let as_of = params.date("stichtag");
    let kind = QueryKind::Catalogue2 {
        filter: filter(&params, number),
        as_of,
    };
    // A filter value that cannot be read is said to be left out, not
    // quietly replaced by "alle".
    let reifegrad = params.get("reifegrad").parse().ok();
    let notice = params.notice(&[
        ("stichtag", as_of.is_some()),
        ("land", params.land("land").is_some()),
        (
            "status",
            ServiceStatus::from_key(&params.get("status")).is_some(),
        ),
        (
            "reifegrad",
            reifegrad.is_some_and(|r| Reifegrad::new(r).is_ok()),
        ),
        ("kanal", Channel::from_key(&params.get("kanal")).is_some()),
        (
            "sortierung",
            SORTS
                .iter()
                .any(|(key, _, _)| *key == params.get("sortierung")),
        ),
        ("seite", params.number_read("seite", 100_000)),
    ]);
    // A catalogue that could not be read is an error page with an error
    // status, so that monitoring sees it, not a page that says so.
    let listing = match view(&visit.state, params.min_seq(), kind).await {
        Ok(QueryReply::Catalogue2(page)) => Some(page),
        Ok(_) | Err(_) => None,
    };
    let body = html! {
        p {
            "Online-Leistungen, die ein Land nach dem Prinzip „Einer für Alle“ entwickelt und \
             allen anderen Ländern und Kommunen zur Nachnutzung anbietet."
        }
        (filter_form(&params))
        @match &listing {
            Some(page) => (services(page, &params, number)),
            None => p.hinweis.fehler role="alert" {
                "Der Katalog ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."
            },
        }
    };
    let status = match listing {
        Some(_) => StatusCode::OK,
        None => StatusCode::SERVICE_UNAVAILABLE,
    };
    let page = Page::new("Katalog der EfA-Leistungen", Nav::Katalog, body).with_notice(notice);
    visit.page(status, page)
}

/// The projector's filter for page `number` of the selection.
fn filter(params: &Params, number: u32) -> CatalogueFilter {
    let text = |name| Some(params.get(name)).filter(|text| !text.is_empty());
    let sort = params.get("sortierung");
    let sort = SORTS
        .iter()
        .find(|(key, _, _)| *key == sort)
        .map_or(CatalogueSort::Title, |(_, _, sort)| *sort);
    let reifegrad = params.get("reifegrad").parse().ok();
    CatalogueFilter {
        land: params.land("land"),
        themenfeld: text("themenfeld"),
        status: ServiceStatus::from_key(&params.get("status")),
        reifegrad: reifegrad.and_then(|r| Reifegrad::new(r).ok()),
        channel: Channel::from_key(&params.get("kanal")),
        text: text("q"),
        sort,
        offset: (number - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
    }
}

fn filter_form(params: &Params) -> Markup {
    let f = "filter";
    let statuses = choices("alle", ServiceStatus::ALL.map(|s| (s.key(), s.label_de())));
    let levels = choices("alle", (0..=4).map(|level| (level, level)));
    let channels = choices("alle", Channel::ALL.map(|c| (c.key(), c.label_de())));
    let sorts = items(SORTS.map(|(key, label, _)| (key, label)));
    section("suche", "Suche und Filter").with(html! {
        form.filter method="get" action="/katalog" {
            (Field::new(f, "q", "Suchbegriff").maxlength(200).control("search", &params.get("q")))
            (Field::new(f, "land", "Land (federführend oder beteiligt)")
                .choice(&land_items("alle Länder"), &params.get("land")))
            (Field::new(f, "themenfeld", "Themenfeld")
                .maxlength(200)
                .control("text", &params.get("themenfeld")))
            (Field::new(f, "status", "Status").choice(&statuses, &params.get("status")))
            (Field::new(f, "reifegrad", "Reifegrad").choice(&levels, &params.get("reifegrad")))
            (Field::new(f, "kanal", "Bezugsweg").choice(&channels, &params.get("kanal")))
            (Field::new(f, "sortierung", "Sortierung").choice(&sorts, &params.get("sortierung")))
            (Field::new(f, "stichtag", "Stand am").control("date", &params.get("stichtag")))
            button type="submit" { "Anzeigen" }
        }
    })
}

/// Page `number` of the selection, the way to the other pages, and the
/// whole selection as CSV from the API.
fn services(page: &CataloguePage, params: &Params, number: u32) -> Markup {
    let pairs: Vec<_> = FILTERS.map(|(name, _)| (name, params.get(name))).into();
    let mut csv = vec![("format", "csv".to_owned())];
    csv.extend(FILTERS.map(|(name, api)| (api, params.get(name))));
    csv.push(("limit", efa_api::query::PAGE_LIMIT_MAX.to_string()));
    let mut xlsx = csv.clone();
    xlsx[0].1 = "xlsx".to_owned();
    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
    let here = html! { "Seite " (number.min(pages)) " von " (pages) };
    section("leistungen", "Leistungen").with(html! {
        p {
            "Diese Auswahl herunterladen: "
            a href={ "/api/v1/catalogue" (query(&csv)) } { "CSV" } " · "
            a href={ "/api/v1/catalogue" (query(&xlsx)) } { "Excel (XLSX)" }
        }
        @if page.services.is_empty() {
            p role="status" {
                @if page.total == 0 { "Keine Leistung passt zu dieser Auswahl." }
                @else { "Auf dieser Seite sind keine Leistungen mehr." }
            }
        } @else {
            (table(html! {
                (page.total) " Leistungen, Stand " (date_de(page.as_of)) " (Ereignis Nr. " (page.as_of_seq) ")"
            }, &[
                Text("Leistung"), Text("Federführendes Land"), Text("Status"),
                Num("Reifegrad"), Text("Themenfeld"), Num("Beteiligte Länder"),
                Num("Kommunen in Betrieb"),
            ], html! {
                @for summary in &page.services {
                    @let service = &summary.service;
                    tr {
                        th scope="row" { (service_link(&service.id, &service.title, params.date("stichtag"))) }
                        td { (service.lead.name()) } td { (service.status.label_de()) }
                        td.zahl { (service.reifegrad.get()) }
                        td { (service.themenfeld) } td.zahl { (summary.lands.len()) }
                        td.zahl { (thousands(u64::from(summary.adoptions[3]))) }
                    }
                }
            }))
            (paging::bar("/katalog", &pairs, "seite", number, number < pages, here))
        }
    })
}
