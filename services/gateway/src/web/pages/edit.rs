//! `/leistungen/{id}/bearbeiten`: the lead Land changes a service's
//! details (title, Themenfeld, provider, Bezugsweg, cost model, OZG-ID,
//! LeiKa keys), replaced whole like `PUT /api/v1/services/{id}`. A service
//! with fixed shares keeps its weights (they are changed through the API).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::{Actor, CostModel, QueryKind, QueryReply, ServiceId, ServiceView};
use maud::html;

use super::super::forms::{self, Attempt, Failure, FormData, Values};
use super::super::layout::{Nav, Page};
use super::super::markup::{Field, items};
use super::super::view;
use super::super::visit::Visit;
use super::land_forms::{MODELS, channels};
use crate::state::AppState;
use efa_api::contract::field::Via;
use efa_api::contract::{Parsed, WriteBody, services};

const TITLE: &str = "Angaben ändern";

/// The service with this id; `None` when there is none.
async fn load(state: &AppState, id: &str) -> Result<Option<ServiceView>, String> {
    let Ok(id) = ServiceId::parse(id) else {
        return Ok(None);
    };
    match view(state, 0, QueryKind::Service(id)).await? {
        QueryReply::Service(service) => Ok(service),
        _ => Err(super::super::UNAVAILABLE.to_owned()),
    }
}

/// The service if the visitor is its lead Land, or else the answer: the
/// login, or a page saying why not.
fn editable(
    visit: &Visit,
    id: &str,
    service: Option<ServiceView>,
) -> Result<ServiceView, Box<Response>> {
    let refuse = |status, text: &str| {
        let body = html! {
            p { (text) }
            p { a href={ "/leistungen/" (id) } { "Zur Leistung" } }
        };
        let page = Page::new(TITLE, Nav::Laender, body);
        Err(Box::new(visit.page(status, page)))
    };
    match (visit.actor(), service) {
        (None, _) => {
            let login = format!("/anmelden?weiter=/leistungen/{id}/bearbeiten");
            Err(Box::new(visit.redirect(&login, Vec::new())))
        }
        (_, None) => refuse(
            StatusCode::NOT_FOUND,
            "Diese Leistung ist nicht im Katalog.",
        ),
        (Some(Actor::Land(land)), Some(service)) if *land == service.lead => Ok(service),
        (Some(_), Some(_)) => refuse(
            StatusCode::FORBIDDEN,
            efa_proto::ForbiddenReason::NotLeadLand.message_de(),
        ),
    }
}

/// `GET /leistungen/{id}/bearbeiten`.
pub async fn show(visit: Visit, Path(id): Path<String>) -> Response {
    let service = match load(&visit.state, &id).await {
        Ok(service) => service,
        Err(message) => {
            let page = Page::new(TITLE, Nav::Laender, "").error(message);
            return visit.page(StatusCode::SERVICE_UNAVAILABLE, page);
        }
    };
    match editable(&visit, &id, service) {
        Ok(service) => render(&visit, &service, None),
        Err(response) => *response,
    }
}

/// The current cost model as the form shows it: kind, key year, and the
/// choices (fixed shares only when the service has them).
fn model_fields(model: &CostModel) -> (&'static str, String, Vec<(String, String)>) {
    let (kind, year) = match model {
        CostModel::KoenigsteinerSchluessel { year } => ("koenigsteiner-schluessel", *year),
        CostModel::Population => ("population", None),
        CostModel::EqualShares => ("equal-shares", None),
        CostModel::FixedShares { .. } => ("fixed-shares", None),
    };
    let mut models = items(MODELS);
    if kind == "fixed-shares" {
        models.push((kind.to_owned(), "feste Anteile (wie bisher)".to_owned()));
    }
    let year = year.map(|year| year.to_string()).unwrap_or_default();
    (kind, year, models)
}

/// The form, with what was entered and why it was refused after `attempt`.
fn render(visit: &Visit, s: &ServiceView, attempt: Option<&Attempt>) -> Response {
    let (v, f) = (Values::of("angaben", attempt), "angaben");
    let (kind, year, models) = model_fields(&s.cost_model);
    let text = |name, label| Field::new(f, name, label).maxlength(300);
    let id = s.id.as_str();
    let body = html! {
        p { a href={ "/leistungen/" (id) } { "Zurück zur Leistung" } }
        form.block method="post" action={ "/leistungen/" (id) "/bearbeiten" } {
            (v.alert())
            (forms::hidden_fields(visit))
            (v.input(text("title", "Titel").required(), "text", &s.title))
            (v.input(text("themenfeld", "Themenfeld").required(), "text", &s.themenfeld))
            (v.input(text("provider", "Anbieter").required(), "text", &s.provider))
            (v.choice(Field::new(f, "channel", "Bezugsweg"), &channels(), s.channel.key()))
            (v.choice(Field::new(f, "cost_model_kind", "Kostenmodell"), &models, kind))
            (v.input(text("cost_model_year", "Schlüsseljahr")
                .hint("nur beim Königsteiner Schlüssel; leer: Jahr der Kosten"), "text", &year))
            (v.input(text("ozg_id", "OZG-ID").hint("optional"),
                "text", s.ozg_id.as_deref().unwrap_or("")))
            (v.input(text("leika", "LeiKa-Schlüssel").hint("optional, durch Kommas getrennt"),
                "text", &s.leika.join(", ")))
            (v.input(Field::new(f, "effective", "Wirksam ab").hint("leer: heute"),
                "date", &visit.today.to_string()))
            button type="submit" { "Angaben speichern" }
        }
    };
    let status = attempt.map_or(StatusCode::OK, |attempt| attempt.failure.status);
    let title = format!("{TITLE}: {}", s.title);
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
pub async fn submit(visit: Visit, Path(id): Path<String>, form: FormData) -> Response {
    let service = load(&visit.state, &id).await.ok().flatten();
    let current = match editable(&visit, &id, service) {
        Ok(service) => service,
        Err(response) => return *response,
    };
    let result = async {
        let actor = forms::guard(&visit, &form)?;
        let parsed = command(&form, &current)?;
        forms::send(&visit, &actor, &form, parsed).await
    };
    match result.await {
        Ok(accepted) => {
            let success = forms::success("angaben", &accepted);
            visit.redirect(&format!("/leistungen/{}?{success}", current.id), Vec::new())
        }
        Err(failure) => {
            let attempt = Attempt::new("angaben".to_owned(), form, failure);
            render(&visit, &current, Some(&attempt))
        }
    }
}
