//! How far a long run of applying has come: a rebuild reading the whole
//! ledger, or a projector catching up after a pause. Whoever applies
//! reports its position after each page; every few seconds that becomes a
//! line with the events applied, the rate and the time left, logged and
//! (for a rebuild) sent to whoever asked for it.

use std::time::{Duration, Instant};

/// At most one line per this interval.
const REPORT_EVERY: Duration = Duration::from_secs(2);

/// One progress line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// The sequence applied so far, and the one the run aims for.
    pub applied: u64,
    pub target: u64,
    /// Events applied per second since the run started.
    pub per_second: f64,
    /// At that rate, the time until `target`.
    pub left: Duration,
}

#[derive(Debug)]
pub struct Progress {
    started: Instant,
    from_seq: u64,
    reported: Instant,
}

impl Progress {
    /// A run that starts after sequence `from_seq`.
    pub fn new(from_seq: u64) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            from_seq,
            reported: now,
        }
    }

    /// The line for `applied` of `target`, when one is due.
    pub fn due(&mut self, applied: u64, target: u64) -> Option<Line> {
        let now = Instant::now();
        if now.duration_since(self.reported) < REPORT_EVERY {
            return None;
        }
        self.reported = now;
        Some(self.line(applied, target))
    }

    /// The line for `applied` of `target` now, due or not.
    pub fn line(&self, applied: u64, target: u64) -> Line {
        let elapsed = self.started.elapsed().as_secs_f64();
        let done = applied.saturating_sub(self.from_seq) as f64;
        let per_second = if elapsed > 0.0 { done / elapsed } else { 0.0 };
        let remaining = target.saturating_sub(applied) as f64;
        let left = if per_second > 0.0 {
            Duration::from_secs_f64((remaining / per_second).min(1e9))
        } else {
            Duration::ZERO
        };
        Line {
            applied,
            target,
            per_second,
            left,
        }
    }
}

impl Line {
    /// Logs the line for a run named `what`.
    pub fn log(&self, what: &str) {
        tracing::info!(
            applied = self.applied,
            target = self.target,
            events_per_second = self.per_second.round() as u64,
            seconds_left = self.left.as_secs(),
            "{what}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_from_the_start_and_the_time_left_follows_it() {
        let progress = Progress {
            started: Instant::now() - Duration::from_secs(10),
            from_seq: 1_000,
            reported: Instant::now(),
        };
        let line = progress.line(51_000, 151_000);
        assert!((line.per_second - 5_000.0).abs() < 50.0, "{line:?}");
        assert!((19..=21).contains(&line.left.as_secs()), "{line:?}");
        let mut fresh = Progress::new(0);
        assert_eq!(fresh.due(10, 20), None, "not due right after the start");
    }
}
