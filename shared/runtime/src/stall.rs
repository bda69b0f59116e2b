//! A guard against a write that never returns. sled 0.34.7 can stop every
//! writer of a process for good: a thread waiting for a file truncation
//! that sled queued on its own I/O pool while holding the lock that all
//! of that pool's threads wait for (ARCHITECTURE.md, "A hang inside
//! sled"). The process then looks alive and does nothing.
//!
//! A store marks where each write starts and ends (`StallWatch::write`); a
//! thread of the watch looks every few seconds and, when one write has
//! run longer than the limit, reports it and calls the watch's action. The
//! services' action ends the process (`exit_on_stall`), so that whatever
//! supervises it starts it again: nothing acknowledged is lost by that
//! (the ledger acknowledges only fsynced commits, the views are derived
//! and resume from their checkpoint).
//!
//! sled's hang shows itself long before the limit: every thread of sled
//! sleeps on a lock and nothing is written, the writing thread's write
//! included, while a write does not return. The watch acts on that after a
//! quarter of the limit (30 s instead of two minutes), once four looks in
//! a row found no thread of the process running or waiting for the disk
//! and nothing written (`threads.rs`); a disk that is only slow keeps
//! threads waiting for it in the kernel or writing, and is given the
//! whole limit.

pub mod threads;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long one write may take before the process is ended. sled's
/// largest writes here (a rebuild's commit of 64,000 events, the ledger's
/// group commit with its fsync) take well under a few seconds even on a
/// loaded machine; two minutes is beyond any disk that still works.
pub const STALL_LIMIT: Duration = Duration::from_secs(120);

/// The exit code of a process ended by a stalled write (EX_SOFTWARE).
pub const STALL_EXIT_CODE: i32 = 70;

/// How many looks in a row must find every thread asleep, with nothing
/// written since the look before, for a write to count as hung before its
/// limit: at one look every 5 s, 20 s of a process doing nothing.
const QUIET_LOOKS: usize = 4;

/// What happens when a write has stalled: given the store's name and how
/// long the write has run.
pub type StallAction = Box<dyn Fn(&'static str, Duration) + Send + Sync>;

/// Watches the writes of one writer (one thread at a time) of one store.
#[derive(Clone)]
pub struct StallWatch {
    shared: Arc<Shared>,
}

struct Shared {
    store: &'static str,
    origin: Instant,
    /// When the write in progress started, in milliseconds after `origin`
    /// plus one; 0 while no write runs.
    started: AtomicU64,
    /// The thread of the write in progress (`threads::current`).
    writer: AtomicU64,
    limit: Duration,
    /// How long a write must have run before the threads are looked at.
    hang_after: Duration,
    action: StallAction,
}

impl std::fmt::Debug for StallWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StallWatch")
            .field("store", &self.shared.store)
            .field("limit", &self.shared.limit)
            .finish_non_exhaustive()
    }
}

impl StallWatch {
    /// A watch whose stalled write ends the process (`exit_on_stall`).
    pub fn ending_the_process(store: &'static str) -> Self {
        Self::new(store, STALL_LIMIT, Box::new(exit_on_stall))
    }

    /// A watch of `store`'s writes that calls `action` once for a write
    /// running longer than `limit`, or longer than a quarter of it with
    /// sled's threads hung. Its thread looks every `limit / 8` (at most
    /// every 5 s) and ends when the last clone is dropped.
    pub fn new(store: &'static str, limit: Duration, action: StallAction) -> Self {
        let every = (limit / 8).min(Duration::from_secs(5));
        Self::looking(store, (limit, limit / 4, every), action)
    }

    /// [`StallWatch::new`] with the limit, the time after which sled's
    /// threads are looked at and the time between two looks given.
    fn looking(
        store: &'static str,
        (limit, hang_after, every): (Duration, Duration, Duration),
        action: StallAction,
    ) -> Self {
        let shared = Arc::new(Shared {
            store,
            origin: Instant::now(),
            started: AtomicU64::new(0),
            writer: AtomicU64::new(0),
            limit,
            hang_after,
            action,
        });
        let watched = Arc::downgrade(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("stall-{store}"))
            .spawn(move || watch(&watched, every));
        if let Err(error) = spawned {
            tracing::warn!(%error, store, "could not start the stall watch; writes go unwatched");
        }
        Self { shared }
    }

