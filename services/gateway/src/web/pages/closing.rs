//! `/leistungen/{id}/abrechnung`: the Jahresabrechnung of a service for
//! its lead Land and the administration. One form closes a year with the
//! split as it stands (as `POST /api/v1/services/{id}/closings` does), one
//! records a Beitritt or Austritt as a correction, also one that moves a
//! date recorded wrongly (`POST …/participation-corrections`). The page
//! shows the year's state and the Länder's dates the forms act on.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use efa_proto::statement::CostYearView;
use efa_proto::views::ServiceDetail;
use efa_proto::{Actor, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::forms::{self, Attempt, Failure, FormData, Forms};
use super::super::layout::{Nav, Page};
use super::super::markup::{
    Field, date_de, euro, file_links, hidden_input, items, land_items, section, timestamp_de,
};
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::service::{not_found, split_html};
use crate::routes::settlement::closing;
use efa_api::contract::settlement::ParticipationCorrection;
use efa_api::contract::{Parsed, WriteBody};

const TITLE: &str = "Jahresabrechnung";

/// What the page shows: the service and the year's costs as they stand.
struct Shown {
    detail: ServiceDetail,
    year: u16,
    year_view: Option<CostYearView>,
}

/// The service, and the year asked for (or the last one that is over).
async fn load(visit: &Visit, id: &ServiceId, params: &Params) -> Result<Option<Shown>, ()> {
    let min_seq = params.min_seq();
    let kind = QueryKind::ServiceDetail {
        service: id.clone(),
        as_of: None,
    };
    let detail = match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::ServiceDetail(Some(detail))) => detail,
        Ok(QueryReply::ServiceDetail(None)) => return Ok(None),
        _ => return Err(()),
    };
    let last_over = u16::try_from(visit.today.year() - 1).unwrap_or(2024);
    let year = params.year().unwrap_or(last_over);
    let kind = QueryKind::CostYear {
        service: id.clone(),
        year,
        as_of: None,
    };
    let year_view = match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::CostYear(view)) => view.map(|view| *view),
        _ => return Err(()),
    };
    Ok(Some(Shown {
        detail,
        year,
        year_view,
    }))
}

/// Whether the visitor may use the page: the service's lead Land or the
/// administration; otherwise the login or a page saying why not.
fn allowed(visit: &Visit, id: &str, detail: &ServiceDetail) -> Result<(), Box<Response>> {
    match visit.actor() {
        None => {
            let login = format!("/anmelden?weiter=/leistungen/{id}/abrechnung");
            Err(Box::new(visit.redirect(&login, Vec::new())))
        }
        Some(Actor::Admin) => Ok(()),
        Some(Actor::Land(land)) if *land == detail.summary.service.lead => Ok(()),
        Some(_) => {
            let body = html! {
                p { (efa_proto::ForbiddenReason::LeadOrAdmin.message_de()) }
                p { a href={ "/leistungen/" (id) } { "Zur Leistung" } }
            };
            let page = Page::new(TITLE, Nav::Laender, body);
            Err(Box::new(visit.page(StatusCode::FORBIDDEN, page)))
        }
    }
}

/// The service and year the page shows, if the visitor may use the
/// page; otherwise the answer: not found, unavailable, the login, or why
/// not.
async fn shown(visit: &Visit, id: &str, params: &Params) -> Result<Shown, Box<Response>> {
    let Ok(service) = ServiceId::parse(id) else {
        return Err(Box::new(not_found(visit, id)));
    };
    let shown = match load(visit, &service, params).await {
        Ok(Some(shown)) => shown,
        Ok(None) => return Err(Box::new(not_found(visit, id))),
        Err(()) => {
            let body = html! { p { a href={ "/leistungen/" (id) } { "Zur Leistung" } } };
            return Err(Box::new(visit.unavailable(Page::new(
                TITLE,
                Nav::Laender,
                body,
            ))));
        }
    };
    allowed(visit, id, &shown.detail)?;
    Ok(shown)
}

/// `GET /leistungen/{id}/abrechnung?jahr=`.
pub async fn show(visit: Visit, Path(id): Path<String>, params: Params) -> Response {
    match shown(&visit, &id, &params).await {
        Ok(shown) => render(&visit, &shown, &params, None),
        Err(response) => *response,
    }
}

