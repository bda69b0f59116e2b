//! The forms of a logged-in Land on `/land`: announce a service, report
//! costs, change the status, record the Reifegrad, join and leave. Each
//! posts to `/land/{action}`, is read into the request struct of the
//! matching API request, and is sent like an API write; on success the
//! browser is sent on (303) to the page that shows the change, on refusal
//! the Land page is shown again with the entered values and the reason.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::views::ServiceSummary;
use efa_proto::{Actor, Channel, Command, CostCategory, LandCode, ServiceStatus};
use maud::{Markup, html};

use super::super::forms::{self, Attempt, Failure, FormData, Forms, Values};
use super::super::markup::{Field, choices, items, section};
use super::super::params::Params;
use super::super::visit::Visit;
use super::land::{LandData, land_page, render};
use efa_api::contract::{Parsed, WriteBody, services};

/// The cost models a form offers (fixed shares only through the API).
pub const MODELS: [(&str, &str); 3] = [
    ("koenigsteiner-schluessel", "Königsteiner Schlüssel"),
    ("population", "Einwohnerzahl"),
    ("equal-shares", "gleiche Anteile"),
];

pub fn channels() -> Vec<(String, String)> {
    items(Channel::ALL.map(|c| (c.key(), c.label_de())))
}

pub fn levels() -> Vec<(String, String)> {
    items((0..=4).map(|level| (level, level)))
}

/// The forms section of the Land page. They offer the services the Land
/// leads, those it joined (and has not left) and those it could join.
pub fn forms(visit: &Visit, land: LandCode, data: &LandData, attempt: Option<&Attempt>) -> Markup {
    let active = data
        .services
        .iter()
        .filter(|s| s.service.status != ServiceStatus::Retired);
    let item = |s: &ServiceSummary| (s.service.id.to_string(), s.service.title.clone());
    let led: Vec<_> = active
        .clone()
        .filter(|s| s.service.lead == land)
        .map(item)
        .collect();
    let joinable: Vec<_> = active
        .filter(|s| s.service.lead != land && !s.lands.contains(&land))
        .map(|s| {
            let title = format!("{} ({})", s.service.title, s.service.lead.name());
            (s.service.id.to_string(), title)
        })
        .collect();
    let joined: Vec<_> = (data.view.joined.iter())
        .filter(|p| p.left.is_none())
        .map(|p| (p.service.to_string(), p.title.clone()))
        .collect();
    let statuses = (ServiceStatus::ALL.into_iter()).filter(|s| *s != ServiceStatus::Retired);
    let statuses = items(statuses.map(|s| (s.key(), s.label_de())));
    let forms = Forms { visit, attempt };
    let (status, reifegrad) = (forms.values("status"), forms.values("reifegrad"));
    section("formulare", "Melden und ändern").with(html! {
        div.formulare {
            (block(&forms, "ankuendigen", "Leistung ankündigen",
                Some(announce_fields(forms.values("ankuendigen"), &statuses))))
            (block(&forms, "kosten", "Kosten melden",
                Some(cost_fields(forms.values("kosten"), &led, data.year))))
            (block(&forms, "status", "Status ändern", Some(html! {
                (service_choice("status", &led, status))
                (status.choice(Field::new("status", "status", "Neuer Status"), &statuses, "available"))
            })))
            (block(&forms, "reifegrad", "Reifegrad erfassen", Some(html! {
                (service_choice("reifegrad", &led, reifegrad))
                (reifegrad.choice(Field::new("reifegrad", "reifegrad", "Reifegrad"), &levels(), "3"))
            })))
            @for (id, title, services) in
                [("beitritt", "Beitritt erklären", &joinable), ("austritt", "Austritt erklären", &joined)]
            {
                @let fields = (!services.is_empty()).then(|| service_choice(id, services, forms.values(id)));
                (block(&forms, id, title, fields))
            }
        }
    })
}

