//! `/audit`: the event log as recorded, filtered by service or
//! municipality, from a ledger sequence on: who recorded each event, when
//! it was recorded and when it takes effect, what it says, its chain
//! hash, and up to which sequence the projector checked the hash chain.

use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::{HistorySubject, HistoryView};
use efa_proto::{QueryKind, QueryReply};
use maud::{Markup, html};

use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::{Num, Text};
use super::super::markup::{Field, date_de, query, table, timestamp_de};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;

/// Events per page.
const LIMIT: u32 = 100;

/// `GET /audit?leistung=&gemeinde=&ab=`.
pub async fn show(visit: Visit, params: Params) -> Response {
    let (service, ags) = (params.service("leistung"), params.ags("gemeinde"));
    let subject = match (&service, ags) {
        (Some(service), _) => HistorySubject::Service(service.clone()),
        (None, Some(ags)) => HistorySubject::Gemeinde(ags),
        (None, None) => HistorySubject::All,
    };
    let mut notice = params.notice(&[("leistung", service.is_some()), ("gemeinde", ags.is_some())]);
    if service.is_some() && ags.is_some() {
        notice = Some(Notice::Info(
            "Es gilt der Filter nach Leistung; für eine Gemeinde lassen Sie die Leistung leer."
                .to_owned(),
        ));
    }
    let kind = QueryKind::History {
        subject,
        from_seq: u64::from(params.number("ab", 0, u32::MAX)),
        limit: LIMIT,
    };
    let history = match view(&visit.state, params.min_seq(), kind).await {
        Ok(QueryReply::History(history)) => Some(history),
        _ => None,
    };
    let f = "audit";
    let body = html! {
        p {
            "Jede Änderung im Register ist ein Ereignis mit fortlaufender Nummer (Sequenz), \
             verkettet über Hashwerte: Ein nachträglich verändertes Ereignis bricht die Kette."
        }
        form.filter method="get" action="/audit" {
            (Field::new(f, "leistung", "Leistung (Kennung)")
                .hint("z. B. online-wohngeldantrag")
                .control("text", &params.get("leistung")))
            (Field::new(f, "gemeinde", "Gemeinde (AGS)")
                .hint("8 Ziffern")
                .inputmode("numeric")
                .maxlength(8)
                .control("text", &params.get("gemeinde")))
            (Field::new(f, "ab", "ab Sequenz").min(0).control("number", &params.get("ab")))
            button type="submit" { "Anzeigen" }
        }
        @if let Some(history) = &history { (entries(history, &params)) }
    };
    let page = Page::new("Audit: Ereignisprotokoll", Nav::Audit, body);
    match history {
        Some(_) => visit.page(StatusCode::OK, page.with_notice(notice)),
        None => visit.unavailable(page),
    }
}

fn entries(history: &HistoryView, params: &Params) -> Markup {
    let next = history.entries.last().filter(|_| history.more).map(|last| {
        let pairs = [
            ("leistung", params.get("leistung")),
            ("gemeinde", params.get("gemeinde")),
            ("ab", (last.seq + 1).to_string()),
        ];
        format!("/audit{}", query(&pairs))
    });
    html! {
        p.hinweis.info role="status" { "Hash-Kette geprüft bis Sequenz " (history.chain_verified_to) "." }
        @if let Some(href) = newest(history) {
            p { a href=(href) { "Zu den neuesten Ereignissen" } }
        }
        @if history.entries.is_empty() {
            p { "Keine Ereignisse für diese Auswahl." }
        } @else {
            (table("Ereignisse in der Reihenfolge der Erfassung", &[
                Num("Sequenz"), Text("Erfasst am"), Text("Wirksam ab"),
                Text("Erfasst von"), Text("Ereignis"), Text("Hash"),
            ], html! {
                @for entry in &history.entries {
                    tr {
                        th.zahl scope="row" { (entry.seq) }
                        td { (timestamp_de(entry.recorded_at)) }
                        td { (date_de(entry.effective)) } td { (entry.actor) }
                        td { (entry.summary_de) } td { code.hash { (entry.hash_hex) } }
                    }
                }
            }))
            @if let Some(href) = next { p { a href=(href) { "Weitere Ereignisse" } } }
        }
    }
}

/// The page of the newest events of the whole log, when the page shown
/// starts before it. At Germany's size the log starts millions of events
/// earlier than what an auditor usually looks for. Only the whole log
/// runs without gaps, so only its newest page is known by its sequence.
fn newest(history: &HistoryView) -> Option<String> {
    if history.subject != HistorySubject::All {
        return None;
    }
    let from = (history.chain_verified_to)
        .saturating_sub(u64::from(LIMIT) - 1)
        .max(1);
    let first = history.entries.first()?.seq;
    (first < from).then(|| format!("/audit?ab={from}"))
}
