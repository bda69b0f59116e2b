//! A NATS node lost under load: the real `efa ledger` connected to all
//! three nodes of a `TestCluster`, its event stream replicated three
//! times (`EFA_STREAM_REPLICAS=3`), while 32 clients send commands (each
//! retried with the same command id until answered). One node, chosen by
//! a seeded schedule (`EFA_FAULTS_SEED` repeats it: the node the clients
//! are connected to, the stream's leader, or any node; when, and for how
//! long), is SIGKILLed and later restarted. Acknowledgements must keep coming while it is away;
//! afterwards every acknowledged command is in the log exactly once at its
//! answered sequence, the log contiguous and verifiable, and the stream
//! equal to the log as every node holds it, read from each node alone.

use std::ffi::OsStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use efa_proto::{SealedEvent, subjects};
use efa_runtime::auth::{Role, credential};
use efa_testkit::TestCluster;
use efa_testkit::cluster::NODES;
use futures::StreamExt;

use crate::faults::{
    COMMAND_TIMEOUT, Deadline, Load, XorShift, assert_verifies, finish_and_check_log, start_load,
};
use crate::{spawn_service_with, wait_for_service};

/// Tells this test's command ids apart from the other fault tests'.
const TEST: u8 = 4;
/// Commands acknowledged in all, at least.
const COMMANDS_MIN: usize = 2_000;
/// Acknowledgements that must come while the killed node is away.
const ACKS_WHILE_DOWN_MIN: usize = 200;
/// What each client waits between its commands: 32 clients send at most
/// about 600 commands a second, so the log stays small enough to be read
/// from every node within the time limit.
const CLIENT_PAUSE: Duration = Duration::from_millis(50);
/// Direct gets in flight per node while reading its copy of the stream.
const READS_IN_FLIGHT: usize = 64;
/// The whole test, cluster start to verification: 8 to 28 s on a quiet
/// machine; a shared two-core machine running other tests beside it
/// once took over 60 s.
const TEST_TIME_MAX: Duration = Duration::from_secs(90);
/// How long the replicas may take to be current again after the restart.
const CATCH_UP_MAX: Duration = Duration::from_secs(20);

/// Which node the schedule kills.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The node the clients' connection is on: their requests fail over.
    ClientsNode,
    /// The node leading the event stream: the stream elects a new leader.
    StreamLeader,
    /// Any node.
    AnyNode,
}

impl From<u64> for Target {
    fn from(draw: u64) -> Self {
        match draw {
            0 => Target::ClientsNode,
            1 => Target::StreamLeader,
            _ => Target::AnyNode,
        }
    }
}

/// The index of the node whose server name is `name`.
fn node_named(cluster: &TestCluster, name: &str) -> Option<usize> {
    (0..NODES).find(|&index| cluster.server_name(index) == name)
}

/// The server name of the event stream's leader, if it can be asked now.
async fn stream_leader(js: &jetstream::Context) -> Option<String> {
    let mut stream = js.get_stream(subjects::EVENT_STREAM).await.ok()?;
    let info = stream.info().await.ok()?;
    info.cluster.as_ref()?.leader.clone()
}

/// Says every five seconds how many commands are acknowledged and which
/// node leads the event stream, so that a run cut off by its time limit
/// shows where it stood.
async fn report_progress(load: Arc<Load>, js: jetstream::Context, started: Instant) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        println!(
            "at {:.1} s: {} commands acknowledged, stream leader {:?}",
            started.elapsed().as_secs_f64(),
            load.acked.load(Ordering::SeqCst),
            stream_leader(&js).await
        );
    }
}

