//! Protection of every form that writes against cross-site requests. The
//! token in a form's hidden field `csrf` is the HMAC of what it is bound
//! to: the session id of a logged-in person (so a token of one session is
//! worth nothing in another, and a login begins with a new one), or, on
//! the login form, a random nonce kept in the signed cookie `efa_csrf`. A
//! post passes only with the token of its own binding. Besides, a post
//! that a browser marks as cross-site (`Sec-Fetch-Site`) or whose `Origin`
//! is not this host is refused before any handler (`same_origin`); the
//! session cookie's `SameSite=Strict` is a third line of defence.

use axum::extract::Request;
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::crypto::SessionKey;

/// The name of the nonce cookie and of the hidden form field.
pub const COOKIE: &str = "efa_csrf";
pub const FIELD: &str = "csrf";

/// The token of forms bound to `binding` (a session id or a nonce).
pub fn token(key: &SessionKey, binding: &str) -> String {
    key.sign(&format!("efa-csrf-v2|{binding}"))
}

/// What a refused cross-site post is told.
pub const CROSS_SITE_MESSAGE: &str = "Anfragen von fremden Seiten werden nicht angenommen.";

/// Middleware for the pages: a POST that the browser says comes from
/// another site, or whose `Origin` names another host, is refused with
/// 403 before its form is read, with a German page as the forms' other
/// refusals (a bare text would become the generic problem document).
pub async fn same_origin(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && is_cross_site(request.headers()) {
        tracing::info!("a cross-site form post was refused");
        return super::layout::bare(StatusCode::FORBIDDEN, "Nicht erlaubt", CROSS_SITE_MESSAGE);
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return true;
    }
    // Behind a proxy the host the browser saw is the forwarded one.
    let host = text("x-forwarded-host")
        .and_then(|hosts| hosts.split(',').next())
        .map(str::trim)
        .or_else(|| text(HOST.as_str()));
    match (text(ORIGIN.as_str()), host) {
        (Some(origin), Some(host)) => {
            let authority = origin.split_once("://").map(|(_, rest)| rest);
            authority != Some(host)
        }
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_token_passes_only_for_its_own_binding() {
        let key = SessionKey::random();
        let mine = token(&key, "sitzung-a");
        assert_eq!(token(&key, "sitzung-a"), mine);
        assert_ne!(token(&key, "sitzung-b"), mine, "another session");
        assert_ne!(token(&SessionKey::random(), "sitzung-a"), mine);
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[
            ("host", "efa.example:8080"),
            ("origin", "https://efa.example:8080"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("host", "efa.example"),
            ("origin", "https://boese.example"),
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "efa.example")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "efa.example"),
            ("origin", "https://efa.example"),
        ])));
    }
}
