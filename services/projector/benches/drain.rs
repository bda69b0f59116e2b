//! A soak run of the writes that can stop sled 0.34.7 for good, with the
//! store's flushes between commits (`store/drain.rs`) and without them.
//!
//! Each round is a child process (the hang cannot be undone inside the
//! process it hits): a few writer threads, each applying the first
//! 100,000 events of a generated history to a fresh store of its own, one
//! event per commit as the live projector does, again and again until the
//! round's time is up. A round in which no commit has returned for
//! `HUNG_AFTER` ends there: as hung when the process wrote nothing
//! meanwhile and none of its threads waited for the disk, as stalled (a
//! slow disk) otherwise. A round whose process the store's own watch
//! (`efa_runtime::stall`) ended first, on the hang's signature, counts as
//! hung too. The parent counts rounds, events applied, hangs and stalls
//! for each side, the sides alternating. A third
//! side, `filling`, fills fresh stores as a rebuild does (the first
//! 1,000,000 events, 64,000 per commit, written key by key without a
//! batch and without flushes between commits), to see whether a fill can
//! meet the hang too.
//!
//! Run with `cargo bench -p efa-projector --bench drain`; `EFA_SOAK_ROUNDS`
//! (rounds per side, default 5), `EFA_SOAK_SECONDS` (per round, default
//! 120), `EFA_SOAK_WRITERS` (default 3) and `EFA_SOAK_SIDES` (the sides
//! by name, comma-separated; default `undrained,drained`) change it. Run
//! as a test (`cargo test --all-targets`) it is one short round of each
//! of the three sides.

#[path = "views/history.rs"]
mod history;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use efa_proto::SealedEvent;
use efa_runtime::stall::threads;

use efa_projector::bench_support::{Projection, REBUILD_COMMIT_EVENTS, env_number};

#[global_allocator]
static ALLOCATOR: efa_alloc::MiMalloc = efa_alloc::MiMalloc;

/// No commit returning for this long: the hang, which never ends, or a
/// disk that stalls (a working disk takes milliseconds per commit here,
/// seconds at worst while a build writes beside it); `Verdict` tells the
/// two apart.
const HUNG_AFTER: Duration = Duration::from_secs(60);
/// How long the process must have written nothing for a round without
/// commits to count as hung.
const QUIET: Duration = Duration::from_secs(20);
/// Events each writer applies to one store before starting a fresh one.
const EVENTS_PER_STORE: usize = 100_000;
/// Events each writer fills one store with on the `filling` side.
const EVENTS_PER_FILL: usize = 1_000_000;

/// One side of the comparison.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Drained,
    Undrained,
    Filling,
}

/// Something a child's arguments or report name by a word.
trait Named: Copy + 'static {
    const ALL: &'static [Self];

    fn name(self) -> &'static str;

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.name() == name)
    }
}

impl Named for Side {
    const ALL: &'static [Self] = &[Self::Undrained, Self::Drained, Self::Filling];

    fn name(self) -> &'static str {
        match self {
            Self::Drained => "drained",
            Self::Undrained => "undrained",
            Self::Filling => "filling",
        }
    }
}

impl Side {
    /// Events applied to one store before a fresh one is started.
    fn events_per_store(self, full: bool) -> usize {
        match (self, full) {
            (Self::Filling, true) => EVENTS_PER_FILL,
            (_, true) => EVENTS_PER_STORE,
            (_, false) => 2_000,
        }
    }

    /// Applies `history` to a fresh store in `dir`, counting each event
    /// applied in `applied`.
    fn write_store(self, dir: &std::path::Path, history: &[SealedEvent], applied: &AtomicU64) {
        let open = match self {
            Self::Drained => Projection::open(dir),
            Self::Undrained => Projection::open_undrained(dir),
            Self::Filling => Projection::open_for_rebuild(dir),
        };
        let mut projection = open.expect("open a store");
        let per_commit = if self == Self::Filling {
            REBUILD_COMMIT_EVENTS
        } else {
            1
        };
        for commit in history.chunks(per_commit) {
            match commit {
                [event] => projection.apply(event),
                commit => projection.apply_all(commit),
            }
            .expect("the history is a valid chain");
            applied.fetch_add(commit.len() as u64, Ordering::Relaxed);
        }
        if self == Self::Filling {
            projection.settle().expect("every commit written");
            projection.index_all().expect("build the index");
        }
    }
}

