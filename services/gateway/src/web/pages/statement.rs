//! `/laender/{land}/kostenaufstellung?jahr=&stichtag=&bis_sequenz=`: a Land's yearly
//! statement (Kostenaufstellung) as a page that prints on A4: every service
//! the Land takes part in with its share and why (model and since when,
//! key year, weight in percent, days, fraction, exact value), what was
//! settled in a closed year and the supplement since, the corrections, the
//! totals, and the ledger sequence and chain hash the figures rest on,
//! with links to the same statement as CSV and JSON. Every part is as of
//! the one date asked for, and as recorded up to the ledger sequence asked
//! for (all recorded until now when none is).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::statement::{CorrectionLine, CostYearView, StatementLine, StatementView};
use efa_proto::{Cents, Date, LandCode, Rejection};
use maud::{Markup, html};

use super::super::layout::{Nav, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{Field, date_de, encode, euro, head, land_de, query, scrolls_alone};
use super::super::params::Params;
use super::super::visit::Visit;
use super::{dated, fraction, land_row, table_of};
use crate::problem::{ApiError, rejection_detail};
use crate::routes::settlement::{Reading, statement_view};
use efa_api::dto::statement::{changes, difference, total_with_supplements};

/// `GET /laender/{land}/kostenaufstellung`.
pub async fn show(visit: Visit, Path(code): Path<String>, params: Params) -> Response {
    let Ok(land) = LandCode::parse(&code) else {
        let body = html! { p { "Diesen Ländercode gibt es nicht (01 bis 16)." } };
        let page = Page::new("Land nicht gefunden", Nav::Laender, body);
        return visit.page(StatusCode::NOT_FOUND, page);
    };
    let last_year = u16::try_from(visit.today.year() - 1).unwrap_or(2024);
    let asked_year = params.year();
    let year = asked_year.unwrap_or(last_year);
    let as_of = params.date("stichtag");
    let known_at_seq = params.sequence("bis_sequenz");
    let reading = Reading {
        as_of,
        known_at_seq,
    };
    let title = format!("Kostenaufstellung {} {year}", land.name());
    // The form as sent, with the day the statement shows once it is
    // read as recorded up to a sequence: that pair shows it again later.
    let form = |year: u16, stichtag: &str| {
        html! {
            form.zeile.nicht-drucken method="get" action={ "/laender/" (land) "/kostenaufstellung" } {
                (Field::new("aufstellung", "jahr", "Jahr")
                    .years()
                    .control("number", &year.to_string()))
                (Field::new("aufstellung", "stichtag", "Stand am (optional)")
                    .control("date", stichtag))
                (Field::new("aufstellung", "bis_sequenz", "Erfasst bis Ledger-Sequenz (optional)")
                    .hint("Mit der Ledger-Sequenz und dem Stand einer früheren Aufstellung zeigt sie diese wieder, \
                           ohne später Erfasstes.")
                    .min(1)
                    .control("number", &params.get("bis_sequenz")))
                button type="submit" { "Anzeigen" }
            }
        }
    };
    let statement = match statement_view(&visit.state, params.min_seq(), land, year, reading).await
    {
        Ok(statement) => statement,
        Err(ApiError::Rejected { rejection, .. }) => {
            let detail = match &rejection {
                Rejection::Invalid { field, reason } if field == "known_at_seq" => {
                    format!("Erfasst bis Ledger-Sequenz: {reason}.")
                }
                other => rejection_detail(other),
            };
            let form = form(year, &params.get("stichtag"));
            let page = Page::new(title, Nav::Laender, form).error(detail);
            return visit.page(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
        Err(_) => return visit.unavailable(Page::new(title, Nav::Laender, "")),
    };
    let notice = params.ignored(&[
        ("stichtag", as_of.is_some()),
        ("jahr", asked_year.is_some()),
        ("bis_sequenz", known_at_seq.is_some()),
    ]);
    // As recorded then: set beside the same statement as recorded now.
    let now = match known_at_seq {
        Some(_) => {
            let reading = Reading {
                as_of: Some(statement.as_of),
                known_at_seq: None,
            };
            statement_view(&visit.state, params.min_seq(), land, year, reading)
                .await
                .ok()
        }
        None => None,
    };
    let body = html! {
        (form(statement.year, &match known_at_seq {
            Some(_) => statement.as_of.to_string(),
            None => params.get("stichtag"),
        }))
        (downloads(&statement, known_at_seq))
        p #stand {
            "Stand: " (date_de(statement.as_of)) " · beruht auf dem Ledger bis Sequenz "
            span #sequenz { (statement.seq) } ", Kettenhash " code #kettenhash { (hex::encode(statement.chain_hash)) }
        }
        @if let Some(seq) = known_at_seq {
            p #erfasst-bis {
                "So, wie es bis Ledger-Sequenz " (seq) " erfasst war: Was danach erfasst wurde, zählt nicht, \
                 auch wenn es rückwirkend gilt. Ohne diese Angabe zeigt die Aufstellung alles bis heute Erfasste. \
                 Die Links zu den Leistungen zeigen den heutigen Erfassungsstand."
            }
            @if let Some(now) = &now { (changes_since(&statement, now)) } @else {
                p role="status" {
                    "Was seither erfasst wurde, ließ sich gerade nicht lesen; bitte laden Sie die Seite \
                     in einigen Minuten neu."
                }
            }
        }
        @if statement.lines.is_empty() {
            p {
                (land_de(statement.land)) " hat für " (statement.year) " zum Stand " (date_de(statement.as_of))
                " keine Kostenanteile: Keine Leistung, an der es teilnimmt, hat bis dahin Kosten für dieses Jahr."
            }
        } @else {
            (lines(&statement, as_of))
        }
    };
    let page = Page::new(title, Nav::Laender, body).with_notice(notice);
    // The part that could not be read makes the page an error page.
    let status = if known_at_seq.is_some() && now.is_none() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    visit.page(status, page)
}

/// Links to the same statement (the same day and, if asked for, the
/// same sequence) as CSV, XLSX and JSON.
fn downloads(statement: &StatementView, known_at_seq: Option<u64>) -> Markup {
    let (land, year) = (statement.land, statement.year);
    let api = format!("/api/v1/lands/{land}/statements/{year}");
    let known_at = known_at_seq.map_or_else(String::new, |seq| seq.to_string());
    let reading = [
        ("as_of", statement.as_of.to_string()),
        ("known_at_seq", known_at),
    ];
    let link = |format: &str| query(&[&[("format", format.to_owned())][..], &reading].concat());
    html! {
        p.nicht-drucken {
            a #csv href={ (api) (link("csv")) } download { "Als CSV herunterladen" }
            " · " a #xlsx href={ (api) (link("xlsx")) } download { "Als Excel-Datei (XLSX)" }
            " · " a #json href={ (api) (query(&reading)) } { "Als JSON" } " · Zum Drucken: Strg+P (A4)"
        }
    }
}

fn lines(statement: &StatementView, as_of: Option<Date>) -> Markup {
    html! {
        p.hilfe {
            "Je Leistung der Anteil an den Kosten des Jahres nach dem Kostenmodell, das für das Jahr galt: \
             Gewicht in Prozent (Königsteiner Schlüssel wie veröffentlicht, sonst im Verhältnis der beteiligten Länder), \
             Tage der Teilnahme, Anteil als Bruch und exakter Wert in Cent vor der Rundung. Ist das Jahr abgerechnet \
             (Jahresabrechnung), steht der abgerechnete Betrag daneben; ein Nachtrag ist der Unterschied, den eine \
             spätere Berichtigung ergibt."
        }
        (scrolls_alone(html! {
            table.aufstellung {
                caption { "Kostenaufstellung " (statement.year) " für " (land_de(statement.land)) }
                (head(&[
                    Text("Leistung"), Text("Federführend"), Text("Kostenmodell"), Num("Gewicht"),
                    Num("Tage"), Text("Anteil (Bruch)"), Text("Exakt (Cent)"), Num("Anteil"),
                    Num("Abgerechnet"), Num("Nachtrag"),
                ]))
                tbody { @for line in &statement.lines { (row(line, statement.year, as_of)) } }
                tfoot {
                    tr { th scope="row" colspan="7" { "Summe (abgerechnet oder offen)" } (amount_cell("summe", statement.total)) td {} td {} }
                    tr { th scope="row" colspan="7" { "Nachträge" } td {} td {} (amount_cell("nachtraege", statement.supplements)) }
                    tr {
                        th scope="row" colspan="7" { "Summe mit Nachträgen" }
                        (amount_cell("gesamt", total_with_supplements(statement))) td {} td {}
                    }
                }
            }
        }))
    }
}

/// The services whose amount differs between the statement as recorded
/// up to a sequence (`then`) and as recorded now (`now`, the same day),
/// with both amounts and the difference (`dto::statement::changes`).
fn changes_since(then: &StatementView, now: &StatementView) -> Markup {
    let changed = changes(then, now);
    let total = total_with_supplements;
    let optional = |id: &str, cents: Option<Cents>| match cents {
        Some(cents) => amount_cell(id, cents),
        None => html! { td.zahl data-feld=(id) { "–" } },
    };
    html! {
        section #seither aria-labelledby="seither-titel" {
            h2 #seither-titel { "Seit Ledger-Sequenz " (then.seq) " erfasst" }
            @if changed.is_empty() {
                p {
                    "Seither wurde nichts erfasst, das diese Aufstellung zum Stand " (date_de(then.as_of))
                    " ändert (Ledger heute bis Sequenz " (now.seq) ")."
                }
            } @else {
                p.hilfe {
                    "Je Leistung der Betrag (abgerechnet mit Nachtrag, sonst der Anteil) in dieser Aufstellung \
                     und so, wie er heute erfasst ist (Ledger bis Sequenz " (now.seq) "), zum selben Stand. \
                     Der Name der Leistung führt zu den seither erfassten Ereignissen im Audit."
                }
                (scrolls_alone(html! {
                    table.aufstellung {
                        caption { "Änderungen seit Ledger-Sequenz " (then.seq) }
                        (head(&[Text("Leistung"), Num("Damals"), Num("Heute"), Num("Unterschied")]))
                        tbody {
                            @for change in &changed {
                                tr {
                                    th scope="row" {
                                        a href={ "/audit?leistung=" (encode(change.service.as_str())) "&ab=" (then.seq + 1) }
                                            title="Die seither erfassten Ereignisse der Leistung" { (change.title) }
                                    }
                                    (optional("damals", change.then))
                                    (optional("heute", change.now))
                                    (amount_cell("unterschied", change.difference()))
                                }
                            }
                        }
                        tfoot {
                            tr {
                                th scope="row" { "Summe mit Nachträgen" }
                                (amount_cell("damals-summe", total(then)))
                                (amount_cell("heute-summe", total(now)))
                                (amount_cell("unterschied-summe", difference(Some(total(then)), Some(total(now)))))
                            }
                        }
                    }
                }))
            }
        }
    }
}

