//! The attributes of every cookie the gateway sets: `HttpOnly` (no script
//! reads it), `SameSite=Strict` (no other site sends it along) and
//! `Path=/`; `Secure` when the request came over HTTPS through a proxy
//! that says so (`X-Forwarded-Proto: https`). Reading and signing is
//! axum-extra's signed cookie jar (see `visit`).

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, SameSite};

/// Whether the request reached a proxy over HTTPS.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// A cookie to be signed and set. `max_age` in seconds; 0 deletes the
/// cookie, `None` makes it last until the browser closes.
pub fn build(
    name: &'static str,
    value: String,
    max_age: Option<u64>,
    secure: bool,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure);
    if let Some(seconds) = max_age {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    cookie.build()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_carry_the_safety_attributes() {
        let text = build("efa_sitzung", "v".into(), Some(28_800), false).to_string();
        for part in [
            "efa_sitzung=v",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=28800",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!text.contains("Secure"));
        assert!(
            build("x", String::new(), Some(0), true)
                .to_string()
                .contains("Secure")
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(is_https(&headers));
        assert!(!is_https(&HeaderMap::new()));
    }
}