/// One form: its heading, the refusal if it was refused, the hidden
/// fields, then `fields`, the day it takes effect and the button; or,
/// without `fields`, that there is nothing to choose.
fn block(forms: &Forms<'_>, id: &str, title: &str, fields: Option<Markup>) -> Markup {
    let v = forms.values(id);
    let hint = match id {
        "austritt" => {
            "der erste Tag ohne Teilnahme (ein Austritt zum 30.09. ist wirksam ab 01.10.); leer: heute"
        }
        _ => "Tag, an dem die Änderung gilt; leer: heute",
    };
    let effective = Field::new(id, "effective", "Wirksam ab").hint(hint);
    html! {
        form.block method="post" action={ "/land/" (id) } aria-labelledby={ (id) "-titel" } {
            h3 id={ (id) "-titel" } { (title) }
            (v.alert())
            (forms::hidden_fields(forms.visit))
            @if let Some(fields) = fields {
                (fields)
                (v.input(effective, "date", &forms.visit.today.to_string()))
                button type="submit" { (title) }
            } @else {
                p { "Keine Leistung zur Auswahl." }
            }
        }
    }
}

fn service_choice(form: &str, services: &[(String, String)], values: Values<'_>) -> Markup {
    let choices = choices("– bitte wählen –", services.iter().cloned());
    let field = Field::new(form, "service", "Leistung").required();
    values.choice(field, &choices, "")
}

fn announce_fields(v: Values<'_>, statuses: &[(String, String)]) -> Markup {
    let f = "ankuendigen";
    let text = |name, label| Field::new(f, name, label).maxlength(300);
    html! {
        (v.input(text("title", "Titel").required(), "text", ""))
        (v.input(text("id", "Kennung")
            .hint("optional; sonst aus dem Titel gebildet, z. B. elterngeld-digital"), "text", ""))
        (v.input(text("themenfeld", "Themenfeld").required(), "text", ""))
        (v.input(text("provider", "Anbieter").required(), "text", ""))
        (v.choice(Field::new(f, "channel", "Bezugsweg"), &channels(), "efa-marktplatz"))
        (v.choice(Field::new(f, "cost_model_kind", "Kostenmodell").hint("feste Anteile nur über die API"),
            &items(MODELS), "koenigsteiner-schluessel"))
        (v.input(text("cost_model_year", "Schlüsseljahr")
            .hint("nur beim Königsteiner Schlüssel, z. B. 2016; leer: Jahr der Kosten"), "text", ""))
        (v.choice(Field::new(f, "status", "Status"), statuses, "planned"))
        (v.choice(Field::new(f, "reifegrad", "Reifegrad"), &levels(), "0"))
        (v.input(text("ozg_id", "OZG-ID").hint("optional"), "text", ""))
    }
}

fn cost_fields(v: Values<'_>, led: &[(String, String)], year: u16) -> Markup {
    let f = "kosten";
    let categories = items([
        (CostCategory::Development.key(), "Entwicklung"),
        (CostCategory::Operation.key(), "Betrieb"),
    ]);
    html! {
        (service_choice(f, led, v))
        (v.input(Field::new(f, "year", "Kostenjahr").required().years(),
            "number", &year.to_string()))
        (v.choice(Field::new(f, "category", "Kategorie"), &categories, "operation"))
        (v.input(Field::new(f, "amount", "Betrag in Euro").hint("mit Dezimalkomma, z. B. 12.500,00")
            .required().inputmode("decimal"), "text", ""))
        (v.input(Field::new(f, "note", "Bemerkung").hint("optional").maxlength(1000), "text", ""))
    }
}

