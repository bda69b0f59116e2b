//! The pages of a Land: `/laender` (the list), `/laender/{code}` (public:
//! what it leads and joined, its municipalities, what it owes in a year
//! and why) and `/land`, the same for the logged-in Land with the forms
//! that write (see `land_forms`). The services it leads and joined are
//! shown a page at a time (`?seite=`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{LandCostsView, LandView, ServiceSummary};
use efa_proto::{Actor, LandCode, QueryKind, QueryReply};

use super::super::forms::Attempt;
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, date_de, escape, euro, land_de, thousands};
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::{all_services, service_link, title_of};
use crate::routes::exports;
use crate::state::AppState;

/// Services per page in the lists of those led and joined.
const ROWS: u32 = 200;

/// `GET /laender`.
pub async fn list(visit: Visit) -> Response {
    let mut body = String::from(
        "<p>Die Seiten der Länder: was sie federführend anbieten, wo sie beigetreten sind und was sie zahlen.</p>\n<ul>\n",
    );
    for land in LandCode::all() {
        body.push_str(&format!(
            "<li><a href=\"/laender/{land}\">{}</a></li>\n",
            escape(land.name())
        ));
    }
    body.push_str("</ul>\n");
    if matches!(visit.actor(), Some(Actor::Land(_))) {
        body.push_str("<p><a href=\"/land\">Zur Seite Ihres Landes mit den Formularen</a></p>\n");
    }
    visit.page(StatusCode::OK, Page::new("Länder", Nav::Laender, body))
}

/// `GET /laender/{land}`: read only.
pub async fn public(
    State(state): State<AppState>,
    visit: Visit,
    Path(code): Path<String>,
    params: Params,
) -> Response {
    let Ok(land) = LandCode::parse(&code) else {
        let body = "<p>Diesen Ländercode gibt es nicht (01 bis 16).</p>\n<p><a href=\"/laender\">Zur Liste der Länder</a></p>\n";
        return visit.page(
            StatusCode::NOT_FOUND,
            Page::new("Land nicht gefunden", Nav::Laender, body.to_owned()),
        );
    };
    render(&state, &visit, land, &params, false, None).await
}

