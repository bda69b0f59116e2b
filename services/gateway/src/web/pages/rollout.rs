//! `/rollout`: the rollout monitor of a Land (the logged-in Land's own,
//! a Gemeinde's Land, or the one chosen): coverage per Kreis and service
//! as a colour table, the funnel of each service as a chart, the adoptions
//! that have not moved for N days (`?tage=`, default 90), all of one
//! service (`?leistung=`) or of every one, as of a date (`?stichtag=`),
//! and the same data as CSV from the API. The Kreise,
//! the municipalities and the stalled adoptions grow with the history:
//! they are shown a page at a time (`?seite=`, `?seite_stillstand=`).
//! The monitor of one service also lists the municipalities that do not
//! offer it, most inhabitants first (`?seite_ohne=`, see `not_adopted`).
//!
//! A Land with adoptions of more services than fit side by side (at
//! Germany's size hundreds) gets an overview instead of the colour table
//! and the charts: one row per service with its funnel's numbers, a page
//! at a time (`?seite_leistungen=`) in the order chosen (`?ordnung=`: by
//! id, fewest or most live first, slowest to go live first), from one
//! query for the page of the Land's funnels, each leading to the monitor of that
//! service, where its Kreise are one column.

use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::pages::{FunnelOrder, NotAdoptedPage, RolloutPage, StalledPage};
use efa_proto::views::{FunnelView, RolloutScope, ServiceSummary};
use efa_proto::{Actor, AdoptionStage, Date, LandCode, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::chart::funnel_svg;
use super::super::heat;
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{
    Field, choices, date_de, file_links, hidden_input, items, land_items, query, section, table,
    thousands,
};
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::{all_listed, all_services, kommune_link, not_adopted, service_link, title_of};
use crate::state::AppState;
use efa_api::query::{STALLED_DAYS_DEFAULT, funnel_order_key};

/// What the monitor was asked for.
struct Chosen {
    land: Option<LandCode>,
    service: Option<ServiceId>,
    as_of: Option<Date>,
    days: u32,
    /// Page of the Kreise and municipalities, of the stalled adoptions,
    /// of the services in an overview, of the municipalities without the
    /// service.
    page: u32,
    stalled_page: u32,
    services_page: u32,
    not_adopted_page: u32,
    /// The order of the services in an overview.
    order: FunnelOrder,
}

/// The orders of an overview's services: the parameter's value, the
/// order, and its label.
const ORDERS: [(&str, FunnelOrder, &str); 4] = [
    ("leistung", FunnelOrder::Service, "nach Kennung"),
    (
        "wenigste-in-betrieb",
        FunnelOrder::FewestLive,
        "die wenigsten in Betrieb zuerst",
    ),
    (
        "meiste-in-betrieb",
        FunnelOrder::MostLive,
        "die meisten in Betrieb zuerst",
    ),
    (
        "langsamste",
        FunnelOrder::SlowestToLive,
        "die längste Zeit bis in Betrieb zuerst",
    ),
];

/// The parameter's value of `order`.
fn order_value(order: FunnelOrder) -> &'static str {
    (ORDERS.iter())
        .find(|(_, o, _)| *o == order)
        .map_or("leistung", |(value, _, _)| value)
}

/// Rows per page of the Kreise and municipalities, and of the stalled.
const ROWS: u32 = 200;
const STALLED_ROWS: u32 = 100;
/// The most services shown side by side, as columns of the Kreis table
/// and as funnel charts; with more the monitor lists them as rows.
const COLUMNS_MAX: usize = 12;
/// Rows per page of the services in an overview.
const SERVICE_ROWS: u32 = 50;

