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

use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, date_de, escape, euro, land_de, thousands, timestamp_de};
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
    let body = body(
        &visit,
        &detail,
        &params,
        year,
        sharing.as_deref(),
        history.as_deref(),
    );
    let page =
        Page::new(detail.summary.service.title.clone(), Nav::Katalog, body).with_notice(notice);
    visit.page(StatusCode::OK, page)
}

fn not_found(visit: &Visit, id: &str) -> Response {
    let body = format!(
        "<p>Die Leistung „{}“ ist nicht im Katalog.</p>\n<p><a href=\"/katalog\">Zum Katalog</a></p>\n",
        escape(id)
    );
    visit.page(
        StatusCode::NOT_FOUND,
        Page::new("Leistung nicht gefunden", Nav::Katalog, body),
    )
}

fn unavailable(visit: &Visit) -> Response {
    let body = "<p><a href=\"/katalog\">Zum Katalog</a></p>\n".to_owned();
    let page = Page::new("Leistung", Nav::Katalog, body)
        .with_notice(Some(Notice::Error(super::super::UNAVAILABLE.to_owned())));
    visit.page(StatusCode::SERVICE_UNAVAILABLE, page)
}

fn body(
    visit: &Visit,
    detail: &ServiceDetail,
    params: &Params,
    year: u16,
    year_view: Option<&efa_proto::statement::CostYearView>,
    history: Option<&[HistoryEntry]>,
) -> String {
    let sharing = year_view.map(|view| &view.sharing);
    let service = &detail.summary.service;
    let mut html = date_form(service.id.as_str(), &params.get("stichtag"), year);
    if visit.actor() == Some(&Actor::Land(service.lead)) {
        html.push_str(&format!(
            "<p class=\"hinweis info\">Ihr Land ist federführend: <a href=\"/leistungen/{id}/bearbeiten\">Angaben ändern</a> · \
             Status, Reifegrad und Kosten melden Sie auf <a href=\"/land\">Ihrer Länderseite</a>.</p>\n",
            id = escape(service.id.as_str())
        ));
    }
    html.push_str(&overview(detail));
    html.push_str(&participations(detail));
    html.push_str(&stages(detail));
    html.push_str(&coverage(detail));
    html.push_str(&costs(detail));
    html.push_str(&sharing_section(
        service.id.as_str(),
        year,
        sharing,
        &params.get("stichtag"),
    ));
    if let Some(view) = year_view {
        html.push_str(&super::statement::year_notes(view));
    }
    html.push_str(&timeline(history));
    html
}

fn date_form(id: &str, stichtag: &str, year: u16) -> String {
    format!(
        "<form class=\"zeile\" method=\"get\" action=\"/leistungen/{}\">\n{}<input type=\"hidden\" name=\"jahr\" value=\"{year}\">\n\
         <button type=\"submit\">Stand anzeigen</button>\n</form>\n",
        escape(id),
        Field::new("stand", "stichtag", "Stand am")
            .hint("leer: heute")
            .input("date", stichtag, "")
    )
}

fn overview(detail: &ServiceDetail) -> String {
    let s = &detail.summary.service;
    let rows = [
        ("Kennung", escape(s.id.as_str())),
        ("Federführendes Land", escape(&land_de(s.lead))),
        ("Anbieter", escape(&s.provider)),
        ("Status", escape(s.status.label_de())),
        ("Reifegrad", s.reifegrad.get().to_string()),
        ("Themenfeld", escape(&s.themenfeld)),
        ("Bezugsweg", escape(s.channel.label_de())),
        ("Kostenmodell", escape(&s.cost_model.label_de())),
        ("OZG-ID", escape(s.ozg_id.as_deref().unwrap_or("–"))),
        ("Angekündigt am", date_de(s.announced_on)),
        (
            "Einwohner der teilnehmenden Länder",
            thousands(detail.population_lands),
        ),
    ];
    let mut html = String::from(
        "<section aria-labelledby=\"ueberblick\">\n<h2 id=\"ueberblick\">Überblick</h2>\n<dl class=\"fakten\">\n",
    );
    for (term, value) in rows {
        html.push_str(&format!("<dt>{term}</dt><dd>{value}</dd>\n"));
    }
    html.push_str("</dl>\n</section>\n");
    html
}