/// How a round ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Commits kept returning until the round's time was up.
    #[default]
    Ran,
    /// No commit returned for `HUNG_AFTER`, but the process still wrote
    /// or waited for the disk: a slow disk, not sled's hang.
    Stalled,
    /// No commit returned for `HUNG_AFTER`, the process wrote nothing
    /// for `QUIET` and none of its threads waited for the disk: every
    /// thread waits for another, as in sled's hang.
    Hung,
}

impl Named for Verdict {
    const ALL: &'static [Self] = &[Self::Ran, Self::Stalled, Self::Hung];

    fn name(self) -> &'static str {
        match self {
            Self::Ran => "ran",
            Self::Stalled => "stalled",
            Self::Hung => "hung",
        }
    }
}

/// What a child reports on its last line of output.
#[derive(Debug, Default, Clone, Copy)]
struct Round {
    events: u64,
    seconds: f64,
    verdict: Verdict,
}

impl Round {
    fn line(&self) -> String {
        format!(
            "round {} {:.3} {}",
            self.events,
            self.seconds,
            self.verdict.name()
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let mut words = line.strip_prefix("round ")?.split(' ');
        Some(Self {
            events: words.next()?.parse().ok()?,
            seconds: words.next()?.parse().ok()?,
            verdict: Verdict::parse(words.next()?)?,
        })
    }
}

/// Bytes this process has handed to `write` and its kind so far (`wchar`
/// of `/proc/self/io`); none where that file cannot be read.
fn bytes_written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    threads::written_of(&io)
}

/// Whether any thread of this process waits for the disk right now (state
/// `D` in `/proc/self/task/*/stat`).
fn waiting_for_disk() -> bool {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return false;
    };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("stat"))
            .ok()
            .and_then(|stat| threads::state_of(&stat))
            == Some('D')
    })
}

/// The child: writers in `scratch` until `seconds` are up or the writes
/// hang. The parent owns `scratch` and removes it: the child ends with
/// `process::exit`, and the store's watch may end it first.
fn child(side: Side, scratch: &std::path::Path, (seconds, writers, events): (u64, usize, usize)) {
    let (history, _) = history::generate(events, 2024);
    let history = Arc::new(history);
    let applied = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for writer in 0..writers {
        let history = history.clone();
        let root = scratch.to_owned();
        let applied = applied.clone();
        std::thread::spawn(move || {
            for store in 0.. {
                if Instant::now() >= deadline {
                    return;
                }
                let dir = root.join(format!("w{writer}-{store}"));
                side.write_store(&dir, &history, &applied);
                // Left for the scratch directory if it fails.
                let _ = std::fs::remove_dir_all(&dir);
            }
        });
    }
    let (mut last, mut moved) = (0, Instant::now());
    let (mut written, mut wrote) = (bytes_written(), Instant::now());
    let mut looks = 0u64;
    let verdict = loop {
        std::thread::sleep(Duration::from_millis(250));
        let now = applied.load(Ordering::Relaxed);
        if now != last {
            (last, moved) = (now, Instant::now());
        }
        looks += 1;
        if looks.is_multiple_of(4) {
            // So far, for the parent to count should the store's watch
            // end this process first.
            let so_far = Round {
                events: last,
                seconds: moved.duration_since(started).as_secs_f64(),
                verdict: Verdict::Ran,
            };
            println!("{}", so_far.line());
        }
        let now_written = bytes_written();
        if now_written != written {
            (written, wrote) = (now_written, Instant::now());
        }
        // Decided before the store's own watch (`efa_runtime::stall`)
        // would end the process at its limit, two minutes into the write;
        // on the hang's signature it ends the process after 30 s, which
        // the parent counts as hung.
        if moved.elapsed() >= HUNG_AFTER {
            break if wrote.elapsed() >= QUIET && !waiting_for_disk() {
                Verdict::Hung
            } else {
                Verdict::Stalled
            };
        }
        if Instant::now() >= deadline {
            break Verdict::Ran;
        }
    };
    // A round without commits ends with its last commit.
    let ended = if verdict == Verdict::Ran {
        Instant::now()
    } else {
        moved
    };
    let round = Round {
        events: applied.load(Ordering::Relaxed),
        seconds: ended.duration_since(started).as_secs_f64(),
        verdict,
    };
    println!("{}", round.line());
    // The writers are not joined: after a hang they never return, and a
    // store still open is left to the end of the process.
    std::process::exit(0);
}

