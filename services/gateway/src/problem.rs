//! The one place where failures become HTTP. Every error the gateway can
//! meet (its own checks of a request, the typed rejections of the ledger
//! and the projector, NATS being away) is mapped here to a status code and
//! an RFC 9457 problem document with a German title and detail, and logged
//! once. A middleware finally stamps each problem with the request path
//! and turns the bare error responses of axum and tower-http (405, 413 of
//! the body limit) into problem documents too.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use efa_api::problem::{PROBLEM_CONTENT_TYPE, ProblemJson};
use efa_proto::Rejection;
use efa_runtime::RpcError;

/// Everything that can make a request fail at the gateway.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no valid bearer token")]
    Unauthorized,
    #[error("no Idempotency-Key header")]
    MissingIdempotencyKey,
    /// The request itself is unusable; the detail is a German sentence.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Nothing there; the detail is a German sentence.
    #[error("not found: {0}")]
    NotFound(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The caller's address sent more requests than the rate limit allows;
    /// it may try again after this many seconds.
    #[error("too many requests; retry after {0} s")]
    TooManyRequests(u64),
    /// A typed rejection, from the gateway's own parsing or from a service.
    /// `if_match` tells whether the caller sent a precondition.
    #[error("rejected: {rejection}")]
    Rejected {
        rejection: Rejection,
        if_match: bool,
    },
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A service answered with a reply that does not fit the request.
    #[error("unexpected reply from {0}")]
    UnexpectedReply(&'static str),
    /// The gateway has as many requests in hand as it takes
    /// ([`crate::overload`]); this one is refused at once.
    #[error("busy: too many requests in flight")]
    Busy,
    /// The request took longer than the gateway allows for one.
    #[error("request timed out after {0} ms")]
    TimedOut(u64),
    /// `/readyz`: what is missing, named for people.
    #[error("not ready: {}", .0.join(", "))]
    NotReady(Vec<&'static str>),
    /// The gateway could not make the answer itself; names what failed.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl ApiError {
    /// A rejection that is not an answer to a precondition.
    pub fn rejected(rejection: Rejection) -> Self {
        Self::Rejected {
            rejection,
            if_match: false,
        }
    }
}

/// The HTTP status of a typed rejection. A version conflict is 412 when the
/// caller stated the version (`If-Match`), 409 when the ledger found it.
pub fn rejection_status(rejection: &Rejection, if_match: bool) -> StatusCode {
    match rejection {
        Rejection::Malformed { .. } | Rejection::UnsupportedSchema { .. } => {
            StatusCode::BAD_REQUEST
        }
        Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Rejection::Invalid { .. } | Rejection::IdempotencyKeyReused => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Rejection::Forbidden { .. } => StatusCode::FORBIDDEN,
        Rejection::NotFound { .. } => StatusCode::NOT_FOUND,
        Rejection::AlreadyExists { .. } => StatusCode::CONFLICT,
        Rejection::Conflict { .. } if if_match => StatusCode::PRECONDITION_FAILED,
        Rejection::Conflict { .. } => StatusCode::CONFLICT,
        Rejection::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Rejection::InvalidState { .. } => StatusCode::CONFLICT,
        Rejection::YearClosed { .. } => StatusCode::CONFLICT,
        Rejection::TooFarBack { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Rejection::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Rejection::AnswerTooLarge { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        // The ledger did not take the gateway's own signature: a setup
        // fault between the services, not the caller's.
        Rejection::Unsigned
        | Rejection::UnknownSigner { .. }
        | Rejection::BadSignature { .. }
        | Rejection::SignerNotAllowed { .. } => StatusCode::BAD_GATEWAY,
    }
}

/// A German sentence explaining a rejection to the caller. A signature
/// the ledger did not take is the gateway's setup, so the sentence says
/// who must act.
pub fn rejection_detail(rejection: &Rejection) -> String {
    match rejection {
        Rejection::Unsigned
        | Rejection::UnknownSigner { .. }
        | Rejection::BadSignature { .. }
        | Rejection::SignerNotAllowed { .. } => format!(
            "Das Ledger hat die Signatur des Gateways nicht angenommen ({rejection}). \
             Die Administration muss den Schlüssel des Gateways beim Ledger hinterlegen."
        ),
        other => other.message_de(),
    }
}

const UNREACHABLE_DETAIL: &str =
    "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.";

/// An RFC 9457 problem document with the headers that belong to it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// The request path; set by [`finish`].
    pub instance: Option<String>,
    pub headers: HeaderMap,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            instance: None,
            headers: HeaderMap::new(),
        }
    }

    /// `Retry-After` in whole seconds, at least 1.
    fn retry_after(mut self, seconds: u64) -> Self {
        if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
            self.headers.insert(RETRY_AFTER, value);
        }
        self
    }

    /// For an error response that was made without a problem document.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::new(status, "not-found", "Diese Adresse gibt es nicht."),
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "method-not-allowed",
                "Diese Methode ist für diese Adresse nicht erlaubt.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::from(&ApiError::PayloadTooLarge),
            status if status.is_client_error() => {
                Self::new(status, "bad-request", "Die Anfrage ist ungültig.")
            }
            _ => Self::new(
                status,
                "internal-error",
                "Bei der Bearbeitung ist ein Fehler aufgetreten.",
            ),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> String {
        let document = ProblemJson::new(
            self.code,
            self.status.as_u16(),
            &self.detail,
            self.instance.as_deref(),
        );
        serde_json::to_string(&document).unwrap_or_default()
    }
}

