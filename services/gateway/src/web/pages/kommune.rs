//! `/kommune`: the catalogue from a municipality's view. A logged-in
//! Gemeinde sees its own; anyone may pick one by AGS (operators and the
//! Land do so to act for it). It shows the municipality, its adoptions
//! with their stage, the services it could adopt and whether its Land has
//! joined them, and (for those who may act for it) the forms to request a
//! service, report the next step (vereinbart, Anbindung, in Betrieb) with
//! its effective date, and withdraw. The adoptions and the services on
//! offer are shown a page at a time (`?seite=`); the form to request a
//! service offers every service of the catalogue.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::pages::GemeindePage;
use efa_proto::views::{MunicipalityRollout, ServiceSummary};
use efa_proto::{
    Actor, AdoptionStage, Ags, Date, LandCode, QueryKind, QueryReply, ServiceId, ServiceStatus,
};
use maud::{Markup, html};

use super::super::forms::{self, Attempt, Failure, FormData, Forms};
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::Col::Text;
use super::super::markup::{
    Field, choices, date_de, encode, hidden_input, items, section, table_or, thousands,
};
use super::super::paging;
use super::super::params::Params;
use super::super::view;
use super::super::visit::Visit;
use super::{all_listed, all_services, listed_title, service_link};
use crate::authz::{self, Rule};
use efa_api::contract::{Parsed, WriteBody, adoptions};

/// `GET /kommune?ags=&stichtag=`.
pub async fn show(visit: Visit, params: Params) -> Response {
    let ags = params.ags("ags").or(match visit.actor() {
        Some(Actor::Gemeinde(own)) => Some(*own),
        _ => None,
    });
    let notice = params.notice(&[("ags", ags.is_some())]);
    render(&visit, ags, &params, notice, None).await
}

/// How the page speaks of the municipality: to the municipality itself
/// ("Ihre Gemeinde"), or about it to anyone else (an operator, a Land,
/// the public).
#[derive(Debug, Clone, Copy)]
struct Voice {
    own: bool,
}

impl Voice {
    /// `own` said to the municipality itself, `other` to anyone else.
    fn say(self, own: &'static str, other: &'static str) -> &'static str {
        if self.own { own } else { other }
    }

    /// A service on offer the municipality's Land has not joined.
    fn not_joined(self) -> &'static str {
        self.say(
            // Never joined or left again: the page knows only that the Land
            // takes no part on the day.
            "Ihr Land nimmt nicht teil",
            "Das Land nimmt nicht teil",
        )
    }
}

/// Rows per page of the adoptions and of the services on offer.
const ROWS: u32 = 100;

