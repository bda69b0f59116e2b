//! Forms that write: reading the posted fields, the checks every post
//! passes before anything is sent (logged in, CSRF token, the gateway's
//! early authorisation), reading them into the API's request structs
//! (`FormData::read`, so a form and the API build the same command and
//! name the same field when it is wrong), sending the command with an
//! idempotency key carried by the form (`vorgang`, so a form sent twice is
//! recorded once), and what a refusal looks like when the form is shown
//! again with the entered values.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use efa_proto::{Accepted, Actor, Rejection, ServiceId};
use maud::{Markup, html};

use super::csrf;
use super::layout::{self, Notice};
use super::markup::{Field, hidden_input};
use super::visit::Visit;
use crate::problem::ApiError;
use crate::{idempotency, problem};
use efa_api::contract::{Parsed, form};

/// The fields of a posted form, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Form::<Vec<(String, String)>>::from_request(request, state).await {
            Ok(Form(pairs)) => Ok(Self(pairs)),
            Err(rejection) => Err(layout::bare(
                rejection.status(),
                "Ungültiges Formular",
                unreadable_form(&rejection),
            )),
        }
    }
}

/// Why a posted body is no form, in German (axum's own texts are English).
fn unreadable_form(rejection: &FormRejection) -> &'static str {
    match rejection {
        FormRejection::InvalidFormContentType(_) => {
            "Das Formular konnte nicht gelesen werden: Es wurde nicht als Formular gesendet \
             (Content-Type: application/x-www-form-urlencoded)."
        }
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            "Das Formular konnte nicht gelesen werden: Es ist größer als erlaubt."
        }
        _ => "Das Formular konnte nicht gelesen werden: Seine Felder sind fehlerhaft kodiert.",
    }
}

impl FormData {
    /// A form with these fields, as a test posts it.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.trim())
    }

    /// The form read into the API's request struct `T`, with `extra`
    /// fields the page sets (the caller's own Land), which no posted field
    /// of the same name overrides; a refusal names the form field.
    pub fn read<T: serde::de::DeserializeOwned>(
        &self,
        extra: &[(&str, String)],
    ) -> Result<T, Failure> {
        let mut pairs: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        pairs.extend(
            (self.0.iter())
                .filter(|(name, _)| !extra.iter().any(|(set, _)| set == name))
                .cloned(),
        );
        efa_api::contract::form::from_form(&pairs).map_err(|r| Failure::rejected(&r))
    }

    /// The service the form chose.
    pub fn service(&self) -> Result<ServiceId, Failure> {
        ServiceId::parse(self.get("service"))
            .map_err(|_| Failure::invalid("service", "bitte eine Leistung wählen"))
    }

    /// The same form with the value of `name` replaced by `value`.
    pub fn with(&self, name: &str, value: String) -> Self {
        let mut pairs: Vec<_> = self.0.iter().filter(|(k, _)| k != name).cloned().collect();
        pairs.push((name.to_owned(), value));
        Self(pairs)
    }
}

/// Why a form was not accepted, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
    /// The form field the message is about, if one.
    pub field: Option<String>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// A form action no page offers: 404.
    pub fn no_such_form() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Dieses Formular gibt es nicht.")
    }

    /// A form field whose value is not valid, for `reason`.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::rejected(&Rejection::invalid(field, reason))
    }

    /// An error of the API's path a form took: its rejection, or that the
    /// registry could not be reached.
    pub fn of_api(error: ApiError) -> Self {
        match error {
            ApiError::Rejected { rejection, .. } => Self::rejected(&rejection),
            error => {
                tracing::warn!(%error, "a form could not reach the ledger");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Das Register ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.",
                )
            }
        }
    }

    /// A rejection of the builders, the gateway or the ledger, in the
    /// words of the API's problem documents.
    pub fn rejected(rejection: &Rejection) -> Self {
        let (field, message) = match rejection {
            Rejection::Invalid { field, reason } => (
                Some(form::field_name(field)),
                format!(
                    "Die Angabe „{}“ ist ungültig: {reason}.",
                    form::label_de(field)
                ),
            ),
            other => (None, problem::rejection_detail(other)),
        };
        Self {
            status: problem::rejection_status(rejection, false),
            message,
            field,
        }
    }
}