impl From<&ApiError> for Problem {
    fn from(error: &ApiError) -> Self {
        use StatusCode as S;
        let (status, code, detail) = match error {
            ApiError::Unauthorized => (
                S::UNAUTHORIZED,
                "unauthorized",
                "Für diese Anfrage ist ein gültiges Zugangstoken nötig (Authorization: Bearer …).".to_owned(),
            ),
            ApiError::MissingIdempotencyKey => (
                S::BAD_REQUEST,
                "missing-idempotency-key",
                "Der Header Idempotency-Key fehlt. Jede schreibende Anfrage braucht einen eindeutigen Schlüssel.".to_owned(),
            ),
            ApiError::BadRequest(detail) => (S::BAD_REQUEST, "bad-request", detail.clone()),
            ApiError::NotFound(detail) => (S::NOT_FOUND, "not-found", detail.clone()),
            ApiError::PayloadTooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                format!(
                    "Die Anfrage ist größer als erlaubt ({} KiB).",
                    efa_api::keys::BODY_BYTES_MAX / 1024
                ),
            ),
            ApiError::TooManyRequests(seconds) => (
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                format!(
                    "Zu viele Anfragen von dieser Adresse. Bitte in {seconds} Sekunden erneut versuchen."
                ),
            ),
            ApiError::Rejected {
                rejection,
                if_match,
            } => (
                rejection_status(rejection, *if_match),
                rejection.code(),
                rejection_detail(rejection),
            ),
            ApiError::Rpc(RpcError::Decode { .. }) | ApiError::UnexpectedReply(_) => (
                S::BAD_GATEWAY,
                "bad-gateway",
                "Ein Dienst des Registers hat eine unverständliche Antwort geschickt.".to_owned(),
            ),
            ApiError::Rpc(_) => (
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                UNREACHABLE_DETAIL.to_owned(),
            ),
            ApiError::Busy => (S::SERVICE_UNAVAILABLE, "busy", efa_proto::rejection::BUSY_DE.to_owned()),
            ApiError::TimedOut(ms) => (
                S::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "Die Anfrage hat länger gedauert als erlaubt ({ms} ms). Bitte später erneut versuchen."
                ),
            ),
            ApiError::NotReady(missing) => (
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                format!("Das Register ist nicht bereit. Es fehlt: {}.", missing.join(", ")),
            ),
            ApiError::Internal(_) => (
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Die Antwort konnte nicht erstellt werden. Bitte die Administration verständigen."
                    .to_owned(),
            ),
        };
        let mut problem = Problem::new(status, code, detail);
        if let ApiError::Unauthorized = error {
            let bearer = HeaderValue::from_static("Bearer");
            problem.headers.insert(WWW_AUTHENTICATE, bearer);
        }
        if let Some(seconds) = retry_after(error) {
            problem = problem.retry_after(seconds);
        }
        problem
    }
}

/// After how many seconds a refused caller may try again, where it may.
fn retry_after(error: &ApiError) -> Option<u64> {
    match error {
        ApiError::TooManyRequests(seconds) => Some(*seconds),
        ApiError::Rejected {
            rejection: Rejection::Busy { retry_after_ms },
            ..
        } => Some(u64::from(retry_after_ms.div_ceil(1000))),
        ApiError::Rejected {
            rejection: Rejection::Unavailable { .. },
            ..
        }
        | ApiError::Busy
        | ApiError::TimedOut(_) => Some(1),
        ApiError::Rpc(RpcError::Decode { .. }) => None,
        ApiError::Rpc(_) => Some(1),
        _ => None,
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(CONTENT_TYPE, PROBLEM_CONTENT_TYPE)],
            self.to_json(),
        )
            .into_response();
        response.headers_mut().extend(self.headers.clone());
        response.extensions_mut().insert(self);
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem::from(&self);
        match &self {
            ApiError::Rpc(_) | ApiError::UnexpectedReply(_) => {
                tracing::warn!(error = %self, "request failed")
            }
            ApiError::NotReady(_) => tracing::debug!(error = %self, "not ready"),
            _ if problem.status.is_server_error() => {
                tracing::info!(error = %self, "request failed")
            }
            _ => tracing::debug!(error = %self, "request refused"),
        }
        problem.into_response()
    }
}

