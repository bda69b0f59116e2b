//! `/anmelden` and `/abmelden`: logging in with an API token (the same
//! tokens the API takes as bearer tokens) and out. A good token sets the
//! signed session cookie and leads to the page of the principal's kind;
//! every attempt, good or bad, is counted against the client's network
//! (10 at once, then one every 6 seconds; beyond that 429 with
//! `Retry-After`), so guessing is slow and a good guess is not told
//! apart while blocked. Both forms carry a CSRF token.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::Response;
use efa_proto::Actor;
use maud::html;

use super::super::forms::FormData;
use super::super::layout::{Nav, Notice, Page};
use super::super::markup::{Field, hidden_input};
use super::super::params::Params;
use super::super::visit::Visit;
use super::super::{cookies, csrf, session};

/// `GET /anmelden`.
pub async fn show(visit: Visit, params: Params) -> Response {
    let notice = params.success();
    render(&visit, StatusCode::OK, &params.get("weiter"), notice)
}

fn render(visit: &Visit, status: StatusCode, next: &str, notice: Option<Notice>) -> Response {
    let error = matches!(notice, Some(Notice::Error(_))).then_some("Bitte prüfen Sie das Token.");
    let body = html! {
        p {
            "Melden Sie sich mit Ihrem Zugangstoken an. Es ist dasselbe Token, mit dem Fachverfahren \
             die API nutzen; die Registeradministration stellt es aus."
        }
        @if let Some(who) = &visit.who {
            p.hinweis.info { "Sie sind bereits angemeldet als " (who.name) " (" (who.role_de()) ")." }
        }
        form.block method="post" action="/anmelden" {
            (visit.csrf_input())
            (hidden_input("weiter", safe_next(next).unwrap_or_default()))
            (Field::new("anmelden", "token", "Zugangstoken")
                .hint("Beginnt mit „efa_“. Für die Demo stehen die Tokens in data/demo-zugaenge.txt.")
                .error(error)
                .required()
                .secret()
                .control("password", ""))
            button type="submit" { "Anmelden" }
        }
    };
    let page = Page::new("Anmelden", Nav::Anmelden, body).with_notice(notice);
    visit.page(status, page)
}

/// The login page again with an error notice.
fn refuse(visit: &Visit, status: StatusCode, next: &str, text: impl Into<String>) -> Response {
    render(visit, status, next, Some(Notice::Error(text.into())))
}

/// Only a path of this site: starts with one `/`, no scheme, no host.
fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(next)
}

/// Where a principal starts.
fn home(actor: &Actor) -> &'static str {
    match actor {
        Actor::Land(_) => "/land",
        Actor::Gemeinde(_) => "/kommune",
        Actor::Operator(_) => "/rollout",
        Actor::Admin => "/audit",
    }
}

/// `POST /anmelden`.
pub async fn submit(visit: Visit, form: FormData) -> Response {
    let next = form.get("weiter").to_owned();
    if !visit.csrf_ok(form.get(csrf::FIELD)) {
        let text = "Das Formular ist abgelaufen. Bitte melden Sie sich noch einmal an.";
        return refuse(&visit, StatusCode::FORBIDDEN, &next, text);
    }
    if let Err(wait) = visit.state.web.limiter.check(visit.client) {
        let seconds = crate::rate_limit::retry_after(wait);
        let text = format!(
            "Zu viele Anmeldeversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es \
             dann erneut."
        );
        let mut response = refuse(&visit, StatusCode::TOO_MANY_REQUESTS, &next, text);
        response.headers_mut().insert(RETRY_AFTER, seconds.into());
        return response;
    }
    let token = form.get("token");
    let tokens = visit.state.tokens.current();
    let Some((hash, actor)) = tokens
        .hash_of_valid(token)
        .and_then(|hash| tokens.holder(&hash).map(|(_, a)| (hash.clone(), a.clone())))
    else {
        let text = "Das Zugangstoken ist nicht gültig.";
        return refuse(&visit, StatusCode::UNAUTHORIZED, &next, text);
    };
    let cookie = cookies::build(
        session::COOKIE,
        session::Claim::new(hash).encode(),
        Some(session::LIFETIME_SECONDS),
        visit.secure,
    );
    let target = match safe_next(&next) {
        Some(path) => path.to_owned(),
        None => format!("{}?erfolg=angemeldet", home(&actor)),
    };
    tracing::info!(principal = %actor, "web login");
    visit.redirect(&target, vec![cookie])
}

/// `POST /abmelden`: ends the session, on the server (every session of
/// the token begun before is refused from now on) and in the browser
/// (the cookie is deleted).
pub async fn logout(visit: Visit, form: FormData) -> Response {
    if !visit.csrf_ok(form.get(csrf::FIELD)) {
        let text = "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.";
        return refuse(&visit, StatusCode::FORBIDDEN, "", text);
    }
    if let Some(claim) = &visit.session {
        // Kept in a file, fsynced: off the async workers.
        let (web, token) = (visit.state.web.clone(), claim.token_hash.clone());
        let end = move || web.logouts.end(&token, session::now_ms());
        if let Err(error) = tokio::task::spawn_blocking(end).await {
            tracing::error!(%error, "a logout was not kept");
        }
    }
    let cookie = cookies::build(session::COOKIE, String::new(), Some(0), visit.secure);
    visit.redirect("/anmelden?erfolg=abgemeldet", vec![cookie])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/land?jahr=2024"), Some("/land?jahr=2024"));
        for bad in [
            "",
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "land",
            "/a b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}