/// A form that was sent and refused: shown again with what was entered.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Which form on the page (forms repeated per row add the row's key,
    /// e.g. `schritt-wohngeld`).
    pub form: String,
    pub data: FormData,
    pub failure: Failure,
}

impl Attempt {
    pub fn new(form: String, data: FormData, failure: Failure) -> Self {
        Self {
            form,
            data,
            failure,
        }
    }
}

/// The forms of one page: the visit they are shown in, and the form that
/// was sent and refused, if one.
#[derive(Debug, Clone, Copy)]
pub struct Forms<'a> {
    pub visit: &'a Visit,
    pub attempt: Option<&'a Attempt>,
}

impl<'a> Forms<'a> {
    /// What the form `id` shows.
    pub fn values(&self, id: &str) -> Values<'a> {
        Values::of(id, self.attempt)
    }
}

/// The status and notice of a page that shows a refused form again (the
/// refusal), or of one that does not (200 and `notice`).
pub fn outcome(attempt: Option<&Attempt>, notice: Option<Notice>) -> (StatusCode, Option<Notice>) {
    let Some(Attempt { failure, .. }) = attempt else {
        return (StatusCode::OK, notice);
    };
    let refusal = Notice::Error(format!("Nicht angenommen: {}", failure.message));
    (failure.status, Some(refusal))
}

/// What one form on a page shows: entered values and errors after a
/// refusal, defaults otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    attempt: Option<&'a Attempt>,
}

impl<'a> Values<'a> {
    pub fn of(form: &str, attempt: Option<&'a Attempt>) -> Self {
        Self {
            attempt: attempt.filter(|a| a.form == form),
        }
    }

    /// The entered value, or `default` if the form was not sent.
    pub fn get(&self, name: &str, default: &str) -> String {
        match self.attempt {
            Some(attempt) => attempt.data.get(name).to_owned(),
            None => default.to_owned(),
        }
    }

    /// The error message for `name`.
    pub fn error(&self, name: &str) -> Option<&'a str> {
        self.attempt
            .filter(|a| a.failure.field.as_deref() == Some(name))
            .map(|a| a.failure.message.as_str())
    }

    /// `field` with its error, as an `<input>` of `kind` with the entered
    /// value (or `default`).
    pub fn input(&self, field: Field<'a>, kind: &str, default: &str) -> Markup {
        let name = field.name;
        field
            .error(self.error(name))
            .control(kind, &self.get(name, default))
    }

    /// `field` with its error, as a select with the entered choice (or
    /// `default`).
    pub fn choice(&self, field: Field<'a>, items: &[(String, String)], default: &str) -> Markup {
        let name = field.name;
        field
            .error(self.error(name))
            .choice(items, &self.get(name, default))
    }

    /// The message above the form, if it was refused.
    pub fn alert(&self) -> Markup {
        html! {
            @if let Some(attempt) = self.attempt {
                p.hinweis.fehler role="alert" { (attempt.failure.message) }
            }
        }
    }
}

/// The hidden fields every writing form carries: the CSRF token and a
/// fresh idempotency key.
pub fn hidden_fields(visit: &Visit) -> Markup {
    html! {
        (visit.csrf_input())
        (hidden_input("vorgang", &crate::crypto::random_hex()))
    }
}

const CSRF_MESSAGE: &str = "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. \
     Bitte laden Sie die Seite neu und senden Sie es noch einmal.";

/// The checks before a form is read: the CSRF token, then the login.
pub fn guard(visit: &Visit, form: &FormData) -> Result<Actor, Failure> {
    if !visit.csrf_ok(form.get(csrf::FIELD)) {
        return Err(Failure::new(StatusCode::FORBIDDEN, CSRF_MESSAGE));
    }
    visit
        .actor()
        .cloned()
        .ok_or_else(|| Failure::new(StatusCode::UNAUTHORIZED, "Bitte melden Sie sich an."))
}

/// Sends the command `built` from a form, passing on what came with it.
pub async fn send_built<T>(
    visit: &Visit,
    actor: &Actor,
    form: &FormData,
    built: Result<(Parsed, T), Failure>,
) -> Result<(Accepted, T), Failure> {
    let (parsed, with) = built?;
    Ok((send(visit, actor, form, parsed).await?, with))
}

