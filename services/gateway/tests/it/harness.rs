//! The test harness: a gateway on a free port in front of a real
//! nats-server, with stand-in responders for the ledger and the projector
//! that capture what the gateway sends and answer with canned replies.

use std::net::SocketAddr;
use std::time::Duration;

use efa_gateway::{Gateway, GatewayConfig};
use efa_proto::{
    Accepted, Actor, CommandEnvelope, CommandReply, LandCode, Query, QueryKind, QueryReply,
    subjects,
};
use efa_runtime::Shutdown;
use efa_testkit::TestNats;
use efa_trust::tokens::TokenTable;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

pub const PROBLEM: &str = "application/problem+json";

/// The principals the tests act as, each with a token in every harness.
pub const PRINCIPALS: [&str; 6] = [
    "land:04",
    "land:16",
    "gemeinde:16051000",
    "gemeinde:04011000",
    "operator:kiv-thueringen",
    "admin",
];

/// The token `/metrics` asks for in these tests.
pub const METRICS_TOKEN: &str = "metriken-test-token";

/// What a stand-in projector answers to `query` as the projector would:
/// `answer`'s reply to the query inside a conditional read, stamped
/// (refusals go out as they are). Each stamp is new and never says the
/// answer is the same, so that no kept answer of the gateway is confirmed
/// and every request reaches `answer`: the gateway's tests see what each
/// request asks.
pub fn as_projector(query: Query, answer: impl FnOnce(Query) -> QueryReply) -> QueryReply {
    static ANSWERED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let QueryKind::IfChanged { kind, known } = query.kind else {
        return answer(query);
    };
    let reply = answer(Query {
        min_seq: query.min_seq,
        kind: *kind,
    });
    if matches!(reply, QueryReply::Rejected(_)) {
        return reply;
    }
    let stamp = efa_proto::AnswerStamp {
        applied_seq: ANSWERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        store_version: 1,
        layout: 1,
        today: efa_proto::Date::parse("2025-06-30").unwrap(),
        digest: [0; 32],
    };
    assert!(
        known.is_none_or(|known| !known.same_views(&stamp)),
        "every stamp is new"
    );
    QueryReply::Stamped {
        stamp,
        reply: Box::new(reply),
    }
}

/// A gateway on a free port, a token for Bremen (land:04) and for each
/// of `PRINCIPALS`, and NATS.
pub struct Harness {
    _nats: TestNats,
    pub client: async_nats::Client,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    /// Principal (`land:16`) to token.
    pub tokens: std::collections::BTreeMap<&'static str, String>,
    pub shutdown: Shutdown,
    pub served: tokio::task::JoinHandle<Result<(), efa_gateway::GatewayError>>,
}

impl Harness {
    pub async fn start() -> Self {
        let nats = TestNats::start();
        let client = async_nats::connect(nats.url())
            .await
            .expect("connect to the test nats-server");
        let mut tokens = TokenTable::empty();
        let token = tokens.issue(Actor::Land(LandCode::new(4).unwrap()), "Bremen");
        let by_principal = PRINCIPALS
            .into_iter()
            .map(|principal| {
                let actor = Actor::parse(principal).unwrap();
                (principal, tokens.issue(actor, &format!("Test {principal}")))
            })
            .collect();
        let config = GatewayConfig {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens,
            request_timeout: Duration::from_millis(500),
        };
        let gateway = Gateway::bind(config, client.clone())
            .await
            .expect("bind the gateway")
            .with_metrics_token(METRICS_TOKEN.to_owned());
        let base = format!("http://{}", gateway.local_addr());
        let shutdown = Shutdown::new();
        let served = tokio::spawn(gateway.run(shutdown.clone()));
        Self {
            _nats: nats,
            client,
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            token,
            tokens: by_principal,
            shutdown,
            served,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A POST with token, key and JSON body.
    pub fn announce(&self, key: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url("/api/v1/services"))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key)
            .json(body)
    }

