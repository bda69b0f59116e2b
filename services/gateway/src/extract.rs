//! Extractors: the parts of a request (caller, idempotency key,
//! precondition, path parameters, JSON body) read into typed values, each
//! refusing with an `ApiError` (and so a problem document) instead of
//! axum's plain-text rejections. Handlers list them in this order, which is
//! the order the checks run in: who, which key, which version, where, what.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH, TRANSFER_ENCODING,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use efa_proto::{Actor, Ags, LandCode, REGISTER_YEARS, ServiceId};

use crate::idempotency;
use crate::problem::ApiError;
use crate::state::AppState;
use efa_api::contract::field::{LAND_FORMAT, SLUG_FORMAT, no_land_in};
use efa_api::contract::form::digits;

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest(detail.into())
}

/// The token of an `Authorization: Bearer` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The principal of the request's `Authorization: Bearer` token, if the
/// gateway knows it.
fn caller(headers: &HeaderMap, state: &AppState) -> Option<Actor> {
    bearer_token(headers).and_then(|token| state.tokens.current().authenticate(token).cloned())
}

/// Every API request: a credential it sends must be one the gateway
/// knows, also where none is needed (reads are public). A script with a
/// mistyped or revoked token hears so (401) at its first read, not only
/// at its first write, and is not answered as if it were someone.
pub async fn known_credentials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.headers().contains_key(AUTHORIZATION) {
        match caller(request.headers(), &state) {
            Some(actor) => crate::telemetry::record_principal(&actor),
            None => return ApiError::Unauthorized.into_response(),
        }
    }
    next.run(request).await
}

/// `If-Match: "N"` (or `N`): the version the caller last saw.
fn parse_version(text: &str) -> Option<u64> {
    let text = text.trim();
    digits(
        text.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text),
    )
}

/// A JSON request body, syntactically valid and naming no key twice; its
/// meaning is read later, into its request struct (`read`).
#[derive(Debug, Clone)]
pub struct JsonBody(pub Bytes);

impl JsonBody {
    /// The body as the request struct `T`; a bad field is a 422 naming it.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        efa_api::contract::from_json(&self.0).map_err(ApiError::rejected)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(bad(
                "Der Inhalt muss JSON sein (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    bad("Der Inhalt der Anfrage konnte nicht gelesen werden.")
                }
            })?;
        crate::json::check_unique(&bytes)
            .map(|()| Self(bytes))
            .map_err(|error| bad(format!("Der Inhalt ist kein gültiges JSON: {error}.")))
    }
}

/// A JSON body that may be left out (`DELETE`, requests whose fields are
/// all optional): no body, or an empty one, reads as `{}`.
#[derive(Debug, Clone)]
pub struct OptionalJsonBody(pub JsonBody);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers();
        let declared_empty = headers
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() == b"0");
        // Without a length, a type or a transfer encoding, HTTP/1.1 has no body.
        let bodiless = [CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING]
            .iter()
            .all(|name| !headers.contains_key(name));
        if declared_empty || bodiless {
            return Ok(Self(JsonBody(Bytes::from_static(b"{}"))));
        }
        JsonBody::from_request(request, state).await.map(Self)
    }
}

/// Everything a write needs besides its body: the caller (from
/// `Authorization: Bearer <token>`), the `Idempotency-Key` and the
/// optional precondition `If-Match`, checked in that order.
#[derive(Debug, Clone)]
pub struct WriteHeaders {
    pub actor: Actor,
    pub key: String,
    pub expected_version: Option<u64>,
}

impl FromRequestParts<AppState> for WriteHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let headers = &parts.headers;
        let actor = caller(headers, state)
            .inspect(crate::telemetry::record_principal)
            .ok_or(ApiError::Unauthorized)?;
        let key = headers
            .get("idempotency-key")
            .ok_or(ApiError::MissingIdempotencyKey)?
            .to_str()
            .ok()
            .filter(|key| idempotency::valid_key(key))
            .ok_or_else(|| {
                let max = idempotency::KEY_CHARS_MAX;
                bad(format!(
                    "Der Idempotency-Key muss aus 1 bis {max} sichtbaren ASCII-Zeichen bestehen."
                ))
            })?;
        let expected_version = match headers.get(IF_MATCH).map(HeaderValue::to_str) {
            None => None,
            // `*` matches any current representation (RFC 9110, 13.1.1):
            // no version to hold the write to; a write whose target is
            // missing is refused by the domain itself (404).
            Some(Ok(any)) if any.trim() == "*" => None,
            Some(value) => Some(value.ok().and_then(parse_version).ok_or_else(|| {
                bad("If-Match muss eine Versionsnummer sein, etwa \"3\", oder *.")
            })?),
        };
        Ok(Self {
            actor,
            key: key.to_owned(),
            expected_version,
        })
    }
}

/// The parameters in the path (`/services/{id}`), by name, read into
/// identifiers on demand; a bad one is a 400 naming it.
#[derive(Debug, Clone)]
pub struct PathParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|Path(params)| Self(params))
            .map_err(|_| bad("Die Adresse enthält ungültige Zeichen."))
    }
}

