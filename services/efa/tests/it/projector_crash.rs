//! SIGKILL the projector again and again while a load of commands goes
//! through the ledger: after every restart it resumes from its checkpoint,
//! and in the end its views equal, byte for byte, those of a projector that
//! built them from scratch in another data directory, and those `efa
//! rebuild` builds from the ledger. The kill moments are pseudo-random from
//! a seed that is printed (set `EFA_CRASH_SEED` to repeat a run); what is
//! asserted does not depend on them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use efa_proto::*;
use efa_testkit::TestNats;

use crate::{ChildGuard, efa, spawn_service, spawn_service_with, terminate, wait_for_service};

/// Concurrent clients sending commands.
const CLIENTS: usize = 8;
const SERVICES: usize = 150;
/// Coprime to `SERVICES` beyond `ADOPTIONS`: every adoption pairs another
/// service and municipality.
const GEMEINDEN: usize = 199;
/// Länder joining each service besides its lead.
const JOINS_PER_SERVICE: usize = 4;
/// Adoptions, each a request and up to three steps; every seventh is
/// withdrawn at the end.
const ADOPTIONS: usize = 700;
const KILLS: usize = 4;
/// Kills of a projector filling an empty store, at the end.
const FILL_KILLS: usize = 3;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const SEND_ATTEMPTS: u32 = 60;
/// The whole test must finish well within this.
const DEADLINE: Duration = Duration::from_secs(100);

/// splitmix64: a small, seeded, reproducible source of kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `range`.
    fn within(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start)
    }
}