    /// Answers every request on `subject` with `answer(request)`.
    pub async fn respond<Req, Rep>(
        &self,
        subject: &str,
        answer: impl Fn(Req) -> Rep + Send + 'static,
    ) where
        Req: serde::de::DeserializeOwned,
        Rep: serde::Serialize,
    {
        let mut requests = self.client.subscribe(subject.to_owned()).await.unwrap();
        let client = self.client.clone();
        tokio::spawn(async move {
            while let Some(message) = requests.next().await {
                let request: Req = efa_proto::decode(&message.payload).unwrap();
                let reply = efa_proto::encode(&answer(request));
                client
                    .publish(message.reply.unwrap(), reply.into())
                    .await
                    .unwrap();
            }
        });
        self.client.flush().await.unwrap();
    }

    /// A stand-in ledger's command endpoint: the envelope inside the
    /// gateway's signed command (the stand-in checks no signature; the
    /// ledger's tests do).
    pub async fn respond_commands(
        &self,
        answer: impl Fn(CommandEnvelope) -> CommandReply + Send + 'static,
    ) {
        self.respond(
            subjects::COMMAND,
            move |signed: efa_proto::SignedCommand| {
                answer(efa_proto::decode(&signed.envelope).unwrap())
            },
        )
        .await
    }
}

pub fn valid_body() -> Value {
    json!({
        "title": "Digitale Baugenehmigung",
        "lead": "04",
        "themenfeld": "Bauen & Wohnen",
        "provider": "Dataport",
        "channel": "fit-store",
        "cost_model": {"kind": "koenigsteiner-schluessel", "year": 2016},
    })
}

/// Checks the problem document's shape and returns it.
pub async fn problem(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], PROBLEM);
    let path = response.url().path().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["type"],
        format!("urn:efa-registry:problem:{code}"),
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["instance"], path);
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// What the stand-in ledger answers to every accepted command.
pub const ACCEPTED: Accepted = Accepted {
    first_seq: 41,
    last_seq: 42,
    stream_version: 3,
    replayed: false,
};

impl Harness {
    /// A stand-in ledger that accepts every command (as `ACCEPTED`) and
    /// hands over the envelopes it got.
    pub async fn ledger(&self) -> UnboundedReceiver<CommandEnvelope> {
        let (seen, envelopes) = tokio::sync::mpsc::unbounded_channel();
        self.respond_commands(move |envelope: CommandEnvelope| {
            let _ = seen.send(envelope);
            CommandReply::Accepted(ACCEPTED)
        })
        .await;
        envelopes
    }

    /// A stand-in projector answering with `answer` and handing over the
    /// queries it got.
    pub async fn projector(
        &self,
        answer: impl Fn(QueryKind) -> QueryReply + Send + 'static,
    ) -> UnboundedReceiver<Query> {
        let (seen, queries) = tokio::sync::mpsc::unbounded_channel();
        self.respond(subjects::QUERY, move |query: Query| {
            as_projector(query, |query| {
                let reply = answer(query.kind.clone());
                let _ = seen.send(query);
                reply
            })
        })
        .await;
        queries
    }

    /// A write with the token, a fresh idempotency key and a JSON body.
    pub fn write(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::RequestBuilder {
        self.write_as(Some(&self.token), method, path, body)
    }

    /// A write with `token` (none: public), a fresh idempotency key and a
    /// JSON body.
    pub fn write_as(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::RequestBuilder {
        static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let key = KEYS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let request = self
            .http
            .request(method, self.url(path))
            .header("Idempotency-Key", format!("key-{key}"))
            .json(body);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The token of a principal in `PRINCIPALS`.
    pub fn token_of(&self, principal: &str) -> &str {
        &self.tokens[principal]
    }

    /// A public GET.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// A public GET answered with 200 JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        response.json().await.unwrap()
    }
}

/// The Land code `code`.
pub fn land(code: u8) -> LandCode {
    LandCode::new(code).unwrap()
}

/// The body every accepted write answers with.
pub fn accepted_body() -> Value {
    json!({"seq": ACCEPTED.last_seq, "version": ACCEPTED.stream_version})
}

/// Waits (bounded) for the next captured item.
pub async fn next<T>(items: &mut UnboundedReceiver<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), items.recv())
        .await
        .expect("the stand-in got nothing in time")
        .expect("the stand-in stopped")
}
