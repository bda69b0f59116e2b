//! Reading the `Cookie` header and writing `Set-Cookie` values. Every
//! cookie the gateway sets is `HttpOnly` (no script reads it),
//! `SameSite=Strict` (no other site sends it along) and `Path=/`; it is
//! `Secure` when the request came over HTTPS through a proxy that says so
//! (`X-Forwarded-Proto: https`).

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The value of the cookie `name`, from any `Cookie` header; the first
/// one wins. Malformed pairs are skipped.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// Whether the request reached a proxy over HTTPS.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value. `max_age` in seconds; 0 deletes the cookie,
/// `None` makes it last until the browser closes.
pub fn set(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_are_found_by_name_in_any_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; efa_sitzung=xyz ;b"));
        headers.append(
            COOKIE,
            HeaderValue::from_static("efa_csrf=\"q\"; efa_sitzung=later"),
        );
        assert_eq!(get(&headers, "efa_sitzung"), Some("xyz"));
        assert_eq!(get(&headers, "efa_csrf"), Some("q"));
        assert_eq!(get(&headers, "a"), Some("1"));
        assert_eq!(get(&headers, "b"), None);
        assert_eq!(get(&headers, "efa"), None);
        assert_eq!(get(&HeaderMap::new(), "a"), None);
    }

    #[test]
    fn set_cookie_values_carry_the_safety_attributes() {
        assert_eq!(
            set("efa_sitzung", "v", Some(28_800), false),
            "efa_sitzung=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800"
        );
        assert!(set("x", "", Some(0), true).ends_with("Max-Age=0; Secure"));
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(is_https(&headers));
        assert!(!is_https(&HeaderMap::new()));
    }
}
