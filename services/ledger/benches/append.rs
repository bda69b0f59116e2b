//! Durable append throughput of the ledger, against baselines measured in
//! the same run on the same disk: raw sled insert + fsync one at a time,
//! raw sled in batches of 100 + fsync, raw JetStream publish, and before
//! each ledger row a no-op NATS responder answering the same requests
//! (the same signed commands' bytes, the same client and in-flight count)
//! on the ledger's connection: the ratio to it is what the ledger keeps of
//! what the transport carries. Without `EFA_BENCH_NATS_AUTH`, a second
//! no-op row answers through the services' own endpoint code
//! (`efa_runtime::endpoint::serve` on an async-nats service endpoint, a
//! task and a span per request, as the ledger's commands are served):
//! what that layer costs before the ledger does anything. Commands are
//! signed before a row's clock starts. Prints a table; run with `cargo bench -p efa-ledger --bench append`.
//! `EFA_BENCH_COMMANDS` sets the number of commands per ledger run.
//! `EFA_BENCH_NATS_AUTH=on` runs the ledger rows against a second
//! nats-server that admits only the registry's roles (as `efa up` starts
//! it): the ledger connects as the ledger, the commands come from the
//! gateway's credential, each with its permissions. `EFA_BENCH_NATS_AUTH=off`
//! is the same without authentication (a second server, the ledger and
//! the sender on connections of their own), the baseline to compare with.
//! `EFA_BENCH_COMMANDS` sets the number of commands per ledger run. With
//! `--features unsigned-bench` it also runs a second ledger, in the same
//! run on its own nats-server, that neither checks command signatures nor
//! signs checkpoints: the baseline for what signing costs. It runs after
//! the signed ledger, or before it with `EFA_BENCH_UNSIGNED_FIRST=1`, so
//! that the order's share of a difference can be seen.

use std::collections::VecDeque;
use std::fs::File;
use std::time::{Duration, Instant};

use async_nats::jetstream::context::PublishAckFuture;
use efa_ledger::{Ledger, LedgerConfig};
use efa_proto::*;
use efa_runtime::Shutdown;
use efa_testkit::TestNats;
use futures::StreamExt;

/// The allocator the `efa` binary runs the ledger with.
#[global_allocator]
static ALLOCATOR: efa_alloc::MiMalloc = efa_alloc::MiMalloc;

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// sled insert, `flush()` and fsync of the data file, `per_sync` inserts a time.
fn raw_sled(dir: &std::path::Path, count: usize, per_sync: usize) -> f64 {
    let db = sled::Config::new().path(dir).open().expect("open sled");
    let file = File::open(dir.join("db")).expect("open sled's data file");
    let value = vec![7u8; 256];
    let started = Instant::now();
    for i in 0..count {
        db.insert((i as u64).to_be_bytes(), value.as_slice())
            .expect("insert");
        if (i + 1) % per_sync == 0 {
            db.flush().expect("flush");
            file.sync_all().expect("fsync");
        }
    }
    per_second(count, started.elapsed())
}

fn announce(i: usize) -> CommandEnvelope {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    CommandEnvelope {
        command_id: CommandId(id),
        actor: Actor::Land(LandCode::new(16).expect("16 is a Land")),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: ServiceId::parse(&format!("dienst-{i}")).expect("a valid slug"),
            title: format!("Dienst {i}"),
            lead: LandCode::new(16).expect("16 is a Land"),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bench".into(),
            provider: "Bench".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::EqualShares,
            status: ServiceStatus::Planned,
            reifegrad: Reifegrad::new(0).expect("0 is a level"),
        }),
    }
}

/// The commands of one ledger row, encoded (and signed, as the gateway
/// does) before the clock starts: the row measures the ledger and the
/// transport, not the sender's signing on the same two cores.
fn encoded_commands(
    signer: Option<&efa_trust::SigningKey>,
    offset: usize,
    count: usize,
) -> Vec<bytes::Bytes> {
    (offset..offset + count)
        .map(|i| {
            let envelope = announce(i);
            match signer {
                Some(signer) => encode(&efa_trust::sign_command(signer, &envelope)),
                None => encode(&envelope),
            }
            .into()
        })
        .collect()
}

/// One request as `efa_runtime::request` sends it (with its timeout
/// header), its answer's bytes back.
async fn request_bytes(
    client: &async_nats::Client,
    subject: &'static str,
    payload: bytes::Bytes,
) -> bytes::Bytes {
    let timeout = Duration::from_secs(30);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        efa_runtime::rpc::TIMEOUT_HEADER,
        timeout.as_millis().to_string().as_str(),
    );
    let message = async_nats::Request::new()
        .payload(payload)
        .headers(headers)
        .timeout(Some(timeout));
    client
        .send_request(subject, message)
        .await
        .expect("an answer")
        .payload
}

