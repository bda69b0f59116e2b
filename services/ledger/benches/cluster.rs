//! Durable commands on one machine and on a three-node cluster, measured
//! in the same run with the same signed commands, the same client and the
//! same in-flight counts:
//!
//! - one node: the single-machine ledger on one nats-server (the outbox
//!   relay publishes after the answer), the baseline;
//! - one node in cluster mode on one nats-server: the lease and the
//!   append into the stream before the answer, without replication;
//! - three nodes: three nats-servers in one cluster, the event stream
//!   with three replicas and `sync_interval: always` (as
//!   `ops/nats/cluster/` configures them), the active ledger and a standby
//!   that follows it, both in this process;
//! - the same with JetStream's default lazy fsync, to show what writing
//!   every message to disk on every node costs.
//!
//! Every server admits only the registry's roles (the ledger connects as
//! the ledger, the commands come with the gateway's credential). Prints
//! commands per second, p50 and p99, and each row's ratio to the one-node
//! row. Run with `cargo bench -p efa-ledger --bench cluster`;
//! `EFA_BENCH_COMMANDS` sets the commands per row (default 5,000).

use std::path::Path;
use std::time::{Duration, Instant};

use efa_ledger::cluster::ClusterConfig;
use efa_ledger::{Ledger, LedgerConfig};
use efa_proto::*;
use efa_runtime::Shutdown;
use efa_runtime::auth::Role;
use efa_testkit::cluster::Fsync;
use efa_testkit::{TestCluster, TestNats};
use futures::StreamExt;

const IN_FLIGHT: [usize; 3] = [1, 64, 256];

fn announce(i: usize) -> CommandEnvelope {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
    let land = LandCode::new(16).expect("16 is a Land");
    CommandEnvelope {
        command_id: CommandId(id),
        actor: Actor::Land(land),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: ServiceId::parse(&format!("dienst-{i}")).expect("a valid slug"),
            title: format!("Dienst {i}"),
            lead: land,
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

/// Signed commands `offset..offset + count`, signed before the clock starts.
fn commands(signer: &efa_trust::SigningKey, offset: usize, count: usize) -> Vec<SignedCommand> {
    (offset..offset + count)
        .map(|i| efa_trust::sign_command(signer, &announce(i)))
        .collect()
}

/// Sends `payloads` as commands, `in_flight` at once: the rate and each
/// command's latency; every answer must accept.
async fn send(
    client: &async_nats::Client,
    payloads: Vec<SignedCommand>,
    in_flight: usize,
) -> (f64, Vec<Duration>) {
    let count = payloads.len();
    let started = Instant::now();
    let latencies: Vec<Duration> = futures::stream::iter(payloads)
        .map(|payload| async move {
            let sent = Instant::now();
            let answer: CommandReply =
                efa_runtime::request(client, subjects::COMMAND, &payload, Duration::from_secs(30))
                    .await
                    .expect("an answer");
            assert!(matches!(answer, CommandReply::Accepted(_)), "{answer:?}");
            sent.elapsed()
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    (count as f64 / started.elapsed().as_secs_f64(), latencies)
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[at.min(sorted.len().saturating_sub(1))]
}

/// A row's figures per in-flight count.
type Row = Vec<(usize, f64, Duration, Duration)>;

/// One ledger (or a cluster's nodes) already running behind `client`.
async fn measure(client: &async_nats::Client, signer: &efa_trust::SigningKey, count: usize) -> Row {
    let mut row = Vec::new();
    let mut offset = 0;
    // Warm-up: the first commands open the store and the stream.
    send(client, commands(signer, offset, 200), 16).await;
    offset += 200;
    for in_flight in IN_FLIGHT {
        let n = if in_flight == 1 { count / 5 } else { count };
        let (rate, mut latencies) = send(client, commands(signer, offset, n), in_flight).await;
        offset += n;
        latencies.sort();
        row.push((
            in_flight,
            rate,
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
        ));
    }
    row
}

fn ledger_dir(root: &Path, name: &str, signer_dir: &Path) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("secrets")).expect("create a ledger dir");
    let signers = efa_trust::TRUSTED_SIGNERS_FILE;
    std::fs::copy(signer_dir.join(signers), dir.join(signers)).expect("copy the signers");
    let key = efa_ledger::keys::ledger_key_path(signer_dir);
    std::fs::copy(&key, efa_ledger::keys::ledger_key_path(&dir)).expect("copy the ledger key");
    dir
}

async fn run_ledger(
    client: async_nats::Client,
    dir: &Path,
    cluster: Option<ClusterConfig>,
) -> (Shutdown, tokio::task::JoinHandle<()>) {
    let ledger = Ledger::start(
        LedgerConfig {
            data_dir: dir.to_owned(),
            cluster,
        },
        client,
    )
    .await
    .expect("start a ledger");
    let shutdown = Shutdown::new();
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { ledger.run(shutdown).await.expect("the ledger runs") }
    });
    (shutdown, task)
}

