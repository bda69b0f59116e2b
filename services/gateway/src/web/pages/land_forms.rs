//! The forms of a logged-in Land on `/land`: announce a service, report
//! costs, change the status, record the Reifegrad, join and leave. Each
//! posts to `/land/{action}`, is read into the request struct of the
//! matching API request, and is sent like an
//! API write; on success the browser is sent on (303) to the page that
//! shows the change, on refusal the Land page is shown again with the
//! entered values and the reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::{Actor, Channel, CostCategory, LandCode, Rejection, ServiceId, ServiceStatus};
use maud::{Markup, html};

use super::super::forms::{self, Attempt, Failure, FormData, Values};
use super::super::layout::{Nav, Page};
use super::super::markup::{Field, from_forms, section};
use super::super::notice;
use super::super::params::Params;
use super::super::visit::Visit;
use super::land::{LandData, render};
use crate::contract::{Parsed, WriteBody, services};
use crate::state::AppState;

/// The cost models a form offers (fixed shares only through the API).
pub const MODELS: [(&str, &str); 3] = [
    ("koenigsteiner-schluessel", "Königsteiner Schlüssel"),
    ("population", "Einwohnerzahl"),
    ("equal-shares", "gleiche Anteile"),
];

fn items(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

fn statuses(with_retired: bool) -> Vec<(String, String)> {
    ServiceStatus::ALL
        .into_iter()
        .filter(|s| with_retired || *s != ServiceStatus::Retired)
        .map(|s| (s.key().to_owned(), s.label_de().to_owned()))
        .collect()
}

pub fn channels() -> Vec<(String, String)> {
    Channel::ALL
        .map(|c| (c.key().to_owned(), c.label_de().to_owned()))
        .to_vec()
}

pub fn levels() -> Vec<(String, String)> {
    (0..=4).map(|l| (l.to_string(), l.to_string())).collect()
}

/// The services a Land's forms offer: those it leads, those it joined
/// (and has not left), those it could join.
struct Choices {
    led: Vec<(String, String)>,
    joined: Vec<(String, String)>,
    joinable: Vec<(String, String)>,
}

fn choices(land: LandCode, data: &LandData) -> Choices {
    let active = |s: &&efa_proto::views::ServiceSummary| s.service.status != ServiceStatus::Retired;
    let item =
        |s: &efa_proto::views::ServiceSummary| (s.service.id.to_string(), s.service.title.clone());
    Choices {
        led: data
            .services
            .iter()
            .filter(active)
            .filter(|s| s.service.lead == land)
            .map(item)
            .collect(),
        joined: data
            .view
            .joined
            .iter()
            .filter(|p| p.left.is_none())
            .map(|p| (p.service.to_string(), p.title.clone()))
            .collect(),
        joinable: data
            .services
            .iter()
            .filter(active)
            .filter(|s| s.service.lead != land && !s.lands.contains(&land))
            .map(|s| {
                (
                    s.service.id.to_string(),
                    format!("{} ({})", s.service.title, s.service.lead.name()),
                )
            })
            .collect(),
    }
}

/// The forms section of the Land page.
pub fn forms(visit: &Visit, land: LandCode, data: &LandData, attempt: Option<&Attempt>) -> Markup {
    let Choices {
        led,
        joined,
        joinable,
    } = choices(land, data);
    let today = visit.today.to_string();
    let of = |form: &str| Values::of(form, attempt);
    section("formulare", "Melden und ändern").with(html! {
        div.formulare {
            (announce_form(visit, &today, of("ankuendigen")))
            (cost_form(visit, &led, &today, data.year, of("kosten")))
            (status_form(visit, &led, &today, of("status")))
            (reifegrad_form(visit, &led, &today, of("reifegrad")))
            (membership_form(visit, "beitritt", "Beitritt erklären", &joinable, &today, of("beitritt")))
            (membership_form(visit, "austritt", "Austritt erklären", &joined, &today, of("austritt")))
        }
    })
}

/// One form: its heading, the refusal if it was refused, the hidden
/// fields, then `fields`.
fn form_block(visit: &Visit, id: &str, title: &str, values: Values<'_>, fields: Markup) -> Markup {
    html! {
        form.block method="post" action={ "/land/" (id) } aria-labelledby={ (id) "-titel" } {
            h3 id={ (id) "-titel" } { (title) }
            (from_forms(values.summary()))
            (from_forms(forms::hidden_fields(visit)))
            (fields)
        }
    }
}

fn service_choice(form: &str, services: &[(String, String)], values: Values<'_>) -> Markup {
    let mut choices = vec![(String::new(), "– bitte wählen –".to_owned())];
    choices.extend(services.iter().cloned());
    Field::new(form, "service", "Leistung")
        .required()
        .error(values.error("service"))
        .choice(&choices, &values.get("service", ""))
}

fn effective(form: &str, today: &str, values: Values<'_>) -> Markup {
    Field::new(form, "effective", "Wirksam ab")
        .hint("Tag, an dem die Änderung gilt; leer: heute")
        .error(values.error("effective"))
        .control("date", &values.get("effective", today))
}

fn announce_form(visit: &Visit, today: &str, v: Values<'_>) -> Markup {
    let f = "ankuendigen";
    let fields = html! {
        (from_forms(v.required_text(f, "title", "Titel", "")))
        (from_forms(v.text(
            f,
            "id",
            "Kennung",
            "",
            Some("optional; sonst aus dem Titel gebildet, z. B. elterngeld-digital"),
        )))
        (from_forms(v.required_text(f, "themenfeld", "Themenfeld", "")))
        (from_forms(v.required_text(f, "provider", "Anbieter", "")))
        (from_forms(v.select(f, "channel", "Bezugsweg", &channels(), "efa-marktplatz", None)))
        (from_forms(v.select(
            f,
            "cost_model_kind",
            "Kostenmodell",
            &items(&MODELS),
            "koenigsteiner-schluessel",
            Some("feste Anteile nur über die API"),
        )))
        (from_forms(v.text(
            f,
            "cost_model_year",
            "Schlüsseljahr",
            "",
            Some("nur beim Königsteiner Schlüssel, z. B. 2016; leer: Jahr der Kosten"),
        )))
        (from_forms(v.select(f, "status", "Status", &statuses(false), "planned", None)))
        (from_forms(v.select(f, "reifegrad", "Reifegrad", &levels(), "0", None)))
        (from_forms(v.text(f, "ozg_id", "OZG-ID", "", Some("optional"))))
        (effective(f, today, v))
        button type="submit" { "Leistung ankündigen" }
    };
    form_block(visit, f, "Leistung ankündigen", v, fields)
}

fn cost_form(
    visit: &Visit,
    led: &[(String, String)],
    today: &str,
    year: u16,
    v: Values<'_>,
) -> Markup {
    let f = "kosten";
    let categories = items(&[
        (CostCategory::Development.key(), "Entwicklung"),
        (CostCategory::Operation.key(), "Betrieb"),
    ]);
    let fields = html! {
        (service_choice(f, led, v))
        (Field::new(f, "year", "Kostenjahr").required().error(v.error("year")).min(1900).max(2200)
            .control("number", &v.get("year", &year.to_string())))
        (Field::new(f, "category", "Kategorie")
            .error(v.error("category"))
            .choice(&categories, &v.get("category", "operation")))
        (Field::new(f, "amount", "Betrag in Euro")
            .hint("mit Dezimalkomma, z. B. 12.500,00")
            .required()
            .error(v.error("amount"))
            .inputmode("decimal")
            .control("text", &v.get("amount", "")))
        (Field::new(f, "note", "Bemerkung").hint("optional").error(v.error("note")).maxlength(1000)
            .control("text", &v.get("note", "")))
        (effective(f, today, v))
        button type="submit" { "Kosten melden" }
    };
    form_block(visit, f, "Kosten melden", v, fields)
}

fn status_form(visit: &Visit, led: &[(String, String)], today: &str, v: Values<'_>) -> Markup {
    let f = "status";
    let fields = html! {
        (service_choice(f, led, v))
        (Field::new(f, "status", "Neuer Status")
            .error(v.error("status"))
            .choice(&statuses(false), &v.get("status", "available")))
        (effective(f, today, v))
        button type="submit" { "Status ändern" }
    };
    form_block(visit, f, "Status ändern", v, fields)
}

fn reifegrad_form(visit: &Visit, led: &[(String, String)], today: &str, v: Values<'_>) -> Markup {
    let f = "reifegrad";
    let fields = html! {
        (service_choice(f, led, v))
        (Field::new(f, "reifegrad", "Reifegrad")
            .error(v.error("reifegrad"))
            .choice(&levels(), &v.get("reifegrad", "3")))
        (effective(f, today, v))
        button type="submit" { "Reifegrad erfassen" }
    };
    form_block(visit, f, "Reifegrad erfassen", v, fields)
}

fn membership_form(
    visit: &Visit,
    f: &str,
    title: &str,
    services: &[(String, String)],
    today: &str,
    v: Values<'_>,
) -> Markup {
    let fields = html! {
        @if services.is_empty() {
            p { "Keine Leistung zur Auswahl." }
        } @else {
            (service_choice(f, services, v))
            (effective(f, today, v))
            button type="submit" { (title) }
        }
    };
    form_block(visit, f, title, v, fields)
}

/// Normalises a German euro amount for the API's parser: spaces and the
/// euro sign go; with a decimal comma, points are thousands separators.
pub fn euros(text: &str) -> String {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€')
        .collect();
    if compact.contains(',') {
        compact.replace('.', "")
    } else {
        compact
    }
}

fn chosen_service(form: &FormData) -> Result<ServiceId, Failure> {
    ServiceId::parse(form.get("service")).map_err(|_| {
        Failure::rejected(&Rejection::invalid("service", "bitte eine Leistung wählen"))
    })
}

/// The command a Land form describes, and the page to go to afterwards.
/// A built command, the page to show afterwards and the notice code.
type Built = (Parsed, String, &'static str);

fn reject(rejection: Rejection) -> Failure {
    Failure::rejected(&rejection)
}

fn build_announcement(land: LandCode, form: &FormData) -> Result<Built, Failure> {
    let announce: services::Announce = form.read(&[("lead", land.to_string())])?;
    let parsed = announce.command(()).map_err(reject)?;
    let target = match &parsed.command {
        efa_proto::Command::AnnounceService(a) => format!("/leistungen/{}", a.service),
        _ => "/land".to_owned(),
    };
    Ok((parsed, target, "angekuendigt"))
}

fn build_cost(form: &FormData) -> Result<Built, Failure> {
    let service = chosen_service(form)?;
    let form = form.with("amount", euros(form.get("amount")));
    let cost: services::CostReport = form.read(&[])?;
    let parsed = cost.command(service.clone()).map_err(reject)?;
    let year = form.get("year");
    Ok((
        parsed,
        format!("/leistungen/{service}?jahr={year}"),
        "kosten",
    ))
}

/// The command a Land form describes, and the page to go to afterwards.
fn build(action: &str, land: LandCode, form: &FormData) -> Result<Built, Failure> {
    let on_service = |code| -> Result<(ServiceId, String, &'static str), Failure> {
        let service = chosen_service(form)?;
        let target = format!("/leistungen/{service}");
        Ok((service, target, code))
    };
    match action {
        "ankuendigen" => build_announcement(land, form),
        "kosten" => build_cost(form),
        "status" => {
            let (service, target, code) = on_service("status")?;
            let status: services::Status = form.read(&[])?;
            Ok((status.command(service).map_err(reject)?, target, code))
        }
        "reifegrad" => {
            let (service, target, code) = on_service("reifegrad")?;
            let assessment: services::Assessment = form.read(&[])?;
            Ok((assessment.command(service).map_err(reject)?, target, code))
        }
        "beitritt" => {
            let service = chosen_service(form)?;
            let join: services::Join = form.read(&[("land", land.to_string())])?;
            let parsed = join.command(service).map_err(reject)?;
            Ok((parsed, "/land".to_owned(), "beitritt"))
        }
        "austritt" => {
            let service = chosen_service(form)?;
            let leave: services::Leave = form.read(&[])?;
            let parsed = leave.command(service, land, None).map_err(reject)?;
            Ok((parsed, "/land".to_owned(), "austritt"))
        }
        _ => Err(Failure::no_such_form()),
    }
}

/// `POST /land/{action}`.
pub async fn submit(
    State(state): State<AppState>,
    visit: Visit,
    Path(action): Path<String>,
    form: FormData,
) -> Response {
    let actor = match forms::guard(&visit, &form) {
        Ok(actor) => actor,
        Err(failure) if failure.status == StatusCode::UNAUTHORIZED => {
            return visit.redirect("/anmelden?weiter=/land", Vec::new());
        }
        Err(failure) => return refused(&state, &visit, &action, form, failure).await,
    };
    let Actor::Land(land) = actor else {
        let body = html! { p { (efa_proto::ForbiddenReason::LandOnly.message_de()) } };
        return visit.page(
            StatusCode::FORBIDDEN,
            Page::new("Nicht erlaubt", Nav::Laender, body),
        );
    };
    let sent = match build(&action, land, &form) {
        Ok((parsed, target, code)) => forms::send(&state, &actor, &form, parsed)
            .await
            .map(|a| (a, target, code)),
        Err(failure) => Err(failure),
    };
    match sent {
        Ok((accepted, target, code)) => {
            let (path, query) = target
                .split_once('?')
                .map_or((target.as_str(), String::new()), |(p, q)| {
                    (p, format!("&{q}"))
                });
            let location = format!(
                "{path}?erfolg={}&seq={}{query}",
                notice::code(code, accepted.replayed),
                accepted.last_seq
            );
            visit.redirect(&location, Vec::new())
        }
        Err(failure) => refused(&state, &visit, &action, form, failure).await,
    }
}

async fn refused(
    state: &AppState,
    visit: &Visit,
    action: &str,
    form: FormData,
    failure: Failure,
) -> Response {
    let Some(Actor::Land(land)) = visit.actor().cloned() else {
        let body = html! {
            p { (failure.message) }
            p { a href="/anmelden" { "Anmelden" } }
        };
        return visit.page(
            failure.status,
            Page::new("Nicht angenommen", Nav::Laender, body),
        );
    };
    let status = failure.status;
    let attempt = Attempt {
        form: action.to_owned(),
        data: form,
        failure,
    };
    render(
        state,
        visit,
        land,
        &Params::default(),
        true,
        Some((&attempt, status)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_amounts_are_normalised() {
        assert_eq!(euros("12.500,00 €"), "12500,00");
        assert_eq!(euros("1 234,5"), "1234,5");
        assert_eq!(euros("1234.56"), "1234.56");
        assert_eq!(euros("1.234"), "1.234");
    }

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData::of(pairs)
    }

    #[test]
    fn a_cost_form_becomes_the_api_command() {
        let bremen = LandCode::new(4).unwrap();
        let data = form(&[
            ("service", "wohngeld"),
            ("year", "2024"),
            ("category", "development"),
            ("amount", "12.500,50"),
            ("effective", "2024-12-31"),
        ]);
        let (parsed, target, code) = build("kosten", bremen, &data).unwrap();
        let efa_proto::Command::ReportCost(cost) = parsed.command else {
            panic!("not a cost")
        };
        assert_eq!(cost.amount, efa_proto::Cents(1_250_050));
        assert_eq!(
            (target.as_str(), code),
            ("/leistungen/wohngeld?jahr=2024", "kosten")
        );
        let bad = form(&[
            ("service", "wohngeld"),
            ("year", "2024"),
            ("category", "operation"),
            ("amount", "12,345"),
        ]);
        let failure = build("kosten", bremen, &bad).unwrap_err();
        assert_eq!(failure.field.as_deref(), Some("amount"));
        let none = build("kosten", bremen, &form(&[("service", "")])).unwrap_err();
        assert_eq!(none.field.as_deref(), Some("service"));
    }

    #[test]
    fn an_announcement_names_the_land_as_lead() {
        let bremen = LandCode::new(4).unwrap();
        let data = form(&[
            ("title", "Elterngeld digital"),
            ("themenfeld", "Familie"),
            ("provider", "Dataport"),
            ("channel", "fit-store"),
            ("cost_model_kind", "koenigsteiner-schluessel"),
            ("cost_model_year", "2016"),
            ("status", "pilot"),
            ("reifegrad", "2"),
            ("effective", ""),
        ]);
        let (parsed, target, _) = build("ankuendigen", bremen, &data).unwrap();
        let efa_proto::Command::AnnounceService(announce) = parsed.command else {
            panic!("not an announcement")
        };
        assert_eq!(announce.lead, bremen);
        assert_eq!(announce.service.as_str(), "elterngeld-digital");
        assert_eq!(target, "/leistungen/elterngeld-digital");
        assert_eq!(parsed.effective, None);
    }
}
