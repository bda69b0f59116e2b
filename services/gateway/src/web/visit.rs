//! One request to a web page: the gateway's state, who is logged in (from
//! the signed session cookie, checked against the token table and the
//! logouts), the CSRF token the page's forms carry (bound to the session,
//! or before a login to the nonce cookie, which the answer sets when it is
//! new), today's date, and the client address for the login limit. Every
//! page and redirect is answered through a `Visit`, so the cookies and
//! security headers are set in one place; as it carries the state, a
//! page's handler needs no other extractor for it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SignedCookieJar};
use efa_proto::{Actor, Date};
use subtle::ConstantTimeEq;

use super::layout::Page;
use super::{cookies, csrf, layout, session};
use crate::state::AppState;

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
    pub state: AppState,
    pub who: Option<Who>,
    /// The valid session, if any.
    pub session: Option<session::Claim>,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// What every answer sets: a new nonce cookie, and the deletion of a
    /// session cookie that is no longer valid.
    cookies: Vec<Cookie<'static>>,
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
        let jar = SignedCookieJar::from_headers(&parts.headers, key.cookie_key().clone());
        let (tokens, logouts) = (state.tokens.current(), &state.web.logouts);
        let (session, who) = jar
            .get(session::COOKIE)
            .and_then(|cookie| session::Claim::decode(cookie.value(), session::now_ms()))
            .filter(|claim| !logouts.has_ended(&claim.token_hash, claim.issued_ms))
            .and_then(|claim| {
                let (name, actor) = tokens.holder(&claim.token_hash)?;
                let who = Who {
                    name: name.to_owned(),
                    actor: actor.clone(),
                };
                Some((claim, who))
            })
            .unzip();
        if let Some(who) = &who {
            crate::telemetry::record_principal(&who.actor);
        }
        let secure = cookies::is_https(&parts.headers);
        let mut set = Vec::new();
        let nonce = match jar.get(csrf::COOKIE).filter(|c| !c.value().is_empty()) {
            Some(cookie) => cookie.value().to_owned(),
            None => {
                let nonce = crate::crypto::random_hex();
                set.push(cookies::build(csrf::COOKIE, nonce.clone(), None, secure));
                nonce
            }
        };
        let sent_session = CookieJar::from_headers(&parts.headers)
            .get(session::COOKIE)
            .is_some();
        if sent_session && who.is_none() {
            let ended = cookies::build(session::COOKIE, String::new(), Some(0), secure);
            set.push(ended);
        }
        let binding = session.as_ref().map_or(&nonce, |claim| &claim.id);
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(Self {
            state: state.clone(),
            who,
            csrf: csrf::token(key, binding),
            session,
            cookies: set,
            secure,
            today: today(),
            client,
        })
    }
}

/// Today (UTC); a clock outside the registry's years reads as 2000-01-01.
fn today() -> Date {
    let days = i32::try_from(session::now_ms() / 86_400_000).unwrap_or(i32::MAX);
    Date::try_from(days)
        .unwrap_or_else(|_| Date::from_ymd(2000, 1, 1).expect("2000-01-01 is a valid date"))
}

impl Visit {
    pub fn actor(&self) -> Option<&Actor> {
        self.who.as_ref().map(|who| &who.actor)
    }

    /// A hidden field with the CSRF token, for every form that writes.
    pub fn csrf_input(&self) -> maud::Markup {
        super::markup::hidden_input(csrf::FIELD, &self.csrf)
    }

    /// Whether a posted form carries this visit's CSRF token.
    pub fn csrf_ok(&self, posted: &str) -> bool {
        !posted.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(posted.as_bytes()))
    }

    /// A page: the layout around `body`, with status and headers.
    /// A page that could not be made answers with its error status; a 503
    /// says when to try again, like the API's.
    pub fn page(&self, status: StatusCode, page: Page) -> Response {
        let mut response = (status, Html(layout::render(self, &page))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let headers = response.headers_mut();
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        self.finish(response, Vec::new())
    }

    /// `page` with a 503 and the notice that its data could not be read.
    pub fn unavailable(&self, page: Page) -> Response {
        self.page(
            StatusCode::SERVICE_UNAVAILABLE,
            page.error(super::UNAVAILABLE),
        )
    }

    /// A 303 redirect to `location` (a path of this site), with extra
    /// `Set-Cookie` values.
    pub fn redirect(&self, location: &str, extra_cookies: Vec<Cookie<'static>>) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(value) = HeaderValue::from_str(location) {
            response.headers_mut().insert(LOCATION, value);
        }
        self.finish(response, extra_cookies)
    }

    fn finish(&self, mut response: Response, extra_cookies: Vec<Cookie<'static>>) -> Response {
        let headers = response.headers_mut();
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
        // An extra cookie replaces the visit's own of the same name.
        let mut jar = SignedCookieJar::new(self.state.web.key.cookie_key().clone());
        for cookie in self.cookies.iter().cloned().chain(extra_cookies) {
            jar = jar.add(cookie);
        }
        (jar, response).into_response()
    }
}
