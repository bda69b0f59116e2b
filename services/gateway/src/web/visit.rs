//! One request to a web page: who is logged in (from the signed session
//! cookie, checked against the token table), the CSRF token the page's
//! forms carry (the valid one from the cookie, or a new one that the
//! answer sets), today's date, and the client address for the login
//! limit. Every page and redirect is answered through a `Visit`, so the
//! cookies and security headers are set in one place.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use efa_proto::{Actor, Date};

use super::{cookies, csrf, layout, session};
use crate::routes::AppState;

/// No scripts, no foreign resources: the stylesheet comes from the gateway.
pub const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A logged-in person: the token's name and principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub name: String,
    pub actor: Actor,
}

impl Who {
    /// The principal in words: "Land Bremen", "Gemeinde 16051000".
    pub fn role_de(&self) -> String {
        match &self.actor {
            Actor::Land(land) => format!("Land {}", land.name()),
            Actor::Gemeinde(ags) => format!("Gemeinde {ags}"),
            Actor::Operator(id) => format!("Betreiber {id}"),
            Actor::Admin => "Administration".to_owned(),
        }
    }
}

/// The request as the pages see it.
#[derive(Debug, Clone)]
pub struct Visit {
    pub who: Option<Who>,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// Whether the `csrf` cookie must be (re)set with the answer.
    new_csrf: bool,
    /// The `csrf` cookie as the request sent it.
    pub csrf_cookie: Option<String>,
    /// Whether the request sent a session cookie that is no longer valid.
    stale_session: bool,
    pub secure: bool,
    pub today: Date,
    pub client: IpAddr,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = &state.web.key;
        let headers = &parts.headers;
        let session_cookie = cookies::get(headers, session::COOKIE);
        let tokens = state.tokens.current();
        let who = session_cookie
            .and_then(|value| session::decode(key, value, session::now()))
            .and_then(|claim| tokens.holder(&claim.token_hash))
            .map(|(name, actor)| Who {
                name: name.to_owned(),
                actor: actor.clone(),
            });
        let csrf_cookie = cookies::get(headers, csrf::COOKIE).map(str::to_owned);
        let valid = csrf_cookie
            .as_deref()
            .filter(|token| csrf::is_signed(key, token))
            .map(str::to_owned);
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(Self {
            stale_session: session_cookie.is_some() && who.is_none(),
            who,
            new_csrf: valid.is_none(),
            csrf: valid.unwrap_or_else(|| csrf::issue(key)),
            csrf_cookie,
            secure: cookies::is_https(headers),
            today: today(),
            client,
        })
    }
}

/// Today (UTC); a clock outside the registry's years reads as 2000-01-01.
pub fn today() -> Date {
    let days = i32::try_from(session::now() / 86_400).unwrap_or(i32::MAX);
    Date::try_from(days)
        .unwrap_or_else(|_| Date::from_ymd(2000, 1, 1).expect("2000-01-01 is a valid date"))
}

impl Visit {
    pub fn actor(&self) -> Option<&Actor> {
        self.who.as_ref().map(|who| &who.actor)
    }

    /// A hidden field with the CSRF token, for every form that writes.
    pub fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            csrf::FIELD,
            crate::html::escape(&self.csrf)
        )
    }

    fn cookies(&self) -> Vec<String> {
        let mut set = Vec::new();
        if self.new_csrf {
            set.push(cookies::set(csrf::COOKIE, &self.csrf, None, self.secure));
        }
        if self.stale_session {
            set.push(cookies::set(session::COOKIE, "", Some(0), self.secure));
        }
        set
    }

    /// A page: the layout around `body`, with status and headers.
    /// A page that could not be made answers with its error status; a 503
    /// says when to try again, like the API's.
    pub fn page(&self, status: StatusCode, page: layout::Page) -> Response {
        let html = layout::render(self, &page);
        let mut response = (status, Html(html)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            );
        }
        self.finish(&mut response, Vec::new());
        response
    }

    /// A 303 redirect to `location` (a path of this site), with extra
    /// `Set-Cookie` values.
    pub fn redirect(&self, location: &str, extra_cookies: Vec<String>) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(value) = HeaderValue::from_str(location) {
            response.headers_mut().insert(LOCATION, value);
        }
        self.finish(&mut response, extra_cookies);
        response
    }

    fn finish(&self, response: &mut Response, extra_cookies: Vec<String>) {
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
        let extra_names: Vec<&str> = extra_cookies
            .iter()
            .filter_map(|c| c.split('=').next())
            .collect();
        for cookie in self
            .cookies()
            .into_iter()
            .filter(|c| !extra_names.contains(&c.split('=').next().unwrap_or_default()))
            .chain(extra_cookies.iter().cloned())
        {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, value);
            }
        }
    }
}
