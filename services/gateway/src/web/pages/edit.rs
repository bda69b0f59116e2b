//! `/leistungen/{id}/bearbeiten`: the lead Land changes a service's
//! details (title, Themenfeld, provider, Bezugsweg, cost model, OZG-ID,
//! LeiKa keys), replaced whole like `PUT /api/v1/services/{id}`. A service
//! with fixed shares keeps its weights (they are changed through the API).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::{Actor, CostModel, QueryKind, QueryReply, ServiceId, ServiceView};
use maud::html;

use super::super::forms::{self, Attempt, Failure, FormData, Values};
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, from_forms};
use super::super::notice;
use super::super::view;
use super::super::visit::Visit;
use super::land_forms::{MODELS, channels};
use crate::contract::field::Via;
use crate::contract::{Parsed, WriteBody, services};
use crate::state::AppState;

async fn load(state: &AppState, id: &ServiceId) -> Result<Option<ServiceView>, String> {
    match view(state, 0, QueryKind::Service(id.clone())).await? {
        QueryReply::Service(service) => Ok(service),
        _ => Err(super::super::UNAVAILABLE.to_owned()),
    }
}

/// Why the page cannot be shown to this visitor, if so.
fn refusal(visit: &Visit, id: &str, service: Option<&ServiceView>) -> Option<Response> {
    let page = |status, text: &str| {
        let body = html! {
            p { (text) }
            p { a href={ "/leistungen/" (id) } { "Zur Leistung" } }
        };
        Some(visit.page(status, Page::new("Angaben ändern", Nav::Laender, body)))
    };
    match (visit.actor(), service) {
        (None, _) => Some(visit.redirect(
            &format!("/anmelden?weiter=/leistungen/{id}/bearbeiten"),
            Vec::new(),
        )),
        (_, None) => page(
            StatusCode::NOT_FOUND,
            "Diese Leistung ist nicht im Katalog.",
        ),
        (Some(Actor::Land(land)), Some(s)) if *land == s.lead => None,
        (Some(_), Some(_)) => page(
            StatusCode::FORBIDDEN,
            efa_proto::ForbiddenReason::NotLeadLand.message_de(),
        ),
    }
}

/// `GET /leistungen/{id}/bearbeiten`.
pub async fn show(State(state): State<AppState>, visit: Visit, Path(id): Path<String>) -> Response {
    let service = match ServiceId::parse(&id) {
        Ok(parsed) => load(&state, &parsed).await,
        Err(_) => Ok(None),
    };
    match service {
        Err(message) => {
            let page = Page::new("Angaben ändern", Nav::Laender, "")
                .with_notice(Some(Notice::Error(message)));
            visit.page(StatusCode::SERVICE_UNAVAILABLE, page)
        }
        Ok(service) => match refusal(&visit, &id, service.as_ref()) {
            Some(response) => response,
            None => render(&visit, service.as_ref(), None, StatusCode::OK),
        },
    }
}

/// The current cost model as the form shows it: kind, key year, and the
/// choices (fixed shares only when the service has them).
fn model_fields(model: &CostModel) -> (&'static str, String, Vec<(String, String)>) {
    let (kind, year) = match model {
        CostModel::KoenigsteinerSchluessel { year } => (
            "koenigsteiner-schluessel",
            year.map(|y| y.to_string()).unwrap_or_default(),
        ),
        CostModel::Population => ("population", String::new()),
        CostModel::EqualShares => ("equal-shares", String::new()),
        CostModel::FixedShares { .. } => ("fixed-shares", String::new()),
    };
    let mut models: Vec<(String, String)> = MODELS
        .iter()
        .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
        .collect();
    if kind == "fixed-shares" {
        models.push((
            "fixed-shares".to_owned(),
            "feste Anteile (wie bisher)".to_owned(),
        ));
    }
    (kind, year, models)
}

