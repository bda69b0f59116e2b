//! The pages of a Land: `/laender` (the list), `/laender/{code}` (public:
//! what it leads and joined, its municipalities, what it owes in a year
//! and why) and `/land`, the same for the logged-in Land with the forms
//! that write (see `land_forms`). The services it leads and joined are
//! shown a page at a time (`?seite=`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{LandView, ServiceSummary};
use efa_proto::{Actor, Date, LandCode, QueryKind, QueryReply};
use maud::{Markup, html};

use super::super::forms::{self, Attempt};
use super::super::layout::{Nav, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{
    Field, date_de, euro, file_links, footed_table, hidden_input, land_de, query, section,
    table_or, thousands, weight_de,
};
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::{all_services, dated, fraction, service_link, title_of};
use crate::state::AppState;
use efa_api::dto::statement::{LandCosts, land_costs_of};

/// A page of the Länder section without a notice.
pub(super) fn land_page(visit: &Visit, status: StatusCode, title: &str, body: Markup) -> Response {
    visit.page(status, Page::new(title, Nav::Laender, body))
}

/// Services per page in the lists of those led and joined.
const ROWS: u32 = 200;

/// `GET /laender`.
pub async fn list(visit: Visit) -> Response {
    let body = html! {
        p { "Die Seiten der Länder: was sie federführend anbieten, wo sie beigetreten sind und was sie zahlen." }
        ul { @for land in LandCode::all() { li { a href={ "/laender/" (land) } { (land.name()) } } } }
        @if matches!(visit.actor(), Some(Actor::Land(_))) {
            p { a href="/land" { "Zur Seite Ihres Landes mit den Formularen" } }
        }
    };
    land_page(&visit, StatusCode::OK, "Länder", body)
}

/// `GET /laender/{land}`: read only.
pub async fn public(visit: Visit, Path(code): Path<String>, params: Params) -> Response {
    let Ok(land) = LandCode::parse(&code) else {
        let body = html! {
            p { "Diesen Ländercode gibt es nicht (01 bis 16)." }
            p { a href="/laender" { "Zur Liste der Länder" } }
        };
        return land_page(&visit, StatusCode::NOT_FOUND, "Land nicht gefunden", body);
    };
    render(&visit, land, &params, false, None).await
}

/// `GET /land`: the logged-in Land's page with its forms.
pub async fn own(visit: Visit, params: Params) -> Response {
    match visit.actor() {
        Some(Actor::Land(land)) => render(&visit, *land, &params, true, None).await,
        Some(_) => {
            let body = html! {
                p {
                    "Diese Seite ist für angemeldete Länder. Die öffentlichen Länderseiten finden Sie unter "
                    a href="/laender" { "Länder" } "."
                }
            };
            land_page(&visit, StatusCode::FORBIDDEN, "Mein Land", body)
        }
        None => visit.redirect("/anmelden?weiter=/land", Vec::new()),
    }
}

/// What the Land page shows.
pub struct LandData {
    /// One page of the services led and joined and of the cost lines
    /// (`?seite=`).
    pub view: LandView,
    pub leads_total: u32,
    pub joined_total: u32,
    /// Whether either list goes on after this page.
    pub more: bool,
    pub costs: Option<LandCosts>,
    pub services: Vec<ServiceSummary>,
    pub year: u16,
    /// The date asked for, carried on by the page's links.
    pub as_of: Option<Date>,
}

/// The Land page, with the forms when `with_forms`; `attempt` is a
/// refused form to show again.
pub async fn render(
    visit: &Visit,
    land: LandCode,
    params: &Params,
    with_forms: bool,
    attempt: Option<&Attempt>,
) -> Response {
    let asked_year = params.year();
    let year = asked_year.unwrap_or_else(|| u16::try_from(visit.today.year()).unwrap_or(2024));
    let (title, path) = if with_forms {
        (format!("Mein Land: {}", land.name()), "/land".to_owned())
    } else {
        (format!("Land {}", land.name()), format!("/laender/{land}"))
    };
    let number = params.number("seite", 1, 1_000_000).max(1);
    let as_of = params.date("stichtag");
    let data = match load(&visit.state, params.min_seq(), land, (as_of, number), year).await {
        Ok(data) => data,
        Err(message) => {
            let page = Page::new(title, Nav::Laender, "").error(message);
            return visit.page(StatusCode::SERVICE_UNAVAILABLE, page);
        }
    };
    let pairs = [
        ("stichtag", params.get("stichtag")),
        ("jahr", params.get("jahr")),
    ];
    let joined = if data.more {
        data.joined_total as usize
    } else {
        data.view.joined.iter().filter(|p| p.left.is_none()).count()
    };
    let view = &data.view;
    let body = html! {
        p {
            (data.leads_total) " Leistungen federführend, " (joined) " beigetreten. Registrierte Kommunen: "
            (thousands(u64::from(view.municipalities_registered)))
            ", davon mit mindestens einer Leistung in Betrieb: "
            (thousands(u64::from(view.municipalities_live_any))) " (Stand " (date_de(view.as_of)) ")."
        }
        @let gemeinden = |format: &str| {
            let pairs = [("format", format.to_owned()), ("as_of", as_of.map(|d| d.to_string()).unwrap_or_default())];
            format!("/api/v1/lands/{land}/gemeinden{}", query(&pairs))
        };
        p { "Die registrierten Kommunen mit Kreis, Einwohnern und Stand: " (file_links(gemeinden)) }
        p {
            "Wie weit die Kommunen des Landes die Leistungen eingeführt haben und welche noch fehlen: "
            a href=(dated(&format!("/rollout?land={land}"), as_of)) { "Rollout-Monitor " (land.name()) }
        }
        @if !with_forms && visit.actor() == Some(&Actor::Land(land)) {
            p.hinweis.info { a href="/land" { "Zu Ihrer Seite mit den Formularen" } }
        }
        (leads_html(&data))
        (joined_html(&data))
        (costs_html(land, &data, &path))
        (paging::nav(&path, &pairs, "seite", number, data.more))
        @if with_forms { (super::land_forms::forms(visit, land, &data, attempt)) }
    };
    let (status, notice) =
        forms::outcome(attempt, params.notice(&[("jahr", asked_year.is_some())]));
    let page = Page::new(title, Nav::Laender, body).with_notice(notice);
    visit.page(status, page)
}

async fn load(
    state: &AppState,
    min_seq: u64,
    land: LandCode,
    (as_of, number): (Option<Date>, u32),
    year: u16,
) -> Result<LandData, String> {
    let page = paging::rows(number, ROWS);
    let land_page = match view(state, min_seq, QueryKind::Land2 { land, as_of, page }).await? {
        QueryReply::Land2(land_page) => land_page,
        _ => return Err(super::super::UNAVAILABLE.to_owned()),
    };
    // From the statement, so that a closed year's lines say what was
    // settled (it holds every line of the year, at most one per service).
    let costs = match view(state, min_seq, QueryKind::Statement { land, year, as_of }).await {
        Ok(QueryReply::Statement(statement)) => Some(land_costs_of(&statement)),
        _ => None,
    };
    let services = all_services(state, min_seq, as_of).await?;
    Ok(LandData {
        view: land_page.view(),
        leads_total: land_page.leads_total,
        joined_total: land_page.joined_total,
        more: land_page.next_offset.is_some(),
        costs,
        services,
        year,
        as_of,
    })
}

fn leads_html(data: &LandData) -> Markup {
    let rows = html! {
        @for id in &data.view.leads {
            tr {
                th scope="row" { (service_link(id, &title_of(&data.services, id), data.as_of)) }
                @match data.services.iter().find(|s| s.service.id == *id) {
                    Some(s) => {
                        td { (s.service.status.label_de()) }
                        td.zahl { (s.service.reifegrad.get()) }
                        td.zahl { (s.lands.len()) }
                        td.zahl { (thousands(u64::from(s.adoptions[3]))) }
                    }
                    None => { td { "–" } td.zahl {} td.zahl { "0" } td.zahl { "0" } }
                }
            }
        }
    };
    section("fuehrt", "Federführend angebotene Leistungen").with(html! {
        (table_or("Keine.", "Leistungen, die das Land baut und anbietet", &[
            Text("Leistung"), Text("Status"), Num("Reifegrad"),
            Num("Beteiligte Länder"), Num("Kommunen in Betrieb"),
        ], rows))
    })
}

fn joined_html(data: &LandData) -> Markup {
    let rows = html! {
        @for p in &data.view.joined {
            tr {
                th scope="row" { (service_link(&p.service, &p.title, data.as_of)) }
                td { (p.lead.name()) } td { (date_de(p.joined)) }
                td { (p.left.map_or_else(|| "–".to_owned(), date_de)) }
            }
        }
    };
    section("beigetreten", "Beigetretene Leistungen").with(html! {
        (table_or("Keine.", "Leistungen anderer Länder, denen das Land beigetreten ist", &[
            Text("Leistung"), Text("Federführend"), Text("Beitritt"), Text("Austritt"),
        ], rows))
    })
}

/// The table of what the Land pays per service; a closed year's line with
/// the settled share and the Nachtrag.
fn cost_lines(land: LandCode, costs: &LandCosts, as_of: Option<Date>) -> Markup {
    let closed = costs.any_closed();
    let mut columns = vec![
        Text("Leistung"),
        Num("Kosten der Leistung"),
        Num("Gewicht"),
        Num("Tage"),
        Text("Anteil exakt"),
        Num("Betrag"),
    ];
    if closed {
        columns.extend([Num("Abgerechnet"), Num("Nachtrag")]);
    }
    footed_table(
        html! { "Was " (land_de(land)) " " (costs.statement.year) " zahlt und warum" },
        &columns,
        html! {
            @for line in &costs.statement.lines {
                tr data-leistung=(line.service) {
                    th scope="row" { (service_link(&line.service, &line.title, as_of)) }
                    td.zahl { (euro(line.service_total)) }
                    td.zahl { (weight_de(&line.model.model, line.share.weight)) }
                    td.zahl { (line.share.days) }
                    td { (fraction(&line.share.fraction)) }
                    td.zahl { (euro(line.share.cents)) }
                    @if closed {
                        @match &line.closed {
                            Some(c) => {
                                td.zahl data-feld="abgerechnet" { (euro(c.settled)) }
                                td.zahl data-feld="nachtrag" { (euro(c.supplement)) }
                            }
                            None => { td.zahl { "–" } td.zahl { "–" } }
                        }
                    }
                }
            }
        },
        html! {
            tr {
                th scope="row" colspan="5" { "Summe" }
                td.zahl { (euro(costs.total)) }
                @if closed { td {} td {} }
            }
        },
    )
}

/// The costs of the year, with a form (to `action`, the page) and links
/// to choose another.
fn costs_html(land: LandCode, data: &LandData, action: &str) -> Markup {
    let this_year = data.year;
    // Four years back and the year after, so that a year chosen in the
    // past leads forward again.
    let others = (this_year.saturating_sub(4)..=this_year.saturating_add(1))
        .filter(|year| *year != this_year);
    section("zahlt", format!("Kostenanteile {} im Jahr {this_year}", land.name())).with(html! {
        form.zeile method="get" action={ (action) "#zahlt" } {
            (Field::new("zahlt", "jahr", "Kostenjahr").years()
                .control("number", &this_year.to_string()))
            @if let Some(as_of) = data.as_of { (hidden_input("stichtag", &as_of.to_string())) }
            button type="submit" { "Jahr anzeigen" }
        }
        p {
            "Andere Jahre: "
            @for (i, year) in others.enumerate() {
                @if i > 0 { " · " }
                a href=(dated(&format!("{action}?jahr={year}#zahlt"), data.as_of)) { (year) }
            }
        }
        p {
            a href=(dated(&format!("/laender/{land}/kostenaufstellung?jahr={this_year}"), data.as_of)) {
                "Kostenaufstellung " (this_year) " (druckbar, als CSV und JSON)"
            }
        }
        @match data.costs.as_ref().filter(|c| !c.statement.lines.is_empty()) {
            None => p { "Für dieses Jahr fallen keine Kostenanteile an." },
            Some(costs) => {
                p.hilfe {
                    "Je Leistung: der Anteil an den Kosten des Jahres nach dem Kostenmodell der Leistung, \
                     mit Gewicht (Königsteiner Schlüssel in Prozent, wie veröffentlicht, oder Einwohner), \
                     Tagen der Teilnahme und dem exakten Anteil vor der Rundung auf Cent."
                    @if costs.any_closed() {
                        " Ist das Jahr einer Leistung abgerechnet, steht daneben der abgerechnete Betrag \
                         und der Nachtrag seither (positiv: nachzuzahlen, negativ: zu erstatten)."
                    }
                }
                (cost_lines(land, costs, data.as_of))
            }
        }
    })
}