/// The page with both forms; after a refused form, that form again with
/// what was entered and why.
fn render(visit: &Visit, shown: &Shown, params: &Params, attempt: Option<&Attempt>) -> Response {
    let service = &shown.detail.summary.service;
    let id = service.id.as_str();
    let forms = Forms { visit, attempt };
    let body = html! {
        p { a href={ "/leistungen/" (id) "?jahr=" (shown.year) "#aufteilung" } { "Zurück zur Leistung" } }
        (year_state(id, shown))
        (close_form(&forms, id, shown))
        (correction_form(&forms, id, shown))
    };
    let (status, notice) = forms::outcome(attempt, params.success());
    let title = format!("{TITLE}: {}", service.title);
    visit.page(
        status,
        Page::new(title, Nav::Laender, body).with_notice(notice),
    )
}

/// The chosen year: its total, and either the split that closing it
/// would settle or what was settled, the supplements and corrections.
fn year_state(id: &str, shown: &Shown) -> Markup {
    let year = shown.year;
    section("jahr", html! { "Jahr " (year) }).with(html! {
        form.zeile method="get" action={ "/leistungen/" (id) "/abrechnung" } {
            (Field::new("wahl", "jahr", "Jahr").years().control("number", &year.to_string()))
            button type="submit" { "Jahr anzeigen" }
        }
        @match &shown.year_view {
            None => p { "Für dieses Jahr liegt keine Kostenaufteilung vor." },
            Some(view) => {
                p {
                    "Gemeldete Kosten " (year) ": " (euro(view.sharing.split.total))
                    " · " a href={ "/leistungen/" (id) "?jahr=" (year) "#aufteilung" } { "Aufteilung mit Erläuterung" }
                }
                @match &view.closing {
                    Some(closing) => {
                        p.hinweis.info {
                            "Das Jahr ist abgerechnet (Sequenz " (closing.seq) ", erfasst "
                            (timestamp_de(closing.recorded_at)) "). Spätere Berichtigungen erscheinen als Nachträge."
                        }
                        p {
                            "Abrechnung mit Nachträgen herunterladen: "
                            (file_links(|format| format!("/api/v1/services/{id}/costs/{year}?format={format}&table=closing")))
                        }
                        (super::statement::year_notes(view))
                    }
                    None => {
                        p { "Noch nicht abgerechnet. Abgerechnet würden diese Anteile, wie sie jetzt stehen:" }
                        (split_html(&view.sharing.split, &format!("Anteile der Länder {year}")))
                    }
                }
            }
        }
    })
}

/// The closing form, where the chosen year is not closed yet.
fn close_form(forms: &Forms<'_>, id: &str, shown: &Shown) -> Markup {
    let year = shown.year;
    let closed = (shown.year_view.as_ref()).is_some_and(|view| view.closing.is_some());
    let v = forms.values("abschliessen");
    let field = Field::new("abschliessen", "year", "Abzurechnendes Jahr")
        .required()
        .years()
        .hint("nur ein abgelaufenes Jahr, jedes Jahr einmal");
    section("abschliessen", "Jahr abrechnen").with(html! {
        @if closed {
            p { "Das Jahr " (year) " ist abgerechnet. Für ein anderes Jahr wählen Sie es oben aus." }
        } @else {
            form.block method="post" action={ "/leistungen/" (id) "/abrechnung/abschliessen" } {
                (v.alert())
                (forms::hidden_fields(forms.visit))
                p {
                    "Abgerechnet wird die Aufteilung, wie sie beim Absenden steht; das Register hält sie "
                    "mit der Ledger-Sequenz fest, auf der sie beruht. Danach ändert sich das Jahr nur noch "
                    "durch Berichtigungen, die als Nachtrag ausgewiesen werden."
                }
                (v.input(field, "number", &year.to_string()))
                button type="submit" { "Jahr abrechnen" }
            }
        }
    })
}

