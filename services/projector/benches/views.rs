//! Projection benchmarks, printing figures (no assertions about time):
//!
//! 1. Projection throughput: a synthetic, Germany-like history (16 Länder,
//!    11,000 municipalities, 600 services, joins, costs, adoption
//!    lifecycles; about 1,000,000 events) applied by the projector's
//!    applier to a fresh store, in-process, i.e. a rebuild from sequence 1.
//!    Baseline in the same run: raw sled inserts of as many small values.
//! 2. Query latency (p50/p99) of every view kind on that store, calling
//!    the projector's query reader directly (no NATS, no codec); the
//!    rollout and stalled pages of a Land also as of a new day each run.
//! 3. Projection lag under load over a real nats-server (`lag.rs`).
//!
//! Run with `cargo bench -p efa-projector --bench views`. Scale down with
//! `EFA_BENCH_EVENTS` (history size), `EFA_BENCH_LAG_COMMANDS` (commands
//! in the lag run); `EFA_BENCH_SEED` changes the history. Run as a test
//! (`cargo test --all-targets`, no `--bench` argument) it is a quick smoke
//! run at small sizes.

#[path = "views/history.rs"]
mod history;
#[path = "views/lag.rs"]
mod lag;

use std::time::{Duration, Instant};

use efa_projector::bench_support::{COMMIT_EVENTS, Projection, REBUILD_COMMIT_EVENTS, env_number};
use efa_proto::pages::Page;
use efa_proto::views::{CatalogueFilter, HistorySubject, RolloutScope};
use efa_proto::{Date, QueryKind, QueryReply, SealedEvent};

/// Per view kind: at most this many runs, and at most this long (but at
/// least `QUERY_RUNS_MIN` runs).
const QUERY_RUNS_MAX: usize = 200;
const QUERY_RUNS_MIN: usize = 5;
const QUERY_BUDGET: Duration = Duration::from_secs(3);
/// Events of the one-by-one run (at 8,000-10,000 per second a full
/// history would take minutes and say nothing more).
const LIVE_EVENTS_MAX: usize = 100_000;
/// The raw baseline's value size, about a small view entry's.
const RAW_VALUE_BYTES: usize = 100;

/// The allocator of the `efa` binary, so that the figures are those of
/// the projector as it runs there.
#[global_allocator]
static ALLOCATOR: efa_alloc::MiMalloc = efa_alloc::MiMalloc;

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// Raw sled: `count` inserts of small values under ascending keys, then a
/// flush; inserts per second.
fn raw_sled(dir: &std::path::Path, count: usize) -> f64 {
    let db = sled::Config::new().path(dir).open().expect("open sled");
    let value = vec![7u8; RAW_VALUE_BYTES];
    let started = Instant::now();
    for i in 0..count {
        db.insert((i as u64).to_be_bytes(), value.as_slice())
            .expect("insert");
    }
    db.flush().expect("flush");
    per_second(count, started.elapsed())
}

/// Applies every event to a fresh store, `batch` events per commit (1 as
/// the stream consumer applies live events, each written before the next;
/// `COMMIT_EVENTS` as the store in use catches up, `REBUILD_COMMIT_EVENTS`
/// as a rebuild fills its store, each batch written while the next is
/// prepared), then builds the index where it was deferred (a store opened
/// with `open_for_rebuild`), then flushes; events per second.
fn project(projection: &mut Projection, events: &[SealedEvent], batch: usize) -> f64 {
    let started = Instant::now();
    for chunk in events.chunks(batch) {
        match chunk {
            [event] => projection.apply(event),
            chunk => projection.apply_all(chunk),
        }
        .expect("the history is a valid chain");
    }
    projection.settle().expect("every commit written");
    let applied = started.elapsed();
    projection.index_all().expect("build the index");
    let indexed = started.elapsed();
    projection.flush().expect("flush");
    let flushed = started.elapsed();
    println!(
        "{} events, {batch} per commit: applied in {:.2} s, index built in {:.2} s, flushed in {:.2} s",
        events.len(),
        applied.as_secs_f64(),
        (indexed - applied).as_secs_f64(),
        (flushed - indexed).as_secs_f64()
    );
    per_second(events.len(), flushed)
}