async fn render(
    visit: &Visit,
    ags: Option<Ags>,
    params: &Params,
    notice: Option<Notice>,
    attempt: Option<&Attempt>,
) -> Response {
    let answer = |status, title: String, body: Markup, notice| {
        let page = Page::new(title, Nav::Kommune, body);
        visit.page(status, page.with_notice(notice))
    };
    let title = "Kommunen".to_owned();
    let picker = picker(visit, ags, &params.get("stichtag"));
    let Some(ags) = ags else {
        // A form sent without a readable AGS: its refusal, over the picker.
        let (status, notice) = forms::outcome(attempt, notice);
        return answer(status, title, picker, notice);
    };
    let number = params.number("seite", 1, 1_000_000).max(1);
    let as_of = params.date("stichtag");
    let page = paging::rows(number, ROWS);
    let kind = QueryKind::Gemeinde3 { ags, as_of, page };
    let gemeinde = match view(&visit.state, params.min_seq(), kind).await {
        Ok(QueryReply::Gemeinde3(Some(gemeinde))) => gemeinde,
        Ok(QueryReply::Gemeinde3(None)) => {
            // A municipality logged in with a token of its own, but not
            // (yet) in the registry, learns who registers it.
            let own = matches!(visit.actor(), Some(Actor::Gemeinde(own)) if *own == ags);
            let body = html! {
                (picker)
                p role="status" { "Unter dem Gemeindeschlüssel " (ags) " ist keine Gemeinde registriert." }
                @if own {
                    p {
                        "Ihre Gemeinde steht noch nicht im Register; Einführungen kann sie erst melden, \
                         wenn sie eingetragen ist. Die Registeradministration trägt die Gemeinden aus dem \
                         Gemeindeverzeichnis der Statistischen Ämter (GV100AD) ein, auch einzeln: Wenden \
                         Sie sich an sie oder an den IT-Dienstleister Ihres Landes."
                    }
                }
            };
            return answer(StatusCode::NOT_FOUND, title, body, notice);
        }
        _ => return visit.unavailable(Page::new(title, Nav::Kommune, picker)),
    };
    // The titles of the adopted services: the services on offer are a
    // page of their own, so an adoption's service need not be among them.
    let catalogue = all_services(&visit.state, params.min_seq(), as_of)
        .await
        .unwrap_or_default();
    let titles = Titles {
        catalogue: &catalogue,
        gemeinde: &gemeinde,
    };
    let pairs = [
        ("ags", ags.to_string()),
        ("stichtag", params.get("stichtag")),
    ];
    let more = gemeinde.next_offset.is_some();
    let nav = paging::nav("/kommune", &pairs, "seite", number, more);
    let allowed = visit
        .actor()
        .is_some_and(|actor| authz::allowed(actor, Rule::ForGemeinde(ags)).is_ok());
    // The forms act on today's state: a page of a past day shows none,
    // its adoptions and services being those of that day.
    let past = as_of.is_some_and(|day| day < visit.today);
    let may_act = allowed && !past;
    // The request form offers every service but those the municipality
    // runs, on whichever page of its adoptions they stand.
    let whole = match may_act && gemeinde.adoptions.len() < gemeinde.adoptions_total as usize {
        true => all_adoptions(visit, params.min_seq(), ags).await,
        false => None,
    };
    let forms = Forms { visit, attempt };
    let voice = Voice {
        own: matches!(visit.actor(), Some(Actor::Gemeinde(own)) if *own == ags),
    };
    let body = html! {
        (picker)
        (overview(&gemeinde, voice))
        (adoptions_html(&gemeinde, titles, as_of, may_act.then_some(&forms)))
        (nav)
        (available_html(&gemeinde, as_of, voice))
        (nav)
        @if may_act {
            (request_form(&forms, whole.as_ref().unwrap_or(&gemeinde), titles, voice))
        } @else if allowed {
            p role="status" {
                "Anträge und Schritte meldet man zum heutigen Stand: "
                a href={ "/kommune?ags=" (ags) } { "zur Seite von heute" } "."
            }
        } @else if visit.who.is_none() {
            p { a href="/anmelden?weiter=/kommune" { "Anmelden" } ", um Einführungen zu beantragen oder Schritte zu melden." }
        }
    };
    let (status, notice) = forms::outcome(attempt, notice);
    answer(status, format!("Kommune {}", gemeinde.name), body, notice)
}

fn picker(visit: &Visit, ags: Option<Ags>, stichtag: &str) -> Markup {
    let own = matches!(visit.actor(), Some(Actor::Gemeinde(own)) if Some(*own) == ags);
    html! {
        @if !own { p { "Wählen Sie eine Gemeinde über ihren amtlichen Gemeindeschlüssel (AGS, 8 Ziffern)." } }
        form.zeile method="get" action="/kommune" {
            (Field::new("auswahl", "ags", "Gemeindeschlüssel (AGS)").hint("z. B. 16051000 für Erfurt")
                .inputmode("numeric").pattern("[0-9]{8}").maxlength(8)
                .control("text", &ags.map(|a| a.to_string()).unwrap_or_default()))
            (Field::new("auswahl", "stichtag", "Stand am").hint("leer: heute").control("date", stichtag))
            button type="submit" { "Anzeigen" }
        }
    }
}

fn overview(gemeinde: &GemeindePage, voice: Voice) -> Markup {
    let population = gemeinde
        .population
        .map_or_else(|| "unbekannt".to_owned(), thousands);
    let facts = [
        ("Name", gemeinde.name.clone()),
        ("Gemeindeschlüssel", gemeinde.ags.to_string()),
        ("Land", gemeinde.ags.land().name().to_owned()),
        ("Einwohner", population),
        ("Status", gemeinde.status_de.clone()),
        ("Stand", date_de(gemeinde.as_of)),
    ];
    section("gemeinde", voice.say("Ihre Gemeinde", "Gemeinde")).with(html! {
        dl.fakten { @for (term, value) in facts { dt { (term) } dd { (value) } } }
    })
}

