//! `/leistungen/{id}`: everything about one service as of a date
//! (`?stichtag=`): lead Land, provider, status and Reifegrad, the Länder
//! taking part with their dates, adoptions by stage, coverage per Land,
//! costs per year, the split of one year's costs among the Länder with
//! each share's explanation (`?jahr=`), and the timeline of its events.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{CostSharingView, CostSplit, HistoryEntry, HistorySubject, ServiceDetail};
use efa_proto::{Actor, AdoptionStage, Cents, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{
    Field, date_de, euro, head, hidden_input, land_de, section, thousands, timestamp_de,
};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use crate::state::AppState;

/// `GET /leistungen/{id}?stichtag=&jahr=`.
pub async fn show(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    params: Params,
) -> Response {
    let Ok(id) = ServiceId::parse(&id) else {
        return not_found(&visit, &id);
    };
    let as_of = params.date("stichtag");
    let min_seq = params.min_seq();
    let kind = QueryKind::ServiceDetail {
        service: id.clone(),
        as_of,
    };
    let detail = match view(&state, min_seq, kind).await {
        Ok(QueryReply::ServiceDetail(Some(detail))) => detail,
        Ok(QueryReply::ServiceDetail(None)) => return not_found(&visit, id.as_str()),
        Ok(_) | Err(_) => return unavailable(&visit),
    };
    let year = params
        .number("jahr", 0, 9999)
        .try_into()
        .ok()
        .filter(|y: &u16| *y >= 1900)
        .or_else(|| detail.costs.iter().map(|c| c.year).max())
        .unwrap_or_else(|| u16::try_from(visit.today.year()).unwrap_or(2024));
    let sharing = match view(
        &state,
        min_seq,
        // The costs as of the same date as every other part of the page.
        QueryKind::CostYear {
            service: id.clone(),
            year,
            as_of,
        },
    )
    .await
    {
        Ok(QueryReply::CostYear(view)) => view,
        _ => None,
    };
    let history_kind = QueryKind::History {
        subject: HistorySubject::Service(id.clone()),
        from_seq: 0,
        limit: 200,
    };
    let history = match view(&state, min_seq, history_kind).await {
        Ok(QueryReply::History(history)) => Some(history.entries),
        _ => None,
    };
    let notice = params
        .ignored(&[("stichtag", as_of.is_some())])
        .or_else(|| params.success());
    let body = ServicePage {
        detail: &detail,
        stichtag: params.get("stichtag"),
        is_lead: visit.actor() == Some(&Actor::Land(detail.summary.service.lead)),
        year,
        year_view: sharing.as_deref(),
        history: history.as_deref(),
    }
    .render();
    let page =
        Page::new(detail.summary.service.title.clone(), Nav::Katalog, body).with_notice(notice);
    visit.page(StatusCode::OK, page)
}

fn not_found(visit: &Visit, id: &str) -> Response {
    let body = html! {
        p { "Die Leistung „" (id) "“ ist nicht im Katalog." }
        p { a href="/katalog" { "Zum Katalog" } }
    };
    visit.page(
        StatusCode::NOT_FOUND,
        Page::new("Leistung nicht gefunden", Nav::Katalog, body),
    )
}

fn unavailable(visit: &Visit) -> Response {
    let body = html! { p { a href="/katalog" { "Zum Katalog" } } };
    let page = Page::new("Leistung", Nav::Katalog, body)
        .with_notice(Some(Notice::Error(super::super::UNAVAILABLE.to_owned())));
    visit.page(StatusCode::SERVICE_UNAVAILABLE, page)
}

/// What the service's page shows.
struct ServicePage<'a> {
    detail: &'a ServiceDetail,
    /// The date asked for, as entered ("" for today).
    stichtag: String,
    /// Whether the visitor is the service's lead Land.
    is_lead: bool,
    year: u16,
    year_view: Option<&'a efa_proto::statement::CostYearView>,
    history: Option<&'a [HistoryEntry]>,
}

