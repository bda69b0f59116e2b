//! `TestCluster`: three real nats-servers forming one cluster named `efa`,
//! each on free loopback ports (clients and routes) with its own store
//! directory, configuration and log file, admitting only the registry's
//! four roles as `TestNats::start_authenticated` does. It exists so that
//! tests can kill and restart one node of a replicated (R3) event stream
//! under load, the way a cluster deployment loses a machine.
//!
//! Each node's configuration is the single-node base (`ops/nats/nats.conf`)
//! with its own `server_name`, `sync_interval: always` in the `jetstream`
//! block (as in `ops/nats/cluster/`, which says why) and a `cluster`
//! block with routes to all three nodes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use efa_runtime::auth::{Credential, Role};
use efa_runtime::nats_server::{self, NatsServerError, ServerOptions};

use crate::node::Node;
use crate::secrets::{BASE_CONFIG, Secrets};

/// The cluster's name in every node's `cluster` block.
pub const CLUSTER_NAME: &str = "efa";
/// How many nodes a `TestCluster` has.
pub const NODES: usize = 3;
/// How long `start` and `wait_for_jetstream` wait for a meta leader.
const META_LEADER_WAIT_MAX: Duration = Duration::from_secs(30);
/// How often a cluster is started on fresh ports when a node ends while
/// it forms.
const START_ATTEMPTS: u32 = 3;
/// How long one JetStream API request may take while waiting for it.
const API_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Server(#[from] NatsServerError),
    #[error("prepare the cluster's files: {0}")]
    Files(#[source] std::io::Error),
    #[error("the base configuration has no line `jetstream {{` to add `sync_interval` to")]
    NoJetStreamBlock,
    #[error("node {node} ended while the cluster formed; the end of its log:\n{log}")]
    NodeEnded { node: usize, log: String },
    #[error(
        "node {node} knows no JetStream meta leader after {waited_ms} ms; the end of its log:\n{log}"
    )]
    NoMetaLeader {
        node: usize,
        waited_ms: u128,
        log: String,
    },
}

/// The configuration of one node: `base` with `server_name` set,
/// `sync_interval: always` in its `jetstream` block, then `authorization`
/// (already in `base` when rendered by `Secrets::config`), then the
/// `cluster` block listening on `route_port` with routes to every node.
fn node_config(
    base: &str,
    server_name: &str,
    route_port: u16,
    route_ports: &[u16],
    sync: Fsync,
) -> Result<String, ClusterError> {
    let mut lines: Vec<String> = Vec::new();
    let mut named = false;
    let mut synced = false;
    for line in base.lines() {
        if line.trim_start().starts_with("server_name:") {
            lines.push(format!("server_name: {server_name}"));
            named = true;
            continue;
        }
        lines.push(line.to_owned());
        if line.trim() == "jetstream {" {
            if sync == Fsync::Always {
                lines.push(
                    "  # Every write on disk before it is acknowledged (see ops/nats/cluster/)."
                        .into(),
                );
                lines.push("  sync_interval: always".into());
            }
            synced = true;
        }
    }
    if !synced {
        return Err(ClusterError::NoJetStreamBlock);
    }
    if !named {
        lines.insert(0, format!("server_name: {server_name}"));
    }
    let routes: Vec<String> = route_ports
        .iter()
        .map(|port| format!("    nats-route://127.0.0.1:{port}"))
        .collect();
    lines.push(String::new());
    lines.push("cluster {".into());
    lines.push(format!("  name: {CLUSTER_NAME}"));
    lines.push(format!("  listen: 127.0.0.1:{route_port}"));
    lines.push("  routes: [".into());
    lines.extend(routes);
    lines.push("  ]".into());
    lines.push("}".into());
    lines.push(String::new());
    Ok(lines.join("\n"))
}