fn participations(detail: &ServiceDetail) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"laender\">\n<h2 id=\"laender\">Teilnehmende Länder</h2>\n",
    );
    if detail.participations.is_empty() {
        html.push_str("<p>Noch kein Land nimmt teil.</p>\n</section>\n");
        return html;
    }
    html.push_str("<table>\n<caption>Beitritte und Austritte</caption>\n<thead><tr><th scope=\"col\">Land</th>\
        <th scope=\"col\">Rolle</th><th scope=\"col\">Beitritt</th><th scope=\"col\">Austritt</th></tr></thead>\n<tbody>\n");
    for p in &detail.participations {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&land_de(p.land)),
            if p.is_lead {
                "federführend"
            } else {
                "beigetreten"
            },
            date_de(p.joined),
            p.left.map_or_else(|| "–".to_owned(), date_de),
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn stages(detail: &ServiceDetail) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"stufen\">\n<h2 id=\"stufen\">Einführung in den Kommunen nach Stufe</h2>\n\
         <table>\n<caption>Kommunen je aktueller Stufe</caption>\n<thead><tr>",
    );
    for stage in AdoptionStage::ALL {
        html.push_str(&format!(
            "<th scope=\"col\" class=\"zahl\">{}</th>",
            stage.label_de()
        ));
    }
    html.push_str("</tr></thead>\n<tbody><tr>");
    for count in detail.summary.adoptions {
        html.push_str(&format!("<td class=\"zahl\">{count}</td>"));
    }
    html.push_str("</tr></tbody>\n</table>\n");
    html.push_str(&super::super::chart::funnel_svg(
        "stufen-grafik",
        &detail.summary.service.title,
        &detail.summary.adoptions,
    ));
    html.push_str("\n</section>\n");
    html
}