async fn stop(running: Vec<(Shutdown, tokio::task::JoinHandle<()>)>) {
    for (shutdown, _) in &running {
        shutdown.cancel();
    }
    for (_, task) in running {
        let _ = task.await;
    }
}

/// Waits until a ledger takes commands (in cluster mode once a node
/// holds the lease).
async fn wait_for_commands(client: &async_nats::Client, signer: &efa_trust::SigningKey) {
    let probe = efa_trust::sign_command(signer, &announce(usize::MAX / 2));
    for _ in 0..400 {
        let answer: Result<CommandReply, _> =
            efa_runtime::request(client, subjects::COMMAND, &probe, Duration::from_secs(1)).await;
        if matches!(answer, Ok(CommandReply::Accepted(_))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no ledger took commands");
}

fn cluster_config(node: &str, replicas: usize) -> Option<ClusterConfig> {
    Some(ClusterConfig {
        node: node.to_owned(),
        lease_ttl: Duration::from_secs(3),
        replicas,
    })
}

/// The active ledger and a standby on a three-node cluster, the stream
/// with three replicas.
async fn three_nodes(
    nats: &TestCluster,
    scratch: &Path,
    signer_dir: &Path,
    signer: &efa_trust::SigningKey,
    count: usize,
    name: &str,
) -> Row {
    // The stream with three replicas before any ledger creates it.
    let js = async_nats::jetstream::new(nats.connect_as(Role::Operator).await);
    js.create_stream(async_nats::jetstream::stream::Config {
        num_replicas: 3,
        ..efa_runtime::jetstream::event_stream_config()
    })
    .await
    .expect("create the R3 stream");
    let tag: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let active = ledger_dir(scratch, &format!("{tag}-node1"), signer_dir);
    let standby = ledger_dir(scratch, &format!("{tag}-node2"), signer_dir);
    let first = run_ledger(
        nats.connect_as(Role::Ledger).await,
        &active,
        cluster_config("node1", 3),
    )
    .await;
    let client = nats.connect_as(Role::Gateway).await;
    wait_for_commands(&client, signer).await;
    let second = run_ledger(
        nats.connect_as(Role::Ledger).await,
        &standby,
        cluster_config("node2", 3),
    )
    .await;
    let row = measure(&client, signer, count).await;
    stop(vec![second, first]).await;
    row
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("EFA_BENCH_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let scratch = tempfile::tempdir().expect("a scratch dir");
    let signer_dir = scratch.path().join("signers");
    let signer = efa_trust::ensure_trusted_signer(
        &signer_dir,
        "gateway.key",
        "gateway",
        efa_trust::Scope::Any,
    )
    .expect("a signer");
    efa_ledger::keys::ledger_key(&signer_dir).expect("a ledger key");

    let mut rows: Vec<(&str, Row)> = Vec::new();
    {
        let nats = TestNats::start_authenticated();
        let dir = ledger_dir(scratch.path(), "single", &signer_dir);
        let running = run_ledger(nats.connect_as(Role::Ledger).await, &dir, None).await;
        let client = nats.connect_as(Role::Gateway).await;
        wait_for_commands(&client, &signer).await;
        rows.push(("one node", measure(&client, &signer, count).await));
        stop(vec![running]).await;
    }
    {
        let nats = TestNats::start_authenticated();
        let dir = ledger_dir(scratch.path(), "cluster-mode", &signer_dir);
        let running = run_ledger(
            nats.connect_as(Role::Ledger).await,
            &dir,
            cluster_config("node1", 1),
        )
        .await;
        let client = nats.connect_as(Role::Gateway).await;
        wait_for_commands(&client, &signer).await;
        rows.push((
            "one node, cluster mode (R1)",
            measure(&client, &signer, count).await,
        ));
        stop(vec![running]).await;
    }
    for (name, sync) in [
        ("three nodes (R3, fsync always) + standby", Fsync::Always),
        (
            "three nodes (R3, JetStream's lazy fsync) + standby",
            Fsync::Default,
        ),
    ] {
        let nats = TestCluster::start_authenticated_with(sync).await;
        let row = three_nodes(&nats, scratch.path(), &signer_dir, &signer, count, name).await;
        rows.push((name, row));
    }

    println!(
        "efa-ledger: durable commands on one node and on a three-node cluster ({count} signed commands per row, in flight 1 with {})",
        count / 5
    );
    println!(
        "{:<52} {:>9} {:>12} {:>9} {:>9} {:>9}",
        "setup", "in flight", "commands/s", "p50 ms", "p99 ms", "vs 1 node"
    );
    let base = rows[0].1.clone();
    for (name, row) in &rows {
        for ((in_flight, rate, p50, p99), (_, base_rate, _, _)) in row.iter().zip(&base) {
            println!(
                "{name:<52} {in_flight:>9} {rate:>12.0} {:>9.2} {:>9.2} {:>9.2}",
                p50.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0,
                rate / base_rate
            );
        }
    }
}