impl Chosen {
    fn from(visit: &Visit, params: &Params) -> Self {
        let own = match visit.actor() {
            Some(Actor::Land(land)) => Some(*land),
            Some(Actor::Gemeinde(ags)) => Some(ags.land()),
            _ => None,
        };
        Self {
            land: params.land("land").or(own),
            service: params.service("leistung"),
            as_of: params.date("stichtag"),
            days: params.number("tage", STALLED_DAYS_DEFAULT, 36_500),
            page: params.number("seite", 1, 1_000_000).max(1),
            stalled_page: params.number("seite_stillstand", 1, 1_000_000).max(1),
            services_page: params.number("seite_leistungen", 1, 1_000_000).max(1),
            not_adopted_page: params.number("seite_ohne", 1, 1_000_000).max(1),
            order: (ORDERS.iter())
                .find(|(value, _, _)| params.get("ordnung") == *value)
                .map_or(FunnelOrder::Service, |(_, order, _)| *order),
        }
    }

    /// The monitor's parameters, for paging links.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("land", text(self.land)),
            ("leistung", text(self.service.as_ref())),
            ("stichtag", text(self.as_of)),
            ("tage", self.days.to_string()),
            ("seite", self.page.to_string()),
            ("seite_stillstand", self.stalled_page.to_string()),
            ("seite_leistungen", self.services_page.to_string()),
            ("seite_ohne", self.not_adopted_page.to_string()),
            ("ordnung", order_value(self.order).to_owned()),
        ]
    }

    /// The monitor of one service, as of the same date and with the same
    /// days of standing still.
    fn of_service(&self, land: LandCode, service: &ServiceId) -> String {
        let pairs = [
            ("land", land.to_string()),
            ("leistung", service.to_string()),
            ("stichtag", text(self.as_of)),
            ("tage", self.days.to_string()),
        ];
        format!("/rollout{}", query(&pairs))
    }

    /// The API's address of the same list as a file, `format` `csv` or
    /// `xlsx`.
    fn export(&self, format: &str, land: LandCode, path: &str, extra: &[(&str, String)]) -> String {
        let mut pairs = vec![("format", format.to_owned()), ("as_of", text(self.as_of))];
        pairs.extend(extra.iter().cloned());
        format!("/api/v1/lands/{land}/{path}{}", query(&pairs))
    }
}

