//! `System`: the whole registry for one test, with one typed method per
//! endpoint, stopped and cleaned up on drop.

use std::time::Duration;

use efa_proto::Actor;
use efa_runtime::Shutdown;
use efa_testkit::TestNats;

/// The demo logins `efa up` writes to `demo-zugaenge.txt`.
pub const DEMO_PRINCIPALS: [(&str, &str); 5] = [
    ("land:04", "Freie Hansestadt Bremen (Demo)"),
    ("land:16", "Freistaat Thüringen (Demo)"),
    ("gemeinde:16051000", "Stadt Erfurt (Demo)"),
    ("operator:kiv-thueringen", "KIV Thüringen (Demo)"),
    ("admin", "Registeradministration (Demo)"),
];

#[derive(Debug)]
pub struct System {
    /// Owned so the server lives as long as the system; dropped last.
    _nats: TestNats,
    pub base: String,
    pub http: reqwest::Client,
    pub client: async_nats::Client,
    pub bremen: String,
    pub thueringen: String,
    /// Tokens of the demo principals (`land:04`, `land:16`,
    /// `gemeinde:16051000`, `operator:kiv-thueringen`, `admin`).
    pub demo: std::collections::BTreeMap<&'static str, String>,
    /// The ledger's data dir (its keys, its trusted signers).
    pub ledger_dir: std::path::PathBuf,
    shutdown: Shutdown,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl System {
    pub async fn start() -> Self {
        efa_runtime::telemetry::init();
        let nats = TestNats::start();
        let connect = |name: &'static str| {
            let url = nats.url();
            async move { efa_runtime::connect(&url, name).await.unwrap() }
        };
        let shutdown = Shutdown::new();
        let ledger_dir = nats.scratch_dir("ledger");
        // As `efa up` does: the gateway's key, trusted for any principal.
        let gateway_key = efa_trust::ensure_trusted_signer(
            &ledger_dir,
            "gateway.key",
            "gateway",
            efa_trust::Scope::Any,
        )
        .unwrap();
        let ledger = efa_ledger::Ledger::start(
            efa_ledger::LedgerConfig {
                data_dir: ledger_dir.clone(),
                cluster: None,
            },
            connect("efa-ledger").await,
        )
        .await
        .unwrap();
        let projector = efa_projector::Projector::start(
            efa_projector::ProjectorConfig {
                query_wait_max: Duration::from_secs(5),
                ..efa_projector::ProjectorConfig::new(nats.scratch_dir("projector"))
            },
            connect("efa-projector").await,
        )
        .await
        .unwrap();
        let mut tokens = efa_trust::tokens::TokenTable::empty();
        let bremen = tokens.issue(Actor::parse("land:04").unwrap(), "Bremen");
        let thueringen = tokens.issue(Actor::parse("land:16").unwrap(), "Thüringen");
        let demo = DEMO_PRINCIPALS
            .into_iter()
            .map(|(principal, name)| {
                (
                    principal,
                    tokens.issue(Actor::parse(principal).unwrap(), name),
                )
            })
            .collect();
        let config = efa_gateway::GatewayConfig {
            http_addr: "127.0.0.1:0".parse().unwrap(),
            tokens,
            request_timeout: Duration::from_secs(10),
        };
        let gateway = efa_gateway::Gateway::bind(config, connect("efa-gateway").await)
            .await
            .unwrap()
            .with_signing_key(gateway_key);
        let base = format!("http://{}", gateway.local_addr());
        let tasks = vec![
            tokio::spawn({
                let s = shutdown.clone();
                async move { ledger.run(s).await.unwrap() }
            }),
            tokio::spawn({
                let s = shutdown.clone();
                async move { projector.run(s).await.unwrap() }
            }),
            tokio::spawn({
                let s = shutdown.clone();
                async move { gateway.run(s).await.unwrap() }
            }),
        ];
        let system = Self {
            client: connect("efa-test").await,
            _nats: nats,
            base,
            http: reqwest::Client::new(),
            bremen,
            thueringen,
            demo,
            ledger_dir,
            shutdown,
            tasks,
        };
        system.wait_ready().await;
        system
    }

    /// `envelope` signed with the gateway's key, as the gateway would.
    pub fn sign(&self, envelope: &efa_proto::CommandEnvelope) -> efa_proto::SignedCommand {
        let key =
            efa_trust::SigningKey::load(&self.ledger_dir.join("secrets/gateway.key")).unwrap();
        efa_trust::sign_command(&key, envelope)
    }

    /// The whole system with the reference data and the demo scenario
    /// loaded, as `efa up` has it on a fresh data directory.
    pub async fn start_with_demo() -> Self {
        let system = Self::start().await;
        let mut seeds = efa_reference::reference_seeds().unwrap();
        seeds.extend(efa_reference::demo::demo_seeds().unwrap());
        system.send_seeds(&seeds).await;
        system
    }

    /// Sends `seeds` to the ledger in order, signed as the gateway signs,
    /// each of which must be accepted.
    pub async fn send_seeds(&self, seeds: &[efa_reference::Seed]) {
        let signer =
            efa_trust::SigningKey::load(&self.ledger_dir.join("secrets/gateway.key")).unwrap();
        for seed in seeds {
            let reply: efa_proto::CommandReply = efa_runtime::request(
                &self.client,
                efa_proto::subjects::COMMAND,
                &efa_trust::sign_command(&signer, &seed.envelope()),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
            assert!(
                matches!(reply, efa_proto::CommandReply::Accepted(_)),
                "seed {}: {reply:?}",
                seed.label
            );
        }
    }

    async fn wait_ready(&self) {
        for _ in 0..250 {
            if let Ok(response) = self.http.get(format!("{}/readyz", self.base)).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the system did not become ready");
    }

    pub async fn announce(&self, token: &str, key: &str, body: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/services", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// The answer to an anonymous `GET` of `path`, which must be 200.
    pub async fn read_ok(&self, path: &str) -> reqwest::Response {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response
    }

    /// [`System::read_ok`]'s answer as JSON.
    pub async fn read_json(&self, path: &str) -> serde_json::Value {
        self.read_ok(path).await.json().await.unwrap()
    }

    pub async fn catalogue(&self, min_seq: u64) -> serde_json::Value {
        self.read_json(&format!("/api/v1/services?min_seq={min_seq}"))
            .await
    }

    /// The number of events in the ledger, read through its read API.
    pub async fn ledger_head(&self) -> u64 {
        let request = efa_proto::ReadEvents {
            from_seq: 1,
            limit: 1,
        };
        let reply: efa_proto::ReadReply = efa_runtime::request(
            &self.client,
            efa_proto::subjects::LEDGER_READ,
            &request,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        match reply.into_page() {
            Ok(page) => page.head_seq,
            Err(r) => panic!("{r}"),
        }
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            task.await.unwrap();
        }
    }
}
