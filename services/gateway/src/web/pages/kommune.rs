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

use super::super::forms::{self, Attempt, Failure, FormData, Values};
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, date_de, escape, hidden, thousands};
use super::super::notice;
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::service_link;
use crate::authz::{self, Rule};
use crate::contract::{Parsed, adoptions};
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
    let mut body = picker(visit, ags, &params.get("stichtag"));
    let Some(ags) = ags else {
        return visit.page(
            StatusCode::OK,
            Page::new("Kommunen", Nav::Kommune, body).with_notice(notice),
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
            body.push_str(&format!("<p role=\"status\">Unter dem Gemeindeschlüssel {ags} ist keine Gemeinde registriert.</p>\n"));
            return visit.page(
                StatusCode::NOT_FOUND,
                Page::new("Kommunen", Nav::Kommune, body).with_notice(notice),
            );
        }
        _ => {
            let page = Page::new("Kommunen", Nav::Kommune, body)
                .with_notice(Some(Notice::Error(super::super::UNAVAILABLE.to_owned())));
            return visit.page(StatusCode::SERVICE_UNAVAILABLE, page);
        }
    };
    let may_act = visit
        .actor()
        .is_some_and(|actor| authz::allowed(actor, Rule::ForGemeinde(ags)).is_ok());
    let attempt_only = attempt.map(|(a, _)| a);
    body.push_str(&overview(&gemeinde));
    let pairs = [
        ("ags", ags.to_string()),
        ("stichtag", params.get("stichtag")),
    ];
    let nav = paging::nav("/kommune", &pairs, "seite", number, more);
    body.push_str(&adoptions_html(visit, &gemeinde, may_act, attempt_only));
    body.push_str(&nav);
    body.push_str(&available_html(&gemeinde));
    body.push_str(&nav);
    if may_act {
        body.push_str(&request_form(visit, &gemeinde, attempt_only));
    } else if visit.who.is_none() {
        body.push_str("<p><a href=\"/anmelden?weiter=/kommune\">Anmelden</a>, um Einführungen zu beantragen oder Schritte zu melden.</p>\n");
    }
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

fn picker(visit: &Visit, ags: Option<Ags>, stichtag: &str) -> String {
    let own = matches!(visit.actor(), Some(Actor::Gemeinde(own)) if Some(*own) == ags);
    let mut html = String::new();
    if !own {
        html.push_str("<p>Wählen Sie eine Gemeinde über ihren amtlichen Gemeindeschlüssel (AGS, 8 Ziffern).</p>\n");
    }
    html.push_str("<form class=\"zeile\" method=\"get\" action=\"/kommune\">\n");
    html.push_str(
        &Field::new("auswahl", "ags", "Gemeindeschlüssel (AGS)")
            .hint("z. B. 16051000 für Erfurt")
            .input(
                "text",
                &ags.map(|a| a.to_string()).unwrap_or_default(),
                " inputmode=\"numeric\" pattern=\"[0-9]{8}\" maxlength=\"8\"",
            ),
    );
    html.push_str(
        &Field::new("auswahl", "stichtag", "Stand am")
            .hint("leer: heute")
            .input("date", stichtag, ""),
    );
    html.push_str("<button type=\"submit\">Anzeigen</button>\n</form>\n");
    html
}

fn overview(gemeinde: &GemeindeView) -> String {
    format!(
        "<section aria-labelledby=\"gemeinde\">\n<h2 id=\"gemeinde\">Ihre Gemeinde</h2>\n<dl class=\"fakten\">\n\
         <dt>Name</dt><dd>{}</dd>\n<dt>Gemeindeschlüssel</dt><dd>{}</dd>\n<dt>Land</dt><dd>{}</dd>\n\
         <dt>Einwohner</dt><dd>{}</dd>\n<dt>Status</dt><dd>{}</dd>\n<dt>Stand</dt><dd>{}</dd>\n</dl>\n</section>\n",
        escape(&gemeinde.name),
        gemeinde.ags,
        escape(gemeinde.ags.land().name()),
        gemeinde
            .population
            .map_or_else(|| "unbekannt".to_owned(), thousands),
        escape(&gemeinde.status_de),
        date_de(gemeinde.as_of)
    )
}

fn title_of(gemeinde: &GemeindeView, id: &ServiceId) -> String {
    gemeinde
        .available
        .iter()
        .find(|(s, _, _)| s == id)
        .map_or_else(|| id.to_string(), |(_, title, _)| title.clone())
}

