//! The web pages over HTTP: login with a token (session cookie flags,
//! CSRF, the limit on failed logins), forms that become the same commands
//! as the API and redirect with a notice, refusals shown again with the
//! entered values, the early 403, and the separation of cookie and bearer
//! token. The stand-in projector answers with the samples.

use efa_proto::{Cents, Command, CostCategory, ReportCost};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};

use crate::harness::{Harness, land, next};
use crate::reads::answer;
use crate::samples::id;

/// A browser's cookie jar, enough for these tests.
#[derive(Debug, Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name);
            if !text.contains("Max-Age=0") {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF field")
        + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

/// The content of the section with `id` on `page`, up to its end.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let (_, rest) = page
        .split_once(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}: {page}"));
    rest.split("</section>").next().unwrap_or_default()
}

async fn get(harness: &Harness, jar: &mut Jar, path: &str) -> (StatusCode, String) {
    let response = harness
        .http
        .get(harness.url(path))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    jar.take(&response);
    (response.status(), response.text().await.unwrap())
}

async fn post(
    harness: &Harness,
    jar: &mut Jar,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let response = harness
        .http
        .post(harness.url(path))
        .header(COOKIE, jar.header())
        .form(form)
        .send()
        .await
        .unwrap();
    jar.take(&response);
    response
}

/// Logs in as `principal` and returns the jar and a CSRF token.
async fn login(harness: &Harness, principal: &str) -> (Jar, String) {
    let mut jar = Jar::default();
    let (_, page) = get(harness, &mut jar, "/anmelden").await;
    let csrf = csrf_of(&page);
    let token = harness.token_of(principal).to_owned();
    let response = post(
        harness,
        &mut jar,
        "/anmelden",
        &[("csrf", &csrf), ("token", &token)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(jar.has("efa_sitzung"));
    // The forms' token is bound to the new session.
    let (_, page) = get(harness, &mut jar, "/anmelden").await;
    let bound = csrf_of(&page);
    assert_ne!(bound, csrf, "a login begins with a new CSRF token");
    (jar, bound)
}

#[tokio::test]
async fn logging_in_sets_a_safe_session_cookie_and_out_removes_it() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/anmelden").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<html lang=\"de\">")
            && page.contains("<label for=\"anmelden-token\">Zugangstoken")
    );
    let csrf = csrf_of(&page);
    let token = harness.token_of("land:04").to_owned();
    let response = post(
        &harness,
        &mut jar,
        "/anmelden",
        &[("csrf", &csrf), ("token", &token)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/land?erfolg=angemeldet");
    let session = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("efa_sitzung="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(
        !session.contains(&token),
        "the token itself is not in the cookie"
    );
    let (status, page) = get(&harness, &mut jar, "/land?erfolg=angemeldet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Angemeldet als <strong>Test land:04</strong> (Land Bremen)"),
        "{page}"
    );
    assert!(page.contains("Sie sind angemeldet."));
    assert!(page.contains("Leistung ankündigen") && page.contains("Kosten melden"));

    let response = post(&harness, &mut jar, "/abmelden", &[("csrf", &csrf)]).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the login form's token is not the session's"
    );
    let csrf = csrf_of(&page);
    let copied = jar.clone();
    let response = post(&harness, &mut jar, "/abmelden", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!jar.has("efa_sitzung"));
    let (_, page) = get(&harness, &mut jar, "/katalog").await;
    assert!(page.contains(">Anmelden</a>"));
    // A copy of the cookie taken before the logout is worth nothing.
    let mut copied = copied;
    let (_, page) = get(&harness, &mut copied, "/land").await;
    assert!(!page.contains("Angemeldet als"), "{page}");
    assert!(!copied.has("efa_sitzung"), "the stale cookie is deleted");
}