/// Requests with `payloads` on `subject`, `in_flight` at once; the rate
/// and each request's latency. Every answer is checked with `check`.
async fn requests(
    client: &async_nats::Client,
    subject: &'static str,
    payloads: Vec<bytes::Bytes>,
    in_flight: usize,
    check: fn(&[u8]),
) -> (f64, Vec<Duration>) {
    let count = payloads.len();
    let started = Instant::now();
    let latencies: Vec<Duration> = futures::stream::iter(payloads)
        .map(|payload| async move {
            let sent = Instant::now();
            let answer = request_bytes(client, subject, payload).await;
            check(&answer);
            sent.elapsed()
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    (per_second(count, started.elapsed()), latencies)
}

fn accepted(answer: &[u8]) {
    let reply: CommandReply = decode(answer).expect("a command reply");
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
}

/// Commands through NATS request/reply into the ledger, `in_flight` at once.
async fn ledger_appends(
    client: &async_nats::Client,
    signer: Option<&efa_trust::SigningKey>,
    offset: usize,
    count: usize,
    in_flight: usize,
) -> (f64, Vec<Duration>) {
    let payloads = encoded_commands(signer, offset, count);
    requests(client, subjects::COMMAND, payloads, in_flight, accepted).await
}

/// The subject of the no-op responder.
const NOOP_SUBJECT: &str = "bench.noop";

/// A responder that answers every request on `NOOP_SUBJECT` at once with
/// a command reply's bytes, on the connection the ledger uses: what the
/// transport carries with nothing behind it.
async fn start_noop_responder(client: &async_nats::Client) -> tokio::task::JoinHandle<()> {
    let mut requests = client
        .subscribe(NOOP_SUBJECT)
        .await
        .expect("subscribe the no-op responder");
    let client = client.clone();
    let answer: bytes::Bytes = noop_answer().into();
    tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = client.publish(reply, answer.clone()).await;
            }
        }
    })
}

/// What the no-op responders answer: a command reply's bytes.
fn noop_answer() -> Vec<u8> {
    encode(&CommandReply::Accepted(Accepted {
        first_seq: 1,
        last_seq: 1,
        stream_version: 1,
        replayed: false,
    }))
}

/// The subject of the no-op answered through the services' endpoint code.
const NOOP_ENDPOINT_SUBJECT: &str = "bench.noop-endpoint";

/// The no-op answer served as the ledger serves its commands: an
/// async-nats service endpoint and `efa_runtime::endpoint::serve`.
async fn start_noop_endpoint(
    client: &async_nats::Client,
    until: Shutdown,
) -> tokio::task::JoinHandle<()> {
    use async_nats::service::ServiceExt;
    let service = client
        .service_builder()
        .start("bench-noop", "0.1.0")
        .await
        .expect("start the no-op service");
    let endpoint = service
        .endpoint(NOOP_ENDPOINT_SUBJECT)
        .await
        .expect("the no-op endpoint");
    let answer = noop_answer();
    tokio::spawn(async move {
        let _service = service;
        efa_runtime::endpoint::serve(endpoint, 1024, until, move |_| {
            let answer = answer.clone();
            async move { answer }
        })
        .await
    })
}

/// The same requests as a ledger row (the same signed commands' bytes),
/// answered by the no-op responder on `subject`.
async fn noop_requests(
    client: &async_nats::Client,
    subject: &'static str,
    signer: Option<&efa_trust::SigningKey>,
    offset: usize,
    count: usize,
    in_flight: usize,
) -> (f64, Vec<Duration>) {
    let payloads = encoded_commands(signer, offset, count);
    requests(client, subject, payloads, in_flight, |_| {}).await
}

/// Publish acks awaited at most this many at a time. The JetStream context
/// allows 5,000 pending acks and makes `publish` wait beyond that until one
/// is awaited, so collecting every ack future first never finishes.
const JETSTREAM_ACKS_PENDING_MAX: usize = 1000;

