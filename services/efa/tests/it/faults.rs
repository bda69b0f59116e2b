//! Fault injection against the real binaries, the acceptance tests of the
//! ledger's promises: the ledger SIGKILLed again and again under concurrent
//! load, and the nats-server SIGKILLed and restarted mid-load. Clients
//! retry every command with the same command id until it is answered.
//! Afterwards every acknowledged command must be in the log exactly once,
//! at the sequence its answer named, the log contiguous and verifiable, the
//! JetStream stream equal to the log message by message, and the
//! projector's catalogue complete. The fault schedule is random (seeded,
//! the seed is printed); what is asserted is not. The nats-server runs
//! with the configuration `efa up` writes: every process authenticates as
//! its role, the test's own client as the operator.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use efa_proto::{
    Accepted, Actor, AnnounceService, CatalogueView, Channel, Command, CommandEnvelope, CommandId,
    CommandReply, CostModel, LandCode, Query, QueryKind, QueryReply, ReadEvents, ReadReply,
    Reifegrad, Rejection, SealedEvent, ServiceId, ServiceStatus, StreamId, subjects,
};
use efa_runtime::RpcError;
use efa_testkit::TestNats;
use futures::StreamExt;

use crate::{
    ChildGuard, authenticated_nats, efa, operator_client, spawn_service, wait_for_service,
};

/// Concurrent clients, each sending its own commands one after the other.
pub(crate) const CLIENTS: usize = 32;
/// How long a client waits for one answer before it sends the command again.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// The same across a NATS restart: shorter than the outage. The client
/// library buffers requests while disconnected, and a reply sent after the
/// reconnect still arrives, so with a longer timeout a client would often
/// never send a command twice, and the replay path would go untested.
pub(crate) const COMMAND_TIMEOUT_SHORT: Duration = Duration::from_millis(500);
/// The pause before a retry when the ledger or NATS is away.
pub(crate) const RETRY_PAUSE: Duration = Duration::from_millis(25);
/// The most any one of these tests may take; exceeding it fails the test.
const TEST_TIME_MAX: Duration = Duration::from_secs(90);
/// Events asked for per read of the ledger's log (the ledger caps at 1000).
const READ_PAGE_LEN: u32 = 1000;
/// Upper bound of loops that the deadline ends long before.
const ROUNDS_MAX: usize = 1_000_000;

/// The environment variable that repeats a fault schedule.
const SEED_ENV: &str = "EFA_FAULTS_SEED";

/// A point in time after which the test fails, naming what it was doing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    pub(crate) fn start() -> Self {
        Self::after(TEST_TIME_MAX)
    }

    pub(crate) fn after(limit: Duration) -> Self {
        Self {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// Whether the time limit has passed.
    pub(crate) fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    pub(crate) fn check(&self, doing: &str) {
        assert!(
            Instant::now() < self.at,
            "the test exceeded its time limit of {} s while {doing}",
            self.limit.as_secs()
        );
    }

    pub(crate) async fn within<F: Future>(&self, doing: &str, future: F) -> F::Output {
        self.within_saying(|| doing.to_owned(), future).await
    }

    /// [`Self::within`], saying what was being done as it stood when the
    /// time ran out.
    pub(crate) async fn within_saying<F: Future>(
        &self,
        doing: impl FnOnce() -> String,
        future: F,
    ) -> F::Output {
        let left = self.at.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, future).await {
            Ok(output) => output,
            Err(_) => panic!(
                "the test exceeded its time limit of {} s while {}",
                self.limit.as_secs(),
                doing()
            ),
        }
    }
}

/// xorshift64: a small seeded generator for the fault schedule.
#[derive(Debug)]
pub(crate) struct XorShift(u64);