impl PathParams {
    fn parse<T, E>(
        &self,
        name: &str,
        format: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, ApiError> {
        let value = self.0.iter().find(|(key, _)| key == name);
        parse(value.map_or("", |(_, value)| value.as_str()))
            .map_err(|_| bad(format!("Der Pfadparameter „{name}“ {format}.")))
    }

    /// A whole number in `T` that `accept` takes.
    fn whole<T: TryFrom<u64>>(
        &self,
        name: &str,
        format: &str,
        accept: impl Fn(&T) -> bool,
    ) -> Result<T, ApiError> {
        self.parse(name, format, |text| {
            digits(text)
                .and_then(|n| T::try_from(n).ok())
                .filter(&accept)
                .ok_or(())
        })
    }

    /// A service id (`{id}`, `{service}`).
    pub fn service(&self, name: &str) -> Result<ServiceId, ApiError> {
        self.parse(name, SLUG_FORMAT, ServiceId::parse)
    }

    pub fn ags(&self, name: &str) -> Result<Ags, ApiError> {
        let text = self.0.iter().find(|(key, _)| key == name);
        let land = text.and_then(|(_, text)| no_land_in(text, 8));
        let format = land
            .as_deref()
            .unwrap_or("muss ein Gemeindeschlüssel aus 8 Ziffern sein");
        self.parse(name, format, Ags::parse)
    }

    pub fn land(&self, name: &str) -> Result<LandCode, ApiError> {
        self.parse(name, LAND_FORMAT, LandCode::parse)
    }

    /// A year the registry keeps costs for (`{year}`): any other names
    /// nothing, most likely by a typing error.
    pub fn year(&self, name: &str) -> Result<u16, ApiError> {
        let (first, last) = (REGISTER_YEARS.start(), REGISTER_YEARS.end());
        let format = format!("muss eine Jahreszahl von {first} bis {last} sein");
        self.whole(name, &format, |year| REGISTER_YEARS.contains(year))
    }

    /// A positive or zero number (`{cost_no}`).
    pub fn number(&self, name: &str) -> Result<u32, ApiError> {
        self.whole(name, "muss eine nicht-negative ganze Zahl sein", |_| true)
    }
}

/// The identifiers a write takes from its path, each read from the
/// parameter its routes name it by; `()` for a write without any.
pub trait FromPath: Sized {
    fn from_path(path: &PathParams) -> Result<Self, ApiError>;
}

impl FromPath for () {
    fn from_path(_: &PathParams) -> Result<Self, ApiError> {
        Ok(())
    }
}

/// `{id}` of `/api/v1/services/{id}/…`.
impl FromPath for ServiceId {
    fn from_path(path: &PathParams) -> Result<Self, ApiError> {
        path.service("id")
    }
}

/// `{ags}` of `/api/v1/gemeinden/{ags}/…`.
impl FromPath for Ags {
    fn from_path(path: &PathParams) -> Result<Self, ApiError> {
        path.ags("ags")
    }
}

/// `{id}` and `{cost_no}` of `/api/v1/services/{id}/costs/{cost_no}/…`.
impl FromPath for (ServiceId, u32) {
    fn from_path(path: &PathParams) -> Result<Self, ApiError> {
        Ok((path.service("id")?, path.number("cost_no")?))
    }
}

/// `{service}` and `{ags}` of `/api/v1/adoptions/{service}/{ags}/…`.
impl FromPath for (ServiceId, Ags) {
    fn from_path(path: &PathParams) -> Result<Self, ApiError> {
        Ok((path.service("service")?, path.ags("ags")?))
    }
}

/// `application/json` or any `application/*+json`, with parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default();
    let essence = essence.trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(name: axum::http::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn a_path_year_is_one_the_registry_keeps_costs_for() {
        let year = |text: &str| PathParams(vec![("year".into(), text.into())]).year("year");
        assert_eq!(year("2000").ok(), Some(2000));
        assert_eq!(year("2100").ok(), Some(2100));
        for refused in ["1999", "2101", "0", "65536", "20x3", ""] {
            assert!(year(refused).is_err(), "{refused} was taken");
        }
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        assert_eq!(
            bearer_token(&headers(AUTHORIZATION, "Bearer efa_abc")),
            Some("efa_abc")
        );
        assert_eq!(
            bearer_token(&headers(AUTHORIZATION, "bearer  efa_abc ")),
            Some("efa_abc")
        );
        assert_eq!(
            bearer_token(&headers(AUTHORIZATION, "Basic dXNlcjpwdw==")),
            None
        );
        assert_eq!(bearer_token(&headers(AUTHORIZATION, "Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn versions_may_be_quoted() {
        assert_eq!(parse_version("\"3\""), Some(3));
        assert_eq!(parse_version("3"), Some(3));
        for bad in [
            "",
            "\"\"",
            "*",
            "W/\"3\"",
            "-1",
            "3a",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json(&headers(CONTENT_TYPE, "application/json")));
        assert!(is_json(&headers(
            CONTENT_TYPE,
            "Application/JSON; charset=utf-8"
        )));
        assert!(is_json(&headers(
            CONTENT_TYPE,
            "application/merge-patch+json"
        )));
        assert!(!is_json(&headers(CONTENT_TYPE, "text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