/// One query of each view kind, named: the catalogue and service views.
fn service_queries() -> Vec<(&'static str, QueryKind)> {
    let service = history::service_id(0);
    let filter = CatalogueFilter {
        limit: 50,
        ..Default::default()
    };
    let subject = HistorySubject::Service(service.clone());
    vec![
        ("Catalogue", QueryKind::Catalogue),
        (
            "Catalogue2",
            QueryKind::Catalogue2 {
                filter,
                as_of: None,
            },
        ),
        (
            "ServiceDetail",
            QueryKind::ServiceDetail {
                service: service.clone(),
                as_of: None,
            },
        ),
        ("Reuse", QueryKind::Reuse { as_of: None }),
        (
            "CostSharing",
            QueryKind::CostSharing {
                service: service.clone(),
                year: 2024,
            },
        ),
        (
            "Funnel",
            QueryKind::Funnel {
                service,
                land: None,
                as_of: None,
            },
        ),
        (
            "History (service)",
            QueryKind::History {
                subject,
                from_seq: 0,
                limit: 100,
            },
        ),
    ]
}

/// The Land and municipal views.
fn land_queries(gemeinde: efa_proto::Ags) -> Vec<(&'static str, QueryKind)> {
    let land = history::land;
    let scope = RolloutScope {
        land: land(16),
        kreis: None,
        service: None,
        as_of: None,
    };
    vec![
        (
            "Land (09)",
            QueryKind::Land {
                land: land(9),
                as_of: None,
            },
        ),
        (
            "LandCosts (09)",
            QueryKind::LandCosts {
                land: land(9),
                year: 2024,
            },
        ),
        (
            "Statement (09)",
            QueryKind::Statement {
                land: land(9),
                year: 2024,
                as_of: None,
            },
        ),
        (
            "Statement (09, as of 2024-12-31)",
            QueryKind::Statement {
                land: land(9),
                year: 2024,
                as_of: Some(Date::parse("2024-12-31").expect("a date")),
            },
        ),
        ("Rollout (16, whole)", QueryKind::Rollout(scope.clone())),
        (
            "Rollout2 (16, first page)",
            QueryKind::Rollout2 {
                scope: scope.clone(),
                page: Page::default(),
            },
        ),
        (
            "Rollout2 (09, page 3)",
            QueryKind::Rollout2 {
                scope: RolloutScope {
                    land: land(9),
                    ..scope
                },
                page: Page {
                    offset: 1_000,
                    limit: 500,
                },
            },
        ),
        (
            "Stalled4 (09, 180 days)",
            QueryKind::Stalled4 {
                land: land(9),
                service: None,
                days_min: 180,
                as_of: None,
                page: Page::default(),
            },
        ),
        (
            "Stalled (16, whole)",
            QueryKind::Stalled {
                land: land(16),
                days_min: 180,
                as_of: None,
            },
        ),
        (
            "Gemeinde",
            QueryKind::Gemeinde {
                ags: gemeinde,
                as_of: None,
            },
        ),
        (
            "NotAdopted (09, first 50)",
            QueryKind::NotAdopted {
                land: land(9),
                service: history::service_id(0),
                as_of: None,
                page: Page {
                    offset: 0,
                    limit: 50,
                },
            },
        ),
    ]
}

