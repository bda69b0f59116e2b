//! `/leistungen/{id}`: everything about one service as of a date
//! (`?stichtag=`): lead Land, provider, status and Reifegrad, the Länder
//! taking part with their dates, adoptions by stage, coverage per Land,
//! costs per year, the split of one year's costs among the Länder with
//! each share's explanation (`?jahr=`), and the timeline of its events.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{CostSharingView, CostSplit, HistoryEntry, HistorySubject, ServiceDetail};
use efa_proto::{Actor, AdoptionStage, Cents, Date, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::layout::{Nav, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{
    Field, date_de, euro, hidden_input, land_de, section, table, thousands, timestamp_de, weight_de,
};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::{dated, fraction, land_row, table_of};

/// `GET /leistungen/{id}?stichtag=&jahr=`.
pub async fn show(visit: Visit, Path(id): Path<String>, params: Params) -> Response {
    let Ok(id) = ServiceId::parse(&id) else {
        return not_found(&visit, &id);
    };
    let (as_of, min_seq) = (params.date("stichtag"), params.min_seq());
    let kind = QueryKind::ServiceDetail {
        service: id.clone(),
        as_of,
    };
    let detail = match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::ServiceDetail(Some(detail))) => detail,
        Ok(QueryReply::ServiceDetail(None)) => return not_found(&visit, id.as_str()),
        Ok(_) | Err(_) => {
            let body = html! { p { a href="/katalog" { "Zum Katalog" } } };
            return visit.unavailable(Page::new("Leistung", Nav::Katalog, body));
        }
    };
    let service = &detail.summary.service;
    let asked_year = params.year();
    let year = asked_year
        .or_else(|| detail.costs.iter().map(|c| c.year).max())
        .unwrap_or_else(|| u16::try_from(visit.today.year()).unwrap_or(2024));
    // The costs as of the same date as every other part of the page.
    let kind = QueryKind::CostYear {
        service: id.clone(),
        year,
        as_of,
    };
    let year_view = match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::CostYear(view)) => view,
        _ => None,
    };
    let kind = QueryKind::History {
        subject: HistorySubject::Service(id.clone()),
        from_seq: 0,
        limit: 200,
    };
    let history = match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::History(history)) => Some(history.entries),
        _ => None,
    };
    let notice = params.notice(&[
        ("stichtag", as_of.is_some()),
        ("jahr", asked_year.is_some()),
    ]);
    let stichtag = params.get("stichtag");
    let id = id.as_str();
    let body = html! {
        form.zeile method="get" action={ "/leistungen/" (id) } {
            (Field::new("stand", "stichtag", "Stand am")
                .hint("leer: heute")
                .control("date", &stichtag))
            (hidden_input("jahr", &year.to_string()))
            button type="submit" { "Stand anzeigen" }
        }
        @if visit.actor() == Some(&Actor::Land(service.lead)) {
            p.hinweis.info {
                "Ihr Land ist federführend: " a href={ "/leistungen/" (id) "/bearbeiten" } { "Angaben ändern" }
                " · " a href={ "/leistungen/" (id) "/abrechnung?jahr=" (year) } { "Jahresabrechnung und Berichtigungen" }
                " · Status, Reifegrad und Kosten melden Sie auf " a href="/land" { "Ihrer Länderseite" } "."
            }
        } @else if visit.actor() == Some(&Actor::Admin) {
            p.hinweis.info {
                "Als Administration: " a href={ "/leistungen/" (id) "/abrechnung?jahr=" (year) } { "Jahresabrechnung und Berichtigungen" }
            }
        }
        (overview(&detail))
        (participations(&detail))
        (stages(&detail))
        (coverage(&detail))
        (costs(&detail, as_of))
        (sharing(id, year, year_view.as_ref().map(|view| &view.sharing), &stichtag))
        @if let Some(view) = &year_view { (super::statement::year_notes(view)) }
        (timeline(history.as_deref()))
    };
    let page = Page::new(service.title.clone(), Nav::Katalog, body).with_notice(notice);
    visit.page(StatusCode::OK, page)
}

/// The page for a service the catalogue does not have.
pub(super) fn not_found(visit: &Visit, id: &str) -> Response {
    let body = html! {
        p { "Die Leistung „" (id) "“ ist nicht im Katalog." }
        p { a href="/katalog" { "Zum Katalog" } }
    };
    let page = Page::new("Leistung nicht gefunden", Nav::Katalog, body);
    visit.page(StatusCode::NOT_FOUND, page)
}

fn overview(detail: &ServiceDetail) -> Markup {
    let s = &detail.summary.service;
    section("ueberblick", "Überblick").with(html! {
        dl.fakten {
            dt { "Kennung" } dd { (s.id) }
            dt { "Federführendes Land" } dd { (land_de(s.lead)) }
            dt { "Anbieter" } dd { (s.provider) }
            dt { "Status" } dd { (s.status.label_de()) }
            dt { "Reifegrad" } dd { (s.reifegrad.get()) }
            dt { "Themenfeld" } dd { (s.themenfeld) }
            dt { "Bezugsweg" } dd { (s.channel.label_de()) }
            dt { "Kostenmodell" } dd { (s.cost_model.label_de()) }
            dt { "OZG-ID" } dd { (s.ozg_id.as_deref().unwrap_or("–")) }
            dt { "Angekündigt am" } dd { (date_de(s.announced_on)) }
            dt { "Einwohner der teilnehmenden Länder" } dd { (population_lands(detail)) }
        }
    })
}