/// `count` free loopback ports, all different (the OS may hand out a port
/// it just reported free again).
fn distinct_free_ports(count: usize) -> Result<Vec<u16>, NatsServerError> {
    let mut ports: Vec<u16> = Vec::with_capacity(count);
    while ports.len() < count {
        let port = nats_server::free_port()?;
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    Ok(ports)
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// When a node writes JetStream's messages to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// `sync_interval: always`, as `ops/nats/cluster/` configures it.
    Always,
    /// JetStream's default (every two minutes), for a benchmark's
    /// comparison only.
    Default,
}

/// Three nats-servers in one cluster, owned by one test. Dropping it
/// kills every node (SIGKILL) and removes their files.
#[derive(Debug)]
pub struct TestCluster {
    // Declared before `dir` so the servers die before their files go.
    nodes: Vec<Node>,
    route_ports: Vec<u16>,
    dir: tempfile::TempDir,
    secrets: Secrets,
}

impl TestCluster {
    /// Starts the three nodes and waits until each of them knows the
    /// cluster's JetStream meta leader, so that streams can be created
    /// through any of them. Panics with the reason (and the nodes' logs)
    /// when the cluster does not form: a test without it cannot say anything.
    pub async fn start_authenticated() -> Self {
        match Self::try_start_authenticated().await {
            Ok(cluster) => cluster,
            Err(error) => panic!("cannot start a NATS cluster for this test: {error}"),
        }
    }

    pub async fn try_start_authenticated() -> Result<Self, ClusterError> {
        Self::try_start_with(Fsync::Always).await
    }

    /// A cluster whose nodes write to disk as `sync` says.
    pub async fn start_authenticated_with(sync: Fsync) -> Self {
        match Self::try_start_with(sync).await {
            Ok(cluster) => cluster,
            Err(error) => panic!("cannot start a NATS cluster for this test: {error}"),
        }
    }

    /// Starts the cluster, again on fresh ports when a node ended while
    /// it formed (its port was taken by another process between being
    /// picked and being listened on).
    async fn try_start_with(sync: Fsync) -> Result<Self, ClusterError> {
        let mut attempt = 1;
        loop {
            match Self::try_start_once(sync).await {
                Err(
                    ClusterError::NodeEnded { .. }
                    | ClusterError::Server(NatsServerError::Exited { .. }),
                ) if attempt < START_ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    async fn try_start_once(sync: Fsync) -> Result<Self, ClusterError> {
        let binary = nats_server::locate()?;
        let secrets = Secrets::create();
        let dir = tempfile::Builder::new()
            .prefix("efa-test-cluster-")
            .tempdir()
            .map_err(ClusterError::Files)?;
        let ports = distinct_free_ports(2 * NODES)?;
        let (client_ports, route_ports) = ports.split_at(NODES);
        let base = secrets.config(BASE_CONFIG);
        let mut nodes = Vec::with_capacity(NODES);
        for (index, (&port, &route_port)) in client_ports.iter().zip(route_ports).enumerate() {
            let node_dir = dir.path().join(format!("node{}", index + 1));
            std::fs::create_dir_all(&node_dir).map_err(ClusterError::Files)?;
            let server_name = format!("efa-node{}", index + 1);
            let config = node_config(&base, &server_name, route_port, route_ports, sync)?;
            let config_file = node_dir.join("nats.conf");
            std::fs::write(&config_file, config).map_err(ClusterError::Files)?;
            let options = ServerOptions {
                port,
                store_dir: node_dir.join("jetstream"),
                config_file: Some(config_file),
                log_file: Some(node_dir.join("nats-server.log")),
                pid_file: None,
            };
            nodes.push(Node::start(&binary, options)?);
        }
        let mut cluster = Self {
            nodes,
            route_ports: route_ports.to_vec(),
            dir,
            secrets,
        };
        for index in 0..NODES {
            cluster.try_wait_for_jetstream(index).await?;
        }
        Ok(cluster)
    }

    /// Waits until node `index` answers a JetStream API request through a
    /// client connected to it alone (it then has routes to the meta
    /// leader); panics after a bounded wait with the node's log.
    pub async fn wait_for_jetstream(&mut self, index: usize) {
        if let Err(error) = self.try_wait_for_jetstream(index).await {
            panic!("{error}");
        }
    }

    async fn try_wait_for_jetstream(&mut self, index: usize) -> Result<(), ClusterError> {
        let client = self.connect_to_node_as(index, Role::Operator).await;
        let js = async_nats::jetstream::ContextBuilder::new()
            .timeout(API_REQUEST_TIMEOUT)
            .build(client);
        let started = Instant::now();
        while started.elapsed() < META_LEADER_WAIT_MAX {
            if js.query_account().await.is_ok() {
                return Ok(());
            }
            if let Some(node) = self.nodes.iter_mut().position(Node::has_exited) {
                return Err(ClusterError::NodeEnded {
                    node,
                    log: tail(&self.nodes[node].log(), 20),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(ClusterError::NoMetaLeader {
            node: index,
            waited_ms: started.elapsed().as_millis(),
            log: tail(&self.nodes[index].log(), 40),
        })
    }

    /// Every node's client URL, comma-separated: what a service that
    /// fails over from one node to another is given.
    pub fn urls(&self) -> String {
        let urls: Vec<String> = self.nodes.iter().map(Node::url).collect();
        urls.join(",")
    }

    /// Node `index`'s client URL (0, 1 or 2).
    pub fn url(&self, index: usize) -> String {
        self.nodes[index].url()
    }

    /// Node `index`'s client port.
    pub fn port(&self, index: usize) -> u16 {
        self.nodes[index].port()
    }

    /// Node `index`'s route port (where the other nodes connect to it).
    pub fn route_port(&self, index: usize) -> u16 {
        self.route_ports[index]
    }

    /// Node `index`'s name in the cluster (`efa-node1` for index 0).
    pub fn server_name(&self, index: usize) -> String {
        format!("efa-node{}", index + 1)
    }

    /// Where the roles' credentials lie (a data directory's layout:
    /// `secrets/nats/<role>.nk`).
    pub fn secrets_dir(&self) -> &Path {
        self.secrets.dir()
    }

    /// `role`'s credential.
    pub fn credential(&self, role: Role) -> Credential {
        self.secrets.credential(role)
    }

    /// A client connected as `role` to all three nodes: it fails over when
    /// the node it talks to goes away.
    pub async fn connect_as(&self, role: Role) -> async_nats::Client {
        self.secrets.connect_as(&self.urls(), role).await
    }

    /// A client connected as `role` to node `index` alone (it may still
    /// learn the others' URLs from the server; use it while they run only
    /// to ask that node).
    pub async fn connect_to_node_as(&self, index: usize, role: Role) -> async_nats::Client {
        self.secrets.connect_as(&self.url(index), role).await
    }

    /// Node `index`'s JetStream store directory.
    pub fn store_dir(&self, index: usize) -> &Path {
        self.nodes[index].store_dir()
    }

    /// A scratch directory that lives as long as the cluster (for the
    /// data directories of the services under test).
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        crate::scratch_dir(self.dir.path(), name)
    }

    /// Kills node `index` (SIGKILL): a machine lost at once.
    pub fn kill(&mut self, index: usize) {
        self.nodes[index].kill();
    }

    /// Starts node `index` again on the same ports with the same store and
    /// configuration; it then catches up from the others. Waits only until
    /// it greets clients (`wait_for_jetstream` waits for more).
    pub fn restart(&mut self, index: usize) {
        self.nodes[index]
            .restart()
            .unwrap_or_else(|error| panic!("cannot restart node {index}: {error}"));
    }

    /// Node `index`'s process id while it runs.
    pub fn pid(&self, index: usize) -> Option<u32> {
        self.nodes[index].pid()
    }

    /// Node `index`'s log so far.
    pub fn log(&self, index: usize) -> String {
        self.nodes[index].log()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_config_names_the_node_syncs_always_and_routes_to_all() {
        let config = node_config(
            BASE_CONFIG,
            "efa-node2",
            6001,
            &[6000, 6001, 6002],
            Fsync::Always,
        )
        .unwrap();
        assert!(config.contains("server_name: efa-node2\n"), "{config}");
        assert!(!config.contains("efa-local"), "{config}");
        assert!(
            config.contains("jetstream {\n  # Every write on disk before it is acknowledged"),
            "{config}"
        );
        assert!(config.contains("  sync_interval: always\n"), "{config}");
        assert!(
            config.contains("  name: efa\n  listen: 127.0.0.1:6001\n"),
            "{config}"
        );
        for port in [6000, 6001, 6002] {
            assert!(config.contains(&format!("nats-route://127.0.0.1:{port}\n")));
        }
        assert!(matches!(
            node_config("server_name: x\n", "y", 1, &[1], Fsync::Always),
            Err(ClusterError::NoJetStreamBlock)
        ));
    }

    /// The event stream's configuration with three replicas and a short
    /// duplicate window, written as the ledger does (only the ledger may
    /// publish events).
    fn r3_stream() -> async_nats::jetstream::stream::Config {
        let mut config = efa_runtime::jetstream::event_stream_config();
        config.num_replicas = NODES;
        config
    }

    /// Publishes messages `from..=to`, each until it is acknowledged (while
    /// the stream elects a new leader the publish finds no responder) under
    /// its own message id, so that a retry cannot store it twice.
    async fn publish_acked(js: &async_nats::jetstream::Context, from: u64, to: u64) {
        let started = Instant::now();
        for n in from..=to {
            loop {
                let publish = async_nats::jetstream::message::PublishMessage::build()
                    .payload(n.to_string().into())
                    .message_id(format!("test-{n}"));
                let sent = js.send_publish(format!("efa.evt.test.{n}"), publish).await;
                let error = match sent {
                    Ok(ack) => match ack.await {
                        Ok(ack) => {
                            assert_eq!(
                                ack.sequence, n,
                                "message {n} got sequence {}",
                                ack.sequence
                            );
                            break;
                        }
                        Err(error) => error.to_string(),
                    },
                    Err(error) => error.to_string(),
                };
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "message {n} was not acknowledged: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Waits until every replica of the stream is current, with no lag.
    async fn wait_until_replicas_current(stream: &mut async_nats::jetstream::stream::Stream) {
        let started = Instant::now();
        loop {
            if let Ok(info) = stream.info().await
                && let Some(cluster) = &info.cluster
                && cluster.leader.is_some()
                && cluster.replicas.len() == NODES - 1
                && cluster
                    .replicas
                    .iter()
                    .all(|peer| peer.current && !peer.offline && peer.lag.unwrap_or(0) == 0)
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the stream's replicas did not catch up: {:?}",
                stream.cached_info().cluster
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cluster_forms_an_r3_stream_takes_messages_and_drop_ends_every_node() {
        let cluster = TestCluster::start_authenticated().await;
        assert_eq!(cluster.urls().split(',').count(), NODES);
        assert!(
            async_nats::connect(cluster.url(0)).await.is_err(),
            "anonymous refused"
        );
        let ledger = cluster.connect_as(Role::Ledger).await;
        let js = async_nats::jetstream::new(ledger);
        let mut stream = js
            .create_stream(r3_stream())
            .await
            .expect("create an R3 stream");
        publish_acked(&js, 1, 20).await;
        let info = stream.info().await.expect("stream info");
        assert_eq!(info.state.messages, 20);
        let replicas = info
            .cluster
            .as_ref()
            .expect("a clustered stream")
            .replicas
            .len();
        assert_eq!(replicas, NODES - 1, "a leader and two replicas");
        for index in 0..NODES {
            assert!(cluster.log(index).contains("efa-node"), "node {index} logs");
        }

        let pids: Vec<u32> = (0..NODES).filter_map(|index| cluster.pid(index)).collect();
        assert_eq!(pids.len(), NODES);
        drop(cluster);
        for pid in pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            assert!(
                status.is_empty() || status.contains("zombie"),
                "server {pid} still runs"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_killed_node_misses_nothing_once_restarted() {
        let mut cluster = TestCluster::start_authenticated().await;
        let ledger = cluster.connect_as(Role::Ledger).await;
        let js = async_nats::jetstream::new(ledger);
        let mut stream = js
            .create_stream(r3_stream())
            .await
            .expect("create an R3 stream");
        publish_acked(&js, 1, 10).await;
        // The stream's leader, the harshest node to lose.
        let leader = stream
            .info()
            .await
            .expect("stream info")
            .cluster
            .as_ref()
            .and_then(|cluster| cluster.leader.clone())
            .expect("the stream has a leader");
        let victim = (0..NODES)
            .find(|&index| cluster.server_name(index) == leader)
            .expect("the leader is one of the nodes");
        let pid = cluster.pid(victim).expect("the node runs");
        tokio::task::block_in_place(|| cluster.kill(victim));
        assert!(cluster.pid(victim).is_none());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        assert!(
            status.is_empty() || status.contains("zombie"),
            "node {victim} still runs"
        );

        // Acknowledged writes go on through the two others.
        publish_acked(&js, 11, 30).await;
        tokio::task::block_in_place(|| cluster.restart(victim));
        cluster.wait_for_jetstream(victim).await;
        wait_until_replicas_current(&mut stream).await;

        // Read from the restarted node alone: a direct get is answered by a
        // replica on the server the request arrives at.
        let alone = cluster.connect_to_node_as(victim, Role::Operator).await;
        let on_node = async_nats::jetstream::new(alone)
            .get_stream(efa_runtime::jetstream::event_stream_config().name)
            .await
            .expect("the stream from the restarted node");
        for n in 1..=30u64 {
            let message = on_node
                .direct_get(n)
                .await
                .unwrap_or_else(|error| panic!("message {n} on node {victim}: {error}"));
            assert_eq!(message.payload, n.to_string().as_bytes());
        }
    }
}