fn render(
    visit: &Visit,
    service: Option<&ServiceView>,
    attempt: Option<&Attempt>,
    status: StatusCode,
) -> Response {
    let Some(s) = service else {
        let page = Page::new("Angaben ändern", Nav::Laender, "");
        return visit.page(StatusCode::NOT_FOUND, page);
    };
    let (v, f) = (Values::of("angaben", attempt), "angaben");
    let (kind, year, models) = model_fields(&s.cost_model);
    let today = visit.today.to_string();
    let id = s.id.as_str();
    let body = html! {
        p { a href={ "/leistungen/" (id) } { "Zurück zur Leistung" } }
        form.block method="post" action={ "/leistungen/" (id) "/bearbeiten" } {
            (from_forms(v.summary()))
            (from_forms(forms::hidden_fields(visit)))
            (from_forms(v.required_text(f, "title", "Titel", &s.title)))
            (from_forms(v.required_text(f, "themenfeld", "Themenfeld", &s.themenfeld)))
            (from_forms(v.required_text(f, "provider", "Anbieter", &s.provider)))
            (from_forms(v.select(f, "channel", "Bezugsweg", &channels(), s.channel.key(), None)))
            (from_forms(v.select(f, "cost_model_kind", "Kostenmodell", &models, kind, None)))
            (from_forms(v.text(
                f,
                "cost_model_year",
                "Schlüsseljahr",
                &year,
                Some("nur beim Königsteiner Schlüssel; leer: Jahr der Kosten"),
            )))
            (from_forms(v.text(f, "ozg_id", "OZG-ID", s.ozg_id.as_deref().unwrap_or(""), Some("optional"))))
            (from_forms(v.text(
                f,
                "leika",
                "LeiKa-Schlüssel",
                &s.leika.join(", "),
                Some("optional, durch Kommas getrennt"),
            )))
            (Field::new(f, "effective", "Wirksam ab")
                .hint("leer: heute")
                .error(v.error("effective"))
                .control("date", &v.get("effective", &today)))
            button type="submit" { "Angaben speichern" }
        }
    };
    let title = format!("Angaben ändern: {}", s.title);
    visit.page(status, Page::new(title, Nav::Laender, body))
}

/// The form read as the body of `PUT /api/v1/services/{id}`; fixed
/// shares keep the service's weights.
fn command(form: &FormData, current: &ServiceView) -> Result<Parsed, Failure> {
    let mut details: services::Details = form.read(&[])?;
    if let (services::ModelKind::FixedShares, CostModel::FixedShares { weights }) =
        (details.cost_model.kind, &current.cost_model)
    {
        details.cost_model.year = None;
        details.cost_model.weights = Some(
            weights
                .iter()
                .map(|(land, weight)| (land.to_string(), Via(*weight)))
                .collect(),
        );
    }
    details
        .command(current.id.clone())
        .map_err(|rejection| Failure::rejected(&rejection))
}

/// `POST /leistungen/{id}/bearbeiten`.
pub async fn submit(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    let service = match ServiceId::parse(&id) {
        Ok(parsed) => load(&state, &parsed).await.ok().flatten(),
        Err(_) => None,
    };
    if let Some(response) = refusal(&visit, &id, service.as_ref()) {
        return response;
    }
    let Some(current) = service else {
        return visit.page(
            StatusCode::NOT_FOUND,
            Page::new("Angaben ändern", Nav::Laender, ""),
        );
    };
    let result = match forms::guard(&visit, &form) {
        Ok(actor) => match command(&form, &current) {
            Ok(parsed) => forms::send(&state, &actor, &form, parsed).await,
            Err(failure) => Err(failure),
        },
        Err(failure) => Err(failure),
    };
    match result {
        Ok(accepted) => {
            let code = notice::code("angaben", accepted.replayed);
            visit.redirect(
                &format!(
                    "/leistungen/{}?erfolg={code}&seq={}",
                    current.id, accepted.last_seq
                ),
                Vec::new(),
            )
        }
        Err(failure) => {
            let status = failure.status;
            let attempt = Attempt {
                form: "angaben".to_owned(),
                data: form,
                failure,
            };
            render(&visit, Some(&current), Some(&attempt), status)
        }
    }
}