/// The Land pages as of a day nobody asked for before: each run asks for
/// another day of 2019 to 2025.
fn land_queries_as_of() -> Vec<(&'static str, AsOfQuery)> {
    let land = history::land;
    let rollout = |code: u32| -> AsOfQuery {
        Box::new(move |day| QueryKind::Rollout3 {
            scope: RolloutScope {
                land: land(code),
                kreis: None,
                service: None,
                as_of: Some(day),
            },
            page: Page {
                offset: 0,
                limit: 50,
            },
        })
    };
    let stalled = |code: u32| -> AsOfQuery {
        Box::new(move |day| QueryKind::Stalled4 {
            land: land(code),
            service: None,
            days_min: 90,
            as_of: Some(day),
            page: Page {
                offset: 0,
                limit: 50,
            },
        })
    };
    vec![
        ("Rollout3 (16, first 50, a new day each run)", rollout(16)),
        ("Rollout3 (09, first 50, a new day each run)", rollout(9)),
        ("Stalled4 (16, 90 days, a new day each run)", stalled(16)),
        ("Stalled4 (09, 90 days, a new day each run)", stalled(9)),
    ]
}

/// A query as of the day it is given.
type AsOfQuery = Box<dyn Fn(Date) -> QueryKind>;

/// The query of each run, by its number.
type RunQuery = Box<dyn Fn(usize) -> QueryKind>;

/// The day of run `run` of a query as of a new day each run: 2019-01-01
/// and 13 days more each run, within 2019 to 2025.
fn day_of_run(run: usize) -> Date {
    let first = Date::parse("2019-01-01").expect("a valid date");
    let step = i32::try_from(run * 13 % 2_550).expect("below 2,550");
    Date::try_from(first.days_since_epoch() + step).expect("a day of 2019 to 2025")
}

/// Latencies of the queries `kind` gives for each run, in the order run,
/// within the runs and time budget.
fn latencies(
    projection: &Projection,
    kind: impl Fn(usize) -> QueryKind,
    today: Date,
    runs_max: usize,
) -> Vec<Duration> {
    let mut runs = Vec::new();
    let started = Instant::now();
    while runs.len() < runs_max && (runs.len() < QUERY_RUNS_MIN || started.elapsed() < QUERY_BUDGET)
    {
        let kind = kind(runs.len());
        let asked = Instant::now();
        let reply = projection
            .answer(kind.clone(), today)
            .expect("the store reads");
        runs.push(asked.elapsed());
        assert!(
            !matches!(*reply, QueryReply::Rejected(_)),
            "{kind:?}: {reply:?}"
        );
    }
    runs
}