#[tokio::test]
async fn a_csrf_token_serves_only_its_own_session_and_cross_site_posts_are_refused() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let (mut first, first_csrf) = login(&harness, "land:04").await;
    let (mut second, second_csrf) = login(&harness, "land:04").await;
    assert_ne!(first_csrf, second_csrf);
    let response = post(&harness, &mut second, "/abmelden", &[("csrf", &first_csrf)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    for (name, value) in [
        ("origin", "https://boese.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = harness
            .http
            .post(harness.url("/abmelden"))
            .header(COOKIE, first.header())
            .header(name, value)
            .form(&[("csrf", first_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let host = harness.url("").trim_end_matches('/').to_owned();
    let response = harness
        .http
        .post(harness.url("/abmelden"))
        .header(COOKIE, first.header())
        .header("origin", host)
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", first_csrf.as_str())])
        .send()
        .await
        .unwrap();
    first.take(&response);
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "same origin passes"
    );
    assert!(!first.has("efa_sitzung"));
}

/// A cross-site post is refused with a German page saying why, as the
/// forms' other refusals, not with the generic problem of a bad request.
#[tokio::test]
async fn a_cross_site_post_is_refused_with_a_german_page() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    for path in ["/anmelden", "/abmelden", "/land/kosten"] {
        let response = harness
            .http
            .post(harness.url(path))
            .header("origin", "http://evil.example")
            .form(&[("token", "efa_x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("<html lang=\"de\">"), "{page}");
        assert!(page.contains("<title>Nicht erlaubt"), "{page}");
        assert!(
            page.contains("Anfragen von fremden Seiten werden nicht angenommen."),
            "{page}"
        );
    }
}

/// A post whose body is no form is answered with a German page that says
/// so, not with axum's English sentence.
#[tokio::test]
async fn a_post_that_is_no_form_is_refused_with_a_german_page() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    for path in ["/anmelden", "/abmelden"] {
        for content_type in [None, Some("application/json")] {
            let mut request = harness.http.post(harness.url(path)).body("token=efa_x");
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} {content_type:?}"
            );
            let page = response.text().await.unwrap();
            assert!(page.contains("<head><meta charset=\"utf-8\">"), "{page}");
            assert!(page.contains("nicht als Formular gesendet"), "{page}");
            assert!(!page.contains("Form requests"), "{page}");
        }
    }
}

#[tokio::test]
async fn a_login_needs_the_csrf_token_and_attempts_are_limited() {
    let harness = Harness::start().await;
    let mut jar = Jar::default();
    let (_, page) = get(&harness, &mut jar, "/anmelden").await;
    let csrf = csrf_of(&page);
    let response = post(
        &harness,
        &mut jar,
        "/anmelden",
        &[("token", harness.token_of("admin"))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Das Formular ist abgelaufen")
    );
    for _ in 0..efa_gateway::LOGIN_ATTEMPTS_MAX {
        let response = post(
            &harness,
            &mut jar,
            "/anmelden",
            &[("csrf", &csrf), ("token", "efa_falsch")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Das Zugangstoken ist nicht gültig.")
        );
    }
    let good = harness.token_of("admin").to_owned();
    let response = post(
        &harness,
        &mut jar,
        "/anmelden",
        &[("csrf", &csrf), ("token", &good)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Zu viele Anmeldeversuche")
    );
    assert!(!jar.has("efa_sitzung"));
}

#[tokio::test]
async fn a_cost_form_sends_the_api_command_and_redirects_with_a_notice() {
    let harness = Harness::start().await;
    let mut queries = harness.projector(answer).await;
    let mut envelopes = harness.ledger().await;
    let (mut jar, csrf) = login(&harness, "land:04").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("vorgang", "v1"),
        ("service", "wohngeld"),
        ("year", "2024"),
        ("category", "development"),
        ("amount", "12.500,50"),
        ("note", "Hosting"),
        ("effective", "2024-12-31"),
    ];
    let response = post(&harness, &mut jar, "/land/kosten", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/leistungen/wohngeld?erfolg=kosten&seq=42&jahr=2024"
    );
    let envelope = next(&mut envelopes).await;
    assert_eq!(envelope.actor, efa_proto::Actor::Land(land(4)));
    assert_eq!(
        envelope.command,
        Command::ReportCost(ReportCost {
            service: id(),
            year: 2024,
            category: CostCategory::Development,
            amount: Cents(1_250_050),
            note: "Hosting".into()
        })
    );
    let (status, page) = get(
        &harness,
        &mut jar,
        "/leistungen/wohngeld?erfolg=kosten&seq=42&jahr=2024",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Die Kosten wurden gemeldet."));

    let response = post(&harness, &mut jar, "/land/kosten", &form[1..]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let bad = [
        ("csrf", csrf.as_str()),
        ("service", "wohngeld"),
        ("year", "2024"),
        ("category", "operation"),
        ("amount", "12,345"),
    ];
    let response = post(&harness, &mut jar, "/land/kosten", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("value=\"12,345\""),
        "the entered value is shown again"
    );
    assert!(page.contains("Die Angabe „Betrag“ ist ungültig"), "{page}");
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(envelopes.try_recv().is_err(), "refused forms send nothing");
    // The page shown again read views that had applied the write before.
    let mut last = None;
    while let Ok(query) = queries.try_recv() {
        last = Some(query);
    }
    assert_eq!(last.expect("the page asked the projector").min_seq, 42);
}

#[tokio::test]
async fn forms_refuse_early_what_the_principal_can_never_do() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut envelopes = harness.ledger().await;
    let (mut jar, csrf) = login(&harness, "gemeinde:04011000").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("ags", "16051000"),
        ("service", "wohngeld"),
    ];
    let response = post(&harness, &mut jar, "/kommune/beantragen", &form).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.text().await.unwrap().contains(
            "Für eine Kommune handeln nur die Kommune selbst, ihr Land und die Betreiber"
        )
    );
    let (mut erfurt, csrf) = login(&harness, "gemeinde:16051000").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("ags", "16051000"),
        ("service", "wohngeld"),
        ("stage", "live"),
        ("effective", "2024-05-01"),
    ];
    let response = post(&harness, &mut erfurt, "/kommune/schritt", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/kommune?ags=16051000&erfolg=schritt&seq=42"
    );
    assert!(matches!(
        next(&mut envelopes).await.command,
        Command::RecordAdoptionStep(_)
    ));
    // An AGS that does not read: the refusal, not the bare picker.
    let form = [
        ("csrf", csrf.as_str()),
        ("ags", "1605"),
        ("service", "wohngeld"),
    ];
    let response = post(&harness, &mut erfurt, "/kommune/beantragen", &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Nicht angenommen:"), "{page}");
    assert!(envelopes.try_recv().is_err());
}

#[tokio::test]
async fn the_cookie_is_no_api_credential_and_the_token_no_page_login() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let (jar, csrf) = login(&harness, "land:04").await;
    let response = harness
        .http
        .post(harness.url("/api/v1/services"))
        .header(COOKIE, jar.header())
        .header("Idempotency-Key", "k")
        .json(&crate::harness::valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = harness
        .http
        .post(harness.url("/land/status"))
        .bearer_auth(harness.token_of("land:04"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("service", "wohngeld"),
            ("status", "pilot"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "no CSRF cookie, no session"
    );
}

#[tokio::test]
async fn every_page_renders_for_the_public() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut jar = Jar::default();
    let pages = [
        ("/", "Katalog der EfA-Leistungen"),
        (
            "/katalog?land=16&status=available&sortierung=reuse",
            "41 Leistungen",
        ),
        ("/leistungen/wohngeld?jahr=2023", "Kostenaufteilung 2023"),
        (
            "/leistungen/wohngeld?jahr=2023",
            "Für 2023 gilt das Kostenmodell „Königsteiner Schlüssel 2016“ (seit der Ankündigung), \
             Schlüsseljahr 2016",
        ),
        ("/laender", "Thüringen"),
        ("/laender/16", "Kostenanteile Thüringen"),
        (
            "/laender/01/kostenaufstellung?jahr=2023",
            "beruht auf dem Ledger bis Sequenz <span id=\"sequenz\">42</span>",
        ),
        ("/kommune?ags=16051000", "Verfügbare Leistungen"),
        ("/rollout?land=16", "Abdeckung je Kreis"),
        ("/audit", "Hash-Kette geprüft bis Sequenz"),
        ("/anmelden", "Zugangstoken"),
    ];
    for (path, text) in pages {
        let (status, page) = get(&harness, &mut jar, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(text), "{path}: {text}\n{page}");
        assert!(
            page.contains("<html lang=\"de\">") && page.contains("<main id=\"inhalt\">"),
            "{path}"
        );
        assert!(
            page.contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"/icon.svg\">"),
            "{path}"
        );
    }
    // The Land page's costs come from the statement, today and as of a
    // date (the stand-in's statement has +418,58 €, its Land costs
    // -418,58 €).
    let (status, page) = get(
        &harness,
        &mut jar,
        "/laender/01?stichtag=2024-06-30&jahr=2023",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(">418,58 €<") && !page.contains("-418,58"),
        "{page}"
    );
    let (_, page) = get(&harness, &mut jar, "/laender/01?jahr=2023").await;
    assert!(
        page.contains(">418,58 €<") && !page.contains("-418,58") && !page.contains("Nachtrag"),
        "{page}"
    );
    // The Land's page leads to its rollout monitor, as of its date.
    let (_, page) = get(&harness, &mut jar, "/laender/16?stichtag=2024-06-30").await;
    assert!(
        page.contains(
            "href=\"/rollout?land=16&amp;stichtag=2024-06-30\">Rollout-Monitor Thüringen<"
        ),
        "{page}"
    );
    // A Königsteiner weight reads as the published percentage, not as
    // its units of 1/100,000 percent ("339.074").
    for path in ["/laender/01?jahr=2023", "/leistungen/wohngeld?jahr=2023"] {
        let (_, page) = get(&harness, &mut jar, path).await;
        assert!(page.contains(">3,39074 %<"), "{path}\n{page}");
    }
    // A year the registry keeps no costs for is said to be ignored, and
    // the year fields offer only those it keeps.
    let ignored = "nicht gelesen werden und wurde nicht berücksichtigt: „1999“";
    for path in [
        "/laender/01?jahr=1999",
        "/laender/01/kostenaufstellung?jahr=1999",
        "/leistungen/wohngeld?jahr=1999",
    ] {
        let (status, page) = get(&harness, &mut jar, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(ignored), "{path}\n{page}");
        assert!(
            page.contains("min=\"2000\"") && page.contains("max=\"2100\""),
            "{path}\n{page}"
        );
    }
    let (status, _) = get(&harness, &mut jar, "/leistungen/gibt-es-nicht").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = harness.http.get(harness.url("/land")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the own Land page needs a login"
    );
    let css = harness
        .http
        .get(harness.url("/static/efa.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "public, max-age=3600");
    // Pages name the stylesheet by the hash of its bytes, which a browser
    // may keep for a year: a changed stylesheet has another address.
    let bytes = css.bytes().await.unwrap();
    let version = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(&bytes)[..8]);
    let (_, page) = get(&harness, &mut jar, "/").await;
    let href = format!("/static/efa.css?v={version}");
    assert!(
        page.contains(&format!("<link rel=\"stylesheet\" href=\"{href}\">")),
        "{page}"
    );
    let kept = harness.http.get(harness.url(&href)).send().await.unwrap();
    assert_eq!(
        kept.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(kept.bytes().await.unwrap(), bytes);
    let icon = harness
        .http
        .get(harness.url("/icon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg "));
}

/// What a browser sends for a page.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn get_accepting(harness: &Harness, path: &str, accept: &str) -> reqwest::Response {
    harness
        .http
        .get(harness.url(path))
        .header(ACCEPT, accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn unknown_addresses_answer_browsers_with_a_page_and_form_addresses_lead_to_their_form() {
    let harness = Harness::start().await;
    // An address nobody serves: a page for a browser, a problem document
    // for the API and for every caller that does not ask for HTML.
    let unknown = [
        ("/rollout/16", BROWSER_ACCEPT, "text/html; charset=utf-8"),
        ("/rollout/16", "*/*", "application/problem+json"),
        (
            "/api/v1/gibt-es-nicht",
            BROWSER_ACCEPT,
            "application/problem+json",
        ),
        ("/api", BROWSER_ACCEPT, "application/problem+json"),
    ];
    for (path, accept, content_type) in unknown {
        let response = get_accepting(&harness, path, accept).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path} {accept}");
        assert_eq!(
            response.headers()["content-type"],
            content_type,
            "{path} {accept}"
        );
        let body = response.text().await.unwrap();
        if content_type.starts_with("text/html") {
            assert!(
                body.contains("<h1>Seite nicht gefunden</h1>")
                    && body.contains("href=\"/katalog\"")
                    && !body.contains("aria-current"),
                "{body}"
            );
        } else {
            assert!(body.contains("\"status\":404"), "{body}");
        }
    }
    let posted = harness
        .http
        .post(harness.url("/rollout/16"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
    assert_eq!(posted.headers()["content-type"], "application/problem+json");
    // An address that only takes a form, reloaded or pasted: on to the
    // page with the form.
    for (path, page) in [
        ("/kommune/schritt", "/kommune"),
        ("/land/kosten", "/land"),
        ("/abmelden", "/"),
    ] {
        let response = get_accepting(&harness, path, BROWSER_ACCEPT).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[LOCATION], page, "{path}");
    }
}

#[tokio::test]
async fn only_the_lead_land_edits_the_details_and_the_form_sends_them_whole() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut envelopes = harness.ledger().await;
    let (mut bremen, _) = login(&harness, "land:04").await;
    let (status, _) = get(&harness, &mut bremen, "/leistungen/wohngeld/bearbeiten").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Bremen is not the lead");
    let (mut thueringen, csrf) = login(&harness, "land:16").await;
    let (status, page) = get(&harness, &mut thueringen, "/leistungen/wohngeld/bearbeiten").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"Wohngeld; &quot;digital&quot;\""),
        "prefilled"
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("title", "Wohngeld digital"),
        ("themenfeld", "Familie"),
        ("provider", "KIV"),
        ("channel", "fit-store"),
        ("cost_model_kind", "equal-shares"),
        ("leika", "99, 98"),
        ("effective", ""),
    ];
    let response = post(
        &harness,
        &mut thueringen,
        "/leistungen/wohngeld/bearbeiten",
        &form,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let Command::UpdateServiceDetails(details) = next(&mut envelopes).await.command else {
        panic!("not an update");
    };
    assert_eq!(details.title, "Wohngeld digital");
    assert_eq!(details.leika, vec!["99".to_owned(), "98".to_owned()]);
    assert_eq!(details.cost_model, efa_proto::CostModel::EqualShares);
}

/// A page of the rollout monitor past the end of a list says the rows
/// stand on the pages before, not that there are none.
#[tokio::test]
async fn the_monitor_beyond_a_lists_end_points_back_instead_of_saying_none() {
    let harness = Harness::start().await;
    harness
        .projector(|kind| match answer(kind.clone()) {
            efa_proto::QueryReply::Rollout3(mut page) => {
                page.kreise_total += 500;
                page.municipalities_total += 500;
                page.kreise.clear();
                page.municipalities.clear();
                efa_proto::QueryReply::Rollout3(page)
            }
            efa_proto::QueryReply::Stalled4(mut page) => {
                page.total = 1_234;
                page.stalled.clear();
                efa_proto::QueryReply::Stalled4(page)
            }
            other => other,
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(
        &harness,
        &mut jar,
        "/rollout?land=16&seite=9&seite_stillstand=99",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("noch keine Einführungen"), "{page}");
    assert!(
        !page.contains("Keine Einführung steht so lange still"),
        "{page}"
    );
    assert!(
        page.contains("Auf dieser Seite folgen keine weiteren Kreise"),
        "{page}"
    );
    assert!(
        page.contains("alle 1.234 stehen auf den Seiten davor"),
        "{page}"
    );
}

/// At Germany's size a Land has adoptions of hundreds of services. The
/// monitor then lists them as rows, a page at a time, each with its
/// funnel's numbers and a link to that service's monitor; it asks only
/// for the funnels of the page and draws neither a column nor a chart
/// per service. One service chosen is shown as before.
#[tokio::test]
async fn the_monitor_of_many_services_lists_them_a_page_at_a_time() {
    use efa_proto::pages::{FunnelOrder, LandFunnelsPage};
    use efa_proto::views::{FunnelView, ServiceSummary};
    use efa_proto::{LandCode, QueryKind, QueryReply, ServiceId};
    let harness = Harness::start().await;
    let funnel = |service: ServiceId, land: Option<LandCode>| {
        let number: u32 = service.as_str()["leistung-".len()..].parse().unwrap();
        FunnelView {
            service,
            land,
            reached: [number + 1_000, number, 0, 0, 0],
            ..crate::samples::funnel()
        }
    };
    let many: Vec<ServiceId> = (0..130)
        .map(|n| ServiceId::parse(&format!("leistung-{n:04}")).unwrap())
        .collect();
    let in_land: Vec<(ServiceId, bool)> = (many.iter().enumerate())
        .map(|(n, id)| (id.clone(), n % 10 != 3))
        .collect();
    let catalogue: Vec<ServiceSummary> = (many.iter())
        .map(|id| {
            let mut summary = crate::samples::summary();
            summary.service.id = id.clone();
            summary.service.title = format!("Titel {id}");
            summary
        })
        .collect();
    let mut queries = harness
        .projector(move |kind| match kind {
            QueryKind::Rollout3 { ref scope, .. } => {
                let chosen = scope.service.clone();
                let QueryReply::Rollout3(mut page) = answer(kind) else {
                    unreachable!("a rollout's answer")
                };
                page.land_participates = (in_land.iter())
                    .filter(|(id, _)| chosen.as_ref().is_none_or(|c| c == id))
                    .cloned()
                    .collect();
                QueryReply::Rollout3(page)
            }
            QueryKind::Catalogue2 { .. } => {
                let mut page = crate::samples::catalogue_page();
                page.services = catalogue.clone();
                QueryReply::Catalogue2(page)
            }
            QueryKind::Funnel { service, land, .. } => {
                QueryReply::Funnel(Some(funnel(service, land)))
            }
            // By id, or reversed for any other order: the page shows the
            // projector's order.
            QueryKind::LandFunnels {
                land, order, page, ..
            } => {
                let mut ids = many.clone();
                if order != FunnelOrder::Service {
                    ids.reverse();
                }
                let (from, to) = (page.offset as usize, (page.offset + page.limit) as usize);
                QueryReply::LandFunnels(LandFunnelsPage {
                    land,
                    as_of: crate::samples::funnel().as_of,
                    order,
                    funnels: (ids.iter().skip(from).take(to - from))
                        .map(|id| funnel(id.clone(), Some(land)))
                        .collect(),
                    total: 130,
                    next_offset: (to < 130).then_some(to as u32),
                })
            }
            other => answer(other),
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/rollout?land=16&seite_leistungen=2").await;
    assert_eq!(status, StatusCode::OK);
    let overview = section(&page, "leistungen");
    assert!(
        overview.contains("Einführungen in 130 Leistungen"),
        "{overview}"
    );
    assert!(
        overview.contains("an 13 dieser Leistungen nicht teil"),
        "{overview}"
    );
    for shown in ["Titel leistung-0050", "Titel leistung-0099"] {
        assert!(overview.contains(shown), "{shown}: {overview}");
    }
    for other in ["Titel leistung-0049", "Titel leistung-0100"] {
        assert!(!overview.contains(other), "{other}: {overview}");
    }
    assert!(
        overview.contains("<td class=\"zahl\">1.050</td>"),
        "{overview}"
    );
    assert_eq!(overview.matches("Thüringen nimmt nicht teil").count(), 5);
    assert!(
        overview.contains("href=\"/rollout?land=16&amp;leistung=leistung-0073&amp;tage=90\""),
        "{overview}"
    );
    assert!(
        !page.contains("<svg") && !page.contains("id=\"abdeckung\""),
        "{page}"
    );
    for link in [
        "seite_leistungen=1\" rel=\"prev\"",
        "seite_leistungen=3\" rel=\"next\"",
    ] {
        assert!(page.contains(link), "{link}: {page}");
    }
    // One query for the page's funnels, none for each service.
    let mut asked = Vec::new();
    while let Ok(query) = queries.try_recv() {
        match query.kind {
            QueryKind::LandFunnels { order, page, .. } => {
                asked.push((order, page.offset, page.limit))
            }
            QueryKind::Funnel { service, .. } => panic!("a funnel query for {service}"),
            _ => {}
        }
    }
    assert_eq!(asked, [(FunnelOrder::Service, 50, 50)]);
    // Another order: the rows as the projector orders them, the order
    // kept in the links on.
    let (status, fewest) = get(
        &harness,
        &mut jar,
        "/rollout?land=16&ordnung=wenigste-in-betrieb",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let overview = section(&fewest, "leistungen");
    let first = overview.find("Titel leistung-0129").unwrap();
    assert!(
        first < overview.find("Titel leistung-0128").unwrap(),
        "{overview}"
    );
    assert!(!overview.contains("Titel leistung-0079"), "{overview}");
    assert!(
        overview.contains("<option value=\"wenigste-in-betrieb\" selected>"),
        "{overview}"
    );
    assert!(
        fewest.contains("ordnung=wenigste-in-betrieb&amp;seite_leistungen=2\" rel=\"next\""),
        "{fewest}"
    );
    assert!(
        fewest.contains("/api/v1/lands/16/funnels?format=xlsx&amp;order=fewest-live"),
        "the whole list in the same order as a file: {fewest}"
    );
    while let Ok(query) = queries.try_recv() {
        if let QueryKind::LandFunnels { order, .. } = query.kind {
            assert_eq!(order, FunnelOrder::FewestLive);
        }
    }
    // The last page: no page after it; past it, the way back.
    let (_, last) = get(&harness, &mut jar, "/rollout?land=16&seite_leistungen=3").await;
    assert!(last.contains("Titel leistung-0129") && !last.contains("seite_leistungen=4"));
    let (status, beyond) = get(&harness, &mut jar, "/rollout?land=16&seite_leistungen=9").await;
    assert_eq!(status, StatusCode::OK);
    let beyond = section(&beyond, "leistungen");
    assert!(
        beyond.contains("folgen keine weiteren Leistungen") && !beyond.contains("<table"),
        "{beyond}"
    );
    // One service chosen: its Kreis column and its chart.
    let (status, one) = get(
        &harness,
        &mut jar,
        "/rollout?land=16&leistung=leistung-0007",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        one.contains("id=\"abdeckung\"") && one.contains("<svg"),
        "{one}"
    );
    assert!(!one.contains("id=\"leistungen\""), "{one}");
}

/// The Kreise and the municipalities of the monitor go page by page
/// together; the links under the Kreis table lead on only while Kreise
/// follow, those under the municipalities while municipalities follow.
#[tokio::test]
async fn the_monitors_lists_each_link_on_only_while_they_go_on() {
    let harness = Harness::start().await;
    harness
        .projector(|kind| match answer(kind) {
            efa_proto::QueryReply::Rollout3(mut page) => {
                page.kreise_total = u32::try_from(page.kreise.len()).unwrap();
                page.municipalities_total += 500;
                page.next_offset = Some(200);
                efa_proto::QueryReply::Rollout3(page)
            }
            other => other,
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/rollout?land=16").await;
    assert_eq!(status, StatusCode::OK);
    let (_, after_kreise) = page
        .split_once("id=\"abdeckung\"")
        .expect("the Kreis table");
    let (after_kreise, _) = after_kreise
        .split_once("id=\"trichter\"")
        .expect("the funnels after it");
    assert!(!after_kreise.contains("rel=\"next\""), "{after_kreise}");
    let (_, after_municipalities) = page
        .split_once("id=\"gemeinden\"")
        .expect("the municipalities");
    let (after_municipalities, _) = after_municipalities
        .split_once("id=\"export\"")
        .expect("the exports after them");
    assert!(
        after_municipalities.contains("seite=2\" rel=\"next\""),
        "{after_municipalities}"
    );
}

/// A service nobody announced is no column of zeros in the monitor: it
/// is left out with a notice, and the API answers 404.
#[tokio::test]
async fn the_monitor_and_the_api_refuse_an_unknown_service() {
    let (harness, _queries) = crate::reads::with_projector().await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/rollout?land=16&leistung=gibtsnicht").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("konnte nicht gelesen werden"), "{page}");
    assert!(
        !page.contains("gibtsnicht ") && !page.contains(">gibtsnicht<"),
        "{page}"
    );
    // A Kreis of another Land is no Kreis of this one.
    let response = harness.get("/api/v1/lands/16/rollout?kreis=04011").await;
    let problem = crate::harness::problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("liegt in Bremen, nicht in Thüringen"),
        "{problem}"
    );
    for path in [
        "/api/v1/lands/16/rollout?service=gibtsnicht",
        "/api/v1/lands/16/stalled?service=gibtsnicht",
        "/api/v1/services/gibtsnicht/history",
    ] {
        let response = harness.get(path).await;
        crate::harness::problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
    let response = harness
        .get("/api/v1/lands/16/rollout?service=wohngeld")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// The whole event log starts with its oldest events; at Germany's size
/// the newest are millions of events later, and the audit page leads
/// there. A filtered log, whose sequences have gaps, has no such link.
#[tokio::test]
async fn the_audit_page_leads_to_the_newest_events_of_the_whole_log() {
    use efa_proto::QueryReply;
    let harness = Harness::start().await;
    harness
        .projector(|kind| match answer(kind) {
            QueryReply::History(mut history) => {
                history.chain_verified_to = 10_000_003;
                history.more = true;
                QueryReply::History(history)
            }
            other => other,
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<a href=\"/audit?ab=9999904\">Zu den neuesten Ereignissen</a>"),
        "{page}"
    );
    let (_, filtered) = get(&harness, &mut jar, "/audit?leistung=wohngeld").await;
    assert!(!filtered.contains("Zu den neuesten"), "{filtered}");
}

/// A Land's page leads to the list of its registered municipalities as
/// a file, as of the page's date.
#[tokio::test]
async fn a_lands_page_links_its_municipalities_as_a_file() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/laender/16").await;
    assert_eq!(status, StatusCode::OK);
    for format in ["csv", "xlsx"] {
        let link = format!("href=\"/api/v1/lands/16/gemeinden?format={format}\" download");
        assert!(page.contains(&link), "{link}: {page}");
    }
    let (_, dated) = get(&harness, &mut jar, "/laender/16?stichtag=2024-06-30").await;
    assert!(
        dated.contains("href=\"/api/v1/lands/16/gemeinden?format=csv&amp;as_of=2024-06-30\""),
        "{dated}"
    );
}

/// A service's page does not say that the Länder taking part have no
/// inhabitants when the registry holds no figures for them.
#[tokio::test]
async fn a_service_without_population_figures_says_so_instead_of_zero() {
    use efa_proto::QueryReply;
    let harness = Harness::start().await;
    harness
        .projector(|kind| match answer(kind) {
            QueryReply::ServiceDetail(Some(mut detail)) => {
                detail.population_lands = 0;
                QueryReply::ServiceDetail(Some(detail))
            }
            other => other,
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/leistungen/wohngeld").await;
    assert_eq!(status, StatusCode::OK);
    let overview = section(&page, "ueberblick");
    assert!(
        overview.contains("<dd>keine Angaben erfasst</dd>"),
        "{overview}"
    );
}

/// A municipality's adoptions and the services on offer are pages of
/// their own: an adopted service that is not on the page of services on
/// offer is still named by its title, from the catalogue, not by its id.
#[tokio::test]
async fn an_adoption_is_named_by_its_title_when_its_service_is_on_another_page() {
    use efa_proto::QueryReply;
    let harness = Harness::start().await;
    harness
        .projector(|kind| match answer(kind) {
            QueryReply::Gemeinde3(Some(mut page)) => {
                page.available.clear();
                QueryReply::Gemeinde3(Some(page))
            }
            other => other,
        })
        .await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/kommune?ags=16051000").await;
    assert_eq!(status, StatusCode::OK);
    let adoptions = section(&page, "einfuehrungen");
    assert!(
        adoptions.contains(">Wohngeld; &quot;digital&quot;</a>"),
        "{adoptions}"
    );
    assert!(!adoptions.contains(">wohngeld</a>"), "{adoptions}");
}

/// A municipality may request any service on offer, not only those on
/// the page of services shown: the form lists the catalogue's, without
/// the retired ones and those it runs (also when they stand on another
/// page of its adoptions), each saying whether its Land takes part.
#[tokio::test]
async fn the_request_form_offers_every_service_not_only_the_pages() {
    use efa_proto::views::ServiceSummary;
    use efa_proto::{QueryKind, QueryReply, ServiceId, ServiceStatus};
    let harness = Harness::start().await;
    let summary = |id: &str, title: &str, status, lands: &[u8]| {
        let mut summary = crate::samples::summary();
        summary.service.id = ServiceId::parse(id).unwrap();
        summary.service.title = title.to_owned();
        summary.service.status = status;
        summary.lands = lands.iter().map(|code| land(*code)).collect();
        summary
    };
    let catalogue: Vec<ServiceSummary> = vec![
        crate::samples::summary(),
        summary(
            "bafoeg",
            "BAföG digital",
            ServiceStatus::Available,
            &[3, 16],
        ),
        summary("hundesteuer", "Hundesteuer", ServiceStatus::Pilot, &[4]),
        summary("altdienst", "Alter Dienst", ServiceStatus::Retired, &[16]),
    ];
    harness
        .projector(move |kind| match kind {
            QueryKind::Catalogue2 { .. } => {
                let mut page = crate::samples::catalogue_page();
                page.services = catalogue.clone();
                QueryReply::Catalogue2(page)
            }
            kind => {
                // The page shown holds none of the adoptions; the whole
                // list (the largest page) holds the running one.
                let shown = matches!(&kind, QueryKind::Gemeinde3 { page, .. } if page.limit < 1000);
                match answer(kind) {
                    QueryReply::Gemeinde3(Some(mut page)) => {
                        page.available.clear();
                        if shown {
                            page.adoptions.clear();
                        }
                        QueryReply::Gemeinde3(Some(page))
                    }
                    other => other,
                }
            }
        })
        .await;
    let (mut erfurt, _) = login(&harness, "gemeinde:16051000").await;
    let (status, page) = get(&harness, &mut erfurt, "/kommune?ags=16051000").await;
    assert_eq!(status, StatusCode::OK);
    let (_, form) = page
        .split_once("action=\"/kommune/beantragen\"")
        .expect("the request form");
    let form = form.split("</form>").next().unwrap_or_default();
    assert!(
        form.contains("<option value=\"bafoeg\">BAföG digital</option>"),
        "{form}"
    );
    assert!(
        form.contains(
            "<option value=\"hundesteuer\">Hundesteuer – Ihr Land nimmt nicht teil</option>"
        ),
        "{form}"
    );
    assert!(!form.contains("altdienst"), "retired: {form}");
    assert!(!form.contains("value=\"wohngeld\""), "running: {form}");
}

/// A municipality's page speaks to the municipality itself ("Ihre
/// Gemeinde") and about it to anyone else, an operator included.
#[tokio::test]
async fn a_municipalitys_page_says_ihre_only_to_the_municipality() {
    let (harness, _queries) = crate::reads::with_projector().await;
    let path = "/kommune?ags=16051000";
    let (mut own, _) = login(&harness, "gemeinde:16051000").await;
    let (_, page) = get(&harness, &mut own, path).await;
    assert!(page.contains("Ihre Gemeinde"), "{page}");
    let (mut operator, _) = login(&harness, "operator:kiv-thueringen").await;
    let (status, page) = get(&harness, &mut operator, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("Ihre ") && !page.contains("Ihr Land"),
        "{page}"
    );
}

/// A page asked for as of a date links on as of that date: to the
/// services, the municipalities, other cost years and the statement;
/// as of today the links carry no date.
#[tokio::test]
async fn links_from_a_page_as_of_a_date_keep_the_date() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut jar = Jar::default();
    let dated = "stichtag=2024-06-30";
    let pages = [
        ("/katalog", "href=\"/leistungen/"),
        ("/laender/16", "/kostenaufstellung?jahr="),
        ("/laender/16", "href=\"/leistungen/"),
        ("/rollout?land=16", "href=\"/kommune?ags="),
        ("/kommune?ags=16051000", "href=\"/leistungen/"),
        ("/laender/01/kostenaufstellung?jahr=2023", "?jahr=2023"),
        ("/leistungen/wohngeld", "href=\"?jahr="),
    ];
    for (path, link) in pages {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let (status, page) = get(&harness, &mut jar, &format!("{path}{joiner}{dated}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let links: Vec<&str> = page.split(link).skip(1).collect();
        assert!(!links.is_empty(), "{path}: no link {link}\n{page}");
        for rest in &links {
            let href = rest.split('"').next().unwrap_or_default();
            assert!(href.contains(dated), "{path}: {link}{href}");
        }
        let (_, today) = get(&harness, &mut jar, path).await;
        for rest in today.split(link).skip(1) {
            let href = rest.split('"').next().unwrap_or_default();
            assert!(!href.contains("stichtag"), "{path}: {link}{href}");
        }
    }
}

/// A municipality logged in with its own token but not in the registry
/// is told who registers it; anybody else looking it up is not.
#[tokio::test]
async fn an_unregistered_municipality_learns_who_registers_it() {
    let (harness, _queries) = crate::reads::with_projector().await;
    let (mut bremerhaven, _) = login(&harness, "gemeinde:04011000").await;
    let (status, page) = get(&harness, &mut bremerhaven, "/kommune").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("Ihre Gemeinde steht noch nicht im Register"),
        "{page}"
    );
    let (status, page) = get(&harness, &mut Jar::default(), "/kommune?ags=04011000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("ist keine Gemeinde registriert"), "{page}");
    assert!(!page.contains("Ihre Gemeinde"), "{page}");
}

/// The monitor for one service lists the municipalities without it, a
/// page at a time, and links the whole list as a file; the monitor of
/// all services does not.
#[tokio::test]
async fn the_monitor_of_one_service_lists_whom_it_has_still_to_reach() {
    let (harness, mut queries) = crate::reads::with_projector().await;
    let mut jar = Jar::default();
    let path = "/rollout?land=16&leistung=wohngeld&seite_ohne=3";
    let (status, page) = get(&harness, &mut jar, path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let list = section(&page, "ohne");
    for text in [
        "2 Gemeinden in Thüringen mit zusammen 213.699 Einwohnern",
        "Erfurt</a> (16051000)",
        "zurückgezogen am 02.05.2024",
        "keine Angabe",
        "nie beantragt",
    ] {
        assert!(list.contains(text), "{text}: {list}");
    }
    assert!(
        page.contains("/api/v1/lands/16/not-adopted/wohngeld?format=xlsx"),
        "{page}"
    );
    let mut asked = None;
    while let Ok(query) = queries.try_recv() {
        if let efa_proto::QueryKind::NotAdopted {
            land,
            service,
            page,
            ..
        } = query.kind
        {
            asked = Some((
                land.to_string(),
                service.to_string(),
                page.offset,
                page.limit,
            ));
        }
    }
    assert_eq!(asked, Some(("16".into(), "wohngeld".into(), 100, 50)));
    let (_, all) = get(&harness, &mut jar, "/rollout?land=16").await;
    assert!(!all.contains("id=\"ohne\""), "{all}");
}

/// The monitor for one service asks for that service's stalled
/// adoptions, and its CSV link says so.
#[tokio::test]
async fn the_monitor_of_one_service_lists_only_its_stalled_adoptions() {
    let (harness, mut queries) = crate::reads::with_projector().await;
    let mut jar = Jar::default();
    let (status, page) = get(&harness, &mut jar, "/rollout?land=16&leistung=wohngeld").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/api/v1/lands/16/stalled?format=csv&amp;days=90&amp;service=wohngeld"),
        "{page}"
    );
    let mut stalled = None;
    while let Ok(query) = queries.try_recv() {
        if let efa_proto::QueryKind::Stalled4 { service, .. } = query.kind {
            stalled = Some(service);
        }
    }
    assert_eq!(stalled, Some(Some(crate::samples::id())));
    // The stalled adoption is a predecessor's: the row says whose.
    let rows = section(&page, "stillstand");
    assert!(
        rows.contains("Einführung der Vorgängergemeinde 16071001"),
        "{rows}"
    );
}

/// A filter value that cannot be read is said to be left out, not
/// quietly replaced; values that can be read raise no notice.
#[tokio::test]
async fn unreadable_filter_values_are_named_not_replaced_in_silence() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut jar = Jar::default();
    let left_out = "konnte nicht gelesen werden";
    for (path, values) in [
        (
            "/katalog?status=foo&reifegrad=9&kanal=xyz&sortierung=wild",
            &["„foo“", "„9“", "„xyz“", "„wild“"][..],
        ),
        ("/rollout?land=16&tage=-5&seite=abc", &["„-5“", "„abc“"][..]),
    ] {
        let (status, page) = get(&harness, &mut jar, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(left_out), "{path}\n{page}");
        for value in values {
            assert!(page.contains(value), "{path}: {value}");
        }
    }
    for path in [
        "/katalog?land=16&status=available&reifegrad=3&kanal=fit-store&sortierung=reuse",
        "/rollout?land=16&tage=30&seite=1",
    ] {
        let (_, page) = get(&harness, &mut jar, path).await;
        assert!(!page.contains(left_out), "{path}\n{page}");
    }
}

/// A municipality's page of a past day shows no forms: they act on
/// today's state, and the page leads there.
#[tokio::test]
async fn a_municipalitys_page_of_a_past_day_offers_no_forms() {
    let (harness, _queries) = crate::reads::with_projector().await;
    let (mut own, _) = login(&harness, "gemeinde:16051000").await;
    let (_, today) = get(&harness, &mut own, "/kommune?ags=16051000").await;
    assert!(today.contains("Einführung beantragen"), "{today}");
    let (status, past) = get(
        &harness,
        &mut own,
        "/kommune?ags=16051000&stichtag=2020-01-01",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!past.contains("Einführung beantragen"), "{past}");
    assert!(past.contains("zum heutigen Stand"), "{past}");
}

/// The Jahresabrechnung page: only the lead Land and the administration
/// use it; its forms close a year with the split the projector shows at
/// the ledger's head and record a participation correction; a refused
/// form comes back with its values and the field named.
#[tokio::test]
async fn the_lead_land_closes_a_year_and_corrects_a_participation_in_the_web_app() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    harness
        .respond(
            efa_proto::subjects::LEDGER_CHECKPOINT,
            |_: efa_proto::CheckpointRequest| efa_proto::LedgerCheckpoint {
                key_id: "ledger".into(),
                public_key: vec![0; 32],
                checkpoint: None,
            },
        )
        .await;
    let mut envelopes = harness.ledger().await;
    let page_path = "/leistungen/wohngeld/abrechnung?jahr=2023";
    let (mut bremen, _) = login(&harness, "land:04").await;
    let (status, _) = get(&harness, &mut bremen, page_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Bremen is not the lead");
    let (status, _) = get(&harness, &mut Jar::default(), page_path).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "to the login");

    let (mut admin, _) = login(&harness, "admin").await;
    let (_, service_page) = get(&harness, &mut admin, "/leistungen/wohngeld").await;
    assert!(
        service_page.contains("/leistungen/wohngeld/abrechnung"),
        "the administration is led to the page"
    );
    let (mut thueringen, csrf) = login(&harness, "land:16").await;
    let (status, page) = get(&harness, &mut thueringen, page_path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Jahr abrechnen"), "{page}");
    assert!(
        page.contains("Beitritt oder Austritt berichtigen"),
        "{page}"
    );

    let close = [("csrf", csrf.as_str()), ("year", "2023")];
    let response = post(
        &harness,
        &mut thueringen,
        "/leistungen/wohngeld/abrechnung/abschliessen",
        &close,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/leistungen/wohngeld?erfolg=abgerechnet&seq="),
        "{location}"
    );
    let Command::CloseYear(closing) = next(&mut envelopes).await.command else {
        panic!("not a closing");
    };
    let shown = crate::samples::cost_year();
    assert_eq!(closing.year, 2023);
    assert_eq!(closing.settlement.total, shown.sharing.split.total);
    assert_eq!(closing.settlement.based_on_seq, shown.seq);

    let correction = [
        ("csrf", csrf.as_str()),
        ("jahr", "2023"),
        ("land", "09"),
        ("change", "beitritt"),
        ("effective", "2023-04-01"),
        ("reason", "Vertrag vom März 2023"),
    ];
    let response = post(
        &harness,
        &mut thueringen,
        "/leistungen/wohngeld/abrechnung/berichtigen",
        &correction,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let envelope = next(&mut envelopes).await;
    assert_eq!(
        envelope.effective,
        Some(efa_proto::Date::parse("2023-04-01").unwrap())
    );
    let Command::CorrectParticipation(corrected) = envelope.command else {
        panic!("not a correction");
    };
    assert_eq!(corrected.land, efa_proto::LandCode::new(9).unwrap());
    assert_eq!(corrected.change, efa_proto::ParticipationChange::Join);
    assert_eq!(corrected.reason, "Vertrag vom März 2023");

    // Without a reason: refused, the form shown again with the date kept.
    let mut no_reason = correction;
    no_reason[5] = ("reason", " ");
    let response = post(
        &harness,
        &mut thueringen,
        "/leistungen/wohngeld/abrechnung/berichtigen",
        &no_reason,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Begründung"), "{page}");
    assert!(page.contains("value=\"2023-04-01\""), "{page}");
    assert!(
        page.contains("Jahr 2023"),
        "the year the page showed: {page}"
    );
}

/// Uploads `file` to `/rollout/tabelle` with `action` (`plan` or
/// `senden`) and the CSRF token `csrf`, as a browser's multipart form.
async fn upload(
    harness: &Harness,
    jar: &mut Jar,
    csrf: &str,
    action: &str,
    file: &[u8],
) -> reqwest::Response {
    const BOUNDARY: &str = "----efa-test-grenze";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("aktion", action)] {
        let part = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
        body.extend_from_slice(part.as_bytes());
    }
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"datei\"; \
         filename=\"rollout.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = harness
        .http
        .post(harness.url("/rollout/tabelle"))
        .header(COOKIE, jar.header())
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    jar.take(&response);
    response
}

#[tokio::test]
async fn a_rollout_table_is_planned_then_sent_as_the_logged_in_principal() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut ledger = harness.ledger().await;
    let (mut jar, csrf) = login(&harness, "operator:kiv-thueringen").await;
    let (status, page) = get(&harness, &mut jar, "/rollout/tabelle").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    // Erfurt's adoption stands at Anbindung since 2024-02-01 (the sample).
    let file = "AGS;Leistung;Stufe;Seit\n16051000;wohngeld;in Betrieb;01.07.2024\n\
                16099999;wohngeld;beantragt;\n";

    let plan = upload(&harness, &mut jar, &csrf, "plan", file.as_bytes()).await;
    assert_eq!(plan.status(), StatusCode::OK);
    let page = plan.text().await.unwrap();
    assert!(
        page.contains("2 Zeilen gelesen; zu senden: 1 Zeile mit 1 Schreibvorgang"),
        "{page}"
    );
    assert!(page.contains("„in Betrieb“ festhalten"), "{page}");
    assert!(
        page.contains("Die Gemeinde kennt das Register nicht."),
        "{page}"
    );
    assert!(ledger.try_recv().is_err(), "a plan sends nothing");

    let sent = upload(&harness, &mut jar, &csrf, "senden", file.as_bytes()).await;
    assert_eq!(sent.status(), StatusCode::OK);
    let page = sent.text().await.unwrap();
    assert!(page.contains("1 Zeile übernommen"), "{page}");
    assert!(page.contains("href=\"/rollout?land=16&amp;seq="), "{page}");
    let envelope = next(&mut ledger).await;
    assert_eq!(envelope.actor.to_string(), "operator:kiv-thueringen");
    assert_eq!(
        envelope.effective.map(|d| d.to_string()).as_deref(),
        Some("2024-07-01")
    );
    match envelope.command {
        Command::RecordAdoptionStep(step) => {
            assert_eq!(step.stage, efa_proto::AdoptionStage::Live);
            assert_eq!(step.ags.to_string(), "16051000");
        }
        other => panic!("a step, not {other:?}"),
    }
    assert!(ledger.try_recv().is_err(), "one write for one row");

    // The same row as an Excel workbook, as the monitor downloads it.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, title) in (0u16..).zip(["AGS", "Gemeinde", "Leistung", "Stufe", "Seit"]) {
        sheet.write_string(0, column, title).unwrap();
    }
    for (column, value) in (0u16..).zip(["16051000", "Erfurt", "wohngeld", "in Betrieb"]) {
        sheet.write_string(1, column, value).unwrap();
    }
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 7, 1).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    sheet.write_datetime_with_format(1, 4, &day, &date).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let plan = upload(&harness, &mut jar, &csrf, "plan", &bytes).await;
    assert_eq!(plan.status(), StatusCode::OK);
    let page = plan.text().await.unwrap();
    assert!(
        page.contains("1 Zeile gelesen; zu senden: 1 Zeile mit 1 Schreibvorgang"),
        "{page}"
    );
    assert!(ledger.try_recv().is_err(), "a plan sends nothing");

    // A table at the registry's state: nothing to send, nothing sent.
    let same = "AGS;Leistung;Stufe;Seit\n16051000;wohngeld;Anbindung;2024-02-01\n";
    let sent = upload(&harness, &mut jar, &csrf, "senden", same.as_bytes()).await;
    let page = sent.text().await.unwrap();
    assert!(page.contains("Nichts zu senden"), "{page}");
    assert!(ledger.try_recv().is_err());
}

#[tokio::test]
async fn a_rollout_table_that_cannot_be_taken_is_refused_and_sends_nothing() {
    let harness = Harness::start().await;
    harness.projector(answer).await;
    let mut ledger = harness.ledger().await;
    let (mut jar, csrf) = login(&harness, "operator:kiv-thueringen").await;
    let good = "AGS;Leistung;Stufe\n16051000;wohngeld;in Betrieb\n";

    let forged = upload(&harness, &mut jar, "falsch", "senden", good.as_bytes()).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let bad = "AGS;Leistung;Stufe\n16051000;wohngeld;in Betrieb\n16051000;wohngeld;fertig\n";
    let refused = upload(&harness, &mut jar, &csrf, "senden", bad.as_bytes()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Zeile 3: Stufe „fertig“ unbekannt"), "{page}");
    let mut many = String::from("AGS;Leistung;Stufe\n");
    for n in 0..5_001 {
        many.push_str(&format!("16{:06};wohngeld;beantragt\n", n));
    }
    let too_many = upload(&harness, &mut jar, &csrf, "plan", many.as_bytes()).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_many.text().await.unwrap().contains("höchstens 5.000"));
    let huge = vec![b'x'; 600 * 1024];
    let too_large = upload(&harness, &mut jar, &csrf, "plan", &huge).await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let content_type = too_large.headers()[reqwest::header::CONTENT_TYPE].clone();
    assert!(
        content_type.to_str().unwrap().starts_with("text/html"),
        "a page, not a problem"
    );
    let page = too_large.text().await.unwrap();
    assert!(page.contains("höchstens 512 KiB"), "{page}");
    let empty = upload(&harness, &mut jar, &csrf, "plan", b"").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let binary = upload(&harness, &mut jar, &csrf, "plan", b"\x00\x01\x02 binary").await;
    assert_eq!(binary.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = binary.text().await.unwrap();
    assert!(
        page.contains("weder eine CSV-Datei noch eine Excel-Arbeitsmappe"),
        "{page}"
    );
    let mut mixed = "AGS;Leistung;Stufe\n16051000;wohngeld;zurückgezogen\n"
        .as_bytes()
        .to_vec();
    mixed.extend_from_slice(b"16052000;wohngeld;zur\xfcckgezogen\n");
    let mixed = upload(&harness, &mut jar, &csrf, "plan", &mixed).await;
    assert_eq!(mixed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = mixed.text().await.unwrap();
    assert!(page.contains("Zeile 3 ist kein UTF-8"), "{page}");
    assert!(ledger.try_recv().is_err(), "nothing was sent");

    // The administration records no adoptions: no form for it, and a
    // table it sends anyway is refused whole.
    let (mut admin, admin_csrf) = login(&harness, "admin").await;
    let (_, page) = get(&harness, &mut admin, "/rollout/tabelle").await;
    assert!(!page.contains("type=\"file\""), "{page}");
    assert!(page.contains("nicht die Administration"), "{page}");
    let refused = upload(&harness, &mut admin, &admin_csrf, "senden", good.as_bytes()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // A service the registry does not know is said in the plan.
    let unknown = "AGS;Leistung;Stufe\n16051000;gibt-es-nicht;beantragt\n";
    let plan = upload(&harness, &mut jar, &csrf, "plan", unknown.as_bytes()).await;
    let page = plan.text().await.unwrap();
    assert!(
        page.contains("Die Leistung kennt das Register nicht."),
        "{page}"
    );
    assert!(ledger.try_recv().is_err(), "nothing was sent");
}

#[tokio::test]
async fn a_statement_as_recorded_earlier_says_when_today_s_could_not_be_read() {
    use efa_proto::{QueryKind, QueryReply, Rejection};
    let harness = Harness::start().await;
    harness
        .projector(|kind| match kind {
            // Today's statement (asked without a sequence) is not there.
            QueryKind::Statement { .. }
            | QueryKind::Statement2 {
                known_at_seq: None, ..
            } => QueryReply::Rejected(Rejection::Unavailable {
                reason: "Test".into(),
            }),
            QueryKind::Statement2 { .. } => QueryReply::Statement(crate::samples::statement()),
            other => answer(other),
        })
        .await;
    let response = harness
        .get("/laender/01/kostenaufstellung?jahr=2023&bis_sequenz=5")
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Was seither erfasst wurde, ließ sich gerade nicht lesen"),
        "{page}"
    );
    assert!(
        page.contains("So, wie es bis Ledger-Sequenz 5 erfasst war"),
        "{page}"
    );
}

/// The predecessor merged into Erfurt in the tests below.
const PREDECESSOR: &str = "16051001";

/// A harness whose projector answers Erfurt's page with its adoption as
/// the predecessor's; with `own_beneath`, Erfurt's own (requested) lies
/// beneath it.
async fn with_a_predecessors_adoption(own_beneath: bool) -> Harness {
    use efa_proto::{AdoptionStage, Ags, QueryReply};
    let predecessor = Ags::parse(PREDECESSOR).unwrap();
    let harness = Harness::start().await;
    harness
        .projector(move |kind| match answer(kind.clone()) {
            QueryReply::Gemeinde3(Some(mut page)) => {
                let mut own = page.adoptions[0].clone();
                own.stage = AdoptionStage::Requested;
                page.adoptions[0].adopter = predecessor;
                if own_beneath {
                    page.beneath = vec![own];
                }
                QueryReply::Gemeinde3(Some(page))
            }
            other => other,
        })
        .await;
    harness
}

/// An adoption of a predecessor merged into Erfurt: the page says whose it
/// is, offers no step for it (only Erfurt's own adoption takes steps) but
/// offers the service to request, and its withdrawal names the
/// predecessor, under whose AGS the adoption runs.
#[tokio::test]
async fn a_predecessors_adoption_is_shown_as_such_and_withdrawn_under_its_ags() {
    let predecessor = efa_proto::Ags::parse(PREDECESSOR).unwrap();
    let harness = with_a_predecessors_adoption(false).await;
    let mut envelopes = harness.ledger().await;
    let (mut erfurt, csrf) = login(&harness, "gemeinde:16051000").await;
    let (status, page) = get(&harness, &mut erfurt, "/kommune?ags=16051000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Einführung der Vorgängergemeinde 16051001"),
        "{page}"
    );
    assert!(!page.contains("action=\"/kommune/schritt\""), "{page}");
    assert!(
        page.contains("Schritte nimmt nur eine eigene Einführung an; die Leistung kann unten"),
        "{page}"
    );
    assert!(
        page.contains("name=\"adopter\" value=\"16051001\""),
        "{page}"
    );
    let request_form = page
        .split("action=\"/kommune/beantragen\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        request_form.contains("value=\"wohngeld\""),
        "the service may be requested: {page}"
    );

    let form = [
        ("csrf", csrf.as_str()),
        ("ags", "16051000"),
        ("service", "wohngeld"),
        ("adopter", "16051001"),
    ];
    let response = post(&harness, &mut erfurt, "/kommune/zurueckziehen", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/kommune?ags=16051000&erfolg=zurueckgezogen&seq=42"
    );
    match next(&mut envelopes).await.command {
        Command::WithdrawAdoption(withdrawal) => assert_eq!(withdrawal.ags, predecessor),
        other => panic!("{other:?}"),
    }
    let bad = [
        ("csrf", csrf.as_str()),
        ("ags", "16051000"),
        ("service", "wohngeld"),
        ("adopter", "1605"),
    ];
    let response = post(&harness, &mut erfurt, "/kommune/zurueckziehen", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(envelopes.try_recv().is_err());
}

/// A row whose adoption is a predecessor's: its withdrawal names the
/// predecessor, a stage beyond it asks for the municipality's own.
#[tokio::test]
async fn a_rollout_table_withdraws_a_predecessors_adoption_under_its_ags() {
    let predecessor = efa_proto::Ags::parse(PREDECESSOR).unwrap();
    let harness = with_a_predecessors_adoption(false).await;
    let mut ledger = harness.ledger().await;
    let (mut jar, csrf) = login(&harness, "operator:kiv-thueringen").await;
    let file = "AGS;Leistung;Stufe;Seit\n16051000;wohngeld;zurückgezogen;01.07.2024\n";
    let plan = upload(&harness, &mut jar, &csrf, "plan", file.as_bytes()).await;
    let page = plan.text().await.unwrap();
    assert!(
        page.contains("Zurückgezogen wird die Einführung der Vorgängergemeinde 16051001."),
        "{page}"
    );
    assert!(ledger.try_recv().is_err(), "a plan sends nothing");
    let sent = upload(&harness, &mut jar, &csrf, "senden", file.as_bytes()).await;
    assert_eq!(sent.status(), StatusCode::OK);
    match next(&mut ledger).await.command {
        Command::WithdrawAdoption(withdrawal) => assert_eq!(withdrawal.ags, predecessor),
        other => panic!("a withdrawal, not {other:?}"),
    }

    let file = "AGS;Leistung;Stufe;Seit\n16051000;wohngeld;in Betrieb;01.07.2024\n";
    let sent = upload(&harness, &mut jar, &csrf, "senden", file.as_bytes()).await;
    assert_eq!(sent.status(), StatusCode::OK);
    match next(&mut ledger).await.command {
        Command::RequestAdoption(request) => assert_eq!(request.ags.to_string(), "16051000"),
        other => panic!("a request, not {other:?}"),
    }
    match next(&mut ledger).await.command {
        Command::RecordAdoptionStep(step) => assert_eq!(step.ags.to_string(), "16051000"),
        other => panic!("a step, not {other:?}"),
    }
}

/// Erfurt's own adoption beneath its predecessor's: shown beneath it, with
/// its step and withdrawal forms, and the service not offered to request
/// again.
#[tokio::test]
async fn the_own_adoption_beneath_a_predecessors_takes_the_steps() {
    let harness = with_a_predecessors_adoption(true).await;
    let (mut erfurt, _) = login(&harness, "gemeinde:16051000").await;
    let (status, page) = get(&harness, &mut erfurt, "/kommune?ags=16051000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("darunter, zählt nicht: die eigene Einführung"),
        "{page}"
    );
    assert!(
        page.contains("Schritte nimmt die eigene Einführung der Gemeinde an."),
        "{page}"
    );
    assert!(page.contains("action=\"/kommune/schritt\""), "{page}");
    assert!(
        page.contains("Einführung von 16051001 zurückziehen"),
        "{page}"
    );
    let request_form = page
        .split("action=\"/kommune/beantragen\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        !request_form.contains("value=\"wohngeld\""),
        "its own adoption runs: {page}"
    );
}
