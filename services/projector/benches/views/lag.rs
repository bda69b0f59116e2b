//! Projection lag under load: a real nats-server, the ledger in-process
//! (durable appends, relay to JetStream) and the projector in-process,
//! while concurrent clients send commands. For each acknowledged command,
//! the lag is the time from the client receiving the acknowledgement to
//! the projector's `applied_seq` first being seen at or past the command's
//! last sequence (zero when the projector was there before the client).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use efa_ledger::{Ledger, LedgerConfig};
use efa_projector::{Projector, ProjectorConfig};
use efa_proto::*;
use efa_runtime::Shutdown;
use efa_testkit::TestNats;
use futures::StreamExt;
use tokio::sync::watch;

/// Clients sending at once.
pub const IN_FLIGHT: usize = 16;
/// Services and municipalities set up before the measurement; adoption
/// requests pair them, each pair once.
const SETUP_SERVICES: usize = 100;
const SETUP_GEMEINDEN: usize = 100;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the projector may take to catch up at the end.
const CATCH_UP_MAX: Duration = Duration::from_secs(120);

pub struct LagReport {
    pub commands: usize,
    pub commands_per_second: f64,
    /// Sorted lags.
    pub lags: Vec<Duration>,
    /// Commands the projector had applied before the client had the ack.
    pub ahead: usize,
}

fn command_id(n: u64) -> CommandId {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(b"lag:");
    id[8..].copy_from_slice(&n.to_be_bytes());
    CommandId(id)
}

fn gemeinde(n: usize) -> Ags {
    Ags::try_from(16_099_001 + n as u32).expect("an AGS")
}

fn announce(n: usize, prefix: &str) -> (Actor, Command) {
    let lead = crate::history::land(n as u32 % 16 + 1);
    let command = Command::AnnounceService(AnnounceService {
        service: ServiceId::parse(&format!("{prefix}-{n}")).expect("a valid slug"),
        title: format!("Dienst {n}"),
        lead,
        ozg_id: None,
        leika: vec![],
        themenfeld: "Last".into(),
        provider: "Last".into(),
        channel: Channel::FitStore,
        cost_model: CostModel::EqualShares,
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(3).expect("3 is a Reifegrad"),
    });
    (Actor::Land(lead), command)
}

/// Measured command `n`: every other one announces a new service, the
/// others request an adoption of a set-up service by a set-up municipality.
fn measured(n: usize) -> (Actor, Command) {
    if n.is_multiple_of(2) {
        return announce(n, "lastdienst");
    }
    let pair = n / 2;
    let (service, ags) = (
        pair % SETUP_SERVICES,
        gemeinde(pair / SETUP_SERVICES % SETUP_GEMEINDEN),
    );
    let command = Command::RequestAdoption(RequestAdoption {
        service: ServiceId::parse(&format!("basis-{service}")).expect("a valid slug"),
        ags,
        note: String::new(),
    });
    (Actor::Gemeinde(ags), command)
}

/// The signer the bench's ledger trusts (set once in `run`).
static SIGNER: std::sync::OnceLock<efa_trust::SigningKey> = std::sync::OnceLock::new();

/// Sends `(actor, command)` with id `n`; the last sequence written and the
/// moment the acknowledgement arrived.
async fn send(
    client: &async_nats::Client,
    n: u64,
    actor: Actor,
    command: Command,
) -> (u64, Instant) {
    let envelope = CommandEnvelope {
        command_id: command_id(n),
        actor,
        expected_version: None,
        effective: None,
        command,
    };
    let signer = SIGNER.get().expect("run sets the signer first");
    let signed = efa_trust::sign_command(signer, &envelope);
    let reply: CommandReply =
        efa_runtime::request(client, subjects::COMMAND, &signed, REQUEST_TIMEOUT)
            .await
            .expect("the ledger answers");
    match reply {
        CommandReply::Accepted(accepted) => (accepted.last_seq, Instant::now()),
        CommandReply::Rejected(rejection) => panic!("command {n} rejected: {rejection}"),
    }
}

/// The moments `applied` was seen to change, until it reaches `target`
/// (set when the load is done) or `CATCH_UP_MAX` after that.
async fn watch_applied(
    mut applied: watch::Receiver<u64>,
    target: Arc<AtomicU64>,
) -> Vec<(u64, Instant)> {
    let mut timeline = Vec::new();
    let mut give_up: Option<Instant> = None;
    loop {
        let seq = *applied.borrow_and_update();
        timeline.push((seq, Instant::now()));
        let wanted = target.load(Ordering::Acquire);
        if seq >= wanted {
            return timeline;
        }
        if wanted != u64::MAX {
            let deadline = *give_up.get_or_insert_with(|| Instant::now() + CATCH_UP_MAX);
            assert!(Instant::now() < deadline, "the projector did not catch up");
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), applied.changed()).await;
    }
}