/// `GET /land`: the logged-in Land's page with its forms.
pub async fn own(State(state): State<AppState>, visit: Visit, params: Params) -> Response {
    match visit.actor() {
        Some(Actor::Land(land)) => render(&state, &visit, *land, &params, true, None).await,
        Some(_) => {
            let body = "<p>Diese Seite ist für angemeldete Länder. Die öffentlichen Länderseiten finden Sie unter \
                        <a href=\"/laender\">Länder</a>.</p>\n";
            visit.page(
                StatusCode::FORBIDDEN,
                Page::new("Mein Land", Nav::Laender, body.to_owned()),
            )
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
    pub costs: Option<LandCostsView>,
    pub services: Vec<ServiceSummary>,
    pub year: u16,
}

/// The Land page, with the forms when `with_forms`; `attempt` is a
/// refused form to show again.
pub async fn render(
    state: &AppState,
    visit: &Visit,
    land: LandCode,
    params: &Params,
    with_forms: bool,
    attempt: Option<(&Attempt, StatusCode)>,
) -> Response {
    let as_of = params.date("stichtag");
    let min_seq = params.min_seq();
    let year = u16::try_from(params.number("jahr", 0, 2200))
        .ok()
        .filter(|y| *y >= 1900)
        .unwrap_or_else(|| u16::try_from(visit.today.year()).unwrap_or(2024));
    let title = if with_forms {
        format!("Mein Land: {}", land.name())
    } else {
        format!("Land {}", land.name())
    };
    let number = params.number("seite", 1, 1_000_000).max(1);
    let data = match load(state, min_seq, land, (as_of, number), year).await {
        Ok(data) => data,
        Err(message) => {
            let page = Page::new(title, Nav::Laender, String::new())
                .with_notice(Some(Notice::Error(message)));
            return visit.page(StatusCode::SERVICE_UNAVAILABLE, page);
        }
    };
    let mut body = format!(
        "<p>{} Leistungen federführend, {} beigetreten. Registrierte Kommunen: {}, davon mit mindestens einer Leistung in Betrieb: {} (Stand {}).</p>\n",
        data.leads_total,
        if data.more {
            data.joined_total as usize
        } else {
            data.view.joined.iter().filter(|p| p.left.is_none()).count()
        },
        thousands(u64::from(data.view.municipalities_registered)),
        thousands(u64::from(data.view.municipalities_live_any)),
        date_de(data.view.as_of)
    );
    if !with_forms && visit.actor() == Some(&Actor::Land(land)) {
        body.push_str("<p class=\"hinweis info\"><a href=\"/land\">Zu Ihrer Seite mit den Formularen</a></p>\n");
    }
    let path = if with_forms {
        "/land".to_owned()
    } else {
        format!("/laender/{land}")
    };
    let pairs = [
        ("stichtag", params.get("stichtag")),
        ("jahr", params.get("jahr")),
    ];
    let nav = paging::nav(&path, &pairs, "seite", number, data.more).into_string();
    body.push_str(&leads_html(&data));
    body.push_str(&joined_html(&data));
    body.push_str(&costs_html(land, &data, with_forms));
    body.push_str(&nav);
    if with_forms {
        body.push_str(&super::land_forms::forms(
            visit,
            land,
            &data,
            attempt.map(|(a, _)| a),
        ));
    }
    let notice = match attempt {
        Some((attempt, _)) => Some(Notice::Error(format!(
            "Nicht angenommen: {}",
            attempt.failure.message
        ))),
        None => params.success(),
    };
    let status = attempt.map_or(StatusCode::OK, |(_, status)| status);
    visit.page(
        status,
        Page::new(title, Nav::Laender, body).with_notice(notice),
    )
}

async fn load(
    state: &AppState,
    min_seq: u64,
    land: LandCode,
    (as_of, number): (Option<efa_proto::Date>, u32),
    year: u16,
) -> Result<LandData, String> {
    let page = paging::rows(number, ROWS);
    let land_page = match view(state, min_seq, QueryKind::Land2 { land, as_of, page }).await? {
        QueryReply::Land2(land_page) => land_page,
        _ => return Err(super::super::UNAVAILABLE.to_owned()),
    };
    let (costs, costs_more) = match as_of {
        // As of a date, the costs too: from the statement, which takes one.
        Some(_) => match view(state, min_seq, QueryKind::Statement { land, year, as_of }).await {
            Ok(QueryReply::Statement(statement)) => (
                Some(crate::dto::statement::land_costs_of(&statement)),
                false,
            ),
            _ => (None, false),
        },
        None => match view(state, min_seq, QueryKind::LandCosts2 { land, year, page }).await {
            Ok(QueryReply::LandCosts2(costs)) => (
                Some(exports::land_costs_view(&costs)),
                costs.next_offset.is_some(),
            ),
            _ => (None, false),
        },
    };
    let services = all_services(state, min_seq, as_of).await?;
    Ok(LandData {
        view: exports::land_view(&land_page),
        leads_total: land_page.leads_total,
        joined_total: land_page.joined_total,
        more: land_page.next_offset.is_some() || costs_more,
        costs,
        services,
        year,
    })
}

fn leads_html(data: &LandData) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"fuehrt\">\n<h2 id=\"fuehrt\">Federführend angebotene Leistungen</h2>\n",
    );
    if data.view.leads.is_empty() {
        html.push_str("<p>Keine.</p>\n</section>\n");
        return html;
    }
    html.push_str("<table>\n<caption>Leistungen, die das Land baut und anbietet</caption>\n<thead><tr><th scope=\"col\">Leistung</th>\
        <th scope=\"col\">Status</th><th scope=\"col\" class=\"zahl\">Reifegrad</th><th scope=\"col\" class=\"zahl\">Beteiligte Länder</th>\
        <th scope=\"col\" class=\"zahl\">Kommunen in Betrieb</th></tr></thead>\n<tbody>\n");
    for id in &data.view.leads {
        let summary = data.services.iter().find(|s| s.service.id == *id);
        let (status, level, lands, live) = summary.map_or(("–", String::new(), 0, 0), |s| {
            (
                s.service.status.label_de(),
                s.service.reifegrad.get().to_string(),
                s.lands.len(),
                s.adoptions[3],
            )
        });
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td></tr>\n",
            service_link(id, &title_of(&data.services, id)).into_string(), escape(status), level, lands, live
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn joined_html(data: &LandData) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"beigetreten\">\n<h2 id=\"beigetreten\">Beigetretene Leistungen</h2>\n",
    );
    if data.view.joined.is_empty() {
        html.push_str("<p>Keine.</p>\n</section>\n");
        return html;
    }
    html.push_str("<table>\n<caption>Leistungen anderer Länder, denen das Land beigetreten ist</caption>\n<thead><tr>\
        <th scope=\"col\">Leistung</th><th scope=\"col\">Federführend</th><th scope=\"col\">Beitritt</th><th scope=\"col\">Austritt</th></tr></thead>\n<tbody>\n");
    for p in &data.view.joined {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            service_link(&p.service, &p.title).into_string(),
            escape(p.lead.name()),
            date_de(p.joined),
            p.left.map_or_else(|| "–".to_owned(), date_de)
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn costs_html(land: LandCode, data: &LandData, own: bool) -> String {
    let action = if own {
        "/land".to_owned()
    } else {
        format!("/laender/{land}")
    };
    let mut html = format!(
        "<section aria-labelledby=\"zahlt\">\n<h2 id=\"zahlt\">Kostenanteile {} im Jahr {}</h2>\n\
         <form class=\"zeile\" method=\"get\" action=\"{action}#zahlt\">\n{}<button type=\"submit\">Jahr anzeigen</button>\n</form>\n",
        escape(land.name()),
        data.year,
        Field::new("zahlt", "jahr", "Kostenjahr").input(
            "number",
            &data.year.to_string(),
            " min=\"1900\" max=\"2200\""
        )
    );
    let this_year = data.year;
    let links: Vec<String> = (this_year.saturating_sub(5)..this_year.saturating_add(1))
        .filter(|year| *year != this_year)
        .map(|year| format!("<a href=\"{action}?jahr={year}#zahlt\">{year}</a>"))
        .collect();
    html.push_str(&format!("<p>Andere Jahre: {}</p>\n", links.join(" · ")));
    html.push_str(&format!(
        "<p><a href=\"/laender/{land}/kostenaufstellung?jahr={this_year}\">Kostenaufstellung {this_year} \
         (druckbar, als CSV und JSON)</a></p>\n"
    ));
    let Some(costs) = data.costs.as_ref().filter(|c| !c.lines.is_empty()) else {
        html.push_str("<p>Für dieses Jahr fallen keine Kostenanteile an.</p>\n</section>\n");
        return html;
    };
    html.push_str("<p class=\"hilfe\">Je Leistung: der Anteil an den Kosten des Jahres nach dem Kostenmodell der Leistung, \
        mit Gewicht (z. B. Königsteiner Schlüssel in 1/100.000 %), Tagen der Teilnahme und dem exakten Anteil vor der Rundung auf Cent.</p>\n");
    html.push_str(&format!("<table>\n<caption>Was {} {} zahlt und warum</caption>\n<thead><tr><th scope=\"col\">Leistung</th>\
        <th scope=\"col\" class=\"zahl\">Kosten der Leistung</th><th scope=\"col\" class=\"zahl\">Gewicht</th><th scope=\"col\" class=\"zahl\">Tage</th>\
        <th scope=\"col\">Anteil exakt</th><th scope=\"col\" class=\"zahl\">Betrag</th></tr></thead>\n<tbody>\n", escape(&land_de(land)), costs.year));
    for line in &costs.lines {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td>\
             <td><code>{}/{}</code></td><td class=\"zahl\">{}</td></tr>\n",
            service_link(&line.service, &line.title).into_string(), euro(line.service_total), thousands(line.share.weight), line.share.days,
            escape(&line.share.fraction.numerator), escape(&line.share.fraction.denominator), euro(line.share.cents)
        ));
    }
    html.push_str(&format!(
        "</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"5\">Summe</th><td class=\"zahl\">{}</td></tr></tfoot>\n</table>\n</section>\n",
        euro(costs.total)
    ));
    html
}