fn coverage(detail: &ServiceDetail) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"abdeckung\">\n<h2 id=\"abdeckung\">Abdeckung je Land</h2>\n",
    );
    if detail.coverage.is_empty() {
        html.push_str("<p>Keine Angaben.</p>\n</section>\n");
        return html;
    }
    html.push_str("<table>\n<caption>Registrierte Kommunen und Kommunen in Betrieb</caption>\n<thead><tr>\
        <th scope=\"col\">Land</th><th scope=\"col\">nimmt teil</th><th scope=\"col\" class=\"zahl\">Kommunen registriert</th>\
        <th scope=\"col\" class=\"zahl\">in Betrieb</th><th scope=\"col\" class=\"zahl\">Einwohner in Betrieb</th>\
        <th scope=\"col\">flächendeckend</th></tr></thead>\n<tbody>\n");
    for c in &detail.coverage {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td>\
             <td class=\"zahl\">{}</td><td>{}</td></tr>\n",
            escape(&land_de(c.land)),
            if c.participating { "ja" } else { "nein" },
            c.municipalities_registered,
            c.municipalities_live,
            thousands(c.population_live),
            if c.flaechendeckend { "ja" } else { "nein" },
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn costs(detail: &ServiceDetail) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"kosten\">\n<h2 id=\"kosten\">Kosten je Jahr</h2>\n",
    );
    if detail.costs.is_empty() {
        html.push_str("<p>Es sind noch keine Kosten gemeldet.</p>\n</section>\n");
        return html;
    }
    let mut years: Vec<u16> = detail.costs.iter().map(|c| c.year).collect();
    years.sort_unstable();
    years.dedup();
    html.push_str("<table>\n<caption>Summe der gemeldeten Kosten je Jahr</caption>\n<thead><tr><th scope=\"col\">Jahr</th>\
        <th scope=\"col\" class=\"zahl\">Summe</th></tr></thead>\n<tbody>\n");
    for year in years {
        let sum: i64 = detail
            .costs
            .iter()
            .filter(|c| c.year == year)
            .map(|c| c.amount.0)
            .sum();
        html.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"?jahr={year}#aufteilung\">{year}</a></th><td class=\"zahl\">{}</td></tr>\n",
            euro(Cents(sum))
        ));
    }
    html.push_str("</tbody>\n</table>\n<table>\n<caption>Kostenpositionen</caption>\n<thead><tr><th scope=\"col\">Nr.</th>\
        <th scope=\"col\">Jahr</th><th scope=\"col\">Kategorie</th><th scope=\"col\" class=\"zahl\">Betrag</th>\
        <th scope=\"col\" class=\"zahl\">ursprünglich gemeldet</th><th scope=\"col\" class=\"zahl\">Korrekturen</th>\
        <th scope=\"col\">Bemerkung</th></tr></thead>\n<tbody>\n");
    for c in &detail.costs {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td>\
             <td class=\"zahl\">{}</td><td>{}</td></tr>\n",
            c.cost_no, c.year, c.category.label_de(), euro(c.amount), euro(c.reported), c.corrections, escape(&c.note)
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn sharing_section(
    id: &str,
    year: u16,
    sharing: Option<&CostSharingView>,
    stichtag: &str,
) -> String {
    let mut html = format!(
        "<section aria-labelledby=\"aufteilung\">\n<h2 id=\"aufteilung\">Kostenaufteilung {year}</h2>\n\
         <form class=\"zeile\" method=\"get\" action=\"/leistungen/{}#aufteilung\">\n{}{}\
         <button type=\"submit\">Jahr anzeigen</button>\n</form>\n",
        escape(id),
        super::super::markup::hidden("stichtag", stichtag),
        Field::new("aufteilung", "jahr", "Kostenjahr").input(
            "number",
            &year.to_string(),
            " min=\"1900\" max=\"2200\""
        ),
    );
    match sharing {
        None => html.push_str("<p>Für dieses Jahr liegt keine Aufteilung vor.</p>\n"),
        Some(view) => {
            html.push_str(
                "<p class=\"hilfe\">An jedem Tag des Jahres wird der Tagesbetrag auf die an diesem Tag \
                 teilnehmenden Länder nach ihrem Gewicht verteilt. Die Summe über die Tage ist der exakte \
                 Anteil; er wird einmal nach dem Verfahren der größten Reste auf Cent gerundet.</p>\n",
            );
            html.push_str(&split_html(&view.split, "Anteile der Länder"));
        }
    }
    if let Some(view) = sharing.filter(|v| !v.alternatives.is_empty()) {
        html.push_str("<h3>Zum Vergleich: andere Kostenmodelle</h3>\n");
        for alternative in &view.alternatives {
            let caption = format!("Anteile nach Modell „{}“", alternative.model.label_de());
            html.push_str(&split_html(alternative, &caption));
        }
    }
    html.push_str("</section>\n");
    html
}

fn split_html(split: &CostSplit, caption: &str) -> String {
    let mut html = format!(
        "<p>Modell: {}{}. Summe {}, verteilt {}, nicht verteilt {} (Tage des Jahres: {}).</p>\n",
        escape(&split.model.label_de()),
        if split.weights_source.is_empty() {
            String::new()
        } else {
            format!(" ({})", escape(&split.weights_source))
        },
        euro(split.total),
        euro(split.allocated),
        euro(split.unallocated),
        split.days_in_year
    );
    if let Some(problem) = &split.problem {
        html.push_str(&format!(
            "<p class=\"hinweis fehler\">{}</p>\n",
            escape(problem)
        ));
    }
    if split.shares.is_empty() {
        return html;
    }
    html.push_str(&format!("<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Land</th>\
        <th scope=\"col\" class=\"zahl\">Gewicht</th><th scope=\"col\" class=\"zahl\">Tage</th>\
        <th scope=\"col\">Anteil exakt</th><th scope=\"col\" class=\"zahl\">Betrag</th></tr></thead>\n<tbody>\n", escape(caption)));
    for share in &split.shares {
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"zahl\">{}</td><td class=\"zahl\">{}</td>\
             <td><code>{}/{}</code></td><td class=\"zahl\">{}</td></tr>\n",
            escape(&land_de(share.land)),
            thousands(share.weight),
            share.days,
            escape(&share.fraction.numerator),
            escape(&share.fraction.denominator),
            euro(share.cents)
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

fn timeline(history: Option<&[HistoryEntry]>) -> String {
    let mut html =
        String::from("<section aria-labelledby=\"verlauf\">\n<h2 id=\"verlauf\">Verlauf</h2>\n");
    match history {
        None => html.push_str("<p>Der Verlauf ist gerade nicht erreichbar.</p>\n"),
        Some([]) => html.push_str("<p>Keine Ereignisse.</p>\n"),
        Some(entries) => {
            html.push_str("<ol class=\"verlauf\">\n");
            for entry in entries {
                html.push_str(&format!(
                    "<li><strong>{}</strong>: {} <span class=\"hilfe\">(erfasst {} von {}, Ereignis Nr. {})</span></li>\n",
                    date_de(entry.effective), escape(&entry.summary_de), timestamp_de(entry.recorded_at),
                    escape(&entry.actor.to_string()), entry.seq
                ));
            }
            html.push_str("</ol>\n");
        }
    }
    html.push_str("</section>\n");
    html
}
