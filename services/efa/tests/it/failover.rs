//! Ledger failover with the real binaries: several `efa ledger
//! --cluster-node` processes on a three-node NATS cluster (the event
//! stream and the lease with three replicas), 32 clients sending commands
//! (each retried with the same command id until answered), and the active
//! node SIGKILLed, or SIGSTOPped past its lease and then let go on. A
//! standby must take over within `TAKEOVER_MAX`; afterwards every
//! acknowledged command is in the stream exactly once at its answered
//! sequence, the stream contiguous, and every node's log equal to the
//! stream and verified by `efa verify`. The schedule is random (seeded,
//! printed; `EFA_FAULTS_SEED` repeats it); what is asserted is not.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};
use efa_ledger::cluster::lease::{LEASE_BUCKET, LEASE_KEY};
use efa_ledger::store::LedgerStore;
use efa_proto::SealedEvent;
use efa_runtime::auth::{Role, credential};
use efa_testkit::TestCluster;

use crate::faults::{
    COMMAND_TIMEOUT, Deadline, Load, XorShift, assert_log_matches_acks, assert_stream_equals_log,
    start_load, wait_for_stream,
};
use crate::{ChildGuard, efa, trust_test_signers};

/// The lease's time to live for these tests (the default is 3 s).
const LEASE_TTL_MS: &str = "1500";
/// The longest a takeover may take: the lease's time to live, the
/// standby's next attempt, reading what the stream gained, and a client's
/// retries (a paused node stays in the command subject's queue group, so
/// a retry may reach it again). 1.3-2.0 s in 40 takeovers; the bound
/// leaves room for a loaded machine.
const TAKEOVER_MAX: Duration = Duration::from_secs(10);
/// Time for a node's last commit to be on disk before it is stopped
/// (each standby has said it reached the stream's end before this).
const SETTLE: Duration = Duration::from_millis(500);

/// One ledger node: its data dir (a copy of the shared one), its log
/// file and its process.
struct LedgerNode {
    name: String,
    dir: PathBuf,
    log: PathBuf,
    child: Option<ChildGuard>,
}

impl LedgerNode {
    fn new(base: &Path, root: &Path, index: usize) -> Self {
        let name = format!("node{index}");
        let dir = root.join(&name);
        efa_testkit::copy_dir(base, &dir);
        Self {
            log: root.join(format!("{name}.log")),
            name,
            dir,
            child: None,
        }
    }