/// The adoptions, with the forms for the next step when `forms` are
/// shown; beneath each, the family's adoptions of the service that do not
/// count (its own beneath a predecessor's, a second predecessor's).
fn adoptions_html(
    gemeinde: &GemeindePage,
    titles: Titles<'_>,
    as_of: Option<Date>,
    forms: Option<&Forms<'_>>,
) -> Markup {
    let mut columns = vec![Text("Leistung"), Text("Stufe"), Text("seit")];
    if forms.is_some() {
        columns.push(Text("Nächster Schritt"));
    }
    let rows = html! {
        @for adoption in &gemeinde.adoptions {
            @let title = titles.of(&adoption.service);
            @let beneath: Vec<&MunicipalityRollout> = (gemeinde.beneath.iter())
                .filter(|under| under.service == adoption.service)
                .collect();
            @let own_runs = std::iter::once(adoption).chain(beneath.iter().copied()).any(|a| {
                a.adopter == a.ags && a.stage != AdoptionStage::Withdrawn
            });
            (adoption_row(adoption, &title, as_of, forms, (Place::Counts, own_runs)))
            @for under in &beneath {
                (adoption_row(under, &title, as_of, forms, (Place::Beneath, own_runs)))
            }
        }
    };
    let caption = html! { "Einführungen von " (gemeinde.name) " und ihr Stand" };
    section("einfuehrungen", "Einführungen").with(html! {
        (table_or("Noch keine Einführung beantragt.", caption, &columns, rows))
    })
}

/// Where an adoption stands on the page: the one that counts, or beneath
/// it (passed with whether the municipality's own adoption of the service
/// runs).
#[derive(Clone, Copy)]
enum Place {
    Counts,
    Beneath,
}

fn adoption_row(
    adoption: &MunicipalityRollout,
    title: &str,
    as_of: Option<Date>,
    forms: Option<&Forms<'_>>,
    (place, own_runs): (Place, bool),
) -> Markup {
    let own = adoption.adopter == adoption.ags;
    html! {
        tr {
            th scope="row" {
                @match place {
                    Place::Counts => {
                        (service_link(&adoption.service, title, as_of))
                        @if !own {
                            br;
                            small { "Einführung der Vorgängergemeinde " (adoption.adopter) }
                        }
                    }
                    Place::Beneath => {
                        small {
                            "darunter, zählt nicht: "
                            @if own { "die eigene Einführung" }
                            @else { "Einführung der Vorgängergemeinde " (adoption.adopter) }
                        }
                    }
                }
            }
            td { (adoption.stage.label_de()) }
            td { (date_de(adoption.since)) }
            @if let Some(forms) = forms { td { (step_forms(forms, adoption, title, own_runs)) } }
        }
    }
}

/// The forms for the next step of an adoption and for its withdrawal. A
/// predecessor's adoption takes no step any more, only its withdrawal
/// (under its AGS); the municipality's own takes both.
fn step_forms(
    forms: &Forms<'_>,
    adoption: &MunicipalityRollout,
    title: &str,
    own_runs: bool,
) -> Markup {
    if adoption.stage == AdoptionStage::Withdrawn {
        return html! { "–" };
    }
    let own = adoption.adopter == adoption.ags;
    let next = (adoptions::STEP_STAGES.into_iter())
        .filter(|stage| *stage > adoption.stage)
        .map(|stage| (stage.key(), stage.label_de()));
    let next = items(next);
    let step_id = format!("schritt-{}", adoption.service);
    let v = forms.values(&step_id);
    let withdrawal_id = match own {
        true => format!("zurueckziehen-{}", adoption.service),
        false => format!("zurueckziehen-{}-{}", adoption.service, adoption.adopter),
    };
    let withdrawal = forms.values(&withdrawal_id);
    let today = forms.visit.today.to_string();
    let keys = html! {
        (forms::hidden_fields(forms.visit))
        (hidden_input("ags", &adoption.ags.to_string()))
        (hidden_input("service", adoption.service.as_str()))
    };
    html! {
        @if !own {
            @if own_runs {
                p { "Schritte nimmt die eigene Einführung der Gemeinde an." }
            } @else {
                p { "Schritte nimmt nur eine eigene Einführung an; die Leistung kann unten beantragt werden." }
            }
        } @else if !next.is_empty() {
            form method="post" action="/kommune/schritt" aria-label={ "Schritt melden: " (title) } {
                (v.alert())
                (keys)
                (v.choice(Field::new(&step_id, "stage", "Schritt"), &next, ""))
                (v.input(Field::new(&step_id, "effective", "Wirksam ab"), "date", &today))
                (v.input(Field::new(&step_id, "note", "Bemerkung").maxlength(1000), "text", ""))
                button type="submit" { "Schritt melden" }
            }
        }
        @let whose = if own { String::new() } else { format!(" von {}", adoption.adopter) };
        form method="post" action="/kommune/zurueckziehen" aria-label={ "Einführung" (whose) " zurückziehen: " (title) } {
            (withdrawal.alert())
            (keys)
            @if !own { (hidden_input("adopter", &adoption.adopter.to_string())) }
            button.zweit type="submit" { "Einführung" (whose) " zurückziehen" }
        }
    }
}