/// Waits until the event stream has a leader and every other replica is
/// current, online and without lag: then each node holds what the leader
/// holds.
async fn wait_until_replicas_current(js: &jetstream::Context, deadline: Deadline) {
    let catch_up = Deadline::after(CATCH_UP_MAX);
    let mut last = None;
    loop {
        deadline.check("waiting for the stream's replicas to catch up");
        catch_up.check(&format!(
            "waiting for the stream's replicas to catch up (last seen: {last:?})"
        ));
        if let Ok(mut stream) = js.get_stream(subjects::EVENT_STREAM).await
            && let Ok(info) = stream.info().await
        {
            if let Some(cluster) = &info.cluster
                && cluster.leader.is_some()
                && cluster.replicas.len() == NODES - 1
                && cluster
                    .replicas
                    .iter()
                    .all(|peer| peer.current && !peer.offline && peer.lag.unwrap_or(0) == 0)
            {
                return;
            }
            last = info.cluster.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every event of the log as node `index` holds it: a direct get through a
/// client connected to that node alone is answered by its own replica.
async fn assert_node_holds_log(
    cluster: &TestCluster,
    index: usize,
    events: &[SealedEvent],
    deadline: Deadline,
) {
    let client = cluster.connect_to_node_as(index, Role::Operator).await;
    let js = jetstream::new(client);
    let stream = deadline
        .within(
            &format!("opening the stream on node {index}"),
            js.get_stream(subjects::EVENT_STREAM),
        )
        .await
        .unwrap_or_else(|error| panic!("the stream on node {index}: {error}"));
    let reads = futures::stream::iter(events)
        .map(|event| {
            let stream = &stream;
            async move { (event, stream.direct_get(event.record.seq).await) }
        })
        .buffered(READS_IN_FLIGHT)
        .collect::<Vec<_>>();
    let read = deadline
        .within(&format!("reading the stream from node {index}"), reads)
        .await;
    for (event, message) in read {
        let seq = event.record.seq;
        let message =
            message.unwrap_or_else(|error| panic!("message {seq} on node {index}: {error}"));
        assert_eq!(message.sequence, seq, "node {index}");
        let on_node: SealedEvent = efa_proto::decode(&message.payload).unwrap();
        assert!(
            on_node == *event,
            "node {index}'s message {seq} differs from ledger event {seq}:\n{on_node:?}\n{event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_node_killed_under_load_loses_and_doubles_nothing() {
    let started = Instant::now();
    let deadline = Deadline::after(TEST_TIME_MAX);
    let mut rng = XorShift::from_env_or_clock();
    let target = Target::from(rng.between(0, 3));
    let any_node = rng.between(0, NODES as u64) as usize;
    let kill_after_acks = rng.between(200, 800) as usize;
    let outage = Duration::from_millis(rng.between(1_000, 4_000));

    let mut cluster = TestCluster::start_authenticated().await;
    let urls = cluster.urls();
    let data = cluster.scratch_dir("ledger");
    let nkey = credential::path_in(cluster.secrets_dir(), Role::Ledger);
    let ledger = spawn_service_with(
        "ledger",
        &urls,
        &data,
        &[
            ("EFA_STREAM_REPLICAS", OsStr::new("3")),
            ("EFA_NATS_NKEY_FILE", nkey.as_os_str()),
            // A cluster's ledger: it answers only once the replicated
            // stream has taken a command's event.
            ("EFA_CLUSTER_NODE", OsStr::new("node1")),
        ],
    );
    let client = cluster.connect_as(Role::Operator).await;
    deadline
        .within(
            "waiting for the ledger",
            wait_for_service(&client, "efa-ledger"),
        )
        .await;

    let load = Load::paced(
        client.clone(),
        (TEST, COMMANDS_MIN, COMMAND_TIMEOUT),
        deadline,
        CLIENT_PAUSE,
    );
    let clients = start_load(&load);
    let progress = tokio::spawn(report_progress(
        load.clone(),
        jetstream::new(client.clone()),
        started,
    ));
    while load.acked.load(Ordering::SeqCst) < kill_after_acks {
        deadline.check("waiting for the first commands to be acknowledged");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let js = jetstream::new(client.clone());
    let victim = match target {
        Target::ClientsNode => node_named(&cluster, &client.server_info().server_name),
        Target::StreamLeader => stream_leader(&js)
            .await
            .and_then(|leader| node_named(&cluster, &leader)),
        Target::AnyNode => Some(any_node),
    }
    .unwrap_or(any_node);
    tokio::task::block_in_place(|| cluster.kill(victim));
    let acked_at_kill = load.acked.load(Ordering::SeqCst);
    println!(
        "SIGKILL of NATS node {victim} ({}, {target:?}) after {acked_at_kill} acknowledged \
         commands; restart after at least {} ms",
        cluster.server_name(victim),
        outage.as_millis()
    );
    let killed_at = Instant::now();
    while killed_at.elapsed() < outage
        || load.acked.load(Ordering::SeqCst) < acked_at_kill + ACKS_WHILE_DOWN_MIN
    {
        deadline.check(&format!(
            "waiting for {ACKS_WHILE_DOWN_MIN} acknowledgements while node {victim} is down \
             ({} so far)",
            load.acked.load(Ordering::SeqCst) - acked_at_kill
        ));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "{} commands acknowledged in {} ms while node {victim} was down",
        load.acked.load(Ordering::SeqCst) - acked_at_kill,
        killed_at.elapsed().as_millis()
    );
    tokio::task::block_in_place(|| cluster.restart(victim));
    deadline
        .within(
            "waiting for the restarted node's JetStream",
            cluster.wait_for_jetstream(victim),
        )
        .await;
    println!(
        "node {victim} back with JetStream at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (_, events) = finish_and_check_log(
        &load,
        clients,
        (&client, &js),
        (TEST, COMMANDS_MIN),
        deadline,
    )
    .await;
    progress.abort();
    let head = events.len() as u64;
    println!(
        "log checked and the stream equal to it at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    wait_until_replicas_current(&js, deadline).await;
    println!(
        "every replica current at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for index in 0..NODES {
        assert_node_holds_log(&cluster, index, &events, deadline).await;
    }

    drop(ledger); // SIGKILL: sled holds a lock on its files
    assert_verifies(&data, head);
    println!(
        "{head} events across the loss of NATS node {victim}, held by every node, checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
