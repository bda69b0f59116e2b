//! Clients ride through a failover: the real `efa gateway` in front of a
//! real ledger and projectors, the services SIGKILLed under HTTP load.
//! The gateway sends a request again (the same bytes, so the same command
//! id) when nobody listens or an attempt goes unanswered, so every HTTP
//! request is answered with success, only later; each write is applied
//! exactly once. Kill moments come from a seeded schedule (the seed is
//! printed; `EFA_FAULTS_SEED` repeats it); what is asserted does not
//! depend on them.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use efa_proto::{CommandReply, ServiceId, StreamId, subjects};
use futures::StreamExt;

use crate::client::create_token;
use crate::faults::{Deadline, XorShift, kill_ledger_repeatedly, read_log};
use crate::projector_crash::{seeds, stop, wait_for_head};
use crate::{
    authenticated_nats, operator_client, spawn_gateway, spawn_service, spawn_service_with,
    wait_for_service,
};

/// Concurrent HTTP clients.
const WRITERS: usize = 48;
const READERS: usize = 8;
const LEDGER_KILLS: usize = 4;
/// Writes after which the load may end, once the kills are over.
const WRITES_MIN: usize = 400;
/// The gateway's own bound on one NATS request (`efa gateway`'s
/// default): without the retries, a request held by a killed process
/// waited this long and got a 503.
const GATEWAY_NATS_TIMEOUT: Duration = Duration::from_secs(10);
/// Each test must end within this.
const TEST_TIME_MAX: Duration = Duration::from_secs(60);
const METRICS_TOKEN: &str = "metriken-fuer-den-test";

