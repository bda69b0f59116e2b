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
    limit: Duration,
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
    /// running longer than `limit`. Its thread looks every `limit / 8`
    /// (at most every 5 s) and ends when the last clone is dropped.
    pub fn new(store: &'static str, limit: Duration, action: StallAction) -> Self {
        let shared = Arc::new(Shared {
            store,
            origin: Instant::now(),
            started: AtomicU64::new(0),
            limit,
            action,
        });
        let every = (limit / 8).min(Duration::from_secs(5));
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
    loop {
        std::thread::sleep(every);
        let Some(shared) = watched.upgrade() else {
            return;
        };
        let started = shared.started.load(Ordering::Acquire);
        if let Some(running) = shared.running_for(Instant::now())
            && running > shared.limit
            && started != acted_on
        {
            acted_on = started;
            (shared.action)(shared.store, running);
        }
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