fn bench_queries(projection: &Projection, gemeinde: efa_proto::Ags, runs_max: usize) {
    let today = Date::parse("2025-12-31").expect("a valid date");
    // The first run makes what the index keeps for a Land or a service
    // on a day; the later ones find it kept.
    println!("\n| view | runs | first ms | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    let same_each_run = (service_queries().into_iter())
        .chain(land_queries(gemeinde))
        .map(|(name, kind)| -> (&str, RunQuery) { (name, Box::new(move |_| kind.clone())) });
    let as_of_new_days = land_queries_as_of()
        .into_iter()
        .map(|(name, kind)| -> (&str, RunQuery) {
            (name, Box::new(move |run| kind(day_of_run(run))))
        });
    for (name, kind) in same_each_run.chain(as_of_new_days) {
        let mut runs = latencies(projection, kind, today, runs_max);
        let first = runs.first().copied().unwrap_or_default();
        runs.sort();
        println!(
            "| {name} | {} | {} | {} | {} |",
            runs.len(),
            ms(first),
            ms(percentile(&runs, 0.5)),
            ms(percentile(&runs, 0.99))
        );
    }
}

/// How many events of each kind the history holds.
fn print_kinds(history: &[SealedEvent]) {
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for event in history {
        *kinds.entry(event.record.event.name()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect();
    println!("events by kind: {}", kinds.join(", "));
}

/// The name of the runs' scratch directories, before the process id.
const SCRATCH_PREFIX: &str = "views-bench-";

/// Where the runs' stores go: under cargo's directory for the tests' and
/// benchmarks' files, named by this process. A run that sled's stall
/// watch ends (it exits without unwinding, so the directory is not
/// removed) leaves its gigabyte there, not in the system's temporary
/// directory, and the next run removes what runs no longer alive left.
fn scratch_directory() -> tempfile::TempDir {
    let parent = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let entries = std::fs::read_dir(parent).into_iter().flatten().flatten();
    for entry in entries {
        let name = entry.file_name();
        let process = name
            .to_str()
            .and_then(|name| name.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split('-').next());
        if let Some(process) = process
            && !std::path::Path::new("/proc").join(process).exists()
        {
            // Best effort: what cannot be removed stays for the next run.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
        .tempdir_in(parent)
        .expect("a scratch directory")
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let events = env_number("EFA_BENCH_EVENTS", if full { 1_000_000 } else { 20_000 }) as usize;
    let commands = env_number("EFA_BENCH_LAG_COMMANDS", if full { 5_000 } else { 200 }) as usize;
    let seed = env_number("EFA_BENCH_SEED", 2024);
    let scratch = scratch_directory();

    let generating = Instant::now();
    let (history, gemeinden) = history::generate(events, seed);
    println!(
        "efa-projector views benchmark: {} events generated (seed {seed}) in {:.1} s",
        history.len(),
        generating.elapsed().as_secs_f64()
    );

    print_kinds(&history);

    let raw = raw_sled(&scratch.path().join("raw"), history.len());
    let mut projection =
        Projection::open_for_rebuild(&scratch.path().join("views")).expect("open the store");
    let rebuilt = project(&mut projection, &history, REBUILD_COMMIT_EVENTS);
    let mut caught_up = Projection::open(&scratch.path().join("catch-up")).expect("open the store");
    let catching_up = project(&mut caught_up, &history, COMMIT_EVENTS);
    drop(caught_up);
    let live_events = history.len().min(LIVE_EVENTS_MAX);
    let mut live = Projection::open(&scratch.path().join("live")).expect("open the store");
    let one_by_one = project(&mut live, &history[..live_events], 1);
    drop(live);
    println!("\n| run | events/s |");
    println!("|---|---:|");
    println!("| raw sled insert ({RAW_VALUE_BYTES}-byte values), flush at the end | {raw:.0} |");
    println!(
        "| rebuild: fresh store, {REBUILD_COMMIT_EVENTS} events per commit, index built at the end, flush | {rebuilt:.0} |"
    );
    println!(
        "| catch-up: fresh store, {COMMIT_EVENTS} events per commit, index kept at each commit, flush | {catching_up:.0} |"
    );
    println!(
        "| live: fresh store, one event per commit, first {live_events} events | {one_by_one:.0} |"
    );
    println!(
        "ratio applier / raw sled: {:.3} rebuilding, {:.3} catching up, {:.3} one by one; rebuild of {} events: {:.1} s",
        rebuilt / raw,
        catching_up / raw,
        one_by_one / raw,
        history.len(),
        history.len() as f64 / rebuilt
    );
    assert_eq!(projection.checkpoint(), history.len() as u64);
    drop(history);

    // A municipality with adoptions: the first of Thüringen's.
    let gemeinde = gemeinden
        .ags
        .iter()
        .copied()
        .find(|ags| ags.land() == history::land(16))
        .expect("Thüringen has municipalities");
    let runs_max = if full { QUERY_RUNS_MAX } else { QUERY_RUNS_MIN };
    bench_queries(&projection, gemeinde, runs_max);

    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let report = runtime.block_on(lag::run(commands));
    println!(
        "\nprojection lag under load: {} commands, {} in flight, {:.0} commands/s acknowledged",
        report.commands,
        lag::IN_FLIGHT,
        report.commands_per_second,
    );
    println!(
        "lag from acknowledgement to applied: p50 {} ms, p99 {} ms, max {} ms; applied before the client had the ack: {} of {}",
        ms(percentile(&report.lags, 0.5)),
        ms(percentile(&report.lags, 0.99)),
        ms(percentile(&report.lags, 1.0)),
        report.ahead,
        report.lags.len()
    );
}
