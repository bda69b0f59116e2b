//! The problem documents (RFC 9457) the API answers a failure with: their
//! members, their type URNs and the German title of each problem code.
//! Which failure becomes which status and detail is the gateway's.

use serde::Serialize;
use utoipa::ToSchema;

/// The media type of a problem document.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
/// Problem types are URNs: `urn:efa-registry:problem:<code>`.
const TYPE_PREFIX: &str = "urn:efa-registry:problem:";

/// The members of a problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemJson<'a> {
    #[serde(rename = "type")]
    #[schema(pattern = "^urn:efa-registry:problem:[a-z0-9-]+$")]
    kind: String,
    title: &'static str,
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    detail: &'a str,
    /// Set on every answer by [`finish`], so always there for a client.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required)]
    instance: Option<&'a str>,
}

impl<'a> ProblemJson<'a> {
    /// The document of the problem `code`, its title looked up.
    pub fn new(code: &str, status: u16, detail: &'a str, instance: Option<&'a str>) -> Self {
        Self {
            kind: format!("{TYPE_PREFIX}{code}"),
            title: title(code),
            status,
            detail,
            instance,
        }
    }
}

/// The short German title of each problem code.
pub fn title(code: &str) -> &'static str {
    match code {
        "malformed" => "Fehlerhafte Nachricht",
        "unsupported-schema" => "Nicht unterstützte Schema-Version",
        "too-large" => "Nachricht zu groß",
        "invalid" => "Ungültige Angaben",
        "forbidden" => "Nicht erlaubt",
        "not-found" => "Nicht gefunden",
        "already-exists" => "Bereits vorhanden",
        "conflict" => "Versionskonflikt",
        "invalid-state" => "Im aktuellen Zustand nicht möglich",
        "year-closed" => "Jahr abgerechnet",
        "too-far-back" => "Zu weit zurückdatiert",
        "idempotency-key-reused" => "Idempotency-Key wiederverwendet",
        "unsigned" | "unknown-signer" | "bad-signature" | "signer-not-allowed" => {
            "Signatur nicht angenommen"
        }
        "unavailable" | "service-unavailable" => "Dienst nicht verfügbar",
        "unauthorized" => "Anmeldung erforderlich",
        "missing-idempotency-key" => "Idempotency-Key fehlt",
        "bad-request" => "Ungültige Anfrage",
        "payload-too-large" => "Anfrage zu groß",
        "bad-gateway" => "Ungültige Antwort eines Dienstes",
        "method-not-allowed" => "Methode nicht erlaubt",
        "too-many-requests" => "Zu viele Anfragen",
        "busy" => "Ausgelastet",
        "answer-too-large" => "Antwort zu groß",
        "timeout" => "Zeitüberschreitung",
        _ => "Interner Fehler",
    }
}