    /// Runs `write`, marked as a write in progress while it runs.
    pub fn write<T>(&self, write: impl FnOnce() -> T) -> T {
        let since = self.shared.origin.elapsed().as_millis() as u64 + 1;
        self.shared
            .writer
            .store(threads::current(), Ordering::Relaxed);
        self.shared.started.store(since, Ordering::Release);
        let result = write();
        self.shared.started.store(0, Ordering::Release);
        result
    }
}

impl Shared {
    /// How long the write in progress has run at `now`, if one runs.
    fn running_for(&self, now: Instant) -> Option<Duration> {
        match self.started.load(Ordering::Acquire) {
            0 => None,
            since => {
                let started = self.origin + Duration::from_millis(since - 1);
                Some(now.saturating_duration_since(started))
            }
        }
    }
}

/// The watch's thread: looks every `every` until the watch is dropped;
/// acts once per stalled write.
fn watch(watched: &Weak<Shared>, every: Duration) {
    let mut acted_on = 0;
    let mut quiet = Quiet::default();
    loop {
        std::thread::sleep(every);
        let Some(shared) = watched.upgrade() else {
            return;
        };
        let started = shared.started.load(Ordering::Acquire);
        let Some(running) = shared.running_for(Instant::now()) else {
            continue;
        };
        if started == acted_on {
            continue;
        }
        // Looked at from the first look that finds the write still
        // running, so that the quiet looks are counted by the time it has
        // run `hang_after`; shorter writes are not looked at.
        let quiet_looks = if running >= every {
            quiet.take(
                started,
                threads::look(shared.writer.load(Ordering::Relaxed)),
            )
        } else {
            0
        };
        let hung = running >= shared.hang_after && quiet_looks >= QUIET_LOOKS;
        if hung && running <= shared.limit {
            tracing::error!(
                store = shared.store,
                running_s = running.as_secs(),
                "a write has not returned while every thread sleeps and nothing is written: sled's hang"
            );
        }
        if hung || running > shared.limit {
            acted_on = started;
            (shared.action)(shared.store, running);
        }
    }
}

/// The looks in a row, during one write, that found every thread asleep
/// and nothing written since the look before.
#[derive(Debug, Default)]
struct Quiet {
    /// The write they were made during (its mark in `Shared::started`).
    write: u64,
    last: Option<threads::Look>,
    looks: usize,
}

impl Quiet {
    /// Takes `look`, made during the write marked `write`, and says how
    /// many looks in a row have been quiet. A look that `/proc` could not
    /// make, one without any thread of sled, and a change in the threads
    /// count as not quiet.
    fn take(&mut self, write: u64, look: Option<threads::Look>) -> usize {
        if write != self.write {
            *self = Quiet {
                write,
                ..Quiet::default()
            };
        }
        let quiet = match (self.last, look) {
            (Some(last), Some(now)) => {
                now.threads > 0
                    && !now.busy
                    && now.threads == last.threads
                    && now.written == last.written
            }
            _ => false,
        };
        self.looks = if quiet { self.looks + 1 } else { 0 };
        self.last = look;
        self.looks
    }
}