/// A correction of a year's costs: `Berichtigung (Sequenz 17, wirksam …): … – reason`.
fn correction_de(correction: &CorrectionLine) -> Markup {
    html! {
        "Berichtigung (Sequenz " (correction.seq) ", wirksam " (date_de(correction.effective)) "): "
        (correction.what_de) " – " (correction.reason)
    }
}

fn amount_cell(id: &str, cents: Cents) -> Markup {
    html! { td.zahl data-feld=(id) data-cent=(cents.0) { (euro(cents)) } }
}

/// A line of the statement; its service links to the service's split of
/// the year, as of the date asked for.
fn row(line: &StatementLine, year: u16, as_of: Option<Date>) -> Markup {
    let share = &line.share;
    let split = format!(
        "/leistungen/{}?jahr={year}#aufteilung",
        encode(line.service.as_str())
    );
    html! {
        tr data-leistung=(line.service.as_str()) {
            th scope="row" { a href=(dated(&split, as_of)) { (line.title) } }
            td { (line.lead.name()) }
            td {
                (line.model.model.label_de())
                @if let Some(since) = line.model.since { " (seit " (date_de(since)) ")" }
                @if let Some(key_year) = line.model.key_year { ", Schlüsseljahr " (key_year) }
            }
            td.zahl { (line.weight_percent.replace('.', ",")) " %" }
            td.zahl { (share.days) }
            td { (fraction(&share.fraction)) }
            td { (fraction(&share.exact_cents)) }
            (amount_cell("anteil", share.cents))
            @match &line.closed {
                Some(closed) => { (amount_cell("abgerechnet", closed.settled)) (amount_cell("nachtrag", closed.supplement)) }
                None => { td { "offen" } td.zahl { "–" } }
            }
        }
        @for correction in &line.corrections {
            tr.berichtigung {
                td {}
                td colspan="9" { (correction_de(correction)) }
            }
        }
    }
}

