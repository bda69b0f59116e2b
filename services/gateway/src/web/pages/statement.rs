//! `/laender/{land}/kostenaufstellung?jahr=&stichtag=`: a Land's yearly
//! statement (Kostenaufstellung) as a page that prints on A4: every service
//! the Land takes part in with its share and why (model and since when,
//! key year, weight in percent, days, fraction, exact value), what was
//! settled in a closed year and the supplement since, the corrections, the
//! totals, and the ledger sequence and chain hash the figures rest on,
//! with links to the same statement as CSV and JSON. Every part is as of
//! the one date asked for.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::statement::{CostYearView, StatementLine, StatementView};
use efa_proto::{Cents, LandCode, QueryKind, QueryReply};

use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, date_de, escape, euro, land_de, query};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::service_link;
use crate::routes::AppState;

/// `GET /laender/{land}/kostenaufstellung`.
pub async fn show(
    State(state): State<AppState>,
    visit: Visit,
    Path(code): Path<String>,
    params: Params,
) -> Response {
    let Ok(land) = LandCode::parse(&code) else {
        let body = "<p>Diesen Ländercode gibt es nicht (01 bis 16).</p>\n".to_owned();
        return visit.page(
            StatusCode::NOT_FOUND,
            Page::new("Land nicht gefunden", Nav::Laender, body),
        );
    };
    let last_year = u16::try_from(visit.today.year() - 1).unwrap_or(2024);
    let year = u16::try_from(params.number("jahr", u32::from(last_year), 2200))
        .ok()
        .filter(|y| *y >= 1900)
        .unwrap_or(last_year);
    let as_of = params.date("stichtag");
    let kind = QueryKind::Statement { land, year, as_of };
    let title = format!("Kostenaufstellung {} {year}", land.name());
    match view(&state, params.min_seq(), kind).await {
        Ok(QueryReply::Statement(statement)) => {
            let notice = params.ignored(&[("stichtag", as_of.is_some())]);
            let body = body(&statement, &params.get("stichtag"));
            visit.page(
                StatusCode::OK,
                Page::new(title, Nav::Laender, body).with_notice(notice),
            )
        }
        Ok(_) | Err(_) => {
            let page = Page::new(title, Nav::Laender, String::new())
                .with_notice(Some(Notice::Error(super::super::UNAVAILABLE.to_owned())));
            visit.page(StatusCode::SERVICE_UNAVAILABLE, page)
        }
    }
}

fn form(statement: &StatementView, stichtag: &str) -> String {
    format!(
        "<form class=\"zeile nicht-drucken\" method=\"get\" action=\"/laender/{land}/kostenaufstellung\">\n{}{}\
         <button type=\"submit\">Anzeigen</button>\n</form>\n",
        Field::new("aufstellung", "jahr", "Jahr").input(
            "number",
            &statement.year.to_string(),
            " min=\"1900\" max=\"2200\""
        ),
        Field::new("aufstellung", "stichtag", "Stand am (optional)").input("date", stichtag, ""),
        land = statement.land,
    )
}

fn downloads(statement: &StatementView) -> String {
    let mut pairs = vec![("format", "csv".to_owned())];
    pairs.push(("as_of", statement.as_of.to_string()));
    let api = format!(
        "/api/v1/lands/{}/statements/{}",
        statement.land, statement.year
    );
    format!(
        "<p class=\"nicht-drucken\"><a id=\"csv\" href=\"{api}{}\" download>Als CSV herunterladen</a> · \
         <a id=\"json\" href=\"{api}{}\">Als JSON</a> · Zum Drucken: Strg+P (A4)</p>\n",
        query(&pairs),
        query(&[("as_of", statement.as_of.to_string())]),
    )
}

fn model_de(line: &StatementLine) -> String {
    let mut text = escape(&line.model.model.label_de());
    if let Some(since) = line.model.since {
        text.push_str(&format!(" (seit {})", date_de(since)));
    }
    if let Some(key_year) = line.model.key_year {
        text.push_str(&format!(", Schlüsseljahr {key_year}"));
    }
    text
}

