//! The client's HTTP side: one request to the gateway's API, with bounded
//! time, the token as bearer and, for writes, an `Idempotency-Key`; and
//! the mapping of every way it can fail (problem+json, a refused
//! connection, a timeout) to a [`Failure`] whose exit code scripts can
//! rely on.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

/// How long connecting to the gateway may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often one request waits out a 429 before its failure is said.
const RATE_LIMIT_WAITS_MAX: u32 = 30;
/// The longest wait for one 429, whatever its `Retry-After` says.
const RATE_LIMIT_WAIT_SECS_MAX: u64 = 60;
/// How much of a non-problem error body is shown.
const SNIPPET_CHARS_MAX: usize = 300;

/// Why a command failed; each kind has its own exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Invalid input, found here or refused by the API (4xx but 401).
    Invalid(String),
    /// The API did not accept the token (401).
    Unauthenticated(String),
    /// The system cannot be reached or is not ready (503, 504, connection
    /// refused, timeout).
    Unavailable(String),
    /// Anything else.
    Other(String),
}

impl Failure {
    /// The process exit code: 2 invalid, 3 authentication, 4 unavailable,
    /// 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Invalid(_) => 2,
            Self::Unauthenticated(_) => 3,
            Self::Unavailable(_) => 4,
            Self::Other(_) => 1,
        }
    }

    /// The failure of an answer with an error status.
    pub fn from_answer(status: StatusCode, body: &str) -> Self {
        let message = problem_message(status, body);
        match status.as_u16() {
            401 => Self::Unauthenticated(message),
            400 | 403 | 404 | 409 | 412 | 413 | 422 => Self::Invalid(message),
            503 | 504 => Self::Unavailable(message),
            _ => Self::Other(message),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(message)
            | Self::Unauthenticated(message)
            | Self::Unavailable(message)
            | Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Failure {}

/// A problem document's German title and detail; any other body shortened.
fn problem_message(status: StatusCode, body: &str) -> String {
    let code = status.as_u16();
    let document = serde_json::from_str::<Value>(body).ok();
    let text = |name: &str| {
        document
            .as_ref()
            .and_then(|d| d.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (text("title"), text("detail")) {
        (Some(title), Some(detail)) => format!("{title} (HTTP {code}): {detail}"),
        (Some(title), None) => format!("{title} (HTTP {code})"),
        _ => {
            let snippet: String = body.trim().chars().take(SNIPPET_CHARS_MAX).collect();
            format!("HTTP {code}: {snippet}")
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `Idempotent-Replayed: true`: a repeated key, nothing written.
    pub replayed: bool,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Result<Value, Failure> {
        serde_json::from_str(&self.body).map_err(|error| {
            Failure::Other(format!("Die Antwort der API ist kein JSON ({error})."))
        })
    }
}

/// The gateway's API at a base URL, with an optional token.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl Api {
    pub fn new(base: &str, token: Option<String>, timeout: Duration) -> Result<Self, Failure> {
        let invalid =
            || Failure::Invalid(format!("--api „{base}“ ist keine gültige http-Adresse."));
        let base = Url::parse(base.trim()).map_err(|_| invalid())?;
        if base.scheme() != "http" || base.cannot_be_a_base() {
            return Err(invalid());
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout)
            .build()
            .map_err(|error| Failure::Other(format!("HTTP-Client: {error}")))?;
        let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Self { http, base, token })
    }

    /// `<base>/api/v1/<segments...>?<query>`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// A read (`GET`).
    pub async fn get(&self, url: Url) -> Result<Answer, Failure> {
        self.send(self.request(Method::GET, url)).await
    }

    /// A read whose body is handed to `each` piece by piece as it
    /// arrives, until `each` answers `false` (nothing more is wanted); an
    /// answer with an error status is read whole and said.
    pub async fn get_streamed(
        &self,
        url: Url,
        mut each: impl FnMut(&[u8]) -> Result<bool, Failure>,
    ) -> Result<(), Failure> {
        let mut response = self.response(self.request(Method::GET, url)).await?;
        if !response.status().is_success() {
            return self.answer(response).await.map(drop);
        }
        while let Some(piece) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if !each(&piece)? {
                break;
            }
        }
        Ok(())
    }

    /// A read of something that may not be there: `None` for a 404.
    pub async fn find(&self, url: Url) -> Result<Option<Answer>, Failure> {
        let response = self.response(self.request(Method::GET, url)).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.answer(response).await.map(Some)
    }

    /// A write with its idempotency key and, if any, a JSON body.
    pub async fn write(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        key: &str,
    ) -> Result<Answer, Failure> {
        let mut request = self.request(method, url).header("Idempotency-Key", key);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url);
        match &self.token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let response = self.response(request).await?;
        self.answer(response).await
    }

    /// The answer to `request`; a 429 is waited out as its `Retry-After`
    /// says and the same request sent again (a write with the same
    /// idempotency key), up to [`RATE_LIMIT_WAITS_MAX`] times, so that a
    /// long run (an import) is paced by the gateway's rate limit instead
    /// of failing on it.
    async fn response(
        &self,
        mut request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        let mut waits = 0;
        loop {
            let again = request.try_clone();
            let response = request.send().await.map_err(|e| self.transport(&e))?;
            match again {
                Some(again)
                    if response.status() == StatusCode::TOO_MANY_REQUESTS
                        && waits < RATE_LIMIT_WAITS_MAX =>
                {
                    let seconds = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse::<u64>().ok())
                        .unwrap_or(1)
                        .clamp(1, RATE_LIMIT_WAIT_SECS_MAX);
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                    waits += 1;
                    request = again;
                }
                _ => return Ok(response),
            }
        }
    }

    async fn answer(&self, response: reqwest::Response) -> Result<Answer, Failure> {
        let status = response.status();
        let replayed = response
            .headers()
            .get("idempotent-replayed")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let body = response.text().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            Ok(Answer { replayed, body })
        } else {
            Err(Failure::from_answer(status, &body))
        }
    }

    /// A request that got no answer.
    fn transport(&self, error: &reqwest::Error) -> Failure {
        let base = self.base.as_str();
        if error.is_timeout() {
            Failure::Unavailable(format!(
                "Zeitüberschreitung: {base} hat nicht rechtzeitig geantwortet."
            ))
        } else if error.is_connect() {
            Failure::Unavailable(format!("Keine Verbindung zu {base}: läuft das Register?"))
        } else if error.is_request() || error.is_body() {
            Failure::Unavailable(format!(
                "Die Verbindung zu {base} ist abgebrochen ({error})."
            ))
        } else {
            Failure::Other(format!("Anfrage an {base} fehlgeschlagen: {error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_exit_codes() {
        let cases = [
            (400, 2),
            (403, 2),
            (404, 2),
            (409, 2),
            (412, 2),
            (413, 2),
            (422, 2),
            (401, 3),
            (503, 4),
            (504, 4),
            (500, 1),
            (502, 1),
            (405, 1),
        ];
        for (status, code) in cases {
            let status = StatusCode::from_u16(status).expect("a valid status");
            assert_eq!(
                Failure::from_answer(status, "").exit_code(),
                code,
                "{status}"
            );
        }
    }

    #[test]
    fn problems_show_title_and_detail() {
        let body = r#"{"type":"urn:efa-registry:problem:forbidden","title":"Nicht erlaubt",
            "status":403,"detail":"Nur für das eigene Land."}"#;
        assert_eq!(
            Failure::from_answer(StatusCode::FORBIDDEN, body).to_string(),
            "Nicht erlaubt (HTTP 403): Nur für das eigene Land."
        );
        assert_eq!(
            Failure::from_answer(StatusCode::BAD_GATEWAY, "<html>oops</html>").to_string(),
            "HTTP 502: <html>oops</html>"
        );
    }

    /// A server on a free port that answers its first request 429 with
    /// `Retry-After: 1` and every later one 200; how many it answered.
    async fn limited_once() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let served = std::sync::Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let answer = if count.fetch_add(1, Ordering::SeqCst) == 0 {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Content-Length: 9\r\nConnection: close\r\n\r\n{\"seq\":7}"
                };
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        (base, served)
    }

    #[tokio::test]
    async fn a_rate_limited_request_waits_and_is_sent_again() {
        let (base, served) = limited_once().await;
        let api = Api::new(&base, None, Duration::from_secs(5)).expect("a valid base");
        let body = serde_json::json!({"a": 1});
        let url = api.url(&["adoptions"], &[]);
        let answer = api
            .write(Method::POST, url, Some(&body), "key-1")
            .await
            .expect("answered after the wait");
        assert_eq!(answer.json().expect("JSON")["seq"], 7);
        assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn urls_encode_their_segments() {
        let api =
            Api::new("http://127.0.0.1:8080/", None, Duration::from_secs(1)).expect("a valid base");
        let url = api.url(
            &["services", "a b/c"],
            &[("as_of", "2024-01-01".to_owned())],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/api/v1/services/a%20b%2Fc?as_of=2024-01-01"
        );
        let behind_proxy =
            Api::new("http://host/efa", None, Duration::from_secs(1)).expect("a valid base");
        assert_eq!(
            behind_proxy.url(&["catalogue"], &[]).as_str(),
            "http://host/efa/api/v1/catalogue"
        );
        assert!(Api::new("ftp://host", None, Duration::from_secs(1)).is_err());
        assert!(Api::new("nicht eine adresse", None, Duration::from_secs(1)).is_err());
    }
}