fn seed() -> u64 {
    std::env::var("EFA_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// What the load has achieved so far.
#[derive(Default)]
struct Progress {
    /// Commands answered (accepted or rejected).
    answered: AtomicUsize,
    /// The highest ledger sequence acknowledged.
    head: AtomicU64,
}

struct Load {
    client: async_nats::Client,
    progress: Arc<Progress>,
    next_id: AtomicU64,
}

impl Load {
    /// Sends `command` as `actor` with a fresh command id, retrying the
    /// same envelope while the ledger is unavailable or slow.
    async fn send(&self, actor: Actor, command: Command) -> CommandReply {
        let mut id = [0u8; 16];
        id[..6].copy_from_slice(b"crash:");
        id[8..].copy_from_slice(&self.next_id.fetch_add(1, Ordering::AcqRel).to_be_bytes());
        let envelope = CommandEnvelope {
            command_id: CommandId(id),
            actor,
            expected_version: None,
            effective: None,
            command,
        };
        self.send_envelope(&envelope).await
    }

    async fn send_envelope(&self, envelope: &CommandEnvelope) -> CommandReply {
        for _ in 0..SEND_ATTEMPTS {
            let reply = efa_runtime::request(
                &self.client,
                subjects::COMMAND,
                &crate::signed(envelope),
                REQUEST_TIMEOUT,
            )
            .await;
            match reply {
                Ok(CommandReply::Rejected(Rejection::Unavailable { .. })) | Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(reply) => {
                    if let CommandReply::Accepted(accepted) = &reply {
                        self.progress
                            .head
                            .fetch_max(accepted.last_seq, Ordering::AcqRel);
                    }
                    self.progress.answered.fetch_add(1, Ordering::AcqRel);
                    return reply;
                }
            }
        }
        panic!("the ledger did not take {envelope:?}");
    }
}

fn land(code: usize) -> LandCode {
    LandCode::new(code as u8).unwrap()
}

fn service(n: usize) -> ServiceId {
    ServiceId::parse(&format!("lastdienst-{n}")).unwrap()
}

fn gemeinde(n: usize) -> Ags {
    Ags::try_from(16_099_000 + n as u32 + 1).unwrap()
}

/// Service `n` is led by Land `n % 16 + 1`.
fn announce(n: usize) -> (Actor, Command) {
    let lead = land(n % 16 + 1);
    let command = Command::AnnounceService(AnnounceService {
        service: service(n),
        title: format!("Lastdienst {n}"),
        lead,
        ozg_id: None,
        leika: vec![],
        themenfeld: "Last & Test".into(),
        provider: "Testbetrieb".into(),
        channel: Channel::FitStore,
        cost_model: CostModel::EqualShares,
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(3).unwrap(),
    });
    (Actor::Land(lead), command)
}

/// Runs `work(i)` for every `i` in `0..count`, `CLIENTS` at a time.
async fn concurrently<F, Fut>(count: usize, work: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::StreamExt;
    futures::stream::iter(0..count)
        .map(work)
        .buffer_unordered(CLIENTS)
        .collect::<Vec<()>>()
        .await;
}

/// The reference data and the demo, as `efa up` sends them.
pub(crate) fn seeds() -> Vec<efa_reference::Seed> {
    let mut seeds = efa_reference::reference_seeds().unwrap();
    seeds.extend(efa_reference::demo::demo_seeds().unwrap());
    seeds
}

/// How many commands `run_load` sends after `seeds` seeds.
fn commands_total(seeds: usize) -> usize {
    let adoptions: usize = (0..ADOPTIONS)
        .map(|i| 1 + i % 4 + usize::from(i.is_multiple_of(7)))
        .sum();
    seeds + SERVICES + GEMEINDEN + SERVICES * JOINS_PER_SERVICE + adoptions
}

/// The seeds, then services and municipalities, then the Länder joining,
/// then the adoptions, each adoption's steps in order.
async fn run_load(load: Arc<Load>, seeds: Vec<efa_reference::Seed>) {
    for seed in &seeds {
        load.send_envelope(&seed.envelope()).await;
    }
    concurrently(SERVICES + GEMEINDEN, |i| {
        let load = load.clone();
        async move {
            let (actor, command) = if i < SERVICES {
                announce(i)
            } else {
                let n = i - SERVICES;
                let command = Command::RegisterGemeinde(RegisterGemeinde {
                    ags: gemeinde(n),
                    name: format!("Lastgemeinde {n}"),
                    population: None,
                });
                (Actor::Admin, command)
            };
            let reply = load.send(actor, command).await;
            assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
        }
    })
    .await;
    concurrently(SERVICES * JOINS_PER_SERVICE, |i| {
        let load = load.clone();
        async move {
            let (n, k) = (i / JOINS_PER_SERVICE, i % JOINS_PER_SERVICE);
            let joining = land((n + 1 + k) % 16 + 1);
            let command = Command::JoinService(JoinService {
                service: service(n),
                land: joining,
            });
            let reply = load.send(Actor::Land(joining), command).await;
            assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
        }
    })
    .await;
    concurrently(ADOPTIONS, |i| adopt(load.clone(), i)).await;
}

/// Adoption `i`: a municipality requests a service and goes live, step by
/// step (some stop early, some withdraw).
async fn adopt(load: Arc<Load>, i: usize) {
    let (service, ags) = (service(i % SERVICES), gemeinde(i % GEMEINDEN));
    let actor = Actor::Gemeinde(ags);
    let request = Command::RequestAdoption(RequestAdoption {
        service: service.clone(),
        ags,
        note: String::new(),
    });
    let reply = load.send(actor.clone(), request).await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    let stages = [
        AdoptionStage::Agreed,
        AdoptionStage::Onboarding,
        AdoptionStage::Live,
    ];
    for stage in &stages[..i % 4] {
        let step = Command::RecordAdoptionStep(RecordAdoptionStep {
            service: service.clone(),
            ags,
            stage: *stage,
            note: String::new(),
        });
        let reply = load.send(actor.clone(), step).await;
        assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    }
    if i.is_multiple_of(7) {
        let withdraw = Command::WithdrawAdoption(WithdrawAdoption {
            service,
            ags,
            note: "Test".into(),
        });
        load.send(actor, withdraw).await;
    }
}

/// `KILLS` moments to kill the projector: after how many answered
/// commands, the pause before the kill, the pause before the restart.
fn moments(seed: u64, total: u64) -> Vec<(usize, Duration, Duration)> {
    let mut rng = Rng(seed);
    let mut moments: Vec<(usize, Duration, Duration)> = (0..KILLS)
        .map(|_| {
            let answered = rng.within(total / 20..total * 19 / 20) as usize;
            let before_kill = Duration::from_millis(rng.within(0..50));
            let before_restart = Duration::from_millis(rng.within(0..300));
            (answered, before_kill, before_restart)
        })
        .collect();
    moments.sort();
    println!("kill moments (commands answered, delay, restart after): {moments:?}");
    moments
}

fn ledger(url: &str, data: &Path) -> ChildGuard {
    spawn_service("ledger", url, data)
}

fn projector(url: &str, data: &Path) -> ChildGuard {
    spawn_service("projector", url, data)
}

/// Kills the projector with SIGKILL whenever the load has passed the next
/// of `moments` (answered commands) and the projector has applied more
/// since the last kill, then starts it again after a pause.
async fn kill_at(
    mut child: ChildGuard,
    moments: Vec<(usize, Duration, Duration)>,
    progress: Arc<Progress>,
    (client, url): (async_nats::Client, String),
    data: std::path::PathBuf,
) -> ChildGuard {
    let deadline = Instant::now() + DEADLINE;
    let mut applied = 0;
    for (answered, before_kill, before_restart) in moments {
        while progress.answered.load(Ordering::Acquire) < answered {
            assert!(Instant::now() < deadline, "the load stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let head = progress.head.load(Ordering::Acquire);
        applied = wait_for(&client, (applied + 1).min(head), deadline).await;
        tokio::time::sleep(before_kill).await;
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        let head = progress.head.load(Ordering::Acquire);
        println!(
            "SIGKILL after {answered} commands: applied at least {applied}, ledger head {head}"
        );
        tokio::time::sleep(before_restart).await;
        child = projector(&url, &data);
    }
    child
}

/// Asks the projector for the catalogue at `min_seq` until it answers;
/// the sequence it stands at.
async fn wait_for(client: &async_nats::Client, min_seq: u64, deadline: Instant) -> u64 {
    let query = Query {
        min_seq,
        kind: QueryKind::Catalogue,
    };
    while Instant::now() < deadline {
        let reply: Result<QueryReply, _> =
            efa_runtime::request(client, subjects::QUERY, &query, REQUEST_TIMEOUT).await;
        match reply {
            Ok(QueryReply::Catalogue(view)) if view.as_of_seq >= min_seq => return view.as_of_seq,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("the projector did not reach sequence {min_seq}");
}

/// Waits until the projector has applied the ledger's `head`.
pub(crate) async fn wait_for_head(client: &async_nats::Client, head: u64) {
    wait_for(client, head, Instant::now() + Duration::from_secs(60)).await;
}

/// SIGTERM, and wait (bounded) for a clean exit.
pub(crate) async fn stop(mut child: ChildGuard) {
    terminate(child.0.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "the projector exited with {status}");
            return;
        }
        assert!(Instant::now() < deadline, "the projector did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_projectors_resume_and_match_a_rebuild_from_scratch() {
    let started = Instant::now();
    let seed = seed();
    println!("projector_crash seed: {seed} (EFA_CRASH_SEED={seed} repeats the kill moments)");
    let nats = TestNats::start();
    let url = nats.url();
    let data = nats.scratch_dir("data");
    let client = async_nats::connect(&url).await.unwrap();
    let _ledger = ledger(&url, &data);
    wait_for_service(&client, "efa-ledger").await;
    let nobody = efa(&["rebuild", "--nats-url", &url]).output().unwrap();
    assert!(!nobody.status.success(), "no projector, no rebuild");
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("kein Projektor erreichbar"));
    let first = projector(&url, &data);

    let load = Arc::new(Load {
        client: client.clone(),
        progress: Arc::new(Progress::default()),
        next_id: AtomicU64::new(0),
    });
    let seeds = seeds();
    let total = commands_total(seeds.len()) as u64;
    let killer = tokio::spawn(kill_at(
        first,
        moments(seed, total),
        load.progress.clone(),
        (client.clone(), url.clone()),
        data.clone(),
    ));
    run_load(load.clone(), seeds).await;
    let survivor = killer.await.unwrap();
    let head = load.progress.head.load(Ordering::Acquire);
    let answered = load.progress.answered.load(Ordering::Acquire);
    println!("{answered} commands answered, ledger head {head}");
    assert_eq!(answered as u64, total);
    assert!(answered > 2_000, "a load of a few thousand commands");

    wait_for_head(&client, head).await;
    stop(survivor).await;
    let survived = efa_projector::view_content_hash(&data).unwrap();
    let rebuilt = rebuild_through_the_cli(&client, &url, &data, head).await;
    assert_eq!(rebuilt, survived, "efa rebuild from the ledger");

    // A projector on an empty data dir fills it as a rebuild does (the
    // ledger is more than 1,000 events ahead); killed while it fills, it
    // starts over and ends with the same views.
    let fresh = nats.scratch_dir("fresh");
    let fill = [("EFA_FILL_EMPTY_FROM", std::ffi::OsStr::new("1000"))];
    let mut rng = Rng(seed ^ 0xf111);
    for _ in 0..FILL_KILLS {
        if efa_projector::view_store_version(&fresh).unwrap() == 2 {
            break; // A fill finished before its kill: nothing to fill again.
        }
        // The half-filled store of the kill before, which the next start
        // would remove first: removed here, so that its return marks the
        // new fill's beginning.
        let leftover = fresh.join("views-v2");
        if leftover.exists() {
            std::fs::remove_dir_all(&leftover).unwrap();
        }
        let mut filling = spawn_service_with("projector", &url, &fresh, &fill);
        wait_for_path(&leftover).await;
        let after = Duration::from_millis(rng.within(0..80));
        tokio::time::sleep(after).await;
        filling.0.kill().unwrap();
        filling.0.wait().unwrap();
        let version = efa_projector::view_store_version(&fresh).unwrap();
        println!(
            "SIGKILL of a filling projector {after:?} after its fill began, version {version}"
        );
    }
    let scratch = spawn_service_with("projector", &url, &fresh, &fill);
    wait_for_head(&client, head).await;
    stop(scratch).await;
    assert_eq!(
        efa_projector::view_content_hash(&fresh).unwrap(),
        survived,
        "a projector that filled its empty store from the ledger"
    );
    assert_eq!(
        efa_projector::view_store_version(&fresh).unwrap(),
        2,
        "the empty store was replaced by a filled one"
    );
    println!("projector_crash took {:?}", started.elapsed());
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());
}

/// Waits (bounded) until `path` exists.
async fn wait_for_path(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Starts the projector on `data` again, runs `efa rebuild` against it and
/// returns the content hash it reports (which must be that of the views
/// now in use, version 2).
async fn rebuild_through_the_cli(
    client: &async_nats::Client,
    url: &str,
    data: &Path,
    head: u64,
) -> String {
    let running = projector(url, data);
    wait_for_head(client, head).await;
    let output = tokio::task::spawn_blocking({
        let url = url.to_owned();
        move || efa(&["rebuild", "--nats-url", &url]).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("Version 2, Stand Sequenz {head}")),
        "{stdout}"
    );
    stop(running).await;
    assert_eq!(efa_projector::view_store_version(data).unwrap(), 2);
    let reported = stdout
        .split("Inhalts-Prüfsumme ")
        .nth(1)
        .map(|rest| rest.trim().to_owned())
        .unwrap();
    assert_eq!(
        efa_projector::view_content_hash(data).unwrap(),
        reported,
        "the hash reported is that of the views on disk"
    );
    reported
}