fn amount_cell(id: &str, cents: Cents) -> String {
    format!(
        "<td class=\"zahl\" data-feld=\"{id}\" data-cent=\"{}\">{}</td>",
        cents.0,
        euro(cents)
    )
}

fn row(line: &StatementLine) -> String {
    let (settled, supplement) = match &line.closed {
        Some(closed) => (
            amount_cell("abgerechnet", closed.settled),
            amount_cell("nachtrag", closed.supplement),
        ),
        None => (
            "<td>offen</td>".to_owned(),
            "<td class=\"zahl\">–</td>".to_owned(),
        ),
    };
    let mut html = format!(
        "<tr data-leistung=\"{id}\"><th scope=\"row\">{link}</th><td>{lead}</td><td>{model}</td>\
         <td class=\"zahl\">{percent} %</td><td class=\"zahl\">{days}</td>\
         <td><code>{fn_}/{fd}</code></td><td><code>{en}/{ed}</code></td>{share}{settled}{supplement}</tr>\n",
        id = escape(line.service.as_str()),
        link = service_link(&line.service, &line.title).into_string(),
        lead = escape(line.lead.name()),
        model = model_de(line),
        percent = escape(&line.weight_percent.replace('.', ",")),
        days = line.share.days,
        fn_ = escape(&line.share.fraction.numerator),
        fd = escape(&line.share.fraction.denominator),
        en = escape(&line.share.exact_cents.numerator),
        ed = escape(&line.share.exact_cents.denominator),
        share = amount_cell("anteil", line.share.cents),
    );
    for correction in &line.corrections {
        html.push_str(&format!(
            "<tr class=\"berichtigung\"><td></td><td colspan=\"9\">Berichtigung (Sequenz {}, wirksam {}): {} – {}</td></tr>\n",
            correction.seq,
            date_de(correction.effective),
            escape(&correction.what_de),
            escape(&correction.reason)
        ));
    }
    html
}

fn body(statement: &StatementView, stichtag: &str) -> String {
    let mut html = form(statement, stichtag);
    html.push_str(&downloads(statement));
    html.push_str(&format!(
        "<p id=\"stand\">Stand: {} · beruht auf dem Ledger bis Sequenz <span id=\"sequenz\">{}</span>, \
         Kettenhash <code id=\"kettenhash\">{}</code></p>\n",
        date_de(statement.as_of),
        statement.seq,
        hex::encode(statement.chain_hash)
    ));
    if statement.lines.is_empty() {
        html.push_str(&format!(
            "<p>{} hat im Jahr {} an keiner Leistung mit Kosten teilgenommen.</p>\n",
            escape(&land_de(statement.land)),
            statement.year
        ));
        return html;
    }
    html.push_str(
        "<p class=\"hilfe\">Je Leistung der Anteil an den Kosten des Jahres nach dem Kostenmodell, das für das Jahr galt: \
         Gewicht in Prozent (Königsteiner Schlüssel wie veröffentlicht, sonst im Verhältnis der beteiligten Länder), \
         Tage der Teilnahme, Anteil als Bruch und exakter Wert in Cent vor der Rundung. Ist das Jahr abgerechnet \
         (Jahresabrechnung), steht der abgerechnete Betrag daneben; ein Nachtrag ist der Unterschied, den eine \
         spätere Berichtigung ergibt.</p>\n",
    );
    html.push_str(&format!(
        "<table class=\"aufstellung\">\n<caption>Kostenaufstellung {} für {}</caption>\n<thead><tr>\
         <th scope=\"col\">Leistung</th><th scope=\"col\">Federführend</th><th scope=\"col\">Kostenmodell</th>\
         <th scope=\"col\" class=\"zahl\">Gewicht</th><th scope=\"col\" class=\"zahl\">Tage</th>\
         <th scope=\"col\">Anteil (Bruch)</th><th scope=\"col\">Exakt (Cent)</th><th scope=\"col\" class=\"zahl\">Anteil</th>\
         <th scope=\"col\" class=\"zahl\">Abgerechnet</th><th scope=\"col\" class=\"zahl\">Nachtrag</th></tr></thead>\n<tbody>\n",
        statement.year,
        escape(&land_de(statement.land))
    ));
    for line in &statement.lines {
        html.push_str(&row(line));
    }
    html.push_str(&format!(
        "</tbody>\n<tfoot>\
         <tr><th scope=\"row\" colspan=\"7\">Summe (abgerechnet oder offen)</th>{}<td></td><td></td></tr>\n\
         <tr><th scope=\"row\" colspan=\"7\">Nachträge</th><td></td><td></td>{}</tr>\n\
         <tr><th scope=\"row\" colspan=\"7\">Summe mit Nachträgen</th>{}<td></td><td></td></tr>\n\
         </tfoot>\n</table>\n",
        amount_cell("summe", statement.total),
        amount_cell("nachtraege", statement.supplements),
        amount_cell(
            "gesamt",
            Cents(statement.total.0 + statement.supplements.0)
        ),
    ));
    html
}