/// `erfolg=…&seq=…`: the notice for an accepted form (`wiederholt` when
/// the ledger answered a repeated form from memory) and the sequence the
/// page it leads to waits for.
pub fn success(code: &'static str, accepted: &Accepted) -> String {
    let (replayed, seq) = (accepted.replayed, accepted.last_seq);
    let code = if replayed { "wiederholt" } else { code };
    format!("erfolg={code}&seq={seq}")
}

/// Sends a command built from a form, after the early authorisation.
pub async fn send(
    visit: &Visit,
    actor: &Actor,
    form: &FormData,
    parsed: Parsed,
) -> Result<Accepted, Failure> {
    let key = Some(form.get("vorgang"))
        .filter(|key| idempotency::valid_key(key))
        .map_or_else(crate::crypto::random_hex, str::to_owned);
    let key = format!("web:{key}");
    crate::state::submit(&visit.state, actor, &key, None, parsed)
        .await
        .map_err(Failure::of_api)
}

#[cfg(test)]
mod tests {
    use super::*;
    use efa_api::contract::WriteBody;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData::of(pairs)
    }

    #[test]
    fn a_form_reads_into_the_api_struct() {
        use efa_api::contract::services::{CostReport, Details};
        let data = form(&[
            ("year", " 2024 "),
            ("category", "operation"),
            ("amount", "1234,5"),
            ("note", " "),
            ("_csrf", "x"),
        ]);
        let cost: CostReport = data.read(&[]).unwrap();
        assert_eq!(cost.year.0, 2024);
        assert_eq!(cost.amount.map(|a| a.0), Some(efa_proto::Cents(123_450)));
        assert!(cost.note.is_none());
        let failure = data
            .with("year", "zwei".into())
            .read::<CostReport>(&[])
            .unwrap_err();
        assert_eq!(failure.field.as_deref(), Some("year"));
        let details = form(&[
            ("title", "T"),
            ("themenfeld", "X"),
            ("provider", "P"),
            ("channel", "fit-store"),
            ("cost_model_kind", "population"),
            ("leika", "1, 2,"),
            ("cost_model_year", "2016"),
        ]);
        let service = efa_proto::ServiceId::parse("wohngeld").unwrap();
        let read: Details = details.read(&[]).unwrap();
        let rejection = read.command(service).unwrap_err();
        let failure = Failure::rejected(&rejection);
        assert_eq!(failure.field.as_deref(), Some("cost_model_year"));
        let details: Details = details
            .with("cost_model_year", String::new())
            .read(&[])
            .unwrap();
        assert_eq!(details.leika.map(|l| l.len()), Some(2));
        // What the page sets, a posted field cannot change.
        let posted = form(&[("land", "09")]);
        let join: efa_api::contract::services::Join =
            posted.read(&[("land", "04".into())]).unwrap();
        assert_eq!(join.land.get(), 4);
    }

    #[test]
    fn refusals_name_the_form_field() {
        let failure = Failure::rejected(&Rejection::invalid("cost_model.year", "x"));
        assert_eq!(failure.field.as_deref(), Some("cost_model_year"));
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
        let attempt = Attempt {
            form: "kosten".to_owned(),
            data: form(&[("amount", "12,345")]),
            failure: Failure::rejected(&Rejection::invalid("amount", "zu genau")),
        };
        let values = Values::of("kosten", Some(&attempt));
        assert_eq!(values.get("amount", "0"), "12,345");
        assert_eq!(
            values.error("amount"),
            Some("Die Angabe „Betrag“ ist ungültig: zu genau.")
        );
        assert!(values.alert().into_string().contains("role=\"alert\""));
        let input = values.input(Field::new("kosten", "amount", "Betrag"), "text", "0");
        let input = input.into_string();
        assert!(input.contains("value=\"12,345\"") && input.contains("aria-invalid=\"true\""));
        let other = Values::of("status", Some(&attempt));
        assert_eq!(other.get("amount", "0"), "0");
        assert_eq!(other.error("amount"), None);
    }

    #[test]
    fn a_repeated_form_leads_to_its_own_notice() {
        let mut accepted = Accepted {
            first_seq: 6,
            last_seq: 7,
            stream_version: 1,
            replayed: false,
        };
        assert_eq!(success("kosten", &accepted), "erfolg=kosten&seq=7");
        accepted.replayed = true;
        assert_eq!(success("kosten", &accepted), "erfolg=wiederholt&seq=7");
    }
}
