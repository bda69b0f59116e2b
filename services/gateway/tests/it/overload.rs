//! The gateway under overload answers at once instead of holding a
//! request: one beyond its own limit in flight is refused with 503 and
//! `Retry-After`, a projector that says "busy" becomes the same, a
//! request over its time limit is answered 503, and a web page that could
//! not read its view answers with an error status.

use std::time::Duration;

use efa_proto::{QueryReply, Rejection, subjects};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::Harness;

/// A gateway with its own limits, and a projector that holds every
/// query it gets: each query's reply inbox comes out of the channel.
struct Held {
    _nats: efa_testkit::TestNats,
    client: async_nats::Client,
    base: String,
    http: reqwest::Client,
    inboxes: tokio::sync::mpsc::UnboundedReceiver<String>,
    shutdown: efa_runtime::Shutdown,
}

impl Held {
    async fn start(in_flight_max: usize, timeout: Duration) -> Self {
        let nats = efa_testkit::TestNats::start();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let mut queries = client.subscribe(subjects::QUERY).await.unwrap();
        client.flush().await.unwrap();
        let (held, inboxes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(query) = queries.next().await {
                if let Some(inbox) = query.reply {
                    let _ = held.send(inbox.to_string());
                }
            }
        });
        let config = efa_gateway::GatewayConfig {
            http_addr: "127.0.0.1:0".parse().unwrap(),
            tokens: efa_trust::tokens::TokenTable::empty(),
            request_timeout: Duration::from_secs(10),
        };
        let gateway = efa_gateway::Gateway::bind(config, client.clone())
            .await
            .unwrap()
            .with_limits(in_flight_max, timeout);
        let base = format!("http://{}", gateway.local_addr());
        let shutdown = efa_runtime::Shutdown::new();
        tokio::spawn(gateway.run(shutdown.clone()));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self {
            _nats: nats,
            client,
            base,
            http,
            inboxes,
            shutdown,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// The reply inbox of the next query the projector holds.
    async fn held(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.inboxes.recv())
            .await
            .expect("the gateway asks the projector")
            .unwrap()
    }
}

async fn problem_type(response: reqwest::Response) -> String {
    let problem: Value = response.json().await.unwrap();
    problem["type"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_request_beyond_the_limit_in_flight_is_refused_at_once() {
    let mut gateway = Held::start(1, Duration::from_secs(15)).await;
    let first = tokio::spawn({
        let (http, url) = (
            gateway.http.clone(),
            format!("{}/api/v1/reuse", gateway.base),
        );
        async move { http.get(url).send().await.unwrap() }
    });
    // The first request holds the gateway's only place while the
    // projector holds its query.
    let inbox = gateway.held().await;
    let refused = gateway.get("/api/v1/lands/16").await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(problem_type(refused).await, "urn:efa-registry:problem:busy");
    let health = gateway.get("/healthz").await;
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "health has places of its own"
    );

    // The projector says it is busy: the first request is refused too.
    let busy = QueryReply::Rejected(Rejection::Busy {
        retry_after_ms: 2_500,
    });
    gateway
        .client
        .publish(inbox, efa_proto::encode(&busy).into())
        .await
        .unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.headers()["retry-after"], "3");
    assert_eq!(problem_type(first).await, "urn:efa-registry:problem:busy");
    gateway.shutdown.cancel();
}

#[tokio::test]
async fn a_request_over_its_time_is_answered_503() {
    let mut gateway = Held::start(4, Duration::from_millis(300)).await;
    let answered = tokio::spawn({
        let (http, url) = (gateway.http.clone(), format!("{}/katalog", gateway.base));
        async move { http.get(url).send().await.unwrap() }
    });
    gateway.held().await;
    let response = answered.await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        problem_type(response).await,
        "urn:efa-registry:problem:timeout"
    );
    gateway.shutdown.cancel();
}

#[tokio::test]
async fn every_page_that_cannot_read_its_view_answers_with_an_error_status() {
    // No projector answers.
    let harness = Harness::start().await;
    for path in [
        "/",
        "/katalog",
        "/leistungen/wohngeld",
        "/laender/16",
        "/kommune?ags=16051000",
        "/rollout?land=16",
        "/audit",
    ] {
        let response = harness.http.get(harness.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(response.headers()["retry-after"], "1", "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("nicht erreichbar"), "{path}: {html}");
    }
}

/// A client that never finishes its request head (slowloris) does not
/// hold its connection: the gateway closes it after its header timeout
/// (10 s), and meanwhile serves others.
#[tokio::test]
async fn a_request_head_never_finished_does_not_hold_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let harness = Harness::start().await;
    let address = harness.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert_eq!(harness.get("/healthz").await.status(), StatusCode::OK);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(60), slow.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(_))),
        "the connection is closed, not held: {closed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "nothing was served: {rest:?}"
    );
}