impl ServicePage<'_> {
    fn render(&self) -> Markup {
        let id = self.detail.summary.service.id.as_str();
        html! {
            form.zeile method="get" action={ "/leistungen/" (id) } {
                (Field::new("stand", "stichtag", "Stand am")
                    .hint("leer: heute")
                    .control("date", &self.stichtag))
                (hidden_input("jahr", &self.year.to_string()))
                button type="submit" { "Stand anzeigen" }
            }
            @if self.is_lead {
                p.hinweis.info {
                    "Ihr Land ist federführend: " a href={ "/leistungen/" (id) "/bearbeiten" } { "Angaben ändern" }
                    " · Status, Reifegrad und Kosten melden Sie auf " a href="/land" { "Ihrer Länderseite" } "."
                }
            }
            (overview(self.detail))
            (participations(self.detail))
            (stages(self.detail))
            (coverage(self.detail))
            (costs(self.detail))
            (sharing_section(id, self.year, self.year_view.map(|view| &view.sharing), &self.stichtag))
            @if let Some(view) = self.year_view { (super::statement::year_notes(view)) }
            (timeline(self.history))
        }
    }
}

fn overview(detail: &ServiceDetail) -> Markup {
    let s = &detail.summary.service;
    let rows = [
        ("Kennung", s.id.to_string()),
        ("Federführendes Land", land_de(s.lead)),
        ("Anbieter", s.provider.clone()),
        ("Status", s.status.label_de().to_owned()),
        ("Reifegrad", s.reifegrad.get().to_string()),
        ("Themenfeld", s.themenfeld.clone()),
        ("Bezugsweg", s.channel.label_de().to_owned()),
        ("Kostenmodell", s.cost_model.label_de().to_string()),
        ("OZG-ID", s.ozg_id.clone().unwrap_or_else(|| "–".to_owned())),
        ("Angekündigt am", date_de(s.announced_on)),
        (
            "Einwohner der teilnehmenden Länder",
            thousands(detail.population_lands),
        ),
    ];
    section("ueberblick", "Überblick").with(html! {
        dl.fakten { @for (term, value) in rows { dt { (term) } dd { (value) } } }
    })
}

fn participations(detail: &ServiceDetail) -> Markup {
    section("laender", "Teilnehmende Länder").with(html! {
        @if detail.participations.is_empty() {
            p { "Noch kein Land nimmt teil." }
        } @else {
            table {
                caption { "Beitritte und Austritte" }
                (head(&[Text("Land"), Text("Rolle"), Text("Beitritt"), Text("Austritt")]))
                tbody {
                    @for p in &detail.participations {
                        tr {
                            th scope="row" { (land_de(p.land)) }
                            td { @if p.is_lead { "federführend" } @else { "beigetreten" } }
                            td { (date_de(p.joined)) }
                            td { (p.left.map_or_else(|| "–".to_owned(), date_de)) }
                        }
                    }
                }
            }
        }
    })
}

fn stages(detail: &ServiceDetail) -> Markup {
    section("stufen", "Einführung in den Kommunen nach Stufe").with(html! {
        table {
            caption { "Kommunen je aktueller Stufe" }
            (head(&AdoptionStage::ALL.map(|stage| Num(stage.label_de()))))
            tbody { tr { @for count in detail.summary.adoptions { td.zahl { (count) } } } }
        }
        (super::super::chart::funnel_svg("stufen-grafik", &detail.summary.service.title, &detail.summary.adoptions))
    })
}

fn coverage(detail: &ServiceDetail) -> Markup {
    let yes_no = |yes: bool| if yes { "ja" } else { "nein" };
    section("abdeckung", "Abdeckung je Land").with(html! {
        @if detail.coverage.is_empty() {
            p { "Keine Angaben." }
        } @else {
            table {
                caption { "Registrierte Kommunen und Kommunen in Betrieb" }
                (head(&[
                    Text("Land"), Text("nimmt teil"), Num("Kommunen registriert"),
                    Num("in Betrieb"), Num("Einwohner in Betrieb"), Text("flächendeckend"),
                ]))
                tbody {
                    @for c in &detail.coverage {
                        tr {
                            th scope="row" { (land_de(c.land)) }
                            td { (yes_no(c.participating)) }
                            td.zahl { (c.municipalities_registered) }
                            td.zahl { (c.municipalities_live) }
                            td.zahl { (thousands(c.population_live)) }
                            td { (yes_no(c.flaechendeckend)) }
                        }
                    }
                }
            }
        }
    })
}