/// Reports the stalled write and ends the process with `STALL_EXIT_CODE`.
pub fn exit_on_stall(store: &'static str, running: Duration) {
    tracing::error!(
        store,
        running_s = running.as_secs(),
        "a write to the store has not returned; ending the process so that it is started again"
    );
    eprintln!(
        "efa: Ein Schreibvorgang im Speicher „{store}“ kehrt seit {} s nicht zurück; der Prozess wird beendet, damit er neu startet.",
        running.as_secs()
    );
    std::process::exit(STALL_EXIT_CODE);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn recording(limit: Duration) -> (StallWatch, Arc<Mutex<Vec<&'static str>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let noted = seen.clone();
        let watch = StallWatch::new(
            "probe",
            limit,
            Box::new(move |store, _| noted.lock().unwrap().push(store)),
        );
        (watch, seen)
    }

    #[test]
    fn a_write_longer_than_the_limit_is_acted_on_once() {
        let (watch, seen) = recording(Duration::from_millis(100));
        watch.write(|| std::thread::sleep(Duration::from_millis(700)));
        assert_eq!(*seen.lock().unwrap(), vec!["probe"]);
    }

    #[test]
    fn short_writes_and_the_time_between_them_are_not() {
        // Together far longer than the limit, each far shorter.
        let (watch, seen) = recording(Duration::from_millis(250));
        for _ in 0..30 {
            watch.write(|| ());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    fn seen(written: u64, busy: bool, threads: usize) -> Option<threads::Look> {
        Some(threads::Look {
            written,
            busy,
            threads,
        })
    }

    fn asleep(written: u64) -> Option<threads::Look> {
        seen(written, false, 8)
    }

    #[test]
    fn looks_count_as_quiet_only_while_nothing_moves_during_one_write() {
        let mut quiet = Quiet::default();
        // The first look has nothing to compare with.
        assert_eq!(quiet.take(7, asleep(100)), 0);
        assert_eq!(quiet.take(7, asleep(100)), 1);
        assert_eq!(quiet.take(7, asleep(100)), 2);
        // Something was written: counting starts again.
        assert_eq!(quiet.take(7, asleep(4_196)), 0);
        assert_eq!(quiet.take(7, asleep(4_196)), 1);
        // A thread running or waiting for the disk is no hang.
        let busy = seen(4_196, true, 8);
        assert_eq!(quiet.take(7, busy), 0);
        assert_eq!(quiet.take(7, asleep(4_196)), 1);
        // A thread more or less (sled's pool grows and shrinks).
        let fewer = seen(4_196, false, 7);
        assert_eq!(quiet.take(7, fewer), 0);
        // No /proc, or no thread of sled at all: never quiet.
        assert_eq!(quiet.take(7, None), 0);
        assert_eq!(quiet.take(7, None), 0);
        let none = seen(0, false, 0);
        assert_eq!(quiet.take(7, none), 0);
        assert_eq!(quiet.take(7, none), 0);
        // Another write starts with no quiet looks.
        assert_eq!(quiet.take(8, asleep(4_196)), 0);
        assert_eq!(quiet.take(8, asleep(4_196)), 1);
    }

    #[test]
    fn a_write_while_sleds_threads_all_sleep_is_acted_on_before_its_limit() {
        if threads::look(0).is_none() {
            // No /proc on this system: only the limit ends a write.
            return;
        }
        // A thread named as sled's pool names its own, asleep throughout.
        let (wake_tx, wake_rx) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::Builder::new()
            .name("sled-io-asleep".into())
            .spawn(move || {
                let _ = wake_rx.recv();
            })
            .unwrap();
        let (acted_tx, acted_rx) = std::sync::mpsc::channel();
        let limit = Duration::from_secs(3600);
        let watch = StallWatch::looking(
            "probe",
            (limit, Duration::from_millis(200), Duration::from_millis(50)),
            Box::new(move |_, running| {
                let _ = acted_tx.send(running);
            }),
        );
        // The write returns once the watch acted (or gives up after a
        // minute, far beyond the few looks it needs).
        let acted = watch.write(|| acted_rx.recv_timeout(Duration::from_secs(60)));
        let _ = wake_tx.send(());
        sleeper.join().unwrap();
        let running = acted.expect("the watch did not act on the hung write");
        assert!(running < limit, "{running:?}");
    }

    #[test]
    fn a_write_runs_for_as_long_as_it_has_been_marked() {
        let (watch, _) = recording(Duration::from_secs(60));
        let shared = &watch.shared;
        assert_eq!(shared.running_for(Instant::now()), None);
        shared.started.store(1_000 + 1, Ordering::Release);
        let at = shared.origin + Duration::from_millis(4_000);
        assert_eq!(shared.running_for(at), Some(Duration::from_millis(3_000)));
        watch.write(|| ());
        assert_eq!(shared.running_for(at), None);
    }
}