/// Runs one round in a child process and reads its report.
fn round(side: Side, seconds: u64, writers: usize, events: usize) -> Round {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let child = Command::new(exe)
        .arg("--soak-child")
        .arg(scratch.path())
        .args([
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
    let last = stdout
        .lines()
        .rev()
        .find_map(Round::parse)
        .unwrap_or_else(|| panic!("the round reported nothing ({}): {stdout}", output.status));
    if output.status.code() == Some(efa_runtime::stall::STALL_EXIT_CODE) {
        // The store's watch ended the round: its last report so far, hung.
        return Round {
            verdict: Verdict::Hung,
            ..last
        };
    }
    last
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--soak-child") {
        let scratch = args.get(at + 1).map(std::path::Path::new);
        let side = args.get(at + 2).and_then(|name| Side::parse(name));
        let numbers: Vec<u64> = args[at + 3..]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        match (scratch, side, numbers.as_slice()) {
            (Some(scratch), Some(side), [seconds, writers, events]) => child(
                side,
                scratch,
                (*seconds, *writers as usize, *events as usize),
            ),
            _ => panic!(
                "usage: --soak-child SCRATCH drained|undrained|filling SECONDS WRITERS EVENTS"
            ),
        }
        return;
    }
    let full = args.iter().any(|arg| arg == "--bench");
    let rounds = env_number("EFA_SOAK_ROUNDS", if full { 5 } else { 1 });
    let seconds = env_number("EFA_SOAK_SECONDS", if full { 120 } else { 2 });
    let writers = env_number("EFA_SOAK_WRITERS", if full { 3 } else { 1 }) as usize;
    let sides: Vec<Side> = match std::env::var("EFA_SOAK_SIDES") {
        Ok(names) => names
            .split(',')
            .map(|name| {
                Side::parse(name.trim()).unwrap_or_else(|| panic!("no side named {name:?}"))
            })
            .collect(),
        Err(_) if full => vec![Side::Undrained, Side::Drained],
        Err(_) => Side::ALL.to_vec(),
    };
    println!(
        "efa-projector drain soak: {rounds} rounds of {seconds} s per side, {writers} writers, sides {}",
        sides
            .iter()
            .map(|side| side.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut totals = vec![Round::default(); sides.len()];
    let mut hangs = vec![0u32; sides.len()];
    let mut stalls = vec![0u32; sides.len()];
    for number in 0..rounds {
        for (at, &side) in sides.iter().enumerate() {
            let events = side.events_per_store(full);
            let report = round(side, seconds, writers, events);
            println!(
                "round {} {}: {} events in {:.1} s{}",
                number + 1,
                side.name(),
                report.events,
                report.seconds,
                match report.verdict {
                    Verdict::Ran => "",
                    Verdict::Stalled => ", stalled (the disk kept the writes waiting)",
                    Verdict::Hung => ", hung (nothing written, no thread waiting for the disk)",
                }
            );
            assert!(report.events > 0, "a round applied no event");
            totals[at].events += report.events;
            totals[at].seconds += report.seconds;
            hangs[at] += u32::from(report.verdict == Verdict::Hung);
            stalls[at] += u32::from(report.verdict == Verdict::Stalled);
        }
    }
    println!("\n| side | rounds | events applied | events/s | rounds hung | rounds stalled |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (at, side) in sides.iter().enumerate() {
        println!(
            "| {} | {rounds} | {} | {:.0} | {} | {} |",
            side.name(),
            totals[at].events,
            totals[at].events as f64 / totals[at].seconds,
            hangs[at],
            stalls[at]
        );
    }
}