/// Under a service's split of a year: the model that applied to the year
/// and since when, and, for a closed year, the closing and the
/// supplements per Land since.
pub fn year_notes(view: &CostYearView) -> String {
    let model = &view.model;
    let mut html = format!(
        "<section aria-labelledby=\"jahresabrechnung\">\n<h3 id=\"jahresabrechnung\">Kostenmodell und Abrechnung {}</h3>\n<p>Für {} gilt das Kostenmodell „{}“",
        view.sharing.year,
        view.sharing.year,
        escape(&model.model.label_de())
    );
    match model.since {
        Some(since) => html.push_str(&format!(" (seit der Änderung zum {})", date_de(since))),
        None => html.push_str(" (seit der Ankündigung)"),
    }
    if let Some(key_year) = model.key_year {
        html.push_str(&format!(", Schlüsseljahr {key_year}"));
    }
    html.push_str(&format!(
        ". Stand: {}, Ledger-Sequenz {}.</p>\n",
        date_de(view.as_of),
        view.seq
    ));
    let Some(closing) = &view.closing else {
        html.push_str("<p>Das Jahr ist nicht abgerechnet.</p>\n</section>\n");
        return html;
    };
    html.push_str(&format!(
        "<p>Abgerechnet (Jahresabrechnung, Sequenz {}) über {}; beruht auf dem Ledger bis Sequenz {}, Kettenhash <code>{}</code>.</p>\n",
        closing.seq,
        euro(closing.settlement.total),
        closing.settlement.based_on_seq,
        hex::encode(closing.settlement.based_on_hash)
    ));
    if closing.supplements.is_empty() {
        html.push_str("<p>Keine Nachträge.</p>\n");
    } else {
        html.push_str("<table>\n<caption>Nachträge seit der Abrechnung</caption>\n<thead><tr><th scope=\"col\">Land</th>\
            <th scope=\"col\" class=\"zahl\">Abgerechnet</th><th scope=\"col\" class=\"zahl\">Jetzt</th>\
            <th scope=\"col\" class=\"zahl\">Nachtrag</th></tr></thead>\n<tbody>\n");
        for line in &closing.supplements {
            html.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td></tr>\n",
                escape(&land_de(line.land)),
                euro(line.settled),
                euro(line.now),
                euro(line.difference)
            ));
        }
        html.push_str("</tbody>\n</table>\n");
    }
    for correction in &closing.corrections {
        html.push_str(&format!(
            "<p>Berichtigung (Sequenz {}, wirksam {}): {} – {}</p>\n",
            correction.seq,
            date_de(correction.effective),
            escape(&correction.what_de),
            escape(&correction.reason)
        ));
    }
    html.push_str("</section>\n");
    html
}