/// Publishes `count` messages, up to `JETSTREAM_ACKS_PENDING_MAX` acks pending.
async fn raw_jetstream(client: &async_nats::Client, count: usize) -> f64 {
    let js = async_nats::jetstream::new(client.clone());
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: "BENCH".into(),
        subjects: vec!["bench.>".into()],
        ..Default::default()
    })
    .await
    .expect("create the bench stream");
    let payload = bytes::Bytes::from(vec![7u8; 256]);
    let started = Instant::now();
    let mut pending: VecDeque<PublishAckFuture> =
        VecDeque::with_capacity(JETSTREAM_ACKS_PENDING_MAX);
    for _ in 0..count {
        if pending.len() == JETSTREAM_ACKS_PENDING_MAX
            && let Some(oldest) = pending.pop_front()
        {
            oldest.await.expect("ack");
        }
        let ack = js
            .publish("bench.x", payload.clone())
            .await
            .expect("publish");
        pending.push_back(ack);
    }
    for ack in pending {
        ack.await.expect("ack");
    }
    per_second(count, started.elapsed())
}

/// Ledger appends per second divided by each baseline of the same run.
fn print_ratios(rates: &[(usize, f64)], [sled_one, sled_hundred, jetstream]: [f64; 3]) {
    println!();
    println!(
        "{:<22} {:>16} {:>18} {:>20}",
        "ledger, in flight", "/ sled 1/fsync", "/ sled 100/fsync", "/ JetStream publish"
    );
    for (in_flight, rate) in rates {
        println!(
            "{:<22} {:>15.2}x {:>17.2}x {:>19.2}x",
            in_flight,
            rate / sled_one,
            rate / sled_hundred,
            rate / jetstream
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("EFA_BENCH_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let nats = TestNats::start();
    let scratch = nats.scratch_dir("bench");

    let sled_one = raw_sled(&scratch.join("sled-one"), 2_000, 1);
    let sled_hundred = raw_sled(&scratch.join("sled-hundred"), count, 100);

    let client = async_nats::connect(nats.url()).await.expect("connect");
    let jetstream = raw_jetstream(&client, count).await;

    let auth_mode = std::env::var("EFA_BENCH_NATS_AUTH").ok();
    let (_second_nats, ledger_client, client) = match auth_mode.as_deref() {
        Some("on") => {
            use efa_runtime::auth::Role;
            let server = TestNats::start_authenticated();
            let ledger = server.connect_as(Role::Ledger).await;
            let gateway = server.connect_as(Role::Gateway).await;
            (Some(server), ledger, gateway)
        }
        Some("off") => {
            let server = TestNats::start();
            let ledger = async_nats::connect(server.url()).await.expect("connect");
            let sender = async_nats::connect(server.url()).await.expect("connect");
            (Some(server), ledger, sender)
        }
        _ => (None, client.clone(), client),
    };
    let ledger_client_for_noop = ledger_client.clone();
    let unsigned_first = std::env::var_os("EFA_BENCH_UNSIGNED_FIRST").is_some();
    let mut unsigned = Vec::new();
    if unsigned_first {
        unsigned = unsigned_baseline(count, &scratch).await;
    }
    let signer = efa_trust::ensure_trusted_signer(
        &scratch.join("ledger"),
        "gateway.key",
        "gateway",
        efa_trust::Scope::Any,
    )
    .expect("a signer for the bench");
    let ledger = Ledger::start(
        LedgerConfig {
            data_dir: scratch.join("ledger"),
            cluster: None,
        },
        ledger_client,
    )
    .await
    .expect("start");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(ledger.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;

    println!(
        "efa-ledger durable append benchmark ({count} commands per ledger run, 256-byte values for raw sled{})",
        match auth_mode.as_deref() {
            Some("on") =>
                "; ledger rows on a second server, with NATS authentication and permissions",
            Some("off") => "; ledger rows on a second server, own connections, no authentication",
            _ => "",
        }
    );
    println!("{:<58} {:>12}", "what", "per second");
    println!(
        "{:<58} {:>12.0}",
        "raw sled insert + flush + fsync, one per fsync", sled_one
    );
    println!(
        "{:<58} {:>12.0}",
        "raw sled insert, 100 per flush + fsync", sled_hundred
    );
    println!(
        "{:<58} {:>12.0}",
        "raw JetStream publish, up to 1000 acks pending", jetstream
    );
    let noop = start_noop_responder(&ledger_client_for_noop).await;
    let noop_endpoint = match auth_mode {
        None => Some(start_noop_endpoint(&ledger_client_for_noop, shutdown.clone()).await),
        Some(_) => None,
    };
    let mut offset = 0;
    let mut rates = Vec::new();
    let mut noop_rates = Vec::new();
    let row = |what: String, rate: f64, latencies: &mut Vec<Duration>| {
        latencies.sort();
        println!(
            "{:<58} {:>12.0}   p50 {:>7.3} ms  p99 {:>7.2} ms",
            what,
            rate,
            percentile(latencies, 0.5).as_secs_f64() * 1e3,
            percentile(latencies, 0.99).as_secs_f64() * 1e3,
        );
    };
    for in_flight in [1, 64, 256] {
        let n = if in_flight == 1 { count / 10 } else { count };
        let (noop_rate, mut latencies) =
            noop_requests(&client, NOOP_SUBJECT, Some(&signer), offset, n, in_flight).await;
        row(
            format!("no-op NATS responder, {in_flight} in flight"),
            noop_rate,
            &mut latencies,
        );
        if noop_endpoint.is_some() {
            let (rate, mut latencies) = noop_requests(
                &client,
                NOOP_ENDPOINT_SUBJECT,
                Some(&signer),
                offset,
                n,
                in_flight,
            )
            .await;
            row(
                format!("no-op through the services' endpoint, {in_flight} in flight"),
                rate,
                &mut latencies,
            );
        }
        let (rate, mut latencies) =
            ledger_appends(&client, Some(&signer), offset, n, in_flight).await;
        offset += n;
        row(
            format!("ledger: command over NATS, decided, fsynced, {in_flight} in flight"),
            rate,
            &mut latencies,
        );
        rates.push((in_flight, rate));
        noop_rates.push(noop_rate);
    }
    noop.abort();
    println!();
    println!("{:<22} {:>24}", "ledger, in flight", "/ no-op responder");
    for ((in_flight, rate), noop_rate) in rates.iter().zip(&noop_rates) {
        println!("{:<22} {:>23.2}x", in_flight, rate / noop_rate);
    }
    print_ratios(&rates, [sled_one, sled_hundred, jetstream]);
    shutdown.cancel();
    let _ = task.await;
    print_signature_rates();
    if !unsigned_first {
        unsigned = unsigned_baseline(count, &scratch).await;
    }
    if !unsigned.is_empty() {
        println!();
        println!("{:<22} {:>24}", "ledger, in flight", "signed / unsigned");
        for ((in_flight, signed), (_, plain)) in rates.iter().zip(&unsigned) {
            println!("{:<22} {:>23.2}x", in_flight, signed / plain);
        }
    }
}

/// Ed25519 on one core: what one command costs the gateway (sign) and
/// the ledger (verify).
fn print_signature_rates() {
    let key = efa_trust::SigningKey::generate("bench").expect("a valid key id");
    let public = key.public();
    let message = encode(&announce(7));
    let count = 5_000;
    let started = Instant::now();
    let mut signature = Vec::new();
    for _ in 0..count {
        signature = key.sign(&message);
    }
    let signs = per_second(count, started.elapsed());
    let started = Instant::now();
    for _ in 0..count {
        assert!(public.verifies(&message, &signature));
    }
    let verifies = per_second(count, started.elapsed());
    println!();
    println!("{:<58} {:>12.0}", "Ed25519 sign, one core", signs);
    println!("{:<58} {:>12.0}", "Ed25519 verify, one core", verifies);
}

/// The same ledger rows without signatures, on a fresh nats-server and
/// data dir in the same run.
#[cfg(feature = "unsigned-bench")]
async fn unsigned_baseline(count: usize, scratch: &std::path::Path) -> Vec<(usize, f64)> {
    efa_ledger::UNSIGNED_FOR_BENCH.store(true, std::sync::atomic::Ordering::Relaxed);
    let nats = TestNats::start();
    let client = async_nats::connect(nats.url()).await.expect("connect");
    let ledger = Ledger::start(
        LedgerConfig {
            data_dir: scratch.join("ledger-unsigned"),
            cluster: None,
        },
        client.clone(),
    )
    .await
    .expect("start");
    let shutdown = Shutdown::new();
    let task = tokio::spawn(ledger.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut offset = 0;
    let mut rates = Vec::new();
    for in_flight in [1, 64, 256] {
        let n = if in_flight == 1 { count / 10 } else { count };
        let (rate, _) = ledger_appends(&client, None, offset, n, in_flight).await;
        offset += n;
        println!(
            "{:<58} {:>12.0}",
            format!("ledger without signatures (baseline), {in_flight} in flight"),
            rate,
        );
        rates.push((in_flight, rate));
    }
    shutdown.cancel();
    let _ = task.await;
    efa_ledger::UNSIGNED_FOR_BENCH.store(false, std::sync::atomic::Ordering::Relaxed);
    rates
}

#[cfg(not(feature = "unsigned-bench"))]
async fn unsigned_baseline(_: usize, _: &std::path::Path) -> Vec<(usize, f64)> {
    println!("(the unsigned baseline runs with --features unsigned-bench)");
    Vec::new()
}