/// The municipality's page of today with all its adoptions (up to the
/// largest page), if it can be read.
async fn all_adoptions(visit: &Visit, min_seq: u64, ags: Ags) -> Option<GemeindePage> {
    let page = paging::rows(1, efa_api::query::PAGE_LIMIT_MAX);
    let kind = QueryKind::Gemeinde3 {
        ags,
        as_of: None,
        page,
    };
    match view(&visit.state, min_seq, kind).await {
        Ok(QueryReply::Gemeinde3(page)) => page,
        _ => None,
    }
}

/// The form to request a service: any service on offer, not only those
/// on the page shown, when the catalogue could be read whole; `gemeinde`
/// holds the adoptions that keep a service from being asked for anew.
fn request_form(
    forms: &Forms<'_>,
    gemeinde: &GemeindePage,
    titles: Titles<'_>,
    voice: Voice,
) -> Markup {
    let f = "beantragen";
    let v = forms.values(f);
    // Only an own adoption still running, counted or beneath, keeps the
    // service from being asked for anew.
    let running = |id: &ServiceId| {
        (gemeinde.adoptions.iter().chain(&gemeinde.beneath))
            .any(|a| a.service == *id && a.stage != AdoptionStage::Withdrawn && a.adopter == a.ags)
    };
    let offer = titles
        .on_offer(gemeinde.ags.land())
        .into_iter()
        .filter(|(id, _, _)| !running(id))
        .map(|(id, title, joined)| match joined {
            true => (id.to_string(), title),
            false => (id.to_string(), format!("{title} – {}", voice.not_joined())),
        });
    let choices = choices("– bitte wählen –", offer);
    section("beantragen-titel", "Einführung beantragen").with(html! {
        form.block method="post" action="/kommune/beantragen" {
            (v.alert())
            (forms::hidden_fields(forms.visit))
            (hidden_input("ags", &gemeinde.ags.to_string()))
            (v.choice(Field::new(f, "service", "Leistung").required(), &choices, ""))
            (v.input(Field::new(f, "effective", "Beantragt am").hint("leer: heute"),
                "date", &forms.visit.today.to_string()))
            (v.input(Field::new(f, "note", "Bemerkung").hint("optional").maxlength(1000), "text", ""))
            button type="submit" { "Einführung beantragen" }
        }
    })
}

/// Where a service's title is found: the catalogue (every service, up to
/// its page's limit), else the page's services on offer.
#[derive(Clone, Copy)]
struct Titles<'a> {
    catalogue: &'a [ServiceSummary],
    gemeinde: &'a GemeindePage,
}

impl Titles<'_> {
    /// The title of a service, or its id.
    fn of(self, id: &ServiceId) -> String {
        let on_offer = || {
            (self.gemeinde.available.iter())
                .find(|(s, _, _)| s == id)
                .map(|(_, title, _)| title.clone())
        };
        listed_title(self.catalogue, id)
            .map(str::to_owned)
            .or_else(on_offer)
            .unwrap_or_else(|| id.to_string())
    }

    /// The services a municipality of `land` may request, with their
    /// titles and whether the Land takes part: from the catalogue when it
    /// was read whole (it stops at the largest page), else the page's
    /// services on offer.
    fn on_offer(self, land: LandCode) -> Vec<(ServiceId, String, bool)> {
        if self.catalogue.is_empty() || !all_listed(self.catalogue) {
            return self.gemeinde.available.clone();
        }
        (self.catalogue.iter())
            .filter(|s| s.service.status != ServiceStatus::Retired)
            .map(|s| {
                let joined = s.lands.contains(&land);
                (s.service.id.clone(), s.service.title.clone(), joined)
            })
            .collect()
    }
}