/// A problem document already, or a web page (whose errors are pages for
/// people, not problem documents).
fn is_finished(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|value| {
        let value = value.as_bytes();
        value.starts_with(PROBLEM_CONTENT_TYPE.as_bytes()) || value.starts_with(b"text/html")
    })
}

/// Middleware: every error response leaves as a problem document naming
/// the request path as its `instance`, except the web pages' own.
pub async fn finish(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => problem,
        None if is_finished(&parts.headers) => {
            return Response::from_parts(parts, body);
        }
        None => Problem::for_status(status),
    };
    problem.instance = Some(path);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(problem.to_json()))
}

#[cfg(test)]
mod tests {
    use efa_proto::ForbiddenReason;

    use super::*;

    #[test]
    fn a_closed_year_says_what_may_still_change_it() {
        let detail = rejection_detail(&Rejection::YearClosed { year: 2024 });
        assert!(
            detail.starts_with("Das Jahr 2024 ist abgerechnet"),
            "{detail}"
        );
        assert!(detail.contains("als Berichtigung"), "{detail}");
        assert!(detail.contains("Kostenmodell"), "{detail}");
    }

    #[test]
    fn rejections_map_to_their_status() {
        let cases = [
            (Rejection::Malformed { reason: "x".into() }, 400),
            (
                Rejection::UnsupportedSchema {
                    got: 9,
                    supported: 1,
                },
                400,
            ),
            (Rejection::TooLarge { bytes: 2, max: 1 }, 413),
            (Rejection::invalid("title", "leer"), 422),
            (
                Rejection::Forbidden {
                    reason: ForbiddenReason::NotOwnLand,
                },
                403,
            ),
            (Rejection::NotFound { what: "x".into() }, 404),
            (Rejection::AlreadyExists { what: "x".into() }, 409),
            (
                Rejection::Conflict {
                    expected: 1,
                    actual: 2,
                },
                409,
            ),
            (Rejection::IdempotencyKeyReused, 422),
            (Rejection::Unavailable { reason: "x".into() }, 503),
            (
                Rejection::Busy {
                    retry_after_ms: 1500,
                },
                503,
            ),
            (Rejection::AnswerTooLarge { bytes: 2, max: 1 }, 500),
        ];
        for (rejection, status) in cases {
            assert_eq!(
                rejection_status(&rejection, false).as_u16(),
                status,
                "{rejection:?}"
            );
        }
        let conflict = Rejection::Conflict {
            expected: 1,
            actual: 2,
        };
        assert_eq!(
            rejection_status(&conflict, true),
            StatusCode::PRECONDITION_FAILED
        );
    }

    #[test]
    fn rpc_failures_are_unavailable_or_bad_gateway() {
        let no_one = ApiError::Rpc(RpcError::NoResponders {
            subject: "efa.cmd".into(),
        });
        let timeout = ApiError::Rpc(RpcError::TimedOut {
            subject: "efa.cmd".into(),
            timeout_ms: 5,
        });
        let transport = ApiError::Rpc(RpcError::Transport {
            subject: "efa.cmd".into(),
            reason: "x".into(),
        });
        let garbled = ApiError::Rpc(RpcError::Decode {
            subject: "efa.cmd".into(),
            source: efa_proto::DecodeError::Malformed("x".into()),
        });
        for error in [no_one, timeout, transport] {
            let problem = Problem::from(&error);
            assert_eq!(problem.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(problem.code, "service-unavailable");
            assert!(problem.detail.contains("nicht erreichbar"));
        }
        assert_eq!(Problem::from(&garbled).status, StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn problem_documents_have_the_rfc_9457_members() {
        let mut problem =
            Problem::from(&ApiError::rejected(Rejection::invalid("lead", "kein Land")));
        problem.instance = Some("/api/v1/services".into());
        let json: serde_json::Value = serde_json::from_str(&problem.to_json()).unwrap();
        assert_eq!(json["type"], "urn:efa-registry:problem:invalid");
        assert_eq!(json["title"], "Ungültige Angaben");
        assert_eq!(json["status"], 422);
        assert_eq!(json["detail"], "Das Feld „lead“ ist ungültig: kein Land.");
        assert_eq!(json["instance"], "/api/v1/services");
    }

    #[test]
    fn busy_answers_say_when_to_retry() {
        let busy = ApiError::rejected(Rejection::Busy {
            retry_after_ms: 1500,
        })
        .into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[RETRY_AFTER], "2");
        let own = ApiError::Busy.into_response();
        assert_eq!(own.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(own.headers()[RETRY_AFTER], "1");
    }

    #[test]
    fn unauthorized_asks_for_a_bearer_token() {
        let response = ApiError::Unauthorized.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer");
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_CONTENT_TYPE);
    }
}