/// The command a Land form describes, with the page to go to afterwards
/// and the notice code.
fn build(
    action: &str,
    land: LandCode,
    form: &FormData,
) -> Result<(Parsed, (String, &'static str)), Failure> {
    let reject = |rejection| Failure::rejected(&rejection);
    let (parsed, target, code) = match action {
        "ankuendigen" => {
            let announce: services::Announce = form.read(&[("lead", land.to_string())])?;
            let parsed = announce.command(()).map_err(reject)?;
            let target = match &parsed.command {
                Command::AnnounceService(a) => format!("/leistungen/{}", a.service),
                _ => "/land".to_owned(),
            };
            return Ok((parsed, (target, "angekuendigt")));
        }
        "kosten" => {
            let service = form.service()?;
            let form = form.with("amount", efa_proto::plain_euros(form.get("amount")));
            let cost: services::CostReport = form.read(&[])?;
            let target = format!("/leistungen/{service}?jahr={}", form.get("year"));
            (cost.command(service), target, "kosten")
        }
        "status" => {
            let service = form.service()?;
            let status: services::Status = form.read(&[])?;
            let target = format!("/leistungen/{service}");
            (status.command(service), target, "status")
        }
        "reifegrad" => {
            let service = form.service()?;
            let assessment: services::Assessment = form.read(&[])?;
            let target = format!("/leistungen/{service}");
            (assessment.command(service), target, "reifegrad")
        }
        "beitritt" => {
            let service = form.service()?;
            let join: services::Join = form.read(&[("land", land.to_string())])?;
            (join.command(service), "/land".to_owned(), "beitritt")
        }
        "austritt" => {
            let service = form.service()?;
            let leave: services::Leave = form.read(&[])?;
            (
                leave.command(service, land, None),
                "/land".to_owned(),
                "austritt",
            )
        }
        _ => return Err(Failure::no_such_form()),
    };
    Ok((parsed.map_err(reject)?, (target, code)))
}

/// `POST /land/{action}`.
pub async fn submit(visit: Visit, Path(action): Path<String>, form: FormData) -> Response {
    let failure = match forms::guard(&visit, &form) {
        Err(failure) if failure.status == StatusCode::UNAUTHORIZED => {
            return visit.redirect("/anmelden?weiter=/land", Vec::new());
        }
        Err(failure) => failure,
        Ok(actor) => {
            let Actor::Land(land) = actor else {
                let body = html! { p { (efa_proto::ForbiddenReason::LandOnly.message_de()) } };
                return land_page(&visit, StatusCode::FORBIDDEN, "Nicht erlaubt", body);
            };
            let built = build(&action, land, &form);
            match forms::send_built(&visit, &actor, &form, built).await {
                Ok((accepted, (target, code))) => {
                    let success = forms::success(code, &accepted);
                    let location = match target.split_once('?') {
                        Some((path, query)) => format!("{path}?{success}&{query}"),
                        None => format!("{target}?{success}"),
                    };
                    return visit.redirect(&location, Vec::new());
                }
                Err(failure) => failure,
            }
        }
    };
    let Some(Actor::Land(land)) = visit.actor().cloned() else {
        let body = html! {
            p { (failure.message) }
            p { a href="/anmelden" { "Anmelden" } }
        };
        return land_page(&visit, failure.status, "Nicht angenommen", body);
    };
    let (attempt, params) = (
        Attempt::new(action, form, failure),
        Params::from_pairs(&[("seq", &visit.state.written_seq())]),
    );
    render(&visit, land, &params, true, Some(&attempt)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A posted form from `name=value&…`.
    fn form(fields: &str) -> FormData {
        let pairs = fields.split('&').filter_map(|field| field.split_once('='));
        FormData(pairs.map(|(k, v)| (k.into(), v.into())).collect())
    }

    #[test]
    fn a_cost_form_becomes_the_api_command() {
        let bremen = LandCode::new(4).unwrap();
        let data = form(
            "service=wohngeld&year=2024&category=development&amount=12.500,50&effective=2024-12-31",
        );
        let (parsed, (target, code)) = build("kosten", bremen, &data).unwrap();
        let efa_proto::Command::ReportCost(cost) = parsed.command else {
            panic!("not a cost")
        };
        assert_eq!(cost.amount, efa_proto::Cents(1_250_050));
        assert_eq!(
            (target.as_str(), code),
            ("/leistungen/wohngeld?jahr=2024", "kosten")
        );
        let bad = form("service=wohngeld&year=2024&category=operation&amount=12,345");
        let failure = build("kosten", bremen, &bad).unwrap_err();
        assert_eq!(failure.field.as_deref(), Some("amount"));
        let none = build("kosten", bremen, &form("service=")).unwrap_err();
        assert_eq!(none.field.as_deref(), Some("service"));
    }

    #[test]
    fn an_announcement_names_the_land_as_lead() {
        let bremen = LandCode::new(4).unwrap();
        let data = form(
            "title=Elterngeld digital&themenfeld=Familie&provider=Dataport&channel=fit-store\
             &cost_model_kind=koenigsteiner-schluessel&cost_model_year=2016&status=pilot\
             &reifegrad=2&effective=",
        );
        let (parsed, (target, _)) = build("ankuendigen", bremen, &data).unwrap();
        let efa_proto::Command::AnnounceService(announce) = parsed.command else {
            panic!("not an announcement")
        };
        assert_eq!(announce.lead, bremen);
        assert_eq!(announce.service.as_str(), "elterngeld-digital");
        assert_eq!(target, "/leistungen/elterngeld-digital");
        assert_eq!(parsed.effective, None);
    }
}
