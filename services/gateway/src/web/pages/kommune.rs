//! `/kommune`: the catalogue from a municipality's view. A logged-in
//! Gemeinde sees its own; anyone may pick one by AGS (operators and the
//! Land do so to act for it). It shows the municipality, its adoptions
//! with their stage, the services it could adopt and whether its Land has
//! joined them, and (for those who may act for it) the forms to request a
//! service, report the next step (vereinbart, Anbindung, in Betrieb) with
//! its effective date, and withdraw. The adoptions and the services on
//! offer are shown a page at a time (`?seite=`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::MunicipalityRollout;
use efa_proto::{Actor, AdoptionStage, Ags, GemeindeView, QueryKind, QueryReply, ServiceId};
use maud::{Markup, html};

use super::super::forms::{self, Attempt, Failure, FormData, Values};
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::Text;
use super::super::markup::{Field, date_de, from_forms, head, hidden_input, section, thousands};
use super::super::notice;
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::service_link;
use crate::authz::{self, Rule};
use crate::contract::{Parsed, WriteBody, adoptions};
use crate::routes::exports;
use crate::state::AppState;

/// `GET /kommune?ags=&stichtag=`.
pub async fn show(State(state): State<AppState>, visit: Visit, params: Params) -> Response {
    let ags = params.ags("ags").or(match visit.actor() {
        Some(Actor::Gemeinde(own)) => Some(*own),
        _ => None,
    });
    let notice = params
        .ignored(&[("ags", ags.is_some())])
        .or_else(|| params.success());
    render(&state, &visit, ags, &params, notice, None).await
}

/// Rows per page of the adoptions and of the services on offer.
const ROWS: u32 = 100;

async fn render(
    state: &AppState,
    visit: &Visit,
    ags: Option<Ags>,
    params: &Params,
    notice: Option<Notice>,
    attempt: Option<(&Attempt, StatusCode)>,
) -> Response {
    let picker = picker(visit, ags, &params.get("stichtag"));
    let Some(ags) = ags else {
        return visit.page(
            StatusCode::OK,
            Page::new("Kommunen", Nav::Kommune, picker).with_notice(notice),
        );
    };
    let number = params.number("seite", 1, 1_000_000).max(1);
    let kind = QueryKind::Gemeinde2 {
        ags,
        as_of: params.date("stichtag"),
        page: paging::rows(number, ROWS),
    };
    let (gemeinde, more) = match view(state, params.min_seq(), kind).await {
        Ok(QueryReply::Gemeinde2(Some(page))) => {
            (exports::gemeinde_view(&page), page.next_offset.is_some())
        }
        Ok(QueryReply::Gemeinde2(None)) => {
            let body = html! {
                (picker)
                p role="status" { "Unter dem Gemeindeschlüssel " (ags) " ist keine Gemeinde registriert." }
            };
            return visit.page(
                StatusCode::NOT_FOUND,
                Page::new("Kommunen", Nav::Kommune, body).with_notice(notice),
            );
        }
        _ => {
            let page = Page::new("Kommunen", Nav::Kommune, picker)
                .with_notice(Some(Notice::Error(super::super::UNAVAILABLE.to_owned())));
            return visit.page(StatusCode::SERVICE_UNAVAILABLE, page);
        }
    };
    let pairs = [
        ("ags", ags.to_string()),
        ("stichtag", params.get("stichtag")),
    ];
    let body = GemeindePage {
        visit,
        gemeinde: &gemeinde,
        may_act: visit
            .actor()
            .is_some_and(|actor| authz::allowed(actor, Rule::ForGemeinde(ags)).is_ok()),
        attempt: attempt.map(|(a, _)| a),
    }
    .render(
        picker,
        paging::nav("/kommune", &pairs, "seite", number, more),
    );
    let notice = match attempt {
        Some((attempt, _)) => Some(Notice::Error(format!(
            "Nicht angenommen: {}",
            attempt.failure.message
        ))),
        None => notice,
    };
    let status = attempt.map_or(StatusCode::OK, |(_, status)| status);
    let title = format!("Kommune {}", gemeinde.name);
    visit.page(
        status,
        Page::new(title, Nav::Kommune, body).with_notice(notice),
    )
}

fn picker(visit: &Visit, ags: Option<Ags>, stichtag: &str) -> Markup {
    let own = matches!(visit.actor(), Some(Actor::Gemeinde(own)) if Some(*own) == ags);
    html! {
        @if !own { p { "Wählen Sie eine Gemeinde über ihren amtlichen Gemeindeschlüssel (AGS, 8 Ziffern)." } }
        form.zeile method="get" action="/kommune" {
            (Field::new("auswahl", "ags", "Gemeindeschlüssel (AGS)")
                .hint("z. B. 16051000 für Erfurt")
                .inputmode("numeric")
                .pattern("[0-9]{8}")
                .maxlength(8)
                .control("text", &ags.map(|a| a.to_string()).unwrap_or_default()))
            (Field::new("auswahl", "stichtag", "Stand am")
                .hint("leer: heute")
                .control("date", stichtag))
            button type="submit" { "Anzeigen" }
        }
    }
}

