//! Web sessions across a restart of `efa up`: a session outlasts the
//! restart (its key is kept in the data dir), a logout does too (the
//! logouts are kept beside the key), so a copy of a cookie taken before
//! a logout stays worthless after the restart.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::up::stop_cleanly;
use crate::{children_of, demo_token, start_up};

/// The cookies a browser would hold, as one `Cookie` header.
#[derive(Debug, Clone, Default)]
struct Cookies(Vec<(String, String)>);

impl Cookies {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            self.0.retain(|(kept, _)| kept != name);
            if !text.contains("Max-Age=0") {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.join("; ")
    }
}

/// A browser's visits to one `efa up`.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(base: String) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { http, base }
    }

    async fn get(&self, cookies: &mut Cookies, path: &str) -> (StatusCode, String, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, cookies.header())
            .send()
            .await
            .unwrap();
        cookies.take(&response);
        let location = response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.status(), location, response.text().await.unwrap())
    }

    async fn post(&self, cookies: &mut Cookies, path: &str, form: &[(&str, &str)]) -> StatusCode {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookies.header())
            .form(form)
            .send()
            .await
            .unwrap();
        cookies.take(&response);
        response.status()
    }

    /// Logs in with `token`; the cookies of the session.
    async fn login(&self, token: &str) -> Cookies {
        let mut cookies = Cookies::default();
        let (_, _, page) = self.get(&mut cookies, "/anmelden").await;
        let csrf = csrf_of(&page);
        let form = [("csrf", csrf.as_str()), ("token", token)];
        let status = self.post(&mut cookies, "/anmelden", &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "logged in");
        cookies
    }

    /// Whether the cookies open Bremen's own page.
    async fn logged_in(&self, cookies: &Cookies) -> bool {
        let (status, location, page) = self.get(&mut cookies.clone(), "/land").await;
        match status {
            StatusCode::OK => page.contains("Angemeldet als"),
            StatusCode::SEE_OTHER if location.starts_with("/anmelden") => false,
            other => panic!("unexpected answer to /land: {other} {location}"),
        }
    }
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_logout_outlasts_a_restart_and_a_session_begun_after_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (guard, base) = start_up(&data, &[]).await;
    let nats_pids = children_of(guard.0.id());
    assert_eq!(nats_pids.len(), 1);
    let token = demo_token(&data, "land:04");
    let browser = Browser::new(base);

    let mut session = browser.login(&token).await;
    let copied = session.clone();
    let (status, _, page) = browser.get(&mut session, "/land").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let form = [("csrf", csrf.as_str())];
    let logout = browser.post(&mut session, "/abmelden", &form).await;
    assert_eq!(logout, StatusCode::SEE_OTHER);
    assert!(!browser.logged_in(&copied).await, "ended by the logout");
    let later = browser.login(&token).await;
    assert!(browser.logged_in(&later).await);

    stop_cleanly(guard, &nats_pids).await;
    let (_guard, base) = start_up(&data, &[]).await;
    let browser = Browser::new(base);
    assert!(
        !browser.logged_in(&copied).await,
        "a session ended by a logout stays ended after a restart"
    );
    assert!(
        browser.logged_in(&later).await,
        "a session begun after the logout outlasts the restart"
    );
}