    fn start(&mut self, nats: &TestCluster) {
        let url = nats.urls();
        let nkey = credential::path_in(nats.secrets_dir(), Role::Ledger);
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = efa(&[
            "ledger",
            "--nats-url",
            &url,
            "--data-dir",
            self.dir.to_str().unwrap(),
            "--cluster-node",
            &self.name,
            "--lease-ttl-ms",
            LEASE_TTL_MS,
        ])
        // The standby's "caught up" lines at every window, which
        // `wait_caught_up` reads.
        .env("RUST_LOG", "info,efa_ledger::cluster::follow=debug")
        .env("EFA_STREAM_REPLICAS", "3")
        .env("EFA_NATS_NKEY_FILE", &nkey)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
        self.child = Some(ChildGuard(child));
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.0.id()).unwrap()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.0.kill().unwrap();
            child.0.wait().unwrap();
        }
    }

    /// SIGTERM, then waits for the clean stop.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            crate::terminate(child.0.id());
            child.0.wait().unwrap();
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until a standby says it has followed the stream to `seq`
    /// (its log line "caught up with the stream" with its head).
    async fn wait_caught_up(&self, seq: u64, deadline: Deadline) {
        loop {
            let text = strip_ansi(&self.log_text());
            if deadline.passed() {
                // Without the frames of a backtrace, which would fill the
                // tail and hide the panic's message above them.
                let lines: Vec<&str> = text
                    .lines()
                    .filter(|line| !is_backtrace_frame(line))
                    .collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                deadline.check(&format!(
                    "waiting for {} to follow the stream to {seq}; the end of its log:\n{tail}",
                    self.name
                ));
            }
            let reached = text
                .lines()
                .filter(|line| line.contains("caught up with the stream"))
                .filter_map(|line| line.split("head=").nth(1))
                .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
                .max();
            if reached.is_some_and(|head| head >= seq) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The node's whole log, read from its store after it stopped.
    fn events(&self) -> Vec<SealedEvent> {
        let store = efa_testkit::retry_while_locked(
            || LedgerStore::open_to_read(&self.dir),
            |e| e.to_string().contains("lock"),
        )
        .unwrap();
        let mut events = Vec::new();
        loop {
            let page = store
                .events_on_disk_from(events.len() as u64 + 1, 1000)
                .unwrap();
            if page.is_empty() {
                return events;
            }
            events.extend(page.into_iter().map(|stored| stored.event));
        }
    }
}

/// A log line without its colour codes.
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

async fn stream_last(js: &jetstream::Context) -> u64 {
    let mut stream = js
        .get_stream(efa_proto::subjects::EVENT_STREAM)
        .await
        .unwrap();
    stream.info().await.unwrap().state.last_sequence
}

/// A data dir every node starts from: the trusted signers and the
/// ledger key they share (their NATS credential comes from the cluster).
fn shared_data_dir(root: &Path) -> PathBuf {
    let base = root.join("base");
    trust_test_signers(&base);
    efa_ledger::keys::ledger_key(&base).unwrap();
    base
}

/// The node the lease names now, if any.
async fn active_node(js: &jetstream::Context) -> Option<String> {
    let bucket = js.get_key_value(LEASE_BUCKET).await.ok()?;
    let entry = bucket.entry(LEASE_KEY).await.ok()??;
    (entry.operation == kv::Operation::Put)
        .then(|| String::from_utf8(entry.value.to_vec()).ok())
        .flatten()
}

/// Waits until the lease names a node other than `not` and a command was
/// acknowledged after `acked_before`; returns the node's index.
async fn takeover(
    js: &jetstream::Context,
    nodes: &[LedgerNode],
    not: Option<&str>,
    load: &Load,
    acked_before: usize,
    deadline: Deadline,
) -> usize {
    loop {
        deadline.check("waiting for a node to take over");
        if let Some(active) = active_node(js).await
            && Some(active.as_str()) != not
            && load.acked.load(Ordering::SeqCst) > acked_before
            && let Some(index) = nodes.iter().position(|node| node.name == active)
        {
            return index;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `load` has acknowledged `more` commands.
async fn load_goes_on(load: &Load, more: usize, deadline: Deadline) {
    let from = load.acked.load(Ordering::SeqCst);
    while load.acked.load(Ordering::SeqCst) < from + more {
        deadline.check("waiting for the load to go on");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// After the load: every node stopped once it had time to follow, then
/// each log equal to the stream and verified, every acknowledged command
/// in it exactly once.
async fn check_logs(
    nodes: &mut [LedgerNode],
    js: &jetstream::Context,
    acks: &std::collections::BTreeMap<usize, efa_proto::Accepted>,
    test: u8,
    deadline: Deadline,
) {
    let head = acks.values().map(|a| a.last_seq).max().unwrap_or(0);
    wait_for_stream_at_least(js, head, deadline).await;
    let last = stream_last(js).await;
    let active = active_node(js).await;
    for node in nodes.iter() {
        if Some(node.name.as_str()) != active.as_deref() {
            node.wait_caught_up(last, deadline).await;
        }
    }
    tokio::time::sleep(SETTLE).await;
    for node in nodes.iter_mut() {
        node.stop();
    }
    let logs: Vec<Vec<SealedEvent>> = nodes.iter().map(LedgerNode::events).collect();
    let longest = logs.iter().max_by_key(|log| log.len()).unwrap();
    assert_log_matches_acks(longest, acks, test);
    wait_for_stream(js, longest.len() as u64, deadline).await;
    assert_stream_equals_log(js, longest, deadline).await;
    for (node, log) in nodes.iter().zip(&logs) {
        assert!(
            log == longest,
            "{}'s log ({} events) differs from the stream ({} events)",
            node.name,
            log.len(),
            longest.len()
        );
        let verify = efa(&["verify", "--data-dir", node.dir.to_str().unwrap()])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&verify.stdout);
        assert!(
            verify.status.success() && stdout.contains(&format!(": {} Ereignisse,", log.len())),
            "efa verify on {}: {stdout}{}",
            node.name,
            String::from_utf8_lossy(&verify.stderr)
        );
    }
}

async fn wait_for_stream_at_least(js: &jetstream::Context, seq: u64, deadline: Deadline) {
    loop {
        deadline.check(&format!("waiting for the stream to reach {seq}"));
        if let Ok(mut stream) = js.get_stream(efa_proto::subjects::EVENT_STREAM).await
            && let Ok(info) = stream.info().await
            && info.state.last_sequence >= seq
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A slow takeover prints the end of every node's log, to see where the
/// time went.
fn explain_slow_takeover(nodes: &[LedgerNode], took: Duration) {
    if took < Duration::from_secs(5) {
        return;
    }
    for node in nodes {
        let text = strip_ansi(&node.log_text());
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        println!("--- the end of {}'s log:\n{tail}", node.name);
    }
}

/// `count` ledger nodes on a three-node NATS cluster, and the clients'
/// load on them.
struct Running {
    /// Every node's data dir; removed last.
    _root: tempfile::TempDir,
    nats: TestCluster,
    js: jetstream::Context,
    nodes: Vec<LedgerNode>,
    load: std::sync::Arc<Load>,
    clients: tokio::task::JoinHandle<std::collections::BTreeMap<usize, efa_proto::Accepted>>,
}

impl Running {
    async fn start(count: usize, (test, commands_min): (u8, usize), deadline: Deadline) -> Self {
        let root = tempfile::tempdir().unwrap();
        let base = shared_data_dir(root.path());
        let nats = TestCluster::start_authenticated().await;
        let client = nats.connect_as(Role::Operator).await;
        let js = jetstream::new(client.clone());
        let mut nodes: Vec<LedgerNode> = (1..=count)
            .map(|index| LedgerNode::new(&base, root.path(), index))
            .collect();
        for node in &mut nodes {
            node.start(&nats);
        }
        let load = Load::new(client, (test, commands_min, COMMAND_TIMEOUT), deadline);
        let clients = start_load(&load);
        Self {
            _root: root,
            nats,
            js,
            nodes,
            load,
            clients,
        }
    }
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_ledger_killed_under_load_is_replaced_without_loss() {
    const TEST: u8 = 11;
    const COMMANDS_MIN: usize = 2_000;
    const KILLS: usize = 4;
    let deadline = Deadline::start();
    let mut rng = XorShift::from_env_or_clock();
    let Running {
        _root,
        nats,
        js,
        mut nodes,
        load,
        clients,
    } = Running::start(3, (TEST, COMMANDS_MIN), deadline).await;

    let mut takeovers = Vec::new();
    let mut active = takeover(&js, &nodes, None, &load, 0, deadline).await;
    for kill in 1..=KILLS {
        load_goes_on(&load, 200, deadline).await;
        tokio::time::sleep(Duration::from_millis(rng.between(100, 700))).await;
        let killed = nodes[active].name.clone();
        let acked = load.acked.load(Ordering::SeqCst);
        let at = Instant::now();
        nodes[active].kill();
        let killed_index = active;
        active = takeover(&js, &nodes, Some(&killed), &load, acked, deadline).await;
        let took = at.elapsed();
        println!(
            "SIGKILL {kill}/{KILLS} of the active {killed}: {} took over after {} ms",
            nodes[active].name,
            took.as_millis()
        );
        explain_slow_takeover(&nodes, took);
        takeovers.push(took);
        nodes[killed_index].start(&nats);
    }
    let acks = load.finish(clients, deadline).await;
    takeovers.sort();
    println!(
        "takeover after SIGKILL: p50 {} ms, max {} ms over {KILLS} kills",
        percentile(&takeovers, 0.5).as_millis(),
        takeovers.last().unwrap().as_millis()
    );
    for took in &takeovers {
        assert!(
            *took < TAKEOVER_MAX,
            "a takeover took {took:?}, more than {TAKEOVER_MAX:?}"
        );
    }
    check_logs(&mut nodes, &js, &acks, TEST, deadline).await;
}

/// SIGSTOP / SIGCONT as an operator's `kill` sends them.
fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_active_ledger_is_replaced_and_rejoins_as_a_standby() {
    const TEST: u8 = 12;
    const COMMANDS_MIN: usize = 1_000;
    let deadline = Deadline::start();
    let mut rng = XorShift::from_env_or_clock();
    let Running {
        _root,
        // Bound, not ignored: the cluster lives until the test ends.
        nats: _nats,
        js,
        mut nodes,
        load,
        clients,
    } = Running::start(2, (TEST, COMMANDS_MIN), deadline).await;
    let paused = takeover(&js, &nodes, None, &load, 0, deadline).await;
    load_goes_on(&load, 300, deadline).await;
    tokio::time::sleep(Duration::from_millis(rng.between(50, 500))).await;

    let acked = load.acked.load(Ordering::SeqCst);
    let at = Instant::now();
    signal(nodes[paused].pid(), "STOP");
    let active = takeover(
        &js,
        &nodes,
        Some(&nodes[paused].name.clone()),
        &load,
        acked,
        deadline,
    )
    .await;
    let took = at.elapsed();
    println!(
        "SIGSTOP of the active {}: {} took over after {} ms",
        nodes[paused].name,
        nodes[active].name,
        took.as_millis()
    );
    explain_slow_takeover(&nodes, took);
    assert!(took < TAKEOVER_MAX, "the takeover took {took:?}");
    // Past its lease for sure, then it runs on.
    load_goes_on(&load, 200, deadline).await;
    signal(nodes[paused].pid(), "CONT");
    load_goes_on(&load, 300, deadline).await;
    let acks = load.finish(clients, deadline).await;
    assert_eq!(
        active_node(&js).await.as_deref(),
        Some(nodes[active].name.as_str()),
        "the lease stays with the node that took over"
    );
    let log = nodes[paused].log_text();
    assert!(
        log.contains("this node no longer takes commands"),
        "the paused node must stop taking commands once it runs again:\n{log}"
    );
    check_logs(&mut nodes, &js, &acks, TEST, deadline).await;
}

/// Whether `line` is a frame of a printed backtrace ("  12: name" or
/// "             at file:line").
fn is_backtrace_frame(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("at ")
        || trimmed.split_once(": ").is_some_and(|(number, _)| {
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
        })
}