/// What the HTTP clients saw.
#[derive(Debug, Default)]
struct Seen {
    answered: AtomicUsize,
    /// The longest time one request took, in milliseconds.
    longest_ms: AtomicU64,
    /// Requests slower than one second.
    slow: AtomicUsize,
    replayed: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl Seen {
    fn took(&self, elapsed: Duration) {
        self.longest_ms
            .fetch_max(elapsed.as_millis() as u64, Ordering::Relaxed);
        if elapsed > Duration::from_secs(1) {
            self.slow.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn fail(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }

    fn longest(&self) -> Duration {
        Duration::from_millis(self.longest_ms.load(Ordering::Relaxed))
    }

    /// Every request answered with success, each within the gateway's
    /// NATS timeout.
    fn assert_all_succeeded(&self, what: &str) {
        let failures = self.failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "{} of the {what} failed, the first: {:?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
        assert!(
            self.longest() < GATEWAY_NATS_TIMEOUT,
            "a client waited {:?}, as long as without retries",
            self.longest()
        );
    }
}

fn service_id(n: usize) -> String {
    format!("fahrt-{n}")
}

/// The HTTP load of announcements through the gateway.
#[derive(Debug)]
struct Writes {
    http: reqwest::Client,
    base: String,
    token: String,
    next: AtomicUsize,
    faults_done: AtomicBool,
    seen: Seen,
    /// Write number to the sequence its answer named.
    acks: Mutex<BTreeMap<usize, u64>>,
}

impl Writes {
    /// Announces service `n` with the idempotency key `fahrt-<n>`; the
    /// sequence of its answer, if it succeeded.
    async fn write(&self, n: usize) -> Option<u64> {
        let body = serde_json::json!({
            "id": service_id(n),
            "title": format!("Fahrt {n}"),
            "lead": "16",
            "themenfeld": "Fehlertest",
            "provider": "Fehlertest",
            "channel": "efa-marktplatz",
            "cost_model": {"kind": "equal-shares"},
        });
        let started = Instant::now();
        let answer = self
            .http
            .post(format!("{}/api/v1/services", self.base))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", service_id(n))
            .json(&body)
            .send()
            .await;
        let elapsed = started.elapsed();
        let response = match answer {
            Ok(response) => response,
            Err(error) => {
                self.seen.fail(format!("write {n}: {error}"));
                return None;
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            self.seen
                .fail(format!("write {n} after {elapsed:?}: {status} {text}"));
            return None;
        }
        self.seen.took(elapsed);
        if status == reqwest::StatusCode::OK {
            self.seen.replayed.fetch_add(1, Ordering::Relaxed);
        }
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        let seq = answer["seq"].as_u64().unwrap();
        self.acks.lock().unwrap().insert(n, seq);
        self.seen.answered.fetch_add(1, Ordering::SeqCst);
        Some(seq)
    }

    /// One client: writes until enough were written and the faults are over.
    async fn run(self: Arc<Self>) {
        loop {
            let n = self.next.fetch_add(1, Ordering::SeqCst);
            if n >= WRITES_MIN && self.faults_done.load(Ordering::SeqCst) {
                return;
            }
            self.write(n).await;
        }
    }
}

/// The sequences 1..=N without a gap; each acknowledged write in the log
/// exactly once, at the sequence its answer named; nothing else in it.
fn assert_applied_exactly_once(events: &[efa_proto::SealedEvent], acks: &BTreeMap<usize, u64>) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.record.seq, index as u64 + 1, "a gap in the log");
    }
    let mut seqs_of: BTreeMap<StreamId, Vec<u64>> = BTreeMap::new();
    for event in events {
        seqs_of
            .entry(event.record.stream.clone())
            .or_default()
            .push(event.record.seq);
    }
    for (&n, &seq) in acks {
        let stream = StreamId::Service(ServiceId::parse(&service_id(n)).unwrap());
        assert_eq!(
            seqs_of.get(&stream).cloned().unwrap_or_default(),
            [seq],
            "write {n} must be in the log once, at the sequence it was answered with"
        );
    }
    let commands: HashSet<_> = events.iter().map(|e| e.record.command_id).collect();
    assert_eq!(commands.len(), events.len(), "one event per command id");
    assert_eq!(
        events.len(),
        acks.len(),
        "every event is an acknowledged write"
    );
}

/// The value of `efa_rpc_retries_total` for `subject` on the gateway's
/// `/metrics`.
async fn retries_counted(http: &reqwest::Client, base: &str, subject: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("efa_rpc_retries_total{{subject=\"{subject}\"}}");
    text.lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_writes_ride_through_ledger_kills() {
    let started = Instant::now();
    let deadline = Deadline::after(TEST_TIME_MAX);
    let mut rng = XorShift::from_env_or_clock();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let nats = authenticated_nats(&data);
    let url = nats.url();
    let client = operator_client(&url, &data).await;
    let token = create_token(&data, "land:16", "Thüringen");
    // The gateway first: it creates its signing key and trusts it in the
    // data directory, where the ledger finds it at its start.
    let (_gateway, base) = spawn_gateway(
        &url,
        &data,
        &[
            "--api-rate-limit",
            "1000000",
            "--metrics-token",
            METRICS_TOKEN,
        ],
    )
    .await;
    let ledger = spawn_service("ledger", &url, &data);
    wait_for_service(&client, "efa-ledger").await;

    let writes = Arc::new(Writes {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: base.clone(),
        token,
        next: AtomicUsize::new(1),
        faults_done: AtomicBool::new(false),
        seen: Seen::default(),
        acks: Mutex::new(BTreeMap::new()),
    });
    assert!(
        deadline
            .within("the first write", writes.write(0))
            .await
            .is_some(),
        "the first write, before any fault: {:?}",
        writes.seen.failures.lock().unwrap()
    );
    let clients: Vec<_> = (0..WRITERS)
        .map(|_| tokio::spawn(writes.clone().run()))
        .collect();
    let ledger = kill_ledger_repeatedly(
        ledger,
        LEDGER_KILLS,
        (&url, &data),
        (&writes.seen.answered, deadline),
        &mut rng,
    )
    .await;
    writes.faults_done.store(true, Ordering::SeqCst);
    finish(clients, deadline, "finishing the writes").await;
    let seen = &writes.seen;
    println!(
        "{} writes answered across {LEDGER_KILLS} ledger kills, {} replayed, {} slower than 1 s, \
         the longest took {:?}",
        seen.answered.load(Ordering::SeqCst),
        seen.replayed.load(Ordering::Relaxed),
        seen.slow.load(Ordering::Relaxed),
        seen.longest()
    );
    seen.assert_all_succeeded("writes");

    let acks = writes.acks.lock().unwrap().clone();
    let events = read_log(&client, deadline).await;
    assert_applied_exactly_once(&events, &acks);
    let retries = retries_counted(&writes.http, &base, subjects::COMMAND).await;
    println!("the gateway sent commands again {retries} times");
    assert!(
        retries > 0,
        "the kills made the gateway send commands again"
    );
    drop(ledger);
    println!(
        "http_writes_ride_through_ledger_kills took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The answers of `efa-projector` replicas to `$SRV.<verb>`: each
/// replica answers on its own, so all of them are gathered for a while.
async fn replicas_answering(client: &async_nats::Client, verb: &str) -> Vec<serde_json::Value> {
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await.unwrap();
    client
        .publish_with_reply(format!("$SRV.{verb}.efa-projector"), inbox, "".into())
        .await
        .unwrap();
    let mut gathered = Vec::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(300), answers.next()).await
    {
        gathered.push(serde_json::from_slice(&message.payload).unwrap());
    }
    gathered
}

/// Queries each replica has answered so far, by replica id.
async fn queries_per_replica(client: &async_nats::Client) -> BTreeMap<String, u64> {
    requests_per_replica(client, subjects::QUERY).await
}

/// Requests each replica has had on `subject` so far, by replica id.
async fn requests_per_replica(client: &async_nats::Client, subject: &str) -> BTreeMap<String, u64> {
    replicas_answering(client, "STATS")
        .await
        .into_iter()
        .map(|stats| {
            let id = stats["id"].as_str().unwrap().to_owned();
            let served = stats["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["subject"] == subject)
                .and_then(|e| e["num_requests"].as_u64())
                .unwrap_or(0);
            (id, served)
        })
        .collect()
}

/// The HTTP query load through the gateway.
#[derive(Debug)]
struct Reads {
    http: reqwest::Client,
    base: String,
    /// The API's views asked in turn.
    paths: &'static [&'static str],
    /// Every query asks for a view at least at this sequence.
    min_seq: u64,
    stop: AtomicBool,
    seen: Seen,
}

impl Reads {
    /// Starts `READERS` clients asking `paths` in turn through `base`.
    fn start(
        http: reqwest::Client,
        base: String,
        paths: &'static [&'static str],
        min_seq: u64,
    ) -> (Arc<Self>, Vec<tokio::task::JoinHandle<()>>) {
        let reads = Arc::new(Self {
            http,
            base,
            paths,
            min_seq,
            stop: AtomicBool::new(false),
            seen: Seen::default(),
        });
        let clients = (0..READERS)
            .map(|index| tokio::spawn(reads.clone().run(index)))
            .collect();
        (reads, clients)
    }

    /// Tells the clients to stop and waits for them.
    async fn stop(&self, clients: Vec<tokio::task::JoinHandle<()>>, deadline: Deadline) {
        self.stop.store(true, Ordering::SeqCst);
        finish(clients, deadline, "finishing the queries").await;
    }

    /// Client `index` asks the API's views in turn until told to stop.
    async fn run(self: Arc<Self>, index: usize) {
        let mut turn = index;
        while !self.stop.load(Ordering::SeqCst) {
            let path = self.paths[turn % self.paths.len()];
            turn += 1;
            let separator = if path.contains('?') { '&' } else { '?' };
            let url = format!("{}{path}{separator}min_seq={}", self.base, self.min_seq);
            let started = Instant::now();
            match self.http.get(&url).send().await {
                Ok(response) if response.status().is_success() => {
                    let _ = response.bytes().await;
                    self.seen.took(started.elapsed());
                    self.seen.answered.fetch_add(1, Ordering::SeqCst);
                }
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    self.seen.fail(format!(
                        "{path} after {:?}: {status} {text}",
                        started.elapsed()
                    ));
                }
                Err(error) => self.seen.fail(format!("{path}: {error}")),
            }
        }
    }
}

/// Waits for every client task to end, within `deadline`.
async fn finish(clients: Vec<tokio::task::JoinHandle<()>>, deadline: Deadline, what: &str) {
    for client in clients {
        deadline.within(what, client).await.unwrap();
    }
}

/// Both projector replicas have been handed queries by the queue group.
async fn both_replicas_asked(client: &async_nats::Client) {
    let shares = queries_per_replica(client).await;
    println!("queries per replica: {shares:?}");
    assert_eq!(shares.len(), 2, "two replicas answer: {shares:?}");
    assert!(
        shares.values().all(|&served| served > 0),
        "the queue group shares the queries: {shares:?}"
    );
}

/// Waits until the query load has answered `count` more queries.
async fn answered_more(seen: &Seen, count: usize, deadline: Deadline) {
    let target = seen.answered.load(Ordering::SeqCst) + count;
    while seen.answered.load(Ordering::SeqCst) < target {
        deadline.check("waiting for queries to be answered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_ride_through_a_killed_projector_replica() {
    let started = Instant::now();
    let deadline = Deadline::after(TEST_TIME_MAX);
    let mut rng = XorShift::from_env_or_clock();
    let nats = efa_testkit::TestNats::start();
    let url = nats.url();
    let data = nats.scratch_dir("ledger");
    let client = async_nats::connect(&url).await.unwrap();
    let (_gateway, base) = spawn_gateway(&url, &data, &["--api-rate-limit", "1000000"]).await;
    let _ledger = spawn_service("ledger", &url, &data);
    wait_for_service(&client, "efa-ledger").await;
    let mut head = 0;
    for seed in seeds() {
        let reply: CommandReply = efa_runtime::request_retrying(
            &client,
            subjects::COMMAND,
            &crate::signed(&seed.envelope()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        match reply {
            CommandReply::Accepted(accepted) => head = head.max(accepted.last_seq),
            CommandReply::Rejected(rejection) => panic!("seed {}: {rejection}", seed.label),
        }
    }

    let mut replicas = [
        Some(spawn_service("projector", &url, &nats.scratch_dir("a"))),
        Some(spawn_service("projector", &url, &nats.scratch_dir("b"))),
    ];
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let paths = &[
        "/api/v1/services?limit=20",
        "/api/v1/services/online-wohngeldantrag/detail",
        "/api/v1/lands/16",
        "/api/v1/reuse",
        "/api/v1/catalogue",
    ];
    let (reads, clients) = Reads::start(http, base, paths, head);
    answered_more(&reads.seen, 200, deadline).await;
    println!("before the kill:");
    both_replicas_asked(&client).await;

    let victim = rng.between(0, 2) as usize;
    let after = Duration::from_millis(rng.between(0, 500));
    tokio::time::sleep(after).await;
    let mut killed = replicas[victim].take().unwrap();
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    println!(
        "SIGKILL of replica {} {} ms later, {} queries answered",
        ["a", "b"][victim],
        after.as_millis(),
        reads.seen.answered.load(Ordering::SeqCst)
    );
    answered_more(&reads.seen, 200, deadline).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    reads.stop(clients, deadline).await;
    println!(
        "{} queries answered, {} slower than 1 s, the longest took {:?}",
        reads.seen.answered.load(Ordering::SeqCst),
        reads.seen.slow.load(Ordering::Relaxed),
        reads.seen.longest()
    );
    reads.seen.assert_all_succeeded("queries");
    assert_eq!(
        queries_per_replica(&client).await.len(),
        1,
        "one replica is left"
    );

    let survivor_dir = nats.scratch_dir(["a", "b"][1 - victim]);
    let survivor = replicas[1 - victim].take().unwrap();
    deadline
        .within(
            "the survivor reaching the head",
            wait_for_head(&client, head),
        )
        .await;
    stop(survivor).await;
    let fresh_dir = nats.scratch_dir("fresh");
    let fresh = spawn_service("projector", &url, &fresh_dir);
    deadline
        .within(
            "a fresh projector reaching the head",
            wait_for_head(&client, head),
        )
        .await;
    stop(fresh).await;
    assert_eq!(
        efa_projector::view_content_hash(&survivor_dir).unwrap(),
        efa_projector::view_content_hash(&fresh_dir).unwrap(),
        "the survivor's views equal those built from scratch"
    );
    println!(
        "queries_ride_through_a_killed_projector_replica took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A new projector replica fills its empty store from the ledger while
/// another one serves: the queries the queue group hands to the new one
/// meanwhile (refused as unavailable there) are answered by the other,
/// so no client sees a 503. The history is generated (`efa generate`),
/// large enough that the new replica fills for a while.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_answered_while_a_new_replica_fills() {
    let started = Instant::now();
    let deadline = Deadline::after(TEST_TIME_MAX);
    let nats = efa_testkit::TestNats::start();
    let url = nats.url();
    let data = nats.scratch_dir("ledger");
    let generated = crate::efa(&[
        "generate",
        "--data-dir",
        data.to_str().unwrap(),
        "--seed",
        "3",
        "--events",
        "40000",
        "--municipalities",
        "400",
        "--services",
        "30",
    ])
    .output()
    .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    println!(
        "history generated after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let client = async_nats::connect(&url).await.unwrap();
    let (_gateway, base) = spawn_gateway(&url, &data, &["--api-rate-limit", "1000000"]).await;
    let _ledger = spawn_service("ledger", &url, &data);
    wait_for_service(&client, "efa-ledger").await;

    // Both replicas fill their empty store, as a new replica does with a
    // long history (the threshold lowered to fit the generated one).
    let fill_early = [("EFA_FILL_EMPTY_FROM", std::ffi::OsStr::new("1000"))];
    let _serving = spawn_service_with("projector", &url, &nats.scratch_dir("a"), &fill_early);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let catalogue = format!("{base}/api/v1/catalogue");
    loop {
        deadline.check("the first replica answering");
        let answered = http.get(&catalogue).send().await;
        if answered.is_ok_and(|answer| answer.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "first replica serving after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let paths = &[
        "/api/v1/services?limit=20",
        "/api/v1/lands/16",
        "/api/v1/reuse",
        "/api/v1/catalogue",
    ];
    let (reads, clients) = Reads::start(http, base, paths, 0);
    answered_more(&reads.seen, 50, deadline).await;

    let new_dir = nats.scratch_dir("b");
    let _new = spawn_service_with("projector", &url, &new_dir, &fill_early);
    let answered_before = reads.seen.answered.load(Ordering::SeqCst);
    // The new replica's store in use: version 1 (empty) until its fill,
    // filled into version 2, is put in its place.
    let pointer = new_dir.join("views.current");
    while std::fs::read_to_string(&pointer).map_or(true, |version| version.trim() != "2") {
        deadline.check("the new replica filling its views");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answered_while_filling = reads.seen.answered.load(Ordering::SeqCst) - answered_before;
    println!(
        "new replica filled after {:.1} s; {answered_while_filling} queries answered meanwhile",
        started.elapsed().as_secs_f64()
    );
    answered_more(&reads.seen, 100, deadline).await;
    reads.stop(clients, deadline).await;
    reads.seen.assert_all_succeeded("queries");
    both_replicas_asked(&client).await;
    assert!(
        answered_while_filling > 0,
        "queries were asked while the new replica filled"
    );
    let handed_on: u64 = requests_per_replica(&client, subjects::QUERY_SERVING)
        .await
        .values()
        .sum();
    println!("{handed_on} queries handed on by the filling replica");
    assert!(handed_on > 0, "the filling replica was given queries");
    println!(
        "queries_are_answered_while_a_new_replica_fills took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