/// What a municipality's page shows.
struct GemeindePage<'a> {
    visit: &'a Visit,
    gemeinde: &'a GemeindeView,
    /// Whether the visitor may act for the municipality.
    may_act: bool,
    /// The form that was sent and refused, if one.
    attempt: Option<&'a Attempt>,
}

impl GemeindePage<'_> {
    fn render(&self, picker: Markup, nav: Markup) -> Markup {
        html! {
            (picker)
            (overview(self.gemeinde))
            (self.adoptions())
            (nav)
            (available_html(self.gemeinde))
            (nav)
            @if self.may_act {
                (self.request_form())
            } @else if self.visit.who.is_none() {
                p { a href="/anmelden?weiter=/kommune" { "Anmelden" } ", um Einführungen zu beantragen oder Schritte zu melden." }
            }
        }
    }

    fn adoptions(&self) -> Markup {
        let gemeinde = self.gemeinde;
        section("einfuehrungen", "Einführungen").with(html! {
            @if gemeinde.adoptions.is_empty() {
                p { "Noch keine Einführung beantragt." }
            } @else {
                table {
                    caption { "Einführungen von " (gemeinde.name) " und ihr Stand" }
                    thead { tr {
                        th scope="col" { "Leistung" } th scope="col" { "Stufe" } th scope="col" { "seit" }
                        @if self.may_act { th scope="col" { "Nächster Schritt" } }
                    } }
                    tbody {
                        @for adoption in &gemeinde.adoptions {
                            @let title = title_of(gemeinde, &adoption.service);
                            tr {
                                th scope="row" { (service_link(&adoption.service, &title)) }
                                td { (adoption.stage.label_de()) }
                                td { (date_de(adoption.since)) }
                                @if self.may_act { td { (self.step_forms(adoption, &title)) } }
                            }
                        }
                    }
                }
            }
        })
    }

    fn step_forms(&self, adoption: &MunicipalityRollout, title: &str) -> Markup {
        let next: Vec<(String, String)> = adoptions::STEP_STAGES
            .into_iter()
            .filter(|stage| *stage > adoption.stage && adoption.stage != AdoptionStage::Withdrawn)
            .map(|stage| (stage.key().to_owned(), stage.label_de().to_owned()))
            .collect();
        if next.is_empty() {
            return html! { "–" };
        }
        let step_id = format!("schritt-{}", adoption.service);
        let v = Values::of(&step_id, self.attempt);
        let withdraw_id = format!("zurueckziehen-{}", adoption.service);
        let w = Values::of(&withdraw_id, self.attempt);
        let keys = html! {
            (from_forms(forms::hidden_fields(self.visit)))
            (hidden_input("ags", &adoption.ags.to_string()))
            (hidden_input("service", adoption.service.as_str()))
        };
        html! {
            form method="post" action="/kommune/schritt" aria-label={ "Schritt melden: " (title) } {
                (from_forms(v.summary()))
                (keys)
                (Field::new(&step_id, "stage", "Schritt")
                    .error(v.error("stage"))
                    .choice(&next, &v.get("stage", "")))
                (Field::new(&step_id, "effective", "Wirksam ab")
                    .error(v.error("effective"))
                    .control("date", &v.get("effective", &self.visit.today.to_string())))
                (Field::new(&step_id, "note", "Bemerkung").error(v.error("note")).maxlength(1000)
                    .control("text", &v.get("note", "")))
                button type="submit" { "Schritt melden" }
            }
            form method="post" action="/kommune/zurueckziehen" aria-label={ "Einführung zurückziehen: " (title) } {
                (from_forms(w.summary()))
                (keys)
                button.zweit type="submit" { "Einführung zurückziehen" }
            }
        }
    }

    fn request_form(&self) -> Markup {
        let (gemeinde, visit) = (self.gemeinde, self.visit);
        let f = "beantragen";
        let v = Values::of(f, self.attempt);
        let running = |id: &ServiceId| {
            gemeinde
                .adoptions
                .iter()
                .any(|a| a.service == *id && a.stage != AdoptionStage::Withdrawn)
        };
        let mut choices = vec![(String::new(), "– bitte wählen –".to_owned())];
        choices.extend(
            gemeinde
                .available
                .iter()
                .filter(|(id, _, _)| !running(id))
                .map(|(id, title, joined)| {
                    let suffix = if *joined {
                        ""
                    } else {
                        " – Ihr Land ist noch nicht beigetreten"
                    };
                    (id.to_string(), format!("{title}{suffix}"))
                }),
        );
        section("beantragen-titel", "Einführung beantragen").with(html! {
            form.block method="post" action="/kommune/beantragen" {
                (from_forms(v.summary()))
                (from_forms(forms::hidden_fields(visit)))
                (hidden_input("ags", &gemeinde.ags.to_string()))
                (Field::new(f, "service", "Leistung")
                    .required()
                    .error(v.error("service"))
                    .choice(&choices, &v.get("service", "")))
                (Field::new(f, "effective", "Beantragt am")
                    .hint("leer: heute")
                    .error(v.error("effective"))
                    .control("date", &v.get("effective", &visit.today.to_string())))
                (Field::new(f, "note", "Bemerkung")
                    .hint("optional")
                    .error(v.error("note"))
                    .maxlength(1000)
                    .control("text", &v.get("note", "")))
                button type="submit" { "Einführung beantragen" }
            }
        })
    }
}