/// Under a service's split of a year: the model that applied to the year
/// and since when, and, for a closed year, the closing and the
/// supplements per Land since.
pub fn year_notes(view: &CostYearView) -> Markup {
    let model = &view.model;
    let year = view.sharing.year;
    html! {
        section aria-labelledby="jahresabrechnung" {
            h3 #jahresabrechnung { "Kostenmodell und Abrechnung " (year) }
            p {
                "Für " (year) " gilt das Kostenmodell „" (model.model.label_de()) "“"
                @match model.since {
                    Some(since) => { " (seit der Änderung zum " (date_de(since)) ")" }
                    None => " (seit der Ankündigung)",
                }
                @if let Some(key_year) = model.key_year { ", Schlüsseljahr " (key_year) }
                ". Stand: " (date_de(view.as_of)) ", Ledger-Sequenz " (view.seq) "."
            }
            @match &view.closing {
                None => p { "Das Jahr ist nicht abgerechnet." },
                Some(closing) => {
                    p {
                        "Abgerechnet (Jahresabrechnung, Sequenz " (closing.seq) ") über " (euro(closing.settlement.total))
                        "; beruht auf dem Ledger bis Sequenz " (closing.settlement.based_on_seq)
                        ", Kettenhash " code { (hex::encode(closing.settlement.based_on_hash)) } "."
                    }
                    (table_of(
                        &closing.supplements, "Keine Nachträge.", "Nachträge seit der Abrechnung",
                        &[Text("Land"), Num("Abgerechnet"), Num("Jetzt"), Num("Nachtrag")],
                        |line| land_row(line.land, html! {
                            td.zahl { (euro(line.settled)) } td.zahl { (euro(line.now)) } td.zahl { (euro(line.difference)) }
                        }),
                    ))
                    @for correction in &closing.corrections { p { (correction_de(correction)) } }
                }
            }
        }
    }
}