/// The inhabitants of the Länder taking part; none counted while some
/// take part means the registry holds no figures for them, not nobody.
fn population_lands(detail: &ServiceDetail) -> String {
    match detail.population_lands {
        0 if !detail.summary.lands.is_empty() => "keine Angaben erfasst".to_owned(),
        count => thousands(count),
    }
}

fn participations(detail: &ServiceDetail) -> Markup {
    section("laender", "Teilnehmende Länder").with(html! {
        (table_of(
            &detail.participations, "Noch kein Land nimmt teil.", "Beitritte und Austritte",
            &[Text("Land"), Text("Rolle"), Text("Beitritt"), Text("Austritt")],
            |p| land_row(p.land, html! {
                td { @if p.is_lead { "federführend" } @else { "beigetreten" } }
                td { (date_de(p.joined)) }
                td { (p.left.map_or_else(|| "–".to_owned(), date_de)) }
            }),
        ))
    })
}

fn stages(detail: &ServiceDetail) -> Markup {
    let columns = AdoptionStage::ALL.map(|stage| Num(stage.label_de()));
    let counts = html! { tr { @for count in detail.summary.adoptions { td.zahl { (thousands(u64::from(count))) } } } };
    let title = &detail.summary.service.title;
    section("stufen", "Einführung in den Kommunen nach Stufe").with(html! {
        (table("Kommunen je aktueller Stufe", &columns, counts))
        (super::super::chart::funnel_svg("stufen-grafik", title, &detail.summary.adoptions))
    })
}

fn coverage(detail: &ServiceDetail) -> Markup {
    let yes_no = |yes: bool| if yes { "ja" } else { "nein" };
    section("abdeckung", "Abdeckung je Land").with(html! {
        (table_of(
            &detail.coverage, "Keine Angaben.", "Registrierte Kommunen und Kommunen in Betrieb",
            &[
                Text("Land"), Text("nimmt teil"), Num("Kommunen registriert"),
                Num("in Betrieb"), Num("Einwohner in Betrieb"), Text("flächendeckend"),
            ],
            |c| land_row(c.land, html! {
                td { (yes_no(c.participating)) }
                td.zahl { (thousands(u64::from(c.municipalities_registered))) }
                td.zahl { (thousands(u64::from(c.municipalities_live))) }
                td.zahl { (thousands(c.population_live)) }
                td { (yes_no(c.flaechendeckend)) }
            }),
        ))
    })
}

fn costs(detail: &ServiceDetail, as_of: Option<Date>) -> Markup {
    let mut sums = BTreeMap::new();
    for cost in &detail.costs {
        *sums.entry(cost.year).or_insert(0) += cost.amount.0;
    }
    section("kosten", "Kosten je Jahr").with(html! {
        @if detail.costs.is_empty() {
            p { "Es sind noch keine Kosten gemeldet." }
        } @else {
            (table("Summe der gemeldeten Kosten je Jahr", &[Text("Jahr"), Num("Summe")], html! {
                @for (year, sum) in sums {
                    tr {
                        th scope="row" { a href=(dated(&format!("?jahr={year}#aufteilung"), as_of)) { (year) } }
                        td.zahl { (euro(Cents(sum))) }
                    }
                }
            }))
            (table("Kostenpositionen", &[
                Text("Nr."), Text("Jahr"), Text("Kategorie"), Num("Betrag"),
                Num("ursprünglich gemeldet"), Num("Korrekturen"), Text("Bemerkung"),
            ], html! {
                @for c in &detail.costs {
                    tr {
                        th scope="row" { (c.cost_no) } td { (c.year) }
                        td { (c.category.label_de()) } td.zahl { (euro(c.amount)) }
                        td.zahl { (euro(c.reported)) } td.zahl { (c.corrections) }
                        td { (c.note) }
                    }
                }
            }))
        }
    })
}

fn sharing(id: &str, year: u16, view: Option<&CostSharingView>, stichtag: &str) -> Markup {
    section("aufteilung", format!("Kostenaufteilung {year}")).with(html! {
        form.zeile method="get" action={ "/leistungen/" (id) "#aufteilung" } {
            (hidden_input("stichtag", stichtag))
            (Field::new("aufteilung", "jahr", "Kostenjahr")
                .years()
                .control("number", &year.to_string()))
            button type="submit" { "Jahr anzeigen" }
        }
        @match view {
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

pub(super) fn split_html(split: &CostSplit, caption: &str) -> Markup {
    html! {
        p {
            "Modell: " (split.model.label_de())
            @if !split.weights_source.is_empty() { " (" (split.weights_source) ")" }
            ". Summe " (euro(split.total)) ", verteilt " (euro(split.allocated))
            ", nicht verteilt " (euro(split.unallocated)) " (Tage des Jahres: " (split.days_in_year) ")."
        }
        @if let Some(problem) = &split.problem { p.hinweis.fehler { (problem) } }
        @if !split.shares.is_empty() {
            (table(caption, &[
                Text("Land"), Num("Gewicht"), Num("Tage"), Text("Anteil exakt"), Num("Betrag"),
            ], html! {
                @for share in &split.shares {
                    (land_row(share.land, html! {
                        td.zahl { (weight_de(&split.model, share.weight)) } td.zahl { (share.days) }
                        td { (fraction(&share.fraction)) } td.zahl { (euro(share.cents)) }
                    }))
                }
            }))
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