fn costs(detail: &ServiceDetail) -> Markup {
    let mut years: Vec<u16> = detail.costs.iter().map(|c| c.year).collect();
    years.sort_unstable();
    years.dedup();
    let sum = |year: u16| -> i64 {
        detail
            .costs
            .iter()
            .filter(|c| c.year == year)
            .map(|c| c.amount.0)
            .sum()
    };
    section("kosten", "Kosten je Jahr").with(html! {
        @if detail.costs.is_empty() {
            p { "Es sind noch keine Kosten gemeldet." }
        } @else {
            table {
                caption { "Summe der gemeldeten Kosten je Jahr" }
                thead { tr { th scope="col" { "Jahr" } th.zahl scope="col" { "Summe" } } }
                tbody {
                    @for year in years {
                        tr {
                            th scope="row" { a href={ "?jahr=" (year) "#aufteilung" } { (year) } }
                            td.zahl { (euro(Cents(sum(year)))) }
                        }
                    }
                }
            }
            table {
                caption { "Kostenpositionen" }
                (head(&[
                    Text("Nr."), Text("Jahr"), Text("Kategorie"), Num("Betrag"),
                    Num("ursprünglich gemeldet"), Num("Korrekturen"), Text("Bemerkung"),
                ]))
                tbody {
                    @for c in &detail.costs {
                        tr {
                            th scope="row" { (c.cost_no) } td { (c.year) }
                            td { (c.category.label_de()) } td.zahl { (euro(c.amount)) }
                            td.zahl { (euro(c.reported)) } td.zahl { (c.corrections) }
                            td { (c.note) }
                        }
                    }
                }
            }
        }
    })
}

fn sharing_section(
    id: &str,
    year: u16,
    sharing: Option<&CostSharingView>,
    stichtag: &str,
) -> Markup {
    section("aufteilung", format!("Kostenaufteilung {year}")).with(html! {
        form.zeile method="get" action={ "/leistungen/" (id) "#aufteilung" } {
            (hidden_input("stichtag", stichtag))
            (Field::new("aufteilung", "jahr", "Kostenjahr")
                .min(1900)
                .max(2200)
                .control("number", &year.to_string()))
            button type="submit" { "Jahr anzeigen" }
        }
        @match sharing {
            None => p { "Für dieses Jahr liegt keine Aufteilung vor." },
            Some(view) => {
                p.hilfe {
                    "An jedem Tag des Jahres wird der Tagesbetrag auf die an diesem Tag \
                     teilnehmenden Länder nach ihrem Gewicht verteilt. Die Summe über die Tage ist der exakte \
                     Anteil; er wird einmal nach dem Verfahren der größten Reste auf Cent gerundet."
                }
                (split_html(&view.split, "Anteile der Länder"))
                @if !view.alternatives.is_empty() {
                    h3 { "Zum Vergleich: andere Kostenmodelle" }
                    @for alternative in &view.alternatives {
                        (split_html(alternative, &format!("Anteile nach Modell „{}“", alternative.model.label_de())))
                    }
                }
            }
        }
    })
}

fn split_html(split: &CostSplit, caption: &str) -> Markup {
    html! {
        p {
            "Modell: " (split.model.label_de())
            @if !split.weights_source.is_empty() { " (" (split.weights_source) ")" }
            ". Summe " (euro(split.total)) ", verteilt " (euro(split.allocated))
            ", nicht verteilt " (euro(split.unallocated)) " (Tage des Jahres: " (split.days_in_year) ")."
        }
        @if let Some(problem) = &split.problem { p.hinweis.fehler { (problem) } }
        @if !split.shares.is_empty() {
            table {
                caption { (caption) }
                (head(&[
                    Text("Land"), Num("Gewicht"), Num("Tage"), Text("Anteil exakt"), Num("Betrag"),
                ]))
                tbody {
                    @for share in &split.shares {
                        tr {
                            th scope="row" { (land_de(share.land)) }
                            td.zahl { (thousands(share.weight)) } td.zahl { (share.days) }
                            td { code { (share.fraction.numerator) "/" (share.fraction.denominator) } }
                            td.zahl { (euro(share.cents)) }
                        }
                    }
                }
            }
        }
    }
}

fn timeline(history: Option<&[HistoryEntry]>) -> Markup {
    section("verlauf", "Verlauf").with(html! {
        @match history {
            None => p { "Der Verlauf ist gerade nicht erreichbar." },
            Some([]) => p { "Keine Ereignisse." },
            Some(entries) => ol.verlauf {
                @for entry in entries {
                    li {
                        strong { (date_de(entry.effective)) } ": " (entry.summary_de) " "
                        span.hilfe {
                            "(erfasst " (timestamp_de(entry.recorded_at)) " von " (entry.actor) ", Ereignis Nr. " (entry.seq) ")"
                        }
                    }
                }
            },
        }
    })
}
