//! `/audit`: the event log as recorded, filtered by service or
//! municipality, from a ledger sequence on: who recorded each event, when
//! it was recorded and when it takes effect, what it says, its chain
//! hash, and up to which sequence the projector checked the hash chain.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{HistorySubject, HistoryView};
use efa_proto::{QueryKind, QueryReply};

use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, date_de, escape, query, timestamp_de};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use crate::state::AppState;

/// Events per page.
const LIMIT: u32 = 100;

/// `GET /audit?leistung=&gemeinde=&ab=`.
pub async fn show(State(state): State<AppState>, visit: Visit, params: Params) -> Response {
    let (service, ags) = (params.service("leistung"), params.ags("gemeinde"));
    let from = params.number("ab", 0, u32::MAX);
    let subject = match (&service, ags) {
        (Some(service), _) => HistorySubject::Service(service.clone()),
        (None, Some(ags)) => HistorySubject::Gemeinde(ags),
        (None, None) => HistorySubject::All,
    };
    let mut notice =
        params.ignored(&[("leistung", service.is_some()), ("gemeinde", ags.is_some())]);
    if service.is_some() && ags.is_some() {
        notice = Some(Notice::Info(
            "Es gilt der Filter nach Leistung; für eine Gemeinde lassen Sie die Leistung leer."
                .to_owned(),
        ));
    }
    let mut body = form(&params);
    let kind = QueryKind::History {
        subject,
        from_seq: u64::from(from),
        limit: LIMIT,
    };
    let status = match view(&state, params.min_seq(), kind).await {
        Ok(QueryReply::History(history)) => {
            body.push_str(&entries_html(&history, &params));
            StatusCode::OK
        }
        _ => {
            notice = Some(Notice::Error(super::super::UNAVAILABLE.to_owned()));
            StatusCode::SERVICE_UNAVAILABLE
        }
    };
    visit.page(
        status,
        Page::new("Audit: Ereignisprotokoll", Nav::Audit, body).with_notice(notice),
    )
}

fn form(params: &Params) -> String {
    let f = "audit";
    let mut html = String::from(
        "<p>Jede Änderung im Register ist ein Ereignis mit fortlaufender Nummer (Sequenz), \
        verkettet über Hashwerte: Ein nachträglich verändertes Ereignis bricht die Kette.</p>\n\
        <form class=\"filter\" method=\"get\" action=\"/audit\">\n",
    );
    html.push_str(
        &Field::new(f, "leistung", "Leistung (Kennung)")
            .hint("z. B. online-wohngeldantrag")
            .input("text", &params.get("leistung"), ""),
    );
    html.push_str(
        &Field::new(f, "gemeinde", "Gemeinde (AGS)")
            .hint("8 Ziffern")
            .input(
                "text",
                &params.get("gemeinde"),
                " inputmode=\"numeric\" maxlength=\"8\"",
            ),
    );
    html.push_str(&Field::new(f, "ab", "ab Sequenz").input(
        "number",
        &params.get("ab"),
        " min=\"0\"",
    ));
    html.push_str("<button type=\"submit\">Anzeigen</button>\n</form>\n");
    html
}

fn entries_html(history: &HistoryView, params: &Params) -> String {
    let mut html = format!(
        "<p class=\"hinweis info\" role=\"status\">Hash-Kette geprüft bis Sequenz {}.</p>\n",
        history.chain_verified_to
    );
    if history.entries.is_empty() {
        html.push_str("<p>Keine Ereignisse für diese Auswahl.</p>\n");
        return html;
    }
    html.push_str("<div class=\"tabelle\">\n<table>\n<caption>Ereignisse in der Reihenfolge der Erfassung</caption>\n<thead><tr>\
        <th scope=\"col\" class=\"zahl\">Sequenz</th><th scope=\"col\">Erfasst am</th><th scope=\"col\">Wirksam ab</th>\
        <th scope=\"col\">Erfasst von</th><th scope=\"col\">Ereignis</th><th scope=\"col\">Hash</th></tr></thead>\n<tbody>\n");
    for entry in &history.entries {
        html.push_str(&format!(
            "<tr><th scope=\"row\" class=\"zahl\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code class=\"hash\">{}</code></td></tr>\n",
            entry.seq, timestamp_de(entry.recorded_at), date_de(entry.effective), escape(&entry.actor.to_string()),
            escape(&entry.summary_de), escape(&entry.hash_hex)
        ));
    }
    html.push_str("</tbody>\n</table>\n</div>\n");
    if let (true, Some(last)) = (history.more, history.entries.last()) {
        let pairs = [
            ("leistung", params.get("leistung")),
            ("gemeinde", params.get("gemeinde")),
            ("ab", (last.seq + 1).to_string()),
        ];
        html.push_str(&format!(
            "<p><a href=\"/audit{}\">Weitere Ereignisse</a></p>\n",
            escape(&query(&pairs))
        ));
    }
    html
}
