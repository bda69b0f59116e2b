//! Protection of every form that writes against cross-site requests, by
//! the signed double-submit pattern: a random nonce with its HMAC lives in
//! the cookie `efa_csrf` and in a hidden field `csrf` of each form; a post
//! is accepted only if both are equal (compared in constant time) and the
//! signature is the gateway's. Another site can neither read the cookie
//! nor make one the gateway signed. The session cookie's `SameSite=Strict`
//! is a second line of defence.

use super::crypto::{SessionKey, constant_time_eq, random_hex};

/// The name of the cookie and of the hidden form field.
pub const COOKIE: &str = "efa_csrf";
pub const FIELD: &str = "csrf";

fn message(nonce: &str) -> String {
    format!("efa-csrf-v1|{nonce}")
}

/// A new token: `nonce.mac`.
pub fn issue(key: &SessionKey) -> String {
    let nonce = random_hex();
    format!("{nonce}.{}", key.sign(&message(&nonce)))
}

/// Whether a token (from the cookie) was made by this gateway.
pub fn is_signed(key: &SessionKey, token: &str) -> bool {
    match token.split_once('.') {
        Some((nonce, mac)) if !nonce.is_empty() => key.verify(&message(nonce), mac),
        _ => false,
    }
}

/// Whether a post may pass: the cookie's token is signed and the form
/// field repeats it.
pub fn check(key: &SessionKey, cookie: Option<&str>, field: Option<&str>) -> bool {
    match (cookie, field) {
        (Some(cookie), Some(field)) => {
            is_signed(key, cookie) && constant_time_eq(cookie.as_bytes(), field.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_passes_only_with_the_same_signed_token_in_cookie_and_field() {
        let key = SessionKey::random();
        let token = issue(&key);
        assert!(is_signed(&key, &token));
        assert!(check(&key, Some(&token), Some(&token)));
        assert!(!check(&key, Some(&token), None), "no field");
        assert!(!check(&key, None, Some(&token)), "no cookie");
        let other = issue(&key);
        assert!(!check(&key, Some(&token), Some(&other)), "another token");
        let forged = format!("{}.{}", "0".repeat(32), "1".repeat(64));
        assert!(!check(&key, Some(&forged), Some(&forged)), "not signed");
        let foreign = issue(&SessionKey::random());
        assert!(!check(&key, Some(&foreign), Some(&foreign)), "another key");
        assert!(!is_signed(&key, ""));
        assert!(!is_signed(&key, ".abc"));
    }
}