pub async fn run(commands: usize) -> LagReport {
    let nats = TestNats::start();
    let scratch = nats.scratch_dir("lag");
    let client = async_nats::connect(nats.url()).await.expect("connect");
    let signer = efa_trust::ensure_trusted_signer(
        &scratch.join("ledger"),
        "gateway.key",
        "gateway",
        efa_trust::Scope::Any,
    )
    .expect("a signer for the bench");
    let _ = SIGNER.set(signer);
    let config = LedgerConfig {
        data_dir: scratch.join("ledger"),
        cluster: None,
    };
    let ledger = Ledger::start(config, client.clone())
        .await
        .expect("start the ledger");
    let projector = Projector::start(
        ProjectorConfig::new(scratch.join("projector")),
        client.clone(),
    )
    .await
    .expect("start the projector");
    let applied = projector.applied_seq();
    let shutdown = Shutdown::new();
    let ledger_task = tokio::spawn(ledger.run(shutdown.clone()));
    let projector_task = tokio::spawn(projector.run(shutdown.clone()));

    wait_for_service(&client, subjects::LEDGER_SERVICE).await;
    let head = set_up(&client).await;
    let mut caught_up = applied.clone();
    tokio::time::timeout(CATCH_UP_MAX, caught_up.wait_for(|seq| *seq >= head))
        .await
        .expect("the projector catches up with the set-up")
        .expect("the projector runs");

    let target = Arc::new(AtomicU64::new(u64::MAX));
    let watcher = tokio::spawn(watch_applied(applied, target.clone()));
    let started = Instant::now();
    let acks: Vec<(u64, Instant)> = futures::stream::iter(0..commands)
        .map(|n| {
            let (actor, command) = measured(n);
            let client = client.clone();
            async move { send(&client, 1_000_000 + n as u64, actor, command).await }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let last = acks.iter().map(|(seq, _)| *seq).max().unwrap_or(head);
    target.store(last, Ordering::Release);
    let timeline = watcher.await.expect("the watcher finishes");
    shutdown.cancel();
    let _ = ledger_task.await;
    let _ = projector_task.await;
    report(commands, elapsed, &acks, &timeline)
}

/// Waits (bounded) until `service` answers the NATS service API's PING.
async fn wait_for_service(client: &async_nats::Client, service: &str) {
    for _ in 0..500 {
        let ping = client.request(format!("$SRV.PING.{service}"), "".into());
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), ping).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{service} did not come up");
}

/// Services and municipalities for the adoption requests; returns the
/// ledger's head afterwards.
async fn set_up(client: &async_nats::Client) -> u64 {
    let setup: Vec<(Actor, Command)> = (0..SETUP_SERVICES)
        .map(|n| announce(n, "basis"))
        .chain((0..SETUP_GEMEINDEN).map(|n| {
            let command = Command::RegisterGemeinde(RegisterGemeinde {
                ags: gemeinde(n),
                name: format!("Lastgemeinde {n}"),
                population: None,
            });
            (Actor::Admin, command)
        }))
        .collect();
    let acks: Vec<(u64, Instant)> = futures::stream::iter(setup.into_iter().enumerate())
        .map(|(n, (actor, command))| {
            let client = client.clone();
            async move { send(&client, n as u64, actor, command).await }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    acks.iter().map(|(seq, _)| *seq).max().unwrap_or(0)
}

fn report(
    commands: usize,
    elapsed: Duration,
    acks: &[(u64, Instant)],
    timeline: &[(u64, Instant)],
) -> LagReport {
    let mut lags = Vec::with_capacity(acks.len());
    let mut ahead = 0;
    for (seq, acked) in acks {
        // The timeline's sequences never decrease.
        let at = timeline.partition_point(|(applied, _)| applied < seq);
        let Some((_, seen)) = timeline.get(at) else {
            continue;
        };
        if seen <= acked {
            ahead += 1;
        }
        lags.push(seen.saturating_duration_since(*acked));
    }
    lags.sort();
    LagReport {
        commands,
        commands_per_second: commands as f64 / elapsed.as_secs_f64(),
        lags,
        ahead,
    }
}