/// A value as a parameter; none is "".
fn text(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Everything the monitor shows for one Land: a page of the Kreise and
/// municipalities, a page of the stalled adoptions (if it could be read),
/// the funnels, the services and how they are laid out.
struct Monitor {
    rollout: RolloutPage,
    stalled: Option<StalledPage>,
    /// For one service: the municipalities without it, if readable.
    not_adopted: Option<NotAdoptedPage>,
    funnels: Vec<FunnelView>,
    services: Vec<ServiceSummary>,
    layout: Layout,
}

impl Monitor {
    /// Whether the Kreise and whether the municipalities go on after page
    /// `number` of both.
    fn goes_on(&self, number: u32) -> (bool, bool) {
        let rollout = &self.rollout;
        let shown = paging::rows(number, ROWS);
        let after = |rows: usize| u64::from(shown.offset) + rows as u64;
        (
            after(rollout.kreise.len()) < u64::from(rollout.kreise_total),
            after(rollout.municipalities.len()) < u64::from(rollout.municipalities_total),
        )
    }
}

/// How the monitor shows the services with adoptions in the Land.
enum Layout {
    /// Side by side: a column each in the Kreis table, a funnel chart each.
    Columns,
    /// One row each, a page of them at a time: the services of the page
    /// (with whether the Land takes part) and whether more follow.
    Rows {
        shown: Vec<(ServiceId, bool)>,
        more: bool,
    },
}

impl Layout {
    /// The layout for the services with adoptions in the Land, `in_land`,
    /// when `chosen`; one chosen service is always a column.
    fn of(in_land: &[(ServiceId, bool)], chosen: &Chosen) -> Self {
        if chosen.service.is_some() || in_land.len() <= COLUMNS_MAX {
            return Self::Columns;
        }
        let page = paging::rows(chosen.services_page, SERVICE_ROWS);
        let from = page.offset as usize;
        let to = from.saturating_add(page.limit as usize);
        Self::Rows {
            shown: in_land.iter().skip(from).take(to - from).cloned().collect(),
            more: to < in_land.len(),
        }
    }
}

/// `GET /rollout?land=&leistung=&stichtag=&tage=`.
pub async fn show(visit: Visit, params: Params) -> Response {
    let mut chosen = Chosen::from(&visit, &params);
    let services = all_services(&visit.state, params.min_seq(), chosen.as_of)
        .await
        .unwrap_or_default();
    // A service not in the catalogue (by the date) is not shown as a
    // column of zeros: it is left out, with the notice of a value that
    // could not be read (unless the list is empty or may be cut short).
    let whole = !services.is_empty() && all_listed(&services);
    let known = |id: &ServiceId| services.iter().any(|s| s.service.id == *id);
    chosen.service = chosen.service.filter(|id| !whole || known(id));
    let notice = params.notice(&[
        ("stichtag", chosen.as_of.is_some()),
        ("land", chosen.land.is_some()),
        ("leistung", chosen.service.is_some()),
        ("tage", params.number_read("tage", 36_500)),
        ("seite", params.number_read("seite", 1_000_000)),
        (
            "seite_stillstand",
            params.number_read("seite_stillstand", 1_000_000),
        ),
        (
            "seite_leistungen",
            params.number_read("seite_leistungen", 1_000_000),
        ),
        ("seite_ohne", params.number_read("seite_ohne", 1_000_000)),
    ]);
    let form = form(&chosen, &params, &services);
    let answer = |status, title: String, body: Markup, notice| {
        let page = Page::new(title, Nav::Rollout, body);
        visit.page(status, page.with_notice(notice))
    };
    let title = "Rollout-Monitor".to_owned();
    let Some(land) = chosen.land else {
        let body = html! { (form) p role="status" { "Bitte wählen Sie ein Land." } };
        return answer(StatusCode::OK, title, body, notice);
    };
    let monitor = match load(&visit.state, params.min_seq(), land, &chosen, services).await {
        Ok(monitor) => monitor,
        Err(message) => {
            let error = Some(Notice::Error(message));
            return answer(StatusCode::SERVICE_UNAVAILABLE, title, form, error);
        }
    };
    let pairs = chosen.pairs();
    let nav = |param, number, more| paging::nav("/rollout", &pairs, param, number, more);
    // The Kreise and the municipalities go page by page together; each
    // list's links say whether that list goes on.
    let (kreise_more, municipalities_more) = monitor.goes_on(chosen.page);
    let kreise_nav = nav("seite", chosen.page, kreise_more);
    let municipalities_nav = nav("seite", chosen.page, municipalities_more);
    let stalled_more = monitor
        .stalled
        .as_ref()
        .is_some_and(|s| s.next_offset.is_some());
    let not_adopted_html = match &chosen.service {
        None => html! {},
        Some(service) => {
            let list = monitor.not_adopted.as_ref();
            let more = list.is_some_and(|list| list.next_offset.is_some());
            let title = title_of(&monitor.services, service);
            html! {
                (not_adopted::html(list, (land, &title), chosen.as_of))
                (nav("seite_ohne", chosen.not_adopted_page, more))
            }
        }
    };
    let services_html = match &monitor.layout {
        Layout::Columns => html! {
            (coverage_html(&monitor))
            (kreise_nav)
            (funnels_html(&monitor, chosen.as_of))
            (not_adopted_html)
        },
        Layout::Rows { shown, more } => html! {
            (overview_html(&monitor, land, shown, &chosen))
            (nav("seite_leistungen", chosen.services_page, *more))
        },
    };
    let body = html! {
        (form)
        p { "Stand: " (date_de(monitor.rollout.as_of)) "." }
        (services_html)
        (stalled_html(&monitor, &chosen))
        (nav("seite_stillstand", chosen.stalled_page, stalled_more))
        (municipalities_html(&monitor, chosen.as_of))
        (municipalities_nav)
        (csv_html(land, &chosen))
        (import_link(&visit))
    };
    // A list that could not be read makes the page an error page.
    let unread = chosen.service.is_some() && monitor.not_adopted.is_none();
    let status = if monitor.stalled.is_some() && !unread {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    answer(status, format!("{title} {}", land.name()), body, notice)
}

async fn load(
    state: &AppState,
    min_seq: u64,
    land: LandCode,
    chosen: &Chosen,
    services: Vec<ServiceSummary>,
) -> Result<Monitor, String> {
    let as_of = chosen.as_of;
    let scope = RolloutScope {
        land,
        kreis: None,
        service: chosen.service.clone(),
        as_of,
    };
    let page = paging::rows(chosen.page, ROWS);
    let QueryReply::Rollout3(rollout) =
        view(state, min_seq, QueryKind::Rollout3 { scope, page }).await?
    else {
        return Err(super::super::UNAVAILABLE.to_owned());
    };
    let page = paging::rows(chosen.stalled_page, STALLED_ROWS);
    let days_min = chosen.days;
    let kind = QueryKind::Stalled4 {
        land,
        service: chosen.service.clone(),
        days_min,
        as_of,
        page,
    };
    let stalled = match view(state, min_seq, kind).await {
        Ok(QueryReply::Stalled4(page)) => Some(page),
        _ => None,
    };
    let not_adopted = match &chosen.service {
        Some(service) => {
            let page = chosen.not_adopted_page;
            not_adopted::load(state, min_seq, (land, service), as_of, page).await
        }
        None => None,
    };
    let (layout, funnels) = funnels(state, min_seq, land, chosen, &rollout.land_participates).await;
    Ok(Monitor {
        rollout,
        stalled,
        not_adopted,
        funnels,
        services,
        layout,
    })
}

/// The layout for the services with adoptions in the Land, `in_land`,
/// and the funnels it shows: side by side one query each; an overview's
/// page from one query for the Land's funnels in the order asked for
/// (unread: the services by id, their rows "nicht lesbar").
async fn funnels(
    state: &AppState,
    min_seq: u64,
    land: LandCode,
    chosen: &Chosen,
    in_land: &[(ServiceId, bool)],
) -> (Layout, Vec<FunnelView>) {
    let as_of = chosen.as_of;
    match Layout::of(in_land, chosen) {
        Layout::Columns => {
            let mut funnels = Vec::new();
            for (service, _) in in_land {
                let service = service.clone();
                let land = Some(land);
                let kind = QueryKind::Funnel {
                    service,
                    land,
                    as_of,
                };
                if let Ok(QueryReply::Funnel(Some(funnel))) = view(state, min_seq, kind).await {
                    funnels.push(funnel);
                }
            }
            (Layout::Columns, funnels)
        }
        Layout::Rows { shown, more } => {
            let page = paging::rows(chosen.services_page, SERVICE_ROWS);
            let order = chosen.order;
            let kind = QueryKind::LandFunnels {
                land,
                as_of,
                order,
                page,
            };
            match view(state, min_seq, kind).await {
                Ok(QueryReply::LandFunnels(page)) => {
                    let absent = |id: &ServiceId| {
                        (in_land.iter()).any(|(s, takes_part)| s == id && !takes_part)
                    };
                    let shown = (page.funnels.iter())
                        .map(|f| (f.service.clone(), !absent(&f.service)))
                        .collect();
                    let more = page.next_offset.is_some();
                    (Layout::Rows { shown, more }, page.funnels)
                }
                _ => (Layout::Rows { shown, more }, Vec::new()),
            }
        }
    }
}

fn form(chosen: &Chosen, params: &Params, services: &[ServiceSummary]) -> Markup {
    let f = "monitor";
    let land = text(chosen.land);
    let services = services
        .iter()
        .map(|s| (s.service.id.to_string(), s.service.title.clone()));
    let choices = choices("alle mit Einführungen", services);
    html! {
        form.filter method="get" action="/rollout" {
            (Field::new(f, "land", "Land").choice(&land_items("– bitte wählen –"), &land))
            (Field::new(f, "leistung", "Leistung").choice(&choices, &params.get("leistung")))
            (Field::new(f, "stichtag", "Stichtag").hint("leer: heute").control("date", &params.get("stichtag")))
            (Field::new(f, "tage", "Stillstand ab Tagen").min(0).max(36_500)
                .control("number", &chosen.days.to_string()))
            button type="submit" { "Anzeigen" }
        }
    }
}

fn coverage_html(monitor: &Monitor) -> Markup {
    let services = &monitor.rollout.land_participates;
    let title = |id| title_of(&monitor.services, id);
    let columns: Vec<_> = (services.iter())
        .map(|(id, _)| (id.clone(), title(id)))
        .collect();
    let absent: Vec<String> = (services.iter())
        .filter(|(_, takes_part)| !takes_part)
        .map(|(id, _)| title(id))
        .collect();
    let land = monitor.rollout.scope.land;
    section("abdeckung", "Abdeckung je Kreis").with(html! {
        @if columns.is_empty() || monitor.rollout.kreise_total == 0 {
            p { "In diesem Land gibt es zum Stichtag noch keine Einführungen." }
        } @else if monitor.rollout.kreise.is_empty() {
            p role="status" { "Auf dieser Seite folgen keine weiteren Kreise; sie stehen auf den Seiten davor." }
        } @else {
            @if !absent.is_empty() {
                p.hinweis.info { (land.name()) " nimmt zum Stichtag nicht teil: " (absent.join(", ")) "." }
            }
            p.hilfe {
                "Je Zelle: Kommunen des Kreises in Betrieb von allen registrierten Kommunen des Kreises, \
                 der Anteil und die Einwohner der Kommunen in Betrieb."
            }
            (heat::legend())
            (heat::coverage_table(
                &format!("Kommunen in Betrieb je Kreis und Leistung, {}", land.name()),
                &monitor.rollout.kreise,
                &columns,
            ))
        }
    })
}

fn funnels_html(monitor: &Monitor, as_of: Option<Date>) -> Markup {
    section("trichter", "Einführungstrichter je Leistung").with(html! {
        @if monitor.funnels.is_empty() {
            p { "Keine Einführungen." }
        } @else {
            p.hilfe { "Wie viele Einführungen jede Stufe bis zum Stichtag erreicht haben." }
            div.trichter {
                @for (index, funnel) in monitor.funnels.iter().enumerate() {
                    @let title = title_of(&monitor.services, &funnel.service);
                    figure {
                        figcaption { (service_link(&funnel.service, &title, as_of)) }
                        (funnel_svg(&format!("trichter-{index}"), &title, &funnel.reached))
                        p.hilfe { @match (funnel.days_to_live_median, funnel.days_to_live_p90) {
                            (Some(median), Some(p90)) => {
                                "Vom Antrag bis in Betrieb: Median " (median) " Tage, 90 % nach höchstens "
                                (p90) " Tagen (" (funnel.live_count) " in Betrieb)."
                            }
                            _ => "Noch keine Kommune in Betrieb.",
                        } }
                    }
                }
            }
        }
    })
}

/// The services with adoptions in the Land a page at a time, each with
/// its funnel's numbers and leading to its own monitor.
fn overview_html(
    monitor: &Monitor,
    land: LandCode,
    shown: &[(ServiceId, bool)],
    chosen: &Chosen,
) -> Markup {
    let in_land = &monitor.rollout.land_participates;
    let absent = in_land.iter().filter(|(_, takes_part)| !takes_part).count();
    let mut columns = vec![Text("Leistung")];
    columns.extend(AdoptionStage::ALL.iter().map(|stage| Num(stage.label_de())));
    columns.push(Num("Tage bis in Betrieb (Median)"));
    let rows = html! {
        @for (service, takes_part) in shown {
            @let funnel = monitor.funnels.iter().find(|f| f.service == *service);
            tr {
                th scope="row" {
                    a href=(chosen.of_service(land, service)) { (title_of(&monitor.services, service)) }
                    @if !takes_part { br; small { (land.name()) " nimmt nicht teil" } }
                }
                @match funnel {
                    Some(funnel) => {
                        @for count in funnel.reached { td.zahl { (thousands(u64::from(count))) } }
                        td.zahl { @match funnel.days_to_live_median {
                            Some(days) => (thousands(u64::from(days))),
                            None => "–",
                        } }
                    }
                    None => td colspan=(AdoptionStage::ALL.len() + 1) { "nicht lesbar" },
                }
            }
        }
    };
    let count = thousands(in_land.len() as u64);
    section("leistungen", "Einführungen je Leistung").with(html! {
        p {
            (land.name()) " hat zum Stichtag Einführungen in " (count) " Leistungen – zu viele, \
             um sie nebeneinander zu zeigen. Jede Zeile führt zum Monitor der Leistung mit ihrer \
             Abdeckung je Kreis und ihrem Einführungstrichter."
        }
        @if absent > 0 {
            p.hinweis.info {
                (land.name()) " nimmt zum Stichtag an " (thousands(absent as u64)) " dieser Leistungen nicht teil."
            }
        }
        (order_form(chosen))
        p.hilfe { "Wie viele Einführungen jede Stufe bis zum Stichtag erreicht haben." }
        @if shown.is_empty() {
            p role="status" { "Auf dieser Seite folgen keine weiteren Leistungen; sie stehen auf den Seiten davor." }
        } @else {
            (table(html! { "Einführungen je Leistung, " (land.name()) }, &columns, rows))
        }
    })
}

/// The overview's order, chosen anew from its first page, with the rest
/// of what the monitor was asked for kept.
fn order_form(chosen: &Chosen) -> Markup {
    let items = items(ORDERS.iter().map(|(value, _, label)| (*value, *label)));
    html! {
        form.zeile method="get" action="/rollout" {
            (hidden_input("land", &text(chosen.land)))
            (hidden_input("stichtag", &text(chosen.as_of)))
            (hidden_input("tage", &chosen.days.to_string()))
            (Field::new("reihenfolge", "ordnung", "Reihenfolge").choice(&items, order_value(chosen.order)))
            button type="submit" { "Ordnen" }
        }
    }
}

fn stalled_html(monitor: &Monitor, chosen: &Chosen) -> Markup {
    let (days, as_of) = (chosen.days, chosen.as_of);
    let heading = format!("Stillstand: seit mindestens {days} Tagen ohne Schritt");
    section("stillstand", heading).with(html! {
        @match &monitor.stalled {
            None => p { "Die Liste ist gerade nicht erreichbar." },
            Some(stalled) if stalled.total == 0 => p role="status" { "Keine Einführung steht so lange still." },
            Some(stalled) if stalled.stalled.is_empty() => p role="status" {
                "Auf dieser Seite folgen keine weiteren; alle " (thousands(u64::from(stalled.total)))
                " stehen auf den Seiten davor."
            },
            Some(stalled) => (table(
                html! { (adoptions(stalled.total)) " ohne Schritt seit mindestens " (thousands(u64::from(days))) " Tagen" },
                &[Text("Gemeinde"), Text("Leistung"), Text("Stufe"), Text("letzter Schritt"), Text("Stillstand")],
                html! {
                    @for row in &stalled.stalled {
                        tr {
                            th scope="row" {
                                (kommune_link(row.ags, &row.name, as_of)) " (" (row.ags) ")"
                                @if row.adopter != row.ags {
                                    br; small { "Einführung der Vorgängergemeinde " (row.adopter) }
                                }
                            }
                            td { (service_link(&row.service, &title_of(&monitor.services, &row.service), as_of)) }
                            td { (row.stage.label_de()) } td { (date_de(row.last_step)) }
                            td { "seit " (thousands(u64::from(row.days))) " Tagen ohne Schritt" }
                        }
                    }
                },
            )),
        }
    })
}

fn municipalities_html(monitor: &Monitor, as_of: Option<Date>) -> Markup {
    let rows = &monitor.rollout.municipalities;
    let total = monitor.rollout.municipalities_total;
    if rows.is_empty() {
        return html! {};
    }
    let shown = if rows.len() < total as usize {
        format!(
            "{} von {} anzeigen (diese Seite)",
            thousands(rows.len() as u64),
            adoptions(total)
        )
    } else {
        format!("{} anzeigen", adoptions(total))
    };
    let rows = html! {
        @for row in rows {
            tr {
                th scope="row" {
                    (kommune_link(row.ags, &row.name, as_of))
                    @if row.adopter != row.ags {
                        br; small { "Einführung der Vorgängergemeinde " (row.adopter) }
                    }
                }
                td { (title_of(&monitor.services, &row.service)) }
                td { (row.stage.label_de()) } td { (date_de(row.since)) }
            }
        }
    };
    section("gemeinden", "Einführungen je Gemeinde").with(html! {
        details {
            summary { (shown) }
            (table("Einführungen je Gemeinde und Leistung",
                &[Text("Gemeinde"), Text("Leistung"), Text("Stufe"), Text("seit")], rows))
        }
    })
}

fn csv_html(land: LandCode, chosen: &Chosen) -> Markup {
    let service = ("service", text(chosen.service.as_ref()));
    let rollout = |table: &str| {
        let pairs = vec![("table", table.to_owned()), service.clone()];
        ("rollout".to_owned(), pairs)
    };
    let stalled = vec![("days", chosen.days.to_string()), service.clone()];
    let mut lists = vec![
        (rollout("kreise"), "Abdeckung je Kreis"),
        (rollout("gemeinden"), "Einführungen je Gemeinde"),
        (("stalled".to_owned(), stalled), "Stillstandsliste"),
    ];
    match &chosen.service {
        Some(service) => {
            let path = format!("not-adopted/{service}");
            lists.push(((path, Vec::new()), "Gemeinden ohne diese Leistung"));
        }
        None => {
            let order = vec![("order", funnel_order_key(chosen.order).to_owned())];
            lists.push((
                ("funnels".to_owned(), order),
                "Einführungstrichter je Leistung",
            ));
        }
    }
    section("export", "Export").with(html! {
        ul {
            @for ((path, pairs), label) in lists {
                li {
                    (label) ": " (file_links(|format| chosen.export(format, land, &path, &pairs)))
                }
            }
        }
    })
}

/// For those who record adoptions: the way to a whole table of them.
fn import_link(visit: &Visit) -> Markup {
    if !visit
        .actor()
        .is_some_and(|actor| !matches!(actor, Actor::Admin))
    {
        return html! {};
    }
    section("uebernehmen", "Stand übernehmen").with(html! {
        p {
            "Einführungen vieler Gemeinden auf einmal festhalten: "
            a href="/rollout/tabelle" { "Rollout-Stand aus einer Tabelle übernehmen" }
            " (zum Beispiel die oben heruntergeladene CSV, bearbeitet)."
        }
    })
}

/// "1 Einführung", "4.346 Einführungen".
fn adoptions(count: u32) -> String {
    match count {
        1 => "1 Einführung".to_owned(),
        n => format!("{} Einführungen", thousands(u64::from(n))),
    }
}