fn correction_form(forms: &Forms<'_>, id: &str, shown: &Shown) -> Markup {
    let (f, v) = ("berichtigen", forms.values("berichtigen"));
    let changes = items([
        ("beitritt", "Beitritt (erster Tag der Teilnahme)"),
        ("austritt", "Austritt (erster Tag ohne Teilnahme)"),
    ]);
    section("berichtigen", "Beitritt oder Austritt berichtigen").with(html! {
        (participation_dates(&shown.detail))
        form.block method="post" action={ "/leistungen/" (id) "/abrechnung/berichtigen" } {
            (v.alert())
            (forms::hidden_fields(forms.visit))
            (hidden_input("jahr", &shown.year.to_string()))
            p {
                "Nimmt das Land schon teil, verlegt ein Beitritt seinen Beitritt auf den angegebenen Tag; "
                "ist es ausgetreten, verlegt ein Austritt seinen letzten Austritt. Sonst tritt das Land "
                "zum angegebenen Tag bei oder aus. Auch abgerechnete Jahre sind möglich."
            }
            (v.choice(Field::new(f, "land", "Land").required(), &land_items("– bitte wählen –"), ""))
            (v.choice(Field::new(f, "change", "Art"), &changes, "beitritt"))
            (v.input(Field::new(f, "effective", "Wirksam ab").required()
                .hint("beim Austritt der erste Tag ohne Teilnahme: ein Austritt zum 30.09. ist wirksam ab 01.10."),
                "date", ""))
            (v.input(Field::new(f, "reason", "Begründung").required().maxlength(1000)
                .hint("z. B. Vertrag vom 12. März 2024"), "text", ""))
            button type="submit" { "Berichtigung erfassen" }
        }
    })
}

/// The Länder's Beitritte and Austritte the correction acts on.
fn participation_dates(detail: &ServiceDetail) -> Markup {
    html! {
        ul {
            @for p in &detail.participations {
                li {
                    (p.land.name()) ": Beitritt " (date_de(p.joined))
                    @if let Some(left) = p.left { ", Austritt wirksam ab " (date_de(left)) }
                    @if p.is_lead { " (federführend)" }
                }
            }
        }
    }
}

/// `POST /leistungen/{id}/abrechnung/{aktion}`.
pub async fn submit(
    visit: Visit,
    Path((id, action)): Path<(String, String)>,
    form: FormData,
) -> Response {
    // Shown again after a refusal: the year the form named, or the one
    // the page showed.
    let year = Some(form.get("year"))
        .filter(|year| !year.is_empty())
        .unwrap_or(form.get("jahr"));
    let written = visit.state.written_seq();
    let params = Params::from_pairs(&[("jahr", year), ("seq", &written)]);
    let shown = match shown(&visit, &id, &params).await {
        Ok(shown) => shown,
        Err(response) => return *response,
    };
    let service = shown.detail.summary.service.id.clone();
    let result = async {
        let actor = forms::guard(&visit, &form)?;
        let (parsed, year, code) = build(&visit, &action, service.clone(), &form).await?;
        Ok::<_, Failure>((
            forms::send(&visit, &actor, &form, parsed).await?,
            year,
            code,
        ))
    };
    match result.await {
        Ok((accepted, year, code)) => {
            let success = forms::success(code, &accepted);
            let location = match year {
                Some(year) => format!("/leistungen/{id}?{success}&jahr={year}#aufteilung"),
                None => format!("/leistungen/{id}?{success}#laender"),
            };
            visit.redirect(&location, Vec::new())
        }
        Err(failure) => {
            let attempt = Attempt::new(action, form, failure);
            render(&visit, &shown, &params, Some(&attempt))
        }
    }
}

/// The command a form describes, the year to show afterwards, and the
/// notice code.
async fn build(
    visit: &Visit,
    action: &str,
    service: ServiceId,
    form: &FormData,
) -> Result<(Parsed, Option<u16>, &'static str), Failure> {
    match action {
        "abschliessen" => {
            let closing_year: efa_api::contract::settlement::Closing = form.read(&[])?;
            let year = closing_year.year.0;
            let parsed = closing(&visit.state, service, year)
                .await
                .map_err(Failure::of_api)?;
            Ok((parsed, Some(year), "abgerechnet"))
        }
        "berichtigen" => {
            let correction: ParticipationCorrection = form.read(&[])?;
            let year = u16::try_from(correction.effective.0.year()).ok();
            let parsed = correction
                .command(service)
                .map_err(|rejection| Failure::rejected(&rejection))?;
            Ok((parsed, year, "berichtigt"))
        }
        _ => Err(Failure::no_such_form()),
    }
}

/// `GET /leistungen/{id}/abrechnung/{aktion}` (a reload after a refused
/// form): the page with the forms.
pub async fn back_to_the_form(Path((id, _)): Path<(String, String)>) -> Redirect {
    match ServiceId::parse(&id) {
        Ok(id) => Redirect::to(&format!("/leistungen/{id}/abrechnung")),
        Err(_) => Redirect::to("/katalog"),
    }
}