impl XorShift {
    /// Seeded from `EFA_FAULTS_SEED`, or from the clock; prints the seed.
    pub(crate) fn from_env_or_clock() -> Self {
        let seed = std::env::var(SEED_ENV)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                now.as_nanos() as u64
            });
        println!("fault schedule seed {seed} (set {SEED_ENV}={seed} to repeat it)");
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `low..high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

pub(crate) fn command_id(test: u8, n: usize) -> CommandId {
    let mut id = [0u8; 16];
    id[0] = 0xfa;
    id[1] = test;
    id[8..].copy_from_slice(&(n as u64).to_be_bytes());
    CommandId(id)
}

pub(crate) fn service_id(n: usize) -> ServiceId {
    ServiceId::parse(&format!("dienst-{n}")).unwrap()
}

/// Command number `n` of test `test`: Thüringen announces `dienst-<n>`.
pub(crate) fn announcement(test: u8, n: usize) -> CommandEnvelope {
    let thueringen = LandCode::new(16).unwrap();
    CommandEnvelope {
        command_id: command_id(test, n),
        actor: Actor::Land(thueringen),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: service_id(n),
            title: format!("Dienst {n}"),
            lead: thueringen,
            ozg_id: None,
            leika: vec![],
            themenfeld: "Fehlertest".into(),
            provider: "Fehlertest".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::EqualShares,
            status: ServiceStatus::Planned,
            reifegrad: Reifegrad::new(1).unwrap(),
        }),
    }
}

/// The load generator's shared state.
#[derive(Debug)]
pub(crate) struct Load {
    client: async_nats::Client,
    /// Tells the command ids of the two tests apart.
    test: u8,
    commands_min: usize,
    timeout: Duration,
    /// Set once every fault has been injected. Clients stop only after it,
    /// so the faults always hit a running load.
    pub(crate) faults_done: AtomicBool,
    pub(crate) acked: AtomicUsize,
    retries: AtomicUsize,
    replayed: AtomicUsize,
    deadline: Deadline,
    /// What each client waits after an answer before its next command
    /// (zero: none), to bound how many commands a test has to check.
    pause: Duration,
}

impl Load {
    pub(crate) fn new(
        client: async_nats::Client,
        (test, commands_min, timeout): (u8, usize, Duration),
        deadline: Deadline,
    ) -> Arc<Self> {
        Arc::new(Self {
            client,
            test,
            commands_min,
            timeout,
            faults_done: AtomicBool::new(false),
            acked: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
            replayed: AtomicUsize::new(0),
            deadline,
            pause: Duration::ZERO,
        })
    }

    /// `new`, but each client waits `pause` after each answer.
    pub(crate) fn paced(
        client: async_nats::Client,
        params: (u8, usize, Duration),
        deadline: Deadline,
        pause: Duration,
    ) -> Arc<Self> {
        let mut load = Self::new(client, params, deadline);
        if let Some(load) = Arc::get_mut(&mut load) {
            load.pause = pause;
        }
        load
    }

    /// Lets the clients stop (every fault is injected), waits for their
    /// final answers within `deadline` and reports them.
    pub(crate) async fn finish(
        &self,
        clients: tokio::task::JoinHandle<BTreeMap<usize, Accepted>>,
        deadline: Deadline,
    ) -> BTreeMap<usize, Accepted> {
        self.faults_done.store(true, Ordering::SeqCst);
        let doing = || {
            format!(
                "finishing the load ({} commands acknowledged, at least {} wanted; {} retries)",
                self.acked.load(Ordering::SeqCst),
                self.commands_min,
                self.retries.load(Ordering::Relaxed),
            )
        };
        let acks = deadline.within_saying(doing, clients).await.unwrap();
        self.report(acks.len());
        acks
    }

    pub(crate) fn report(&self, acks: usize) {
        println!(
            "load: {acks} commands acknowledged, {} retries, {} answers replayed",
            self.retries.load(Ordering::Relaxed),
            self.replayed.load(Ordering::Relaxed),
        );
    }
}

/// Starts `CLIENTS` clients; the handle gives every command's final answer.
pub(crate) fn start_load(load: &Arc<Load>) -> tokio::task::JoinHandle<BTreeMap<usize, Accepted>> {
    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| tokio::spawn(run_client(load.clone(), index)))
        .collect();
    tokio::spawn(async move {
        let mut acks = BTreeMap::new();
        for client in clients {
            acks.extend(client.await.unwrap());
        }
        acks
    })
}

/// Client `index` sends commands `index`, `index + CLIENTS`, ... one at a
/// time, until enough were sent and the faults are over.
async fn run_client(load: Arc<Load>, index: usize) -> Vec<(usize, Accepted)> {
    let mut acks = Vec::new();
    for round in 0..ROUNDS_MAX {
        let n = round * CLIENTS + index;
        if n >= load.commands_min && load.faults_done.load(Ordering::SeqCst) {
            break;
        }
        let accepted = send_until_answered(&load, &announcement(load.test, n)).await;
        load.acked.fetch_add(1, Ordering::SeqCst);
        acks.push((n, accepted));
        if !load.pause.is_zero() {
            tokio::time::sleep(load.pause).await;
        }
    }
    acks
}

/// Sends `envelope` (the same bytes every time) until the ledger accepts
/// it; `Unavailable` and transport failures mean "try again".
async fn send_until_answered(load: &Load, envelope: &CommandEnvelope) -> Accepted {
    for _ in 0..ROUNDS_MAX {
        load.deadline
            .check("a client waited for its command to be accepted");
        let reply = efa_runtime::request::<_, CommandReply>(
            &load.client,
            subjects::COMMAND,
            &crate::signed(envelope),
            load.timeout,
        )
        .await;
        match reply {
            Ok(CommandReply::Accepted(accepted)) => {
                if accepted.replayed {
                    load.replayed.fetch_add(1, Ordering::Relaxed);
                }
                return accepted;
            }
            Ok(CommandReply::Rejected(Rejection::Unavailable { .. })) => {}
            Ok(CommandReply::Rejected(rejection)) => {
                panic!(
                    "command {} was rejected: {rejection:?}",
                    envelope.command_id
                )
            }
            Err(error @ RpcError::Decode { .. }) => panic!("{error}"),
            // No responders, timed out, disconnected: the ledger or NATS is away.
            Err(_) => {}
        }
        load.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    panic!("command {} was never accepted", envelope.command_id)
}

/// Repeats `attempt` while it fails in transport (service or NATS away).
pub(crate) async fn retrying<T, F, Fut>(deadline: Deadline, doing: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RpcError>>,
{
    for _ in 0..ROUNDS_MAX {
        deadline.check(doing);
        match attempt().await {
            Ok(answer) => return answer,
            Err(error @ RpcError::Decode { .. }) => panic!("{doing}: {error}"),
            Err(_) => tokio::time::sleep(RETRY_PAUSE).await,
        }
    }
    panic!("{doing}: no answer")
}

/// Kills the ledger with SIGKILL `kills` times, each at a random moment
/// 300 to 900 ms after it answered a command (so that every kill hits a
/// ledger under load, not one whose clients still wait out the timeouts of
/// the last kill), and starts it again on the same data.
pub(crate) async fn kill_ledger_repeatedly(
    mut ledger: ChildGuard,
    kills: usize,
    (url, data): (&str, &Path),
    (acked, deadline): (&AtomicUsize, Deadline),
    rng: &mut XorShift,
) -> ChildGuard {
    for kill in 1..=kills {
        // Not `wait_for_service`: right after a kill, its ping may still go
        // to the dead process and wait out the client's 10 s timeout.
        let before = acked.load(Ordering::SeqCst);
        while acked.load(Ordering::SeqCst) == before {
            deadline.check("waiting for the ledger to accept commands again");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let after = Duration::from_millis(rng.between(300, 900));
        tokio::time::sleep(after).await;
        ledger.0.kill().unwrap();
        ledger.0.wait().unwrap();
        println!(
            "SIGKILL {kill}/{kills} of the ledger {} ms after it answered again ({} commands acknowledged)",
            after.as_millis(),
            acked.load(Ordering::SeqCst)
        );
        ledger = spawn_service("ledger", url, data);
    }
    ledger
}

/// The whole log, read page by page through the ledger's read API.
pub(crate) async fn read_log(client: &async_nats::Client, deadline: Deadline) -> Vec<SealedEvent> {
    let mut events: Vec<SealedEvent> = Vec::new();
    for _ in 0..ROUNDS_MAX {
        let read = ReadEvents {
            from_seq: events.last().map_or(1, |event| event.record.seq + 1),
            limit: READ_PAGE_LEN,
        };
        let reply: ReadReply = retrying(deadline, "reading the ledger's log", || {
            efa_runtime::request(client, subjects::LEDGER_READ, &read, COMMAND_TIMEOUT)
        })
        .await;
        match reply {
            ReadReply::SignedEvents(signed) if signed.page.events.is_empty() => return events,
            ReadReply::SignedEvents(signed) => events.extend(signed.page.events),
            ReadReply::Rejected(Rejection::Unavailable { .. }) => {
                tokio::time::sleep(RETRY_PAUSE).await
            }
            ReadReply::Rejected(rejection) => panic!("the read API refused: {rejection:?}"),
            ReadReply::Events(_) => panic!("the read API answered an unsigned page"),
        }
    }
    panic!("the log did not end")
}

/// Sequences 1..=N without gaps; every acknowledged command exactly once,
/// at the sequence its answer named; no event of a command never sent.
pub(crate) fn assert_log_matches_acks(
    events: &[SealedEvent],
    acks: &BTreeMap<usize, Accepted>,
    test: u8,
) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.record.seq,
            index as u64 + 1,
            "the log is not contiguous at position {index}"
        );
    }
    let sent: HashMap<CommandId, usize> = acks.keys().map(|&n| (command_id(test, n), n)).collect();
    let mut seqs_of: HashMap<CommandId, Vec<u64>> = HashMap::new();
    for event in events {
        let id = event.record.command_id;
        assert!(
            sent.contains_key(&id),
            "event {} carries command id {id}, which no client sent",
            event.record.seq
        );
        seqs_of.entry(id).or_default().push(event.record.seq);
    }
    for (&n, accepted) in acks {
        let seqs = seqs_of
            .get(&command_id(test, n))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            seqs,
            [accepted.first_seq],
            "command {n} (answered {accepted:?}) must be in the log exactly once, at its sequence"
        );
        assert_eq!(
            accepted.first_seq, accepted.last_seq,
            "one event per announcement"
        );
        let event = &events[accepted.first_seq as usize - 1];
        assert_eq!(event.record.stream, StreamId::Service(service_id(n)));
    }
    assert_eq!(
        events.len(),
        acks.len(),
        "one event per acknowledged command"
    );
}

/// Ends the load once the faults are over (its clients finish their
/// round) and checks what it left: at least `commands_min` commands
/// acknowledged, each in the ledger's log exactly once at its sequence,
/// and the stream equal to the log. The acknowledgements and the log.
pub(crate) async fn finish_and_check_log(
    load: &Load,
    clients: tokio::task::JoinHandle<BTreeMap<usize, Accepted>>,
    (client, js): (&async_nats::Client, &jetstream::Context),
    (test, commands_min): (u8, usize),
    deadline: Deadline,
) -> (BTreeMap<usize, Accepted>, Vec<SealedEvent>) {
    let acks = load.finish(clients, deadline).await;
    assert!(acks.len() >= commands_min);
    let events = read_log(client, deadline).await;
    assert_log_matches_acks(&events, &acks, test);
    wait_for_stream(js, events.len() as u64, deadline).await;
    assert_stream_equals_log(js, &events, deadline).await;
    (acks, events)
}

/// The event stream's last sequence, if the stream can be asked now.
pub(crate) async fn stream_last_seq(js: &jetstream::Context) -> Option<u64> {
    let mut stream = js.get_stream(subjects::EVENT_STREAM).await.ok()?;
    let info = stream.info().await.ok()?;
    Some(info.state.last_sequence)
}

/// Waits until the stream's last sequence is the ledger's head `head`.
pub(crate) async fn wait_for_stream(js: &jetstream::Context, head: u64, deadline: Deadline) {
    let mut last = None;
    for _ in 0..ROUNDS_MAX {
        deadline.check(&format!(
            "waiting for the stream to reach {head} (it holds {last:?})"
        ));
        last = stream_last_seq(js).await;
        if let Some(last) = last {
            assert!(
                last <= head,
                "the stream ({last}) is ahead of the ledger ({head})"
            );
            if last == head {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Stream message i is ledger event i, for every i.
pub(crate) async fn assert_stream_equals_log(
    js: &jetstream::Context,
    events: &[SealedEvent],
    deadline: Deadline,
) {
    let config = OrderedConfig {
        filter_subject: subjects::EVENT_WILDCARD.to_owned(),
        deliver_policy: DeliverPolicy::All,
        ..Default::default()
    };
    let consumer = js
        .create_consumer_on_stream(config, subjects::EVENT_STREAM)
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    for event in events {
        let seq = event.record.seq;
        let message = deadline
            .within(&format!("reading stream message {seq}"), messages.next())
            .await
            .unwrap_or_else(|| panic!("the stream ended before message {seq}"))
            .unwrap();
        assert_eq!(message.info().unwrap().stream_sequence, seq);
        let on_stream: SealedEvent = efa_proto::decode(&message.payload).unwrap();
        assert!(
            on_stream == *event,
            "stream message {seq} differs from ledger event {seq}:\n{on_stream:?}\n{event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_survives_repeated_sigkill_under_load() {
    const TEST: u8 = 1;
    const COMMANDS_MIN: usize = 10_000;
    const KILLS: usize = 6;
    let started = Instant::now();
    let deadline = Deadline::start();
    let mut rng = XorShift::from_env_or_clock();
    let data_dir = tempfile::tempdir().unwrap();
    let data = data_dir.path().to_owned();
    let nats = authenticated_nats(&data);
    let url = nats.url();
    let client = operator_client(&url, &data).await;

    let ledger = spawn_service("ledger", &url, &data);
    let load = Load::new(
        client.clone(),
        (TEST, COMMANDS_MIN, COMMAND_TIMEOUT),
        deadline,
    );
    let clients = start_load(&load);
    let ledger = kill_ledger_repeatedly(
        ledger,
        KILLS,
        (&url, &data),
        (&load.acked, load.deadline),
        &mut rng,
    )
    .await;
    let js = jetstream::new(client.clone());
    let (_, events) = finish_and_check_log(
        &load,
        clients,
        (&client, &js),
        (TEST, COMMANDS_MIN),
        deadline,
    )
    .await;
    let head = events.len() as u64;

    drop(ledger); // SIGKILL once more: sled holds a lock on its files
    assert_verifies(&data, head);
    println!(
        "{head} events after {KILLS} kills, verified in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `efa verify` on the (stopped) ledger's data dir: the chain and the
/// signed checkpoint hold, and the log has `head` events.
pub(crate) fn assert_verifies(data: &Path, head: u64) {
    let verify = efa(&["verify", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success(),
        "efa verify failed: {stdout}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        stdout.contains(&format!(": {head} Ereignisse,")),
        "{stdout}"
    );
}

/// The catalogue at `min_seq` or later, asked again while the projector
/// is not there yet.
async fn catalogue_at(
    client: &async_nats::Client,
    min_seq: u64,
    deadline: Deadline,
) -> CatalogueView {
    let query = Query {
        min_seq,
        kind: QueryKind::Catalogue,
    };
    for _ in 0..ROUNDS_MAX {
        let reply: QueryReply = retrying(deadline, "querying the catalogue", || {
            efa_runtime::request(client, subjects::QUERY, &query, Duration::from_secs(10))
        })
        .await;
        match reply {
            QueryReply::Catalogue(view) => return view,
            QueryReply::Rejected(Rejection::Unavailable { .. }) => {
                tokio::time::sleep(RETRY_PAUSE).await
            }
            other => panic!("unexpected answer to the catalogue query: {other:?}"),
        }
    }
    panic!("the catalogue never reached {min_seq}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_restart_mid_load_loses_and_doubles_nothing() {
    const TEST: u8 = 2;
    const COMMANDS_MIN: usize = 3_000;
    const KILL_AFTER_ACKS: usize = 1_000;
    let started = Instant::now();
    let deadline = Deadline::start();
    let data_dir = tempfile::tempdir().unwrap();
    let data = data_dir.path().to_owned();
    let mut nats = authenticated_nats(&data);
    let url = nats.url();
    let client = operator_client(&url, &data).await;
    let _ledger = spawn_service("ledger", &url, &data);
    let _projector = spawn_service("projector", &url, &data);
    wait_for_service(&client, "efa-ledger").await;
    wait_for_service(&client, "efa-projector").await;

    let load = Load::new(
        client.clone(),
        (TEST, COMMANDS_MIN, COMMAND_TIMEOUT_SHORT),
        deadline,
    );
    let clients = start_load(&load);
    while load.acked.load(Ordering::SeqCst) < KILL_AFTER_ACKS {
        deadline.check("waiting for the first commands to be acknowledged");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let js = jetstream::new(client.clone());
    let published = stream_last_seq(&js).await;
    tokio::task::block_in_place(|| nats.kill());
    println!(
        "nats-server killed after {} acknowledged commands; shortly before, the stream held {published:?}",
        load.acked.load(Ordering::SeqCst)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::task::block_in_place(|| nats.restart());
    let (acks, events) = finish_and_check_log(
        &load,
        clients,
        (&client, &js),
        (TEST, COMMANDS_MIN),
        deadline,
    )
    .await;
    let head = events.len() as u64;

    let view = catalogue_at(&client, head, deadline).await;
    assert!(
        view.as_of_seq >= head,
        "catalogue as of {} < {head}",
        view.as_of_seq
    );
    let mut listed: Vec<String> = view.services.iter().map(|s| s.id.to_string()).collect();
    let mut announced: Vec<String> = acks.keys().map(|&n| service_id(n).to_string()).collect();
    listed.sort();
    announced.sort();
    assert!(
        listed == announced,
        "the catalogue lists {} services, {} were announced",
        listed.len(),
        announced.len()
    );
    println!(
        "{head} events across a NATS restart, checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// VmRSS and VmHWM (the peak RSS) of process `pid` in KiB, from /proc.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Not a fault test but a measurement for BENCHMARKS.md: the peak RSS of
/// the ledger process while `CLIENTS` clients append `EFA_RSS_COMMANDS`
/// commands and the relay publishes them. It only runs when
/// `EFA_RSS_COMMANDS` is set (it is slow and measures, it does not check);
/// run it with `--release`, so that the child is the release binary.
/// With `EFA_RSS_DATA_DIR` naming an existing data directory (say one that
/// `efa generate` filled), the ledger continues that log, appending to it,
/// and its relay first publishes the whole history to the test's stream.
/// The commands are the same in every run, so a second run on the same
/// directory measures repeats (answered from their records) instead of
/// new commands: measure each size on a copy of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_peak_rss_under_load() {
    const TEST: u8 = 3;
    /// Long enough for the relay to publish a 10-million-event history.
    const MEASUREMENT_TIME_MAX: Duration = Duration::from_secs(30 * 60);
    let Some(commands) = std::env::var("EFA_RSS_COMMANDS")
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
    else {
        eprintln!(
            "ledger_peak_rss_under_load skipped: a measurement; set EFA_RSS_COMMANDS=100000 to run it"
        );
        return;
    };
    let deadline = Deadline::after(MEASUREMENT_TIME_MAX);
    let nats = TestNats::start();
    let data = match std::env::var_os("EFA_RSS_DATA_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => nats.scratch_dir("data"),
    };
    let url = nats.url();
    let client = efa_runtime::connect(&url, "rss-test").await.unwrap();
    let ledger = spawn_service("ledger", &url, &data);
    wait_for_service(&client, "efa-ledger").await;
    let (idle_rss, _) = memory_kib(ledger.0.id());
    let read = ReadEvents {
        from_seq: 1,
        limit: 1,
    };
    let history = match efa_runtime::request(&client, subjects::LEDGER_READ, &read, COMMAND_TIMEOUT)
        .await
        .unwrap()
    {
        ReadReply::SignedEvents(signed) => signed.page.head_seq,
        ReadReply::Rejected(rejection) => panic!("the read API refused: {rejection:?}"),
        ReadReply::Events(_) => panic!("the read API answered an unsigned page"),
    };

    let load = Load::new(client.clone(), (TEST, commands, COMMAND_TIMEOUT), deadline);
    load.faults_done.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let acks = deadline
        .within("running the load", start_load(&load))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    // On a data dir measured before, the same commands are answered as
    // repeats and add no events; the stream then ends at the history.
    let written = acks.values().filter(|accepted| !accepted.replayed).count();
    let js = jetstream::new(client.clone());
    wait_for_stream(&js, history + written as u64, deadline).await;
    let (rss, peak) = memory_kib(ledger.0.id());
    println!(
        "ledger process on a log of {history} events: RSS {idle_rss} KiB idle; after {} more \
         commands from {CLIENTS} clients ({:.0}/s; {} of them repeats of a run before) and the \
         whole log published to the stream: RSS {rss} KiB, peak RSS (VmHWM) {peak} KiB",
        acks.len(),
        acks.len() as f64 / elapsed.as_secs_f64(),
        acks.len() - written,
    );
}