fn available_html(gemeinde: &GemeindePage, as_of: Option<Date>, voice: Voice) -> Markup {
    let stage = |id: &ServiceId| {
        (gemeinde.adoptions.iter())
            .find(|a| a.service == *id)
            .map_or_else(
                || "–".to_owned(),
                |a| match a.adopter == a.ags {
                    true => a.stage.label_de().to_owned(),
                    false => format!("{} (Vorgängergemeinde {})", a.stage.label_de(), a.adopter),
                },
            )
    };
    let rows = html! {
        @for (id, title, joined) in &gemeinde.available {
            tr {
                th scope="row" { (service_link(id, title, as_of)) }
                td { @if *joined { "nimmt teil" } @else { (voice.not_joined()) } }
                td { (stage(id)) }
            }
        }
    };
    section("verfuegbar", "Verfügbare Leistungen").with(html! {
        (table_or("Keine.", "Leistungen, die die Gemeinde einführen kann",
            &[Text("Leistung"), Text(voice.say("Ihr Land", "Land")), Text(voice.say("Ihre Einführung", "Einführung"))], rows))
    })
}

/// The command an adoption form describes, and its notice code.
fn build(action: &str, form: &FormData) -> Result<(Parsed, &'static str), Failure> {
    let ags = Ags::parse(form.get("ags"))
        .map_err(|_| Failure::invalid("ags", "muss ein Gemeindeschlüssel aus 8 Ziffern sein"))?;
    let (parsed, code) = match action {
        "beantragen" => {
            form.service()?;
            let request: adoptions::Request = form.read(&[])?;
            (request.command(()), "beantragt")
        }
        "schritt" => {
            let service = form.service()?;
            let step: adoptions::Step = form.read(&[])?;
            (step.command((service, ags)), "schritt")
        }
        "zurueckziehen" => {
            let service = form.service()?;
            // A predecessor's adoption runs under the predecessor's AGS.
            let adopter = match form.get("adopter") {
                "" => ags,
                text => Ags::parse(text).map_err(|_| {
                    Failure::invalid("adopter", "muss ein Gemeindeschlüssel aus 8 Ziffern sein")
                })?,
            };
            let withdrawal: adoptions::Withdrawal = form.read(&[])?;
            (withdrawal.command((service, adopter)), "zurueckgezogen")
        }
        _ => return Err(Failure::no_such_form()),
    };
    Ok((parsed.map_err(|r| Failure::rejected(&r))?, code))
}

/// `POST /kommune/{action}`.
pub async fn submit(visit: Visit, Path(action): Path<String>, form: FormData) -> Response {
    let ags = Ags::parse(form.get("ags")).ok();
    let back = ags.map_or_else(
        || "/kommune".to_owned(),
        |ags| format!("/kommune?ags={ags}"),
    );
    let failure = match forms::guard(&visit, &form) {
        Err(failure) if failure.status == StatusCode::UNAUTHORIZED => {
            let login = format!("/anmelden?weiter={}", encode(&back));
            return visit.redirect(&login, Vec::new());
        }
        Err(failure) => failure,
        Ok(actor) => match forms::send_built(&visit, &actor, &form, build(&action, &form)).await {
            Ok((accepted, code)) => {
                let separator = if back.contains('?') { '&' } else { '?' };
                let success = forms::success(code, &accepted);
                return visit.redirect(&format!("{back}{separator}{success}"), Vec::new());
            }
            Err(failure) => failure,
        },
    };
    let form_id = match (action.as_str(), form.get("adopter")) {
        ("beantragen", _) => action.clone(),
        (_, "") => format!("{action}-{}", form.get("service")),
        (_, adopter) => format!("{action}-{}-{adopter}", form.get("service")),
    };
    let (attempt, params) = (
        Attempt::new(form_id, form, failure),
        Params::from_pairs(&[("seq", &visit.state.written_seq())]),
    );
    render(&visit, ags, &params, None, Some(&attempt)).await
}