fn adoptions_html(
    visit: &Visit,
    gemeinde: &GemeindeView,
    may_act: bool,
    attempt: Option<&Attempt>,
) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"einfuehrungen\">\n<h2 id=\"einfuehrungen\">Einführungen</h2>\n",
    );
    if gemeinde.adoptions.is_empty() {
        html.push_str("<p>Noch keine Einführung beantragt.</p>\n</section>\n");
        return html;
    }
    let actions = if may_act {
        "<th scope=\"col\">Nächster Schritt</th>"
    } else {
        ""
    };
    html.push_str(&format!("<table>\n<caption>Einführungen von {} und ihr Stand</caption>\n<thead><tr><th scope=\"col\">Leistung</th>\
        <th scope=\"col\">Stufe</th><th scope=\"col\">seit</th>{actions}</tr></thead>\n<tbody>\n", escape(&gemeinde.name)));
    for adoption in &gemeinde.adoptions {
        let cell = if may_act {
            format!(
                "<td>{}</td>",
                step_forms(
                    visit,
                    adoption,
                    &title_of(gemeinde, &adoption.service),
                    attempt
                )
            )
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td>{cell}</tr>\n",
            service_link(&adoption.service, &title_of(gemeinde, &adoption.service)),
            escape(adoption.stage.label_de()),
            date_de(adoption.since),
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn step_forms(
    visit: &Visit,
    adoption: &MunicipalityRollout,
    title: &str,
    attempt: Option<&Attempt>,
) -> String {
    let next: Vec<(String, String)> = adoptions::STEP_STAGES
        .into_iter()
        .filter(|stage| *stage > adoption.stage && adoption.stage != AdoptionStage::Withdrawn)
        .map(|stage| (stage.key().to_owned(), stage.label_de().to_owned()))
        .collect();
    if next.is_empty() {
        return "–".to_owned();
    }
    let step_id = format!("schritt-{}", adoption.service);
    let v = Values::of(&step_id, attempt);
    let keys = format!(
        "{}{}{}",
        forms::hidden_fields(visit),
        hidden("ags", &adoption.ags.to_string()),
        hidden("service", adoption.service.as_str())
    );
    let mut html = format!(
        "<form method=\"post\" action=\"/kommune/schritt\" aria-label=\"Schritt melden: {}\">\n{}{keys}",
        escape(title),
        v.summary()
    );
    html.push_str(
        &Field::new(&step_id, "stage", "Schritt")
            .error(v.error("stage"))
            .select(&next, &v.get("stage", "")),
    );
    html.push_str(
        &Field::new(&step_id, "effective", "Wirksam ab")
            .error(v.error("effective"))
            .input("date", &v.get("effective", &visit.today.to_string()), ""),
    );
    html.push_str(
        &Field::new(&step_id, "note", "Bemerkung")
            .error(v.error("note"))
            .input("text", &v.get("note", ""), " maxlength=\"1000\""),
    );
    html.push_str("<button type=\"submit\">Schritt melden</button>\n</form>\n");
    let withdraw_id = format!("zurueckziehen-{}", adoption.service);
    let w = Values::of(&withdraw_id, attempt);
    html.push_str(&format!(
        "<form method=\"post\" action=\"/kommune/zurueckziehen\" aria-label=\"Einführung zurückziehen: {}\">\n{}{keys}<button type=\"submit\" class=\"zweit\">Einführung zurückziehen</button>\n</form>\n",
        escape(title),
        w.summary()
    ));
    html
}

fn available_html(gemeinde: &GemeindeView) -> String {
    let mut html = String::from(
        "<section aria-labelledby=\"verfuegbar\">\n<h2 id=\"verfuegbar\">Verfügbare Leistungen</h2>\n",
    );
    if gemeinde.available.is_empty() {
        html.push_str("<p>Keine.</p>\n</section>\n");
        return html;
    }
    html.push_str("<table>\n<caption>Leistungen, die die Gemeinde einführen kann</caption>\n<thead><tr><th scope=\"col\">Leistung</th>\
        <th scope=\"col\">Ihr Land</th><th scope=\"col\">Ihre Einführung</th></tr></thead>\n<tbody>\n");
    for (id, title, joined) in &gemeinde.available {
        let land = if *joined {
            "nimmt teil"
        } else {
            "Ihr Land ist noch nicht beigetreten"
        };
        let stage = gemeinde
            .adoptions
            .iter()
            .find(|a| a.service == *id)
            .map_or("–", |a| a.stage.label_de());
        html.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{land}</td><td>{stage}</td></tr>\n",
            service_link(id, title)
        ));
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
    html
}

fn request_form(visit: &Visit, gemeinde: &GemeindeView, attempt: Option<&Attempt>) -> String {
    let f = "beantragen";
    let v = Values::of(f, attempt);
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
    let mut html = format!(
        "<section aria-labelledby=\"beantragen-titel\">\n<h2 id=\"beantragen-titel\">Einführung beantragen</h2>\n\
         <form class=\"block\" method=\"post\" action=\"/kommune/beantragen\">\n{}{}{}",
        v.summary(),
        forms::hidden_fields(visit),
        hidden("ags", &gemeinde.ags.to_string())
    );
    html.push_str(
        &Field::new(f, "service", "Leistung")
            .required()
            .error(v.error("service"))
            .select(&choices, &v.get("service", "")),
    );
    html.push_str(
        &Field::new(f, "effective", "Beantragt am")
            .hint("leer: heute")
            .error(v.error("effective"))
            .input("date", &v.get("effective", &visit.today.to_string()), ""),
    );
    html.push_str(
        &Field::new(f, "note", "Bemerkung")
            .hint("optional")
            .error(v.error("note"))
            .input("text", &v.get("note", ""), " maxlength=\"1000\""),
    );
    html.push_str("<button type=\"submit\">Einführung beantragen</button>\n</form>\n</section>\n");
    html
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
            Ok((request.command(), "beantragt"))
        }
        "schritt" => {
            let service = service()?;
            let step: adoptions::Step = form.read(&[])?;
            Ok((step.command(service, ags), "schritt"))
        }
        "zurueckziehen" => {
            let service = service()?;
            let withdrawal: adoptions::Withdrawal = form.read(&[])?;
            Ok((withdrawal.command(service, ags), "zurueckgezogen"))
        }
        _ => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "Dieses Formular gibt es nicht.",
        )),
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
