//! A soak run of the writes that can stop sled 0.34.7 for good, with the
//! store's flushes between commits (`store/drain.rs`) and without them.
//!
//! Each round is a child process (the hang cannot be undone inside the
//! process it hits): a few writer threads, each applying the first
//! 100,000 events of a generated history to a fresh store of its own, one
//! event per commit as the live projector does, again and again until the
//! round's time is up. A round in which no commit has returned for
//! `HUNG_AFTER` is counted as hung and ends; the parent counts rounds,
//! events applied and hangs for each side, the sides alternating.
//!
//! Run with `cargo bench -p efa-projector --bench drain`; `EFA_SOAK_ROUNDS`
//! (rounds per side, default 5), `EFA_SOAK_SECONDS` (per round, default
//! 120) and `EFA_SOAK_WRITERS` (default 3) change its size. Run as a test
//! (`cargo test --all-targets`) it is one short round per side.

#[path = "views/history.rs"]
mod history;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use efa_projector::bench_support::{Projection, env_number};

#[global_allocator]
static ALLOCATOR: efa_alloc::MiMalloc = efa_alloc::MiMalloc;

/// No commit returning for this long: the hang, which never ends (a
/// working disk takes milliseconds per commit here, seconds at worst
/// while a build writes beside it).
const HUNG_AFTER: Duration = Duration::from_secs(60);
/// Events each writer applies to one store before starting a fresh one.
const EVENTS_PER_STORE: usize = 100_000;

/// One side of the comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Drained,
    Undrained,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Drained => "drained",
            Self::Undrained => "undrained",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Drained, Self::Undrained]
            .into_iter()
            .find(|side| side.name() == name)
    }
}

/// What a child reports on its last line of output.
#[derive(Debug, Default, Clone, Copy)]
struct Round {
    events: u64,
    seconds: f64,
    hung: bool,
}

impl Round {
    fn line(&self) -> String {
        format!("round {} {:.3} {}", self.events, self.seconds, self.hung)
    }

    fn parse(line: &str) -> Option<Self> {
        let mut words = line.strip_prefix("round ")?.split(' ');
        Some(Self {
            events: words.next()?.parse().ok()?,
            seconds: words.next()?.parse().ok()?,
            hung: words.next()?.parse().ok()?,
        })
    }
}

/// The child: writers until `seconds` are up or the writes hang.
fn child(side: Side, seconds: u64, writers: usize, events: usize) {
    let (history, _) = history::generate(events, 2024);
    let history = Arc::new(history);
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let applied = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for writer in 0..writers {
        let history = history.clone();
        let root = scratch.path().to_owned();
        let applied = applied.clone();
        std::thread::spawn(move || {
            for store in 0.. {
                if Instant::now() >= deadline {
                    return;
                }
                let dir = root.join(format!("w{writer}-{store}"));
                let open = match side {
                    Side::Drained => Projection::open(&dir),
                    Side::Undrained => Projection::open_undrained(&dir),
                };
                let mut projection = open.expect("open a store");
                for event in history.iter() {
                    projection
                        .apply(event)
                        .expect("the history is a valid chain");
                    applied.fetch_add(1, Ordering::Relaxed);
                }
                drop(projection);
                // Left for the scratch directory if it fails.
                let _ = std::fs::remove_dir_all(&dir);
            }
        });
    }
    let mut last = 0;
    let mut moved = Instant::now();
    let hung = loop {
        std::thread::sleep(Duration::from_millis(250));
        let now = applied.load(Ordering::Relaxed);
        if now != last {
            last = now;
            moved = Instant::now();
        }
        if moved.elapsed() >= HUNG_AFTER {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
    };
    // A hung round's time ends with its last commit.
    let ended = if hung { moved } else { Instant::now() };
    let round = Round {
        events: applied.load(Ordering::Relaxed),
        seconds: ended.duration_since(started).as_secs_f64(),
        hung,
    };
    println!("{}", round.line());
    // The writers are not joined: after a hang they never return, and a
    // store still open is left to the end of the process.
    std::process::exit(0);
}

/// Runs one round in a child process and reads its report.
fn round(side: Side, seconds: u64, writers: usize, events: usize) -> Round {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let child = Command::new(exe)
        .args([
            "--soak-child",
            side.name(),
            &seconds.to_string(),
            &writers.to_string(),
            &events.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a round");
    let output = child.wait_with_output().expect("the round's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .rev()
        .find_map(Round::parse)
        .unwrap_or_else(|| panic!("the round reported nothing ({}): {stdout}", output.status))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--soak-child") {
        let side = args.get(at + 1).and_then(|name| Side::parse(name));
        let numbers: Vec<u64> = args[at + 2..]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        match (side, numbers.as_slice()) {
            (Some(side), [seconds, writers, events]) => {
                child(side, *seconds, *writers as usize, *events as usize)
            }
            _ => panic!("usage: --soak-child drained|undrained SECONDS WRITERS EVENTS"),
        }
        return;
    }
    let full = args.iter().any(|arg| arg == "--bench");
    let rounds = env_number("EFA_SOAK_ROUNDS", if full { 5 } else { 1 });
    let seconds = env_number("EFA_SOAK_SECONDS", if full { 120 } else { 2 });
    let writers = env_number("EFA_SOAK_WRITERS", if full { 3 } else { 1 }) as usize;
    let events = if full { EVENTS_PER_STORE } else { 2_000 };
    println!(
        "efa-projector drain soak: {rounds} rounds of {seconds} s per side, {writers} writers, {events} events per store"
    );
    let sides = [Side::Undrained, Side::Drained];
    let mut totals = [Round::default(); 2];
    let mut hangs = [0u32; 2];
    for number in 0..rounds {
        for (at, side) in sides.into_iter().enumerate() {
            let report = round(side, seconds, writers, events);
            println!(
                "round {} {}: {} events in {:.1} s{}",
                number + 1,
                side.name(),
                report.events,
                report.seconds,
                if report.hung { ", hung" } else { "" }
            );
            assert!(report.events > 0, "a round applied no event");
            totals[at].events += report.events;
            totals[at].seconds += report.seconds;
            hangs[at] += u32::from(report.hung);
        }
    }
    println!("\n| side | rounds | events applied | events/s | rounds hung |");
    println!("|---|---:|---:|---:|---:|");
    for (at, side) in sides.into_iter().enumerate() {
        println!(
            "| {} | {rounds} | {} | {:.0} | {} |",
            side.name(),
            totals[at].events,
            totals[at].events as f64 / totals[at].seconds,
            hangs[at]
        );
    }
}