fn overview(gemeinde: &GemeindeView) -> Markup {
    section("gemeinde", "Ihre Gemeinde").with(html! {
        dl.fakten {
            dt { "Name" } dd { (gemeinde.name) }
            dt { "Gemeindeschlüssel" } dd { (gemeinde.ags) }
            dt { "Land" } dd { (gemeinde.ags.land().name()) }
            dt { "Einwohner" } dd { (gemeinde.population.map_or_else(|| "unbekannt".to_owned(), thousands)) }
            dt { "Status" } dd { (gemeinde.status_de) }
            dt { "Stand" } dd { (date_de(gemeinde.as_of)) }
        }
    })
}

fn title_of(gemeinde: &GemeindeView, id: &ServiceId) -> String {
    gemeinde
        .available
        .iter()
        .find(|(s, _, _)| s == id)
        .map_or_else(|| id.to_string(), |(_, title, _)| title.clone())
}

fn available_html(gemeinde: &GemeindeView) -> Markup {
    let stage = |id: &ServiceId| {
        gemeinde
            .adoptions
            .iter()
            .find(|a| a.service == *id)
            .map_or("–", |a| a.stage.label_de())
    };
    section("verfuegbar", "Verfügbare Leistungen").with(html! {
        @if gemeinde.available.is_empty() {
            p { "Keine." }
        } @else {
            table {
                caption { "Leistungen, die die Gemeinde einführen kann" }
                (head(&[Text("Leistung"), Text("Ihr Land"), Text("Ihre Einführung")]))
                tbody {
                    @for (id, title, joined) in &gemeinde.available {
                        tr {
                            th scope="row" { (service_link(id, title)) }
                            td { @if *joined { "nimmt teil" } @else { "Ihr Land ist noch nicht beigetreten" } }
                            td { (stage(id)) }
                        }
                    }
                }
            }
        }
    })
}

/// The command an adoption form describes, and its notice code.
fn build(action: &str, form: &FormData) -> Result<(Parsed, &'static str), Failure> {
    let reject = |r: efa_proto::Rejection| Failure::rejected(&r);
    let ags = Ags::parse(form.get("ags")).map_err(|_| {
        reject(efa_proto::Rejection::invalid(
            "ags",
            "muss ein Gemeindeschlüssel aus 8 Ziffern sein",
        ))
    })?;
    let service = || {
        ServiceId::parse(form.get("service")).map_err(|_| {
            reject(efa_proto::Rejection::invalid(
                "service",
                "bitte eine Leistung wählen",
            ))
        })
    };
    match action {
        "beantragen" => {
            service()?;
            let request: adoptions::Request = form.read(&[])?;
            Ok((request.command(()).map_err(reject)?, "beantragt"))
        }
        "schritt" => {
            let service = service()?;
            let step: adoptions::Step = form.read(&[])?;
            Ok((step.command((service, ags)).map_err(reject)?, "schritt"))
        }
        "zurueckziehen" => {
            let service = service()?;
            let withdrawal: adoptions::Withdrawal = form.read(&[])?;
            let parsed = withdrawal.command((service, ags)).map_err(reject)?;
            Ok((parsed, "zurueckgezogen"))
        }
        _ => Err(Failure::no_such_form()),
    }
}

/// `POST /kommune/{action}`.
pub async fn submit(
    State(state): State<AppState>,
    visit: Visit,
    Path(action): Path<String>,
    form: FormData,
) -> Response {
    let ags = Ags::parse(form.get("ags")).ok();
    let back = ags.map_or_else(
        || "/kommune".to_owned(),
        |ags| format!("/kommune?ags={ags}"),
    );
    let result = match forms::guard(&visit, &form) {
        Ok(actor) => match build(&action, &form) {
            Ok((parsed, code)) => forms::send(&state, &actor, &form, parsed)
                .await
                .map(|accepted| (accepted, code)),
            Err(failure) => Err(failure),
        },
        Err(failure) if failure.status == StatusCode::UNAUTHORIZED => {
            return visit.redirect(
                &format!("/anmelden?weiter={}", super::super::markup::encode(&back)),
                Vec::new(),
            );
        }
        Err(failure) => Err(failure),
    };
    match result {
        Ok((accepted, code)) => {
            let separator = if back.contains('?') { '&' } else { '?' };
            let code = notice::code(code, accepted.replayed);
            visit.redirect(
                &format!("{back}{separator}erfolg={code}&seq={}", accepted.last_seq),
                Vec::new(),
            )
        }
        Err(failure) => {
            let status = failure.status;
            let form_id = match action.as_str() {
                "beantragen" => action.clone(),
                _ => format!("{action}-{}", form.get("service")),
            };
            let attempt = Attempt {
                form: form_id,
                data: form,
                failure,
            };
            render(
                &state,
                &visit,
                ags,
                &Params::default(),
                None,
                Some((&attempt, status)),
            )
            .await
        }
    }
}
